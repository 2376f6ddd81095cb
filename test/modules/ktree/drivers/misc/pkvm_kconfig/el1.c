/* EL1 part of pkvm_kconfig. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_pkvm_kconfig_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_pkvm_kconfig_hyp_hvc(struct user_pt_regs *regs);

static int __init pkvm_kconfig_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_kconfig_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_kconfig_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(pkvm_kconfig_init);
MODULE_LICENSE("GPL");

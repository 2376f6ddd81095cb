/* EL1 part of pkvm_ddk (the ddk_module's srcs). */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include <pkvm_ddk.h>

#if !PKVM_DDK_EL1
#error "the ddk_module's local_defines did not reach el1.c"
#endif

int __kvm_nvhe_pkvm_ddk_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_pkvm_ddk_hyp_hvc(struct user_pt_regs *regs);

static int __init pkvm_ddk_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_ddk_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_ddk_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(pkvm_ddk_init);
MODULE_LICENSE("GPL");

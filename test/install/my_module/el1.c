/* my_module's EL1 half: loads the EL2 code and registers its hypercall
 * (the first dynamic one, 128 = 0xC6000080, on a fresh machine). */
#include <linux/init.h>
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_my_module_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_my_module_hyp_hvc(struct user_pt_regs *regs);

static int __init my_module_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_my_module_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_my_module_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(my_module_init);
MODULE_LICENSE("GPL");

/* EL1 half of a17_ops, in the tokenless form of the post-6.12 kernels:
 * pkvm_load_el2_module(fn) and pkvm_register_el2_mod_call(fn) take one
 * argument each. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_a17_ops_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_a17_ops_hvc(struct user_pt_regs *regs);

static int __init a17_ops_init(void)
{
	int ret = pkvm_load_el2_module(__kvm_nvhe_a17_ops_hyp_init);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_a17_ops_hvc);
	return ret < 0 ? ret : 0;
}
module_init(a17_ops_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: the provisional android17-6.18 ops table");

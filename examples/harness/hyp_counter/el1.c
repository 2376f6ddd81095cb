/* hyp_counter, EL1 part: loads the EL2 code and registers its hypercall, the
 * first dynamic one of a machine where it is the only module: 0xC6000080. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_hyp_counter_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_hyp_counter_hyp_hvc(struct user_pt_regs *regs);

static int __init hyp_counter_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_hyp_counter_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_hyp_counter_hyp_hvc, token);
	if (ret < 0)
		return ret;
	pr_info("hyp_counter: hypercall %d\n", ret);
	return 0;
}
module_init(hyp_counter_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm example: a counter in the hypervisor");

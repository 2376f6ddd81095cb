/* branchy: one hypercall whose EL2 handler takes one of two branches by x1,
 * for the debugger and coverage tests (which assert the lines of the branch
 * that ran are hit and the other branch's are not). */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_branchy_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_branchy_hyp_hvc(struct user_pt_regs *regs);

static int __init branchy_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_branchy_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_branchy_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(branchy_init);

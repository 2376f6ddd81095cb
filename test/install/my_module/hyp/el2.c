/* my_module's EL2 half: the hypercall answers x1 + 1 in x1. */
#include <asm/kvm_pkvm_module.h>

int my_module_hyp_init(const struct pkvm_module_ops *ops)
{
	return 0;
}

void my_module_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[1] = regs->regs[1] + 1;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

/* Its one handler reports x1 = 0x77 so tests can call any of its ids. */
#include <asm/kvm_pkvm_module.h>

int many_hyp_init(const struct pkvm_module_ops *ops) { return 0; }

void many_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[0] = SMCCC_RET_SUCCESS;
	regs->regs[1] = 0x77;
}

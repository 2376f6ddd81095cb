/* EL2 part of pkvm_inline_asm: x1 = x1 + 1, computed by an AArch64 `add`. */
#include <asm/kvm_pkvm_module.h>

int pkvm_inline_asm_hyp_init(const struct pkvm_module_ops *ops)
{
	return 0;
}

void pkvm_inline_asm_hyp_hvc(struct user_pt_regs *regs)
{
	unsigned long r;

	asm volatile("add %0, %1, #1" : "=r"(r) : "r"(regs->regs[1]));
	regs->regs[1] = r;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

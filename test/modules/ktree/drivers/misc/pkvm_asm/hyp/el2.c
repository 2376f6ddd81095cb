/* EL2 part of pkvm_asm: x1 = pkvm_asm_add(x1, x2) (add.S) = x1 + x2 + 1. */
#include <asm/kvm_pkvm_module.h>

#ifdef PKVM_ASM_REMOVED
#error "ccflags-remove-y did not remove -DPKVM_ASM_REMOVED=1"
#endif
#ifdef PKVM_ASM_INCREMENT
#error "asflags-y reached a C file"
#endif

unsigned long pkvm_asm_add(unsigned long a, unsigned long b);

int pkvm_asm_hyp_init(const struct pkvm_module_ops *ops)
{
	return 0;
}

void pkvm_asm_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[1] = pkvm_asm_add(regs->regs[1], regs->regs[2]);
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

/* File: test/hardware/hw_fault/hyp/el2.c
 * EL2 half of the hardware test's faulting module: its hypercall reads the
 * address the host passes in x1, so a wild address is a data abort in
 * module code at EL2, which the hypervisor must report (ESR/FAR/ELR). */
#include <asm/kvm_pkvm_module.h>

static const struct pkvm_module_ops *hw_fault_ops;

int hw_fault_hyp_init(const struct pkvm_module_ops *ops)
{
	hw_fault_ops = ops;
	return 0;
}

#if PKVM_GENERATION == 14
void hw_fault_hyp_hvc(struct kvm_cpu_context *ctx)
{
	struct user_pt_regs *regs = &ctx->regs;
#else
void hw_fault_hyp_hvc(struct user_pt_regs *regs)
{
#endif
	const volatile u64 *p = (const volatile u64 *)regs->regs[1];

	regs->regs[1] = *p;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

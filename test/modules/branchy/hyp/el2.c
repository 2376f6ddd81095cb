/* branchy, EL2 part. The tests name the lines below by their markers
 * (BRANCHY_BIG, BRANCHY_SMALL): keep one statement per marked line. */
#include <asm/kvm_pkvm_module.h>

int branchy_hyp_init(const struct pkvm_module_ops *ops) { return 0; }

/* Never called: its lines are never hit. */
unsigned long branchy_unused(unsigned long x)
{
	return x * 7 + 3; /* BRANCHY_UNUSED */
}

void branchy_hyp_hvc(struct user_pt_regs *regs)
{
	unsigned long x = regs->regs[1];

	if (x > 100)
		regs->regs[1] = x * 3; /* BRANCHY_BIG */
	else
		regs->regs[1] = x + 1; /* BRANCHY_SMALL */
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

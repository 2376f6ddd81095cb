/* branchy, EL2 part. The tests find the lines below by their markers
 * (BRANCHY_BIG, BRANCHY_SMALL, BRANCHY_UNUSED). Each branch calls its own
 * function so that an optimising compiler cannot merge the two into one
 * conditional select: line coverage then tells which branch ran. */
#include <asm/kvm_pkvm_module.h>

int branchy_hyp_init(const struct pkvm_module_ops *ops) { return 0; }

/* Never called: its lines are never hit. */
unsigned long branchy_unused(unsigned long x)
{
	return x * 7 + 3; /* BRANCHY_UNUSED */
}

static noinline unsigned long branchy_big(unsigned long x)
{
	return x * 3; /* BRANCHY_BIG */
}

static noinline unsigned long branchy_small(unsigned long x)
{
	return x + 1; /* BRANCHY_SMALL */
}

void branchy_hyp_hvc(struct user_pt_regs *regs)
{
	unsigned long x = regs->regs[1];

	if (x > 100)
		regs->regs[1] = branchy_big(x);
	else
		regs->regs[1] = branchy_small(x);
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

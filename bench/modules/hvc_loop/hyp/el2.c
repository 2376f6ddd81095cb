/* EL2 half of the hvc_loop benchmark module. x1 = 0: return x2 + 1 in x1
 * (the round trip); x1 = 1: ops->puts() of a 32-character line through the
 * serial driver registered at init, whose putc counts the characters; x1 =
 * 2: return that count in x1. */
#include <asm/kvm_pkvm_module.h>

static const struct pkvm_module_ops *ops;
static unsigned long chars;

static void count_putc(char c)
{
	chars++;
}

int hvc_loop_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return ops->register_serial_driver(count_putc);
}

void hvc_loop_hyp_hvc(struct user_pt_regs *regs)
{
	switch (regs->regs[1]) {
	case 0:
		regs->regs[1] = regs->regs[2] + 1;
		break;
	case 1:
		ops->puts("0123456789abcdef0123456789ABCDEF");
		break;
	case 2:
		regs->regs[1] = chars;
		break;
	}
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

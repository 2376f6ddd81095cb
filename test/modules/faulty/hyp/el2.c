/* The EL2 half of the faulty module: hvc 128 with x1 =
 *   0  return 0x600d (healthy)
 *   1  load from an address the hypervisor never mapped
 *   2  store into its own text
 *   3  an undefined instruction
 *   4  read a system register that does not exist
 *   5  loop forever
 *   6  call a function pointer that points nowhere
 *   7  BUG()
 *   8  load through a NULL pointer
 *   9  store to an address the hypervisor never mapped (1 TiB)
 *  10  recurse without end (past the hyp stack)
 *  11  load through x2 used as a pointer (the tests pass a physical address)
 *  12  use a 12 KiB local array (more than a device's hyp stack)
 *  13  return the depth faulty_recurse() reaches with x2 = depth limit
 * and abuses of pkvm_module_ops (x2 is an operand):
 *  14  read through ops->hyp_va(x2)             (x2: a physical address)
 *  15  ops->memset(&faulty_buf, 0, x2)          (x2: a length)
 *  16  ops->memcpy(NULL, &faulty_buf, 8)
 *  17  ops->memcpy(faulty_victim, &faulty_buf, 4)  (a store into text)
 *  18  keep a tracing_reserve_entry(16) pointer, commit it (x2: 0 if NULL)
 *  19  store through the pointer kept by 18
 *  20  ops->memcpy(&faulty_buf[1], &faulty_buf[0], 8), x2 = faulty_buf[1]
 *      (a healthy copy: x2 gets 0x5a)
 * The panic notifier records that it ran in faulty_panicked (x1 of id 0). */
#include <asm/kvm_pkvm_module.h>
#include <linux/bug.h>

static const struct pkvm_module_ops *faulty_ops;
static int faulty_panicked;
static unsigned long faulty_buf[2] = {0x5a, 0};
static volatile unsigned long *faulty_kept;

static void faulty_putc(char c) { (void)c; }

static void faulty_panic_notifier(struct user_pt_regs *regs)
{
	faulty_panicked = 1;
	faulty_ops->puts("faulty: panic notifier ran");
}

int faulty_hyp_init(const struct pkvm_module_ops *ops)
{
	faulty_ops = ops;
	if (ops->register_serial_driver(faulty_putc))
		return -1;
	return ops->register_hyp_panic_notifier(faulty_panic_notifier);
}

void faulty_victim(void) {}

/* Not a tail call: every level keeps a frame (and a buffer) on the stack. */
unsigned long faulty_recurse(unsigned long depth, unsigned long limit)
{
	volatile unsigned char frame[128];

	frame[depth & 127] = (unsigned char)depth;
	if (depth == limit)
		return depth;
	return faulty_recurse(depth + 1, limit) + frame[depth & 127] - (unsigned char)depth;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wframe-larger-than="
/* Fits a 64 KiB stack, not a device's 4 or 8 KiB one. */
unsigned long faulty_big_frame(unsigned long seed)
{
	volatile unsigned char big[12 * 1024];
	unsigned long i, sum = 0;

	for (i = 0; i < sizeof(big); i += 512)
		big[i] = (unsigned char)(seed + i);
	for (i = 0; i < sizeof(big); i += 512)
		sum += big[i];
	return sum;
}
#pragma GCC diagnostic pop

void faulty_hyp_hvc(struct user_pt_regs *regs)
{
	volatile unsigned long *p;
	unsigned long v = 0;

	switch (regs->regs[1]) {
	case 0:
		regs->regs[1] = 0x600d;
		break;
	case 1:
		p = (volatile unsigned long *)0x0c0000000000UL;
		v = *p;
		break;
	case 2:
		p = (volatile unsigned long *)(unsigned long)faulty_victim;
		*p = 0xdead;
		break;
	case 3:
#ifdef __aarch64__
		asm volatile(".inst 0x00000000");  /* udf #0 */
#else
		__builtin_trap();  /* the host's undefined instruction (ud2) */
#endif
		break;
	case 4:
#ifdef __aarch64__
		asm volatile("mrs %0, s3_7_c15_c15_7" : "=r"(v));
#endif
		break;
	case 5:
		for (;;)
			asm volatile("" ::: "memory");
	case 6:
		((void (*)(void))0x0c0000001000UL)();
		break;
	case 7:
		BUG_ON(regs->regs[2] == 0);
		break;
	case 8:
		p = (volatile unsigned long *)regs->regs[2];  /* 0 from the tests */
		v = *p;
		break;
	case 9:
		/* 1 TiB: unmapped in Unicorn's EL2 and in a host process, also under
		 * ASan (its shadow gap; 12 TiB is ASan's shadow there). */
		p = (volatile unsigned long *)0x010000000000UL;
		*p = 0xbad;
		break;
	case 10:
		v = faulty_recurse(1, 0);
		break;
	case 11:
		p = (volatile unsigned long *)regs->regs[2];
		v = *p;
		break;
	case 12:
		v = faulty_big_frame(regs->regs[2]);
		break;
	case 13:
		v = faulty_recurse(1, regs->regs[2]);
		break;
	case 14:
		p = (volatile unsigned long *)faulty_ops->hyp_va(regs->regs[2]);
		v = *p;
		break;
	case 15:
		faulty_ops->memset(faulty_buf, 0, regs->regs[2]);
		break;
	case 16:
		faulty_ops->memcpy((void *)0, faulty_buf, 8);
		break;
	case 17:
		faulty_ops->memcpy((void *)(unsigned long)faulty_victim, faulty_buf, 4);
		break;
	case 18:
		faulty_kept = faulty_ops->tracing_reserve_entry(16);
		if (faulty_kept)
			faulty_ops->tracing_commit_entry();
		v = faulty_kept != 0;
		break;
	case 19:
		*faulty_kept = 0xdead;
		break;
	case 20:
		faulty_ops->memcpy(&faulty_buf[1], &faulty_buf[0], 8);
		v = faulty_buf[1];
		break;
	}
	regs->regs[0] = SMCCC_RET_SUCCESS;
	regs->regs[2] = v;
	regs->regs[3] = faulty_panicked;
}

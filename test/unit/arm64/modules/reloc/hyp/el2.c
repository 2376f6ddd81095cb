/* EL2 half of the a64_reloc test module: 64-bit absolute addresses in EL2
 * data (function-pointer and string tables, a pointer variable), so the
 * .ko has .hyp.reloc entries and the EL2 code only works once the loader
 * turned them into EL2 addresses. ops->puts checks that a call through
 * pkvm_module_ops reaches the host. */
#include <asm/kvm_pkvm_module.h>

static const struct pkvm_module_ops *ops;

static u64 add1(u64 v) { return v + 1; }
static u64 dbl(u64 v) { return v * 2; }
static u64 neg(u64 v) { return -v; }

/* R_AARCH64_ABS64 in .hyp.rodata ... */
static u64 (*const table[])(u64) = {add1, dbl, neg};
/* ... and in .hyp.data (writable, so the compiler cannot fold them). */
static const char *names[] = {"add1", "dbl", "neg"};
static u64 (*current)(u64) = dbl;
static u64 *self = (u64 *)&self;
static u64 calls; /* .hyp.bss */

u64 reloc_hyp_apply(u64 i, u64 v)
{
	calls++;
	return table[i % 3](v);
}

/* Writes keep `names` and `current` in writable data. */
u64 reloc_hyp_select(u64 i)
{
	current = table[i % 3];
	names[0] = names[i % 3];
	return calls;
}

u64 reloc_hyp_name_char(u64 i, u64 pos)
{
	return (u8)names[i % 3][pos];
}

u64 reloc_hyp_current(u64 v)
{
	return current(v);
}

/* The EL2 address of `self`, as EL2 sees it (must equal its own address). */
u64 reloc_hyp_self(void)
{
	return (u64)self == (u64)&self;
}

int reloc_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	ops->puts("reloc: EL2 init");
	return 0;
}

void reloc_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[0] = SMCCC_RET_SUCCESS;
	regs->regs[1] = reloc_hyp_apply(regs->regs[1], regs->regs[2]);
	regs->regs[2] = reloc_hyp_name_char(regs->regs[1], 0);
}

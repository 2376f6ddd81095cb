/* EL2 half of mmio_emul, an MMIO-emulating module: it takes a device page
 * away from the host (host_stage2_mod_prot with no access), so every host
 * load or store there is a permission fault; the handler decodes the access
 * from ESR_EL2 (size, register, sign extension, direction), emulates a small
 * register file, and advances ELR_EL2 past the instruction. */
#include <asm/kvm_pkvm_module.h>
#include <asm/kvm_hyp.h>
#include <asm/esr.h>
#include <linux/errno.h>
#include "../mmio_emul.h"

static const struct pkvm_module_ops *ops;
static u64 claimed_pfn;  /* + 1; 0 = none */
static u64 scratch, reads, last_size;

static int emul_fault(struct user_pt_regs *regs, u64 esr, u64 addr)
{
	u64 off = addr & 0xfff, size, v = 0;
	unsigned int srt;

	if (!claimed_pfn || addr >> 12 != claimed_pfn - 1)
		return -EPERM;
	if (ESR_ELx_EC(esr) != ESR_ELx_EC_DABT_LOW || !(esr & ESR_ELx_ISV))
		return -EPERM;  /* no valid syndrome: cannot emulate */
	size = 1UL << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	srt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	if (off & (size - 1) || off >= 0x20)
		return -EPERM;  /* unaligned or past the registers: external abort */

	if (esr & ESR_ELx_WNR) {
		v = srt == 31 ? 0 : regs->regs[srt];
		if (size < 8)
			v &= (1UL << (size * 8)) - 1;
		if (off == EMUL_REG_SCRATCH)
			scratch = v;  /* narrower writes replace the whole register */
		last_size = size;
	} else {
		switch (off & ~7UL) {
		case EMUL_REG_ID: v = EMUL_ID; break;
		case EMUL_REG_SCRATCH: v = scratch; break;
		case EMUL_REG_READS: v = reads; break;
		case EMUL_REG_LAST_SIZE: v = last_size; break;
		}
		v >>= (off & 7) * 8;
		if (size < 8) {
			v &= (1UL << (size * 8)) - 1;
			if ((esr & ESR_ELx_SSE) && (v >> (size * 8 - 1)) & 1)
				v |= ~0UL << (size * 8);
		}
		if (!(esr & ESR_ELx_SF))
			v &= 0xffffffffUL;
		if (srt != 31)
			regs->regs[srt] = v;
		reads++;
	}
	write_sysreg_el2(read_sysreg_el2(SYS_ELR) + 4, SYS_ELR);
	return 0;
}

int mmio_emul_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return ops->register_host_perm_fault_handler(emul_fault);
}

void mmio_emul_hyp_hvc(struct user_pt_regs *regs)
{
	u64 cmd = regs->regs[1], a = regs->regs[2], r1 = (u64)-EINVAL;
	int ret;

	switch (cmd) {
	case EMUL_CLAIM:
		if (claimed_pfn) {
			r1 = (u64)-EBUSY;
			break;
		}
		ret = ops->host_stage2_mod_prot(a, KVM_PGTABLE_PROT_DEVICE, 1, false);
		if (!ret)
			claimed_pfn = a + 1;
		r1 = (u64)(long)ret;
		break;
	case EMUL_SCRATCH: r1 = scratch; break;
	}
	regs->regs[0] = SMCCC_RET_SUCCESS;
	regs->regs[1] = r1;
}

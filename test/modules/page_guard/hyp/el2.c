/* EL2 half of page_guard, a write-tracking page-protection module: the
 * pages a host asks it to guard become read-only for the host
 * (host_stage2_mod_prot); a host write to one is a permission fault that
 * this module's handler decodes from ESR_EL2 (data abort, valid syndrome),
 * performs itself through the fixmap, logs, and skips by advancing ELR_EL2.
 * A write it cannot decode is refused (-EPERM: the abort is injected). */
#include <asm/kvm_pkvm_module.h>
#include <asm/kvm_hyp.h>
#include <asm/esr.h>
#include <linux/errno.h>
#include "../page_guard.h"

#define MAX_GUARDED 8

static const struct pkvm_module_ops *ops;
static u64 guarded[MAX_GUARDED];
static struct { u64 addr, value, size; } log_entries[GUARD_MAX_LOG];
static int nr_log;

static bool is_guarded(u64 pfn)
{
	int i;

	for (i = 0; i < MAX_GUARDED; i++)
		if (guarded[i] == pfn + 1)
			return true;
	return false;
}

static int guard_fault(struct user_pt_regs *regs, u64 esr, u64 addr)
{
	u64 pfn = addr >> 12, value, size;
	unsigned int srt;
	u8 *page;

	if (!is_guarded(pfn))
		return -EPERM;
	if (ESR_ELx_EC(esr) != ESR_ELx_EC_DABT_LOW || !(esr & ESR_ELx_ISV) || !(esr & ESR_ELx_WNR))
		return -EPERM;  /* not a single store we can redo */
	if (read_sysreg_el2(SYS_ESR) != esr || read_sysreg(hpfar_el2) >> 4 != pfn)
		return -EINVAL;  /* the registers must describe this fault: panics */
	size = 1UL << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	srt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	value = srt == 31 ? 0 : regs->regs[srt];
	if (size < 8)
		value &= (1UL << (size * 8)) - 1;

	page = ops->fixmap_map(pfn << 12);
	if (!page)
		return -EPERM;
	switch (size) {
	case 1: *(volatile u8 *)(page + (addr & 0xfff)) = value; break;
	case 2: *(volatile u16 *)(page + (addr & 0xfff)) = value; break;
	case 4: *(volatile u32 *)(page + (addr & 0xfff)) = value; break;
	default: *(volatile u64 *)(page + (addr & 0xfff)) = value; break;
	}
	ops->fixmap_unmap();

	if (nr_log < GUARD_MAX_LOG) {
		log_entries[nr_log].addr = addr;
		log_entries[nr_log].value = value;
		log_entries[nr_log].size = size;
		nr_log++;
	}
	write_sysreg_el2(read_sysreg_el2(SYS_ELR) + 4, SYS_ELR);
	return 0;
}

int page_guard_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return ops->register_host_perm_fault_handler(guard_fault);
}

static u64 guard(u64 pfn)
{
	int i, ret;

	for (i = 0; i < MAX_GUARDED && guarded[i]; i++)
		;
	if (i == MAX_GUARDED)
		return (u64)-ENOSPC;
	ret = ops->host_stage2_mod_prot(pfn, KVM_PGTABLE_PROT_R, 1, false);
	if (ret)
		return (u64)(long)ret;
	guarded[i] = pfn + 1;
	return 0;
}

static u64 release(u64 pfn)
{
	int i, ret;

	for (i = 0; i < MAX_GUARDED; i++) {
		if (guarded[i] != pfn + 1)
			continue;
		ret = ops->host_stage2_mod_prot(pfn, KVM_PGTABLE_PROT_RWX, 1, false);
		if (ret)
			return (u64)(long)ret;
		guarded[i] = 0;
		return 0;
	}
	return (u64)-ENOENT;
}

void page_guard_hyp_hvc(struct user_pt_regs *regs)
{
	u64 cmd = regs->regs[1], a = regs->regs[2];
	u64 r1 = (u64)-EINVAL, r2 = 0, r3 = 0;

	switch (cmd) {
	case GUARD_PROTECT: r1 = guard(a); break;
	case GUARD_RELEASE: r1 = release(a); break;
	case GUARD_LOG_COUNT: r1 = nr_log; break;
	case GUARD_LOG_ENTRY:
		if (a < (u64)nr_log) {
			r1 = log_entries[a].addr;
			r2 = log_entries[a].value;
			r3 = log_entries[a].size;
		}
		break;
	}
	regs->regs[0] = SMCCC_RET_SUCCESS;
	regs->regs[1] = r1;
	regs->regs[2] = r2;
	regs->regs[3] = r3;
}

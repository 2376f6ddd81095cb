/* EL2 half of the probe module: every ops service reachable through one
 * dynamic hypercall, so tests drive EL2 code exactly as a host would.
 * x1 = command, x2.. = arguments; results in x1..x3. Builds for A14/15/16. */
#include <asm/kvm_pkvm_module.h>
#include <linux/errno.h>
#include "../probe.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

static const struct pkvm_module_ops *ops;
static int perm_fault_result, perm_fault_calls;
static u64 last_fault_addr;
static int smc_calls, trap_calls, abt_calls, psci_calls, panic_calls, serror_calls;
static int trap_result, unmask_result;
static int last_psci = -1;
static int putc_chars;
static char buffer_a[64], buffer_b[64];

static int fault_cb(REGS_T *regs, u64 esr, u64 addr)
{
	perm_fault_calls++;
	last_fault_addr = addr;
	return perm_fault_result;
}

static bool smc_cb(REGS_T *regs)
{
	smc_calls++;
	if (REG(regs, 0) != PROBE_SMC_ID)
		return false;
	REG(regs, 0) = SMCCC_RET_SUCCESS;
	REG(regs, 1) = 0x5a;
	return true;
}

static bool trap_cb(REGS_T *regs) { trap_calls++; return trap_result; }
static void abt_cb(REGS_T *regs) { abt_calls++; }
static void psci_cb(enum pkvm_psci_notification n, REGS_T *regs) { psci_calls++; last_psci = n; }
static void panic_cb(REGS_T *regs) { panic_calls++; }
static void putc_cb(char c) { putc_chars++; }
#if PKVM_GENERATION >= 15
static bool unmask_cb(void) { serror_calls++; return unmask_result; }
static void mask_cb(void) { serror_calls += 100; }
#endif

int probe_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return 0;
}

static u64 run(u64 cmd, u64 a, u64 b, u64 *r2, u64 *r3)
{
	switch (cmd) {
	case PROBE_PING: return PROBE_PONG;
	case PROBE_REG_PERM_FAULT: return ops->register_host_perm_fault_handler(fault_cb);
	case PROBE_REG_HOST_SMC: return ops->register_host_smc_handler(smc_cb);
	case PROBE_REG_DEFAULT_TRAP: return ops->register_default_trap_handler(trap_cb);
	case PROBE_REG_ILLEGAL_ABT: return ops->register_illegal_abt_notifier(abt_cb);
	case PROBE_REG_PSCI: return ops->register_psci_notifier(psci_cb);
	case PROBE_REG_PANIC: return ops->register_hyp_panic_notifier(panic_cb);
	case PROBE_REG_SERIAL: return ops->register_serial_driver(putc_cb);
	case PROBE_REG_NULL: return ops->register_host_smc_handler(NULL);
#if PKVM_GENERATION >= 15
	case PROBE_REG_SERROR: return ops->register_unmask_serror(unmask_cb, mask_cb);
	case PROBE_PUTC: ops->putc((char)a); return 0;
	case PROBE_CPU_ID: return ops->hyp_smp_processor_id();
#endif
	case PROBE_PUTS: ops->puts("probe says hi"); return 0;
	case PROBE_PUTX64: ops->putx64(a); return 0;
	case PROBE_UPDATE_HCR: ops->update_hcr_el2(a, b); return 0;
	case PROBE_UPDATE_HFGWTR: ops->update_hfgwtr_el2(a, b); return 0;
	case PROBE_SET_FAULT_RESULT: perm_fault_result = (int)a; return 0;
	case PROBE_SET_TRAP_RESULT: trap_result = (int)a; return 0;
	case PROBE_SET_UNMASK_RESULT: unmask_result = (int)a; return 0;
	case PROBE_COUNTERS:
		*r2 = smc_calls | ((u64)trap_calls << 16) | ((u64)abt_calls << 32);
		*r3 = psci_calls | ((u64)(last_psci & 0xff) << 16) | ((u64)panic_calls << 32) |
		      ((u64)serror_calls << 48);
		return perm_fault_calls | (last_fault_addr << 16);
	case PROBE_PUTC_CHARS: return putc_chars;
	case PROBE_MEMOPS: {
		int i;
		u64 sum = 0;
		ops->memset(buffer_a, (int)a, sizeof(buffer_a));
		ops->memcpy(buffer_b, buffer_a, sizeof(buffer_b));
		for (i = 0; i < (int)sizeof(buffer_b); i++)
			sum += (u8)buffer_b[i];
		return sum;
	}
	case PROBE_PHYS_ROUNDTRIP: {
		u64 *p = ops->hyp_va(a);
		*p = b;
		*r2 = *(u64 *)ops->hyp_va(a);
		return ops->hyp_pa(p);
	}
	case PROBE_KERN_HYP_VA: return ops->kern_hyp_va(a);
	case PROBE_ALLOC_VA: return (u64)ops->alloc_module_va(a);
	case PROBE_UNIMPLEMENTED:
#if PKVM_GENERATION == 14
		return ops->host_donate_hyp(a, 1);
#else
		return ops->host_donate_hyp(a, 1, false);
#endif
	case PROBE_BUG:
		BUG_ON(a == 42);
		return 0;
	}
	return (u64)-EINVAL;
}

void probe_hyp_hvc(REGS_T *regs)
{
	u64 r2 = REG(regs, 2), r3 = REG(regs, 3);
	u64 r1 = run(REG(regs, 1), REG(regs, 2), REG(regs, 3), &r2, &r3);

	REG(regs, 0) = SMCCC_RET_SUCCESS;
	REG(regs, 1) = r1;
	REG(regs, 2) = r2;
	REG(regs, 3) = r3;
}

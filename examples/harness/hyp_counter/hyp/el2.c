/* hyp_counter, EL2 part: a counter kept by the hypervisor, a host stage-2
 * permission-fault handler that resolves faults inside a window the host
 * sets, two trace events, and an invariant check that BUG()s. A15 form of
 * the Android page's module (user_pt_regs handlers). */
#include <asm/kvm_pkvm_module.h>
#include <linux/bug.h>
#include <linux/errno.h>

#include "events.h"
#define HYP_EVENT_FILE events.h
#include <nvhe/define_events.h>

#include "../hyp_counter.h"

static const struct pkvm_module_ops *pkvm_ops;
static u64 total;
static u64 window_start, window_end;
static u64 faults_resolved, faults_refused;

void *tracing_reserve_entry(unsigned long length)
{
	return pkvm_ops->tracing_reserve_entry(length);
}

void tracing_commit_entry(void)
{
	pkvm_ops->tracing_commit_entry();
}

extern char __hyp_event_ids_start[];
extern char __hyp_event_ids_end[];

static int hyp_counter_perm_fault(struct user_pt_regs *regs, u64 esr, u64 addr)
{
	int resolved = addr >= window_start && addr < window_end;

	trace_hyp_counter_fault(addr, resolved);
	if (resolved) {
		faults_resolved++;
		return 0;
	}
	faults_refused++;
	return -EPERM;
}

int hyp_counter_hyp_init(const struct pkvm_module_ops *ops)
{
	pkvm_ops = ops;
	ops->register_hyp_event_ids((unsigned long)__hyp_event_ids_start,
				    (unsigned long)__hyp_event_ids_end);
	return ops->register_host_perm_fault_handler(hyp_counter_perm_fault);
}

void hyp_counter_hyp_hvc(struct user_pt_regs *regs)
{
	u64 arg = regs->regs[2];

	regs->regs[0] = SMCCC_RET_SUCCESS;
	switch (regs->regs[1]) {
	case HYP_COUNTER_ADD:
		total += arg;
		trace_hyp_counter_add(arg, total);
		regs->regs[1] = total;
		break;
	case HYP_COUNTER_GET:
		regs->regs[1] = total;
		break;
	case HYP_COUNTER_SET_WINDOW:
		window_start = arg;
		window_end = regs->regs[3];
		regs->regs[1] = 0;
		break;
	case HYP_COUNTER_FAULTS:
		regs->regs[1] = faults_resolved;
		regs->regs[2] = faults_refused;
		break;
	case HYP_COUNTER_EXPECT:
		BUG_ON(total != arg);
		regs->regs[1] = 0;
		break;
	default:
		regs->regs[0] = SMCCC_RET_NOT_SUPPORTED;
	}
}

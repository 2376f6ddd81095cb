/* EL2 part of pkvm_kbuild. What it answers shows what the build gave it:
 * x1 = arg * step (calc.c's CFLAGS_) + the vendor header's magic,
 * x2 = 1 when the `#ifdef MODULE` init code ran, x3 = 1 when an EL1-only
 * per-object flag leaked into EL2 (it must not). */
#include <asm/kvm_pkvm_module.h>
#include <pkvm_kbuild_vendor.h>
#include <pkvm_kbuild_shared.h>  /* subdir-ccflags-y reaches the hyp directory */

/* A hypervisor header by its path in the kernel tree, as some vendor
 * modules write it: libpkvm's, through SOURCE_ROOT. */
#include "../../../../arch/arm64/kvm/hyp/include/nvhe/trap_handler.h"
#include "calc.h"
#include "events.h"
/* Relative to the kernel tree, as vendor modules write it. */
#define HYP_EVENT_FILE ../../../../drivers/misc/pkvm_kbuild/hyp/events.h
#include <nvhe/define_events.h>

static const struct pkvm_module_ops *pkvm_ops;
static unsigned long module_init_ran;

#ifdef CONFIG_TRACING
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
#endif

int pkvm_kbuild_hyp_init(const struct pkvm_module_ops *ops)
{
	pkvm_ops = ops;
#ifdef MODULE
	module_init_ran = 1;
#endif
#ifdef CONFIG_TRACING
	ops->register_hyp_event_ids((unsigned long)__hyp_event_ids_start,
				    (unsigned long)__hyp_event_ids_end);
#endif
	return 0;
}

void pkvm_kbuild_hyp_hvc(struct user_pt_regs *regs)
{
	trace_pkvm_kbuild_call(regs->regs[1]);
	regs->regs[1] = pkvm_kbuild_step(regs->regs[1]) + PKVM_KBUILD_VENDOR_MAGIC;
	regs->regs[2] = module_init_ran;
#ifdef PKVM_KBUILD_EL1_ONLY
	regs->regs[3] = 1;
#else
	regs->regs[3] = 0;
#endif
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

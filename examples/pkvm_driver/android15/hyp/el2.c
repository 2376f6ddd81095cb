#include <asm/kvm_pkvm_module.h>

#include "events.h"
/* The Android page writes a path relative to the kernel tree here; with
 * libpkvm it is found through the EL2 source directories. */
#define HYP_EVENT_FILE events.h
#include <nvhe/define_events.h>

static const struct pkvm_module_ops *pkvm_ops;

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

int pkvm_driver_hyp_init(const struct pkvm_module_ops *ops)
{
  pkvm_ops = ops;
#ifdef CONFIG_TRACING
  ops->register_hyp_event_ids((unsigned long)__hyp_event_ids_start,
                              (unsigned long)__hyp_event_ids_end);
#endif

  /* Init the EL2 code */

  return 0;
}

void pkvm_driver_hyp_hvc(struct user_pt_regs *regs)
{
  /* Handle the call */
  trace_pkvm_driver_event(regs->regs[1]);

  regs->regs[0] = SMCCC_RET_SUCCESS;
  regs->regs[1] = 0;
}

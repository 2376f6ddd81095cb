#include <asm/kvm_pkvm_module.h>

#include "events.h"
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

void trace___hyp_printk(u8 fmt_id, u64 a, u64 b, u64 c, u64 d)
{
        pkvm_ops->tracing_mod_hyp_printk(fmt_id, a, b, c, d);
}
#endif

/* Android 16: the loader registers the module's events; no
 * register_hyp_event_ids() call. */
int pkvm_driver_hyp_init(const struct pkvm_module_ops *ops)
{
  pkvm_ops = ops;

  /* Init the EL2 code */

  return 0;
}

void pkvm_driver_hyp_hvc(struct user_pt_regs *regs)
{
  /* Handle the call */
  trace_pkvm_driver_event(regs->regs[1]);
  trace_hyp_printk("pkvm_driver: hvc with x1=0x%llx x2=%d", regs->regs[1], (int)regs->regs[2]);

  regs->regs[0] = SMCCC_RET_SUCCESS;
  regs->regs[1] = 0;
}

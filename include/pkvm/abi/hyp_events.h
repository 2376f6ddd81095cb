/* File: include/pkvm/abi/hyp_events.h
 * Kernel layouts of the hypervisor event plumbing that module images carry:
 * the per-event id slot in `.hyp.event_ids` and the 128-byte format entry of
 * `.hyp.printk_fmts` (A16 trace_hyp_printk). The host writes ids into the
 * slots when it loads the module; EL2 code stamps them into records.
 *
 *   struct hyp_event_id id = {0, &my_event_enabled};
 */
#ifndef PKVM_ABI_HYP_EVENTS_H_
#define PKVM_ABI_HYP_EVENTS_H_

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HYP_EVENT_NAME_MAX 32   /* name buffer, NUL included: names <= 31 chars */
#define HYP_PRINTK_FMT_MAX 127  /* characters of one trace_hyp_printk format */
#define HYP_PRINTK_MAX_FMTS 255 /* u8 format ids, core and modules together */
#define HYP_PRINTK_MAX_ARGS 4

/* One per event, in `.hyp.event_ids` (sorted by event name). `data` is the
 * event's enable flag at EL2. */
struct hyp_event_id {
  unsigned short id;
  void *data;
};

/* One per trace_hyp_printk() call site, in `.hyp.printk_fmts`; the format id
 * is the entry's index (plus the module's offset). */
struct hyp_printk_fmt {
  char fmt[HYP_PRINTK_FMT_MAX];
  char nul;
};

PKVM_ABI_STATIC_ASSERT(sizeof(struct hyp_event_id) == 16, "hyp_event_id is 16 bytes");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct hyp_event_id, data) == 8, "hyp_event_id.data");
PKVM_ABI_STATIC_ASSERT(sizeof(struct hyp_printk_fmt) == 128, "hyp_printk_fmt is 128 bytes");

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_HYP_EVENTS_H_ */

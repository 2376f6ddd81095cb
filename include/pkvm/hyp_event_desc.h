/* File: include/pkvm/hyp_event_desc.h
 * What a module's `nvhe/define_events.h` expansion tells libpkvm about each
 * HYP_EVENT: name, fields, print format and a host-side printer. The kernel
 * keeps the same facts in EL1 `struct hyp_event` entries of `_hyp_events`;
 * libpkvm emits them from the EL2 boilerplate the Android page shows, so a
 * module needs nothing beyond that page (see docs/tracing.md). Not kernel
 * ABI: the contract between libpkvm's compat headers and its loader.
 */
#ifndef PKVM_HYP_EVENT_DESC_H_
#define PKVM_HYP_EVENT_DESC_H_

#include <pkvm/abi/hyp_events.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pkvm_hyp_event_field {
  const char *type; /* as written in he_field(), e.g. "u64" */
  const char *name;
  unsigned short offset; /* in the packed record, after the 2-byte id */
  unsigned short size;
  unsigned char is_signed;
};

/* Output of a host-side event printer. */
struct pkvm_trace_seq {
  char *buf;
  unsigned long size;
  unsigned long len;
};

#define PKVM_HYP_EVENT_DESC_MAGIC 0x31747665706b7670ULL /* "pvkpevt1" */

struct pkvm_hyp_event_desc {
  unsigned long long magic;  /* PKVM_HYP_EVENT_DESC_MAGIC */
  const char *name;
  /* The HE_PRINTK(...) argument text as written, e.g.
   * `HE_PRINTK("id=0x%08llx", __entry->id)`. */
  const char *printk;
  const struct pkvm_hyp_event_field *(*fields)(unsigned int *nr);
  unsigned int record_size; /* sizeof the packed record, id included */
  unsigned int reserved;
  void (*print)(struct pkvm_trace_seq *s, const void *record);
  struct hyp_event_id *id; /* the event's slot in .hyp.event_ids */
  int *enabled;            /* EL2 enable flag */
};

/* Host-side formatting used by generated printers (vsnprintf semantics). */
void __pkvm_trace_seq_printf(struct pkvm_trace_seq *s, const char *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif /* PKVM_HYP_EVENT_DESC_H_ */

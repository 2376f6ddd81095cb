/* File: include/pkvm/compat/nvhe/trace.h -- hypervisor events at EL2.
 *
 * The header an EL2 events file includes (Android page, "Emit and read
 * hypervisor trace events"):
 *
 *   HYP_EVENT(pkvm_driver_event,
 *           HE_PROTO(u64 id),
 *           HE_STRUCT(he_field(u64, id)),
 *           HE_ASSIGN(__entry->id = id;),
 *           HE_PRINTK("id=0x%08llx", __entry->id));
 *   ...
 *   trace_pkvm_driver_event(id);
 *
 * Each HYP_EVENT declares the packed record `struct trace_hyp_format_<name>`
 * (2-byte id, then the fields) and an inline `trace_<name>()` that returns
 * when the event is disabled, else reserves a record through
 * tracing_reserve_entry(), stamps the id the host assigned, assigns the
 * fields and calls tracing_commit_entry(). Storage (enable flag, id slot,
 * descriptor) comes from <nvhe/define_events.h>, included once per module.
 *
 * A16 also has trace_hyp_printk(fmt, ...): up to four integer arguments, the
 * format placed in .hyp.printk_fmts and sent as a u8 id through
 * trace___hyp_printk().
 */
#ifndef __PKVM_COMPAT_NVHE_TRACE_H
#define __PKVM_COMPAT_NVHE_TRACE_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <pkvm/abi/hyp_events.h>
#include <pkvm/abi/trace.h>
#include <pkvm/compat_glue.h>

#define HE_PROTO(args...) args
#define HE_STRUCT(args...) args
#define HE_ASSIGN(args...) args
#define HE_PRINTK(args...) args
#define HE_PRINTK_UNKNOWN_FMT(args...) args

/* The module provides these (forwarding to pkvm_module_ops); libpkvm has
 * defaults that reach the current machine when it does not. */
void *tracing_reserve_entry(unsigned long length);
void tracing_commit_entry(void);

#undef he_field
#define he_field(_type, _name) _type _name;

#define HYP_EVENT(__name, __proto, __struct, __assign, __printk)                           \
  _Static_assert(PKVM_GENERATION >= 15,                                                     \
                 "hypervisor events from modules need android15-6.6 or later");            \
  _Static_assert(sizeof(#__name) <= HYP_EVENT_NAME_MAX, "event name longer than 31 chars"); \
  struct __packed trace_hyp_format_##__name {                                               \
    struct hyp_entry_hdr hdr;                                                               \
    __struct                                                                                \
  };                                                                                        \
  extern int __name##_enabled;                                                              \
  extern struct hyp_event_id hyp_event_id_##__name;                                        \
  static __always_inline notrace __maybe_unused void trace_##__name(__proto) {              \
    struct trace_hyp_format_##__name *__entry;                                             \
    if (!__atomic_load_n(&__name##_enabled, __ATOMIC_RELAXED)) return;                      \
    __entry = (struct trace_hyp_format_##__name *)tracing_reserve_entry(sizeof(*__entry)); \
    if (!__entry) return;                                                                   \
    __entry->hdr.id = hyp_event_id_##__name.id;                                             \
    __assign tracing_commit_entry();                                                        \
  }

#if PKVM_GENERATION >= 16
/* Filled by the loader: the module's first format id. */
extern u8 __hyp_printk_fmt_offset;
extern struct hyp_printk_fmt __hyp_printk_fmts_start[];
void trace___hyp_printk(u8 fmt_id, u64 a, u64 b, u64 c, u64 d);

#define __PKVM_HP_NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, n, ...) n
#define __PKVM_HP_NARGS(args...) __PKVM_HP_NARGS_(0, ##args, 7, 6, 5, 4, 3, 2, 1, 0)
#define __PKVM_HP_CALL_(id, a, b, c, d, ...) \
  trace___hyp_printk(id, (u64)(a), (u64)(b), (u64)(c), (u64)(d))
#define __PKVM_HP_CALL(id, args...) __PKVM_HP_CALL_(id, ##args, 0, 0, 0, 0)

#define trace_hyp_printk(__fmt, args...)                                                      \
  do {                                                                                       \
    static const struct hyp_printk_fmt __pkvm_hp_fmt __used                                  \
        __section(".hyp.printk_fmts") = {.fmt = __fmt};                                      \
    _Static_assert(sizeof(__fmt) <= HYP_PRINTK_FMT_MAX + 1,                                  \
                   "trace_hyp_printk: format longer than 127 characters");                  \
    _Static_assert(__PKVM_HP_NARGS(args) <= HYP_PRINTK_MAX_ARGS,                            \
                   "trace_hyp_printk: at most 4 arguments");                                 \
    __PKVM_HP_CALL((u8)((&__pkvm_hp_fmt - __hyp_printk_fmts_start) + __hyp_printk_fmt_offset), \
                   ##args);                                                                  \
  } while (0)
#endif

#endif /* __PKVM_COMPAT_NVHE_TRACE_H */

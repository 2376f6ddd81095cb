/* File: include/pkvm/compat/asm/kvm_define_hypevents.h -- EL1 side of module events.
 *
 * Real modules include this from their EL1 code with HYP_EVENT_FILE set, so
 * the kernel learns each event's name, fields and format. libpkvm gets those
 * facts from the EL2 expansion of <nvhe/define_events.h> instead (the
 * Android page's boilerplate), so here the events file is only compiled, to
 * keep it checked at EL1 as the kernel build would.
 *
 *   #define HYP_EVENT_FILE ../hyp/events.h
 *   #include <asm/kvm_define_hypevents.h>
 */
#include <linux/compiler.h>
#include <linux/types.h>

#ifdef HYP_EVENT_FILE
#undef HYP_EVENT
#undef he_field
#define HE_PROTO(args...) args
#define HE_STRUCT(args...) args
#define HE_ASSIGN(args...) args
#define HE_PRINTK(args...) args
#define HE_PRINTK_UNKNOWN_FMT(args...) args
#define he_field(_type, _name) _type _name;
#define HYP_EVENT(__name, __proto, __struct, __assign, __printk) \
  struct __pkvm_el1_hyp_event_##__name {                          \
    unsigned short __id;                                          \
    __struct                                                      \
  } __packed
#define HYP_EVENT_MULTI_READ
#include __stringify(HYP_EVENT_FILE)
#undef HYP_EVENT_MULTI_READ
#endif

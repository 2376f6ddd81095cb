/* File: include/pkvm/compat/nvhe/define_events.h -- storage of a module's events.
 *
 * Included once in the module's EL2 code, after naming the events file:
 *
 *   #include "events.h"
 *   #define HYP_EVENT_FILE events.h     // found through the EL2 source dirs
 *   #include <nvhe/define_events.h>
 *
 * For every HYP_EVENT of HYP_EVENT_FILE it defines the enable flag, the id
 * slot in `.hyp.event_ids.<name>` (the host writes the id at load time) and
 * a descriptor in `_hyp_events.<name>` with the fields, the HE_PRINTK text
 * and a printer: what the kernel's EL1 `_hyp_events` entries carry. libpkvm
 * emits it from here so the Android page's EL2 boilerplate is all a module
 * needs; <asm/kvm_define_hypevents.h> at EL1 is accepted and adds nothing.
 */
#ifndef HYP_EVENT_FILE
#error "#define HYP_EVENT_FILE <path of your events header> before including <nvhe/define_events.h>"
#endif

#include <nvhe/trace.h>
#include <pkvm/hyp_event_desc.h>

#undef he_field
#define he_field(_type, _name)                                                      \
  {#_type, #_name, (unsigned short)__builtin_offsetof(__pkvm_event_record, _name), \
   (unsigned short)sizeof(_type), (unsigned char)((_type)-1 < (_type)1)},

#undef HYP_EVENT
#define HYP_EVENT(__name, __proto, __struct, __assign, __printk)                                 \
  int __name##_enabled;                                                                          \
  struct hyp_event_id hyp_event_id_##__name __used __aligned(8)                                 \
      __section(".hyp.event_ids." #__name) = {0, &__name##_enabled};                             \
  static notrace const struct pkvm_hyp_event_field *__pkvm_event_fields_##__name(               \
      unsigned int *__nr) {                                                                      \
    typedef struct trace_hyp_format_##__name __pkvm_event_record;                               \
    static const struct pkvm_hyp_event_field __f[] = {__struct{0, 0, 0, 0, 0}};                 \
    *__nr = sizeof(__f) / sizeof(__f[0]) - 1;                                                    \
    return __f;                                                                                  \
  }                                                                                              \
  static notrace void __pkvm_event_print_##__name(struct pkvm_trace_seq *__s, const void *__r) { \
    const struct trace_hyp_format_##__name *__entry =                                           \
        (const struct trace_hyp_format_##__name *)__r;                                          \
    (void)__entry;                                                                               \
    __pkvm_trace_seq_printf(__s, __printk);                                                      \
  }                                                                                              \
  static const struct pkvm_hyp_event_desc __pkvm_event_desc_##__name __used __aligned(8)        \
      __section("_hyp_events." #__name) = {                                                      \
          PKVM_HYP_EVENT_DESC_MAGIC,                                                             \
          #__name,                                                                               \
          #__printk,                                                                             \
          __pkvm_event_fields_##__name,                                                          \
          sizeof(struct trace_hyp_format_##__name),                                              \
          0,                                                                                     \
          __pkvm_event_print_##__name,                                                           \
          &hyp_event_id_##__name,                                                                \
          &__name##_enabled};

#define HYP_EVENT_MULTI_READ
#include __stringify(HYP_EVENT_FILE)
#undef HYP_EVENT_MULTI_READ

#if !defined(__HYP_COUNTER_HYPEVENTS_H_) || defined(HYP_EVENT_MULTI_READ)
#define __HYP_COUNTER_HYPEVENTS_H_

#ifdef __KVM_NVHE_HYPERVISOR__
#include <nvhe/trace.h>
#endif

HYP_EVENT(hyp_counter_add,
        HE_PROTO(u64 delta, u64 total),
        HE_STRUCT(
                he_field(u64, delta)
                he_field(u64, total)
        ),
        HE_ASSIGN(
                __entry->delta = delta;
                __entry->total = total;
        ),
        HE_PRINTK("delta=%llu total=%llu", __entry->delta, __entry->total)
);

HYP_EVENT(hyp_counter_fault,
        HE_PROTO(u64 addr, int resolved),
        HE_STRUCT(
                he_field(u64, addr)
                he_field(int, resolved)
        ),
        HE_ASSIGN(
                __entry->addr = addr;
                __entry->resolved = resolved;
        ),
        HE_PRINTK("addr=0x%llx resolved=%d", __entry->addr, __entry->resolved)
);
#endif

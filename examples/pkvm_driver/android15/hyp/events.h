#if !defined(__PKVM_DRIVER_HYPEVENTS_H_) || defined(HYP_EVENT_MULTI_READ)
#define __PKVM_DRIVER_HYPEVENTS_H_

#ifdef __KVM_NVHE_HYPERVISOR__
#include <nvhe/trace.h>
#endif

HYP_EVENT(pkvm_driver_event,
        HE_PROTO(u64 id),
        HE_STRUCT(
                he_field(u64, id)
        ),
        HE_ASSIGN(
                __entry->id = id;
        ),
        HE_PRINTK("id=0x%08llx", __entry->id)
);
#endif

#if !defined(__PKVM_KBUILD_HYPEVENTS_H_) || defined(HYP_EVENT_MULTI_READ)
#define __PKVM_KBUILD_HYPEVENTS_H_

#ifdef __KVM_NVHE_HYPERVISOR__
#include <nvhe/trace.h>
#endif

HYP_EVENT(pkvm_kbuild_call,
	HE_PROTO(u64 arg),
	HE_STRUCT(
		he_field(u64, arg)
	),
	HE_ASSIGN(
		__entry->arg = arg;
	),
	HE_PRINTK("arg=%llu", __entry->arg)
);
#endif

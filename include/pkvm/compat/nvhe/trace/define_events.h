/* File: include/pkvm/compat/nvhe/trace/define_events.h -- bare-named
 * <define_events.h> of 6.6 / 6.12 trees (arch/arm64/kvm/hyp/include/nvhe/trace/);
 * it defines the events of HYP_EVENT_FILE, as <nvhe/define_events.h>.
 * No include guard: like the kernel's, it is included once per events file. */
#include <nvhe/define_events.h>

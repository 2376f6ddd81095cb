/* File: include/pkvm/compat/nvhe/trace/trace.h -- the hypervisor tracing
 * header as 6.6 / 6.12 trees hold it (arch/arm64/kvm/hyp/include/nvhe/trace/).
 * With that directory on the include path (as Makefile.module puts it for
 * A15+ EL2 objects) a module's bare `#include <trace.h>` lands here. */
#include <nvhe/trace.h>

// File: lib/backends/native/fault_guard.h
// Native backend: module EL2 code runs contained, as on a device.
//   * on a per-thread hyp stack of the generation's size (NVHE_STACK_SIZE,
//     HypervisorOptions::hyp_stack_size) with guard pages below it;
//   * a fault it raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) while its
//     PC is in a module's .hyp.text becomes a hyp panic of that machine with
//     pc/lr/far as `symbol+off (file:line)` and a frame-pointer call trace;
//   * a call still running after call_time_limit_ms is stopped the same way
//     (a watchdog thread signals it while it is in module code).
// Faults outside module code are left to the previous handler (ASan's, or
// the default action): docs/debugging.md says why.
//
//   bool ok = native::RunEl2(m, cpu, [&] { fn(args...); });
#ifndef PKVM_LIB_BACKENDS_NATIVE_FAULT_GUARD_H_
#define PKVM_LIB_BACKENDS_NATIVE_FAULT_GUARD_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "pkvm/hypervisor.h"

namespace pkvm {
// Hypervisor::Impl is declared in pkvm/hypervisor.h.
namespace native {

// Runs `fn` (a call into module EL2 code) for machine `m` on `cpu`: on the
// hyp stack, under the machine's call time limit, with faults contained.
// Returns false when it panicked the machine (the report is m's).
bool RunEl2(Hypervisor::Impl& m, int cpu, absl::FunctionRef<void()> fn);

}  // namespace native
}  // namespace pkvm

#endif  // PKVM_LIB_BACKENDS_NATIVE_FAULT_GUARD_H_

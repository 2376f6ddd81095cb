// File: lib/trace/host_clock.h
// The development machine's stand-in for CNTPCT_EL0 and the host-side clock
// calibration that produces the trace clock's mult/shift/epoch (spec §5.3).
//
//   const pkvm::trace::ClockCalibration c = pkvm::trace::CalibrateHostClock();
//   clock.Init(&pkvm::trace::HostCounter, nullptr, c.mult, c.shift, c.epoch_ns, c.epoch_cyc);
//   uint64_t ns = clock.Now();  // CLOCK_BOOTTIME-like nanoseconds
#ifndef PKVM_LIB_TRACE_HOST_CLOCK_H_
#define PKVM_LIB_TRACE_HOST_CLOCK_H_

#include <cstdint>

namespace pkvm::trace {

// A free-running counter: rdtsc on x86-64, cntvct_el0 on AArch64,
// steady_clock nanoseconds elsewhere. The argument is unused (it matches
// TraceClock::CounterFn).
uint64_t HostCounter(void* = nullptr);

// ns = epoch_ns + ((HostCounter() - epoch_cyc) * mult) >> shift.
struct ClockCalibration {
  uint32_t mult, shift;
  uint64_t epoch_ns, epoch_cyc;
};

// Measured once per process (a few milliseconds) and cached; epoch_ns is
// CLOCK_BOOTTIME. mult/shift keep 600 s of counter deltas from overflowing
// 64 bits, as the kernel's conversion range does. Thread-safe.
ClockCalibration CalibrateHostClock();

// The counter frequency found by CalibrateHostClock(), in Hz (for reports).
uint64_t HostCounterHz();

// mult/shift for a counter of `hz` with deltas up to `max_seconds`, the
// largest shift whose mult fits 32 bits and whose product fits 64 bits.
// Exposed for tests.
void ComputeMultShift(uint64_t hz, uint32_t max_seconds, uint32_t* mult, uint32_t* shift);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_HOST_CLOCK_H_

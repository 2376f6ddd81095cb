// File: lib/trace/host_clock.cc
// Host counter and its calibration against CLOCK_BOOTTIME.
#include "trace/host_clock.h"

#include <time.h>

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace pkvm::trace {

namespace {

uint64_t BootNs() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Sample {
  uint64_t ns, cyc;
};

// (boot ns, counter) at one instant: the counter read halfway between two
// reads that bracket clock_gettime, the tightest bracket of a few tries.
Sample TakeSample() {
  Sample best{};
  uint64_t best_width = UINT64_MAX;
  for (int i = 0; i < 8; ++i) {
    const uint64_t c0 = HostCounter();
    const uint64_t ns = BootNs();
    const uint64_t c1 = HostCounter();
    if (c1 - c0 < best_width) {
      best_width = c1 - c0;
      best = Sample{ns, c0 + (c1 - c0) / 2};
    }
  }
  return best;
}

struct Calibrated {
  ClockCalibration cal;
  uint64_t hz;
};

Calibrated Calibrate() {
#if defined(__x86_64__)
  // The TSC rate is not architecturally visible: measure it over 2 ms
  // (about 20 ppm with a ~40 ns sampling bracket).
  const Sample s0 = TakeSample();
  while (BootNs() < s0.ns + 2000000) {
  }
  const Sample s1 = TakeSample();
  __extension__ typedef unsigned __int128 u128;
  const uint64_t hz =
      static_cast<uint64_t>(static_cast<u128>(s1.cyc - s0.cyc) * 1000000000u / (s1.ns - s0.ns));
#elif defined(__aarch64__)
  uint64_t hz;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));  // the generic timer states its rate
  const Sample s1 = TakeSample();
#else
  const uint64_t hz = 1000000000u;  // steady_clock nanoseconds
  const Sample s1 = TakeSample();
#endif
  Calibrated c{};
  c.hz = hz;
  ComputeMultShift(hz, 600, &c.cal.mult, &c.cal.shift);
  c.cal.epoch_ns = s1.ns;
  c.cal.epoch_cyc = s1.cyc;
  return c;
}

const Calibrated& Cached() {
  static const Calibrated c = Calibrate();
  return c;
}

}  // namespace

uint64_t HostCounter(void*) {
#if defined(__x86_64__)
  return __rdtsc();
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
  return v;
#else
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
#endif
}

void ComputeMultShift(uint64_t hz, uint32_t max_seconds, uint32_t* mult, uint32_t* shift) {
  __extension__ typedef unsigned __int128 u128;
  if (hz == 0) hz = 1;
  const u128 max_cycles = static_cast<u128>(hz) * max_seconds;
  for (uint32_t s = 32;; --s) {
    const u128 m = ((static_cast<u128>(1000000000u) << s) + hz / 2) / hz;
    if ((m != 0 && m <= UINT32_MAX && max_cycles * m <= UINT64_MAX) || s == 0) {
      *mult = static_cast<uint32_t>(m > UINT32_MAX ? UINT32_MAX : m);
      *shift = s;
      return;
    }
  }
}

ClockCalibration CalibrateHostClock() { return Cached().cal; }

uint64_t HostCounterHz() { return Cached().hz; }

}  // namespace pkvm::trace

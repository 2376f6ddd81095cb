// File: test/fuzz/hvc_fuzz.cc
// Fuzz target for what the host can throw at the hypervisor on the native
// backend: host hypercalls (any function id, pKVM's own and the module's),
// SMCs, and host exceptions injected into the modules' handler chains, with
// arbitrary registers on either CPU of a booted machine with a module. Every
// call ends in a Status or a result; the machine never takes the process
// down.
//
// Input: records of 66 bytes -- kind, cpu, then x0..x7 (little endian).
// kind & 3: 0 HVC, 1 SMC, 2 host permission fault (esr = x0, addr = x1),
// 3 host trap (esr = x0); kind & 4: x0 becomes a pKVM host hypercall id
// (0xc6000000 | x0 & 0xff). The module (test/modules/probe) is asked only
// for what it does with values rather than addresses: its handlers
// registered, their results set, counters read.
//
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON): hvc_fuzz -max_total_time=60 DIR
//  * plain program (every build): each seed, and with --mutate=N also N
//    deterministic mutations (bit flips, boundary register values, record
//    splices). ctest runs it over test/fuzz/seeds/hvc.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "pkvm/hypervisor.h"
#include "seed_driver.h"

PKVM_DECLARE_NATIVE_MODULE(probe_a15);

namespace {

constexpr size_t kRecord = 66;
constexpr uint64_t kProbeHvc = 0xC6000080;

struct Stats {
  uint64_t inputs = 0, calls = 0, ok = 0, panicked = 0;
} stats;

uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

// The probe operations that take values, not addresses (probe.h): handler
// registration (1..8), results and counters (12..18, 24).
uint64_t SafeProbeOp(uint64_t op) {
  static const uint64_t kOps[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17, 18, 24};
  for (uint64_t o : kOps)
    if (op == o) return op;
  return kOps[op % std::size(kOps)];
}

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  auto hv = pkvm::fuzz::BootedMachine("probe", PKVM_NATIVE_MODULE(probe_a15));
  pkvm::Hypervisor& m = *hv;
  for (size_t at = 0; at + kRecord <= size && at < 64 * kRecord; at += kRecord) {
    const uint8_t kind = data[at];
    const int cpu = data[at + 1] % 2;
    user_pt_regs r{};
    for (int i = 0; i < 8; ++i) r.regs[i] = Get64(data + at + 2 + 8 * i);
    if (kind & 4) r.regs[0] = 0xC6000000u | (r.regs[0] & 0xff);
    if (static_cast<uint32_t>(r.regs[0]) == kProbeHvc) r.regs[1] = SafeProbeOp(r.regs[1]);
    ++stats.calls;
    bool ok = false;
    switch (kind & 3) {
      case 0: ok = m.HostHvc(r, cpu).ok(); break;
      case 1: ok = m.HostSmc(r, cpu).ok(); break;
      case 2: ok = m.InjectHostPermFault(r.regs[0], r.regs[1], cpu).ok(); break;
      case 3: ok = m.InjectHostTrap(r.regs[0], cpu).ok(); break;
    }
    if (ok) ++stats.ok;
    if (m.state() == pkvm::MachineState::kPanicked) {
      ++stats.panicked;
      break;
    }
  }
}

void Put64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  if (off + 8 <= b.size()) std::memcpy(b.data() + off, &v, 8);
}

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  static const uint64_t kValues[] = {0,          1,          2,          0xff,       0x1000,
                                     0x40000000, 0x40001000, 0x43fff000, 0x44000000, 0xffffffff,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
                                     0xC6000080, 0x84000000, 0x82000001, 0x96000046};
  std::mt19937_64 rng(0x4fc ^ salt);
  for (int i = 0; i < rounds; ++i) {
    std::vector<uint8_t> b = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t records = b.size() / kRecord;
      switch (rng() % 5) {
        case 0:
          if (!b.empty()) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:  // a register to a boundary value
          if (records > 0)
            Put64(b, (rng() % records) * kRecord + 2 + 8 * (rng() % 8), kValues[rng() % std::size(kValues)]);
          break;
        case 2:  // a small register value
          if (records > 0) Put64(b, (rng() % records) * kRecord + 2 + 8 * (rng() % 8), rng() % 64);
          break;
        case 3:  // kind or cpu
          if (records > 0) b[(rng() % records) * kRecord + rng() % 2] = static_cast<uint8_t>(rng());
          break;
        case 4:  // repeat a record
          if (records > 0 && records < 64) {
            const size_t from = (rng() % records) * kRecord;
            std::vector<uint8_t> rec(b.begin() + static_cast<std::ptrdiff_t>(from),
                                     b.begin() + static_cast<std::ptrdiff_t>(from + kRecord));
            b.insert(b.begin() + static_cast<std::ptrdiff_t>((rng() % (records + 1)) * kRecord),
                     rec.begin(), rec.end());
          }
          break;
      }
    }
    RunOne(b.data(), b.size());
  }
}

std::string Summary() {
  return std::to_string(stats.calls) + " calls, " + std::to_string(stats.ok) + " succeeded, " + std::to_string(stats.panicked) + " panicked";
}
bool Exercised() { return stats.ok > 0; }

}  // namespace

PKVM_FUZZ_TARGET("hvc_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)

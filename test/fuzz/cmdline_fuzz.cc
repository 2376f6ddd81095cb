// File: test/fuzz/cmdline_fuzz.cc
// Fuzz target for the kernel command line through the public API: every
// string given as HypervisorOptions::cmdline ends in Create() failing with a
// Status or a machine that boots (with a module the line may name) -- no
// crash, no hang, no unbounded boot log.
//
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON): cmdline_fuzz -max_total_time=60 DIR
//  * plain program (every build): each seed file, and with --mutate=N also N
//    deterministic mutations of each (byte edits and splices of the
//    parameters libpkvm reads). ctest runs it over test/fuzz/seeds/cmdline.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "pkvm/hypervisor.h"
#include "seed_driver.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

namespace {

struct Stats {
  uint64_t inputs = 0, created = 0, booted = 0;
} stats;

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  pkvm::HypervisorOptions o;
  o.ram_size = 16ull << 20;
  o.cmdline.assign(reinterpret_cast<const char*>(data), size);
  auto hv = pkvm::Hypervisor::Create(o);
  if (!hv.ok()) return;
  ++stats.created;
  if (!(*hv)->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).ok()) std::abort();
  const pkvm::Status boot = (*hv)->Boot();
  if (boot.ok()) ++stats.booted;
  // The boot log stays proportionate to the line (no echo per repetition).
  if ((*hv)->boot_log().size() > 64 * 1024 + 8 * size) std::abort();
}

constexpr const char* kWords[] = {
    "kvm-arm.protected_modules=", "pkvm_driver", "pkvm-driver", "hyp_event=", "pkvm_driver_event",
    "hyp_trace_printk=", "hyp_ftrace_filter=", "pkvm_driver.", "=", ",", " ", "\"", "--", "on",
    "off", "0", "1", "kvm-arm.mode=protected", "hyp_event=*", "__hyp_printk"};

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  pkvm::fuzz::RunTextMutations(seed, rounds, 0xc3d ^ salt, kWords, RunOne);
}

std::string Summary() {
  return std::to_string(stats.created) + " created, " + std::to_string(stats.booted) + " booted";
}
bool Exercised() { return stats.booted > 0; }

}  // namespace

PKVM_FUZZ_TARGET("cmdline_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)

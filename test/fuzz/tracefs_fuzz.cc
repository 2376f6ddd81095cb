// File: test/fuzz/tracefs_fuzz.cc
// Fuzz target for tracefs on a booted machine: the input is lines
// "PATH VALUE" written with Hypervisor::TracefsWrite() (and PATH read back
// with TracefsRead()), with a module hypercall that emits an event after
// each line and the trace read at the end. Every call ends in a Status.
//
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON): tracefs_fuzz -max_total_time=60 DIR
//  * plain program (every build): each seed, and with --mutate=N also N
//    deterministic mutations (byte edits, splices of tracefs paths and
//    values). ctest runs it over test/fuzz/seeds/tracefs.
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
  uint64_t inputs = 0, writes = 0, accepted = 0;
} stats;

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  auto hv = pkvm::fuzz::BootedMachine("pkvm_driver", PKVM_NATIVE_MODULE(pkvm_driver_a15));
  pkvm::Hypervisor& m = *hv;
  const std::string in(reinterpret_cast<const char*>(data), size);
  size_t lines = 0;
  for (size_t at = 0; at < in.size() && lines < 64; ++lines) {
    size_t end = in.find('\n', at);
    if (end == std::string::npos) end = in.size();
    const std::string line = in.substr(at, end - at);
    at = end + 1;
    const size_t sp = line.find(' ');
    const std::string path = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    ++stats.writes;
    if (m.TracefsWrite(path, value).ok()) ++stats.accepted;
    (void)m.TracefsRead(path);
    (void)m.HostHvc(0xC6000080, {lines}, static_cast<int>(lines % 2));
  }
  (void)m.TracefsRead("hyp/trace");
  (void)m.TracefsRead("hypervisor/trace");
}

constexpr const char* kWords[] = {
    "hyp/", "hypervisor/", "tracing_on ", "buffer_size_kb ", "trace_clock ", "trace ",
    "events/pkvm_driver_event/enable ", "events/hypervisor/__hyp_printk/enable ",
    "events/enable ", "set_ftrace_filter ", "set_ftrace_notrace ", "per_cpu/cpu0/trace ",
    "per_cpu/cpu1/trace_pipe_raw ", "trace_pipe ", "format ", "id ", "header_page ",
    "remotes/hypervisor/", "1\n", "0\n", "4294967296\n", "-1\n", "boot\n", "*\n", "!\n", "\n"};

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  pkvm::fuzz::RunTextMutations(seed, rounds, 0x7f5 ^ salt, kWords, RunOne);
}

std::string Summary() {
  return std::to_string(stats.writes) + " writes, " + std::to_string(stats.accepted) + " accepted";
}
bool Exercised() { return stats.accepted > 0; }

}  // namespace

PKVM_FUZZ_TARGET("tracefs_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)

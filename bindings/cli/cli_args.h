// File: bindings/cli/cli_args.h -- parsing of `pkvm run` arguments.
#ifndef PKVM_CLI_ARGS_H_
#define PKVM_CLI_ARGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pkvm/hypervisor.h"

namespace pkvm::cli {

// One --hvc or --smc: issued from the host after boot, in command-line order.
struct HvcRequest {
  std::string text;           // as given, for messages
  uint64_t function_id = 0;   // full SMCCC function id
  std::vector<uint64_t> args; // x1..
  bool smc = false;           // an SMC (host SMC handlers, then EL3) instead of an HVC
  int cpu = 0;                // the CPU it is issued on (--cpu before it)
};

struct RunOptions {
  HypervisorOptions machine;
  std::vector<std::string> modules;
  std::vector<HvcRequest> hvcs;
  // Tracing: tracefs writes applied after boot, before the HVCs (in order);
  // trace_pipe printed after the HVCs; the whole tree dumped to a directory.
  std::vector<std::pair<std::string, std::string>> tracefs_writes;
  bool print_trace = false;
  std::string tracefs_dump;
  // Traces for standard tools, written from the same events as the dump.
  std::string trace_dat, perfetto;
  // The machine's device tree: a blob, or a source for dtc.
  std::string dtb, dts;
  // Print every tracefs file after boot.
  bool list_tracefs = false;
  // Print x0..x17 after each call, not only x0 and the registers it changed.
  bool verbose = false;
};

// Parses `ID[:ARG]...`: ID is a decimal host hypercall number (e.g. 128 ->
// 0xC6000080) or a 0x-prefixed full function id; ARGs are decimal (optionally
// negative) or 0x-hex 64-bit values.
bool ParseHvc(const std::string& text, HvcRequest* out, std::string* error);
// Parses `ID[:ARG]...` of --smc: ID is a 32-bit SMCCC function id, decimal or
// 0x-hex (e.g. 0x84000000 PSCI_VERSION); ARGs as for --hvc.
bool ParseSmc(const std::string& text, HvcRequest* out, std::string* error);
// Parses everything after `pkvm run`. On error returns false with a message.
bool ParseRunArgs(const std::vector<std::string>& args, RunOptions* out, std::string* error);

}  // namespace pkvm::cli

#endif  // PKVM_CLI_ARGS_H_

// File: bindings/cli/cli_args.h -- parsing of `pkvm run` arguments.
#ifndef PKVM_CLI_ARGS_H_
#define PKVM_CLI_ARGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pkvm/hypervisor.h"

namespace pkvm::cli {

struct HvcRequest {
  std::string text;           // as given, for messages
  uint64_t function_id = 0;   // full SMCCC function id
  std::vector<uint64_t> args; // x1..
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
  // The machine's device tree (uart slice): a blob, or a source for dtc.
  std::string dtb, dts;
};

// Parses `ID[:ARG]...`: ID is a decimal host hypercall number (e.g. 128 ->
// 0xC6000080) or a 0x-prefixed full function id; ARGs are decimal (optionally
// negative) or 0x-hex 64-bit values.
bool ParseHvc(const std::string& text, HvcRequest* out, std::string* error);
// Parses everything after `pkvm run`. On error returns false with a message.
bool ParseRunArgs(const std::vector<std::string>& args, RunOptions* out, std::string* error);

}  // namespace pkvm::cli

#endif  // PKVM_CLI_ARGS_H_

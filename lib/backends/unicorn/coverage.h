// File: lib/backends/unicorn/coverage.h
// Coverage of module code on the Unicorn backend: every basic block the
// CPUs run (UC_HOOK_BLOCK) is counted; at the end the blocks inside each
// module's sections are matched with the DWARF line table of its .ko into
// an lcov tracefile, and written as drcov basic blocks. Internal API.
#ifndef PKVM_LIB_BACKENDS_UNICORN_COVERAGE_H_
#define PKVM_LIB_BACKENDS_UNICORN_COVERAGE_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "backends/unicorn/unicorn_debug.h"
#include "debug/coverage_files.h"

namespace pkvm {

class Coverage {
 public:
  // From the CPUs' block hooks (EL1 and EL2 addresses do not overlap).
  void Block(uint64_t addr, uint32_t size) {
    Count& c = blocks_[addr];
    ++c.hits;
    c.size = size;
  }
  // A module's sections; a later call for the same name replaces them.
  void AddModule(const DebugModule& mod);
  // Line counts of every module's source files (modules without a line
  // table are skipped with a NotFound status kept for the caller).
  absl::Status LineCounts(debug::LineCounts* out) const;
  absl::Status WriteLcov(const std::string& path) const;
  absl::Status WriteDrcov(const std::string& path) const;

 private:
  struct Count {
    uint64_t hits = 0;
    uint32_t size = 0;
  };
  std::unordered_map<uint64_t, Count> blocks_;
  std::vector<DebugModule> modules_;
};

}  // namespace pkvm

#endif  // PKVM_LIB_BACKENDS_UNICORN_COVERAGE_H_

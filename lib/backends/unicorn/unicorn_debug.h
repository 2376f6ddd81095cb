// File: lib/backends/unicorn/unicorn_debug.h
// The debugging aids of a Unicorn machine (docs/debugging.md): the gdb stub
// (HypervisorOptions::gdb_port) and coverage of module code
// (HypervisorOptions::coverage_lcov / coverage_drcov). The backend creates
// one when any of them is asked for and tells it about loaded modules,
// panics and the machine's end; everything else happens in the CPUs' hooks
// installed here. Internal API.
#ifndef PKVM_LIB_BACKENDS_UNICORN_UNICORN_DEBUG_H_
#define PKVM_LIB_BACKENDS_UNICORN_UNICORN_DEBUG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pkvm {
namespace arm64 {
class UnicornCpu;
struct CpuFault;
}  // namespace arm64

class GdbStub;
class Coverage;

// Where a loaded module's sections are, as a debugger or a coverage report
// needs them: each section of the .ko at the address the code runs at (EL1
// sections at their kernel address, .hyp.* sections at their hyp VA).
struct DebugModule {
  std::string name;
  std::string path;  // the .ko file
  struct Section {
    std::string name;
    uint64_t addr = 0;
    uint64_t size = 0;
    bool el2 = false;
  };
  std::vector<Section> sections;
};

// gdb's command that loads the module's symbols at those addresses:
// "add-symbol-file PATH -s .text 0x... -s .hyp.text 0x... ...".
std::string AddSymbolFileCommand(const DebugModule& mod);

class UnicornDebug {
 public:
  struct Options {
    int gdb_port = -1;  // -1: no stub; 0: any free port
    std::string coverage_lcov, coverage_drcov;  // "": not written
  };
  // What the machine provides.
  struct Machine {
    arm64::UnicornCpu* el1 = nullptr;  // gdb thread 1
    arm64::UnicornCpu* el2 = nullptr;  // gdb thread 2
    // Host memory behind `addr` as CPU `thread` sees it (nullptr: nothing).
    std::function<void*(int thread, uint64_t addr)> host_pointer;
    // The machine has booted: the debugger attaches at the next instruction.
    std::function<bool()> booted;
    // `kill` from the debugger, while CPU `thread` is stopped in its hook.
    std::function<void(int thread)> kill;
    std::function<void(const std::string&)> log;  // a boot log line
  };
  static absl::StatusOr<std::unique_ptr<UnicornDebug>> Create(const Options& options, Machine machine);
  // Tells the debugger the program exited and writes the coverage files.
  ~UnicornDebug();

  // A module's sections are in place (its EL2 part at its hyp VA).
  void ModuleLoaded(DebugModule mod);
  // The machine panicked while CPU `thread` ran; `fault` (may be null) has
  // the registers at the fault.
  void Panicked(int thread, const std::string& report, const arm64::CpuFault* fault);
  // Writes the coverage files now (also done at destruction).
  absl::Status WriteCoverage();

  struct Impl;

 private:
  explicit UnicornDebug(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pkvm

#endif  // PKVM_LIB_BACKENDS_UNICORN_UNICORN_DEBUG_H_

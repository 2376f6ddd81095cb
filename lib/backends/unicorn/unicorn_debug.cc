// File: lib/backends/unicorn/unicorn_debug.cc -- see unicorn_debug.h.
#include "backends/unicorn/unicorn_debug.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/ascii.h"
#include "backends/unicorn/coverage.h"
#include "backends/unicorn/gdbstub.h"
#include "unicorn_cpu.h"

namespace pkvm {

using arm64::CpuFault;
using arm64::UnicornCpu;

std::string AddSymbolFileCommand(const DebugModule& mod) {
  std::string out = absl::StrCat("add-symbol-file ", mod.path.empty() ? mod.name + ".ko" : mod.path);
  for (const DebugModule::Section& s : mod.sections)
    absl::StrAppendFormat(&out, " -s %s %#x", s.name, s.addr);
  return out;
}

struct UnicornDebug::Impl : GdbTarget {
  Options opts;
  Machine m;
  std::unique_ptr<GdbStub> stub;
  std::unique_ptr<Coverage> coverage;
  std::vector<DebugModule> modules;
  // The registers of a CPU that faulted: the CPU itself has moved on (its
  // Call() ended), the debugger shows where it stopped.
  std::optional<CpuFault> frozen[3];
  bool panic_reported = false;
  bool coverage_written = false;

  UnicornCpu& Cpu(int thread) const { return thread == 2 ? *m.el2 : *m.el1; }

  void OnInstruction(int thread, uint64_t pc) {
    if (!stub->attached()) {
      if (!m.booted()) return;  // the debugger comes in after boot (boot log: add-symbol-file)
      stub->Attach(thread);
      return;
    }
    stub->OnInstruction(thread, pc);
  }

  // ---- GdbTarget ----
  int threads() const override { return 2; }
  std::string ThreadName(int thread) override { return thread == 2 ? "EL2 CPU" : "EL1 CPU"; }
  uint64_t ReadRegister(int thread, int reg) override {
    if (const auto& f = frozen[thread]; f.has_value() && reg <= kPc)
      return reg < 31 ? f->x[reg] : reg == kSp ? f->sp : f->pc;
    const uint64_t v = Cpu(thread).ReadReg(reg);
    // gdb's cpsr is PSTATE's low 32 bits (NZCV, DAIF, M[3:0]: EL and SP).
    return reg == kCpsr ? static_cast<uint32_t>(v) : v;
  }
  void WriteRegister(int thread, int reg, uint64_t value) override {
    if (auto& f = frozen[thread]; f.has_value() && reg <= kPc) {
      (reg < 31 ? f->x[reg] : reg == kSp ? f->sp : f->pc) = value;
      return;
    }
    Cpu(thread).WriteReg(reg, value);
  }
  // Page by page: consecutive guest pages need not be consecutive on the host.
  template <typename F>
  size_t Access(int thread, uint64_t addr, size_t n, F&& copy) {
    size_t done = 0;
    while (done < n) {
      const uint64_t a = addr + done;
      if (a < addr) break;  // wrapped
      const size_t chunk = std::min<uint64_t>(n - done, 4096 - (a & 4095));
      auto* host = static_cast<uint8_t*>(m.host_pointer(thread, a));
      if (host == nullptr) break;
      copy(host, done, chunk);
      done += chunk;
    }
    return done;
  }
  size_t ReadMemory(int thread, uint64_t addr, uint8_t* out, size_t n) override {
    return Access(thread, addr, n, [&](uint8_t* host, size_t off, size_t len) {
      std::memcpy(out + off, host, len);
    });
  }
  bool WriteMemory(int thread, uint64_t addr, const uint8_t* in, size_t n) override {
    const size_t done = Access(thread, addr, n, [&](uint8_t* host, size_t off, size_t len) {
      std::memcpy(host, in + off, len);
    });
    // It may have been code (both CPUs share the memory).
    m.el1->InvalidateCode(addr & ~uint64_t{4095}, (done + 8191) & ~uint64_t{4095});
    m.el2->InvalidateCode(addr & ~uint64_t{4095}, (done + 8191) & ~uint64_t{4095});
    return done == n;
  }
  std::string Monitor(const std::string& command) override {
    const absl::string_view cmd = absl::StripAsciiWhitespace(command);
    if (cmd == "modules") {
      std::string out;
      for (const DebugModule& mod : modules) absl::StrAppend(&out, AddSymbolFileCommand(mod), "\n");
      return out.empty() ? "no modules loaded\n" : out;
    }
    return "monitor commands:\n  modules  the add-symbol-file command of every loaded module\n";
  }
  void Kill() override { m.kill(stub_thread); }
  int stub_thread = 1;  // the CPU whose hook is serving the debugger
};

UnicornDebug::UnicornDebug(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<UnicornDebug>> UnicornDebug::Create(const Options& options,
                                                                   Machine machine) {
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  impl->m = std::move(machine);
  Impl* p = impl.get();
  if (options.gdb_port >= 0) {
    auto stub = GdbStub::Listen(options.gdb_port, *p);
    if (!stub.ok()) return stub.status();
    impl->stub = std::move(stub).value();
    for (int thread : {1, 2}) {
      absl::Status s = p->Cpu(thread).SetInstructionHook([p, thread](uint64_t pc) {
        p->stub_thread = thread;
        p->OnInstruction(thread, pc);
      });
      if (!s.ok()) return s;
    }
    impl->m.log(absl::StrFormat(
        "gdb: listening on 127.0.0.1:%d (threads: 1 = EL1 CPU, 2 = EL2 CPU); the machine waits "
        "for gdb before its first instruction after boot",
        impl->stub->port()));
  }
  if (!options.coverage_lcov.empty() || !options.coverage_drcov.empty()) {
    impl->coverage = std::make_unique<Coverage>();
    for (int thread : {1, 2}) {
      absl::Status s = p->Cpu(thread).SetBlockHook(
          [p](uint64_t addr, uint32_t size) { p->coverage->Block(addr, size); });
      if (!s.ok()) return s;
    }
  }
  return std::unique_ptr<UnicornDebug>(new UnicornDebug(std::move(impl)));
}

UnicornDebug::~UnicornDebug() {
  if (impl_->stub != nullptr) impl_->stub->OnExit(impl_->panic_reported);
  // The machine is going away (no boot log to add to): say it where a person sees it.
  if (absl::Status s = WriteCoverage(); !s.ok())
    std::fprintf(stderr, "pkvm: coverage: %s\n", std::string(s.message()).c_str());
}

void UnicornDebug::ModuleLoaded(DebugModule mod) {
  if (impl_->stub != nullptr) impl_->m.log(absl::StrCat("gdb: ", AddSymbolFileCommand(mod)));
  if (impl_->coverage != nullptr) impl_->coverage->AddModule(mod);
  auto& mods = impl_->modules;
  mods.erase(std::remove_if(mods.begin(), mods.end(), [&](const DebugModule& d) { return d.name == mod.name; }),
             mods.end());
  mods.push_back(std::move(mod));
}

void UnicornDebug::Panicked(int thread, const std::string& report, const CpuFault* fault) {
  if (impl_->panic_reported) return;
  impl_->panic_reported = true;
  if (impl_->stub == nullptr) return;
  if (fault != nullptr) impl_->frozen[thread] = *fault;
  impl_->stub->OnPanic(thread, report);
  impl_->frozen[thread].reset();
}

absl::Status UnicornDebug::WriteCoverage() {
  if (impl_->coverage == nullptr || impl_->coverage_written) return absl::OkStatus();
  impl_->coverage_written = true;
  if (!impl_->opts.coverage_lcov.empty()) {
    if (absl::Status s = impl_->coverage->WriteLcov(impl_->opts.coverage_lcov); !s.ok()) return s;
  }
  if (!impl_->opts.coverage_drcov.empty()) return impl_->coverage->WriteDrcov(impl_->opts.coverage_drcov);
  return absl::OkStatus();
}

}  // namespace pkvm

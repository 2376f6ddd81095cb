// File: lib/backends/native/native_backend.cc
// The native backend (docs/native-backend.md): module code is compiled for
// the host and loaded with dlopen(); EL1 code is called directly, EL2 code
// through the module page map (a hyp VA resolves to the host address of its
// text), and a hyp VA of the linear map is a host pointer. A fault in module
// code is the process's own; a BUG() unwinds to the guarded call.
#include <array>
#include <cerrno>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "backends/native/fault_guard.h"
#include "backends/native/native_module.h"
#include "host/module_loader.h"
#include "host/module_param.h"
#include "machine.h"
#include "status_internal.h"

namespace pkvm {
namespace {

using internal::ErrnoError;

// EL2 code compiled for the host, called with its arguments as integer
// registers. On AArch64 (AAPCS64) and x86-64 (SysV) every argument kind the
// hypervisor passes -- pointers, integers, bool, enums -- travels in an
// integer register widened to 64 bits, and the result comes back in x0/rax,
// so a call through uint64_t(*)(uint64_t...) of the right arity is the call
// of the C signature; Hypervisor::Impl::CallEl2 narrows the result.
template <size_t>
using Reg = uint64_t;

template <size_t... I>
uint64_t CallArity(uint64_t fn, const uint64_t* a, std::index_sequence<I...>) {
  using Fn = uint64_t (*)(Reg<I>...);
  return reinterpret_cast<Fn>(fn)(a[I]...);
}

using Trampoline = uint64_t (*)(uint64_t fn, const uint64_t* args);

template <size_t... N>
constexpr std::array<Trampoline, sizeof...(N)> MakeTrampolines(std::index_sequence<N...>) {
  return {+[](uint64_t fn, const uint64_t* a) {
    return CallArity(fn, a, std::make_index_sequence<N>());
  }...};
}

constexpr auto kTrampolines = MakeTrampolines(std::make_index_sequence<9>());  // 0..8 arguments

class NativeBackend final : public Backend {
 public:
  explicit NativeBackend(Hypervisor::Impl& m) : m_(m) {}

  absl::StatusOr<std::string> OfferModuleFile(const std::string& path, bool ko) override {
    if (ko)
      return ErrnoError(ENOEXEC, absl::StrCat(path, " is an AArch64 module (.ko): run it on the "
                                                    "unicorn backend (--backend unicorn), or offer "
                                                    "the native NAME.so"));
    return internal::OfferNativeModuleFile(m_, path);
  }

  absl::Status OfferNativeModule(const pkvm_native_module& d, const std::string& name,
                                 std::shared_ptr<void> dl_handle,
                                 const std::string& path) override {
    if (absl::Status s = internal::CheckOfferable(m_, name); !s.ok()) return s;
    m_.offered.push_back(OfferedModule{name, &d, std::move(dl_handle), path});
    m_.offered.back().depends = internal::SplitDepends(d.depends);
    return absl::OkStatus();
  }

  absl::StatusOr<int> LoadModule(const OfferedModule& mod) override {
    if (mod.desc == nullptr)
      return ErrnoError(ENOEXEC, absl::StrCat(mod.path, ": not a native module"));
    const pkvm_native_module& d = *mod.desc;
    // A module file has this machine's own image, fresh from dlopen();
    // a module linked into the program is shared and needs resetting.
    if (mod.dl_handle == nullptr) internal::ResetNativeModuleImage(d);
    internal::PrepareNativeModule(m_, d);  // the arm64 loader's module_init_hyp
    // module_param() values from the command line, before module_init.
    if (absl::Status s = internal::ApplyNativeModuleParams(m_, d); !s.ok()) return s;
    int rc = 0;
    if (d.init != nullptr && *d.init != nullptr) {
      ScopedContext scope(&m_, 0, ExceptionLevel::kEl1);
      m_.loading = &d;
      const bool ok = RunGuarded([&] { rc = (*d.init)(); });
      m_.loading = nullptr;
      if (!ok)
        return ErrnoError(EIO, absl::StrCat("module ", mod.name, " panicked during init: ",
                                            m_.PanicHeadline()));
    }
    return rc;
  }

  bool CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret) override {
    if (args.size() >= kTrampolines.size()) return false;
    const uint64_t host = m_.ResolveEl2CodeOrPanic(addr, cpu);
    if (host == 0) return false;
    const Trampoline call = kTrampolines[args.size()];
    const uint64_t* a = args.data();
    ScopedContext scope(&m_, cpu, ExceptionLevel::kEl2);
    // On the hyp stack, with faults and runaway code contained.
    return native::RunEl2(m_, cpu, [&] { *ret = call(host, a); });
  }

  // Native EL1 code's hypercalls are C++ calls into the dispatcher.
  user_pt_regs HostHvc(const user_pt_regs& in, int cpu) override { return m_.HostHvc(in, cpu); }

  // EL2 code is host code: its pointers are host pointers.
  uint64_t HostToEl2(const void* p, uint64_t) override { return reinterpret_cast<uint64_t>(p); }
  const void* El2ToHost(uint64_t va) override { return reinterpret_cast<const void*>(va); }
  uint64_t PhysToEl2(uint64_t, const void* host) override {
    return reinterpret_cast<uint64_t>(host);
  }
  // Native "pfns" are host page numbers of the module image
  // (docs/native-backend.md).
  uint64_t ModulePageHost(uint64_t pfn) override { return pfn * kPageSize; }

  // The module page map is all there is: nothing else to drop.
  void HypPageUnmapped(uint64_t) override {}
  bool WantsChangedRam() const override { return false; }
  void Restored(std::span<const std::pair<uint64_t, uint64_t>>) override {}

 private:
  Hypervisor::Impl& m_;
};

absl::StatusOr<std::unique_ptr<Backend>> Create(Hypervisor::Impl& m) {
  // The debugging aids watch emulated CPUs (docs/debugging.md).
  if (m.opts.gdb_port >= 0)
    return ErrnoError(EINVAL, "the gdb stub needs --backend unicorn (native module code is host "
                              "code: debug it with the host's gdb)");
  if (!m.opts.coverage_lcov.empty() || !m.opts.coverage_drcov.empty())
    return ErrnoError(EINVAL, "coverage files need --backend unicorn; natively, build the module "
                              "with pkvm_add_module(... COVERAGE) and read it with gcov/lcov");
  return std::unique_ptr<Backend>(std::make_unique<NativeBackend>(m));
}

[[maybe_unused]] const bool kRegistered = RegisterBackend(BackendKind::kNative, &Create);

}  // namespace
}  // namespace pkvm

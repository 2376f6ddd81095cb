// File: lib/backends/unicorn/unicorn_backend.h
// The Unicorn backend of one simulated machine (docs/backends.md): modules
// built for AArch64 (.ko) are linked into the machine's RAM like the arm64
// kernel's module loader does, their EL1 code runs on an EL1 Unicorn CPU and
// issues real `hvc` instructions, and EL2 code runs on an EL2 Unicorn CPU
// that sees what the hypervisor mapped:
//
//   EL1 CPU  RAM at its physical address (the kernel's linear map, VA == PA)
//   EL2 CPU  module pages at the hyp VAs __pkvm_map_module_page gave them,
//            with their permissions (text R-X, rodata R, data/bss RW);
//            RAM and device pages in the hyp linear map, at their physical
//            address + kUcHypLinearOffset as on a device (a physical address
//            used as a pointer faults), mapped on first touch;
//            the pkvm_module_ops table and host structures the hypervisor
//            hands to EL2 code (kvm_cpu_context, trace pages) in a window.
//
// Both CPUs share the same host memory (uc_mem_map_ptr), so the hypervisor's
// C++ code reads and writes what guest code sees. EL2 code reaches C++
// through trampolines (`brk` host calls): every pkvm_module_ops member is one,
// with its arguments translated by the member's C type (data pointers from
// EL2 addresses to host pointers and back, function pointers kept as EL2
// addresses). Every fault is a hyp panic with a report; a watchdog stops a
// runaway call. Only lib/backends/unicorn/ includes this header: the rest of
// the library sees the Backend interface (lib/backends/backend.h).
#ifndef PKVM_LIB_UNICORN_UNICORN_BACKEND_H_
#define PKVM_LIB_UNICORN_UNICORN_BACKEND_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "machine.h"

namespace pkvm::arm64 {
class UnicornCpu;  // unicorn_cpu.h
}  // namespace pkvm::arm64

namespace pkvm {

// Guest address layout of the Unicorn backend.
inline constexpr uint64_t kUcEl1PrivateBase = 0x3f000000;  // EL1 trampolines + stack, below RAM
inline constexpr uint64_t kUcEl2PrivateBase = kModuleVaBase - (16ull << 20);  // BL range of modules
inline constexpr uint64_t kUcWindowBase = kModuleVaEnd + (1ull << 30);       // host structures at EL2
inline constexpr uint64_t kUcWindowEnd = kUcWindowBase + (64ull << 30);
// The hyp linear map: hyp_va(phys) = phys + this. In the upper half of the
// EL2 CPU's 44-bit range, above the module VAs and the window, so no
// physical address (RAM from 1 GiB, up to 64 GiB of it) is a valid hyp VA.
inline constexpr uint64_t kUcHypLinearOffset = 0x00000a0000000000ull;  // 10 TiB

class UnicornBackend final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<UnicornBackend>> Create(Hypervisor::Impl& m);
  ~UnicornBackend() override;
  UnicornBackend(const UnicornBackend&) = delete;
  UnicornBackend& operator=(const UnicornBackend&) = delete;

  // Module images: the AArch64 .ko, also for a native descriptor (the
  // build its ko_path names).
  absl::StatusOr<std::string> OfferModuleFile(const std::string& path, bool ko) override;
  absl::Status OfferNativeModule(const pkvm_native_module& d, const std::string& name,
                                 std::shared_ptr<void> dl_handle, const std::string& path) override;
  // The arm64 loader: links the .ko into kernel memory, fills
  // THIS_MODULE->arch.hyp and runs module_init at EL1 on CPU 0.
  absl::StatusOr<int> LoadModule(const OfferedModule& mod) override;

  // Runs EL2 code on the EL2 CPU; a fault or the watchdog is a hyp panic.
  bool CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret) override;
  // The host issues `hvc #0` at EL1 on `cpu` from a stub in kernel memory
  // (what kvm_call_hyp does).
  user_pt_regs HostHvc(const user_pt_regs& in, int cpu) override;

  // RAM and device memory in the hyp linear map (PA + kUcHypLinearOffset),
  // the machine's own objects (ops table, CPU state) through the window
  // for its life, other host objects [p, p + size) through the window until
  // the current call returns; hyp VAs handed out as pointers stay what they
  // are. 0 for nullptr.
  uint64_t HostToEl2(const void* p, uint64_t size) override;
  // The host memory behind EL2 address `va`, mapping it if the hypervisor
  // would have it mapped.
  const void* El2ToHost(uint64_t va) override;
  // The hyp linear map: hyp_va(phys) == phys + kUcHypLinearOffset.
  uint64_t PhysToEl2(uint64_t phys, const void* host) override;
  // Module pages are RAM pages of the machine.
  uint64_t ModulePageHost(uint64_t pfn) override;
  // The EL2 CPU drops its mapping of the page.
  void HypPageUnmapped(uint64_t va) override;
  // EL2's lazily made mappings go (they come back on first touch), and
  // code cached from the changed RAM is dropped.
  bool WantsChangedRam() const override { return true; }
  void Restored(std::span<const std::pair<uint64_t, uint64_t>> changed_phys) override;

  struct Impl;

 private:
  explicit UnicornBackend(std::unique_ptr<Impl> impl);
  // Validates a .ko (parse + a trial link) and returns its module name.
  absl::StatusOr<std::string> ProbeModule(std::span<const uint8_t> ko, const std::string& path);
  absl::StatusOr<std::string> OfferKoFile(const std::string& path);
  std::unique_ptr<Impl> impl_;
};

// The EL1 host calls behind kmalloc & co. in .ko modules (glue/hostcalls.S,
// kernel_mem_hostcalls.cc).
void InstallKernelMemHostCalls(Hypervisor::Impl& m, arm64::UnicornCpu& el1);

}  // namespace pkvm

#endif  // PKVM_LIB_UNICORN_UNICORN_BACKEND_H_

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
//            RAM and device pages at their physical address (the hyp linear
//            map: hyp_va(phys) == phys), mapped on first touch;
//            the pkvm_module_ops table and host structures the hypervisor
//            hands to EL2 code (kvm_cpu_context, trace pages) in a window.
//
// Both CPUs share the same host memory (uc_mem_map_ptr), so the hypervisor's
// C++ code reads and writes what guest code sees. EL2 code reaches C++
// through trampolines (`brk` host calls): every pkvm_module_ops member is one,
// with its arguments translated by the member's C type (data pointers from
// EL2 addresses to host pointers and back, function pointers kept as EL2
// addresses). Every fault is a hyp panic with a report; a watchdog stops a
// runaway call. Only lib/ includes this header.
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
#include "machine.h"

namespace pkvm {

// Guest address layout of the Unicorn backend.
inline constexpr uint64_t kUcEl1PrivateBase = 0x3f000000;  // EL1 trampolines + stack, below RAM
inline constexpr uint64_t kUcEl2PrivateBase = kModuleVaBase - (16ull << 20);  // BL range of modules
inline constexpr uint64_t kUcWindowBase = kModuleVaEnd + (1ull << 30);       // host structures at EL2
inline constexpr uint64_t kUcWindowEnd = kUcWindowBase + (64ull << 30);

class UnicornBackend {
 public:
  static absl::StatusOr<std::unique_ptr<UnicornBackend>> Create(Hypervisor::Impl& m);
  ~UnicornBackend();
  UnicornBackend(const UnicornBackend&) = delete;
  UnicornBackend& operator=(const UnicornBackend&) = delete;

  // Validates a .ko (parse + a trial link) and returns its module name.
  absl::StatusOr<std::string> ProbeModule(std::span<const uint8_t> ko, const std::string& path);
  // The arm64 loader: links the .ko into kernel memory, fills
  // THIS_MODULE->arch.hyp and runs module_init at EL1 on CPU 0. Returns
  // module_init's result; an error status when the module cannot be loaded
  // or the machine panicked.
  absl::StatusOr<int> LoadModule(const std::string& name, std::span<const uint8_t> ko);

  // The host issues `hvc #0` at EL1 on `cpu` with this register file (what
  // kvm_call_hyp does); returns the registers after it.
  absl::StatusOr<user_pt_regs> HostHvc(const user_pt_regs& in, int cpu);
  // Runs EL2 code at `addr` with up to 8 register arguments; false when the
  // call faulted (the machine has then panicked with a report).
  bool CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret);
  // The EL2 address at which EL2 code sees host object [p, p + size) (RAM
  // and device memory at their physical address, other host objects through
  // the window -- until the current call returns, unless the object is the
  // machine's own; hyp VAs handed out as pointers stay what they are). 0 for
  // nullptr.
  uint64_t HostToEl2(const void* p, uint64_t size = 1);
  // The host memory behind EL2 address `va` (mapping it if the hypervisor
  // would have it mapped); nullptr when EL2 has nothing there.
  void* El2ToHost(uint64_t va);
  // The module page at hyp VA `va` was unmapped by the hypervisor.
  void HypPageUnmapped(uint64_t va);
  // A snapshot was restored: the hypervisor's mappings are what they were,
  // so EL2's lazily made mappings go (they come back on first touch), and
  // code cached from the physical ranges [first, end) that changed is dropped.
  void Restored(std::span<const std::pair<uint64_t, uint64_t>> changed_phys);

  struct Impl;

 private:
  explicit UnicornBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pkvm

#endif  // PKVM_LIB_UNICORN_UNICORN_BACKEND_H_

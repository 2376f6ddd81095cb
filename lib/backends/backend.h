// File: lib/backends/backend.h
// The seam between the simulated machine and what runs module code
// (docs/backends.md). Hypervisor::Impl holds one Backend and never asks
// which one it is: everything that depends on how module code runs -- the
// module image, calls into EL2 code, the host's `hvc`, what an address means
// at EL2, what a restore must drop -- is a call through this interface.
//
//   lib/backends/native/   module code compiled for the host, called directly
//   lib/backends/unicorn/  AArch64 .ko code on two Unicorn CPUs
//
// Each backend registers its factory once (RegisterBackend); the registry
// in lib/backends/backend.cc is the one place that knows which backends this
// build has. Only lib/ includes this header.
#ifndef PKVM_LIB_BACKENDS_BACKEND_H_
#define PKVM_LIB_BACKENDS_BACKEND_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkvm/hypervisor.h"

namespace pkvm {

struct OfferedModule;  // lib/machine.h

class Backend {
 public:
  virtual ~Backend() = default;

  // ---- module images ----
  // A file given to OfferModuleFile(); `ko` says whether it is an AArch64
  // relocatable ELF. Checks this backend can run it, adds it to the
  // machine's offered modules and returns the module's name.
  virtual absl::StatusOr<std::string> OfferModuleFile(const std::string& path, bool ko) = 0;
  // A native descriptor (already checked against the machine) given to
  // OfferModule(), under its normalised `name`; `dl_handle` keeps its
  // shared object loaded.
  virtual absl::Status OfferNativeModule(const pkvm_native_module& d, const std::string& name,
                                         std::shared_ptr<void> dl_handle,
                                         const std::string& path) = 0;
  // What insmod does for an offered module whose dependencies are loaded:
  // lays out its image, applies its module_param() values and runs
  // module_init at EL1 on CPU 0. Returns module_init's result; an error
  // status when the module cannot be loaded or the machine panicked.
  virtual absl::StatusOr<int> LoadModule(const OfferedModule& mod) = 0;

  // ---- running code ----
  // Calls EL2 code at `addr` (a hyp VA) on `cpu` with up to 8 integer
  // register arguments (x0..x7, in the order of the C signature); `*ret` gets
  // x0 whole, the caller narrows it to the C return type. Returns false when
  // the call faulted, BUG()ed or ran past the time limit: the machine has
  // then panicked with a report (Hypervisor::Impl::HypPanic).
  virtual bool CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret) = 0;
  // The host kernel's kvm_call_hyp on `cpu` with this register file; the
  // registers after it. A fault on the way panics the machine (the
  // registers are then `in`).
  virtual user_pt_regs HostHvc(const user_pt_regs& in, int cpu) = 0;

  // ---- addresses ----
  // The address at which EL2 code sees host object [p, p + size) (a pointer
  // argument of a call into EL2 code); 0 for nullptr or an object EL2
  // cannot see.
  virtual uint64_t HostToEl2(const void* p, uint64_t size) = 0;
  // The host memory behind an address EL2 code stored in its own data;
  // nullptr when EL2 has nothing mapped there.
  virtual const void* El2ToHost(uint64_t va) = 0;
  // The hyp VA of the hyp linear map at physical address `phys` (whose host
  // bytes are at `host`): what create_private_mapping hands back.
  virtual uint64_t PhysToEl2(uint64_t phys, const void* host) = 0;
  // The host address of page `pfn` as __pkvm_map_module_page names it; 0
  // when there is no such page.
  virtual uint64_t ModulePageHost(uint64_t pfn) = 0;

  // ---- hyp mappings ----
  // The hypervisor unmapped the module page at hyp VA `va`.
  virtual void HypPageUnmapped(uint64_t va) = 0;

  // ---- snapshots ----
  // Whether Restored() needs the RAM page ranges a restore changed
  // (finding them costs a compare of every saved page).
  virtual bool WantsChangedRam() const = 0;
  // A snapshot was restored: the hypervisor's state is what it was, RAM in
  // the physical ranges [first, end) of `changed_phys` changed.
  virtual void Restored(std::span<const std::pair<uint64_t, uint64_t>> changed_phys) = 0;
};

using BackendFactory = absl::StatusOr<std::unique_ptr<Backend>> (*)(Hypervisor::Impl& m);

// Called once per backend at load time (a namespace-scope initializer in
// the backend's folder); returns true so it can initialise a constant.
bool RegisterBackend(BackendKind kind, BackendFactory create);
// Whether this build has the backend.
bool BackendBuilt(BackendKind kind);
// The backend of HypervisorOptions::backend for machine `m`.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(Hypervisor::Impl& m, BackendKind kind);

}  // namespace pkvm

#endif  // PKVM_LIB_BACKENDS_BACKEND_H_

// File: lib/host/host.h
// The host kernel's (EL1's) view of modules: what was offered to the machine
// (the initramfs), and the EL2 modules it loaded (pkvm_el2_mod_add).
// Offering and loading are in lib/host/module_loader.{h,cc} and
// Hypervisor::Impl::LoadModule; the backend lays out the image.
#ifndef PKVM_LIB_HOST_HOST_H_
#define PKVM_LIB_HOST_HOST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pkvm/native_module.h"

namespace pkvm {

struct OfferedModule {
  std::string name;  // normalised
  const pkvm_native_module* desc = nullptr;  // native backend
  std::shared_ptr<void> dl_handle;  // set for modules loaded from a file
  std::string path;
  std::vector<uint8_t> ko;  // Unicorn backend: the AArch64 .ko
  // Modules whose exports it uses (loaded first).
  std::vector<std::string> depends;
};

// A loaded EL2 module as the host kernel keeps it (pkvm_el2_mod_add).
struct LoadedModule {
  std::string name;
  uint64_t hyp_va = 0;     // token
  uint64_t kern_start = 0; // lowest section start
  uint64_t size = 0;       // image span, page multiple
};

}  // namespace pkvm

#endif  // PKVM_LIB_HOST_HOST_H_

// File: lib/host/module_loader.h -- offering modules to the machine, and their dependencies.
#ifndef PKVM_LIB_HOST_MODULE_LOADER_H_
#define PKVM_LIB_HOST_MODULE_LOADER_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "machine.h"

namespace pkvm::internal {

// Validates a descriptor and gives it to the machine's backend, which adds
// it (or the AArch64 build it names) to the offered modules.
absl::Status OfferNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d,
                               std::shared_ptr<void> dl_handle, const std::string& path);
// A module file: NAME.so on the native backend, NAME.ko on the Unicorn one.
absl::StatusOr<std::string> OfferModuleFile(Hypervisor::Impl& m, const std::string& path);
// OK when a module called `name` can still be offered (before Boot(), no
// module of that name yet).
absl::Status CheckOfferable(const Hypervisor::Impl& m, const std::string& name);

// lib/host/module_deps.cc: the modules `mod` imports
// from (descriptor `depends` / .ko .modinfo depends=), and the check that
// they are loaded before it.
std::vector<std::string> SplitDepends(const char* csv);
std::vector<std::string> KoDepends(std::span<const uint8_t> ko);
absl::Status CheckModuleDepends(const Hypervisor::Impl& m, const OfferedModule& mod);

}  // namespace pkvm::internal

#endif  // PKVM_LIB_HOST_MODULE_LOADER_H_

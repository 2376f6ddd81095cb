// File: lib/native_loader.h -- modules built for the native backend.
#ifndef PKVM_LIB_NATIVE_LOADER_H_
#define PKVM_LIB_NATIVE_LOADER_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "machine.h"

namespace pkvm::internal {

// Validates a descriptor and adds it to the machine's offered modules.
absl::Status OfferNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d,
                               std::shared_ptr<void> dl_handle, const std::string& path);
// A module file: NAME.so on the native backend, NAME.ko on the Unicorn one.
absl::StatusOr<std::string> OfferModuleFile(Hypervisor::Impl& m, const std::string& path);
// dlopen()s NAME.so and offers the module it exports; returns its name.
absl::StatusOr<std::string> OfferNativeModuleFile(Hypervisor::Impl& m, const std::string& path);
// What the arm64 module loader's module_init_hyp does: record the .hyp.*
// sections in THIS_MODULE->arch.hyp before module_init runs.
void PrepareNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d);
// Gives the module a fresh EL2 image (.data as linked, .bss zero) before its
// init runs: a native module's image is shared by every machine in the
// process.
void ResetNativeModuleImage(const pkvm_native_module& d);

// lib/module_deps.cc: the modules `mod` imports
// from (descriptor `depends` / .ko .modinfo depends=), and the check that
// they are loaded before it.
std::vector<std::string> SplitDepends(const char* csv);
std::vector<std::string> KoDepends(std::span<const uint8_t> ko);
absl::Status CheckModuleDepends(const Hypervisor::Impl& m, const OfferedModule& mod);

}  // namespace pkvm::internal

#endif  // PKVM_LIB_NATIVE_LOADER_H_

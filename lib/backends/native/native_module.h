// File: lib/backends/native/native_module.h -- native modules (NAME.so).
#ifndef PKVM_LIB_BACKENDS_NATIVE_NATIVE_MODULE_H_
#define PKVM_LIB_BACKENDS_NATIVE_NATIVE_MODULE_H_

#include <string>

#include "absl/status/statusor.h"
#include "machine.h"

namespace pkvm::internal {

// dlopen()s NAME.so and offers the module it exports; returns its name.
absl::StatusOr<std::string> OfferNativeModuleFile(Hypervisor::Impl& m, const std::string& path);
// What the arm64 module loader's module_init_hyp does: record the .hyp.*
// sections in THIS_MODULE->arch.hyp before module_init runs.
void PrepareNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d);
// Gives the module a fresh EL2 image (.data as linked, .bss zero) before its
// init runs: a native module's image is shared by every machine in the
// process.
void ResetNativeModuleImage(const pkvm_native_module& d);

}  // namespace pkvm::internal

#endif  // PKVM_LIB_BACKENDS_NATIVE_NATIVE_MODULE_H_

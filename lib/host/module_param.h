// File: lib/host/module_param.h
// module_param(): setting a module's parameters from the kernel command line
// (`<modname>.<param>=<value>`) before its module_init runs, the way
// modprobe hands the command line's options to init_module() and the
// kernel's parse_args() applies them (docs/smc-filter.md). One
// implementation for both backends; each supplies how to write the module's
// memory.
#ifndef PKVM_LIB_HOST_MODULE_PARAM_H_
#define PKVM_LIB_HOST_MODULE_PARAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "machine.h"

namespace pkvm::internal {

// One module_param() descriptor, read out of the module.
struct ModuleParam {
  std::string name;
  uint64_t arg = 0;   // the variable's address, as the backend writes it
  uint32_t type = 0;  // enum pkvm_param_type
};

struct ModuleParamSink {
  // Stores `len` bytes at the variable's address `arg`.
  std::function<void(uint64_t arg, const void* bytes, size_t len)> write;
  // A NUL-terminated copy of `value` that lives as long as the module: its
  // address as the module sees it (for charp), or 0 when there is no room.
  std::function<uint64_t(const std::string& value)> place_string;
};

// Applies every `<modname>.<param>[=value]` of the machine's command line to
// `params`, in command-line order (a later entry wins). Unknown parameters
// are logged ("<mod>: unknown parameter '<p>' ignored") and skipped; a value
// that does not parse is logged ("<mod>: '<v>' invalid for parameter '<p>'")
// and is -EINVAL: the module is not loaded (-ENOSPC for a charp over 1024
// bytes, -ENOMEM when the backend has no room for a string).
absl::Status ApplyModuleParams(Hypervisor::Impl& m, const std::string& modname,
                               const std::vector<ModuleParam>& params,
                               const ModuleParamSink& sink);

// The native backend: the descriptors of a module built by pkvm_add_module().
absl::Status ApplyNativeModuleParams(Hypervisor::Impl& m, const pkvm_native_module& d);

}  // namespace pkvm::internal

#endif  // PKVM_LIB_HOST_MODULE_PARAM_H_

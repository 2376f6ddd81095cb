// File: lib/backends/backend.cc -- the registry of the backends this build has.
#include "backends/backend.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "status_internal.h"

namespace pkvm {
namespace {

// Indexed by BackendKind; filled by the backends' registrations before main
// (function-local, so the order of those initializers does not matter).
BackendFactory* Factories() {
  static BackendFactory factories[2] = {};
  return factories;
}

size_t Index(BackendKind kind) { return kind == BackendKind::kUnicorn ? 1 : 0; }

}  // namespace

bool RegisterBackend(BackendKind kind, BackendFactory create) {
  Factories()[Index(kind)] = create;
  return true;
}

bool BackendBuilt(BackendKind kind) {
  return (kind == BackendKind::kNative || kind == BackendKind::kUnicorn) &&
         Factories()[Index(kind)] != nullptr;
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(Hypervisor::Impl& m, BackendKind kind) {
  if (!BackendBuilt(kind))
    return internal::ErrnoError(EOPNOTSUPP, absl::StrCat("this libpkvm was built without the ",
                                                         BackendName(kind), " backend"));
  return Factories()[Index(kind)](m);
}

}  // namespace pkvm

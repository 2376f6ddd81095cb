// File: lib/status_internal.h
// absl::Status inside the library, carrying the kernel errno as a payload;
// the single conversion point to the public pkvm::Status.
#ifndef PKVM_LIB_STATUS_INTERNAL_H_
#define PKVM_LIB_STATUS_INTERNAL_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkvm/status.h"

namespace pkvm::internal {

// An error carrying kernel errno `err` (sign ignored) and a message.
absl::Status ErrnoError(int err, absl::string_view message);
// The negative errno of `status` (0 when ok; mapped from the code otherwise).
int ErrnoOf(const absl::Status& status);
// absl -> public.
Status ToPublic(const absl::Status& status);

template <typename T>
StatusOr<T> ToPublic(absl::StatusOr<T> s) {
  if (!s.ok()) return ToPublic(s.status());
  return std::move(s).value();
}

}  // namespace pkvm::internal

#endif  // PKVM_LIB_STATUS_INTERNAL_H_

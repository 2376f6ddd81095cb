// File: lib/status.cc -- errno names and the absl <-> public status mapping.
#include <cerrno>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pkvm/status.h"
#include "status_internal.h"

namespace pkvm {

std::string ErrnoName(int err) {
  if (err < 0) err = -err;
  switch (err) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENXIO: return "ENXIO";
    case EROFS: return "EROFS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EOVERFLOW: return "EOVERFLOW";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case 524: return "ENOTSUPP";
    default: return absl::StrCat("E", err);
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return absl::StrCat("-", ErrnoName(err_), ": ", message_);
}

namespace internal {
namespace {
constexpr absl::string_view kErrnoPayload = "pkvm/errno";

absl::StatusCode CodeFor(int err) {
  switch (err) {
    case EINVAL: case E2BIG: case ERANGE: return absl::StatusCode::kInvalidArgument;
    case ENOENT: case ENODEV: return absl::StatusCode::kNotFound;
    case EEXIST: case EBUSY: return absl::StatusCode::kAlreadyExists;
    case ENOMEM: case ENOSPC: return absl::StatusCode::kResourceExhausted;
    case EPERM: case EACCES: return absl::StatusCode::kPermissionDenied;
    case EOPNOTSUPP: case ENOSYS: case 524: return absl::StatusCode::kUnimplemented;
    case EAGAIN: return absl::StatusCode::kUnavailable;
    case ETIMEDOUT: return absl::StatusCode::kDeadlineExceeded;
    default: return absl::StatusCode::kInternal;
  }
}
}  // namespace

absl::Status ErrnoError(int err, absl::string_view message) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  absl::Status s(CodeFor(err), message);
  s.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return s;
}

int ErrnoOf(const absl::Status& status) {
  if (status.ok()) return 0;
  if (auto p = status.GetPayload(kErrnoPayload)) {
    int v = 0;
    if (absl::SimpleAtoi(std::string(*p), &v)) return -v;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return -EINVAL;
    case absl::StatusCode::kNotFound: return -ENOENT;
    case absl::StatusCode::kAlreadyExists: return -EEXIST;
    case absl::StatusCode::kResourceExhausted: return -ENOMEM;
    case absl::StatusCode::kPermissionDenied: return -EPERM;
    case absl::StatusCode::kUnimplemented: return -EOPNOTSUPP;
    case absl::StatusCode::kFailedPrecondition: return -EPERM;
    default: return -EIO;
  }
}

Status ToPublic(const absl::Status& status) {
  if (status.ok()) return Status();
  return Status(ErrnoOf(status), std::string(status.message()));
}

}  // namespace internal
}  // namespace pkvm

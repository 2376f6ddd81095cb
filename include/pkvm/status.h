// File: include/pkvm/status.h
// Errors of the public C++ API: a kernel errno (negative, as pKVM returns it)
// plus a message a person can act on. Inside the library absl::Status is used
// and converted here in one place (lib/status_internal.h).
//
//   pkvm::Status s = hv->Boot();
//   if (!s.ok()) std::cerr << s.ToString() << "\n";  // "-EINVAL: ..."
#ifndef PKVM_STATUS_H_
#define PKVM_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace pkvm {

// The symbolic name of a kernel errno ("EINVAL" for 22 or -22), or "E<n>".
std::string ErrnoName(int err);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(int err, std::string message) : err_(err > 0 ? -err : err), message_(std::move(message)) {}

  bool ok() const { return err_ == 0; }
  // 0 when ok, otherwise a negative kernel errno (-EINVAL, -ENOMEM, ...).
  int error() const { return err_; }
  const std::string& message() const { return message_; }
  // "OK" or "-EINVAL: <message>".
  std::string ToString() const;

 private:
  int err_ = 0;
  std::string message_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit like absl::StatusOr
  StatusOr(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status(-22, "StatusOr constructed from an OK status");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace pkvm

#endif  // PKVM_STATUS_H_

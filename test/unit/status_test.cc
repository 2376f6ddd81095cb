// File: test/unit/status_test.cc
// Errors: the errno payload on absl::Status inside the library, the mapping to
// the public pkvm::Status / pkvm::StatusOr, and errno names.

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkvm/status.h"
#include "status_internal.h"

namespace pkvm {
namespace {

// ---- internal::ErrnoError / ErrnoOf ---------------------------------------------

TEST(ErrnoErrorTest, PositiveAndNegativeErrnoGiveTheSameError) {
  const absl::Status pos = internal::ErrnoError(EINVAL, "m");
  const absl::Status neg = internal::ErrnoError(-EINVAL, "m");
  EXPECT_FALSE(pos.ok());
  EXPECT_FALSE(neg.ok());
  EXPECT_EQ(internal::ErrnoOf(pos), -EINVAL);
  EXPECT_EQ(internal::ErrnoOf(neg), -EINVAL);
  EXPECT_EQ(pos.message(), "m");
  EXPECT_EQ(pos.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(neg.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ErrnoErrorTest, ZeroErrnoIsStillAnError) {
  const absl::Status s = internal::ErrnoError(0, "zero");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(internal::ErrnoOf(s), -EINVAL);
}

TEST(ErrnoErrorTest, ErrnoRoundTripsThroughThePayload) {
  for (int err : {EPERM, ENOENT, EIO, E2BIG, ENOEXEC, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY,
                  EEXIST, ENODEV, EINVAL, ENOSPC, ERANGE, ENOSYS, EOPNOTSUPP, ETIMEDOUT, 524}) {
    EXPECT_EQ(internal::ErrnoOf(internal::ErrnoError(err, "x")), -err) << "errno " << err;
    EXPECT_EQ(internal::ErrnoOf(internal::ErrnoError(-err, "x")), -err) << "errno " << -err;
  }
}

TEST(ErrnoErrorTest, PayloadWinsOverTheCanonicalCode) {
  // EBUSY and EEXIST share kAlreadyExists; the payload keeps them apart.
  const absl::Status busy = internal::ErrnoError(EBUSY, "busy");
  EXPECT_EQ(busy.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(internal::ErrnoOf(busy), -EBUSY);
  const absl::Status nospc = internal::ErrnoError(ENOSPC, "full");
  EXPECT_EQ(nospc.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(internal::ErrnoOf(nospc), -ENOSPC);
}

TEST(ErrnoErrorTest, CanonicalCodes) {
  EXPECT_EQ(internal::ErrnoError(ENOMEM, "").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(internal::ErrnoError(ENOENT, "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(internal::ErrnoError(EACCES, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(internal::ErrnoError(EOPNOTSUPP, "").code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(internal::ErrnoError(ETIMEDOUT, "").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(internal::ErrnoError(EFAULT, "").code(), absl::StatusCode::kInternal);
}

TEST(ErrnoOfTest, OkIsZero) { EXPECT_EQ(internal::ErrnoOf(absl::OkStatus()), 0); }

TEST(ErrnoOfTest, PlainAbslCodesMapToErrnos) {
  EXPECT_EQ(internal::ErrnoOf(absl::NotFoundError("n")), -ENOENT);
  EXPECT_EQ(internal::ErrnoOf(absl::InvalidArgumentError("i")), -EINVAL);
  EXPECT_EQ(internal::ErrnoOf(absl::AlreadyExistsError("a")), -EEXIST);
  EXPECT_EQ(internal::ErrnoOf(absl::ResourceExhaustedError("r")), -ENOMEM);
  EXPECT_EQ(internal::ErrnoOf(absl::PermissionDeniedError("p")), -EPERM);
  EXPECT_EQ(internal::ErrnoOf(absl::UnimplementedError("u")), -EOPNOTSUPP);
  EXPECT_EQ(internal::ErrnoOf(absl::FailedPreconditionError("f")), -EPERM);
  EXPECT_EQ(internal::ErrnoOf(absl::InternalError("x")), -EIO);
  EXPECT_EQ(internal::ErrnoOf(absl::UnknownError("x")), -EIO);
}

// ---- internal::ToPublic -------------------------------------------------------------

TEST(ToPublicTest, KeepsErrnoAndMessage) {
  const Status s = internal::ToPublic(internal::ErrnoError(EINVAL, "bad thing"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error(), -22);
  EXPECT_EQ(s.message(), "bad thing");
}

TEST(ToPublicTest, KeepsPayloadErrnoNotJustTheCode) {
  const Status s = internal::ToPublic(internal::ErrnoError(-EBUSY, "in use"));
  EXPECT_EQ(s.error(), -EBUSY);
  EXPECT_EQ(s.message(), "in use");
}

TEST(ToPublicTest, MapsPlainAbslStatus) {
  const Status s = internal::ToPublic(absl::NotFoundError("nope"));
  EXPECT_EQ(s.error(), -ENOENT);
  EXPECT_EQ(s.message(), "nope");
}

TEST(ToPublicTest, OkStaysOk) {
  const Status s = internal::ToPublic(absl::OkStatus());
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.error(), 0);
}

TEST(ToPublicTest, StatusOrValue) {
  StatusOr<std::string> v = internal::ToPublic(absl::StatusOr<std::string>(std::string("hello")));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "hello");
}

TEST(ToPublicTest, StatusOrError) {
  StatusOr<std::string> v =
      internal::ToPublic(absl::StatusOr<std::string>(internal::ErrnoError(ENOMEM, "oom")));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().error(), -ENOMEM);
  EXPECT_EQ(v.status().message(), "oom");
}

// ---- pkvm::Status -----------------------------------------------------------------

TEST(StatusTest, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.error(), 0);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, PositiveErrnoIsStoredNegative) {
  const Status s(22, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error(), -22);
  EXPECT_EQ(s.message(), "x");
}

TEST(StatusTest, NegativeErrnoIsKept) {
  const Status s(-ENOMEM, "y");
  EXPECT_EQ(s.error(), -ENOMEM);
}

TEST(StatusTest, ToStringNamesTheErrno) {
  EXPECT_EQ(Status(22, "x").ToString(), "-EINVAL: x");
  EXPECT_EQ(Status(-EINVAL, "x").ToString(), "-EINVAL: x");
  EXPECT_EQ(Status(-ENOMEM, "no memory").ToString(), "-ENOMEM: no memory");
  EXPECT_EQ(Status(4000, "odd").ToString(), "-E4000: odd");
}

TEST(ErrnoNameTest, KnownCodes) {
  EXPECT_EQ(ErrnoName(EINVAL), "EINVAL");
  EXPECT_EQ(ErrnoName(-EINVAL), "EINVAL");
  EXPECT_EQ(ErrnoName(ENOMEM), "ENOMEM");
  EXPECT_EQ(ErrnoName(-EACCES), "EACCES");
  EXPECT_EQ(ErrnoName(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(ErrnoName(-ENOEXEC), "ENOEXEC");
  EXPECT_EQ(ErrnoName(524), "ENOTSUPP");
  EXPECT_EQ(ErrnoName(-ENOTDIR), "ENOTDIR");  // a --tracefs-dump into a file
  EXPECT_EQ(ErrnoName(EISDIR), "EISDIR");
  EXPECT_EQ(ErrnoName(0), "OK");
}

TEST(ErrnoNameTest, UnknownCode) {
  EXPECT_EQ(ErrnoName(4000), "E4000");
  EXPECT_EQ(ErrnoName(-4000), "E4000");
}

// ---- pkvm::StatusOr ---------------------------------------------------------------

TEST(StatusOrTest, FromOkStatusBecomesAnError) {
  const StatusOr<int> v{Status()};
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.status().ok());
  EXPECT_EQ(v.status().error(), -EINVAL);
}

TEST(StatusOrTest, FromErrorKeepsIt) {
  const StatusOr<int> v{Status(-ENOENT, "gone")};
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().error(), -ENOENT);
  EXPECT_EQ(v.status().message(), "gone");
}

TEST(StatusOrTest, FromValue) {
  StatusOr<int> v{42};
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  EXPECT_EQ(*v, 42);
  EXPECT_EQ(v.value(), 42);
}

}  // namespace
}  // namespace pkvm

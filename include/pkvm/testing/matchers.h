// File: include/pkvm/testing/matchers.h
// GoogleTest matchers for libpkvm results (library pkvm::testing):
//
//   EXPECT_THAT(hv.HostHvc(0xC6000080, {0x42}), IsSmcccSuccess());
//   EXPECT_THAT(hv.HostHvc(0xC6000080, {7}), HvcReturns(0, 7, Gt(0u)));
//   EXPECT_THAT(hv.Boot(), IsOk());
//   EXPECT_THAT(hv.TracefsRead("hyp/no_such"), StatusIs(-ENOENT));
//   EXPECT_THAT(hv.TracefsRead("hyp/trace_pipe"),
//               HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x42)));
//
// Trace matchers take trace_pipe text (std::string or the StatusOr of a
// TracefsRead) or parsed events (std::vector<TraceEvent>). Only the standard
// library, GoogleTest/GoogleMock and libpkvm's public headers are included.
#ifndef PKVM_TESTING_MATCHERS_H_
#define PKVM_TESTING_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pkvm/hypervisor.h"
#include "pkvm/status.h"

namespace pkvm {
// Readable failure messages for libpkvm's result types.
void PrintTo(const Status& s, std::ostream* os);
void PrintTo(const HvcResult& r, std::ostream* os);
void PrintTo(const StatusOr<HvcResult>& r, std::ostream* os);
void PrintTo(const StatusOr<std::string>& r, std::ostream* os);
void PrintTo(BackendKind backend, std::ostream* os);  // "native", "unicorn"
}  // namespace pkvm

namespace pkvm::testing {

// One line of trace_pipe: "[CPU]\t SECONDS.MICROS: NAME TEXT".
struct TraceEvent {
  int cpu = 0;
  uint64_t timestamp_ns = 0;
  std::string name;
  std::string text;
  // The `key=value` words of the text, in order.
  std::vector<std::pair<std::string, std::string>> fields;

  std::optional<std::string> field(std::string_view key) const;
  // The field as an integer: decimal, 0x-hex or negative decimal (two's
  // complement); nullopt when missing or not an integer.
  std::optional<uint64_t> field_int(std::string_view key) const;
};
void PrintTo(const TraceEvent& e, std::ostream* os);

// Parses a trace_pipe read; lines that are not events are skipped (and
// returned in *bad when given).
std::vector<TraceEvent> ParseTracePipe(std::string_view text,
                                       std::vector<std::string>* bad = nullptr);
std::optional<TraceEvent> ParseTraceLine(std::string_view line);

namespace internal {

// The register file of an HVC/SMC result, or why there is none.
const user_pt_regs* RegsOf(const HvcResult& r, ::testing::MatchResultListener* l);
const user_pt_regs* RegsOf(const StatusOr<HvcResult>& r, ::testing::MatchResultListener* l);
const user_pt_regs* RegsOf(const HostSmcResult& r, ::testing::MatchResultListener* l);
const user_pt_regs* RegsOf(const StatusOr<HostSmcResult>& r, ::testing::MatchResultListener* l);
const user_pt_regs* RegsOf(const user_pt_regs& r, ::testing::MatchResultListener* l);

class HvcReturnsMatcher {
 public:
  explicit HvcReturnsMatcher(std::vector<::testing::Matcher<uint64_t>> regs)
      : regs_(std::move(regs)) {}

  template <typename T>
  bool MatchAndExplain(const T& result, ::testing::MatchResultListener* listener) const {
    const user_pt_regs* regs = RegsOf(result, listener);
    if (regs == nullptr) return false;
    for (size_t i = 0; i < regs_.size(); i++) {
      ::testing::StringMatchResultListener inner;
      if (!regs_[i].MatchAndExplain(regs->regs[i], &inner)) {
        *listener << "whose x" << i << " is 0x" << std::hex << regs->regs[i] << std::dec;
        if (!inner.str().empty()) *listener << ", " << inner.str();
        return false;
      }
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  std::vector<::testing::Matcher<uint64_t>> regs_;
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(int err, ::testing::Matcher<const std::string&> message)
      : err_(err), message_(std::move(message)) {}

  bool MatchAndExplain(const Status& s, ::testing::MatchResultListener* l) const;
  template <typename T>
  bool MatchAndExplain(const StatusOr<T>& r, ::testing::MatchResultListener* l) const {
    if (r.ok()) {
      if (err_ == 0) return true;
      *l << "which is OK";
      return false;
    }
    return MatchAndExplain(r.status(), l);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  int err_;  // 0: OK
  ::testing::Matcher<const std::string&> message_;
};

// Events of whatever a trace matcher is given, or why there are none.
std::optional<std::vector<TraceEvent>> EventsOf(const std::string& text,
                                                ::testing::MatchResultListener* l);
std::optional<std::vector<TraceEvent>> EventsOf(const StatusOr<std::string>& text,
                                                ::testing::MatchResultListener* l);
std::optional<std::vector<TraceEvent>> EventsOf(const std::vector<TraceEvent>& events,
                                                ::testing::MatchResultListener* l);

class HasTraceEventMatcher {
 public:
  explicit HasTraceEventMatcher(::testing::Matcher<const TraceEvent&> event)
      : event_(std::move(event)) {}

  template <typename T>
  bool MatchAndExplain(const T& trace, ::testing::MatchResultListener* listener) const {
    std::optional<std::vector<TraceEvent>> events = EventsOf(trace, listener);
    if (!events) return false;
    for (const TraceEvent& e : *events)
      if (event_.Matches(e)) return true;
    ExplainMiss(*events, listener);
    return false;
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  void ExplainMiss(const std::vector<TraceEvent>& events, ::testing::MatchResultListener* l) const;
  ::testing::Matcher<const TraceEvent&> event_;
};

class TraceFieldMatcher : public ::testing::MatcherInterface<const TraceEvent&> {
 public:
  TraceFieldMatcher(std::string key, ::testing::Matcher<const std::string&> value)
      : key_(std::move(key)), value_(std::move(value)) {}
  bool MatchAndExplain(const TraceEvent& e, ::testing::MatchResultListener* l) const override;
  void DescribeTo(std::ostream* os) const override;

 private:
  std::string key_;
  ::testing::Matcher<const std::string&> value_;
};

class TraceFieldIntMatcher : public ::testing::MatcherInterface<const TraceEvent&> {
 public:
  TraceFieldIntMatcher(std::string key, ::testing::Matcher<uint64_t> value)
      : key_(std::move(key)), value_(std::move(value)) {}
  bool MatchAndExplain(const TraceEvent& e, ::testing::MatchResultListener* l) const override;
  void DescribeTo(std::ostream* os) const override;

 private:
  std::string key_;
  ::testing::Matcher<uint64_t> value_;
};

::testing::Matcher<const TraceEvent&> TraceName(::testing::Matcher<const std::string&> name);

template <typename M>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(M value) : value_(std::move(value)) {}

  // Becomes a matcher of StatusOr<T> for the T it is used on.
  template <typename R>
  operator ::testing::Matcher<R>() const {  // NOLINT: implicit, as gmock's own
    using SO = std::remove_cv_t<std::remove_reference_t<R>>;
    using T = std::remove_cv_t<std::remove_reference_t<decltype(*std::declval<const SO&>())>>;
    return ::testing::MatcherCast<R>(
        ::testing::MakeMatcher(new Impl<SO, T>(::testing::MatcherCast<const T&>(value_))));
  }

 private:
  template <typename SO, typename T>
  class Impl : public ::testing::MatcherInterface<const SO&> {
   public:
    explicit Impl(::testing::Matcher<const T&> inner) : inner_(std::move(inner)) {}
    bool MatchAndExplain(const SO& r, ::testing::MatchResultListener* l) const override {
      if (!r.ok()) {
        *l << "which failed: " << r.status().ToString();
        return false;
      }
      *l << "whose value is " << ::testing::PrintToString(*r);
      return inner_.Matches(*r);
    }
    void DescribeTo(std::ostream* os) const override {
      *os << "is OK and holds a value that ";
      inner_.DescribeTo(os);
    }
    void DescribeNegationTo(std::ostream* os) const override {
      *os << "failed or holds a value that ";
      inner_.DescribeNegationTo(os);
    }

   private:
    ::testing::Matcher<const T&> inner_;
  };

  M value_;
};

}  // namespace internal

// x0, x1, ... of an HVC/SMC result each match a value or matcher (uint64_t):
// HvcReturns(0, 7) is x0 == 0 and x1 == 7; registers not given are not
// checked. Accepts HvcResult, HostSmcResult, user_pt_regs and the StatusOr
// of the first two (a failed call does not match and says why).
template <typename... M>
::testing::PolymorphicMatcher<internal::HvcReturnsMatcher> HvcReturns(const M&... regs) {
  static_assert(sizeof...(M) <= 31, "x0..x30");
  return ::testing::MakePolymorphicMatcher(internal::HvcReturnsMatcher(
      std::vector<::testing::Matcher<uint64_t>>{::testing::MatcherCast<uint64_t>(regs)...}));
}

// x0 == SMCCC_RET_SUCCESS (0).
inline ::testing::PolymorphicMatcher<internal::HvcReturnsMatcher> IsSmcccSuccess() {
  return HvcReturns(uint64_t{0});
}

// A Status or StatusOr that is OK.
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal::StatusIsMatcher(0, ::testing::_));
}
// A StatusOr that is OK and holds a value matching `value` (a value or a
// matcher): EXPECT_THAT(hv.InjectHostPermFault(esr, addr), IsOkAndHolds(0)).
template <typename M>
internal::IsOkAndHoldsMatcher<M> IsOkAndHolds(M value) {
  return internal::IsOkAndHoldsMatcher<M>(std::move(value));
}

// A Status or StatusOr failing with `err` (negative errno, e.g. -ENOENT;
// positive is accepted too) and a message matching `message`.
template <typename M = decltype(::testing::_)>
::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(int err, M message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(internal::StatusIsMatcher(
      err > 0 ? -err : err, ::testing::MatcherCast<const std::string&>(message)));
}

// A field of a trace event as text: TraceField("id", "0x00000042").
template <typename M>
::testing::Matcher<const TraceEvent&> TraceField(std::string key, M value) {
  return ::testing::MakeMatcher(new internal::TraceFieldMatcher(
      std::move(key), ::testing::MatcherCast<const std::string&>(value)));
}
// A field of a trace event as an integer: TraceFieldInt("id", 0x42).
template <typename M>
::testing::Matcher<const TraceEvent&> TraceFieldInt(std::string key, M value) {
  return ::testing::MakeMatcher(
      new internal::TraceFieldIntMatcher(std::move(key), ::testing::MatcherCast<uint64_t>(value)));
}
// The CPU that wrote the event.
template <typename M>
::testing::Matcher<const TraceEvent&> TraceCpu(M cpu) {
  return ::testing::Field("cpu", &TraceEvent::cpu, ::testing::MatcherCast<int>(cpu));
}

// One event: its name matches `name` (a string or a matcher) and each of
// `fields` (TraceField, TraceFieldInt, TraceCpu or any Matcher<const
// TraceEvent&>) matches.
template <typename N, typename... F>
::testing::Matcher<const TraceEvent&> TraceEventIs(N name, F... fields) {
  return ::testing::AllOf(internal::TraceName(::testing::MatcherCast<const std::string&>(name)),
                          ::testing::Matcher<const TraceEvent&>(fields)...);
}

// The trace contains at least one event matching TraceEventIs(name, fields...).
template <typename N, typename... F>
::testing::PolymorphicMatcher<internal::HasTraceEventMatcher> HasTraceEvent(N name, F... fields) {
  return ::testing::MakePolymorphicMatcher(
      internal::HasTraceEventMatcher(TraceEventIs(std::move(name), std::move(fields)...)));
}

}  // namespace pkvm::testing

#endif  // PKVM_TESTING_MATCHERS_H_

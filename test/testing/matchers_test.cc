// pkvm::testing's matchers on known values: what matches, what does not, and
// what a failure says.
#include "pkvm/testing/matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace pkvm::testing {
namespace {

using ::testing::DescribeMatcher;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

template <typename M, typename T>
std::string Explain(const M& m, const T& value) {
  ::testing::StringMatchResultListener l;
  ::testing::Matcher<const T&>(m).MatchAndExplain(value, &l);
  return l.str();
}

HvcResult Regs(uint64_t x0, uint64_t x1 = 0, uint64_t x2 = 0) {
  HvcResult r;
  r.regs.regs[0] = x0;
  r.regs.regs[1] = x1;
  r.regs.regs[2] = x2;
  return r;
}

const char kTrace[] =
    "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
    "[001]\t    2.000003: pkvm_driver_event id=0x00000042\n"
    "[000]\t   12.345678: __hyp_printk Hello World\n";

TEST(ParseTracePipe, ReadsEveryLine) {
  std::vector<std::string> bad;
  std::vector<TraceEvent> ev = ParseTracePipe(kTrace, &bad);
  EXPECT_TRUE(bad.empty());
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].cpu, 0);
  EXPECT_EQ(ev[0].name, "host_hcall");
  EXPECT_EQ(ev[0].field("id"), "128");
  EXPECT_EQ(ev[0].field_int("invalid"), 0u);
  EXPECT_EQ(ev[1].cpu, 1);
  EXPECT_EQ(ev[1].timestamp_ns, 2000003000u);
  EXPECT_EQ(ev[1].field_int("id"), 0x42u);
  EXPECT_EQ(ev[2].timestamp_ns, 12345678000u);
  EXPECT_EQ(ev[2].text, "Hello World");
  EXPECT_TRUE(ev[2].fields.empty());
  EXPECT_EQ(ev[2].field("Hello"), std::nullopt);
}

TEST(ParseTracePipe, RejectsWhatIsNotAnEvent) {
  for (const char* line : {"garbage", "[000]\t0.00000: x", "[0]\t1.5: x", "[x]\t 1.000000: x",
                           "[000]\t 1.000000: ", "[000]1.000000: x", "[99999999999]\t 1.000000: x"})
    EXPECT_EQ(ParseTraceLine(line), std::nullopt) << line;
  std::vector<std::string> bad;
  EXPECT_EQ(ParseTracePipe("nonsense\n[000]\t 1.000000: ok\n", &bad).size(), 1u);
  EXPECT_EQ(bad, std::vector<std::string>{"nonsense"});
  auto e = ParseTraceLine("[003]\t   1.000000: ev a=-1 b=0xffffffffffffffff c=0x1g d=99999999999999999999");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field_int("a"), ~uint64_t{0});
  EXPECT_EQ(e->field_int("b"), ~uint64_t{0});
  EXPECT_EQ(e->field_int("c"), std::nullopt);
  EXPECT_EQ(e->field_int("d"), std::nullopt);  // overflows
}

TEST(HasTraceEvent, MatchesNameAndFields) {
  std::string trace = kTrace;
  EXPECT_THAT(trace, HasTraceEvent("host_hcall"));
  EXPECT_THAT(trace, HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x42)));
  EXPECT_THAT(trace, HasTraceEvent("pkvm_driver_event", TraceField("id", "0x00000042"), TraceCpu(1)));
  EXPECT_THAT(trace, HasTraceEvent(StartsWith("__hyp"), TraceCpu(0)));
  EXPECT_THAT(trace, Not(HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x43))));
  EXPECT_THAT(trace, Not(HasTraceEvent("pkvm_driver_event", TraceCpu(0))));
  EXPECT_THAT(trace, Not(HasTraceEvent("host_hcall", TraceField("nope", "1"))));
  EXPECT_THAT(trace, Not(HasTraceEvent("missing")));
  EXPECT_THAT(ParseTracePipe(kTrace), HasTraceEvent("host_hcall", TraceFieldInt("id", Ge(100u))));
  EXPECT_THAT(StatusOr<std::string>(trace), HasTraceEvent("host_hcall"));
  EXPECT_THAT(StatusOr<std::string>(Status(-ENODEV, "no tracefs")), Not(HasTraceEvent("host_hcall")));
  EXPECT_THAT(std::string("not a trace\n"), Not(HasTraceEvent("host_hcall")));
}

TEST(HasTraceEvent, SaysWhatItSaw) {
  auto m = HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x43));
  std::string why = Explain(m, std::string(kTrace));
  EXPECT_THAT(why, HasSubstr("3 event(s)"));
  EXPECT_THAT(why, HasSubstr("pkvm_driver_event id=0x00000042"));
  EXPECT_THAT(Explain(m, std::string()), HasSubstr("no events"));
  EXPECT_THAT(Explain(m, StatusOr<std::string>(Status(-ENODEV, "no tracefs"))),
              HasSubstr("-ENODEV: no tracefs"));
  EXPECT_THAT(DescribeMatcher<std::string>(m), HasSubstr("pkvm_driver_event"));
  EXPECT_THAT(DescribeMatcher<std::string>(m), HasSubstr("id"));
}

TEST(HvcReturns, ChecksTheRegistersGiven) {
  EXPECT_THAT(Regs(0, 7, 9), HvcReturns(0, 7));
  EXPECT_THAT(Regs(0, 7, 9), HvcReturns(0, 7, 9));
  EXPECT_THAT(Regs(0, 7, 9), HvcReturns(0, ::testing::_, Ge(5u)));
  EXPECT_THAT(Regs(0, 7, 9), Not(HvcReturns(0, 8)));
  EXPECT_THAT(Regs(0), IsSmcccSuccess());
  EXPECT_THAT(Regs(~uint64_t{0}), Not(IsSmcccSuccess()));  // SMCCC_RET_NOT_SUPPORTED
  EXPECT_THAT(StatusOr<HvcResult>(Regs(0, 1)), HvcReturns(0, 1));
  StatusOr<HvcResult> failed(Status(-EPERM, "not booted"));
  EXPECT_THAT(failed, Not(IsSmcccSuccess()));
  EXPECT_THAT(Explain(IsSmcccSuccess(), failed), HasSubstr("-EPERM: not booted"));
  EXPECT_THAT(Explain(HvcReturns(0, 8), Regs(0, 7)), HasSubstr("x1 is 0x7"));
  HostSmcResult smc;
  smc.result = Regs(0, 0x5a);
  EXPECT_THAT(smc, HvcReturns(0, 0x5a));
  EXPECT_THAT(DescribeMatcher<HvcResult>(HvcReturns(0, 7)), HasSubstr("x1 is equal to 7"));
}

TEST(StatusMatchers, OkAndErrno) {
  EXPECT_THAT(Status(), IsOk());
  EXPECT_THAT(Status(-ENOENT, "x"), Not(IsOk()));
  EXPECT_THAT(StatusOr<int>(3), IsOk());
  EXPECT_THAT(StatusOr<int>(Status(-ENOENT, "no module x")), StatusIs(-ENOENT));
  EXPECT_THAT(StatusOr<int>(Status(-ENOENT, "no module x")), StatusIs(ENOENT, HasSubstr("module")));
  EXPECT_THAT(StatusOr<int>(Status(-ENOENT, "no module x")), Not(StatusIs(-ENOENT, "other")));
  EXPECT_THAT(Status(-EINVAL, "x"), Not(StatusIs(-ENOENT)));
  EXPECT_THAT(StatusOr<int>(3), Not(StatusIs(-ENOENT)));
  EXPECT_THAT(Explain(IsOk(), Status(-EBUSY, "already booted")), HasSubstr("-EBUSY: already booted"));
}

TEST(StatusMatchers, IsOkAndHolds) {
  EXPECT_THAT(StatusOr<int>(-EPERM), IsOkAndHolds(-EPERM));
  EXPECT_THAT(StatusOr<int>(0), Not(IsOkAndHolds(-EPERM)));
  EXPECT_THAT(StatusOr<int>(Status(-EIO, "panicked")), Not(IsOkAndHolds(0)));
  EXPECT_THAT(StatusOr<bool>(true), IsOkAndHolds(true));
  EXPECT_THAT(StatusOr<std::string>(std::string("1\n")), IsOkAndHolds(StartsWith("1")));
  EXPECT_THAT(Explain(::testing::Matcher<const StatusOr<int>&>(IsOkAndHolds(0)),
                      StatusOr<int>(Status(-EIO, "panicked"))),
              HasSubstr("-EIO: panicked"));
  EXPECT_THAT(DescribeMatcher<const StatusOr<int>&>(IsOkAndHolds(Ge(3))),
              HasSubstr("is OK and holds a value that is >= 3"));
}

}  // namespace
}  // namespace pkvm::testing

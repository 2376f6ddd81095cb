// A module author's GoogleTest suite for hyp_counter, written with
// pkvm::testing (docs/testing-fixture.md): the module is loaded once per
// backend, and every test starts from the machine as it was right after boot.
#include <pkvm/testing/fixture.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include "hyp_counter/hyp_counter.h"

namespace {

using ::pkvm::testing::HasTraceEvent;
using ::pkvm::testing::HvcReturns;
using ::pkvm::testing::IsOk;
using ::pkvm::testing::IsOkAndHolds;
using ::pkvm::testing::IsSmcccSuccess;
using ::pkvm::testing::StatusIs;
using ::pkvm::testing::TraceFieldInt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t kCounterHvc = 0xC6000080;  // its hypercall: the first dynamic one
constexpr uint64_t kPermFaultEsr = 0x9200004F;

// HYP_COUNTER_SO / HYP_COUNTER_KO: the module's builds, from CMakeLists.txt
// ("" when there is no .ko: that backend is then not in the list below).
pkvm::testing::Module HypCounter() {
  return pkvm::testing::Module::Files(HYP_COUNTER_SO, HYP_COUNTER_KO);
}

class HypCounterTest : public pkvm::testing::MachineTestP<HypCounterTest> {
 public:
  static pkvm::testing::MachineConfig Config() {
    pkvm::testing::MachineConfig c;
    c.options.generation = pkvm::Generation::kA15;
    c.options.cpus = 2;
    c.options.cmdline = "kvm-arm.protected_modules=hyp_counter";
    c.options.trace_clock = pkvm::TraceClockSource::kManual;
    c.modules = {HypCounter()};
    c.trace_events = {"hyp_counter_add", "hyp_counter_fault"};
    return c;
  }

 protected:
  pkvm::StatusOr<pkvm::HvcResult> Counter(uint64_t cmd, uint64_t a = 0, uint64_t b = 0,
                                          int cpu = 0) {
    return hv().HostHvc(kCounterHvc, {cmd, a, b}, cpu);
  }
};

TEST_P(HypCounterTest, IsLoadedAtBoot) {
  EXPECT_EQ(hv().loaded_modules(), std::vector<std::string>{"hyp_counter"});
  EXPECT_TRUE(hv().protected_vms_enabled()) << hv().protected_vms_disabled_reason();
}

TEST_P(HypCounterTest, AddsAndTracesEachAddition) {
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 5), HvcReturns(0, 5));
  hv().AdvanceTraceClock(1000);
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 2, 0, /*cpu=*/1), HvcReturns(0, 7));
  EXPECT_THAT(hv().TracefsRead("hyp/trace_pipe"),
              HasTraceEvent("hyp_counter_add", TraceFieldInt("delta", 2), TraceFieldInt("total", 7),
                            pkvm::testing::TraceCpu(1)));
}

// The previous test added 7; this one must not see it, nor its trace.
TEST_P(HypCounterTest, StartsFromZeroInEveryTest) {
  EXPECT_THAT(Counter(HYP_COUNTER_GET), HvcReturns(0, 0));
  auto trace = pkvm::testing::ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, IsEmpty());
}

TEST_P(HypCounterTest, ResolvesHostFaultsInItsWindowOnly) {
  EXPECT_THAT(Counter(HYP_COUNTER_SET_WINDOW, 0x40000000, 0x40010000), IsSmcccSuccess());
  EXPECT_THAT(hv().InjectHostPermFault(kPermFaultEsr, 0x40002000), IsOkAndHolds(0));
  EXPECT_THAT(hv().InjectHostPermFault(kPermFaultEsr, 0x50000000), IsOkAndHolds(-EPERM));
  EXPECT_THAT(Counter(HYP_COUNTER_FAULTS), HvcReturns(0, 1, 1));
  auto trace = pkvm::testing::ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, HasTraceEvent("hyp_counter_fault", TraceFieldInt("addr", 0x40002000),
                                    TraceFieldInt("resolved", 1)));
  EXPECT_THAT(*trace, HasTraceEvent("hyp_counter_fault", TraceFieldInt("addr", 0x50000000),
                                    TraceFieldInt("resolved", 0)));
}

TEST_P(HypCounterTest, RejectsUnknownCommands) {
  EXPECT_THAT(Counter(99), Not(IsSmcccSuccess()));
  EXPECT_THAT(Counter(99), HvcReturns(~uint64_t{0}));  // SMCCC_RET_NOT_SUPPORTED
}

// A BUG_ON() in EL2 code panics this simulated machine, not the test.
TEST_P(HypCounterTest, BrokenInvariantPanicsTheMachine) {
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 1), HvcReturns(0, 1));
  EXPECT_THAT(Counter(HYP_COUNTER_EXPECT, 1), IsSmcccSuccess());
  EXPECT_THAT(Counter(HYP_COUNTER_EXPECT, 2), StatusIs(-EIO));
  EXPECT_EQ(hv().state(), pkvm::MachineState::kPanicked);
  EXPECT_THAT(hv().panic_report(), HasSubstr("total != arg"));
  EXPECT_THAT(Counter(HYP_COUNTER_GET), StatusIs(-EIO));  // dead until the next test
}

TEST_P(HypCounterTest, IsAliveAgainAfterThePanic) {
  EXPECT_EQ(hv().state(), pkvm::MachineState::kDeprivileged);
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 3), HvcReturns(0, 3));
}

// Snapshots inside a test: try something, go back, try something else.
TEST_P(HypCounterTest, SnapshotAndRestore) {
  ASSERT_THAT(Counter(HYP_COUNTER_ADD, 10), HvcReturns(0, 10));
  pkvm::StatusOr<pkvm::Snapshot> snap = hv().TakeSnapshot();
  ASSERT_THAT(snap, IsOk());
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 5), HvcReturns(0, 15));
  EXPECT_THAT(Counter(HYP_COUNTER_EXPECT, 99), StatusIs(-EIO));
  ASSERT_THAT(hv().RestoreSnapshot(*snap), IsOk());
  EXPECT_THAT(Counter(HYP_COUNTER_GET), HvcReturns(0, 10));
  EXPECT_THAT(Counter(HYP_COUNTER_ADD, 1), HvcReturns(0, 11));
}

INSTANTIATE_TEST_SUITE_P(Backends, HypCounterTest,
                         ::testing::ValuesIn(pkvm::testing::AvailableBackends({HypCounter()})),
                         pkvm::testing::BackendParamName());

}  // namespace

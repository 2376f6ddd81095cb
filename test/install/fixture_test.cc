// A GoogleTest suite with pkvm::testing, built against the installed libpkvm
// the way docs/testing-fixture.md shows: the module's files come from
// pkvm_add_module() through compile definitions (PKVM_DRIVER_SO/_KO).
#include <pkvm/testing/fixture.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

namespace {

using ::pkvm::testing::HasTraceEvent;
using ::pkvm::testing::HvcReturns;
using ::pkvm::testing::StatusIs;
using ::pkvm::testing::TraceFieldInt;

pkvm::testing::Module PkvmDriver() {
  return pkvm::testing::Module::Files(PKVM_DRIVER_SO, PKVM_DRIVER_KO);
}

class PkvmDriverTest : public pkvm::testing::MachineTestP<PkvmDriverTest> {
 public:
  static pkvm::testing::MachineConfig Config() {
    pkvm::testing::MachineConfig c;
    c.options.cmdline = "kvm-arm.protected_modules=pkvm_driver";
    c.options.trace_clock = pkvm::TraceClockSource::kManual;
    c.modules = {PkvmDriver()};
    c.trace_events = {"pkvm_driver_event"};
    return c;
  }
};

TEST_P(PkvmDriverTest, AnswersAndTraces) {
  EXPECT_THAT(hv().HostHvc(0xC6000080, {0x42}), HvcReturns(0, 0));
  auto trace = pkvm::testing::ReadTracePipe(hv());
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  EXPECT_THAT(*trace, HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x42)));
}

// The snapshot the fixture restores undoes the previous test's panic.
TEST_P(PkvmDriverTest, PanicsThenRestores) {
  (void)hv().InjectHypPanic("from the test");
  EXPECT_EQ(hv().state(), pkvm::MachineState::kPanicked);
  EXPECT_THAT(hv().HostHvc(0xC6000080), StatusIs(-EIO));
}
TEST_P(PkvmDriverTest, IsAliveAfterThePanic) {
  EXPECT_EQ(hv().state(), pkvm::MachineState::kDeprivileged);
  EXPECT_THAT(hv().HostHvc(0xC6000080), HvcReturns(0));
}

INSTANTIATE_TEST_SUITE_P(Backends, PkvmDriverTest,
                         ::testing::ValuesIn(pkvm::testing::AvailableBackends({PkvmDriver()})),
                         pkvm::testing::BackendParamName());

}  // namespace

// pkvm::testing's fixtures on real modules: every test starts from the
// just-booted machine whatever the previous test did (handlers registered,
// trace written, a hyp panic), on every backend, for TEST_F, TEST_P and
// TYPED_TEST suites; SuiteMachine's errors.
#include "pkvm/testing/fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>

#include "probe.h"  // test/modules/probe: commands of the probe's hypercall

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t kHvc = 0xC6000080;  // the only module's first dynamic hypercall
constexpr uint64_t kPermFaultEsr = 0x9200004F;

Module Probe() { return Module::Files(PKVM_PROBE_A15_SO, PKVM_PROBE_A15_KO); }
Module Driver() { return Module::Files(PKVM_DRIVER_A15_SO, PKVM_DRIVER_A15_KO); }

// --- TEST_P over backends: the probe module -----------------------------------
class ProbeSuite : public MachineTestP<ProbeSuite> {
 public:
  static MachineConfig Config() {
    MachineConfig c;
    c.options.generation = Generation::kA15;
    c.options.cpus = 2;
    c.options.cmdline = "kvm-arm.protected_modules=probe";
    c.options.trace_clock = TraceClockSource::kManual;
    c.modules = {Probe()};
    c.trace_events = {"host_hcall"};
    return c;
  }

};

// The state each test leaves behind must not reach the next one; the tests
// run in this order and each checks what the one before it did is gone.
TEST_P(ProbeSuite, A_RegistersAFaultHandler) {
  EXPECT_THAT(hv().InjectHostPermFault(kPermFaultEsr, 0x40000000), IsOkAndHolds(-EPERM));
  EXPECT_THAT(hv().HostHvc(kHvc, {PROBE_REG_PERM_FAULT}), HvcReturns(0, 0));
  EXPECT_THAT(hv().InjectHostPermFault(kPermFaultEsr, 0x40000000), IsOkAndHolds(0));
}

TEST_P(ProbeSuite, B_StartsWithoutTheHandlerAndWithEmptyTrace) {
  auto trace = ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, IsEmpty());
  EXPECT_THAT(hv().InjectHostPermFault(kPermFaultEsr, 0x40000000), IsOkAndHolds(-EPERM));
  EXPECT_THAT(hv().HostHvc(kHvc, {PROBE_COUNTERS}), HvcReturns(0, 0));
}

TEST_P(ProbeSuite, C_TracesTheHypercall) {
  hv().AdvanceTraceClock(1000);
  EXPECT_THAT(hv().HostHvc(kHvc, {PROBE_PING}, 1), HvcReturns(0, PROBE_PONG));
  EXPECT_THAT(hv().TracefsRead(TracefsPath(hv(), "trace_pipe")),
              HasTraceEvent("host_hcall", TraceFieldInt("id", 128), TraceCpu(1)));
}

TEST_P(ProbeSuite, D_PanicsInModuleCode) {
  EXPECT_THAT(hv().HostHvc(kHvc, {PROBE_BUG, 42}), StatusIs(-EIO));
  EXPECT_EQ(hv().state(), MachineState::kPanicked);
  EXPECT_THAT(hv().panic_report(), HasSubstr("a == 42"));
}

TEST_P(ProbeSuite, E_IsAliveAfterThePanic) {
  EXPECT_EQ(hv().state(), MachineState::kDeprivileged);
  EXPECT_EQ(hv().panic_report(), "");
  EXPECT_THAT(hv().HostHvc(kHvc, {PROBE_PING}), HvcReturns(0, PROBE_PONG));
  auto trace = ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, HasTraceEvent("host_hcall"));  // enabled by the config, every test
}

TEST_P(ProbeSuite, F_BootsOncePerSuiteWithSnapshots) {
  const SuiteMachine& m = suite_machine();
  EXPECT_EQ(m.hv(), &hv());
  EXPECT_TRUE(m.uses_snapshots());
  EXPECT_TRUE(m.snapshot().valid());
  EXPECT_EQ(m.boots(), 1);  // the earlier tests of the suite did not boot again
}

INSTANTIATE_TEST_SUITE_P(Backends, ProbeSuite,
                         ::testing::ValuesIn(AvailableBackends({Probe()})), BackendParamName());

// --- TEST_F with a module linked into the test binary ----------------------------
class LinkedDriverSuite : public MachineTest<LinkedDriverSuite> {
 public:
  static MachineConfig Config() {
    MachineConfig c;
    c.options.cmdline = "kvm-arm.protected_modules=pkvm_driver";
    c.modules = {Module::Linked(PKVM_NATIVE_MODULE(pkvm_driver_a15))};
    c.trace_events = {"pkvm_driver_event"};
    return c;
  }
};

TEST_F(LinkedDriverSuite, AnswersAndTraces) {
  EXPECT_EQ(hv().backend(), BackendKind::kNative);
  EXPECT_EQ(hv().loaded_modules(), std::vector<std::string>{"pkvm_driver"});
  EXPECT_THAT(hv().HostHvc(kHvc, {0x42}), IsSmcccSuccess());
  EXPECT_THAT(hv().TracefsRead("hyp/trace_pipe"),
              HasTraceEvent("pkvm_driver_event", TraceField("id", "0x00000042")));
}

TEST_F(LinkedDriverSuite, TraceOfThePreviousTestIsGone) {
  EXPECT_THAT(hv().HostHvc(kHvc, {0x43}), IsSmcccSuccess());
  auto trace = ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, Not(HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x42))));
  EXPECT_THAT(*trace, HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 0x43)));
}

// --- TYPED_TEST over BackendTypes -----------------------------------------------
template <typename B>
class TypedDriverSuite : public MachineTest<TypedDriverSuite<B>> {
 public:
  static MachineConfig Config() {
    MachineConfig c;
    c.options.backend = B::kKind;
    c.options.generation = Generation::kA15;
    c.options.cmdline = "kvm-arm.protected_modules=pkvm_driver";
    c.modules = {Driver()};
    c.trace_events = {"pkvm_driver_event"};
    return c;
  }
};
TYPED_TEST_SUITE(TypedDriverSuite, BackendTypes, BackendTypeNames);

TYPED_TEST(TypedDriverSuite, RunsOnItsBackend) {
  if (!Driver().HasBuildFor(TypeParam::kKind)) GTEST_SKIP() << "no build of pkvm_driver for it";
  EXPECT_EQ(this->hv().backend(), TypeParam::kKind);
  EXPECT_THAT(this->hv().HostHvc(kHvc, {7}), HvcReturns(0, 0));
  EXPECT_THAT(this->hv().TracefsRead("hyp/trace_pipe"),
              HasTraceEvent("pkvm_driver_event", TraceFieldInt("id", 7)));
}

// --- A16: the tracefs layout of android16 (hypervisor/, the event group) -------
class HelloA16Suite : public MachineTestP<HelloA16Suite> {
 public:
  static Module Hello() { return Module::Files(PKVM_HELLO_HYPERCALL_SO, PKVM_HELLO_HYPERCALL_KO); }
  static MachineConfig Config() {
    MachineConfig c;
    c.options.generation = Generation::kA16;
    c.options.cmdline = "kvm-arm.protected_modules=hello_hypercall";
    c.modules = {Hello()};
    c.trace_events = {"__hyp_printk"};
    return c;
  }
};

TEST_P(HelloA16Suite, PrintsIntoTheTrace) {
  EXPECT_EQ(TracefsPath(hv(), "trace_pipe"), "hypervisor/trace_pipe");
  EXPECT_EQ(TraceEventEnablePath(hv(), "__hyp_printk"),
            "hypervisor/events/hypervisor/__hyp_printk/enable");
  EXPECT_THAT(hv().TracefsRead(TraceEventEnablePath(hv(), "__hyp_printk")), IsOkAndHolds("1\n"));
  EXPECT_THAT(hv().HostHvc(kHvc), IsSmcccSuccess());
  auto trace = ReadTracePipe(hv());
  ASSERT_THAT(trace, IsOk());
  EXPECT_THAT(*trace, ::testing::Contains(TraceEventIs("__hyp_printk",
                                                       ::testing::Field(&TraceEvent::text, "Hello World"))));
}

INSTANTIATE_TEST_SUITE_P(Backends, HelloA16Suite,
                         ::testing::ValuesIn(AvailableBackends({HelloA16Suite::Hello()})),
                         BackendParamName());

// --- SuiteMachine on its own: configuration errors ----------------------------------
MachineConfig DriverConfig() {
  MachineConfig c;
  c.options.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  c.modules = {Driver()};
  return c;
}

TEST(SuiteMachine, BootFailureFailsWithTheBootLog) {
  MachineConfig c = DriverConfig();
  c.options.cmdline = "kvm-arm.protected_modules=not_offered";
  SuiteMachine m(c);
  Status s = m.PrepareTest();
  EXPECT_THAT(s, StatusIs(-ENOENT, HasSubstr("boot log")));
  EXPECT_FALSE(m.backend_unsupported());
  EXPECT_EQ(m.hv(), nullptr);
  EXPECT_THAT(m.PrepareTest(), StatusIs(-ENOENT));  // stays failed, no second boot
  EXPECT_EQ(m.boots(), 1);
}

TEST(SuiteMachine, AllowedBootFailureStarts) {
  MachineConfig c = DriverConfig();
  c.options.cmdline = "kvm-arm.protected_modules=not_offered";
  c.allow_boot_failure = true;
  SuiteMachine m(c);
  ASSERT_THAT(m.PrepareTest(), IsOk());
  EXPECT_FALSE(m.hv()->protected_vms_enabled());
}

TEST(SuiteMachine, BadConfigs) {
  MachineConfig c = DriverConfig();
  c.modules = {Module::Files("/nonexistent/pkvm_driver.so")};
  EXPECT_THAT(SuiteMachine(c).PrepareTest(), StatusIs(-ENOENT, HasSubstr("/nonexistent")));

  c = DriverConfig();
  c.modules = {Module::Files("")};
  EXPECT_THAT(SuiteMachine(c).PrepareTest(), StatusIs(-ENOENT, HasSubstr("no build for the native")));

  c = DriverConfig();
  c.options.backend = BackendKind::kUnicorn;
  c.modules = {Module::Files(PKVM_DRIVER_A15_SO)};  // no .ko
  SuiteMachine u(c);
  Status s = u.PrepareTest();
  EXPECT_FALSE(s.ok());
  if (!u.backend_unsupported()) {
    EXPECT_THAT(s, StatusIs(-ENOENT, HasSubstr("ko_path")));
  }

  c = DriverConfig();
  c.trace_events = {"no_such_event"};
  EXPECT_THAT(SuiteMachine(c).PrepareTest(), StatusIs(-ENOENT, HasSubstr("no_such_event")));

  c = DriverConfig();
  c.options.cpus = 0;
  SuiteMachine bad(c);
  EXPECT_THAT(bad.PrepareTest(), StatusIs(-EINVAL));
  EXPECT_FALSE(bad.backend_unsupported());
}

TEST(Backends, ListsWhatTheBuildHas) {
  std::vector<BackendKind> all = AvailableBackends();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front(), BackendKind::kNative);
  EXPECT_EQ(all.size(), BackendAvailable(BackendKind::kUnicorn) ? 2u : 1u);
  EXPECT_EQ(AvailableBackends({Module::Files("x.so")}), std::vector<BackendKind>{BackendKind::kNative});
  EXPECT_EQ(AvailableBackends({Module::Files("x.so", "x.ko"), Module::Files("y.so")}),
            std::vector<BackendKind>{BackendKind::kNative});
  EXPECT_EQ(AvailableBackends({Module::Files("x.so", "x.ko")}), all);
  EXPECT_EQ(BackendParamName()(::testing::TestParamInfo<BackendKind>(BackendKind::kUnicorn, 0)),
            "unicorn");
}

}  // namespace
}  // namespace pkvm::testing

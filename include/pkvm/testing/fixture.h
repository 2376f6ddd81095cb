// File: include/pkvm/testing/fixture.h
// GoogleTest support for module authors (library pkvm::testing, test-only):
// a fixture that boots a machine with your modules once per test suite and
// puts it back into its just-booted state before every test, the backends to
// run a suite on, and tracefs helpers. Matchers: pkvm/testing/matchers.h.
//
//   class MyModuleTest : public pkvm::testing::MachineTestP<MyModuleTest> {
//    public:
//     static pkvm::testing::MachineConfig Config() {
//       pkvm::testing::MachineConfig c;
//       c.options.generation = pkvm::Generation::kA15;
//       c.options.cmdline = "kvm-arm.protected_modules=my_module";
//       c.modules = {pkvm::testing::Module::Files(MY_MODULE_SO, MY_MODULE_KO)};
//       c.trace_events = {"my_module_event"};
//       return c;
//     }
//   };
//   TEST_P(MyModuleTest, Answers) {
//     EXPECT_THAT(hv().HostHvc(0xC6000080, {0x42}), pkvm::testing::IsSmcccSuccess());
//   }
//   INSTANTIATE_TEST_SUITE_P(Backends, MyModuleTest,
//       ::testing::ValuesIn(pkvm::testing::AvailableBackends()),
//       pkvm::testing::BackendParamName());
//
// Every test starts from the snapshot taken right after boot (and after the
// config's tracefs writes): what a test did -- hypercalls, registered
// handlers, trace, even a hyp panic -- is gone for the next one. A machine
// that panicked while booting (MachineConfig::allow_boot_failure) has no
// snapshot: the fixture boots it afresh for every test. A backend whose
// machines cannot be created in this build (-EOPNOTSUPP) skips the test with
// libpkvm's message; any other setup failure fails it with the boot log.
#ifndef PKVM_TESTING_FIXTURE_H_
#define PKVM_TESTING_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pkvm/hypervisor.h"
#include "pkvm/native_module.h"
#include "pkvm/status.h"
#include "pkvm/testing/matchers.h"

namespace pkvm::testing {

// One module offered to the machine, in the build each backend loads.
struct Module {
  // Linked into the test binary: Module::Linked(PKVM_NATIVE_MODULE(target)).
  const pkvm_native_module* linked = nullptr;
  std::string so_path;  // NAME.so from pkvm_add_module (native backend)
  std::string ko_path;  // NAME.ko, target property PKVM_KO_FILE (unicorn backend)

  static Module Linked(const pkvm_native_module& module, std::string ko_path = "");
  static Module Files(std::string so_path, std::string ko_path = "");
  // Whether there is a build of the module for `backend`.
  bool HasBuildFor(BackendKind backend) const;
};

struct MachineConfig {
  // The machine; parameterised fixtures set options.backend themselves.
  HypervisorOptions options;
  // Offered before boot, in this order; kvm-arm.protected_modules= decides
  // which are loaded.
  std::vector<Module> modules;
  // Hypervisor events enabled after boot (and tracing_on set to 1 when there
  // are any), e.g. {"host_hcall", "my_module_event"}.
  std::vector<std::string> trace_events;
  // Further tracefs writes after boot, (path, value), e.g.
  // {"hyp/buffer_size_kb", "64"}.
  std::vector<std::pair<std::string, std::string>> tracefs_writes;
  // Boot() may fail (a module that does not load): the test starts anyway.
  bool allow_boot_failure = false;
};

// The backends this build of libpkvm has (native always first).
std::vector<BackendKind> AvailableBackends();
// Those of them every module has a build for: what a suite over these
// modules can run on (a project without the AArch64 toolchain has no .ko).
std::vector<BackendKind> AvailableBackends(const std::vector<Module>& modules);
// Test name suffix for INSTANTIATE_TEST_SUITE_P: "native", "unicorn".
struct BackendParamName {
  std::string operator()(const ::testing::TestParamInfo<BackendKind>& info) const {
    return BackendName(info.param);
  }
};
// For TYPED_TEST_SUITE: each type has kKind; a backend this build cannot run
// skips (see above).
struct OnNative {
  static constexpr BackendKind kKind = BackendKind::kNative;
};
struct OnUnicorn {
  static constexpr BackendKind kKind = BackendKind::kUnicorn;
};
using BackendTypes = ::testing::Types<OnNative, OnUnicorn>;
struct BackendTypeNames {
  template <typename T>
  static std::string GetName(int) {
    return BackendName(T::kKind);
  }
};

// --- tracefs helpers --------------------------------------------------------
// "hyp/<rel>" on A14/A15, "hypervisor/<rel>" on A16.
std::string TracefsPath(const Hypervisor& hv, const std::string& rel);
// The enable file of a hypervisor event ("hyp/events/NAME/enable", on A16
// "hypervisor/events/hypervisor/NAME/enable").
std::string TraceEventEnablePath(const Hypervisor& hv, const std::string& event);
// Sets tracing_on and enables the event.
Status EnableTraceEvent(Hypervisor& hv, const std::string& event);
// Consumes trace_pipe and parses it.
StatusOr<std::vector<TraceEvent>> ReadTracePipe(Hypervisor& hv);

// --- the machine a suite shares ---------------------------------------------
// Boots once (lazily, at the first test), snapshots, restores before every
// later test. Fixtures below own one per suite (and backend); usable alone.
class SuiteMachine {
 public:
  explicit SuiteMachine(MachineConfig config);
  ~SuiteMachine();
  SuiteMachine(const SuiteMachine&) = delete;
  SuiteMachine& operator=(const SuiteMachine&) = delete;

  // Called before each test: the first call boots (and snapshots), later
  // calls restore the snapshot (or boot again: a machine that panicked
  // while booting).
  Status PrepareTest();
  // True when PrepareTest() failed because the backend's machines cannot be
  // created in this build (-EOPNOTSUPP): the fixture then skips.
  bool backend_unsupported() const { return backend_unsupported_; }
  // True when tests start from a snapshot (false: the boot panicked).
  bool uses_snapshots() const { return snapshot_.valid(); }
  // How many times a machine was created and booted (1 with snapshots).
  int boots() const { return boots_; }
  // The machine; null before the first PrepareTest() or after it failed.
  Hypervisor* hv() const { return hv_.get(); }
  const MachineConfig& config() const { return config_; }
  // The snapshot tests start from (invalid when the boot panicked).
  const Snapshot& snapshot() const { return snapshot_; }

 private:
  Status BootFresh();

  MachineConfig config_;
  std::unique_ptr<Hypervisor> hv_;
  Snapshot snapshot_;
  Status start_status_;
  bool started_ = false;
  bool backend_unsupported_ = false;
  int boots_ = 0;
};

namespace internal {
// SetUp of the fixtures: prepares the machine, skips or fails the test.
void PrepareOrSkip(SuiteMachine& machine);
}  // namespace internal

// Test fixture (TEST_F): `Derived` provides `static MachineConfig Config();`
// and the machine is on Config().options.backend.
template <typename Derived>
class MachineTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() { Slot() = std::make_unique<SuiteMachine>(Derived::Config()); }
  static void TearDownTestSuite() { Slot().reset(); }

 protected:
  void SetUp() override {
    if (Slot() == nullptr) SetUpTestSuite();
    internal::PrepareOrSkip(*Slot());
  }
  Hypervisor& hv() { return *Slot()->hv(); }
  SuiteMachine& suite_machine() { return *Slot(); }

 private:
  static std::unique_ptr<SuiteMachine>& Slot() {
    static std::unique_ptr<SuiteMachine> machine;
    return machine;
  }
};

// Value-parameterised fixture (TEST_P) over BackendKind: one machine per
// backend per suite; Config().options.backend is replaced by the parameter.
// Instantiate with AvailableBackends() (or AvailableBackends(modules)).
template <typename Derived>
class MachineTestP : public ::testing::TestWithParam<BackendKind> {
 public:
  static void TearDownTestSuite() { Machines().clear(); }

 protected:
  void SetUp() override {
    std::unique_ptr<SuiteMachine>& m = Machines()[GetParam()];
    if (m == nullptr) {
      MachineConfig c = Derived::Config();
      c.options.backend = GetParam();
      m = std::make_unique<SuiteMachine>(std::move(c));
    }
    internal::PrepareOrSkip(*m);
  }
  Hypervisor& hv() { return *Machines()[GetParam()]->hv(); }
  SuiteMachine& suite_machine() { return *Machines()[GetParam()]; }

 private:
  static std::map<BackendKind, std::unique_ptr<SuiteMachine>>& Machines() {
    static std::map<BackendKind, std::unique_ptr<SuiteMachine>> machines;
    return machines;
  }
};

}  // namespace pkvm::testing

#endif  // PKVM_TESTING_FIXTURE_H_

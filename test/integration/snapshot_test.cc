// Snapshot/restore of a booted machine (docs/snapshots.md), for each
// generation and backend: what a restore must undo (module EL2 data, handler
// registrations, hypervisor settings, the VA allocator, RAM, devices, page
// ownership, tracing) and what it must keep working (later snapshots, a
// panicked machine, the trace buffers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "../modules/probe/probe.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(probe_a14);
PKVM_DECLARE_NATIVE_MODULE(probe_a15);
PKVM_DECLARE_NATIVE_MODULE(probe_a16);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a14);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a16);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kHvc128 = PKVM_HOST_SMCCC_ID(128);
constexpr uint64_t kDevice = 0x9000000;  // a device's MMIO page (below RAM)

template <typename C>
class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HypervisorOptions o;
    o.backend = C::Backend::kKind;
    o.generation = C::kGen;
    o.cpus = 2;
    o.cmdline = "kvm-arm.protected_modules=probe";
    hv_ = std::move(Hypervisor::Create(o)).value();
    ASSERT_TRUE(hv_->AddMmioRegion(kDevice, 4096, "uart").ok());
    ASSERT_TRUE(hv_->OfferModule(ForGeneration<C::kGen>(PKVM_NATIVE_MODULE(probe_a14),
                                                        PKVM_NATIVE_MODULE(probe_a15),
                                                        PKVM_NATIVE_MODULE(probe_a16)))
                    .ok());
    const Status s = hv_->Boot();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv_->boot_log();
  }
  uint64_t Probe(uint64_t cmd, uint64_t a = 0, uint64_t* x2 = nullptr, uint64_t* x3 = nullptr) {
    auto r = hv_->HostHvc(kHvc128, {cmd, a, 0});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return ~0ull;
    if (x2) *x2 = r->x(2);
    if (x3) *x3 = r->x(3);
    return r->x(1);
  }
  int ProbeInt(uint64_t cmd, uint64_t a = 0) { return static_cast<int>(Probe(cmd, a)); }
  // Every counter the probe module keeps in its EL2 data.
  std::vector<uint64_t> Counters() {
    uint64_t a = 0, b = 0;
    const uint64_t c = Probe(PROBE_COUNTERS, 0, &a, &b);
    return {c, a, b, Probe(PROBE_PUTC_CHARS)};
  }
  Snapshot Take() {
    auto s = hv_->TakeSnapshot();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Snapshot();
  }
  void Restore(const Snapshot& s) {
    const Status st = hv_->RestoreSnapshot(s);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  static constexpr bool kA14 = C::kGen == Generation::kA14;
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(SnapshotTest, GenConfigs, GenConfigNames);

TYPED_TEST(SnapshotTest, ErrorsNameTheProblem) {
  HypervisorOptions o;
  o.backend = TypeParam::Backend::kKind;
  o.generation = TypeParam::kGen;
  auto fresh = std::move(Hypervisor::Create(o)).value();
  auto before_boot = fresh->TakeSnapshot();
  EXPECT_EQ(before_boot.status().error(), -EPERM);
  EXPECT_THAT(before_boot.status().message(), HasSubstr("Boot()"));

  const Status invalid = this->hv_->RestoreSnapshot(Snapshot());
  EXPECT_EQ(invalid.error(), -EINVAL);
  EXPECT_FALSE(Snapshot().valid());

  // Another machine's snapshot, even of the same configuration.
  ASSERT_TRUE(fresh->Boot().ok());
  auto other = fresh->TakeSnapshot();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->valid());
  const Status foreign = this->hv_->RestoreSnapshot(*other);
  EXPECT_EQ(foreign.error(), -EINVAL);
  EXPECT_THAT(foreign.message(), HasSubstr("another machine"));
  EXPECT_EQ(this->Probe(PROBE_PING), PROBE_PONG);  // untouched

  // Not from the machine's own code (a callback, EL1 code it runs).
  Snapshot mine = this->Take();
  int inside = 0;
  ASSERT_TRUE(this->hv_->RunEl1([&] { inside = this->hv_->RestoreSnapshot(mine).error(); }).ok());
  EXPECT_EQ(inside, -EBUSY);
}

TYPED_TEST(SnapshotTest, RestoreUndoesEverythingTheTestDid) {
  const std::vector<uint64_t> counters = this->Counters();
  const std::string serial = this->hv_->serial_output();
  const std::string pages = this->hv_->DumpPageStates();
  const uint64_t hcr = this->hv_->hcr_el2();
  const uint32_t hcalls = this->hv_->dynamic_hcall_count();
  const uint64_t ram_phys = 0x40000000 + (3ull << 20);
  const Snapshot snap = this->Take();

  // Module data, handler slots, hypervisor registers, the VA allocator.
  ASSERT_EQ(this->ProbeInt(PROBE_REG_SERIAL), 0);
  this->Probe(PROBE_PUTS);
  ASSERT_THAT(this->hv_->serial_output(), HasSubstr("probe says hi"));
  ASSERT_EQ(this->ProbeInt(PROBE_REG_PERM_FAULT), 0);
  this->Probe(PROBE_SET_FAULT_RESULT, static_cast<uint64_t>(-EAGAIN));
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x2000), -EAGAIN);
  this->Probe(PROBE_UPDATE_HCR, 1ull << 27, 0);
  ASSERT_NE(this->hv_->hcr_el2(), hcr);
  const uint64_t va = this->Probe(PROBE_ALLOC_VA, 2);
  ASSERT_NE(va, 0u);
  // Memory: RAM the host wrote, a device register, pages given to EL2.
  const uint32_t word = 0xfeedf00d;
  ASSERT_TRUE(this->hv_->host_write(ram_phys, &word, sizeof word).ok());
  ASSERT_TRUE(this->hv_->host_write(kDevice + 8, &word, sizeof word).ok());
  ASSERT_TRUE(this->hv_->TopUpHypPool(HypPool::kHypAlloc, 4).ok());
  ASSERT_NE(this->hv_->DumpPageStates(), pages);

  this->Restore(snap);
  EXPECT_EQ(this->hv_->state(), MachineState::kDeprivileged);
  EXPECT_EQ(this->hv_->serial_output(), serial);
  EXPECT_EQ(this->Counters(), counters);
  EXPECT_EQ(this->hv_->hcr_el2(), hcr);
  EXPECT_EQ(this->hv_->dynamic_hcall_count(), hcalls);
  EXPECT_EQ(this->hv_->DumpPageStates(), pages);
  uint32_t back = 1;
  ASSERT_TRUE(this->hv_->host_read(ram_phys, &back, sizeof back).ok());
  EXPECT_EQ(back, 0u);
  back = 1;
  ASSERT_TRUE(this->hv_->host_read(kDevice + 8, &back, sizeof back).ok());
  EXPECT_EQ(back, 0u);
  // The registrations are gone: the slots take a handler again, the fault
  // goes back to the host, and the allocator hands out the same VA.
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x2000), -EPERM);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_SERIAL), 0);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PERM_FAULT), 0);
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x2000), 0);  // fault_result is 0 again
  EXPECT_EQ(this->Probe(PROBE_ALLOC_VA, 2), va);
}

TYPED_TEST(SnapshotTest, APanickedMachineComesBack) {
  const std::vector<uint64_t> counters = this->Counters();
  const std::string log = this->hv_->boot_log();
  const Snapshot snap = this->Take();
  ASSERT_EQ(this->ProbeInt(PROBE_REG_PANIC), 0);
  auto r = this->hv_->HostHvc(kHvc128, {PROBE_BUG, 42, 0});
  EXPECT_EQ(r.status().error(), -EIO);
  ASSERT_EQ(this->hv_->state(), MachineState::kPanicked);
  auto again = this->hv_->TakeSnapshot();
  EXPECT_EQ(again.status().error(), -EIO);
  EXPECT_THAT(again.status().message(), HasSubstr("restore an earlier snapshot"));

  this->Restore(snap);
  EXPECT_EQ(this->hv_->state(), MachineState::kDeprivileged);
  EXPECT_EQ(this->hv_->panic_report(), "");
  EXPECT_EQ(this->hv_->boot_log(), log);
  EXPECT_EQ(this->Probe(PROBE_PING), PROBE_PONG);
  EXPECT_EQ(this->Counters(), counters);  // the panic notifier's call is undone too
  // And it can panic (and be restored) again: the notifier slot is free.
  ASSERT_EQ(this->ProbeInt(PROBE_REG_PANIC), 0);
  ASSERT_TRUE(this->hv_->InjectHypPanic("again").ok());
  EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
  this->Restore(snap);
  EXPECT_EQ(this->Probe(PROBE_PING), PROBE_PONG);
}

TYPED_TEST(SnapshotTest, EverySnapshotStaysValid) {
  const Snapshot empty = this->Take();
  ASSERT_EQ(this->ProbeInt(PROBE_REG_SERIAL), 0);
  this->Probe(PROBE_PUTX64, 0x1234);
  const std::string one = this->hv_->serial_output();
  const Snapshot printed = this->Take();
  this->Probe(PROBE_PUTX64, 0x5678);
  const std::string two = this->hv_->serial_output();

  this->Restore(empty);
  EXPECT_EQ(this->hv_->serial_output(), "");
  this->Probe(PROBE_PUTX64, 0x1);  // no driver registered here: nothing printed
  EXPECT_EQ(this->hv_->serial_output(), "");
  this->Restore(printed);
  EXPECT_EQ(this->hv_->serial_output(), one);
  this->Probe(PROBE_PUTX64, 0x5678);  // the driver is registered here
  EXPECT_EQ(this->hv_->serial_output(), two);
  for (int i = 0; i < 3; ++i) {
    this->Restore(empty);
    this->Restore(printed);
  }
  EXPECT_EQ(this->hv_->serial_output(), one);
  // A copy of a snapshot is the same snapshot.
  const Snapshot copy = empty;
  this->Restore(copy);
  EXPECT_EQ(this->hv_->serial_output(), "");
}

// Tracing: settings come back, buffers come back empty and keep working.
template <typename C>
class SnapshotTracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HypervisorOptions o;
    o.backend = C::Backend::kKind;
    o.generation = C::kGen;
    o.trace_clock = TraceClockSource::kManual;
    o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
    hv_ = std::move(Hypervisor::Create(o)).value();
    ASSERT_TRUE(hv_->OfferModule(ForGeneration<C::kGen>(PKVM_NATIVE_MODULE(pkvm_driver_a14),
                                                        PKVM_NATIVE_MODULE(pkvm_driver_a15),
                                                        PKVM_NATIVE_MODULE(pkvm_driver_a16)))
                    .ok());
    ASSERT_TRUE(hv_->Boot().ok()) << hv_->boot_log();
  }
  std::string Path(const std::string& rel) const {
    return std::string(C::kGen == Generation::kA16 ? "hypervisor/" : "hyp/") + rel;
  }
  std::string Event(const std::string& ev) const {
    return C::kGen == Generation::kA16 ? "hypervisor/events/hypervisor/" + ev + "/enable"
                                       : "hyp/events/" + ev + "/enable";
  }
  std::string Read(const std::string& path) {
    auto r = hv_->TracefsRead(path);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? *r : "";
  }
  void Write(const std::string& path, const std::string& v) {
    const Status s = hv_->TracefsWrite(path, v);
    EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  }
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(SnapshotTracingTest, GenConfigs, GenConfigNames);

TYPED_TEST(SnapshotTracingTest, SettingsComeBackAndBuffersEmpty) {
  const Snapshot off = std::move(this->hv_->TakeSnapshot()).value();
  this->Write(this->Event("host_hcall"), "1\n");
  this->Write(this->Path("tracing_on"), "1");
  ASSERT_TRUE(this->hv_->HostHvc(kHvc128, {1}).ok());
  ASSERT_THAT(this->Read(this->Path("trace_pipe")), HasSubstr("host_hcall id=128"));

  ASSERT_TRUE(this->hv_->RestoreSnapshot(off).ok());
  EXPECT_EQ(this->Read(this->Path("tracing_on")), "0\n");
  EXPECT_EQ(this->Read(this->Event("host_hcall")), "0\n");
  EXPECT_EQ(this->Read(this->Path("trace_pipe")), "");

  // Tracing on in the snapshot, with an event pending that was read before.
  this->Write(this->Event("host_hcall"), "1\n");
  this->Write(this->Path("tracing_on"), "1");
  this->hv_->AdvanceTraceClock(1'000'000'000);
  ASSERT_TRUE(this->hv_->HostHvc(kHvc128, {1}).ok());
  EXPECT_EQ(this->Read(this->Path("trace_pipe")), "[000]\t    1.000000: host_hcall id=128 invalid=0\n");
  const Snapshot on = std::move(this->hv_->TakeSnapshot()).value();
  this->hv_->AdvanceTraceClock(5'000'000'000);
  ASSERT_TRUE(this->hv_->HostHvc(0xC6000000u | 200).ok());
  this->Write(this->Event("host_hcall"), "0\n");

  ASSERT_TRUE(this->hv_->RestoreSnapshot(on).ok());
  EXPECT_EQ(this->Read(this->Path("tracing_on")), "1\n");
  EXPECT_EQ(this->Read(this->Event("host_hcall")), "1\n");
  EXPECT_EQ(this->Read(this->Path("trace_pipe")), "");  // the later event is gone
  // The manual clock is back at 1 s, the buffers record again.
  this->hv_->AdvanceTraceClock(500'000'000);
  ASSERT_TRUE(this->hv_->HostHvc(kHvc128, {2}).ok());
  EXPECT_EQ(this->Read(this->Path("trace_pipe")), "[000]\t    1.500000: host_hcall id=128 invalid=0\n");
}

TYPED_TEST(SnapshotTracingTest, ModuleEventEnableFlagsLiveInModuleMemory) {
  if constexpr (TypeParam::kGen == Generation::kA14) {
    GTEST_SKIP() << "A14 modules define no hypervisor events";
  } else {
    const std::string ev = this->Event("pkvm_driver_event");
    const Snapshot snap = std::move(this->hv_->TakeSnapshot()).value();
    this->Write(ev, "1\n");
    this->Write(this->Path("tracing_on"), "1");
    ASSERT_TRUE(this->hv_->HostHvc(kHvc128, {0xabc}).ok());
    EXPECT_THAT(this->Read(this->Path("trace_pipe")), HasSubstr("pkvm_driver_event id=0x00000abc"));
    ASSERT_TRUE(this->hv_->RestoreSnapshot(snap).ok());
    EXPECT_EQ(this->Read(ev), "0\n");
    this->Write(this->Path("tracing_on"), "1");
    ASSERT_TRUE(this->hv_->HostHvc(kHvc128, {0xabc}).ok());  // the module's flag is 0 again
    EXPECT_THAT(this->Read(this->Path("trace_pipe")), IsEmpty());
  }
}

}  // namespace
}  // namespace pkvm::testing

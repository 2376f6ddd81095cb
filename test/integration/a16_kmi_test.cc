// File: test/integration/a16_kmi_test.cc
// The later android16-6.12 KMI levels (HypervisorOptions::a16_kmi, module
// side -DPKVM_A16_KMI): get_time, device_register_power_lock and guest SMC
// handlers returning enum pkvm_smc_handler_ret, on both backends, with the
// late_kmi module (built at PKVM_A16_KMI=2).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include "../modules/late_kmi/late_kmi.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(late_kmi);

namespace pkvm::testing {
namespace {

constexpr uint64_t kDev = 0x0a000000;
constexpr uint64_t kPage = 4096;

template <typename B>
class A16KmiTest : public ::testing::Test {
 protected:
  // A booted A16 machine at KMI level `kmi` with late_kmi loaded.
  void Boot(int kmi) {
    HypervisorOptions o;
    o.backend = B::kKind;
    o.generation = Generation::kA16;
    o.a16_kmi = kmi;
    o.trace_clock = TraceClockSource::kManual;
    o.cmdline = "kvm-arm.protected_modules=late_kmi";
    auto hv = Hypervisor::Create(o);
    ASSERT_TRUE(hv.ok()) << hv.status().ToString();
    hv_ = std::move(hv).value();
    ASSERT_TRUE(hv_->AddMmioRegion(kDev, 4 * kPage, "dev").ok());
    ASSERT_TRUE(hv_->OfferModule(PKVM_NATIVE_MODULE(late_kmi)).ok());
    const Status s = hv_->Boot();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv_->boot_log();
  }
  int64_t Call(uint64_t cmd, uint64_t a = 0, uint64_t* r2 = nullptr) {
    auto r = hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {cmd, a});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return -9999;
    EXPECT_EQ(r->x(0), 0u);
    if (r2 != nullptr) *r2 = r->x(2);
    return static_cast<int64_t>(r->x(1));
  }
  SmcccRegs Smc(uint64_t fid, uint64_t a1 = 0) {
    SmcccRegs r{};
    r.x[0] = fid;
    r.x[1] = a1;
    return r;
  }

  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(A16KmiTest, Backends, BackendNames);

TYPED_TEST(A16KmiTest, OptionsAreChecked) {
  HypervisorOptions o;
  o.backend = TypeParam::kKind;
  o.generation = Generation::kA16;
  o.a16_kmi = kA16KmiLatest + 1;
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
  o.generation = Generation::kA15;
  o.a16_kmi = kA16KmiPowerLock;
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
}

TYPED_TEST(A16KmiTest, SlotsAboveTheLevelStayReserved) {
  this->Boot(kA16KmiVerified);
  EXPECT_EQ(this->Call(LK_SLOTS), 0);
  this->Boot(kA16KmiPowerLock);
  EXPECT_EQ(this->Call(LK_SLOTS), 1);
  this->Boot(kA16KmiLate);
  EXPECT_EQ(this->Call(LK_SLOTS), 3);
}

TYPED_TEST(A16KmiTest, GetTimeIsTheHypervisorClockInMicroseconds) {
  this->Boot(kA16KmiLate);
  const int64_t t0 = this->Call(LK_GET_TIME);
  this->hv_->AdvanceTraceClock(5'000'000);  // 5 ms
  EXPECT_EQ(this->Call(LK_GET_TIME) - t0, 5000);
  this->hv_->AdvanceTraceClock(999);  // under a microsecond more
  EXPECT_EQ(this->Call(LK_GET_TIME) - t0, 5000);
  this->hv_->AdvanceTraceClock(1);
  EXPECT_EQ(this->Call(LK_GET_TIME) - t0, 5001);
}

TYPED_TEST(A16KmiTest, DevicePowerLockRunsTheModulesCallback) {
  this->Boot(kA16KmiPowerLock);
  EXPECT_EQ(this->Call(LK_REG_POWER_LOCK, kDev + kPage), -ENODEV);  // not a device's base
  EXPECT_EQ(this->Call(LK_REG_POWER_LOCK, 0x1000), -ENODEV);
  ASSERT_EQ(this->Call(LK_REG_POWER_LOCK, kDev), 0);
  EXPECT_EQ(this->Call(LK_REG_POWER_LOCK, kDev), -EBUSY);

  auto g = this->hv_->CreateGuest({});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // Only the guest the device is assigned to may ask.
  EXPECT_EQ(this->hv_->GuestDevicePowerLock(kDev, *g, true).status().error(), -EPERM);
  ASSERT_TRUE(this->hv_->AssignDevice(kDev, *g).ok());
  EXPECT_EQ(this->Call(LK_POWER_STATE), 0);

  auto r = this->hv_->GuestDevicePowerLock(kDev, *g, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(this->Call(LK_POWER_STATE), 1 | 1 << 16 | 1 << 24);  // one call, lock, cookie

  this->Call(LK_SET_POWER_RESULT, static_cast<uint64_t>(-EAGAIN));
  r = this->hv_->GuestDevicePowerLock(kDev, *g, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -EAGAIN);  // the callback's answer reaches the guest
  EXPECT_EQ(this->Call(LK_POWER_STATE), 2 | 0 << 16 | 1 << 24);
  EXPECT_EQ(this->hv_->GuestDevicePowerLock(kDev + kPage, *g, true).status().error(), -ENODEV);
}

// The core hyp event power_lock(vm, device, lock, ret) records each request
// with the callback's answer.
TYPED_TEST(A16KmiTest, DevicePowerLockEmitsTheHypEvent) {
  this->Boot(kA16KmiPowerLock);
  Hypervisor& hv = *this->hv_;
  ASSERT_EQ(this->Call(LK_REG_POWER_LOCK, kDev), 0);
  auto g = hv.CreateGuest({});
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(hv.AssignDevice(kDev, *g).ok());
  ASSERT_TRUE(hv.TracefsWrite("hypervisor/events/hypervisor/power_lock/enable", "1").ok());
  ASSERT_TRUE(hv.TracefsWrite("hypervisor/tracing_on", "1").ok());
  ASSERT_TRUE(hv.GuestDevicePowerLock(kDev, *g, true).ok());
  this->Call(LK_SET_POWER_RESULT, static_cast<uint64_t>(-EAGAIN));
  ASSERT_TRUE(hv.GuestDevicePowerLock(kDev, *g, false).ok());
  // A request that never reaches a callback (not the guest's device) is not
  // an event.
  EXPECT_FALSE(hv.GuestDevicePowerLock(kDev + kPage, *g, true).ok());
  auto text = hv.TracefsRead("hypervisor/trace_pipe");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const std::string vm = std::to_string(*g);
  EXPECT_EQ(*text, "[000]\t    0.000000: power_lock vm=" + vm + " device=0xa000000 lock=1 ret=0\n"
                   "[000]\t    0.000000: power_lock vm=" + vm + " device=0xa000000 lock=0 ret=-11\n");
}

TYPED_TEST(A16KmiTest, DevicePowerLockNeedsTheKmiLevel) {
  this->Boot(kA16KmiVerified);
  auto g = this->hv_->CreateGuest({});
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(this->hv_->AssignDevice(kDev, *g).ok());
  EXPECT_EQ(this->hv_->GuestDevicePowerLock(kDev, *g, true).status().error(), -EOPNOTSUPP);
}

TYPED_TEST(A16KmiTest, DevicePowerLockWithoutCallback) {
  this->Boot(kA16KmiPowerLock);
  auto g = this->hv_->CreateGuest({});
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(this->hv_->AssignDevice(kDev, *g).ok());
  EXPECT_EQ(this->hv_->GuestDevicePowerLock(kDev, *g, true).status().error(), -EOPNOTSUPP);
}

TYPED_TEST(A16KmiTest, GuestSmcHandlersReturnAnEnumAndChain) {
  this->Boot(kA16KmiLate);
  auto g = this->hv_->CreateGuest({});
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(this->Call(LK_REG_GUEST_SMC, LK_SMC_DECLINE), 0);
  ASSERT_EQ(this->Call(LK_REG_GUEST_SMC, LK_SMC_ANSWER), 0);

  // The first handler declines (NOT_HANDLED = 1), the second answers
  // (HANDLED = 0): a bool-reading hypervisor would get both backwards.
  auto r = this->hv_->GuestSmc(*g, this->Smc(LK_FID_ANSWER, 41));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->handled_by_module);
  EXPECT_FALSE(r->needs_topup);
  EXPECT_EQ(r->regs.x[0], 0u);
  EXPECT_EQ(r->regs.x[1], 42u);
  EXPECT_EQ(r->regs.x[2], *g);
  uint64_t answers = 0;
  EXPECT_EQ(this->Call(LK_SMC_CALLS, 0, &answers), 1);
  EXPECT_EQ(answers, 1u);

  // NEED_TOPUP: nothing answered, the guest's registers are untouched.
  r = this->hv_->GuestSmc(*g, this->Smc(LK_FID_TOPUP, 7));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->needs_topup);
  EXPECT_FALSE(r->handled_by_module);
  EXPECT_EQ(r->regs.x[0], LK_FID_TOPUP);
  EXPECT_EQ(r->regs.x[1], 7u);

  // Nobody handles it: SMCCC NOT_SUPPORTED, after every handler ran.
  r = this->hv_->GuestSmc(*g, this->Smc(0xC6000102));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->handled_by_module);
  EXPECT_EQ(r->regs.x[0], static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED));
  EXPECT_EQ(this->Call(LK_SMC_CALLS, 0, &answers), 3);
  EXPECT_EQ(answers, 3u);

  // Sixteen handlers at most.
  for (int i = 2; i < 16; ++i) ASSERT_EQ(this->Call(LK_REG_GUEST_SMC, LK_SMC_DECLINE), 0) << i;
  EXPECT_EQ(this->Call(LK_REG_GUEST_SMC, LK_SMC_DECLINE), -ENOSPC);
}

}  // namespace
}  // namespace pkvm::testing

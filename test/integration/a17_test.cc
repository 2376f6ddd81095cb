// File: test/integration/a17_test.cc
// The provisional A17 (android17-6.18) profile on both backends, with the
// a17_ops module loaded in the tokenless form: every member the post-6.12
// table adds or changes (post-a16.md 1.3) does what the kernel does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "../modules/a17_ops/a17_ops.h"
#include "backends.h"
#include "pkvm/generation.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/page_state.h"

PKVM_DECLARE_NATIVE_MODULE(a17_ops);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a17);
PKVM_DECLARE_NATIVE_MODULE(hello_hypercall_a17);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kDev = 0x0a000000;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kPfn = (kRam >> 12) + 0x10;  // a host RAM page

// A booted A17 machine (manual trace clock, a device at kDev) with `module`
// loaded; nullptr with the test failed and the boot log shown.
std::unique_ptr<Hypervisor> BootA17(BackendKind backend, const pkvm_native_module& module) {
  HypervisorOptions o;
  o.backend = backend;
  o.generation = Generation::kA17;
  o.trace_clock = TraceClockSource::kManual;
  o.cmdline = std::string("kvm-arm.protected_modules=") + module.name;
  auto hv = Hypervisor::Create(o);
  EXPECT_TRUE(hv.ok()) << hv.status().ToString();
  if (!hv.ok()) return nullptr;
  EXPECT_TRUE((*hv)->AddMmioRegion(kDev, 4 * kPage, "dev").ok());
  EXPECT_TRUE((*hv)->OfferModule(module).ok());
  const Status s = (*hv)->Boot();
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << (*hv)->boot_log();
  return s.ok() ? std::move(hv).value() : nullptr;
}

template <typename B>
class A17Test : public ::testing::Test {
 protected:
  void SetUp() override {
    hv_ = BootA17(B::kKind, PKVM_NATIVE_MODULE(a17_ops));
    ASSERT_NE(hv_, nullptr);
  }
  int64_t Call(uint64_t cmd, uint64_t a = 0, uint64_t b = 0, uint64_t* r2 = nullptr) {
    const auto r = ModuleCall(*hv_, cmd, a, b);
    if (r2 != nullptr) *r2 = r[1];
    return static_cast<int64_t>(r[0]);
  }
  void ExpectAlive() {
    EXPECT_NE(hv_->state(), MachineState::kPanicked) << hv_->boot_log();
  }

  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(A17Test, Backends, BackendNames);

TEST(A17Profile, IsNamedProvisional) {
  EXPECT_TRUE(GenerationIsProvisional(Generation::kA17));
  EXPECT_FALSE(GenerationIsProvisional(Generation::kA16));
  EXPECT_TRUE(IsValidGeneration(17));
  EXPECT_FALSE(IsValidGeneration(18));
  EXPECT_STREQ(GenerationBranch(Generation::kA17), "android17-6.18");
  // The tracefs flavour of A17 is a choice (docs/abi-decisions.md).
  EXPECT_EQ(DefaultTracefsFlavor(Generation::kA17), TracefsFlavor::kUpstream);
}

TYPED_TEST(A17Test, TokenlessModuleLoadsAndAnswers) {
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("a17_ops"));
  EXPECT_EQ(this->Call(A17_CPU), 0);
  EXPECT_EQ(this->Call(99), -EOPNOTSUPP);
}

TYPED_TEST(A17Test, GetTimeIsTheHypervisorClockInMicroseconds) {
  const int64_t t0 = this->Call(A17_GET_TIME);
  this->hv_->AdvanceTraceClock(3'000'000);
  EXPECT_EQ(this->Call(A17_GET_TIME) - t0, 3000);
}

TYPED_TEST(A17Test, FixblockMapReportsTheBlockSize) {
  uint64_t size = 1;
  EXPECT_EQ(this->Call(A17_FIXBLOCK, kRam + 0x200000 + 0x3000, 0, &size), 1);
  EXPECT_EQ(size, 2u << 20);
  // Nothing mapped: NULL and the size left alone.
  EXPECT_EQ(this->Call(A17_FIXBLOCK, 0x1000, 0, &size), 0);
  EXPECT_EQ(size, 0u);
}

TYPED_TEST(A17Test, HostDonateHypTakesMmioWithoutBeingAsked) {
  // A16's host_donate_hyp(pfn, nr, accept_mmio=false) refuses device memory;
  // A17's two-argument form accepts it, as its wrapper passes true.
  EXPECT_EQ(this->Call(A17_DONATE, kDev >> 12, 1), 0);
  EXPECT_EQ(this->hv_->page_state(kDev >> 12).owner, PageOwner::kHyp);
  EXPECT_EQ(this->Call(A17_DONATE, kPfn, 2), 0);
  EXPECT_EQ(this->hv_->page_state(kPfn + 1).owner, PageOwner::kHyp);
  EXPECT_EQ(this->Call(A17_DONATE, kPfn, 1), -EPERM);  // not the host's any more
}

TYPED_TEST(A17Test, AtomicReclaimNeedsNoOrder) {
  ASSERT_TRUE(this->hv_->TopUpHypPool(HypPool::kIommuAtomic, 16).ok());
  // An order-2 block goes back whole: the next order-2 donation gets it again
  // (a reclaim that took order 0 would panic on the pool's check).
  EXPECT_EQ(this->Call(A17_ATOMIC, 2), 1);
  EXPECT_EQ(this->Call(A17_ATOMIC, 0), 1);
  this->ExpectAlive();
}

TYPED_TEST(A17Test, UseDmaPinsHostPagesUntilUnused) {
  const uint64_t phys = kPfn << 12;
  EXPECT_EQ(this->Call(A17_USE_DMA, phys + 8, kPage), -EINVAL);  // not page-aligned
  ASSERT_EQ(this->Call(A17_USE_DMA, phys, kPage), 0);
  EXPECT_EQ(this->hv_->page_state(kPfn).dma_refs, 1u);
  EXPECT_EQ(this->Call(A17_DONATE, kPfn, 1), -EPERM);  // in DMA use
  ASSERT_EQ(this->Call(A17_UNUSE_DMA, phys, kPage), 0);
  EXPECT_EQ(this->hv_->page_state(kPfn).dma_refs, 0u);
  EXPECT_EQ(this->Call(A17_DONATE, kPfn, 1), 0);
  // Device memory is not refcounted, as for pkvm_unuse_dma.
  EXPECT_EQ(this->Call(A17_USE_DMA, kDev, kPage), 0);
  EXPECT_EQ(this->hv_->page_state(kDev >> 12).dma_refs, 0u);
  this->ExpectAlive();
}

TYPED_TEST(A17Test, InitHvcPdRoutesHostPowerRequests) {
  Hypervisor& hv = *this->hv_;
  EXPECT_EQ(this->Call(A17_INIT_PD, 32, 0), -E2BIG);
  EXPECT_EQ(hv.HostPowerDomain(3, true).status().error(), -ENOENT);
  ASSERT_EQ(this->Call(A17_INIT_PD, 3, 0), 0);
  ASSERT_EQ(this->Call(A17_INIT_PD, 5, 1), 0);
  EXPECT_EQ(this->Call(A17_PD_STATE), 0 | 0xff << 16);

  auto r = hv.HostPowerDomain(3, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(this->Call(A17_PD_STATE), 1 | 0 << 8 | 0 << 16);  // power_on(&pds[0])
  r = hv.HostPowerDomain(5, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(this->Call(A17_PD_STATE), 1 | 1 << 8 | 1 << 16);  // power_off(&pds[1])

  this->Call(A17_SET_PD_RESULT, static_cast<uint64_t>(-EIO));
  r = hv.HostPowerDomain(3, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -EIO);  // the callback's answer

  // A later registration of an id replaces the earlier one.
  ASSERT_EQ(this->Call(A17_INIT_PD, 3, 1), 0);
  ASSERT_TRUE(hv.HostPowerDomain(3, true).ok());
  EXPECT_EQ(this->Call(A17_PD_STATE), 2 | 2 << 8 | 1 << 16);
  EXPECT_EQ(hv.HostPowerDomain(32, true).status().error(), -E2BIG);
  this->ExpectAlive();
}

TYPED_TEST(A17Test, OnePviommuDriver) {
  EXPECT_EQ(this->Call(A17_PVIOMMU, 7), 0);
  EXPECT_EQ(this->Call(A17_PVIOMMU, 8), -EBUSY);
  EXPECT_EQ(this->Call(A17_PVIOMMU, 7), -EBUSY);
}

TYPED_TEST(A17Test, GuestTrngOpsAreOnePerMachine) {
  EXPECT_EQ(this->Call(A17_TRNG), 0);
  EXPECT_EQ(this->Call(A17_TRNG), -EBUSY);
}

TYPED_TEST(A17Test, DevicePowerLockRunsTheCallbackAndTracesIt) {
  Hypervisor& hv = *this->hv_;
  ASSERT_EQ(this->Call(A17_REG_POWER_LOCK, kDev), 0);
  EXPECT_EQ(this->Call(A17_REG_POWER_LOCK, kDev), -EBUSY);
  auto g = hv.CreateGuest({});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(hv.AssignDevice(kDev, *g).ok());
  const std::string root = hv.tracefs_root();
  ASSERT_TRUE(hv.TracefsWrite(root + "/events/hypervisor/power_lock/enable", "1").ok());
  ASSERT_TRUE(hv.TracefsWrite(root + "/tracing_on", "1").ok());

  auto r = hv.GuestDevicePowerLock(kDev, *g, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(this->Call(A17_POWER_STATE), 1 | 1 << 16);
  auto text = hv.TracefsRead(root + "/trace_pipe");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_THAT(*text, HasSubstr("power_lock vm=" + std::to_string(*g) +
                               " device=0xa000000 lock=1 ret=0"));
}

// The example module in its A17 form (examples/pkvm_driver/android17): loads
// tokenless, answers its hypercall and traces into the A17 tracefs.
TYPED_TEST(A17Test, ExampleModuleLoadsAndAnswers) {
  auto hv = BootA17(TypeParam::kKind, PKVM_NATIVE_MODULE(pkvm_driver_a17));
  ASSERT_NE(hv, nullptr);
  EXPECT_THAT(hv->loaded_modules(), ::testing::ElementsAre("pkvm_driver"));
  const std::string root = hv->tracefs_root();
  ASSERT_TRUE(hv->TracefsWrite(root + "/events/hypervisor/pkvm_driver_event/enable", "1").ok());
  ASSERT_TRUE(hv->TracefsWrite(root + "/tracing_on", "1").ok());
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {0x2a, 8, 9});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(0), 0u);
  EXPECT_EQ(r->x(1), 0u);
  EXPECT_EQ(r->x(3), 9u);
  auto text = hv->TracefsRead(root + "/trace");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_THAT(*text, HasSubstr(": pkvm_driver_event id=0x0000002a\n"));
}

// hello_hypercall in its A17 build: trace_hyp_printk() through
// tracing_mod_hyp_printk, read from the A17 tracefs.
TYPED_TEST(A17Test, HelloHypercallPrintsIntoTheTrace) {
  auto hv = BootA17(TypeParam::kKind, PKVM_NATIVE_MODULE(hello_hypercall_a17));
  ASSERT_NE(hv, nullptr);
  const std::string root = hv->tracefs_root();
  ASSERT_TRUE(hv->TracefsWrite(root + "/events/hypervisor/__hyp_printk/enable", "1").ok());
  ASSERT_TRUE(hv->TracefsWrite(root + "/tracing_on", "1").ok());
  ASSERT_TRUE(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {77}).ok());
  auto text = hv->TracefsRead(root + "/trace_pipe");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text,
            "[000]\t    0.000000: __hyp_printk Hello World\n"
            "[000]\t    0.000000: __hyp_printk Hello World from CPU 0, x1=77\n");
}

TYPED_TEST(A17Test, HostPowerDomainNeedsA17) {
  auto hv = MakeMachine(TypeParam::kKind, Generation::kA16, "");
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_EQ(hv->HostPowerDomain(0, true).status().error(), -EOPNOTSUPP);
}

}  // namespace
}  // namespace pkvm::testing

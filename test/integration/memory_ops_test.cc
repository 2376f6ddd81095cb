// Memory ownership, guests and devices end to end: the mem_probe module calls
// every memory member of pkvm_module_ops from its EL2 code through real
// hypercalls, and the host side (host_read/host_write, pool top-ups, guest
// SMCs, device assignment) drives the callbacks the way pKVM would. For each
// generation and backend.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "../modules/mem_probe/mem_probe.h"
#include "backends.h"
#include "pkvm/abi/pgtable_prot.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(mem_probe_a14);
PKVM_DECLARE_NATIVE_MODULE(mem_probe_a15);
PKVM_DECLARE_NATIVE_MODULE(mem_probe_a16);
PKVM_DECLARE_NATIVE_MODULE(mem_probe_leak_a14);
PKVM_DECLARE_NATIVE_MODULE(mem_probe_leak_a15);
PKVM_DECLARE_NATIVE_MODULE(mem_probe_leak_a16);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kUart = 0x09000000;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kPfn = (kRam >> 12) + 0x10;  // a page the tests play with
constexpr uint64_t kRw = KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W;

template <Generation G>
const pkvm_native_module& MemProbe() {
  return ForGeneration<G>(PKVM_NATIVE_MODULE(mem_probe_a14), PKVM_NATIVE_MODULE(mem_probe_a15),
                          PKVM_NATIVE_MODULE(mem_probe_a16));
}
template <Generation G>
const pkvm_native_module& MemProbeLeak() {
  return ForGeneration<G>(PKVM_NATIVE_MODULE(mem_probe_leak_a14),
                          PKVM_NATIVE_MODULE(mem_probe_leak_a15),
                          PKVM_NATIVE_MODULE(mem_probe_leak_a16));
}

template <typename C>
class MemoryOpsTest : public ::testing::Test {
 protected:
  static constexpr bool kA14 = C::kGen == Generation::kA14;
  static constexpr bool kA15 = C::kGen == Generation::kA15;
  static constexpr bool kA16 = C::kGen == Generation::kA16;

  void SetUp() override {
    hv_ = MakeMachine(C::Backend::kKind, C::kGen, "kvm-arm.protected_modules=mem_probe", 2);
    ASSERT_TRUE(hv_->AddMmioRegion(kUart, 4 * kPage, "uart").ok());
    ASSERT_TRUE(hv_->OfferModule(MemProbe<C::kGen>()).ok());
    const Status s = hv_->Boot();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv_->boot_log();
    // Native module data lives as long as the process: start from zero.
    Mp(MP_RESET);
  }
  // Runs a mem_probe command at EL2; returns x1 (x2/x3 through the pointers).
  uint64_t Mp(uint64_t cmd, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0,
              uint64_t* x2 = nullptr, uint64_t* x3 = nullptr, int cpu = 0) {
    auto r = hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {cmd, a, b, c, d}, cpu);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return ~0ull;
    EXPECT_EQ(r->x(0), 0u);
    if (x2) *x2 = r->x(2);
    if (x3) *x3 = r->x(3);
    return r->x(1);
  }
  int MpInt(uint64_t cmd, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
    return static_cast<int>(Mp(cmd, a, b, c, d));
  }
  // A command that is expected to panic the machine: returns the report.
  std::string MpPanics(uint64_t cmd, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0) {
    auto r = hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {cmd, a, b, c});
    EXPECT_EQ(r.status().error(), -EIO);
    EXPECT_EQ(hv_->state(), MachineState::kPanicked);
    return hv_->panic_report();
  }
  uint64_t Counters(uint64_t* last_fault = nullptr, uint64_t* reset = nullptr) {
    return Mp(MP_COUNTERS, 0, 0, 0, 0, last_fault, reset);
  }
  PageState St(uint64_t pfn) const { return hv_->page_state(pfn); }
  Status Write64(uint64_t phys, uint64_t v) { return hv_->host_write(phys, &v, sizeof v); }
  uint64_t Read64(uint64_t phys) {
    uint64_t v = 0;
    EXPECT_TRUE(hv_->host_read(phys, &v, sizeof v).ok());
    return v;
  }
  SmcccRegs Smc(uint64_t x0, uint64_t x1 = 0) {
    SmcccRegs r;
    r.x[0] = x0;
    r.x[1] = x1;
    return r;
  }

  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(MemoryOpsTest, GenConfigs, GenConfigNames);

TYPED_TEST(MemoryOpsTest, LinearMapEarlyIsOnlyForBootstrap) {
  // The module's EL1 init mapped, used and unmapped a range before deprivilege.
  EXPECT_TRUE(this->hv_->protected_vms_enabled());
  EXPECT_EQ(this->St((kRam + 0x300000) >> 12).el2_mappings, 0u);
  EXPECT_THAT(this->hv_->DumpPageStates(), Not(HasSubstr("linear_map_early")));
  // After deprivilege it is refused.
  EXPECT_EQ(this->Mp(MP_LINEAR_MAP_EARLY, kRam + 0x300000, kPage), 0u);
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("after deprivilege"));
}

TYPED_TEST(MemoryOpsTest, LeftoverLinearMapEarlyFailsDeprivilege) {
  auto hv = MakeMachine(TypeParam::Backend::kKind, TypeParam::kGen,
                        "kvm-arm.protected_modules=mem_probe_leak");
  ASSERT_TRUE(hv->OfferModule(MemProbeLeak<TypeParam::kGen>()).ok());
  const Status s = hv->Boot();
  EXPECT_EQ(s.error(), -EBUSY) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("linear_map_early() mappings left: phys 0x40400000"));
  EXPECT_EQ(hv->state(), MachineState::kDeprivileged);
  EXPECT_FALSE(hv->protected_vms_enabled());
  EXPECT_THAT(hv->protected_vms_disabled_reason(), HasSubstr("__pkvm_prot_finalize failed"));
  EXPECT_THAT(hv->boot_log(), HasSubstr("Failed to finalize Hyp protection"));
  EXPECT_THAT(hv->boot_log(), HasSubstr("pvmfw cleared"));
}

TYPED_TEST(MemoryOpsTest, HostWriteToADonatedPageIsAborted) {
  const uint64_t phys = kPfn << 12;
  ASSERT_TRUE(this->Write64(phys + 8, 0x1234).ok());
  EXPECT_EQ(this->MpInt(MP_REG_ILLEGAL_ABT), 0);
  EXPECT_EQ(this->MpInt(MP_REG_PERM_FAULT), 0);
  ASSERT_EQ(this->MpInt(MP_DONATE, kPfn, 1), 0);
  EXPECT_EQ(this->St(kPfn).owner, PageOwner::kHyp);
  // The host has no stage-2 entry for the page any more: pKVM injects an
  // abort (telling the illegal-abort notifier) without asking the modules.
  const Status w = this->Write64(phys + 8, 0xbad);
  EXPECT_EQ(w.error(), -EPERM) << w.ToString();
  EXPECT_THAT(w.message(), HasSubstr("not the host's"));
  EXPECT_EQ((this->Counters() >> 16) & 0xffff, 1u);  // illegal-abort notifier
  EXPECT_EQ(this->Counters() & 0xffff, 0u);          // fault handlers not asked
  uint64_t v = 0;
  EXPECT_EQ(this->hv_->host_read(phys, &v, sizeof v).error(), -EPERM);
  // The hypervisor owns it now: its writes land, and the host sees them once
  // the page is given back.
  const uint64_t va = this->Mp(MP_HYP_VA, phys);
  this->Mp(MP_POKE, va + 8, 0x600d);
  ASSERT_EQ(this->MpInt(MP_UNDONATE, kPfn, 1), 0);
  EXPECT_EQ(this->Read64(phys + 8), 0x600du);
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("abort injected"));
}

TYPED_TEST(MemoryOpsTest, DonationErrors) {
  ASSERT_EQ(this->MpInt(MP_DONATE, kPfn, 2), 0);
  const std::string before = this->hv_->DumpPageStates();
  EXPECT_EQ(this->MpInt(MP_DONATE, kPfn + 1, 1), -EPERM);  // double donate
  EXPECT_EQ(this->MpInt(MP_DONATE, kPfn + 2, 0), -EINVAL);  // nr_pages 0
  EXPECT_EQ(this->MpInt(MP_DONATE, kPfn + 2, 1ull << 40), -EINVAL);
  EXPECT_EQ(this->MpInt(MP_UNDONATE, kPfn + 2, 1), -EPERM);  // the host's page
  EXPECT_EQ(this->MpInt(MP_SHARE, kPfn), -EPERM);            // share of a hyp page
  EXPECT_EQ(this->hv_->DumpPageStates(), before);
  const uint64_t uart = kUart >> 12;
  if constexpr (TestFixture::kA14) {
    EXPECT_EQ(this->MpInt(MP_DONATE, uart, 1), 0);  // A14 accepts MMIO
  } else {
    EXPECT_EQ(this->MpInt(MP_DONATE, uart, 1, 0), -EPERM);  // MMIO without accept_mmio
    EXPECT_EQ(this->MpInt(MP_DONATE, uart, 1, 1), 0);
    EXPECT_EQ(this->MpInt(MP_DONATE_PROT, kPfn + 4, 1, 0, PAGE_HYP_RO), 0);
    EXPECT_EQ(this->St(kPfn + 4).hyp_prot, static_cast<uint64_t>(PAGE_HYP_RO));
  }
  EXPECT_EQ(this->St(uart).hyp_prot, static_cast<uint64_t>(PAGE_HYP_DEVICE));
  uint64_t v = 0;
  EXPECT_EQ(this->hv_->host_read(kUart, &v, sizeof v).error(), -EPERM);
  if constexpr (TestFixture::kA16) {
    EXPECT_EQ(this->MpInt(MP_DONATE_SGLIST, kPfn + 8, 1, kPfn + 12, 0), 0);
    EXPECT_EQ(this->St(kPfn + 9).owner, PageOwner::kHyp);
    EXPECT_EQ(this->MpInt(MP_DONATE_SGLIST, kPfn + 16, 0, kPfn + 12, 0), -EPERM);
    EXPECT_EQ(this->St(kPfn + 16).owner, PageOwner::kHost);  // all or nothing
  }
}

TYPED_TEST(MemoryOpsTest, ShareAndPin) {
  ASSERT_EQ(this->MpInt(MP_SHARE, kPfn), 0);
  EXPECT_EQ(this->St(kPfn).host, PkvmPageState::kSharedOwned);
  EXPECT_EQ(this->St(kPfn).hyp, PkvmPageState::kSharedBorrowed);
  EXPECT_TRUE(this->Write64(kPfn << 12, 7).ok());  // the host keeps access
  ASSERT_EQ(this->MpInt(MP_PIN, kPfn, 1), 0);
  EXPECT_EQ(this->MpInt(MP_UNSHARE, kPfn), -EBUSY);  // unshare while pinned
  EXPECT_EQ(this->MpInt(MP_PIN, kPfn, 2), -EPERM);   // the next page is not shared
  this->Mp(MP_UNPIN, kPfn, 1);
  EXPECT_EQ(this->MpInt(MP_UNSHARE, kPfn), 0);
  EXPECT_EQ(this->St(kPfn).host, PkvmPageState::kOwned);
  EXPECT_THAT(this->MpPanics(MP_UNPIN, kPfn, 1), HasSubstr("refcount underflow"));
}

TYPED_TEST(MemoryOpsTest, PermissionFaultChainOnHostAccess) {
  const uint64_t phys = kPfn << 12;
  // No handler yet: -EPERM, the abort goes back to the host.
  ASSERT_EQ(this->MpInt(MP_MOD_PROT, kPfn, KVM_PGTABLE_PROT_R, 1, 1), 0);
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("no host permission fault handler registered"));
  EXPECT_EQ(this->Read64(phys), 0u);  // reads are still allowed
  EXPECT_EQ(this->Write64(phys, 1).error(), -EPERM);
  ASSERT_EQ(this->MpInt(MP_REG_PERM_FAULT), 0);
  ASSERT_EQ(this->MpInt(MP_REG_ILLEGAL_ABT), 0);
  // The handler gives the page back its permissions and returns 0: the access
  // is retried and succeeds.
  this->Mp(MP_SET_FAULT_MODE, MP_FAULT_FIX);
  ASSERT_TRUE(this->Write64(phys, 0x77).ok());
  uint64_t last = 0;
  EXPECT_EQ(this->Counters(&last) & 0xffff, 1u);
  EXPECT_EQ(last, phys);
  EXPECT_FALSE(this->St(kPfn).host_prot_modified);
  EXPECT_EQ(this->Read64(phys), 0x77u);
  // -EPERM: the abort is injected and reported.
  ASSERT_EQ(this->MpInt(MP_MOD_PROT, kPfn, KVM_PGTABLE_PROT_R, 1, 1), 0);
  this->Mp(MP_SET_FAULT_MODE, MP_FAULT_EPERM);
  const Status s = this->Write64(phys, 0x88);
  EXPECT_EQ(s.error(), -EPERM);
  EXPECT_THAT(s.message(), HasSubstr("permission fault"));
  EXPECT_EQ((this->Counters() >> 16) & 0xffff, 1u);  // illegal-abort notifier told
  EXPECT_EQ(this->Read64(phys), 0x77u);
  // -EAGAIN and a 0 that fixes nothing retry; the host would never get past.
  this->Mp(MP_SET_FAULT_MODE, MP_FAULT_EAGAIN);
  EXPECT_EQ(this->Write64(phys, 0x99).error(), -ELOOP);
  this->Mp(MP_SET_FAULT_MODE, MP_FAULT_RETURN_0);
  EXPECT_EQ(this->Write64(phys, 0x99).error(), -ELOOP);
  // Anything else is a hyp panic.
  this->Mp(MP_SET_FAULT_MODE, MP_FAULT_EINVAL);
  EXPECT_EQ(this->Write64(phys, 0x99).error(), -EIO);
  EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("returned -22"));
}

TYPED_TEST(MemoryOpsTest, HostStage2LeafAndPrivateMappings) {
  uint64_t pte = 0, level = 0;
  ASSERT_EQ(this->MpInt(MP_MOD_PROT, kPfn, KVM_PGTABLE_PROT_R, 1, 1), 0);
  EXPECT_EQ(this->Mp(MP_GET_LEAF, kPfn << 12, 0, 0, 0, &pte, &level), 0u);
  EXPECT_EQ(level, 3u);
  EXPECT_EQ(pte & 0xfffffffff000ull, kPfn << 12);
  EXPECT_EQ((pte >> 6) & 3, 1u);  // read-only for the host
  uint64_t haddr = 0;
  ASSERT_EQ(this->Mp(MP_PRIVATE_MAP, (kPfn + 1) << 12, 64, kRw, 0, &haddr), 0u);
  this->Mp(MP_POKE, haddr + 8, 0xabc);
  EXPECT_EQ(this->Read64(((kPfn + 1) << 12) + 8), 0xabcu);  // host access unaffected
  EXPECT_EQ(this->St(kPfn + 1).el2_mappings, 1u);
  EXPECT_EQ(static_cast<int>(this->Mp(MP_PRIVATE_MAP, 0x1000, 64, kRw, 0, &haddr)), -EINVAL);
}

TYPED_TEST(MemoryOpsTest, ModulePagesAndGivingThemBack) {
  const uint64_t va = this->Mp(MP_ALLOC_VA, 4);
  ASSERT_NE(va, 0u);
  ASSERT_EQ(this->MpInt(MP_MAP_MODULE_PAGE, kPfn, va, kRw, 0), 0);
  EXPECT_EQ(this->St(kPfn).owner, PageOwner::kHyp);  // unmapped from the host stage-2
  EXPECT_EQ(this->MpInt(MP_MAP_MODULE_PAGE, kPfn + 1, va, kRw, 0), -EEXIST);
  EXPECT_EQ(this->MpInt(MP_MAP_MODULE_PAGE, kPfn + 1, va + kPage, kRw, 1), -EPERM);
  EXPECT_EQ(this->MpInt(MP_MAP_MODULE_PAGE, kPfn + 1, 0x1000, kRw, 0), -EINVAL);
  if constexpr (TestFixture::kA16) {
    ASSERT_EQ(this->MpInt(MP_MAP_MODULE_PAGES, kPfn + 2, va + kPage, 2, 0), 0);
    EXPECT_EQ(this->MpInt(MP_UNMAP_MODULE_PAGES, kPfn + 2, va + kPage, 2), 0);
    EXPECT_EQ(this->St(kPfn + 3).owner, PageOwner::kHyp);  // not given back
    EXPECT_EQ(this->MpInt(MP_UNDONATE, kPfn + 2, 2), 0);
  }
  // Giving back a page a module VA still maps: allowed, and reported, because
  // an EL2 access through that VA now reaches host memory.
  EXPECT_EQ(this->MpInt(MP_UNDONATE, kPfn, 1), 0);
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("still mapped at EL2"));
  EXPECT_EQ(this->St(kPfn).el2_mappings, 1u);
}

TYPED_TEST(MemoryOpsTest, FixmapAndFixblock) {
  const uint64_t va = this->Mp(MP_FIXMAP_MAP, (kPfn << 12) + 0x10);
  ASSERT_NE(va, 0u);
  EXPECT_EQ(this->Mp(MP_FIXMAP_MAP, (kPfn + 1) << 12), 0u);  // twice without unmap
  EXPECT_THAT(this->hv_->boot_log(), HasSubstr("fixmap_unmap() must be called between"));
  // Another CPU has its own slot.
  const uint64_t va1 = this->Mp(MP_FIXMAP_MAP, (kPfn + 1) << 12, 0, 0, 0, nullptr, nullptr, 1);
  EXPECT_NE(va1, 0u);
  this->Mp(MP_FIXMAP_UNMAP, 0, 0, 0, 0, nullptr, nullptr, 1);
  this->Mp(MP_POKE, va, 0x5151);
  this->Mp(MP_FIXMAP_UNMAP);
  EXPECT_EQ(this->Read64((kPfn << 12) + 0x10), 0x5151u);
  EXPECT_EQ(this->St(kPfn).el2_mappings, 0u);
  if constexpr (TestFixture::kA16) {
    const uint64_t b = this->Mp(MP_FIXBLOCK_MAP, kRam + 0x400000);
    EXPECT_NE(b, 0u);
    EXPECT_EQ(this->Mp(MP_FIXBLOCK_MAP, kRam + 0x600000, 0, 0, 0, nullptr, nullptr, 1), 0u);
    this->Mp(MP_FIXBLOCK_UNMAP);
    EXPECT_EQ(this->St((kRam + 0x400000) >> 12).el2_mappings, 0u);
  }
}

TYPED_TEST(MemoryOpsTest, FlushOfAPageTheHypervisorDoesNotMapPanics) {
  ASSERT_EQ(this->MpInt(MP_DONATE, kPfn, 1), 0);
  const uint64_t va = this->Mp(MP_HYP_VA, kPfn << 12);
  this->Mp(MP_FLUSH, va, kPage);
  EXPECT_THAT(this->hv_->DumpPageStates(), HasSubstr("1 dcache flushes"));
  const uint64_t host_va = this->Mp(MP_HYP_VA, (kPfn + 1) << 12);
  const std::string report = this->MpPanics(MP_FLUSH, host_va, 8);
  EXPECT_THAT(report, HasSubstr("EL2 data abort"));
  EXPECT_THAT(report, HasSubstr("pfn 0x40011"));
  EXPECT_THAT(report, HasSubstr("owner=host"));
}

TYPED_TEST(MemoryOpsTest, HypAllocGetsPagesFromTheHost) {
  if constexpr (!TestFixture::kA14) {
    uint64_t err = 0, missing = 0;
    EXPECT_EQ(this->Mp(MP_HYP_ALLOC, 100, 0, 0, 0, &err, &missing), 0u);
    EXPECT_EQ(static_cast<int64_t>(err), -ENOMEM);
    EXPECT_EQ(missing, 1u);
    if constexpr (TestFixture::kA16) {
      ASSERT_EQ(this->MpInt(MP_REQUEST_HYP_ALLOC), 0);
      EXPECT_THAT(this->hv_->DumpPageStates(), HasSubstr("CPU0 request for the host"));
      EXPECT_EQ(*this->hv_->ServeHypRequests(), 1u);
    } else {
      EXPECT_EQ(*this->hv_->ServeHypRequests(), 0u);  // A15's module asks its own way
      ASSERT_TRUE(this->hv_->TopUpHypPool(HypPool::kHypAlloc, 1).ok());
    }
    const uint64_t p = this->Mp(MP_HYP_ALLOC, 100, 0, 0, 0, &err, &missing);
    ASSERT_NE(p, 0u);
    EXPECT_EQ(err, 0u);
    this->Mp(MP_POKE, p, 1);
    // The heap's page came from the top of RAM and is the hypervisor's now.
    const uint64_t top = (kRam + (64ull << 20)) / kPage - 1;
    EXPECT_EQ(this->St(top).hyp_use, HypUse::kHeap);
    EXPECT_EQ(this->MpInt(MP_UNDONATE, top, 1), -EBUSY);
    this->Mp(MP_HYP_FREE, p);
    EXPECT_THAT(this->MpPanics(MP_HYP_FREE, p), HasSubstr("not a live hyp_alloc() allocation"));
  }
}

TYPED_TEST(MemoryOpsTest, IommuPoolsAndRequests) {
  if constexpr (!TestFixture::kA14) {
    EXPECT_EQ(this->Mp(MP_IOMMU_DONATE, 1, 1), 0u);  // empty: a request for the host
    EXPECT_EQ(*this->hv_->ServeHypRequests(), 2u);
    const uint64_t p = this->Mp(MP_IOMMU_DONATE, 1, TestFixture::kA16 ? 0 : 1);
    ASSERT_NE(p, 0u);
    EXPECT_EQ(this->Mp(MP_PEEK, p + kPage), 0u);  // zeroed
    this->Mp(MP_IOMMU_RECLAIM, p, 1);
    // The atomic pool is a different one.
    EXPECT_EQ(this->Mp(MP_IOMMU_DONATE, 0, 0, 1), 0u);
    ASSERT_TRUE(this->hv_->TopUpHypPool(HypPool::kIommuAtomic, 1).ok());
    const uint64_t a = this->Mp(MP_IOMMU_DONATE, 0, 0, 1);
    ASSERT_NE(a, 0u);
    this->Mp(MP_IOMMU_RECLAIM, a, 0, 1);
    if constexpr (TestFixture::kA15) {
      // iommu_request: the request the hypercall hands back to the host.
      EXPECT_EQ(this->MpInt(MP_IOMMU_REQUEST, 9, 2, 1, kPage), -EINVAL);
      ASSERT_EQ(this->MpInt(MP_IOMMU_REQUEST, 1 /* MEM */, 2 /* hyp_alloc */, 2, kPage), 0);
      EXPECT_EQ(*this->hv_->ServeHypRequests(), 2u);
      EXPECT_THAT(this->hv_->DumpPageStates(), HasSubstr("hyp_alloc heap: 2 pages"));
    }
    EXPECT_THAT(this->MpPanics(MP_IOMMU_RECLAIM, p, 1), HasSubstr("iommu_reclaim_pages"));
  }
}

TYPED_TEST(MemoryOpsTest, IommuDevicesGatherAndUdelay) {
  if constexpr (!TestFixture::kA14) {
    EXPECT_EQ(this->MpInt(MP_IOMMU_SNAPSHOT), -ENODEV);
    EXPECT_EQ(this->MpInt(MP_IOMMU_INIT_DEVICE, 0), 0);
    EXPECT_EQ(this->MpInt(MP_IOMMU_INIT_DEVICE, 0), -EEXIST);
    EXPECT_EQ(this->MpInt(MP_IOMMU_SNAPSHOT), 0);
    EXPECT_THAT(this->hv_->boot_log(), HasSubstr("host stage-2 snapshot"));
    uint64_t start = 0, end = 0;
    EXPECT_EQ(this->Mp(MP_GATHER_ADD, 0x1000, 0x1000, 0, 0, &start, &end), 0x1000u);
    this->Mp(MP_GATHER_ADD, 0x2000, 0x1000, 0, 0, &start, &end);
    EXPECT_EQ(start, 0x1000u);
    EXPECT_EQ(end, 0x2fffu);
    this->Mp(MP_GATHER_ADD, 0x9000, 0x1000, 0, 0, &start, &end);  // disjoint: synced first
    EXPECT_EQ(start, 0x9000u);
    this->Mp(MP_UDELAY, 20);
    this->Mp(MP_UDELAY, 5);
    EXPECT_THAT(this->hv_->DumpPageStates(), HasSubstr("udelay total 25 us"));
    EXPECT_THAT(this->hv_->DumpPageStates(), HasSubstr("1 IOTLB syncs"));
  }
}

TYPED_TEST(MemoryOpsTest, DmaReferences) {
  const uint64_t phys = kPfn << 12;
  ASSERT_TRUE(this->hv_->HostUseDma(phys, 2 * kPage).ok());
  EXPECT_EQ(this->St(kPfn + 1).dma_refs, 1u);
  EXPECT_EQ(this->MpInt(MP_DONATE, kPfn, 1), -EPERM);  // in DMA use
  EXPECT_EQ(this->hv_->HostUseDma(phys + 1, kPage).error(), -EINVAL);
  if constexpr (TestFixture::kA16) {
    EXPECT_EQ(this->MpInt(MP_UNUSE_DMA, phys, 2 * kPage), 0);
    EXPECT_EQ(this->St(kPfn).dma_refs, 0u);
    EXPECT_EQ(this->MpInt(MP_UNUSE_DMA, phys + 1, kPage), -EINVAL);
    EXPECT_THAT(this->MpPanics(MP_UNUSE_DMA, phys, kPage), HasSubstr("DMA refcount underflow"));
  } else if constexpr (TestFixture::kA15) {
    EXPECT_EQ(this->Mp(MP_FLUSH_UNMAP_CACHE, phys, phys + kPage), 0u);  // every entry consumed
    EXPECT_EQ(this->St(kPfn + 1).dma_refs, 0u);
  }
}

TYPED_TEST(MemoryOpsTest, LazyPte) {
  if constexpr (TestFixture::kA15) {
    ASSERT_EQ(this->MpInt(MP_LAZY_PTE, kPfn, 2, 1), 0);
    EXPECT_TRUE(this->St(kPfn).lazy_pte);
    EXPECT_TRUE(this->Write64(kPfn << 12, 3).ok());  // faulted back in transparently
    EXPECT_EQ(this->MpInt(MP_LAZY_PTE, kPfn, 2, 0), 0);
    EXPECT_EQ(this->MpInt(MP_LAZY_PTE, kUart >> 12, 1, 1), -EPERM);
  } else if constexpr (TestFixture::kA16) {
    EXPECT_EQ(this->MpInt(MP_LAZY_PTE, kPfn, 2, 1), -EPERM);  // deprecated
  }
}

TYPED_TEST(MemoryOpsTest, GuestSmcHandler) {
  auto g = this->hv_->CreateGuest({GuestMemory{0x80000000, kPfn, 2}});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  const uint16_t handle = *g;
  EXPECT_EQ(handle, 0x1000);
  EXPECT_EQ(this->St(kPfn + 1).owner, PageOwner::kGuest);
  uint64_t v = 0;
  EXPECT_EQ(this->hv_->host_read(kPfn << 12, &v, sizeof v).error(), -EPERM);
  EXPECT_EQ(this->hv_->CreateGuest({GuestMemory{0x80000000, kPfn, 1}}).status().error(), -EPERM);
  // pKVM's own services.
  auto version = this->hv_->GuestSmc(handle, this->Smc(0x80000000));
  EXPECT_TRUE(version->handled_by_pkvm);
  EXPECT_EQ(version->regs.x[0], 0x10001u);
  // Not pKVM's and no handler: NOT_SUPPORTED.
  auto r = this->hv_->GuestSmc(handle, this->Smc(MP_GUEST_SMC_ID, 41));
  EXPECT_FALSE(r->handled_by_module);
  EXPECT_EQ(r->regs.x[0], static_cast<uint64_t>(-1));
  if constexpr (TestFixture::kA14) {
    return;  // A14 has no guest SMC handler member
  } else {
    if constexpr (TestFixture::kA15) {
      EXPECT_EQ(this->MpInt(MP_REG_GUEST_SMC, 0x1234), -EINVAL);  // no such guest
      ASSERT_EQ(this->MpInt(MP_REG_GUEST_SMC, handle), 0);
      EXPECT_EQ(this->MpInt(MP_REG_GUEST_SMC, handle), -EBUSY);
      uint64_t phys = 0;
      EXPECT_EQ(this->Mp(MP_GUEST_STAGE2_PA, handle, 0x80001010, 0, 0, &phys), 0u);
      EXPECT_EQ(phys, ((kPfn + 1) << 12) | 0x10);
      EXPECT_EQ(static_cast<int>(this->Mp(MP_GUEST_STAGE2_PA, handle, 0x90000000)), -ENOENT);
    } else {
      ASSERT_EQ(this->MpInt(MP_REG_GUEST_SMC), 0);
      EXPECT_EQ(this->MpInt(MP_REG_GUEST_SMC), -EBUSY);
    }
    r = this->hv_->GuestSmc(handle, this->Smc(MP_GUEST_SMC_ID, 41));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->handled_by_module);
    EXPECT_EQ(r->regs.x[0], 0u);
    EXPECT_EQ(r->regs.x[1], handle);  // the handler is told which guest called
    EXPECT_EQ(r->regs.x[2], 42u);
    EXPECT_EQ(r->regs.x[3], 0x77u);
    r = this->hv_->GuestSmc(handle, this->Smc(0xC6000043));  // the handler declines
    EXPECT_FALSE(r->handled_by_module);
    EXPECT_EQ(r->regs.x[0], static_cast<uint64_t>(-1));
    EXPECT_EQ((this->Counters() >> 32) & 0xffff, 2u);
    EXPECT_EQ(this->hv_->GuestSmc(0x4242, this->Smc(MP_GUEST_SMC_ID)).status().error(), -EINVAL);
  }
}

TYPED_TEST(MemoryOpsTest, GuestTrng) {
  if constexpr (TestFixture::kA16) {
    const uint16_t handle = *this->hv_->CreateGuest({});
    constexpr uint64_t kVersion = 0x84000050, kUuid = 0x84000052, kRnd32 = 0x84000053,
                       kRnd64 = 0xC4000053;
    EXPECT_FALSE(this->hv_->GuestSmc(handle, this->Smc(kVersion))->handled_by_pkvm);
    ASSERT_EQ(this->MpInt(MP_REG_TRNG), 0);
    EXPECT_EQ(this->MpInt(MP_REG_TRNG), -EBUSY);
    auto r = this->hv_->GuestSmc(handle, this->Smc(kVersion));
    EXPECT_TRUE(r->handled_by_pkvm);
    EXPECT_EQ(r->regs.x[0], 0x10000u);
    r = this->hv_->GuestSmc(handle, this->Smc(kUuid));
    EXPECT_EQ(r->regs.x[0], 0x04030201u);
    EXPECT_EQ(r->regs.x[3], 0x100f0e0du);
    r = this->hv_->GuestSmc(handle, this->Smc(kRnd64, 192));
    EXPECT_EQ(r->regs.x[0], 0u);
    EXPECT_EQ(r->regs.x[3], 0x1111111111111111u);  // x3, x2, x1 order
    EXPECT_EQ(r->regs.x[2], 0x2222222222222222u);
    EXPECT_EQ(r->regs.x[1], 0x3333333333333333u);
    r = this->hv_->GuestSmc(handle, this->Smc(kRnd64, 100));
    EXPECT_EQ(r->regs.x[2], 0x2222222222u & ((1ull << 36) - 1));
    EXPECT_EQ(r->regs.x[1], 0u);
    r = this->hv_->GuestSmc(handle, this->Smc(kRnd32, 96));
    EXPECT_EQ(r->regs.x[3], 0x11111111u);
    EXPECT_EQ(r->regs.x[1], 0x22222222u);
    EXPECT_EQ(this->hv_->GuestSmc(handle, this->Smc(kRnd64, 0))->regs.x[0],
              static_cast<uint64_t>(-2));
    this->Mp(MP_SET_TRNG_FAIL, 1);
    EXPECT_EQ(this->hv_->GuestSmc(handle, this->Smc(kRnd64, 64))->regs.x[0],
              static_cast<uint64_t>(-3));
    EXPECT_EQ(this->Counters() >> 48, 4u);
  }
}

TYPED_TEST(MemoryOpsTest, DeviceAssignmentRunsTheResetCallback) {
  const uint16_t handle = *this->hv_->CreateGuest({});
  const uint64_t uart = kUart >> 12;
  if constexpr (TestFixture::kA16) {
    EXPECT_EQ(this->MpInt(MP_REG_RESET, kUart + kPage), -ENODEV);  // not a device's base
    ASSERT_EQ(this->MpInt(MP_REG_RESET, kUart), 0);
    EXPECT_EQ(this->MpInt(MP_REG_RESET, kUart), -EBUSY);
    // The callback refuses: the device stays with the host.
    this->Mp(MP_SET_RESET_RESULT, static_cast<uint64_t>(-EIO), 0);
    EXPECT_EQ(this->hv_->AssignDevice(kUart, handle).error(), -EIO);
    EXPECT_EQ(this->St(uart).owner, PageOwner::kHost);
    this->Mp(MP_SET_RESET_RESULT, 0, 0);
  }
  ASSERT_TRUE(this->hv_->AssignDevice(kUart, handle).ok());
  EXPECT_EQ(this->St(uart + 3).owner, PageOwner::kGuest);
  uint64_t v = 0;
  EXPECT_EQ(this->hv_->host_read(kUart, &v, sizeof v).error(), -EPERM);
  EXPECT_EQ(this->hv_->AssignDevice(kUart, handle).error(), -EBUSY);
  EXPECT_EQ(this->hv_->AssignDevice(kUart + kPage, handle).error(), -ENODEV);
  uint64_t reset = 0;
  if constexpr (TestFixture::kA16) {
    this->Counters(nullptr, &reset);
    EXPECT_EQ(reset & 0xffff, 2u);           // two calls so far
    EXPECT_EQ((reset >> 16) & 0xff, 1u);     // host_to_guest = true
    EXPECT_EQ(reset >> 32, 0x5eedu);         // with the registered cookie
  }
  ASSERT_TRUE(this->hv_->ReclaimDevice(kUart).ok());
  EXPECT_EQ(this->St(uart).owner, PageOwner::kHost);
  EXPECT_TRUE(this->hv_->host_read(kUart, &v, sizeof v).ok());
  EXPECT_EQ(this->hv_->ReclaimDevice(kUart).error(), -EINVAL);
  if constexpr (TestFixture::kA16) {
    this->Counters(nullptr, &reset);
    EXPECT_EQ((reset >> 16) & 0xff, 0u);  // host_to_guest = false
    // A failure while returning the device is fatal.
    ASSERT_TRUE(this->hv_->AssignDevice(kUart, handle).ok());
    this->Mp(MP_SET_RESET_RESULT, 0, static_cast<uint64_t>(-EIO));
    EXPECT_EQ(this->hv_->ReclaimDevice(kUart).error(), -EIO);
    EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
    EXPECT_THAT(this->hv_->panic_report(), HasSubstr("device at 0x9000000"));
  }
}

TYPED_TEST(MemoryOpsTest, DumpNamesEveryChangedPage) {
  ASSERT_EQ(this->MpInt(MP_DONATE, kPfn, 1), 0);
  ASSERT_EQ(this->MpInt(MP_SHARE, kPfn + 1), 0);
  const std::string dump = this->hv_->DumpPageStates();
  EXPECT_THAT(dump, HasSubstr("device uart [0x9000000, 0x9004000)"));
  EXPECT_THAT(dump, HasSubstr("pfn 0x40010 RAM owner=hyp host=NOPAGE"));
  EXPECT_THAT(dump, HasSubstr("pfn 0x40011 RAM owner=host host=SHARED_OWNED"));
  EXPECT_EQ(this->hv_->page_state(kPfn).ToString(), this->St(kPfn).ToString());
  EXPECT_EQ(this->hv_->AddMmioRegion(0x0a000000, kPage, "late").error(), -EBUSY);
}

TEST(MemoryApi, RefusedBeforeBootAndOnBadInput) {
  auto hv = MakeMachine(BackendKind::kNative, Generation::kA15, "");
  uint64_t v = 0;
  EXPECT_EQ(hv->host_read(kRam, &v, sizeof v).error(), -EPERM);  // not booted
  EXPECT_EQ(hv->AddMmioRegion(kRam, kPage, "x").error(), -EINVAL);  // overlaps RAM
  EXPECT_EQ(hv->AddMmioRegion(0x1001, kPage, "x").error(), -EINVAL);
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_EQ(hv->host_read(0x1000, &v, sizeof v).error(), -EFAULT);  // nothing there
  EXPECT_EQ(hv->host_read(~0ull - 2, &v, sizeof v).error(), -EINVAL);
  EXPECT_EQ(hv->TopUpHypPool(HypPool::kIommu, 0).error(), -EINVAL);
  EXPECT_EQ(hv->ServeHypRequests(7).status().error(), -EINVAL);
  EXPECT_EQ(hv->CreateGuest({GuestMemory{0x1001, kRam >> 12, 1}}).status().error(), -EINVAL);
  EXPECT_EQ(hv->GuestSmc(0x1000, SmcccRegs{}).status().error(), -EINVAL);
  EXPECT_EQ(hv->AssignDevice(kUart, 0x1000).error(), -ENODEV);
  // A host access spanning two pages is checked page by page.
  const uint8_t buf[16] = {1, 2, 3};
  ASSERT_TRUE(hv->host_write(kRam + kPage - 8, buf, sizeof buf).ok());
  uint8_t back[16] = {};
  ASSERT_TRUE(hv->host_read(kRam + kPage - 8, back, sizeof back).ok());
  EXPECT_EQ(std::memcmp(buf, back, sizeof buf), 0);
}

}  // namespace
}  // namespace pkvm::testing

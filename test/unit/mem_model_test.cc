// The page-ownership model (lib/mem/page_model.h) and the hypervisor's
// allocators (lib/mem/pools.h): every transition, its errors, and that a
// refused transition changes nothing.
#include <gtest/gtest.h>

#include <cerrno>

#include "mem/page_model.h"
#include "mem/pools.h"

namespace pkvm::mem {
namespace {

constexpr uint64_t kRam = 0x40000000;
constexpr uint64_t kRamSize = 64ull << 20;
constexpr uint64_t kR = kRam >> 12;                // first RAM pfn
constexpr uint64_t kREnd = (kRam + kRamSize) >> 12;  // one past the last
constexpr uint64_t kUart = 0x09000000;
constexpr uint64_t kU = kUart >> 12;

class PageModelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(m_.AddMmio(kUart, 4 * 4096, "uart"), 0); }
  // The whole model's state: a refused transition must leave it unchanged.
  std::string Snap() const { return m_.Dump(); }
  PageModel m_{kRam, kRamSize};
};

TEST_F(PageModelTest, BootStateIsHostOwnedEverywhere) {
  const PageState s = m_.State(kR + 5);
  EXPECT_EQ(s.kind, PageKind::kRam);
  EXPECT_EQ(s.owner, PageOwner::kHost);
  EXPECT_EQ(s.host, PkvmPageState::kOwned);
  EXPECT_EQ(s.hyp, PkvmPageState::kNoPage);
  EXPECT_EQ(s.host_prot, kProtRwx);
  EXPECT_EQ(m_.State(kU + 1).kind, PageKind::kMmio);
  EXPECT_EQ(m_.State(kU + 1).region, "uart");
  EXPECT_EQ(m_.State(kU).host_prot, kProtR | kProtW);
  EXPECT_EQ(m_.State(kREnd).kind, PageKind::kNone);
  EXPECT_EQ(m_.State(kREnd).owner, PageOwner::kNone);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, DonateToHypAndBack) {
  ASSERT_EQ(m_.HostDonateHyp(kR + 16, 2, false, kPageHyp, HypUse::kNone), 0);
  for (uint64_t p : {kR + 16, kR + 17}) {
    const PageState s = m_.State(p);
    EXPECT_EQ(s.owner, PageOwner::kHyp);
    EXPECT_EQ(s.host, PkvmPageState::kNoPage);
    EXPECT_EQ(s.hyp, PkvmPageState::kOwned);
    EXPECT_EQ(s.hyp_prot, kPageHyp);
    EXPECT_EQ(s.host_prot, 0u);
    EXPECT_EQ(m_.CheckHostAccess(p, false), HostAccess::kTranslationFault);
  }
  EXPECT_EQ(m_.State(kR + 18).owner, PageOwner::kHost);
  EXPECT_EQ(m_.HypDonateHost(kR + 16, 2), 0);
  EXPECT_EQ(m_.Dump(), "");
  EXPECT_EQ(m_.CheckHostAccess(kR + 16, true), HostAccess::kOk);
}

TEST_F(PageModelTest, DonationErrorsChangeNothing) {
  ASSERT_EQ(m_.HostDonateHyp(kR + 16, 1, false, kPageHyp, HypUse::kNone), 0);
  const std::string before = Snap();
  // Double donate, also as part of a larger range.
  EXPECT_EQ(m_.HostDonateHyp(kR + 16, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.HostDonateHyp(kR + 15, 3, false, kPageHyp, HypUse::kNone), -EPERM);
  // MMIO without accept_mmio; a range running off the end of RAM.
  EXPECT_EQ(m_.HostDonateHyp(kU, 1, false, kPageHypDevice, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.HostDonateHyp(kREnd - 1, 2, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.HostDonateHyp(kREnd, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  // Nothing at that address, even with accept_mmio.
  EXPECT_EQ(m_.HostDonateHyp(kREnd, 1, true, kPageHyp, HypUse::kNone), -EINVAL);
  EXPECT_EQ(m_.HostDonateHyp(kU + 3, 2, true, kPageHyp, HypUse::kNone), -EINVAL);
  // nr_pages 0, huge, wrapping; pfn beyond the physical address space.
  EXPECT_EQ(m_.HostDonateHyp(kR, 0, false, kPageHyp, HypUse::kNone), -EINVAL);
  EXPECT_EQ(m_.HostDonateHyp(kR, 1ull << 40, false, kPageHyp, HypUse::kNone), -EINVAL);
  EXPECT_EQ(m_.HostDonateHyp(~0ull - 1, 4, true, kPageHyp, HypUse::kNone), -EINVAL);
  EXPECT_EQ(m_.HostDonateHyp(kPfnLimit, 1, true, kPageHyp, HypUse::kNone), -EINVAL);
  // A prot with pKVM's state bits in it.
  EXPECT_EQ(m_.HostDonateHyp(kR, 1, false, kPageHyp | KVM_PGTABLE_PROT_SW0, HypUse::kNone),
            -EINVAL);
  EXPECT_EQ(Snap(), before);
}

TEST_F(PageModelTest, MmioDonationWithAcceptMmio) {
  ASSERT_EQ(m_.HostDonateHyp(kU, 4, true, kPageHypDevice, HypUse::kNone), 0);
  EXPECT_EQ(m_.State(kU + 3).owner, PageOwner::kHyp);
  EXPECT_EQ(m_.State(kU + 3).hyp_prot, kPageHypDevice);
  EXPECT_EQ(m_.HypDonateHost(kU, 4), 0);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, HypDonateHostErrors) {
  ASSERT_EQ(m_.HostShareHyp(kR + 1), 0);
  ASSERT_EQ(m_.HostDonateHyp(kR + 2, 1, false, kPageHyp, HypUse::kHeap), 0);
  const std::string before = Snap();
  EXPECT_EQ(m_.HypDonateHost(kR, 1), -EPERM);      // the host's
  EXPECT_EQ(m_.HypDonateHost(kR + 1, 1), -EPERM);  // shared, not donated
  EXPECT_EQ(m_.HypDonateHost(kR + 2, 1), -EBUSY);  // the hypervisor's heap
  EXPECT_EQ(m_.HypDonateHost(kR + 2, 0), -EINVAL);
  EXPECT_EQ(m_.HypDonateHost(kREnd, 1), -EPERM);
  EXPECT_EQ(Snap(), before);
}

TEST_F(PageModelTest, ShareUnshareAndPins) {
  ASSERT_EQ(m_.HostShareHyp(kR + 3), 0);
  PageState s = m_.State(kR + 3);
  EXPECT_EQ(s.owner, PageOwner::kHost);
  EXPECT_EQ(s.host, PkvmPageState::kSharedOwned);
  EXPECT_EQ(s.hyp, PkvmPageState::kSharedBorrowed);
  EXPECT_EQ(m_.CheckHostAccess(kR + 3, true), HostAccess::kOk);  // the host keeps access
  std::string before = Snap();
  EXPECT_EQ(m_.HostShareHyp(kR + 3), -EPERM);  // already shared
  EXPECT_EQ(m_.HostDonateHyp(kR + 3, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.Pin(kR + 3, 2), -EPERM);  // kR + 4 is not shared
  EXPECT_EQ(Snap(), before);
  ASSERT_EQ(m_.Pin(kR + 3, 1), 0);
  ASSERT_EQ(m_.Pin(kR + 3, 1), 0);
  EXPECT_EQ(m_.State(kR + 3).pins, 2u);
  before = Snap();
  EXPECT_EQ(m_.HostUnshareHyp(kR + 3), -EBUSY);  // unshare while pinned
  EXPECT_EQ(Snap(), before);
  ASSERT_EQ(m_.Unpin(kR + 3, 1), 0);
  ASSERT_EQ(m_.Unpin(kR + 3, 1), 0);
  EXPECT_EQ(m_.Unpin(kR + 3, 1), -EOVERFLOW);  // the kernel BUG()s here
  EXPECT_EQ(m_.HostUnshareHyp(kR + 3), 0);
  EXPECT_EQ(m_.HostUnshareHyp(kR + 3), -EPERM);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, ShareOfHypPageOrMmioIsRefused) {
  ASSERT_EQ(m_.HostDonateHyp(kR + 9, 1, false, kPageHyp, HypUse::kNone), 0);
  const std::string before = Snap();
  EXPECT_EQ(m_.HostShareHyp(kR + 9), -EPERM);
  EXPECT_EQ(m_.HostShareHyp(kU), -EPERM);
  EXPECT_EQ(m_.HostShareHyp(kREnd + 7), -EPERM);
  EXPECT_EQ(m_.HostShareHyp(~0ull), -EINVAL);
  EXPECT_EQ(Snap(), before);
}

TEST_F(PageModelTest, PinCountSaturates) {
  ASSERT_EQ(m_.HostShareHyp(kR), 0);
  for (uint32_t i = 0; i < kMaxRefcount; ++i) ASSERT_EQ(m_.Pin(kR, 1), 0);
  EXPECT_EQ(m_.Pin(kR, 1), -EOVERFLOW);
  EXPECT_EQ(m_.State(kR).pins, kMaxRefcount);
}

TEST_F(PageModelTest, HostStage2ModProt) {
  ASSERT_EQ(m_.ModProt(kR + 20, 2, kProtR, true), 0);
  PageState s = m_.State(kR + 21);
  EXPECT_EQ(s.host_prot, kProtR);
  EXPECT_TRUE(s.host_prot_modified);
  EXPECT_EQ(s.iommu_prot, kProtR);
  EXPECT_EQ(m_.CheckHostAccess(kR + 21, false), HostAccess::kOk);
  EXPECT_EQ(m_.CheckHostAccess(kR + 21, true), HostAccess::kPermissionFault);
  std::string before = Snap();
  // A module-owned page can be neither donated nor shared.
  EXPECT_EQ(m_.HostDonateHyp(kR + 20, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.HostShareHyp(kR + 20), -EPERM);
  // Half module-owned, half pristine; bad prot; empty/wrapping ranges;
  // a range that leaves memory.
  EXPECT_EQ(m_.ModProt(kR + 21, 2, kProtRwx, true), -EPERM);
  EXPECT_EQ(m_.ModProt(kR + 19, 2, kProtR, true), -EPERM);
  EXPECT_EQ(m_.ModProt(kR, 1, KVM_PGTABLE_PROT_SW1, true), -EINVAL);
  EXPECT_EQ(m_.ModProt(kR, 0, kProtR, true), -EINVAL);
  EXPECT_EQ(m_.ModProt(~0ull, 2, kProtR, true), -EINVAL);
  EXPECT_EQ(m_.ModProt(kREnd - 1, 2, kProtR, true), -EPERM);
  EXPECT_EQ(Snap(), before);
  // Without update_iommu the IOMMU keeps the old permission.
  ASSERT_EQ(m_.ModProt(kR + 20, 1, kProtR | kProtW, false), 0);
  EXPECT_EQ(m_.State(kR + 20).iommu_prot, kProtR);
  // prot 0: nobody's page, the host has no entry at all.
  ASSERT_EQ(m_.ModProt(kR + 20, 2, 0, true), 0);
  s = m_.State(kR + 20);
  EXPECT_EQ(s.owner, PageOwner::kProtected);
  EXPECT_EQ(m_.CheckHostAccess(kR + 20, false), HostAccess::kTranslationFault);
  // RWX makes the pages pristine again.
  ASSERT_EQ(m_.ModProt(kR + 20, 2, kProtRwx, true), 0);
  EXPECT_EQ(m_.Dump(), "");
  // A shared page is not pristine.
  ASSERT_EQ(m_.HostShareHyp(kR + 30), 0);
  EXPECT_EQ(m_.ModProt(kR + 30, 1, kProtR, true), -EPERM);
}

TEST_F(PageModelTest, ModProtOnDeviceMemory) {
  ASSERT_EQ(m_.ModProt(kU, 4, kProtR | kProtDevice, true), 0);
  EXPECT_EQ(m_.CheckHostAccess(kU + 2, true), HostAccess::kPermissionFault);
  ASSERT_EQ(m_.ModProt(kU, 4, kProtRwx, true), 0);
  EXPECT_EQ(m_.State(kU).host_prot, kHostMmioProt);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, LazyPte) {
  ASSERT_EQ(m_.LazyPte(kR + 40, 3, true), 0);
  EXPECT_TRUE(m_.State(kR + 41).lazy_pte);
  uint64_t pte = 1;
  int level = 0;
  ASSERT_EQ(m_.GetLeaf((kR + 41) << 12, &pte, &level), 0);
  EXPECT_EQ(pte, 0u);  // nothing mapped until the host touches it
  EXPECT_EQ(m_.CheckHostAccess(kR + 41, true), HostAccess::kOk);
  const std::string before = Snap();
  EXPECT_EQ(m_.LazyPte(kU, 1, true), -EPERM);
  EXPECT_EQ(m_.LazyPte(kR + 39, 2, false), -EINVAL);
  EXPECT_EQ(m_.LazyPte(kR, 0, true), -EINVAL);
  EXPECT_EQ(Snap(), before);
  ASSERT_EQ(m_.LazyPte(kR + 40, 3, false), 0);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, DmaReferences) {
  ASSERT_EQ(m_.UseDma((kR + 50) << 12, 2 * 4096), 0);
  EXPECT_EQ(m_.State(kR + 51).dma_refs, 1u);
  std::string before = Snap();
  EXPECT_EQ(m_.HostDonateHyp(kR + 51, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(m_.HostShareHyp(kR + 50), -EPERM);
  EXPECT_EQ(m_.HostDonateGuest(kR + 50, 1, 0x1000), -EPERM);
  EXPECT_EQ(m_.UseDma((kR << 12) + 1, 4096), -EINVAL);
  EXPECT_EQ(m_.UseDma(kR << 12, 0), -EINVAL);
  EXPECT_EQ(m_.UseDma(kUart, 4096), -EINVAL);
  EXPECT_EQ(m_.UnuseDma((kR + 52) << 12, 4096), -EOVERFLOW);
  EXPECT_EQ(Snap(), before);
  EXPECT_EQ(m_.UnuseDma(kUart, 4096), 0);  // device memory is not refcounted
  EXPECT_EQ(m_.UnuseDma((kR + 50) << 12, 2 * 4096), 0);
  EXPECT_EQ(m_.Dump(), "");
  ASSERT_EQ(m_.HostDonateHyp(kR + 60, 1, false, kPageHyp, HypUse::kNone), 0);
  EXPECT_EQ(m_.UseDma((kR + 60) << 12, 4096), -EPERM);
}

TEST_F(PageModelTest, GuestOwnership) {
  ASSERT_EQ(m_.HostDonateGuest(kR + 70, 2, 0x1000), 0);
  EXPECT_EQ(m_.State(kR + 70).owner, PageOwner::kGuest);
  EXPECT_EQ(m_.State(kR + 70).guest, 0x1000);
  EXPECT_EQ(m_.CheckHostAccess(kR + 70, false), HostAccess::kTranslationFault);
  const std::string before = Snap();
  EXPECT_EQ(m_.GuestDonateHost(kR + 70, 2, 0x1001), -EPERM);
  EXPECT_EQ(m_.HostDonateHyp(kR + 70, 1, false, kPageHyp, HypUse::kNone), -EPERM);
  EXPECT_EQ(Snap(), before);
  EXPECT_EQ(m_.GuestDonateHost(kR + 70, 2, 0x1000), 0);
  EXPECT_EQ(m_.Dump(), "");
}

TEST_F(PageModelTest, HostStage2Leaf) {
  uint64_t pte = 0;
  int level = 0;
  ASSERT_EQ(m_.GetLeaf((kR + 1) << 12, &pte, &level), 0);
  EXPECT_EQ(level, 3);
  EXPECT_EQ(pte & 3, 3u);                          // valid page
  EXPECT_EQ(pte & 0xfffffffff000ull, (kR + 1) << 12);
  EXPECT_EQ((pte >> 6) & 3, 3u);                   // S2AP: read + write
  EXPECT_EQ((pte >> 53) & 3, 0u);                  // executable
  ASSERT_EQ(m_.ModProt(kR + 1, 1, kProtR, true), 0);
  ASSERT_EQ(m_.GetLeaf((kR + 1) << 12, &pte, nullptr), 0);
  EXPECT_EQ((pte >> 6) & 3, 1u);
  EXPECT_EQ((pte >> 53) & 3, 2u);                  // XN
  ASSERT_EQ(m_.HostShareHyp(kR + 2), 0);
  ASSERT_EQ(m_.GetLeaf((kR + 2) << 12, &pte, nullptr), 0);
  EXPECT_NE(pte & KVM_PGTABLE_PROT_SW0, 0u);      // PKVM_PAGE_SHARED_OWNED
  ASSERT_EQ(m_.HostDonateHyp(kR + 3, 1, false, kPageHyp, HypUse::kNone), 0);
  ASSERT_EQ(m_.GetLeaf((kR + 3) << 12, &pte, nullptr), 0);
  EXPECT_EQ(pte, kOwnerIdHyp << 2);                // invalid, annotated with the owner
  ASSERT_EQ(m_.GetLeaf(kUart, &pte, nullptr), 0);
  EXPECT_EQ((pte >> 2) & 0xf, 1u);                 // Device-nGnRE
  ASSERT_EQ(m_.GetLeaf(0x1000, &pte, &level), 0);
  EXPECT_EQ(pte, 0u);                              // nothing there
  EXPECT_EQ(m_.GetLeaf(1ull << 48, &pte, &level), -ERANGE);
  EXPECT_EQ(m_.GetLeaf(kRam, nullptr, nullptr), 0);
}

TEST_F(PageModelTest, HostAccessKinds) {
  EXPECT_EQ(m_.CheckHostAccess(kR, true), HostAccess::kOk);
  EXPECT_EQ(m_.CheckHostAccess(kU, true), HostAccess::kOk);
  EXPECT_EQ(m_.CheckHostAccess(kREnd, false), HostAccess::kNoDevice);
  ASSERT_EQ(m_.ModProt(kR, 1, kProtW, true), 0);
  EXPECT_EQ(m_.CheckHostAccess(kR, false), HostAccess::kPermissionFault);
  EXPECT_EQ(m_.CheckHostAccess(kR, true), HostAccess::kOk);
}

TEST_F(PageModelTest, DevicesMayNotOverlap) {
  EXPECT_EQ(m_.AddMmio(kUart + 4096, 4096, "x"), -EINVAL);   // overlaps uart
  EXPECT_EQ(m_.AddMmio(kRam + 4096 * 10, 4096, "x"), -EINVAL);  // RAM
  EXPECT_EQ(m_.AddMmio(0x1001, 4096, "x"), -EINVAL);
  EXPECT_EQ(m_.AddMmio(0x1000, 0, "x"), -EINVAL);
  EXPECT_EQ(m_.AddMmio(1ull << 48, 4096, "x"), -EINVAL);
  EXPECT_EQ(m_.AddMmio(0x08000000, 0x10000, ""), 0);
  EXPECT_EQ(m_.State(0x8000).region, "mmio@0x8000000");
}

TEST_F(PageModelTest, FreeHostRunsComeFromTheTop) {
  EXPECT_EQ(m_.FindFreeHostRun(4, 1), kREnd - 4);
  ASSERT_EQ(m_.HostDonateHyp(kREnd - 2, 1, false, kPageHyp, HypUse::kNone), 0);
  EXPECT_EQ(m_.FindFreeHostRun(4, 1), kREnd - 6);
  EXPECT_EQ(m_.FindFreeHostRun(1, 1), kREnd - 1);
  EXPECT_EQ(m_.FindFreeHostRun(8, 8) % 8, 0u);
  EXPECT_LT(m_.FindFreeHostRun(8, 8) + 8, kREnd - 1);
  EXPECT_EQ(m_.FindFreeHostRun(0, 1), 0u);
  EXPECT_EQ(m_.FindFreeHostRun(kREnd - kR + 1, 1), 0u);
}

TEST_F(PageModelTest, El2MappingsAreCounted) {
  EXPECT_FALSE(m_.El2Mapped(kR));
  m_.AddEl2Mapping(kR, +1);
  EXPECT_TRUE(m_.El2Mapped(kR));
  EXPECT_EQ(m_.State(kR).el2_mappings, 1u);
  m_.AddEl2Mapping(kR, -1);
  EXPECT_EQ(m_.Dump(), "");
  ASSERT_EQ(m_.HostShareHyp(kR + 1), 0);
  EXPECT_TRUE(m_.El2Mapped(kR + 1));
}

TEST(PageStateText, OneLinePerPage) {
  PageModel m(kRam, kRamSize);
  ASSERT_EQ(m.HostDonateHyp(kR + 16, 1, false, kPageHyp, HypUse::kHeap), 0);
  EXPECT_EQ(m.State(kR + 16).ToString(),
            "pfn 0x40010 RAM owner=hyp host=NOPAGE host_prot=--- hyp=OWNED hyp_prot=RW- "
            "use=hyp_alloc heap");
  EXPECT_EQ(m.Dump(), m.State(kR + 16).ToString() + "\n");
  EXPECT_EQ(ProtToString(kProtRwx | kProtDevice), "RWXD");
}

// ---- allocators -------------------------------------------------------------------

TEST(HypHeap, AllocatesInsideRunsAndAsksForMissingPages) {
  HypHeap h;
  int err = 0;
  uint64_t missing = 0;
  EXPECT_EQ(h.Alloc(100, &err, &missing), 0u);
  EXPECT_EQ(err, -ENOMEM);
  EXPECT_EQ(missing, 1u);
  EXPECT_EQ(h.Alloc(3 * 4096 + 1, &err, &missing), 0u);
  EXPECT_EQ(missing, 4u);
  h.AddRun(kRam, 1);
  const uint64_t a = h.Alloc(100, &err, &missing);
  EXPECT_EQ(a, kRam);
  EXPECT_EQ(err, 0);
  const uint64_t b = h.Alloc(100, &err, &missing);
  EXPECT_EQ(b, kRam + 112);  // 16-byte granule
  EXPECT_EQ(h.Alloc(4096, &err, &missing), 0u);
  EXPECT_EQ(err, -ENOMEM);
  EXPECT_EQ(h.Free(a), 0);
  EXPECT_EQ(h.Free(a), -EINVAL);  // double free
  EXPECT_EQ(h.Free(b + 16), -EINVAL);
  EXPECT_EQ(h.Free(b), 0);
  EXPECT_EQ(h.Alloc(4096, &err, &missing), kRam);  // coalesced back to one page
  EXPECT_EQ(h.bytes_in_use(), 4096u);
  EXPECT_EQ(h.Alloc(0, &err, &missing), 0u);
  EXPECT_EQ(err, -EINVAL);
  EXPECT_EQ(h.Alloc(256 * 4096, &err, &missing), 0u);
  EXPECT_EQ(err, -E2BIG);  // more than hyp_alloc_missing_donations() can say
  EXPECT_EQ(h.Alloc(~0ull, &err, &missing), 0u);
  EXPECT_EQ(err, -E2BIG);
}

TEST(PagePool, NaturallyAlignedBlocks) {
  PagePool p;
  EXPECT_EQ(p.Alloc(0), 0u);
  p.Add(kR + 2, 6);  // pfns kR+2 .. kR+7
  EXPECT_EQ(p.Alloc(2), kR + 4);
  EXPECT_EQ(p.Alloc(2), 0u);  // kR+2..3 and nothing aligned left
  EXPECT_EQ(p.Alloc(1), kR + 2);
  EXPECT_EQ(p.Alloc(0), 0u);
  EXPECT_EQ(p.Free(kR + 4, 1), -EINVAL);  // wrong order
  EXPECT_EQ(p.Free(kR + 5, 0), -EINVAL);
  EXPECT_EQ(p.Free(kR + 4, 2), 0);
  EXPECT_EQ(p.Free(kR + 4, 2), -EINVAL);
  EXPECT_EQ(p.free_pages(), 4u);
  EXPECT_EQ(p.Alloc(PagePool::kMaxOrder + 1), 0u);
  EXPECT_TRUE(p.Owns(kR + 7));
  EXPECT_FALSE(p.Owns(kR + 8));
}

TEST(PagePool, BlocksSpanPagesAddedSeparatelyAndPagesAreAddedOnce) {
  PagePool p;
  p.Add(kR, 2);
  p.Add(kR + 2, 2);
  p.Add(kR + 1, 2);  // already there: nothing new
  EXPECT_EQ(p.free_pages(), 4u);
  EXPECT_EQ(p.Alloc(2), kR);  // one block over both stretches
  EXPECT_EQ(p.free_pages(), 0u);
  EXPECT_EQ(p.Free(kR, 2), 0);
  EXPECT_EQ(p.free_pages(), 4u);
  EXPECT_EQ(p.Free(kR + 1, PagePool::kMaxOrder + 1), -EINVAL);
}

TEST(PagePool, CopyIsIndependentAndKeepsFreeAndUsedBlocks) {
  PagePool a;
  a.Add(kR, 8);
  ASSERT_EQ(a.Alloc(1), kR);
  ASSERT_EQ(a.Alloc(2), kR + 4);
  PagePool b = a;  // what a snapshot holds
  EXPECT_EQ(b.free_pages(), 2u);
  EXPECT_EQ(b.blocks_in_use(), 2u);
  EXPECT_EQ(b.Alloc(1), kR + 2);  // the copy's free list is its own
  EXPECT_EQ(a.free_pages(), 2u);
  EXPECT_EQ(a.Free(kR + 4, 2), 0);
  EXPECT_EQ(b.Free(kR + 4, 1), -EINVAL);  // still an order-2 block in b
  EXPECT_EQ(b.Free(kR + 4, 2), 0);
  a = b;  // a restore assigns it back
  EXPECT_EQ(a.free_pages(), 4u);
  EXPECT_EQ(a.blocks_in_use(), 2u);
  EXPECT_EQ(a.Alloc(2), kR + 4);
  EXPECT_EQ(a.Alloc(0), 0u);
  EXPECT_EQ(b.Alloc(2), kR + 4);
}

}  // namespace
}  // namespace pkvm::mem

// Every memory, guest and device member of pkvm_module_ops, for each
// generation it exists in, called as EL2 code of a simulated machine: results,
// errors, state after a refusal, and the hyp panics where pKVM would BUG().
// (Callbacks into module code are driven in test/integration/memory_ops_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include "host/cmdline.h"
#include "machine.h"
#include "mem/memory.h"

namespace pkvm {
namespace {

using ::testing::HasSubstr;
using mem::kPage;

constexpr uint64_t kR = kRamBase >> 12;  // first RAM pfn
constexpr uint64_t kUart = 0x09000000;
// PAGE_HYP and friends are int expressions in C++; the members take the enum.
constexpr auto kHyp = static_cast<enum kvm_pgtable_prot>(PAGE_HYP);
constexpr auto kHypRo = static_cast<enum kvm_pgtable_prot>(PAGE_HYP_RO);
constexpr auto kHypDevice = static_cast<enum kvm_pgtable_prot>(PAGE_HYP_DEVICE);

template <Generation G, typename O>
struct Gen {
  static constexpr Generation kGen = G;
  using Ops = O;
};
using Gens = ::testing::Types<Gen<Generation::kA14, pkvm_module_ops_a14>,
                              Gen<Generation::kA15, pkvm_module_ops_a15>,
                              Gen<Generation::kA16, pkvm_module_ops_a16>>;
struct GenNames {
  template <typename T>
  static std::string GetName(int) {
    return "A" + std::to_string(GenerationNumber(T::kGen));
  }
};

template <typename T>
class MemOpsTest : public ::testing::Test {
 protected:
  using Ops = typename T::Ops;
  static constexpr Generation kGen = T::kGen;
  static constexpr bool kA14 = kGen == Generation::kA14;
  static constexpr bool kA15 = kGen == Generation::kA15;
  static constexpr bool kA16 = kGen == Generation::kA16;

  void SetUp() override {
    HypervisorOptions o;
    o.generation = kGen;
    o.cpus = 2;
    m_ = std::make_unique<Hypervisor::Impl>(o, internal::KernelCmdline{});
    ASSERT_EQ(m_->memory.pages.AddMmio(kUart, 4 * kPage, "uart"), 0);
    mem::Device d;
    d.base_pfn = kUart >> 12;
    d.nr_pages = 4;
    m_->memory.devices.emplace(d.base_pfn, d);
    mem::FillMemoryOps(ops_);
    scope_ = std::make_unique<ScopedContext>(m_.get(), 0, ExceptionLevel::kEl2);
  }
  void TearDown() override { scope_.reset(); }

  // Runs `f` as EL2 code; false when it panicked the machine.
  template <typename F>
  bool El2(F&& f) {
    return RunGuarded(std::forward<F>(f));
  }
  uint8_t* Va(uint64_t pfn) { return mem::PhysToPtr(*m_, pfn << 12); }
  std::string Snap() const { return m_->memory.pages.Dump(); }
  PageState St(uint64_t pfn) const { return m_->memory.pages.State(pfn); }
  std::string Log() const { return m_->boot_log; }

  int Donate(uint64_t pfn, uint64_t nr, bool mmio = false) {
    if constexpr (kA14) {
      return ops_.host_donate_hyp(pfn, nr);
    } else {
      return ops_.host_donate_hyp(pfn, nr, mmio);
    }
  }
  int ModProt(uint64_t pfn, uint64_t prot, uint64_t nr = 1, bool iommu = true) {
    const auto p = static_cast<enum kvm_pgtable_prot>(prot);
    if constexpr (kA14) {
      return nr == 1 ? ops_.host_stage2_mod_prot(pfn, p) : ops_.host_stage2_mod_prot_range(pfn, p, nr);
    } else {
      return ops_.host_stage2_mod_prot(pfn, p, nr, iommu);
    }
  }
  // The host kernel donating pages to one of the hypervisor's pools.
  void HostTopUp(HypPool pool, uint64_t pfn, uint64_t nr) {
    const HypUse use = pool == HypPool::kHypAlloc ? HypUse::kHeap
                       : pool == HypPool::kIommu  ? HypUse::kIommuPool
                                                  : HypUse::kIommuAtomicPool;
    ASSERT_EQ(m_->memory.pages.HostDonateHyp(pfn, nr, false, mem::kPageHyp, use), 0);
    if (pool == HypPool::kHypAlloc) m_->memory.heap.AddRun(pfn << 12, nr);
    if (pool == HypPool::kIommu) m_->memory.iommu_pool.Add(pfn, nr);
    if (pool == HypPool::kIommuAtomic) m_->memory.iommu_atomic_pool.Add(pfn, nr);
  }

  std::unique_ptr<Hypervisor::Impl> m_;
  Ops ops_{};
  std::unique_ptr<ScopedContext> scope_;
};
TYPED_TEST_SUITE(MemOpsTest, Gens, GenNames);

TYPED_TEST(MemOpsTest, DonateAndGiveBack) {
  ASSERT_EQ(this->Donate(kR + 16, 2), 0);
  EXPECT_EQ(this->St(kR + 17).owner, PageOwner::kHyp);
  EXPECT_EQ(this->St(kR + 17).hyp_prot, mem::kPageHyp);
  const std::string before = this->Snap();
  EXPECT_EQ(this->Donate(kR + 16, 1), -EPERM);        // double donate
  EXPECT_EQ(this->Donate(kR + 15, 0), -EINVAL);       // nr_pages 0
  EXPECT_EQ(this->Donate(kR, 1ull << 40), -EINVAL);   // huge
  EXPECT_EQ(this->Donate(~0ull, 2), -EINVAL);         // wraps
  EXPECT_EQ(this->Snap(), before);
  EXPECT_EQ(this->ops_.hyp_donate_host(kR + 16, 2), 0);
  EXPECT_EQ(this->ops_.hyp_donate_host(kR + 16, 1), -EPERM);
  EXPECT_EQ(this->Snap(), "");
}

TYPED_TEST(MemOpsTest, MmioDonationNeedsAcceptMmio) {
  const uint64_t uart = kUart >> 12;
  if constexpr (TestFixture::kA14) {
    // A14's host_donate_hyp accepts MMIO (spec 1.2).
    ASSERT_EQ(this->Donate(uart, 1), 0);
  } else {
    EXPECT_EQ(this->Donate(uart, 1, false), -EPERM);
    EXPECT_EQ(this->Snap(), "");
    ASSERT_EQ(this->Donate(uart, 1, true), 0);
  }
  EXPECT_EQ(this->St(uart).hyp_prot, mem::kPageHypDevice);
  // Beyond RAM with nothing there.
  const uint64_t beyond = (kRamBase + this->m_->ram_size) >> 12;
  EXPECT_EQ(this->Donate(beyond, 1, true), -EINVAL);
  if constexpr (!TestFixture::kA14) {
    EXPECT_EQ(this->Donate(beyond, 1, false), -EPERM);
  }
}

TYPED_TEST(MemOpsTest, DonateWithProt) {
  if constexpr (!TestFixture::kA14) {
    auto& o = this->ops_;
    ASSERT_EQ(o.host_donate_hyp_prot(kR + 3, 1, false, kHypRo), 0);
    EXPECT_EQ(this->St(kR + 3).hyp_prot, static_cast<uint64_t>(kHypRo));
    EXPECT_EQ(o.host_donate_hyp_prot(kR + 4, 1, false, KVM_PGTABLE_PROT_SW2), -EINVAL);
    EXPECT_EQ(o.host_donate_hyp_prot(kR + 3, 1, false, kHyp), -EPERM);
    EXPECT_EQ(o.host_donate_hyp_prot(kUart >> 12, 1, false, kHypDevice), -EPERM);
    EXPECT_EQ(o.host_donate_hyp_prot(kUart >> 12, 1, true, kHypDevice), 0);
  }
}

TYPED_TEST(MemOpsTest, DonateScatterGatherList) {
  if constexpr (TestFixture::kA16) {
    auto& o = this->ops_;
    pkvm_sglist_page list[2] = {};
    list[0].pfn = kR + 8;
    list[0].order = 1;  // two pages
    list[1].pfn = kR + 32;
    list[1].order = 0;
    ASSERT_EQ(o.host_donate_sglist_hyp(list, 2), 0);
    for (uint64_t p : {kR + 8, kR + 9, kR + 32}) EXPECT_EQ(this->St(p).owner, PageOwner::kHyp);
    const std::string before = this->Snap();
    pkvm_sglist_page bad[2] = {};
    bad[0].pfn = kR + 40;
    bad[1].pfn = kR + 9;  // already the hypervisor's: nothing is donated
    EXPECT_EQ(o.host_donate_sglist_hyp(bad, 2), -EPERM);
    bad[1].pfn = kR + 40;  // the same chunk twice
    EXPECT_EQ(o.host_donate_sglist_hyp(bad, 2), -EINVAL);
    bad[1].pfn = kR + 41;
    bad[1].order = 10;  // above PMD order
    EXPECT_EQ(o.host_donate_sglist_hyp(bad, 2), -EINVAL);
    bad[1].order = 0;
    bad[1].pfn = kUart >> 12;  // device memory
    EXPECT_EQ(o.host_donate_sglist_hyp(bad, 2), -EINVAL);
    EXPECT_EQ(o.host_donate_sglist_hyp(bad, 0), -EINVAL);
    EXPECT_EQ(o.host_donate_sglist_hyp(nullptr, 1), -EINVAL);
    EXPECT_EQ(this->Snap(), before);
  }
}

TYPED_TEST(MemOpsTest, ShareAndPinThroughHypVas) {
  auto& o = this->ops_;
  const uint64_t p = kR + 5;
  ASSERT_EQ(o.host_share_hyp(p), 0);
  uint8_t* va = this->Va(p);
  ASSERT_EQ(o.pin_shared_mem(va + 8, va + 100), 0);
  EXPECT_EQ(this->St(p).pins, 1u);
  EXPECT_EQ(o.host_unshare_hyp(p), -EBUSY);  // unshare while pinned
  EXPECT_EQ(o.pin_shared_mem(va, va + kPage + 1), -EPERM);  // p + 1 is not shared
  EXPECT_EQ(o.pin_shared_mem(va, va), -EINVAL);              // empty
  int local = 0;
  EXPECT_EQ(o.pin_shared_mem(&local, &local + 1), -EPERM);   // not in the linear map
  EXPECT_TRUE(this->El2([&] { o.unpin_shared_mem(va + 8, va + 100); }));
  EXPECT_EQ(o.host_unshare_hyp(p), 0);
  EXPECT_EQ(o.host_share_hyp(kUart >> 12), -EPERM);
  ASSERT_EQ(this->Donate(kR + 6, 1), 0);
  EXPECT_EQ(o.host_share_hyp(kR + 6), -EPERM);  // share of a hyp page
  EXPECT_EQ(o.host_unshare_hyp(kR + 7), -EPERM);
}

TYPED_TEST(MemOpsTest, UnpinOfUnpinnedMemoryPanics) {
  auto& o = this->ops_;
  ASSERT_EQ(o.host_share_hyp(kR + 5), 0);
  uint8_t* va = this->Va(kR + 5);
  EXPECT_FALSE(this->El2([&] { o.unpin_shared_mem(va, va + 1); }));
  EXPECT_EQ(this->m_->state, MachineState::kPanicked);
  EXPECT_THAT(this->m_->panic_report, HasSubstr("refcount underflow at pfn 0x40005"));
}

TYPED_TEST(MemOpsTest, HostStage2ModProtForms) {
  ASSERT_EQ(this->ModProt(kR + 20, kHypRo), 0);
  EXPECT_EQ(this->St(kR + 20).host_prot, static_cast<uint64_t>(KVM_PGTABLE_PROT_R));
  EXPECT_THAT(this->Log(), HasSubstr("no host permission fault handler registered"));
  ASSERT_EQ(this->ModProt(kR + 21, KVM_PGTABLE_PROT_R, 3), 0);
  EXPECT_TRUE(this->St(kR + 23).host_prot_modified);
  const std::string before = this->Snap();
  EXPECT_EQ(this->ModProt(kR + 22, KVM_PGTABLE_PROT_R, 3), -EPERM);  // mixed range
  EXPECT_EQ(this->ModProt(kR + 22, KVM_PGTABLE_PROT_SW3), -EINVAL);
  EXPECT_EQ(this->ModProt(kR + 30, KVM_PGTABLE_PROT_R, 0), -EINVAL);
  EXPECT_EQ(this->Snap(), before);
  if constexpr (!TestFixture::kA14) {
    // update_iommu = false leaves the IOMMU's view alone.
    ASSERT_EQ(this->ModProt(kR + 40, KVM_PGTABLE_PROT_R, 1, false), 0);
    EXPECT_EQ(this->St(kR + 40).iommu_prot, mem::kProtRwx);
  }
  ASSERT_EQ(this->ModProt(kR + 20, KVM_PGTABLE_PROT_RWX, 4), 0);
  EXPECT_FALSE(this->St(kR + 21).host_prot_modified);
}

TYPED_TEST(MemOpsTest, HostStage2GetLeaf) {
  auto& o = this->ops_;
  pkvm_kvm_pte_t pte = 0;
  if constexpr (TestFixture::kA16) {
    pkvm_s8 level = 0;  // s8 from A16 on
    ASSERT_EQ(o.host_stage2_get_leaf(kRamBase + 0x3000, &pte, &level), 0);
    EXPECT_EQ(level, 3);
  } else {
    pkvm_u32 level = 0;
    ASSERT_EQ(o.host_stage2_get_leaf(kRamBase + 0x3000, &pte, &level), 0);
    EXPECT_EQ(level, 3u);
  }
  EXPECT_EQ(pte & 0xfffffffff003ull, (kRamBase + 0x3000) | 3);
  EXPECT_EQ(o.host_stage2_get_leaf(kRamBase, nullptr, nullptr), 0);
  EXPECT_EQ(o.host_stage2_get_leaf(1ull << 50, &pte, nullptr), -ERANGE);
}

TYPED_TEST(MemOpsTest, PrivateMappingsArePermanentAndLeaveTheHostAlone) {
  auto& o = this->ops_;
  unsigned long haddr = 0;
  ASSERT_EQ(o.create_private_mapping(kRamBase + 0x5010, 0x100, kHyp, &haddr), 0);
  EXPECT_EQ(haddr, reinterpret_cast<unsigned long>(this->Va(kR + 5) + 0x10));
  EXPECT_EQ(this->St(kR + 5).owner, PageOwner::kHost);
  EXPECT_EQ(this->St(kR + 5).el2_mappings, 1u);
  ASSERT_EQ(o.create_private_mapping(kUart + 0x10, 0x2000, kHypDevice, &haddr), 0);
  EXPECT_EQ(this->St((kUart >> 12) + 2).el2_mappings, 1u);  // spans 3 pages
  EXPECT_EQ(o.create_private_mapping(kRamBase, 0, kHyp, &haddr), -EINVAL);
  EXPECT_EQ(o.create_private_mapping(kRamBase, kPage, kHyp, nullptr), -EINVAL);
  EXPECT_EQ(o.create_private_mapping(0x1000, kPage, kHyp, &haddr), -EINVAL);  // nothing
  EXPECT_EQ(o.create_private_mapping(~0ull - 10, kPage, kHyp, &haddr), -EINVAL);
  EXPECT_EQ(o.create_private_mapping(kRamBase, kPage,
                                     static_cast<enum kvm_pgtable_prot>(1ull << 20), &haddr),
            -EINVAL);
}

TYPED_TEST(MemOpsTest, MapModulePages) {
  auto& o = this->ops_;
  auto* va = reinterpret_cast<uint8_t*>(this->m_->AllocModuleVa(4));
  ASSERT_NE(va, nullptr);
  ASSERT_EQ(o.map_module_page(kR + 50, va, kHyp, false), 0);  // donated, then mapped
  EXPECT_EQ(this->St(kR + 50).owner, PageOwner::kHyp);
  EXPECT_EQ(this->St(kR + 50).el2_mappings, 1u);
  EXPECT_EQ(this->m_->hyp_pages.at(reinterpret_cast<uint64_t>(va)).prot, static_cast<uint64_t>(kHyp));
  const std::string before = this->Snap();
  EXPECT_EQ(o.map_module_page(kR + 51, va, kHyp, false), -EEXIST);
  EXPECT_EQ(o.map_module_page(kR + 51, va + 1, kHyp, false), -EINVAL);  // unaligned
  EXPECT_EQ(o.map_module_page(kR + 51, va + 4 * kPage, kHyp, false), -EINVAL);  // not allocated
  EXPECT_EQ(o.map_module_page(kR + 51, va + kPage, kHyp, true), -EPERM);  // not protected
  EXPECT_EQ(o.map_module_page(kR + 50, va + kPage, kHyp, false), -EPERM);  // already hyp's
  EXPECT_EQ(this->Snap(), before);
  ASSERT_EQ(o.map_module_page(kR + 50, va + kPage, kHypRo, true), 0);  // second alias
  EXPECT_EQ(this->St(kR + 50).el2_mappings, 2u);
  if constexpr (TestFixture::kA16) {
    ASSERT_EQ(o.map_module_pages(kR + 52, va + 2 * kPage, 2, kHyp, false), 0);
    EXPECT_EQ(o.unmap_module_pages(kR + 52, va + 2 * kPage, 3), -EINVAL);  // third not mapped
    EXPECT_EQ(o.unmap_module_pages(kR + 53, va + 2 * kPage, 1), -EINVAL);  // other pfn
    EXPECT_EQ(o.map_module_pages(kR + 60, va, 0, kHyp, false), -EINVAL);
    ASSERT_EQ(o.unmap_module_pages(kR + 52, va + 2 * kPage, 2), 0);
    // Unmapping does not give the pages back.
    EXPECT_EQ(this->St(kR + 53).owner, PageOwner::kHyp);
    EXPECT_EQ(this->St(kR + 53).el2_mappings, 0u);
    EXPECT_EQ(this->m_->hyp_pages.count(reinterpret_cast<uint64_t>(va + 2 * kPage)), 0u);
  }
  // Giving a page back while a module VA still maps it is allowed (as in the
  // kernel) and reported.
  EXPECT_EQ(o.hyp_donate_host(kR + 50, 1), 0);
  EXPECT_THAT(this->Log(), HasSubstr("still mapped at EL2"));
}

TYPED_TEST(MemOpsTest, FixmapIsPerCpuAndOneAtATime) {
  auto& o = this->ops_;
  void* a = o.fixmap_map(kRamBase + 0x7123);
  EXPECT_EQ(a, this->Va(kR + 7) + 0x123);
  EXPECT_EQ(this->St(kR + 7).el2_mappings, 1u);
  EXPECT_EQ(o.fixmap_map(kRamBase + 0x8000), nullptr);  // fixmap twice without unmap
  EXPECT_THAT(this->Log(), HasSubstr("fixmap_unmap() must be called between two maps"));
  EXPECT_EQ(this->St(kR + 8).el2_mappings, 0u);
  {
    ScopedContext cpu1(this->m_.get(), 1, ExceptionLevel::kEl2);  // another CPU's slot
    EXPECT_NE(o.fixmap_map(kRamBase + 0x8000), nullptr);
    o.fixmap_unmap();
  }
  o.fixmap_unmap();
  EXPECT_EQ(this->Snap(), "");
  o.fixmap_unmap();
  EXPECT_THAT(this->Log(), HasSubstr("fixmap_unmap() on CPU0 with nothing mapped"));
  EXPECT_EQ(o.fixmap_map(0x1000), nullptr);  // nothing there
  EXPECT_NE(o.fixmap_map(kUart), nullptr);
}

TYPED_TEST(MemOpsTest, FixblockIsSharedByAllCpus) {
  if constexpr (TestFixture::kA16) {
    auto& o = this->ops_;
    void* b = o.fixblock_map(kRamBase + 0x200000 + 0x42);
    EXPECT_EQ(b, this->Va(kR + 0x200) + 0x42);
    EXPECT_EQ(this->St(kR + 0x200 + 511).el2_mappings, 1u);
    {
      ScopedContext cpu1(this->m_.get(), 1, ExceptionLevel::kEl2);
      EXPECT_EQ(o.fixblock_map(kRamBase), nullptr);  // one block for every CPU
    }
    o.fixblock_unmap();
    EXPECT_EQ(this->Snap(), "");
    o.fixblock_unmap();
    EXPECT_THAT(this->Log(), HasSubstr("fixblock_unmap() with nothing mapped"));
    EXPECT_EQ(o.fixblock_map(kUart), nullptr);  // the device is smaller than a block
  }
}

TYPED_TEST(MemOpsTest, LinearMapEarlyMustBeGoneBeforeDeprivilege) {
  auto& o = this->ops_;
  void* a = o.linear_map_early(kRamBase + 0x10000, 2 * kPage, kHyp);
  EXPECT_EQ(a, this->Va(kR + 16));
  EXPECT_EQ(o.linear_map_early(kRamBase + 0x11000, kPage, kHyp), nullptr);  // overlaps
  EXPECT_EQ(o.linear_map_early(kRamBase + 0x20001, kPage, kHyp), nullptr);  // unaligned
  EXPECT_EQ(o.linear_map_early(kRamBase + 0x20000, 0, kHyp), nullptr);
  EXPECT_EQ(o.linear_map_early(0x1000, kPage, kHyp), nullptr);
  EXPECT_EQ(mem::FinalizeCheck(*this->m_), -EBUSY);
  EXPECT_THAT(this->Log(), HasSubstr("linear_map_early() mappings are still present (phys "
                                     "0x40010000 size 0x2000)"));
  o.linear_unmap_early(a, kPage);  // wrong size: nothing unmapped
  EXPECT_THAT(this->Log(), HasSubstr("does not match a linear_map_early() mapping"));
  EXPECT_EQ(mem::FinalizeCheck(*this->m_), -EBUSY);
  o.linear_unmap_early(a, 2 * kPage);
  EXPECT_EQ(mem::FinalizeCheck(*this->m_), 0);
  EXPECT_EQ(this->Snap(), "");
  this->m_->protected_mode_initialized = true;
  EXPECT_EQ(o.linear_map_early(kRamBase + 0x10000, kPage, kHyp), nullptr);
  EXPECT_THAT(this->Log(), HasSubstr("after deprivilege"));
}

TYPED_TEST(MemOpsTest, FlushDcacheNeedsAnEl2Mapping) {
  auto& o = this->ops_;
  ASSERT_EQ(this->Donate(kR + 9, 1), 0);
  EXPECT_TRUE(this->El2([&] { o.flush_dcache_to_poc(this->Va(kR + 9), kPage); }));
  EXPECT_TRUE(this->El2([&] { o.flush_dcache_to_poc(this->Va(kR + 10), 0); }));
  int local[4] = {};
  EXPECT_TRUE(this->El2([&] { o.flush_dcache_to_poc(local, sizeof local); }));
  EXPECT_EQ(this->m_->memory.dcache_flushes, 3u);
  // The next page is the host's and the hypervisor does not map it.
  EXPECT_FALSE(this->El2([&] { o.flush_dcache_to_poc(this->Va(kR + 9) + 8, kPage); }));
  EXPECT_THAT(this->m_->panic_report, HasSubstr("EL2 data abort"));
  EXPECT_THAT(this->m_->panic_report, HasSubstr("pfn 0x4000a"));
}

TYPED_TEST(MemOpsTest, HypAlloc) {
  if constexpr (!TestFixture::kA14) {
    auto& o = this->ops_;
    EXPECT_EQ(o.hyp_alloc(64), nullptr);
    EXPECT_EQ(o.hyp_alloc_errno(), -ENOMEM);
    EXPECT_EQ(o.hyp_alloc_missing_donations(), 1);
    EXPECT_EQ(o.hyp_alloc(3 * kPage), nullptr);
    EXPECT_EQ(o.hyp_alloc_missing_donations(), 3);
    if constexpr (TestFixture::kA16) {
      ASSERT_EQ(o.request_hyp_alloc(), 0);
      const mem::CpuMemState& c = this->m_->memory.cpu[0];
      EXPECT_TRUE(c.req_pending);
      EXPECT_EQ(c.req.type, mem::kHypReqTypeMem);
      EXPECT_EQ(c.req.mem.dest, mem::kReqMemDestHypAlloc);
      EXPECT_EQ(c.req.mem.nr_pages, 3);
    }
    this->HostTopUp(HypPool::kHypAlloc, kR + 100, 3);
    void* p = o.hyp_alloc(3 * kPage);
    EXPECT_EQ(p, this->Va(kR + 100));
    EXPECT_EQ(o.hyp_alloc_errno(), 0);
    EXPECT_EQ(o.hyp_alloc_missing_donations(), 0);
    EXPECT_EQ(this->St(kR + 101).hyp_use, HypUse::kHeap);
    EXPECT_EQ(o.hyp_donate_host(kR + 100, 1), -EBUSY);  // the heap's page
    EXPECT_EQ(o.hyp_alloc(0), nullptr);
    EXPECT_EQ(o.hyp_alloc_errno(), -EINVAL);
    EXPECT_EQ(o.hyp_alloc(1ull << 40), nullptr);
    EXPECT_EQ(o.hyp_alloc_errno(), -E2BIG);
    if constexpr (TestFixture::kA16) {
      // Nothing missing right now: nothing to ask for.
      this->m_->memory.cpu[0].req_pending = false;
      this->m_->memory.cpu[0].missing = 0;
      EXPECT_EQ(o.request_hyp_alloc(), 0);
      EXPECT_FALSE(this->m_->memory.cpu[0].req_pending);
    }
    EXPECT_TRUE(this->El2([&] { o.hyp_free(p); }));
    EXPECT_TRUE(this->El2([&] { o.hyp_free(nullptr); }));
    EXPECT_FALSE(this->El2([&] { o.hyp_free(p); }));  // double free
    EXPECT_THAT(this->m_->panic_report, HasSubstr("not a live hyp_alloc() allocation"));
  }
}

TYPED_TEST(MemOpsTest, IommuPools) {
  if constexpr (!TestFixture::kA14) {
    auto& o = this->ops_;
    const mem::CpuMemState& c = this->m_->memory.cpu[0];
    if constexpr (TestFixture::kA15) {
      EXPECT_EQ(o.iommu_donate_pages(0, false), nullptr);
      EXPECT_FALSE(c.req_pending);  // request = false: nothing asked
      EXPECT_EQ(o.iommu_donate_pages(1, true), nullptr);
    } else {
      EXPECT_EQ(o.iommu_donate_pages(1, 0), nullptr);
    }
    ASSERT_TRUE(c.req_pending);
    EXPECT_EQ(c.req.mem.dest, mem::kReqMemDestHypIommu);
    EXPECT_EQ(c.req.mem.nr_pages, 1);
    EXPECT_EQ(c.req.mem.sz_alloc, 2 * static_cast<int>(kPage));
    this->HostTopUp(HypPool::kIommu, kR + 200, 8);
    std::memset(this->Va(kR + 200), 0xaa, 8 * kPage);
    void* a = nullptr;
    if constexpr (TestFixture::kA15) {
      a = o.iommu_donate_pages(2, true);
    } else {
      a = o.iommu_donate_pages(2, 1);  // IOMMU_PAGE_NOCACHE
      EXPECT_NE(this->St(kR + 200).hyp_prot & KVM_PGTABLE_PROT_NORMAL_NC, 0u);
    }
    ASSERT_EQ(a, this->Va(kR + 200));
    EXPECT_EQ(static_cast<uint8_t*>(a)[4 * kPage - 1], 0);  // handed out zeroed
    EXPECT_EQ(o.iommu_donate_pages_atomic(0), nullptr);     // a different pool
    if constexpr (TestFixture::kA15) {
      EXPECT_EQ(o.iommu_donate_pages(11, true), nullptr);   // above MAX_ORDER
    } else {
      EXPECT_EQ(o.iommu_donate_pages(11, 0), nullptr);
    }
    this->HostTopUp(HypPool::kIommuAtomic, kR + 300, 1);
    void* at = o.iommu_donate_pages_atomic(0);
    EXPECT_EQ(at, this->Va(kR + 300));
    EXPECT_TRUE(this->El2([&] { o.iommu_reclaim_pages_atomic(at, 0); }));
    EXPECT_TRUE(this->El2([&] { o.iommu_reclaim_pages(a, 2); }));
    EXPECT_EQ(this->St(kR + 200).hyp_prot, mem::kPageHyp);
    EXPECT_FALSE(this->El2([&] { o.iommu_reclaim_pages(a, 1); }));  // not handed out
    EXPECT_THAT(this->m_->panic_report, HasSubstr("iommu_reclaim_pages"));
  }
}

TYPED_TEST(MemOpsTest, IommuRequestAndDevices) {
  if constexpr (!TestFixture::kA14) {
    auto& o = this->ops_;
    if constexpr (TestFixture::kA15) {
      mem::HypReq req{};
      EXPECT_EQ(o.iommu_request(nullptr), -EINVAL);
      req.type = 9;
      EXPECT_EQ(o.iommu_request(reinterpret_cast<kvm_hyp_req*>(&req)), -EINVAL);
      req.type = mem::kHypReqTypeMem;
      req.mem.dest = mem::kReqMemDestHypIommu;
      req.mem.nr_pages = 2;
      req.mem.sz_alloc = static_cast<int32_t>(kPage);
      ASSERT_EQ(o.iommu_request(reinterpret_cast<kvm_hyp_req*>(&req)), 0);
      EXPECT_EQ(this->m_->memory.cpu[0].req.mem.nr_pages, 2);
    }
    int dev_a = 0, dev_b = 0, domain = 0;
    auto* iommu_a = reinterpret_cast<kvm_hyp_iommu*>(&dev_a);
    EXPECT_EQ(o.iommu_snapshot_host_stage2(reinterpret_cast<kvm_hyp_iommu_domain*>(&domain)),
              -ENODEV);
    EXPECT_EQ(o.iommu_init_device(nullptr), -EINVAL);
    EXPECT_EQ(o.iommu_init_device(iommu_a), 0);
    EXPECT_EQ(o.iommu_init_device(iommu_a), -EEXIST);
    EXPECT_EQ(o.iommu_init_device(reinterpret_cast<kvm_hyp_iommu*>(&dev_b)), 0);
    ASSERT_EQ(this->Donate(kR, 2), 0);
    EXPECT_EQ(o.iommu_snapshot_host_stage2(nullptr), -EINVAL);
    ASSERT_EQ(o.iommu_snapshot_host_stage2(reinterpret_cast<kvm_hyp_iommu_domain*>(&domain)), 0);
    EXPECT_EQ(this->m_->memory.iommu_snapshots.at(reinterpret_cast<uint64_t>(&domain)),
              this->m_->ram_size / kPage - 2);
  }
}

TYPED_TEST(MemOpsTest, IotlbGatherAndUdelay) {
  if constexpr (!TestFixture::kA14) {
    auto& o = this->ops_;
    mem::IotlbGather g{ULONG_MAX, 0, 0, nullptr, nullptr, false};
    auto* gather = reinterpret_cast<iommu_iotlb_gather*>(&g);
    o.iommu_iotlb_gather_add_page(nullptr, gather, 0x1000, 0x1000);
    o.iommu_iotlb_gather_add_page(nullptr, gather, 0x2000, 0x1000);  // adjacent: grows
    EXPECT_EQ(g.start, 0x1000u);
    EXPECT_EQ(g.end, 0x2fffu);
    EXPECT_EQ(this->m_->memory.iotlb_syncs, 0u);
    o.iommu_iotlb_gather_add_page(nullptr, gather, 0x10000, 0x1000);  // disjoint: sync
    EXPECT_EQ(this->m_->memory.iotlb_syncs, 1u);
    EXPECT_EQ(g.start, 0x10000u);
    EXPECT_EQ(g.end, 0x10fffu);
    o.iommu_iotlb_gather_add_page(nullptr, gather, 0x11000, 0x200000);  // other page size
    EXPECT_EQ(this->m_->memory.iotlb_syncs, 2u);
    EXPECT_EQ(g.pgsize, 0x200000u);
    o.udelay(10);
    o.udelay(5);
    EXPECT_EQ(this->m_->memory.udelay_us, 15u);
  }
}

TYPED_TEST(MemOpsTest, DmaReferencesDroppedByTheModule) {
  auto& o = this->ops_;
  ASSERT_EQ(this->m_->memory.pages.UseDma(kRamBase + 0x40000, 2 * kPage), 0);
  if constexpr (TestFixture::kA16) {
    EXPECT_EQ(o.pkvm_unuse_dma(kRamBase + 0x40001, kPage), -EINVAL);
    EXPECT_EQ(o.pkvm_unuse_dma(kUart, kPage), 0);  // device memory: nothing to drop
    EXPECT_EQ(o.pkvm_unuse_dma(kRamBase + 0x40000, 2 * kPage), 0);
    EXPECT_EQ(this->Snap(), "");
    int rc = 0;
    EXPECT_FALSE(this->El2([&] { rc = o.pkvm_unuse_dma(kRamBase + 0x40000, kPage); }));
    EXPECT_THAT(this->m_->panic_report, HasSubstr("DMA refcount underflow"));
  } else if constexpr (TestFixture::kA15) {
    mem::IommuPaddrCache cache{};
    cache.ptr = 2;
    cache.paddr[0] = kRamBase + 0x40000;
    cache.pgsize[0] = kPage;
    cache.paddr[1] = kRamBase + 0x41000;
    cache.pgsize[1] = kPage;
    EXPECT_TRUE(this->El2(
        [&] { o.iommu_flush_unmap_cache(reinterpret_cast<kvm_iommu_paddr_cache*>(&cache)); }));
    EXPECT_EQ(cache.ptr, 0);
    EXPECT_EQ(this->Snap(), "");
    cache.ptr = 1;
    EXPECT_FALSE(this->El2(
        [&] { o.iommu_flush_unmap_cache(reinterpret_cast<kvm_iommu_paddr_cache*>(&cache)); }));
    EXPECT_THAT(this->m_->panic_report, HasSubstr("DMA refcount underflow"));
  }
}

TYPED_TEST(MemOpsTest, LazyPteInA15) {
  if constexpr (TestFixture::kA15) {
    auto& o = this->ops_;
    ASSERT_EQ(o.host_stage2_enable_lazy_pte(kR + 60, 2), 0);
    EXPECT_TRUE(this->St(kR + 61).lazy_pte);
    EXPECT_EQ(o.host_stage2_disable_lazy_pte(kR + 62, 1), -EINVAL);
    EXPECT_EQ(o.host_stage2_enable_lazy_pte(kUart >> 12, 1), -EPERM);
    EXPECT_EQ(o.host_stage2_enable_lazy_pte(kR, 0), -EINVAL);
    ASSERT_EQ(o.host_stage2_disable_lazy_pte(kR + 60, 2), 0);
    EXPECT_EQ(this->Snap(), "");
  }
}

bool GuestSmcA15(arm_smccc_1_2_regs*, arm_smccc_res*, pkvm_handle_t) { return false; }
bool GuestSmcA16(arm_smccc_1_2_regs*, arm_smccc_1_2_regs*, pkvm_handle_t) { return false; }
int TrngRnd64(pkvm_u64*, int) { return 0; }
int DeviceReset(void*, bool) { return 0; }

TYPED_TEST(MemOpsTest, GuestRegistrations) {
  auto& o = this->ops_;
  if constexpr (TestFixture::kA15) {
    EXPECT_EQ(o.register_guest_smc_handler(&GuestSmcA15, 0x1000), -EINVAL);  // no such guest
    this->m_->memory.guests[0x1000].stage2[0x80000] = kR + 70;
    EXPECT_EQ(o.register_guest_smc_handler(nullptr, 0x1000), -EINVAL);
    EXPECT_EQ(o.register_guest_smc_handler(&GuestSmcA15, 0x1000), 0);
    EXPECT_EQ(o.register_guest_smc_handler(&GuestSmcA15, 0x1000), -EBUSY);
    pkvm_phys_addr_t phys = 0;
    EXPECT_EQ(o.guest_stage2_pa(0x1000, 0x80000123, &phys), 0);
    EXPECT_EQ(phys, ((kR + 70) << 12) | 0x123);
    EXPECT_EQ(o.guest_stage2_pa(0x1000, 0x90000000, &phys), -ENOENT);
    EXPECT_EQ(o.guest_stage2_pa(0x1001, 0x80000000, &phys), -EINVAL);
    EXPECT_EQ(o.guest_stage2_pa(0x1000, 0x80000000, nullptr), -EINVAL);
  } else if constexpr (TestFixture::kA16) {
    EXPECT_EQ(o.register_guest_smc_handler(nullptr), -EINVAL);
    EXPECT_EQ(o.register_guest_smc_handler(&GuestSmcA16), 0);
    EXPECT_EQ(o.register_guest_smc_handler(&GuestSmcA16), -EBUSY);
    static const pkvm_uuid kUuid = {{1, 2, 3}};
    pkvm_module_trng_ops trng{};
    EXPECT_EQ(o.register_guest_trng_ops(nullptr), -EINVAL);
    trng.trng_rnd64 = &TrngRnd64;
    EXPECT_EQ(o.register_guest_trng_ops(&trng), -EINVAL);  // no UUID
    trng.trng_uuid = &kUuid;
    trng.trng_rnd64 = nullptr;
    EXPECT_EQ(o.register_guest_trng_ops(&trng), -EINVAL);  // no callback
    trng.trng_rnd64 = &TrngRnd64;
    EXPECT_EQ(o.register_guest_trng_ops(&trng), 0);
    EXPECT_EQ(o.register_guest_trng_ops(&trng), -EBUSY);
    int cookie = 0;
    EXPECT_EQ(o.device_register_reset(kUart, &cookie, nullptr), -EINVAL);
    EXPECT_EQ(o.device_register_reset(kUart + kPage, &cookie, &DeviceReset), -ENODEV);
    EXPECT_EQ(o.device_register_reset(0x1000, &cookie, &DeviceReset), -ENODEV);
    EXPECT_EQ(o.device_register_reset(kUart, &cookie, &DeviceReset), 0);
    EXPECT_EQ(o.device_register_reset(kUart, &cookie, &DeviceReset), -EBUSY);
  }
}

}  // namespace
}  // namespace pkvm

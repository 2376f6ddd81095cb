// File: lib/mem/page_model.h
// pKVM's page-ownership state machine over the simulated physical address
// space: RAM at [ram_base, ram_base + ram_size), registered MMIO regions, and
// nothing elsewhere. Pure bookkeeping (no EL2 context, no callbacks), so unit
// and property tests drive it directly; lib/mem/mem_ops.cc turns the
// pkvm_module_ops arguments into these calls.
//
// Every transition checks all pages first and changes nothing when it fails,
// returning the negative errno pKVM returns (docs/memory.md lists each one
// with the spec line it answers). -EOVERFLOW is reserved for what the kernel
// treats as a BUG (a pin or DMA reference count going past its limits); the
// caller turns it into a hyp panic.
//
//   PageModel m(0x40000000, 64 << 20);
//   int rc = m.HostDonateHyp(0x40010, 1, /*accept_mmio=*/false, kPageHyp, HypUse::kNone);
#ifndef PKVM_LIB_MEM_PAGE_MODEL_H_
#define PKVM_LIB_MEM_PAGE_MODEL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "pkvm/abi/pgtable_prot.h"
#include "pkvm/page_state.h"

namespace pkvm::mem {

inline constexpr uint64_t kPage = 4096;
inline constexpr unsigned kPageShift = 12;
// The host stage-2 input range: 48 bits (the largest a 4 KiB granule walks).
inline constexpr unsigned kPaBits = 48;
inline constexpr uint64_t kPfnLimit = 1ull << (kPaBits - kPageShift);

inline constexpr uint64_t kProtX = KVM_PGTABLE_PROT_X;
inline constexpr uint64_t kProtW = KVM_PGTABLE_PROT_W;
inline constexpr uint64_t kProtR = KVM_PGTABLE_PROT_R;
inline constexpr uint64_t kProtDevice = KVM_PGTABLE_PROT_DEVICE;
inline constexpr uint64_t kProtNormalNc = KVM_PGTABLE_PROT_NORMAL_NC;
inline constexpr uint64_t kProtRwx = kProtR | kProtW | kProtX;
// The host's default stage-2 permissions (PKVM_HOST_MEM_PROT / _MMIO_PROT).
inline constexpr uint64_t kHostMemProt = kProtRwx;
inline constexpr uint64_t kHostMmioProt = kProtR | kProtW;
inline constexpr uint64_t kPageHyp = kProtR | kProtW;
inline constexpr uint64_t kPageHypDevice = kPageHyp | kProtDevice;
// What a module may pass as a prot (the kernel's MODULE_PROT_ALLOWLIST).
inline constexpr uint64_t kModuleProtAllowlist = kProtRwx | kProtDevice | kProtNormalNc |
                                                 KVM_PGTABLE_PROT_PXN | KVM_PGTABLE_PROT_UXN;
// hyp_page refcounts are 16-bit; the kernel BUG()s past this.
inline constexpr uint32_t kMaxRefcount = 0xffff;

// Owner ids of an invalid (annotated) host stage-2 PTE, bits [9:2].
inline constexpr uint64_t kOwnerIdHost = 0;
inline constexpr uint64_t kOwnerIdHyp = 1;
inline constexpr uint64_t kOwnerIdGuest = 3;
inline constexpr uint64_t kOwnerIdProtected = 4;

// Releases a device's register backing.
struct MmioUnmap {
  uint64_t len = 0;
  void operator()(uint8_t* p) const;
};

struct MmioRegion {
  uint64_t base_pfn = 0;
  uint64_t nr_pages = 0;
  std::string name;
  // The device's registers as accesses see them. Shared: a copy of the page
  // model (a machine snapshot) refers to the same device.
  std::shared_ptr<uint8_t> data;
};

// What pKVM records about one page.
struct PageRec {
  PageOwner owner = PageOwner::kHost;
  uint16_t guest = 0;
  PkvmPageState host = PkvmPageState::kOwned;
  PkvmPageState hyp = PkvmPageState::kNoPage;
  uint64_t host_prot = kHostMemProt;
  uint64_t iommu_prot = kHostMemProt;
  uint64_t hyp_prot = 0;
  bool module_owned = false;
  bool lazy = false;
  uint32_t pins = 0;
  uint32_t dma = 0;
  uint32_t el2_mappings = 0;
  HypUse use = HypUse::kNone;
  bool operator==(const PageRec&) const = default;
};

enum class HostAccess {
  kOk,
  kTranslationFault,  // the host stage-2 has no valid entry (another owner)
  kPermissionFault,   // valid entry without the needed permission
  kNoDevice,          // neither RAM nor a registered device
};

class PageModel {
 public:
  PageModel(uint64_t ram_base, uint64_t ram_size);

  uint64_t ram_base() const { return ram_begin_ << kPageShift; }
  uint64_t ram_begin_pfn() const { return ram_begin_; }
  uint64_t ram_end_pfn() const { return ram_end_; }

  // Registers a device at [phys, phys + size): page aligned, inside the PA
  // space, overlapping neither RAM nor another device (-EINVAL otherwise).
  int AddMmio(uint64_t phys, uint64_t size, std::string name);
  PageKind KindOf(uint64_t pfn) const;
  MmioRegion* MmioAt(uint64_t pfn);
  const MmioRegion* MmioAt(uint64_t pfn) const;
  const std::map<uint64_t, MmioRegion>& mmio() const { return mmio_; }
  // The kind shared by every page of [pfn, pfn + nr) when they lie in RAM or
  // in one device; kNone otherwise.
  PageKind RangeKind(uint64_t pfn, uint64_t nr) const;

  PageRec Rec(uint64_t pfn) const;
  PageState State(uint64_t pfn) const;
  bool IsPristine(uint64_t pfn) const { return Rec(pfn) == Default(pfn); }
  // Pages [first, end) hold the host kernel's own code and data (the
  // Unicorn backend's module images): FindFreeHostRun() never offers them,
  // so a donation cannot take memory the host kernel runs from.
  void SetKernelPages(uint64_t first_pfn, uint64_t end_pfn) {
    kernel_first_ = first_pfn;
    kernel_end_ = end_pfn;
  }
  // Every page whose state differs from its boot state, one line each.
  std::string Dump() const;

  // ---- transitions (0 or -errno; nothing changes on error) -------------------
  // host -> hyp; `prot` maps the page in the hypervisor's linear map.
  int HostDonateHyp(uint64_t pfn, uint64_t nr, bool accept_mmio, uint64_t prot, HypUse use);
  // hyp -> host. -EBUSY for pages of the hypervisor's own pools.
  int HypDonateHost(uint64_t pfn, uint64_t nr);
  int HostShareHyp(uint64_t pfn);
  int HostUnshareHyp(uint64_t pfn);
  int Pin(uint64_t pfn, uint64_t nr);
  int Unpin(uint64_t pfn, uint64_t nr);
  int ModProt(uint64_t pfn, uint64_t nr, uint64_t prot, bool update_iommu);
  int LazyPte(uint64_t pfn, uint64_t nr, bool enable);
  int UseDma(uint64_t phys, uint64_t size);
  int UnuseDma(uint64_t phys, uint64_t size);
  int HostDonateGuest(uint64_t pfn, uint64_t nr, uint16_t guest);
  int GuestDonateHost(uint64_t pfn, uint64_t nr, uint16_t guest);

  // The host stage-2 leaf for `phys` (synthesised descriptor, level 3).
  int GetLeaf(uint64_t phys, uint64_t* pte, int* level) const;
  HostAccess CheckHostAccess(uint64_t pfn, bool write) const;

  // EL2 bookkeeping that does not change ownership.
  void AddEl2Mapping(uint64_t pfn, int delta);
  void SetHypUse(uint64_t pfn, uint64_t nr, HypUse use);
  void SetHypProt(uint64_t pfn, uint64_t nr, uint64_t prot);
  // True when the hypervisor can reach the page at EL2 (it owns or borrows
  // it, or maps it through a fixmap/private/early/module mapping).
  bool El2Mapped(uint64_t pfn) const;

  // The simulated host kernel's page allocator: the highest run of `nr`
  // pristine host RAM pages starting at a multiple of `align` pages; 0 when
  // there is none.
  uint64_t FindFreeHostRun(uint64_t nr, uint64_t align) const;

  // -EINVAL for an empty range, one that wraps or one past the PA space.
  static int CheckRange(uint64_t pfn, uint64_t nr);

  // Told after a page's host stage-2 entry changed (owner, host state or
  // host permissions): the Unicorn backend drops its EL1 mapping of it.
  using HostChangeFn = void (*)(void* ctx, uint64_t pfn);
  void SetHostChangeListener(HostChangeFn fn, void* ctx) {
    listener_ = fn;
    listener_ctx_ = ctx;
  }
  // Whether some page of [pfn, pfn + nr) not in its boot state satisfies `pred`.
  template <typename Pred>
  bool AnyChangedIn(uint64_t pfn, uint64_t nr, Pred&& pred) const {
    for (auto it = pages_.lower_bound(pfn); it != pages_.end() && it->first < pfn + nr; ++it)
      if (pred(it->first)) return true;
    return false;
  }

 private:
  PageRec Default(uint64_t pfn) const;
  void Put(uint64_t pfn, const PageRec& rec);
  int GetRefs(uint64_t pfn, uint64_t nr, uint32_t PageRec::*counter);
  int PutRefs(uint64_t pfn, uint64_t nr, uint32_t PageRec::*counter);
  // Host-owned, unshared, not module-owned, no pins or DMA references.
  static bool HostExclusive(const PageRec& r);

  uint64_t ram_begin_, ram_end_;  // pfns
  uint64_t kernel_first_ = 0, kernel_end_ = 0;  // pfns (SetKernelPages)
  std::map<uint64_t, PageRec> pages_;     // only pages not in their boot state
  std::map<uint64_t, MmioRegion> mmio_;   // by base pfn
  HostChangeFn listener_ = nullptr;
  void* listener_ctx_ = nullptr;
};

}  // namespace pkvm::mem

#endif  // PKVM_LIB_MEM_PAGE_MODEL_H_

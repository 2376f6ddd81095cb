// File: lib/mem/page_model.cc -- pKVM page ownership transitions.
#include "mem/page_model.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pkvm::mem {

void MmioUnmap::operator()(uint8_t* p) const {
  if (p != nullptr) munmap(p, len);
}

PageModel::PageModel(uint64_t ram_base, uint64_t ram_size)
    : ram_begin_(ram_base >> kPageShift), ram_end_((ram_base + ram_size) >> kPageShift) {}

int PageModel::CheckRange(uint64_t pfn, uint64_t nr) {
  if (nr == 0 || pfn >= kPfnLimit || nr > kPfnLimit - pfn) return -EINVAL;
  return 0;
}

int PageModel::AddMmio(uint64_t phys, uint64_t size, std::string name) {
  if (size == 0 || (phys | size) % kPage != 0 || phys >= (1ull << kPaBits) ||
      size > (1ull << kPaBits) - phys)
    return -EINVAL;
  const uint64_t pfn = phys >> kPageShift, nr = size >> kPageShift;
  if (pfn < ram_end_ && ram_begin_ < pfn + nr) return -EINVAL;  // overlaps RAM
  for (const auto& [base, r] : mmio_)
    if (pfn < base + r.nr_pages && base < pfn + nr) return -EINVAL;
  // 1 GiB is plenty for any device's register file and keeps a typo from
  // reserving terabytes.
  if (size > (1ull << 30)) return -EINVAL;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return -ENOMEM;
  MmioRegion r;
  r.base_pfn = pfn;
  r.nr_pages = nr;
  r.name = name.empty() ? absl::StrFormat("mmio@%#x", phys) : std::move(name);
  r.data = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), MmioUnmap{size});
  mmio_.emplace(pfn, std::move(r));
  return 0;
}

const MmioRegion* PageModel::MmioAt(uint64_t pfn) const {
  auto it = mmio_.upper_bound(pfn);
  if (it == mmio_.begin()) return nullptr;
  --it;
  return pfn < it->first + it->second.nr_pages ? &it->second : nullptr;
}
MmioRegion* PageModel::MmioAt(uint64_t pfn) {
  return const_cast<MmioRegion*>(static_cast<const PageModel*>(this)->MmioAt(pfn));
}

PageKind PageModel::KindOf(uint64_t pfn) const {
  if (pfn >= ram_begin_ && pfn < ram_end_) return PageKind::kRam;
  return MmioAt(pfn) != nullptr ? PageKind::kMmio : PageKind::kNone;
}

PageKind PageModel::RangeKind(uint64_t pfn, uint64_t nr) const {
  if (CheckRange(pfn, nr) != 0) return PageKind::kNone;
  if (pfn >= ram_begin_ && pfn < ram_end_ && nr <= ram_end_ - pfn)
    return PageKind::kRam;
  if (const MmioRegion* r = MmioAt(pfn); r != nullptr && pfn + nr <= r->base_pfn + r->nr_pages)
    return PageKind::kMmio;
  return PageKind::kNone;
}

PageRec PageModel::Default(uint64_t pfn) const {
  PageRec r;
  switch (KindOf(pfn)) {
    case PageKind::kRam:
      break;
    case PageKind::kMmio:
      r.host_prot = r.iommu_prot = kHostMmioProt;
      break;
    case PageKind::kNone:
      r.owner = PageOwner::kNone;
      r.host = PkvmPageState::kNoPage;
      r.host_prot = r.iommu_prot = 0;
      break;
  }
  return r;
}

PageRec PageModel::Rec(uint64_t pfn) const {
  auto it = pages_.find(pfn);
  return it != pages_.end() ? it->second : Default(pfn);
}

void PageModel::Put(uint64_t pfn, const PageRec& rec) {
  const PageRec old = listener_ != nullptr ? Rec(pfn) : rec;
  if (rec == Default(pfn))
    pages_.erase(pfn);
  else
    pages_[pfn] = rec;
  if (listener_ != nullptr &&
      (old.owner != rec.owner || old.host != rec.host || old.host_prot != rec.host_prot))
    listener_(listener_ctx_, pfn);
}

bool PageModel::HostExclusive(const PageRec& r) {
  return r.owner == PageOwner::kHost && r.host == PkvmPageState::kOwned && !r.module_owned &&
         r.pins == 0 && r.dma == 0;
}

PageState PageModel::State(uint64_t pfn) const {
  const PageRec r = Rec(pfn);
  PageState s;
  s.pfn = pfn;
  s.kind = KindOf(pfn);
  if (const MmioRegion* m = MmioAt(pfn)) s.region = m->name;
  s.owner = r.owner;
  s.guest = r.guest;
  s.host = r.host;
  s.hyp = r.hyp;
  s.host_prot = r.host_prot;
  s.host_prot_modified = r.module_owned;
  s.iommu_prot = r.iommu_prot;
  s.lazy_pte = r.lazy;
  s.pins = r.pins;
  s.dma_refs = r.dma;
  s.hyp_prot = r.hyp_prot;
  s.el2_mappings = r.el2_mappings;
  s.hyp_use = r.use;
  return s;
}

std::string PageModel::Dump() const {
  std::string out;
  for (const auto& [pfn, rec] : pages_) absl::StrAppend(&out, State(pfn).ToString(), "\n");
  return out;
}

// ---- transitions ------------------------------------------------------------

int PageModel::HostDonateHyp(uint64_t pfn, uint64_t nr, bool accept_mmio, uint64_t prot,
                             HypUse use) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  if ((prot & ~kModuleProtAllowlist) != 0) return -EINVAL;
  const PageKind kind = RangeKind(pfn, nr);
  if (!accept_mmio && kind != PageKind::kRam) return -EPERM;  // range_is_memory()
  if (kind == PageKind::kNone) return -EINVAL;  // no device there
  for (uint64_t p = pfn; p < pfn + nr; ++p)
    if (!HostExclusive(Rec(p))) return -EPERM;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    r.owner = PageOwner::kHyp;
    r.host = PkvmPageState::kNoPage;
    r.hyp = PkvmPageState::kOwned;
    r.host_prot = r.iommu_prot = 0;
    r.hyp_prot = prot;
    r.lazy = false;
    r.use = use;
    Put(p, r);
  }
  return 0;
}

int PageModel::HypDonateHost(uint64_t pfn, uint64_t nr) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    const PageRec r = Rec(p);
    if (r.owner != PageOwner::kHyp || r.hyp != PkvmPageState::kOwned) return -EPERM;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p)
    if (Rec(p).use != HypUse::kNone) return -EBUSY;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Default(p);
    r.el2_mappings = Rec(p).el2_mappings;  // stale EL2 mappings stay visible
    Put(p, r);
  }
  return 0;
}

int PageModel::HostShareHyp(uint64_t pfn) {
  if (int rc = CheckRange(pfn, 1); rc != 0) return rc;
  if (KindOf(pfn) != PageKind::kRam) return -EPERM;
  PageRec r = Rec(pfn);
  if (!HostExclusive(r)) return -EPERM;
  r.host = PkvmPageState::kSharedOwned;
  r.hyp = PkvmPageState::kSharedBorrowed;
  r.hyp_prot = kPageHyp;
  Put(pfn, r);
  return 0;
}

int PageModel::HostUnshareHyp(uint64_t pfn) {
  if (int rc = CheckRange(pfn, 1); rc != 0) return rc;
  PageRec r = Rec(pfn);
  if (r.owner != PageOwner::kHost || r.host != PkvmPageState::kSharedOwned ||
      r.hyp != PkvmPageState::kSharedBorrowed)
    return -EPERM;
  if (r.pins != 0 || r.dma != 0) return -EBUSY;
  r.host = PkvmPageState::kOwned;
  r.hyp = PkvmPageState::kNoPage;
  r.hyp_prot = 0;
  Put(pfn, r);
  return 0;
}

// Pins and DMA references share the page's refcount (hyp_page_ref_inc):
// all-or-nothing over the range, -EOVERFLOW at the limit or below zero.
int PageModel::GetRefs(uint64_t pfn, uint64_t nr, uint32_t PageRec::*counter) {
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    const PageRec r = Rec(p);
    if (r.pins + r.dma >= kMaxRefcount) return -EOVERFLOW;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    ++(r.*counter);
    Put(p, r);
  }
  return 0;
}

int PageModel::PutRefs(uint64_t pfn, uint64_t nr, uint32_t PageRec::*counter) {
  for (uint64_t p = pfn; p < pfn + nr; ++p)
    if (Rec(p).*counter == 0) return -EOVERFLOW;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    --(r.*counter);
    Put(p, r);
  }
  return 0;
}

int PageModel::Pin(uint64_t pfn, uint64_t nr) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    const PageRec r = Rec(p);
    if (r.owner != PageOwner::kHost || r.host != PkvmPageState::kSharedOwned ||
        r.hyp != PkvmPageState::kSharedBorrowed)
      return -EPERM;
  }
  return GetRefs(pfn, nr, &PageRec::pins);
}

int PageModel::Unpin(uint64_t pfn, uint64_t nr) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  return PutRefs(pfn, nr, &PageRec::pins);
}

int PageModel::ModProt(uint64_t pfn, uint64_t nr, uint64_t prot, bool update_iommu) {
  if ((prot & ~kModuleProtAllowlist) != 0) return -EINVAL;
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  // The range must lie in one memory block or one device.
  if (RangeKind(pfn, nr) == PageKind::kNone) return -EPERM;
  // Modules may only change pages they already changed (module owned) or
  // pristine host pages, and the whole range must be one or the other.
  if (Rec(pfn).module_owned) {
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (!Rec(p).module_owned) return -EPERM;
  } else {
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (!HostExclusive(Rec(p))) return -EPERM;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    const PageRec pristine = Default(p);
    if (prot == 0) {
      r.owner = PageOwner::kProtected;
      r.host = PkvmPageState::kNoPage;
      r.host_prot = 0;
      r.module_owned = true;
    } else if (prot == kProtRwx) {
      r.owner = PageOwner::kHost;
      r.host = PkvmPageState::kOwned;
      r.host_prot = pristine.host_prot;
      r.module_owned = false;
    } else {
      r.owner = PageOwner::kHost;
      r.host = PkvmPageState::kOwned;
      r.host_prot = prot;
      r.module_owned = true;
    }
    if (update_iommu) r.iommu_prot = prot == kProtRwx ? pristine.iommu_prot : prot;
    Put(p, r);
  }
  return 0;
}

int PageModel::LazyPte(uint64_t pfn, uint64_t nr, bool enable) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  if (RangeKind(pfn, nr) != PageKind::kRam) return -EPERM;  // MMIO is refused
  for (uint64_t p = pfn; p < pfn + nr; ++p)
    if (!HostExclusive(Rec(p))) return -EPERM;
  if (!enable)
    for (uint64_t p = pfn; p < pfn + nr; ++p)
      if (!Rec(p).lazy) return -EINVAL;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    r.lazy = enable;
    Put(p, r);
  }
  return 0;
}

namespace {
// Page-aligned, non-empty, non-wrapping [phys, phys + size) -> pfn range.
int DmaRange(uint64_t phys, uint64_t size, uint64_t* pfn, uint64_t* nr) {
  if (((phys | size) & (kPage - 1)) != 0 || size == 0) return -EINVAL;
  *pfn = phys >> kPageShift;
  *nr = size >> kPageShift;
  return PageModel::CheckRange(*pfn, *nr);
}
}  // namespace

int PageModel::UseDma(uint64_t phys, uint64_t size) {
  uint64_t pfn = 0, nr = 0;
  if (int rc = DmaRange(phys, size, &pfn, &nr); rc != 0) return rc;
  if (RangeKind(pfn, nr) != PageKind::kRam) return -EINVAL;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    const PageRec r = Rec(p);
    if (r.owner != PageOwner::kHost || r.host != PkvmPageState::kOwned || r.module_owned)
      return -EPERM;
  }
  return GetRefs(pfn, nr, &PageRec::dma);
}

int PageModel::UnuseDma(uint64_t phys, uint64_t size) {
  uint64_t pfn = 0, nr = 0;
  if (int rc = DmaRange(phys, size, &pfn, &nr); rc != 0) return rc;
  if (RangeKind(pfn, nr) != PageKind::kRam) return 0;  // device memory is not refcounted
  return PutRefs(pfn, nr, &PageRec::dma);
}

int PageModel::HostDonateGuest(uint64_t pfn, uint64_t nr, uint16_t guest) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  if (RangeKind(pfn, nr) == PageKind::kNone) return -EINVAL;
  for (uint64_t p = pfn; p < pfn + nr; ++p)
    if (!HostExclusive(Rec(p))) return -EPERM;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    r.owner = PageOwner::kGuest;
    r.guest = guest;
    r.host = PkvmPageState::kNoPage;
    r.host_prot = r.iommu_prot = 0;
    r.lazy = false;
    Put(p, r);
  }
  return 0;
}

int PageModel::GuestDonateHost(uint64_t pfn, uint64_t nr, uint16_t guest) {
  if (int rc = CheckRange(pfn, nr); rc != 0) return rc;
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    const PageRec r = Rec(p);
    if (r.owner != PageOwner::kGuest || r.guest != guest) return -EPERM;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Default(p);
    r.el2_mappings = Rec(p).el2_mappings;
    Put(p, r);
  }
  return 0;
}

// ---- queries ----------------------------------------------------------------

int PageModel::GetLeaf(uint64_t phys, uint64_t* pte, int* level) const {
  if ((phys >> kPaBits) != 0) return -ERANGE;  // beyond the host stage-2 input range
  const uint64_t pfn = phys >> kPageShift;
  const PageRec r = Rec(pfn);
  const PageKind kind = KindOf(pfn);
  uint64_t v = 0;
  if (kind == PageKind::kNone || r.lazy) {
    v = 0;  // nothing mapped (yet)
  } else if (r.owner != PageOwner::kHost || r.host == PkvmPageState::kNoPage) {
    // Invalid entry annotated with the owner id in bits [9:2].
    const uint64_t id = r.owner == PageOwner::kHyp     ? kOwnerIdHyp
                        : r.owner == PageOwner::kGuest ? kOwnerIdGuest
                                                       : kOwnerIdProtected;
    v = id << 2;
  } else {
    const bool device = kind == PageKind::kMmio || (r.host_prot & kProtDevice) != 0;
    v = (pfn << kPageShift) | 0x3;                             // valid page descriptor
    v |= device ? (0x1ull << 2)                                // MemAttr: Device-nGnRE
                : (r.host_prot & kProtNormalNc) ? (0x5ull << 2)  // Normal non-cacheable
                                                : (0xfull << 2);  // Normal write-back
    if (r.host_prot & kProtR) v |= 1ull << 6;                  // S2AP[0]: read
    if (r.host_prot & kProtW) v |= 1ull << 7;                  // S2AP[1]: write
    if (!device) v |= 3ull << 8;                               // inner shareable
    v |= 1ull << 10;                                           // AF
    if (!(r.host_prot & kProtX)) v |= 2ull << 53;              // XN
    if (r.host == PkvmPageState::kSharedOwned) v |= KVM_PGTABLE_PROT_SW0;
    if (r.host == PkvmPageState::kSharedBorrowed) v |= KVM_PGTABLE_PROT_SW1;
  }
  if (pte != nullptr) *pte = v;
  if (level != nullptr) *level = 3;
  return 0;
}

HostAccess PageModel::CheckHostAccess(uint64_t pfn, bool write) const {
  if (KindOf(pfn) == PageKind::kNone) return HostAccess::kNoDevice;
  const PageRec r = Rec(pfn);
  if (r.owner != PageOwner::kHost || r.host == PkvmPageState::kNoPage)
    return HostAccess::kTranslationFault;
  if ((r.host_prot & (write ? kProtW : kProtR)) == 0) return HostAccess::kPermissionFault;
  return HostAccess::kOk;
}

void PageModel::AddEl2Mapping(uint64_t pfn, int delta) {
  PageRec r = Rec(pfn);
  if (delta < 0 && r.el2_mappings < static_cast<uint32_t>(-delta))
    r.el2_mappings = 0;
  else
    r.el2_mappings = static_cast<uint32_t>(static_cast<int64_t>(r.el2_mappings) + delta);
  Put(pfn, r);
}

void PageModel::SetHypUse(uint64_t pfn, uint64_t nr, HypUse use) {
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    r.use = use;
    Put(p, r);
  }
}

void PageModel::SetHypProt(uint64_t pfn, uint64_t nr, uint64_t prot) {
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    PageRec r = Rec(p);
    r.hyp_prot = prot;
    Put(p, r);
  }
}

bool PageModel::El2Mapped(uint64_t pfn) const {
  const PageRec r = Rec(pfn);
  return r.hyp != PkvmPageState::kNoPage || r.el2_mappings != 0;
}

uint64_t PageModel::FindFreeHostRun(uint64_t nr, uint64_t align) const {
  if (align == 0) align = 1;
  if (nr == 0 || nr > ram_end_ - ram_begin_) return 0;
  uint64_t start = (ram_end_ - nr) / align * align;
  while (start >= ram_begin_) {
    uint64_t bad = 0;
    bool ok = true;
    for (uint64_t p = start + nr; p-- > start;) {
      if (!IsPristine(p) || (p >= kernel_first_ && p < kernel_end_)) {
        ok = false;
        bad = p;
        break;
      }
    }
    if (ok) return start;
    // The next candidate run must end below the page that was in use.
    if (bad < ram_begin_ + nr) return 0;
    start = (bad - nr) / align * align;
  }
  return 0;
}

}  // namespace pkvm::mem

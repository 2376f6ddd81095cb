// File: lib/mem/mem_ops.cc
// The memory, guest and device members of pkvm_module_ops, as EL2 module
// code calls them: argument forms of each generation turned into PageModel
// transitions and MemoryState updates. Every member either does what pKVM
// does or answers the errno pKVM answers; members whose kernel counterpart
// BUG()s panic the simulated machine. docs/memory.md has each choice with the
// spec line behind it.
//
// Hyp panics leave module code with PanicUnwind() (a longjmp): every function
// that may panic reports it through a helper that returns first, so no C++
// object with a destructor is alive when the jump happens.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "machine.h"
#include "mem/memory.h"

namespace pkvm::mem {

uint8_t* PhysToPtr(Hypervisor::Impl& m, uint64_t phys) {
  const uint64_t pfn = phys >> kPageShift;
  switch (m.memory.pages.KindOf(pfn)) {
    case PageKind::kRam:
      return m.ram + (phys - kRamBase);
    case PageKind::kMmio: {
      MmioRegion* r = m.memory.pages.MmioAt(pfn);
      return r->data.get() + (phys - (r->base_pfn << kPageShift));
    }
    case PageKind::kNone:
      break;
  }
  return nullptr;
}

bool PtrToPhys(const Hypervisor::Impl& m, const void* p, uint64_t* phys) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  const auto ram = reinterpret_cast<uintptr_t>(m.ram);
  if (m.ram != nullptr && a >= ram && a - ram < m.ram_size) {
    *phys = kRamBase + (a - ram);
    return true;
  }
  for (const auto& [base, r] : m.memory.pages.mmio()) {
    const auto d = reinterpret_cast<uintptr_t>(r.data.get());
    if (a >= d && a - d < r.nr_pages * kPage) {
      *phys = (base << kPageShift) + (a - d);
      return true;
    }
  }
  return false;
}

std::string EarlyMappingsLeft(const Hypervisor::Impl& m) {
  std::string out;
  for (const EarlyMapping& e : m.memory.early)
    absl::StrAppend(&out, out.empty() ? "" : ", ",
                    absl::StrFormat("phys %#x size %#x", e.phys, e.size));
  return out;
}

int FinalizeCheck(Hypervisor::Impl& m) {
  if (m.memory.early.empty()) return 0;
  m.Log(absl::StrCat("hyp: __pkvm_prot_finalize: linear_map_early() mappings are still present (",
                     EarlyMappingsLeft(m), "); they must be unmapped before deprivilege"));
  return -EBUSY;
}

namespace {

using Impl = Hypervisor::Impl;

Impl& M() { return OpsMachine(); }
int Cpu() { return CurrentContext()->cpu; }

// The kernel's WARN: logged, the call goes on.
void Warn(Impl& m, const std::string& what) { m.Log(absl::StrCat("hyp: WARNING: ", what)); }
// The kernel's BUG: the machine panics; the caller then calls PanicUnwind().
void Bug(Impl& m, const std::string& what) { m.HypPanic(what, Cpu()); }

std::string Describe(const Impl& m, uint64_t pfn) { return m.memory.pages.State(pfn).ToString(); }

// [first, last] pfns of [phys, phys + size); false when it wraps or leaves
// the physical address space.
bool PhysRange(uint64_t phys, uint64_t size, uint64_t* pfn, uint64_t* nr) {
  constexpr uint64_t kLimit = 1ull << kPaBits;
  if (size == 0 || phys >= kLimit || size > kLimit - phys) return false;
  *pfn = phys >> kPageShift;
  *nr = ((phys + size - 1) >> kPageShift) - *pfn + 1;
  return true;
}

bool ProtOk(uint64_t prot) { return (prot & ~kModuleProtAllowlist) == 0; }

// ---- private, module and temporary EL2 mappings ------------------------------

int CreatePrivateMapping(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot,
                         unsigned long* haddr) {
  Impl& m = M();
  MemoryState& s = m.memory;
  uint64_t pfn = 0, nr = 0;
  if (haddr == nullptr || !ProtOk(prot) || !PhysRange(phys, size, &pfn, &nr)) return -EINVAL;
  if (s.pages.RangeKind(pfn, nr) == PageKind::kNone) {
    Warn(m, absl::StrFormat("create_private_mapping(%#x, %#x): no RAM or registered device there",
                            phys, size));
    return -EINVAL;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p) s.pages.AddEl2Mapping(p, +1);
  // The hyp VA of the mapping: in the Unicorn backend EL2 sees RAM and
  // devices at their physical address; natively, EL2 code is host code.
  *haddr = m.uc != nullptr ? m.UcHostToEl2(PhysToPtr(m, phys))
                           : reinterpret_cast<unsigned long>(PhysToPtr(m, phys));
  s.priv.push_back(PrivateMapping{phys, size, prot, *haddr});
  return 0;
}

bool InModuleVa(const Impl& m, uint64_t va, uint64_t nr) {
  for (const auto& [start, end] : m.module_va_ranges)
    if (va >= start && va < end && nr <= (end - va) / kPage) return true;
  return false;
}

int MapModulePagesImpl(Impl& m, uint64_t pfn, void* va_ptr, uint64_t nr, uint64_t prot,
                       bool is_protected) {
  MemoryState& s = m.memory;
  const auto va = reinterpret_cast<uint64_t>(va_ptr);
  if (PageModel::CheckRange(pfn, nr) != 0 || va % kPage != 0 || !ProtOk(prot)) return -EINVAL;
  // CONFIG_NVHE_EL2_DEBUG / CONFIG_PKVM_STRICT_CHECKS, always on here.
  if (!InModuleVa(m, va, nr)) return -EINVAL;
  for (uint64_t i = 0; i < nr; ++i)
    if (m.hyp_pages.count(va + i * kPage) != 0) return -EEXIST;
  if (s.pages.RangeKind(pfn, nr) == PageKind::kNone) return -EINVAL;
  if (!is_protected) {
    // Not yet protected: the page goes from the host to the hypervisor first.
    if (int rc = s.pages.HostDonateHyp(pfn, nr, false, kPageHyp, HypUse::kNone); rc != 0)
      return rc;
  } else {
    for (uint64_t p = pfn; p < pfn + nr; ++p) {
      const PageRec r = s.pages.Rec(p);
      if (r.owner != PageOwner::kHyp || r.hyp != PkvmPageState::kOwned) return -EPERM;
    }
  }
  for (uint64_t i = 0; i < nr; ++i) {
    const auto host = reinterpret_cast<uint64_t>(PhysToPtr(m, (pfn + i) << kPageShift));
    m.hyp_pages[va + i * kPage] = HypPage{host, prot};
    m.host_to_hyp.emplace(host, va + i * kPage);
    s.pages.AddEl2Mapping(pfn + i, +1);
  }
  return 0;
}

int MapModulePage(pkvm_u64 pfn, void* va, enum kvm_pgtable_prot prot, bool is_protected) {
  return MapModulePagesImpl(M(), pfn, va, 1, prot, is_protected);
}
int MapModulePages(pkvm_u64 pfn, void* va, pkvm_u64 nr_pages, enum kvm_pgtable_prot prot,
                   bool is_protected) {
  return MapModulePagesImpl(M(), pfn, va, nr_pages, prot, is_protected);
}

int UnmapModulePages(pkvm_u64 pfn, void* va_ptr, pkvm_u64 nr_pages) {
  Impl& m = M();
  const auto va = reinterpret_cast<uint64_t>(va_ptr);
  if (PageModel::CheckRange(pfn, nr_pages) != 0 || va % kPage != 0 ||
      nr_pages > (kModuleVaEnd - kModuleVaBase) / kPage)
    return -EINVAL;
  for (uint64_t i = 0; i < nr_pages; ++i) {
    auto it = m.hyp_pages.find(va + i * kPage);
    const auto host = reinterpret_cast<uint64_t>(PhysToPtr(m, (pfn + i) << kPageShift));
    if (it == m.hyp_pages.end() || host == 0 || it->second.host_page != host) return -EINVAL;
  }
  // The pages stay the hypervisor's: hyp_donate_host() gives them back.
  for (uint64_t i = 0; i < nr_pages; ++i) {
    auto it = m.hyp_pages.find(va + i * kPage);
    auto back = m.host_to_hyp.find(it->second.host_page);
    if (back != m.host_to_hyp.end() && back->second == it->first) m.host_to_hyp.erase(back);
    m.HypPageUnmapped(it->first);
    m.hyp_pages.erase(it);
    m.memory.pages.AddEl2Mapping(pfn + i, -1);
  }
  return 0;
}

void* FixmapMap(pkvm_phys_addr_t phys) {
  Impl& m = M();
  CpuMemState& c = m.memory.cpu[static_cast<size_t>(Cpu())];
  if (c.fixmap_used) {
    Warn(m, absl::StrFormat("fixmap_map(%#x) on CPU%d while %#x is still mapped: fixmap_unmap() "
                            "must be called between two maps; returning NULL",
                            phys, Cpu(), c.fixmap_phys));
    return nullptr;
  }
  uint8_t* p = PhysToPtr(m, phys);
  if (p == nullptr || (phys >> kPaBits) != 0) {
    Warn(m, absl::StrFormat("fixmap_map(%#x): no RAM or registered device there", phys));
    return nullptr;
  }
  c.fixmap_used = true;
  c.fixmap_phys = phys;
  m.memory.pages.AddEl2Mapping(phys >> kPageShift, +1);
  return p;
}

void FixmapUnmap() {
  Impl& m = M();
  CpuMemState& c = m.memory.cpu[static_cast<size_t>(Cpu())];
  if (!c.fixmap_used) {
    Warn(m, absl::StrFormat("fixmap_unmap() on CPU%d with nothing mapped", Cpu()));
    return;
  }
  m.memory.pages.AddEl2Mapping(c.fixmap_phys >> kPageShift, -1);
  c.fixmap_used = false;
}

constexpr uint64_t kPmdSize = 2ull << 20;

void* FixblockMap(pkvm_phys_addr_t phys) {
  Impl& m = M();
  MemoryState& s = m.memory;
  if (s.fixblock_used) {
    Warn(m, absl::StrFormat("fixblock_map(%#x) while %#x is still mapped: fixblock_unmap() must be "
                            "called between two maps; returning NULL",
                            phys, s.fixblock_phys));
    return nullptr;
  }
  const uint64_t base = phys & ~(kPmdSize - 1);
  if ((phys >> kPaBits) != 0 ||
      s.pages.RangeKind(base >> kPageShift, kPmdSize / kPage) == PageKind::kNone) {
    Warn(m, absl::StrFormat("fixblock_map(%#x): the 2 MiB block at %#x is not all RAM or one "
                            "registered device",
                            phys, base));
    return nullptr;
  }
  s.fixblock_used = true;
  s.fixblock_phys = base;
  for (uint64_t p = base >> kPageShift; p < (base + kPmdSize) >> kPageShift; ++p)
    s.pages.AddEl2Mapping(p, +1);
  return PhysToPtr(m, phys);
}

void FixblockUnmap() {
  Impl& m = M();
  MemoryState& s = m.memory;
  if (!s.fixblock_used) {
    Warn(m, "fixblock_unmap() with nothing mapped");
    return;
  }
  for (uint64_t p = s.fixblock_phys >> kPageShift; p < (s.fixblock_phys + kPmdSize) >> kPageShift;
       ++p)
    s.pages.AddEl2Mapping(p, -1);
  s.fixblock_used = false;
}

void* LinearMapEarly(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot) {
  Impl& m = M();
  MemoryState& s = m.memory;
  uint64_t pfn = 0, nr = 0;
  if (m.protected_mode_initialized) {
    Warn(m, absl::StrFormat("linear_map_early(%#x, %#x) after deprivilege: returning NULL", phys,
                            size));
    return nullptr;
  }
  if (((phys | size) & (kPage - 1)) != 0 || !ProtOk(prot) || !PhysRange(phys, size, &pfn, &nr) ||
      s.pages.RangeKind(pfn, nr) == PageKind::kNone) {
    Warn(m, absl::StrFormat("linear_map_early(%#x, %#x, %#x): needs a page-aligned range of RAM or "
                            "of one registered device and a valid prot; returning NULL",
                            phys, size, static_cast<uint64_t>(prot)));
    return nullptr;
  }
  for (uint64_t p = pfn; p < pfn + nr; ++p) {
    bool early = false;
    for (const EarlyMapping& e : s.early)
      early |= p >= (e.phys >> kPageShift) && p < ((e.phys + e.size) >> kPageShift);
    if (early || s.pages.Rec(p).hyp != PkvmPageState::kNoPage) {
      Warn(m, absl::StrFormat("linear_map_early(%#x, %#x): pfn %#x is already in the "
                              "hypervisor's linear map; returning NULL",
                              phys, size, p));
      return nullptr;
    }
  }
  uint8_t* addr = PhysToPtr(m, phys);
  for (uint64_t p = pfn; p < pfn + nr; ++p) s.pages.AddEl2Mapping(p, +1);
  s.early.push_back(EarlyMapping{phys, size, prot, reinterpret_cast<uint64_t>(addr)});
  return addr;
}

void LinearUnmapEarly(void* addr, pkvm_size_t size) {
  Impl& m = M();
  MemoryState& s = m.memory;
  for (auto it = s.early.begin(); it != s.early.end(); ++it) {
    if (it->addr != reinterpret_cast<uint64_t>(addr) || it->size != size) continue;
    for (uint64_t p = it->phys >> kPageShift; p < (it->phys + it->size) >> kPageShift; ++p)
      s.pages.AddEl2Mapping(p, -1);
    s.early.erase(it);
    return;
  }
  Warn(m, absl::StrFormat("linear_unmap_early(%p, %#x) does not match a linear_map_early() "
                          "mapping; nothing was unmapped",
                          addr, size));
}

// 0, or non-zero after reporting a hyp panic.
int FlushImpl(Impl& m, void* addr, uint64_t size) {
  ++m.memory.dcache_flushes;
  if (size == 0) return 0;
  const auto a = reinterpret_cast<uint64_t>(addr);
  if (a + size < a) {
    Bug(m, absl::StrFormat("EL2 data abort: flush_dcache_to_poc(%p, %#x) wraps the address space",
                           addr, size));
    return 1;
  }
  uint64_t phys = 0;
  // Only RAM and device memory are checked: other addresses are the module's
  // own image or memory the native backend cannot see into.
  if (!PtrToPhys(m, addr, &phys)) return 0;
  const uint64_t first = phys >> kPageShift, last = (phys + size - 1) >> kPageShift;
  for (uint64_t p = first; p <= last; ++p) {
    if (m.memory.pages.El2Mapped(p)) continue;
    Bug(m, absl::StrFormat("EL2 data abort: flush_dcache_to_poc(%p, %#x) reaches pfn %#x, which "
                           "the hypervisor has not mapped: %s",
                           addr, size, p, Describe(m, p)));
    return 1;
  }
  return 0;
}

void FlushDcacheToPoc(void* addr, pkvm_size_t size) {
  if (FlushImpl(M(), addr, size) != 0) PanicUnwind();
}

// ---- host stage-2 -------------------------------------------------------------

int ModProtImpl(uint64_t pfn, uint64_t prot, uint64_t nr, bool update_iommu) {
  Impl& m = M();
  const int rc = m.memory.pages.ModProt(pfn, nr, prot, update_iommu);
  if (rc == 0 && prot != kProtRwx && m.perm_fault_handlers.empty())
    Warn(m, absl::StrFormat("host_stage2_mod_prot(%#x, %s) with no host permission fault "
                            "handler registered: a host access pKVM cannot resolve leaves the "
                            "CPU faulting forever",
                            pfn, ProtToString(prot)));
  return rc;
}
int ModProtA14(pkvm_u64 pfn, enum kvm_pgtable_prot prot) { return ModProtImpl(pfn, prot, 1, true); }
int ModProtRangeA14(pkvm_u64 pfn, enum kvm_pgtable_prot prot, pkvm_u64 nr_pages) {
  return ModProtImpl(pfn, prot, nr_pages, true);
}
int ModProt(pkvm_u64 pfn, enum kvm_pgtable_prot prot, pkvm_u64 nr_pages, bool update_iommu) {
  return ModProtImpl(pfn, prot, nr_pages, update_iommu);
}

template <typename Level>
int GetLeaf(pkvm_phys_addr_t phys, pkvm_kvm_pte_t* ptep, Level* level) {
  uint64_t pte = 0;
  int lvl = 0;
  if (int rc = M().memory.pages.GetLeaf(phys, &pte, &lvl); rc != 0) return rc;
  if (ptep != nullptr) *ptep = pte;
  if (level != nullptr) *level = static_cast<Level>(lvl);
  return 0;
}

// A15 host_stage2_{enable,disable}_lazy_pte. The argument is a pfn: the
// hypervisor function behind the member takes one (docs/memory.md).
int EnableLazyPte(pkvm_u64 pfn, pkvm_u64 nr_pages) {
  return M().memory.pages.LazyPte(pfn, nr_pages, true);
}
int DisableLazyPte(pkvm_u64 pfn, pkvm_u64 nr_pages) {
  return M().memory.pages.LazyPte(pfn, nr_pages, false);
}

// ---- ownership ----------------------------------------------------------------

uint64_t DefaultHypProt(const Impl& m, uint64_t pfn) {
  return m.memory.pages.KindOf(pfn) == PageKind::kMmio ? kPageHypDevice : kPageHyp;
}

int HostDonateHypA14(pkvm_u64 pfn, pkvm_u64 nr_pages) {
  // Pixel's A14 implementation accepts MMIO (spec 1.2).
  Impl& m = M();
  return m.memory.pages.HostDonateHyp(pfn, nr_pages, true, DefaultHypProt(m, pfn), HypUse::kNone);
}
int HostDonateHyp(pkvm_u64 pfn, pkvm_u64 nr_pages, bool accept_mmio) {
  Impl& m = M();
  return m.memory.pages.HostDonateHyp(pfn, nr_pages, accept_mmio, DefaultHypProt(m, pfn),
                                      HypUse::kNone);
}
int HostDonateHypProt(pkvm_u64 pfn, pkvm_u64 nr_pages, bool accept_mmio,
                      enum kvm_pgtable_prot prot) {
  return M().memory.pages.HostDonateHyp(pfn, nr_pages, accept_mmio, prot, HypUse::kNone);
}

int HostDonateSglistHyp(struct pkvm_sglist_page* sglist, pkvm_size_t nr_pages) {
  Impl& m = M();
  PageModel& pages = m.memory.pages;
  if (sglist == nullptr || nr_pages == 0 || nr_pages > kPfnLimit) return -EINVAL;
  uint64_t at = 0;
  if (PtrToPhys(m, sglist, &at) && pages.Rec(at >> kPageShift).owner != PageOwner::kHyp)
    Warn(m, "host_donate_sglist_hyp: the list is not in hypervisor memory (the host could change "
            "it while pKVM reads it)");
  // Check every chunk, then donate them all (nothing changes on error).
  constexpr unsigned kMaxOrder = 9;  // get_order(PMD_SIZE)
  std::map<uint64_t, uint64_t> chunks;  // pfn -> pages
  for (size_t i = 0; i < nr_pages; ++i) {
    const uint64_t pfn = sglist[i].pfn;
    const unsigned order = sglist[i].order;
    if (order > kMaxOrder) return -EINVAL;
    const uint64_t n = 1ull << order;
    if (pages.RangeKind(pfn, n) != PageKind::kRam) return -EINVAL;
    auto next = chunks.lower_bound(pfn);
    if (next != chunks.end() && next->first < pfn + n) return -EINVAL;  // overlapping chunks
    if (next != chunks.begin() && std::prev(next)->first + std::prev(next)->second > pfn)
      return -EINVAL;
    for (uint64_t p = pfn; p < pfn + n; ++p) {
      const PageRec r = pages.Rec(p);
      if (r.owner != PageOwner::kHost || r.host != PkvmPageState::kOwned || r.module_owned ||
          r.pins != 0 || r.dma != 0)
        return -EPERM;
    }
    chunks.emplace(pfn, n);
  }
  for (const auto& [pfn, n] : chunks) {
    const int rc = pages.HostDonateHyp(pfn, n, false, kPageHyp, HypUse::kNone);
    if (rc != 0) std::abort();  // checked above
  }
  return 0;
}

int HypDonateHost(pkvm_u64 pfn, pkvm_u64 nr_pages) {
  Impl& m = M();
  const int rc = m.memory.pages.HypDonateHost(pfn, nr_pages);
  if (rc == 0) {
    for (uint64_t p = pfn; p < pfn + nr_pages; ++p) {
      if (m.memory.pages.Rec(p).el2_mappings == 0) continue;
      Warn(m, absl::StrFormat("hyp_donate_host: pfn %#x went back to the host while still mapped "
                              "at EL2 (%s); an EL2 access to it now reaches host memory",
                              p, Describe(m, p)));
    }
  }
  return rc;
}

int HostShareHyp(pkvm_u64 pfn) { return M().memory.pages.HostShareHyp(pfn); }
int HostUnshareHyp(pkvm_u64 pfn) { return M().memory.pages.HostUnshareHyp(pfn); }

// [from, to) in the hypervisor's linear map -> pfns. -EINVAL for an empty
// range; -EPERM when it is not RAM/device memory the hypervisor maps.
int PinRange(const Impl& m, void* from, void* to, uint64_t* pfn, uint64_t* nr) {
  const uint64_t start = reinterpret_cast<uint64_t>(from) & ~(kPage - 1);
  const uint64_t end = (reinterpret_cast<uint64_t>(to) + kPage - 1) & ~(kPage - 1);
  if (end <= start) return -EINVAL;
  uint64_t phys = 0;
  if (!PtrToPhys(m, reinterpret_cast<void*>(start), &phys)) return -EPERM;
  *pfn = phys >> kPageShift;
  *nr = (end - start) / kPage;
  return 0;
}

int PinSharedMemImpl(Impl& m, void* from, void* to) {
  uint64_t pfn = 0, nr = 0;
  if (int rc = PinRange(m, from, to, &pfn, &nr); rc != 0) return rc;
  const int rc = m.memory.pages.Pin(pfn, nr);
  if (rc == -EOVERFLOW)
    Bug(m, absl::StrFormat("pin_shared_mem(%p, %p): hyp_page refcount overflow at pfn %#x", from,
                           to, pfn));
  return rc;
}
int PinSharedMem(void* from, void* to) {
  const int rc = PinSharedMemImpl(M(), from, to);
  if (rc == -EOVERFLOW) PanicUnwind();
  return rc;
}

// 0, or non-zero after reporting a hyp panic.
int UnpinImpl(Impl& m, void* from, void* to) {
  uint64_t pfn = 0, nr = 0;
  const int range = PinRange(m, from, to, &pfn, &nr);
  if (range == -EINVAL) {
    Warn(m, absl::StrFormat("unpin_shared_mem(%p, %p): empty range", from, to));
    return 0;
  }
  if (range != 0) {
    Bug(m, absl::StrFormat("unpin_shared_mem(%p, %p): not memory shared with the hypervisor",
                           from, to));
    return 1;
  }
  if (m.memory.pages.Unpin(pfn, nr) != 0) {
    uint64_t p = pfn;
    while (m.memory.pages.Rec(p).pins != 0) ++p;
    Bug(m, absl::StrFormat("unpin_shared_mem(%p, %p): hyp_page refcount underflow at pfn %#x "
                           "(not pinned): %s",
                           from, to, p, Describe(m, p)));
    return 1;
  }
  return 0;
}
void UnpinSharedMem(void* from, void* to) {
  if (UnpinImpl(M(), from, to) != 0) PanicUnwind();
}

// ---- hyp_alloc ------------------------------------------------------------------

void* HypAlloc(pkvm_size_t size) {
  Impl& m = M();
  CpuMemState& c = m.memory.cpu[static_cast<size_t>(Cpu())];
  int err = 0;
  uint64_t missing = 0;
  const uint64_t pa = m.memory.heap.Alloc(size, &err, &missing);
  c.alloc_errno = err;
  c.missing = static_cast<uint8_t>(missing);
  return pa == 0 ? nullptr : PhysToPtr(m, pa);
}
int HypAllocErrno(void) { return M().memory.cpu[static_cast<size_t>(Cpu())].alloc_errno; }
pkvm_u8 HypAllocMissingDonations(void) {
  return M().memory.cpu[static_cast<size_t>(Cpu())].missing;
}

int HypFreeImpl(Impl& m, void* addr) {
  uint64_t pa = 0;
  if (!PtrToPhys(m, addr, &pa) || m.memory.heap.Free(pa) != 0) {
    Bug(m, absl::StrFormat("hyp_free(%p): not a live hyp_alloc() allocation (double free, or a "
                           "pointer hyp_alloc() did not return)",
                           addr));
    return 1;
  }
  return 0;
}
void HypFree(void* addr) {
  if (addr == nullptr) return;
  if (HypFreeImpl(M(), addr) != 0) PanicUnwind();
}

void QueueRequest(Impl& m, const HypReq& req) {
  CpuMemState& c = m.memory.cpu[static_cast<size_t>(Cpu())];
  if (c.req_pending)
    Warn(m, absl::StrFormat("CPU%d: a new hypervisor request replaces one the host has not served",
                            Cpu()));
  c.req = req;
  c.req_pending = true;
}

int RequestHypAlloc(void) {
  Impl& m = M();
  const uint8_t missing = m.memory.cpu[static_cast<size_t>(Cpu())].missing;
  if (missing == 0) {
    m.Log("hyp: request_hyp_alloc(): the allocator is missing nothing; no request queued");
    return 0;
  }
  HypReq req{};
  req.type = kHypReqTypeMem;
  req.mem.dest = kReqMemDestHypAlloc;
  req.mem.nr_pages = missing;
  req.mem.sz_alloc = static_cast<int32_t>(kPage);
  QueueRequest(m, req);
  return 0;
}

// ---- IOMMU pools ------------------------------------------------------------------

void* IommuDonate(bool atomic, uint8_t order, bool request, bool nocache) {
  Impl& m = M();
  MemoryState& s = m.memory;
  PagePool& pool = atomic ? s.iommu_atomic_pool : s.iommu_pool;
  if (order > PagePool::kMaxOrder) {
    Warn(m, absl::StrFormat("iommu_donate_pages%s(order %u): above the pool's maximum order %u",
                            atomic ? "_atomic" : "", order, PagePool::kMaxOrder));
    return nullptr;
  }
  const uint64_t n = 1ull << order;
  if (const uint64_t pfn = pool.Alloc(order); pfn != 0) {
    uint8_t* p = PhysToPtr(m, pfn << kPageShift);
    std::memset(p, 0, n * kPage);
    if (nocache) s.pages.SetHypProt(pfn, n, kPageHyp | kProtNormalNc);
    return p;
  }
  if (request) {
    // Ask the host for memory on the way back from this hypercall.
    HypReq req{};
    req.type = kHypReqTypeMem;
    req.mem.dest = kReqMemDestHypIommu;
    req.mem.nr_pages = 1;
    req.mem.sz_alloc = static_cast<int32_t>(n * kPage);
    QueueRequest(m, req);
  }
  return nullptr;
}
void* IommuDonatePages(pkvm_u8 order, bool request) {  // A15
  return IommuDonate(false, order, request, false);
}
void* IommuDonatePages(pkvm_u8 order, int flags) {  // A16: bit 0 = IOMMU_PAGE_NOCACHE
  return IommuDonate(false, order, true, (flags & 1) != 0);
}
void* IommuDonatePagesAtomic(pkvm_u8 order) { return IommuDonate(true, order, true, false); }

int IommuReclaimImpl(Impl& m, bool atomic, void* p, uint8_t order) {
  MemoryState& s = m.memory;
  PagePool& pool = atomic ? s.iommu_atomic_pool : s.iommu_pool;
  uint64_t pa = 0;
  if (!PtrToPhys(m, p, &pa) || pa % kPage != 0 || order > PagePool::kMaxOrder ||
      pool.Free(pa >> kPageShift, order) != 0) {
    Bug(m, absl::StrFormat("iommu_reclaim_pages%s(%p, order %u): not a block "
                           "iommu_donate_pages%s() handed out with that order",
                           atomic ? "_atomic" : "", p, order, atomic ? "_atomic" : ""));
    return 1;
  }
  s.pages.SetHypProt(pa >> kPageShift, 1ull << order, kPageHyp);  // cacheable again
  return 0;
}
void IommuReclaimPages(void* p, pkvm_u8 order) {
  if (IommuReclaimImpl(M(), false, p, order) != 0) PanicUnwind();
}
void IommuReclaimPagesAtomic(void* p, pkvm_u8 order) {
  if (IommuReclaimImpl(M(), true, p, order) != 0) PanicUnwind();
}

int IommuRequest(struct kvm_hyp_req* req) {  // A15
  if (req == nullptr) return -EINVAL;
  HypReq r{};
  std::memcpy(&r, req, sizeof r);
  if (r.type != kHypReqTypeMem && r.type != kHypReqTypeMap) return -EINVAL;
  QueueRequest(M(), r);
  return 0;
}

int IommuInitDevice(struct kvm_hyp_iommu* iommu) {
  if (iommu == nullptr) return -EINVAL;
  MemoryState& s = M().memory;
  const auto id = reinterpret_cast<uint64_t>(iommu);
  for (uint64_t known : s.iommus)
    if (known == id) return -EEXIST;
  s.iommus.push_back(id);
  return 0;
}

void Udelay(unsigned long usecs) {
  MemoryState& s = M().memory;
  s.udelay_us = usecs > UINT64_MAX - s.udelay_us ? UINT64_MAX : s.udelay_us + usecs;
}

void IommuIotlbGatherAddPage(struct kvm_hyp_iommu_domain* domain,
                             struct iommu_iotlb_gather* gather, unsigned long iova,
                             pkvm_size_t size) {
  Impl& m = M();
  if (gather == nullptr || size == 0) {
    Warn(m, "iommu_iotlb_gather_add_page: NULL gather or empty range");
    return;
  }
  auto* g = reinterpret_cast<IotlbGather*>(gather);
  const unsigned long end = iova + size - 1;
  const bool disjoint = g->end != 0 && (end + 1 < g->start || iova > g->end + 1);
  if ((g->pgsize != 0 && g->pgsize != size) || disjoint) {
    // The range can no longer grow: sync (libpkvm has no IOMMU driver to
    // invalidate, so it counts the sync) and start a new gather.
    ++m.memory.iotlb_syncs;
    m.Log(absl::StrFormat("hyp: IOTLB sync for domain %p: iova %#x-%#x", domain, g->start, g->end));
    g->start = ULONG_MAX;
    g->end = 0;
    g->pgsize = 0;
    g->freelist_next = g->freelist_prev = &g->freelist_next;
    g->queued = false;
  }
  g->pgsize = size;
  if (g->start > iova) g->start = iova;
  if (g->end < end) g->end = end;
}

int IommuSnapshotHostStage2(struct kvm_hyp_iommu_domain* domain) {
  Impl& m = M();
  MemoryState& s = m.memory;
  if (domain == nullptr) return -EINVAL;
  if (s.iommus.empty()) return -ENODEV;  // no IOMMU initialised
  uint64_t n = 0;
  for (uint64_t p = s.pages.ram_begin_pfn(); p < s.pages.ram_end_pfn(); ++p)
    n += s.pages.CheckHostAccess(p, false) == HostAccess::kOk ? 1 : 0;
  s.iommu_snapshots[reinterpret_cast<uint64_t>(domain)] = n;
  m.Log(absl::StrFormat("hyp: IOMMU domain %p: host stage-2 snapshot, %u host pages mapped",
                        domain, n));
  return 0;
}

// 0, or non-zero after reporting a hyp panic.
int UnuseDmaImpl(Impl& m, uint64_t phys, uint64_t size, int* rc) {
  *rc = m.memory.pages.UnuseDma(phys, size);
  if (*rc == -EOVERFLOW) {
    Bug(m, absl::StrFormat("pkvm_unuse_dma(%#x, %#x): DMA refcount underflow (the pages were not "
                           "in DMA use): %s",
                           phys, size, Describe(m, phys >> kPageShift)));
    return 1;
  }
  if (*rc == -EINVAL)
    Warn(m, absl::StrFormat("pkvm_unuse_dma(%#x, %#x): not a page-aligned range", phys, size));
  return 0;
}
int PkvmUnuseDma(pkvm_phys_addr_t phys, pkvm_size_t size) {
  int rc = 0;
  if (UnuseDmaImpl(M(), phys, size, &rc) != 0) PanicUnwind();
  return rc;
}

int FlushUnmapCacheImpl(Impl& m, struct kvm_iommu_paddr_cache* cache) {
  if (cache == nullptr) {
    Warn(m, "iommu_flush_unmap_cache(NULL)");
    return 0;
  }
  auto* c = reinterpret_cast<IommuPaddrCache*>(cache);
  if (c->ptr > kIommuPaddrCacheMax) {
    Bug(m, absl::StrFormat("iommu_flush_unmap_cache: ptr %u beyond the %u entries", c->ptr,
                           kIommuPaddrCacheMax));
    return 1;
  }
  while (c->ptr != 0) {
    --c->ptr;
    int rc = 0;
    if (UnuseDmaImpl(m, c->paddr[c->ptr], c->pgsize[c->ptr], &rc) != 0) return 1;
  }
  return 0;
}
void IommuFlushUnmapCache(struct kvm_iommu_paddr_cache* cache) {  // A15
  if (FlushUnmapCacheImpl(M(), cache) != 0) PanicUnwind();
}

// ---- guests and devices -------------------------------------------------------

int RegisterGuestSmcHandlerA15(pkvm_guest_smc_cb_a15_t cb, pkvm_handle_t handle) {
  if (cb == nullptr) return -EINVAL;
  MemoryState& s = M().memory;
  auto it = s.guests.find(handle);
  if (it == s.guests.end()) return -EINVAL;  // no such guest
  if (it->second.smc_handler != 0) return -EBUSY;
  it->second.smc_handler = reinterpret_cast<uint64_t>(cb);
  return 0;
}
// Later A16 KMIs (and the post-6.12 tree) keep guest SMC handlers in a
// chain like the host SMC one: up to 16, then -ENOSPC.
constexpr size_t kMaxGuestSmcHandlers = 16;

int RegisterGuestSmcHandlerA16(pkvm_guest_smc_cb_a16_t cb) {
  if (cb == nullptr) return -EINVAL;
  Hypervisor::Impl& m = M();
  MemoryState& s = m.memory;
  if (m.opts.a16_kmi >= kA16KmiLate) {
    if (s.guest_smc_chain.size() >= kMaxGuestSmcHandlers) return -ENOSPC;
    s.guest_smc_chain.push_back(reinterpret_cast<uint64_t>(cb));
    return 0;
  }
  if (s.guest_smc_handler != 0) return -EBUSY;
  s.guest_smc_handler = reinterpret_cast<uint64_t>(cb);
  return 0;
}

int GuestStage2Pa(pkvm_handle_t handle, pkvm_u64 ipa, pkvm_phys_addr_t* phys) {
  if (phys == nullptr) return -EINVAL;
  const MemoryState& s = M().memory;
  auto g = s.guests.find(handle);
  if (g == s.guests.end()) return -EINVAL;
  auto e = g->second.stage2.find(ipa >> kPageShift);
  if (e == g->second.stage2.end()) return -ENOENT;
  *phys = (e->second << kPageShift) | (ipa & (kPage - 1));
  return 0;
}

int RegisterGuestTrngOps(const struct pkvm_module_trng_ops* ops) {
  if (ops == nullptr || ops->trng_uuid == nullptr || ops->trng_rnd64 == nullptr) return -EINVAL;
  MemoryState& s = M().memory;
  if (s.trng_ops != 0) return -EBUSY;
  s.trng_ops = reinterpret_cast<uint64_t>(ops);
  return 0;
}

// A16 KMI >= 1: the callback pKVM calls when a guest asks to lock (keep
// powered) or unlock its assigned device (Hypervisor::GuestDevicePowerLock).
// Same rules as device_register_reset: one per device, at its MMIO base.
int DeviceRegisterPowerLock(pkvm_u64 phys, void* cookie, pkvm_device_power_lock_cb_t cb) {
  if (cb == nullptr) return -EINVAL;
  MemoryState& s = M().memory;
  auto it = s.devices.find(phys >> kPageShift);
  if (phys % kPage != 0 || it == s.devices.end()) return -ENODEV;
  if (it->second.power_lock_cb != 0) return -EBUSY;
  it->second.power_lock_cb = reinterpret_cast<uint64_t>(cb);
  it->second.power_lock_cookie = reinterpret_cast<uint64_t>(cookie);
  return 0;
}

int DeviceRegisterReset(pkvm_u64 phys, void* cookie, pkvm_device_reset_cb_t cb) {
  if (cb == nullptr) return -EINVAL;
  MemoryState& s = M().memory;
  auto it = s.devices.find(phys >> kPageShift);
  if (phys % kPage != 0 || it == s.devices.end()) return -ENODEV;  // not a device's base
  if (it->second.reset_cb != 0) return -EBUSY;
  it->second.reset_cb = reinterpret_cast<uint64_t>(cb);
  it->second.cookie = reinterpret_cast<uint64_t>(cookie);
  return 0;
}

}  // namespace

// ---- the tables -----------------------------------------------------------------

template <typename Ops>
void FillMemoryOps(Ops& o) {
  o.create_private_mapping = &CreatePrivateMapping;
  o.map_module_page = &MapModulePage;
  o.fixmap_map = &FixmapMap;
  o.fixmap_unmap = &FixmapUnmap;
  if constexpr (requires { o.fixblock_map; }) {
    o.fixblock_map = &FixblockMap;
    o.fixblock_unmap = &FixblockUnmap;
  }
  o.linear_map_early = &LinearMapEarly;
  o.linear_unmap_early = &LinearUnmapEarly;
  o.flush_dcache_to_poc = &FlushDcacheToPoc;
  o.host_stage2_get_leaf = &GetLeaf;
  o.hyp_donate_host = &HypDonateHost;
  o.host_share_hyp = &HostShareHyp;
  o.host_unshare_hyp = &HostUnshareHyp;
  o.pin_shared_mem = &PinSharedMem;
  o.unpin_shared_mem = &UnpinSharedMem;
  if constexpr (requires { o.host_stage2_mod_prot_range; }) {  // A14
    o.host_stage2_mod_prot = &ModProtA14;
    o.host_stage2_mod_prot_range = &ModProtRangeA14;
    o.host_donate_hyp = &HostDonateHypA14;
  } else {
    o.host_stage2_mod_prot = &ModProt;
    o.host_donate_hyp = &HostDonateHyp;
    o.host_donate_hyp_prot = &HostDonateHypProt;
  }
  if constexpr (requires { o.host_donate_sglist_hyp; }) o.host_donate_sglist_hyp = &HostDonateSglistHyp;
  if constexpr (requires { o.hyp_alloc; }) {  // A15+
    o.hyp_alloc = &HypAlloc;
    o.hyp_alloc_errno = &HypAllocErrno;
    o.hyp_free = &HypFree;
    o.hyp_alloc_missing_donations = &HypAllocMissingDonations;
    o.iommu_donate_pages = &IommuDonatePages;
    o.iommu_reclaim_pages = &IommuReclaimPages;
    o.iommu_init_device = &IommuInitDevice;
    o.udelay = &Udelay;
    o.iommu_iotlb_gather_add_page = &IommuIotlbGatherAddPage;
    o.iommu_donate_pages_atomic = &IommuDonatePagesAtomic;
    o.iommu_reclaim_pages_atomic = &IommuReclaimPagesAtomic;
    o.iommu_snapshot_host_stage2 = &IommuSnapshotHostStage2;
  }
  if constexpr (requires { o.iommu_request; }) {  // A15 only
    o.iommu_request = &IommuRequest;
    o.iommu_flush_unmap_cache = &IommuFlushUnmapCache;
    o.host_stage2_enable_lazy_pte = &EnableLazyPte;
    o.host_stage2_disable_lazy_pte = &DisableLazyPte;
    o.register_guest_smc_handler = &RegisterGuestSmcHandlerA15;
    o.guest_stage2_pa = &GuestStage2Pa;
  }
  if constexpr (requires { o.device_register_reset; }) {  // A16
    o.register_guest_smc_handler = &RegisterGuestSmcHandlerA16;
    o.pkvm_unuse_dma = &PkvmUnuseDma;
    o.device_register_reset = &DeviceRegisterReset;
    o.register_guest_trng_ops = &RegisterGuestTrngOps;
    o.map_module_pages = &MapModulePages;
    o.unmap_module_pages = &UnmapModulePages;
    o.request_hyp_alloc = &RequestHypAlloc;
    o.device_register_power_lock = &DeviceRegisterPowerLock;
  }
}

template void FillMemoryOps(pkvm_module_ops_a14&);
template void FillMemoryOps(pkvm_module_ops_a15&);
template void FillMemoryOps(pkvm_module_ops_a16&);

}  // namespace pkvm::mem

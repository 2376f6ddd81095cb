// File: lib/mem/page_state.cc -- text forms of the public page-state types.
#include "pkvm/page_state.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkvm/abi/pgtable_prot.h"

namespace pkvm {

const char* ToString(PageKind kind) {
  switch (kind) {
    case PageKind::kRam: return "RAM";
    case PageKind::kMmio: return "MMIO";
    case PageKind::kNone: return "none";
  }
  return "?";
}

const char* ToString(PageOwner owner) {
  switch (owner) {
    case PageOwner::kHost: return "host";
    case PageOwner::kHyp: return "hyp";
    case PageOwner::kGuest: return "guest";
    case PageOwner::kProtected: return "protected";
    case PageOwner::kNone: return "none";
  }
  return "?";
}

const char* ToString(PkvmPageState state) {
  switch (state) {
    case PkvmPageState::kOwned: return "OWNED";
    case PkvmPageState::kSharedOwned: return "SHARED_OWNED";
    case PkvmPageState::kSharedBorrowed: return "SHARED_BORROWED";
    case PkvmPageState::kNoPage: return "NOPAGE";
  }
  return "?";
}

const char* ToString(HypUse use) {
  switch (use) {
    case HypUse::kNone: return "none";
    case HypUse::kHeap: return "hyp_alloc heap";
    case HypUse::kIommuPool: return "IOMMU pool";
    case HypUse::kIommuAtomicPool: return "IOMMU atomic pool";
  }
  return "?";
}

std::string ProtToString(uint64_t prot) {
  std::string s;
  s += (prot & KVM_PGTABLE_PROT_R) ? 'R' : '-';
  s += (prot & KVM_PGTABLE_PROT_W) ? 'W' : '-';
  s += (prot & KVM_PGTABLE_PROT_X) ? 'X' : '-';
  if (prot & KVM_PGTABLE_PROT_DEVICE) s += 'D';
  if (prot & KVM_PGTABLE_PROT_NORMAL_NC) s += 'N';
  return s;
}

std::string PageState::ToString() const {
  std::string out = absl::StrFormat("pfn %#x %s", pfn, pkvm::ToString(kind));
  if (!region.empty()) absl::StrAppend(&out, "(", region, ")");
  absl::StrAppend(&out, " owner=", pkvm::ToString(owner));
  if (owner == PageOwner::kGuest) absl::StrAppend(&out, absl::StrFormat("(%#x)", guest));
  absl::StrAppend(&out, " host=", pkvm::ToString(host), " host_prot=", ProtToString(host_prot));
  if (host_prot_modified) absl::StrAppend(&out, "(module)");
  absl::StrAppend(&out, " hyp=", pkvm::ToString(hyp));
  if (hyp_prot != 0) absl::StrAppend(&out, " hyp_prot=", ProtToString(hyp_prot));
  if (pins != 0) absl::StrAppend(&out, " pins=", pins);
  if (dma_refs != 0) absl::StrAppend(&out, " dma_refs=", dma_refs);
  if (lazy_pte) absl::StrAppend(&out, " lazy_pte");
  if (iommu_prot != host_prot) absl::StrAppend(&out, " iommu_prot=", ProtToString(iommu_prot));
  if (el2_mappings != 0) absl::StrAppend(&out, " el2_mappings=", el2_mappings);
  if (hyp_use != HypUse::kNone) absl::StrAppend(&out, " use=", pkvm::ToString(hyp_use));
  return out;
}

}  // namespace pkvm

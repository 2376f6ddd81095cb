// File: include/pkvm/page_state.h
// The simulated machine's physical memory as pKVM sees it, page by page: who
// owns each 4 KiB page (host, hypervisor, a guest), the pKVM state of the page
// in the host stage-2 and in the hypervisor's stage-1 (owned, shared-owned,
// shared-borrowed, no page), pins, DMA references and the host stage-2
// permissions. Hypervisor::page_state(pfn) returns these values; the other
// types here are the arguments of the memory, guest and device entry points
// of pkvm::Hypervisor. Standard headers only.
//
//   pkvm::PageState s = hv->page_state(0x40010);
//   if (s.owner != pkvm::PageOwner::kHyp) std::cerr << s.ToString() << "\n";
//   // "pfn 0x40010 RAM owner=host host=OWNED hyp=NOPAGE host_prot=RWX ..."
#ifndef PKVM_PAGE_STATE_H_
#define PKVM_PAGE_STATE_H_

#include <cstdint>
#include <string>

namespace pkvm {

// What is at a physical page: RAM, a device registered with
// Hypervisor::AddMmioRegion(), or nothing.
enum class PageKind : uint8_t { kRam, kMmio, kNone };

// The owner pKVM records for a page (the owner id of the host stage-2).
// kProtected: a module removed every host permission with
// host_stage2_mod_prot(prot = 0); the page belongs to nobody else.
enum class PageOwner : uint8_t { kHost, kHyp, kGuest, kProtected, kNone };

// pKVM's page state as one component (host or hypervisor) sees the page.
enum class PkvmPageState : uint8_t { kOwned, kSharedOwned, kSharedBorrowed, kNoPage };

// What the hypervisor uses a page it owns for, when it is one of its pools.
enum class HypUse : uint8_t { kNone, kHeap, kIommuPool, kIommuAtomicPool };

const char* ToString(PageKind kind);
const char* ToString(PageOwner owner);
const char* ToString(PkvmPageState state);
const char* ToString(HypUse use);
// "RWX", "R--", "RW-D" (device), "---": kvm_pgtable_prot bits.
std::string ProtToString(uint64_t prot);

struct PageState {
  uint64_t pfn = 0;
  PageKind kind = PageKind::kNone;
  std::string region;  // the MMIO region's name (kMmio)
  PageOwner owner = PageOwner::kNone;
  uint16_t guest = 0;  // the guest's handle when owner == kGuest
  PkvmPageState host = PkvmPageState::kNoPage;  // host stage-2 view
  PkvmPageState hyp = PkvmPageState::kNoPage;   // hypervisor stage-1 view
  // Host stage-2 permissions (kvm_pgtable_prot R/W/X/DEVICE bits); 0 when the
  // host cannot access the page at all.
  uint64_t host_prot = 0;
  // host_stage2_mod_prot() changed host_prot: the page is "module owned" and
  // cannot be donated or shared until the module restores RWX.
  bool host_prot_modified = false;
  uint64_t iommu_prot = 0;  // what the host's IOMMU mappings were last told
  bool lazy_pte = false;    // host_stage2_enable_lazy_pte() (A15)
  uint32_t pins = 0;        // pin_shared_mem() references
  uint32_t dma_refs = 0;    // pages mapped for DMA by an IOMMU
  // Permissions of the hypervisor's linear-map mapping of the page (donated
  // or shared pages); 0 when the linear map does not map it.
  uint64_t hyp_prot = 0;
  // Other EL2 mappings of the page: module VAs (map_module_page), fixmap,
  // fixblock, linear_map_early, create_private_mapping.
  uint32_t el2_mappings = 0;
  HypUse hyp_use = HypUse::kNone;

  bool operator==(const PageState&) const = default;
  // One line: "pfn 0x40010 RAM owner=hyp host=NOPAGE hyp=OWNED hyp_prot=RW- ..."
  std::string ToString() const;
};

// The hypervisor page pools the host tops up (Hypervisor::TopUpHypPool).
enum class HypPool : uint8_t {
  kHypAlloc,     // the heap behind hyp_alloc()
  kIommu,        // iommu_donate_pages()
  kIommuAtomic,  // iommu_donate_pages_atomic()
};

// Host memory handed to a guest at creation: nr_pages from pfn at ipa.
struct GuestMemory {
  uint64_t ipa = 0;
  uint64_t pfn = 0;
  uint64_t nr_pages = 0;
};

// An SMCCC 1.2 register file: x0 (function id / status) .. x17.
struct SmcccRegs {
  uint64_t x[18] = {};
};

struct GuestSmcResult {
  SmcccRegs regs;                  // what the guest sees after the SMC
  bool handled_by_pkvm = false;    // PSCI/SMCCC/TRNG services of pKVM itself
  bool handled_by_module = false;  // a module's guest SMC handler returned true
  // A16 KMI >= 2: a handler answered GUEST_SMC_NEED_TOPUP; regs are the
  // guest's unchanged (the call is retried once the host donated memory).
  bool needs_topup = false;
};

}  // namespace pkvm

#endif  // PKVM_PAGE_STATE_H_

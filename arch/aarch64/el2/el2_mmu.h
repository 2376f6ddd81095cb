// File: arch/aarch64/el2/el2_mmu.h
// The EL2 stage-1 translation of the bare-metal runtime (4 KiB granule,
// 39-bit VA, walks start at level 1):
//   [0, 1 GiB)                 identity, Device-nGnRnE, never executable (MMIO)
//   [1 GiB, 2 GiB)             identity, Normal write-back, RWX (RAM)
//   [kModuleVaBase, +2 MiB)    the module VA window: 4 KiB pages mapped one by
//                              one by __pkvm_map_module_page, with the
//                              section's protection (text R-X, rodata R--,
//                              data/bss RW-, never W+X)
// Module images therefore run at hyp VAs that differ from their physical
// (and EL1) addresses, as on a device: an unrelocated pointer faults.
//
//   pkvm::el2::El2Mmu mmu;
//   mmu.Init(); mmu.Enable();
//   uint64_t va = mmu.AllocModuleVa(3);
//   mmu.MapPage(va, pa, PKVM_PROT_R | PKVM_PROT_X);
#ifndef PKVM_ARCH_AARCH64_EL2_EL2_MMU_H_
#define PKVM_ARCH_AARCH64_EL2_EL2_MMU_H_

#include <cstdint>

namespace pkvm::el2 {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kModuleVaBase = 0x4000000000ull;  // L1 index 256
inline constexpr uint64_t kModuleVaPages = 512;             // one L3 table: 2 MiB

class El2Mmu {
 public:
  // Builds the tables (static storage). Call once, MMU off.
  void Init();
  // MAIR/TCR/TTBR0_EL2, TLB invalidate, SCTLR_EL2.{M,C,I}.
  void Enable();
  // __pkvm_alloc_module_va: `nr_pages` consecutive unmapped pages of the
  // module window, or 0 when the window is exhausted.
  uint64_t AllocModuleVa(uint64_t nr_pages);
  // Maps one page of the module window. `prot` is enum kvm_pgtable_prot
  // (R=4, W=2, X=1). 0, or -EINVAL (outside the window / not allocated /
  // unaligned / no R / W+X), or -EEXIST (already mapped).
  int MapModulePage(uint64_t va, uint64_t pa, uint64_t prot);
  int UnmapModulePage(uint64_t va);
  // The physical address `va` maps to (AT S1E2R), or ~0 when unmapped.
  static uint64_t Translate(uint64_t va);

 private:
  uint64_t next_module_page_ = 0;
};

}  // namespace pkvm::el2

#endif  // PKVM_ARCH_AARCH64_EL2_EL2_MMU_H_

// File: arch/aarch64/el2/el2_arch.h
// AArch64 architecture facts the bare-metal EL2 runtime needs: system
// register access, ESR_EL2 decoding, the generic counter and the PMU.
// Freestanding (compiled with -ffreestanding -nostdlib for the EL2 image);
// only arch/aarch64/ uses inline assembly (STYLE.md).
//
//   uint64_t esr = PKVM_READ_SYSREG(esr_el2);
//   if (pkvm::el2::EsrClass(esr) == pkvm::el2::kEcHvc64) ...
#ifndef PKVM_ARCH_AARCH64_EL2_EL2_ARCH_H_
#define PKVM_ARCH_AARCH64_EL2_EL2_ARCH_H_

#include <cstdint>

#define PKVM_READ_SYSREG(reg)                          \
  ({                                                   \
    uint64_t __v;                                      \
    asm volatile("mrs %0, " #reg : "=r"(__v)::"memory"); \
    __v;                                               \
  })
#define PKVM_WRITE_SYSREG(reg, v) \
  asm volatile("msr " #reg ", %0" ::"r"(static_cast<uint64_t>(v)) : "memory")

namespace pkvm::el2 {

// ESR_ELx.EC (bits 31:26), Arm ARM D17.2.
inline constexpr uint32_t kEcUnknown = 0x00;
inline constexpr uint32_t kEcHvc64 = 0x16;
inline constexpr uint32_t kEcSmc64 = 0x17;
inline constexpr uint32_t kEcSysReg = 0x18;
inline constexpr uint32_t kEcIabtLow = 0x20;
inline constexpr uint32_t kEcIabtCur = 0x21;
inline constexpr uint32_t kEcPcAlign = 0x22;
inline constexpr uint32_t kEcDabtLow = 0x24;
inline constexpr uint32_t kEcDabtCur = 0x25;
inline constexpr uint32_t kEcSpAlign = 0x26;
inline constexpr uint32_t kEcBrk64 = 0x3C;

constexpr uint32_t EsrClass(uint64_t esr) { return static_cast<uint32_t>(esr >> 26) & 0x3F; }
constexpr uint32_t EsrIss(uint64_t esr) { return static_cast<uint32_t>(esr) & 0x1FFFFFF; }
// Data/instruction fault status code (ISS bits 5:0).
constexpr uint32_t EsrFsc(uint64_t esr) { return static_cast<uint32_t>(esr) & 0x3F; }
// Data abort ISS.WnR (bit 6): the access was a write.
constexpr bool EsrIsWrite(uint64_t esr) { return (esr >> 6) & 1; }

inline const char* EsrClassName(uint32_t ec) {
  switch (ec) {
    case kEcHvc64: return "HVC64";
    case kEcSmc64: return "SMC64";
    case kEcSysReg: return "MSR/MRS trap";
    case kEcIabtLow: return "instruction abort from a lower EL";
    case kEcIabtCur: return "instruction abort at EL2";
    case kEcPcAlign: return "PC alignment fault";
    case kEcDabtLow: return "data abort from a lower EL";
    case kEcDabtCur: return "data abort at EL2";
    case kEcSpAlign: return "SP alignment fault";
    case kEcBrk64: return "BRK";
    case kEcUnknown: return "unknown reason (undefined instruction)";
    default: return "other";
  }
}

// HCR_EL2 bits (Arm ARM D17.2.48).
inline constexpr uint64_t kHcrVm = 1ull << 0;
inline constexpr uint64_t kHcrFmo = 1ull << 3;
inline constexpr uint64_t kHcrImo = 1ull << 4;
inline constexpr uint64_t kHcrAmo = 1ull << 5;
inline constexpr uint64_t kHcrTsc = 1ull << 19;  // trap SMC from EL1
inline constexpr uint64_t kHcrRw = 1ull << 31;   // EL1 is AArch64

// SPSR: EL1h with D, A, I, F masked.
inline constexpr uint64_t kSpsrEl1hMasked = 0x3C5;

inline uint64_t ReadCntvct() {
  uint64_t v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

// PMU event number of "instruction architecturally executed" (INST_RETIRED).
inline constexpr uint32_t kPmuEventInstRetired = 0x08;
// PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 filter bits: P (exclude EL1), U (exclude
// EL0), NSH (count at EL2).
inline constexpr uint64_t kPmuFilterP = 1ull << 31;
inline constexpr uint64_t kPmuFilterU = 1ull << 30;
inline constexpr uint64_t kPmuFilterNsh = 1ull << 27;

inline void Isb() { asm volatile("isb" ::: "memory"); }
inline void DsbIsh() { asm volatile("dsb ish" ::: "memory"); }
inline void DsbSy() { asm volatile("dsb sy" ::: "memory"); }

}  // namespace pkvm::el2

#endif  // PKVM_ARCH_AARCH64_EL2_EL2_ARCH_H_

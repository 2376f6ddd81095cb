// File: arch/aarch64/el2/el2_mmu.cc
// EL2 stage-1 tables (see el2_mmu.h). Descriptor bits from the Arm ARM
// (VMSAv8-64 translation table format, D8.3).
#include "el2_mmu.h"

#include "el2_arch.h"

namespace pkvm::el2 {
namespace {

constexpr uint64_t kDescBlock = 1;       // level 1/2 block
constexpr uint64_t kDescTable = 3;       // next-level table
constexpr uint64_t kDescPage = 3;        // level 3 page
constexpr uint64_t kAttrDevice = 0 << 2;  // MAIR index 0: Device-nGnRnE
constexpr uint64_t kAttrNormal = 1 << 2;  // MAIR index 1: Normal WB RA WA
constexpr uint64_t kApRw = 1ull << 6;    // AP[2:1] = 01 (AP[1] is RES1 at EL2)
constexpr uint64_t kApRo = 3ull << 6;    // AP[2:1] = 11
constexpr uint64_t kShInner = 3ull << 8;
constexpr uint64_t kAf = 1ull << 10;
constexpr uint64_t kXn = 1ull << 54;
constexpr uint64_t kOaMask = 0x0000FFFFFFFFF000ull;

constexpr uint64_t kProtX = 1, kProtW = 2, kProtR = 4;

alignas(4096) uint64_t g_l1[512];
alignas(4096) uint64_t g_l2_modules[512];
alignas(4096) uint64_t g_l3_modules[512];

void TlbiVa(uint64_t va) {
  asm volatile("dsb ishst\n tlbi vae2is, %0\n dsb ish\n isb" ::"r"(va >> 12) : "memory");
}

}  // namespace

void El2Mmu::Init() {
  for (auto& e : g_l1) e = 0;
  for (auto& e : g_l2_modules) e = 0;
  for (auto& e : g_l3_modules) e = 0;
  g_l1[0] = 0x00000000ull | kDescBlock | kAttrDevice | kApRw | kAf | kXn;
  g_l1[1] = 0x40000000ull | kDescBlock | kAttrNormal | kApRw | kShInner | kAf;
  g_l1[kModuleVaBase >> 30] = reinterpret_cast<uint64_t>(g_l2_modules) | kDescTable;
  g_l2_modules[0] = reinterpret_cast<uint64_t>(g_l3_modules) | kDescTable;
  next_module_page_ = 0;
}

void El2Mmu::Enable() {
  PKVM_WRITE_SYSREG(mair_el2, 0xFF00ull);  // attr0 Device-nGnRnE, attr1 Normal WB
  // TCR_EL2: RES1 bits 31 and 23, PS = 40 bits, SH0 inner, WB caches for
  // walks, TG0 = 4 KiB, T0SZ = 25 (39-bit VA).
  const uint64_t tcr = (1ull << 31) | (1ull << 23) | (2ull << 16) | (3ull << 12) | (1ull << 10) |
                       (1ull << 8) | 25;
  PKVM_WRITE_SYSREG(tcr_el2, tcr);
  PKVM_WRITE_SYSREG(ttbr0_el2, reinterpret_cast<uint64_t>(g_l1));
  asm volatile("dsb sy\n tlbi alle2\n dsb sy\n isb" ::: "memory");
  // SCTLR_EL2: RES1 bits, M (MMU), C (data cache), I (instruction cache).
  const uint64_t sctlr = 0x30C50830ull | (1ull << 0) | (1ull << 2) | (1ull << 12);
  PKVM_WRITE_SYSREG(sctlr_el2, sctlr);
  Isb();
}

uint64_t El2Mmu::AllocModuleVa(uint64_t nr_pages) {
  if (nr_pages == 0 || nr_pages > kModuleVaPages - next_module_page_) return 0;
  const uint64_t va = kModuleVaBase + next_module_page_ * kPageSize;
  next_module_page_ += nr_pages;
  return va;
}

int El2Mmu::MapModulePage(uint64_t va, uint64_t pa, uint64_t prot) {
  if ((va | pa) & (kPageSize - 1)) return -22;
  if (va < kModuleVaBase) return -22;
  const uint64_t idx = (va - kModuleVaBase) / kPageSize;
  if (idx >= next_module_page_) return -22;  // not handed out by AllocModuleVa
  if (!(prot & kProtR) || ((prot & kProtW) && (prot & kProtX))) return -22;
  if (g_l3_modules[idx] != 0) return -17;
  uint64_t pte = (pa & kOaMask) | kDescPage | kAttrNormal | kShInner | kAf;
  pte |= (prot & kProtW) ? kApRw : kApRo;
  if (!(prot & kProtX)) pte |= kXn;
  g_l3_modules[idx] = pte;
  TlbiVa(va);
  if (prot & kProtX) asm volatile("ic iallu\n dsb ish\n isb" ::: "memory");
  return 0;
}

int El2Mmu::UnmapModulePage(uint64_t va) {
  if (va < kModuleVaBase || va >= kModuleVaBase + kModuleVaPages * kPageSize) return -22;
  g_l3_modules[(va - kModuleVaBase) / kPageSize] = 0;
  TlbiVa(va);
  return 0;
}

uint64_t El2Mmu::Translate(uint64_t va) {
  asm volatile("at s1e2r, %0\n isb" ::"r"(va) : "memory");
  const uint64_t par = PKVM_READ_SYSREG(par_el1);
  if (par & 1) return ~0ull;  // PAR_EL1.F: the walk faulted
  return (par & kOaMask) | (va & (kPageSize - 1));
}

}  // namespace pkvm::el2

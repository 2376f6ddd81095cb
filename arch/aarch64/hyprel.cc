// File: arch/aarch64/hyprel.cc -- see hyprel.h.
#include "hyprel.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pkvm::arm64 {
namespace {

// Relocations that stay correct when the image moves from its EL1 address to
// its EL2 address as a whole: PC-relative data, PC-relative instructions, and
// the low-12-bit forms (pages are 4 KiB aligned in both mappings).
bool PositionIndependent(uint32_t type) {
  switch (type) {
    case reloc::kNone:
    case reloc::kNoneAlt:
    case reloc::kPrel64:
    case reloc::kPrel32:
    case reloc::kPrel16:
    case reloc::kPlt32:
    case reloc::kLdPrelLo19:
    case reloc::kAdrPrelLo21:
    case reloc::kAdrPrelPgHi21:
    case reloc::kAdrPrelPgHi21Nc:
    case reloc::kAddAbsLo12Nc:
    case reloc::kLdst8AbsLo12Nc:
    case reloc::kLdst16AbsLo12Nc:
    case reloc::kLdst32AbsLo12Nc:
    case reloc::kLdst64AbsLo12Nc:
    case reloc::kLdst128AbsLo12Nc:
    case reloc::kTstbr14:
    case reloc::kCondbr19:
    case reloc::kJump26:
    case reloc::kCall26:
    case reloc::kMovwPrelG0:
    case reloc::kMovwPrelG0Nc:
    case reloc::kMovwPrelG1:
    case reloc::kMovwPrelG1Nc:
    case reloc::kMovwPrelG2:
    case reloc::kMovwPrelG2Nc:
    case reloc::kMovwPrelG3:
      return true;
    default:
      return false;
  }
}

bool IsAbsolute(uint32_t type) {
  return type == reloc::kAbs32 || type == reloc::kAbs16 ||
         (type >= reloc::kMovwUabsG0 && type <= reloc::kMovwSabsG2);
}

std::string SymbolName(const ElfObject& obj, const ElfSymbol& sym) {
  if (sym.index == 0) return "(no symbol)";
  if (sym.type == kSttSection && sym.shndx < obj.sections().size())
    return absl::StrCat("section ", obj.sections()[sym.shndx].name);
  return std::string(sym.name);
}

}  // namespace

absl::StatusOr<std::vector<HypRelocSite>> CollectHypRelocs(const ElfObject& obj) {
  std::vector<HypRelocSite> sites;
  std::set<absl::string_view> bracketed;
  for (const ElfRelaSection& rs : obj.rela_sections()) {
    const ElfSection& target = obj.sections()[rs.target];
    if (!absl::StartsWith(target.name, ".hyp")) continue;
    for (const ElfRela& r : rs.relocs) {
      const ElfSymbol& sym = obj.symbols()[r.symbol];
      const std::string place = absl::StrFormat("%s+%#x", target.name, r.offset);
      if (r.type == reloc::kAbs64) {
        // The loader rewrites the slot as (value - image start) + hyp base,
        // which is only meaningful for an address inside the EL2 image.
        const bool in_hyp = sym.shndx != kShnUndef && sym.shndx < obj.sections().size() &&
                            sym.shndx != kShnAbs &&
                            absl::StartsWith(obj.sections()[sym.shndx].name, ".hyp");
        if (!in_hyp) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "R_AARCH64_ABS64 at %s holds the address of %s, which is %s: a 64-bit address in "
              "EL2 code or data must point into the module's own .hyp sections (the loader "
              "rewrites it to the EL2 mapping); call the hypervisor through pkvm_module_ops "
              "instead",
              place, SymbolName(obj, sym),
              sym.shndx == kShnUndef ? "not defined in the EL2 objects"
              : sym.shndx == kShnAbs ? "an absolute value"
                                     : "outside the EL2 sections"));
        }
        if (!bracketed.contains(target.name)) {
          const std::string bracket = absl::StrCat("__hyp_section_", target.name);
          const ElfSymbol* b = obj.FindSymbol(bracket);
          if (b == nullptr || b->shndx != target.index || b->value != 0) {
            return absl::InvalidArgumentError(absl::StrFormat(
                "R_AARCH64_ABS64 at %s: the section has no %s symbol at its start; link the EL2 "
                "objects with cmake/hyp-aarch64.lds (it brackets every .hyp section)",
                place, bracket));
          }
          bracketed.insert(target.name);
        }
        sites.push_back({std::string(target.name), r.offset, SymbolName(obj, sym)});
        continue;
      }
      if (PositionIndependent(r.type)) continue;
      if (IsAbsolute(r.type)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s at %s (symbol %s): absolute relocation in EL2 code; EL2 runs the image at a "
            "different address than EL1 and only 64-bit absolute addresses (R_AARCH64_ABS64) "
            "can be converted. Build EL2 code with -fno-PIE and the default small code model",
            RelocTypeName(r.type), place, SymbolName(obj, sym)));
      }
      return absl::InvalidArgumentError(absl::StrFormat(
          "unexpected %s at %s (symbol %s) in EL2 code; GOT, TLS and dynamic relocations cannot "
          "be used at EL2 (build with -fno-PIE -fno-PIC and without thread-local variables)",
          RelocTypeName(r.type), place, SymbolName(obj, sym)));
    }
  }
  return sites;
}

std::string FormatHypRelocAsm(const std::vector<HypRelocSite>& sites, absl::string_view source) {
  std::string out = absl::StrCat(
      "/* Generated by gen_hyprel from ", source, ". Do not edit.\n",
      " * .hyp.reloc: one self-relative s32 (kvm_nvhe_reloc_t) per 64-bit absolute address\n",
      " * in the EL2 image; the loader adds the entry's own address to find the slot. */\n",
      "\t.section .hyp.reloc, \"a\"\n", "\t.balign 4\n");
  std::set<std::string> globals;
  for (const HypRelocSite& s : sites) globals.insert(s.section);
  for (const std::string& g : globals) absl::StrAppend(&out, "\t.global __hyp_section_", g, "\n");
  uint64_t offset = 0;
  for (const HypRelocSite& s : sites) {
    absl::StrAppendFormat(&out, "\t.word 0\t/* %s */\n\t.reloc %d, R_AARCH64_PREL32, __hyp_section_%s + %#x\n",
                          s.symbol, offset, s.section, s.offset);
    offset += 4;
  }
  return out;
}

}  // namespace pkvm::arm64

// File: arch/aarch64/hyprel.h
// The hyp-relocation generator (what the kernel's gen-hyprel does, written
// from the facts in spec/kbuild-hyp-modules.md §2): finds every 64-bit
// absolute address stored in a module's EL2 image, so the EL1 loader can
// rewrite it from a kernel VA to a hyp VA before handing the pages to EL2.
//
// Input: the EL2 objects after `ld -r -T hyp-aarch64.lds` (sections already
// named .hyp.*, each bracketed by a __hyp_section_<name> symbol). Output: an
// assembly file whose `.hyp.reloc` section holds one self-relative s32
// (kvm_nvhe_reloc_t) per R_AARCH64_ABS64 in a .hyp.* section, each with a
// R_AARCH64_PREL32 against __hyp_section_<name> + offset.
//
//   auto obj = ElfObject::Parse(bytes);
//   auto sites = CollectHypRelocs(*obj);          // errors name the section
//   std::string s = FormatHypRelocAsm(*sites, "kvm_nvhe.tmp.o");
#ifndef PKVM_ARCH_AARCH64_HYPREL_H_
#define PKVM_ARCH_AARCH64_HYPREL_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "elf_object.h"

namespace pkvm::arm64 {

// One 64-bit slot in EL2 code or data that holds an absolute address.
struct HypRelocSite {
  std::string section;  // ".hyp.data"
  uint64_t offset = 0;  // of the slot inside `section`
  std::string symbol;   // what the address refers to (for messages)
};

// Walks the SHT_RELA sections whose target name starts with ".hyp":
//  * R_AARCH64_ABS64 -> a site (the symbol must be defined in a .hyp section);
//  * PC-relative and instruction relocations -> nothing (position-independent
//    between EL1 and EL2);
//  * any other type (ABS32, ABS16, MOVW_UABS/SABS, GOT, TLS...) -> an error
//    naming the type, the place and the symbol.
// Relocations in other sections are not looked at.
absl::StatusOr<std::vector<HypRelocSite>> CollectHypRelocs(const ElfObject& obj);

// The assembly for `sites` (for aarch64-linux-gnu-as). `source` names the
// input in the header comment.
std::string FormatHypRelocAsm(const std::vector<HypRelocSite>& sites, absl::string_view source);

}  // namespace pkvm::arm64

#endif  // PKVM_ARCH_AARCH64_HYPREL_H_

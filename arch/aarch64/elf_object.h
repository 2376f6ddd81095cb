// File: arch/aarch64/elf_object.h
// A validating reader for ELF64 little-endian AArch64 relocatable objects
// (ET_REL: `.o` files and kernel modules `.ko`). Internal to arch/aarch64:
// the module linker and the gen_hyprel host tool both read objects through it.
//
// Parse() checks everything later code indexes with -- header fields, section
// bounds, sh_link/sh_info, string-table offsets, symbol section indexes,
// relocation symbol indexes and offsets -- so that accessors never read
// outside the file. Bad input gives an InvalidArgument status that names the
// offending section or field; it never crashes (see test/fuzz/ko_parser_fuzz.cc).
//
//   auto obj = pkvm::arm64::ElfObject::Parse(bytes);
//   if (!obj.ok()) return obj.status();
//   for (const auto& s : obj->sections()) ...
#ifndef PKVM_ARCH_AARCH64_ELF_OBJECT_H_
#define PKVM_ARCH_AARCH64_ELF_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace pkvm::arm64 {

// ELF constants this reader and its users need (values from the ELF and
// AArch64 ELF ABI specifications).
inline constexpr uint16_t kEmAarch64 = 183;
inline constexpr uint16_t kEtRel = 1;
inline constexpr uint32_t kShtNull = 0, kShtProgbits = 1, kShtSymtab = 2, kShtStrtab = 3,
                          kShtRela = 4, kShtNobits = 8, kShtRel = 9, kShtGroup = 17,
                          kShtSymtabShndx = 18;
inline constexpr uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExecinstr = 0x4;
inline constexpr uint16_t kShnUndef = 0, kShnLoreserve = 0xff00, kShnAbs = 0xfff1,
                          kShnCommon = 0xfff2, kShnXindex = 0xffff;
inline constexpr uint8_t kStbLocal = 0, kStbGlobal = 1, kStbWeak = 2;
inline constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2, kSttSection = 3,
                         kSttFile = 4;

// Names are views into the object's own copy of the file.
struct ElfSection {
  uint32_t index = 0;
  absl::string_view name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0;  // in the file
  uint64_t size = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t addralign = 0;  // 0 or a power of two
  uint64_t entsize = 0;

  bool alloc() const { return (flags & kShfAlloc) != 0; }
  bool nobits() const { return type == kShtNobits; }
};

struct ElfSymbol {
  uint32_t index = 0;
  absl::string_view name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t bind = 0;
  uint8_t type = 0;
  uint16_t shndx = 0;  // kShnUndef, kShnAbs, kShnCommon or a valid section index

  bool defined() const { return shndx != kShnUndef && shndx != kShnCommon; }
};

struct ElfRela {
  uint64_t offset = 0;   // offset + RelocWidth(type) <= target section size
  uint32_t type = 0;     // R_AARCH64_*
  uint32_t symbol = 0;   // index into symbols(); 0 is the null symbol
  int64_t addend = 0;
};

// One SHT_RELA section and the section it applies to.
struct ElfRelaSection {
  uint32_t section = 0;  // the SHT_RELA section's own index
  uint32_t target = 0;   // sh_info
  std::vector<ElfRela> relocs;
};

class ElfObject {
 public:
  // Copies `bytes`; the object owns its data afterwards. Move-only: names
  // point into that copy.
  static absl::StatusOr<ElfObject> Parse(std::span<const uint8_t> bytes);
  ElfObject(ElfObject&&) = default;
  ElfObject& operator=(ElfObject&&) = default;
  ElfObject(const ElfObject&) = delete;
  ElfObject& operator=(const ElfObject&) = delete;

  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }  // [0] is the null symbol
  const std::vector<ElfRelaSection>& rela_sections() const { return relas_; }

  // The section's bytes (empty for SHT_NOBITS).
  std::span<const uint8_t> contents(const ElfSection& s) const;
  // The first section with this exact name, or nullptr.
  const ElfSection* FindSection(absl::string_view name) const;
  // The first defined or undefined symbol with this name, or nullptr.
  const ElfSymbol* FindSymbol(absl::string_view name) const;

 private:
  ElfObject() = default;
  std::vector<uint8_t> data_;
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
  std::vector<ElfRelaSection> relas_;
};

// "R_AARCH64_CALL26" for 283, "relocation type 1234" for unknown numbers.
std::string RelocTypeName(uint32_t type);
// Bytes a relocation of this type patches: 8 (ABS64, PREL64), 2 (ABS16,
// PREL16), 4 for the rest (32-bit data and every instruction type).
uint32_t RelocWidth(uint32_t type);

// Relocation type numbers (AArch64 ELF ABI, "ELF64 relocations").
namespace reloc {
inline constexpr uint32_t kNone = 0, kNoneAlt = 256;
inline constexpr uint32_t kAbs64 = 257, kAbs32 = 258, kAbs16 = 259;
inline constexpr uint32_t kPrel64 = 260, kPrel32 = 261, kPrel16 = 262;
inline constexpr uint32_t kMovwUabsG0 = 263, kMovwUabsG0Nc = 264, kMovwUabsG1 = 265,
                          kMovwUabsG1Nc = 266, kMovwUabsG2 = 267, kMovwUabsG2Nc = 268,
                          kMovwUabsG3 = 269;
inline constexpr uint32_t kMovwSabsG0 = 270, kMovwSabsG1 = 271, kMovwSabsG2 = 272;
inline constexpr uint32_t kLdPrelLo19 = 273, kAdrPrelLo21 = 274, kAdrPrelPgHi21 = 275,
                          kAdrPrelPgHi21Nc = 276, kAddAbsLo12Nc = 277, kLdst8AbsLo12Nc = 278;
inline constexpr uint32_t kTstbr14 = 279, kCondbr19 = 280, kJump26 = 282, kCall26 = 283;
inline constexpr uint32_t kLdst16AbsLo12Nc = 284, kLdst32AbsLo12Nc = 285,
                          kLdst64AbsLo12Nc = 286;
inline constexpr uint32_t kMovwPrelG0 = 287, kMovwPrelG0Nc = 288, kMovwPrelG1 = 289,
                          kMovwPrelG1Nc = 290, kMovwPrelG2 = 291, kMovwPrelG2Nc = 292,
                          kMovwPrelG3 = 293;
inline constexpr uint32_t kLdst128AbsLo12Nc = 299;
inline constexpr uint32_t kPlt32 = 314;
}  // namespace reloc

}  // namespace pkvm::arm64

#endif  // PKVM_ARCH_AARCH64_ELF_OBJECT_H_

// File: arch/aarch64/elf_object.cc -- see elf_object.h.
#include "elf_object.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pkvm::arm64 {
namespace {

constexpr size_t kEhdrSize = 64;
constexpr size_t kShdrSize = 64;
constexpr size_t kSymSize = 24;
constexpr size_t kRelaSize = 24;

// Little-endian field readers; callers have bounds-checked `p`.
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t Le64(const uint8_t* p) {
  return static_cast<uint64_t>(Le32(p)) | (static_cast<uint64_t>(Le32(p + 4)) << 32);
}

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("not a valid AArch64 relocatable ELF object: ", what));
}

// [off, off+len) lies inside a buffer of `size` bytes (overflow-safe).
bool InBounds(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

// A NUL-terminated string at `off` in string table `tab`.
absl::StatusOr<absl::string_view> StringAt(std::span<const uint8_t> tab, uint64_t off,
                                          absl::string_view what) {
  if (off >= tab.size())
    return Bad(absl::StrFormat("%s: name offset %#x is outside its string table (%#x bytes)", what,
                               off, tab.size()));
  const auto* begin = reinterpret_cast<const char*>(tab.data()) + off;
  const void* nul = std::memchr(begin, 0, tab.size() - off);
  if (nul == nullptr)
    return Bad(absl::StrFormat("%s: name at offset %#x is not NUL-terminated", what, off));
  return absl::string_view(begin, static_cast<const char*>(nul) - begin);
}

}  // namespace

uint32_t RelocWidth(uint32_t type) {
  switch (type) {
    case reloc::kAbs64:
    case reloc::kPrel64:
      return 8;
    case reloc::kAbs16:
    case reloc::kPrel16:
      return 2;
    case reloc::kNone:
    case reloc::kNoneAlt:
      return 0;
    default:
      return 4;
  }
}

std::string RelocTypeName(uint32_t type) {
  switch (type) {
    case reloc::kNone: return "R_AARCH64_NONE(0)";
    case reloc::kNoneAlt: return "R_AARCH64_NONE";
    case reloc::kAbs64: return "R_AARCH64_ABS64";
    case reloc::kAbs32: return "R_AARCH64_ABS32";
    case reloc::kAbs16: return "R_AARCH64_ABS16";
    case reloc::kPrel64: return "R_AARCH64_PREL64";
    case reloc::kPrel32: return "R_AARCH64_PREL32";
    case reloc::kPrel16: return "R_AARCH64_PREL16";
    case reloc::kMovwUabsG0: return "R_AARCH64_MOVW_UABS_G0";
    case reloc::kMovwUabsG0Nc: return "R_AARCH64_MOVW_UABS_G0_NC";
    case reloc::kMovwUabsG1: return "R_AARCH64_MOVW_UABS_G1";
    case reloc::kMovwUabsG1Nc: return "R_AARCH64_MOVW_UABS_G1_NC";
    case reloc::kMovwUabsG2: return "R_AARCH64_MOVW_UABS_G2";
    case reloc::kMovwUabsG2Nc: return "R_AARCH64_MOVW_UABS_G2_NC";
    case reloc::kMovwUabsG3: return "R_AARCH64_MOVW_UABS_G3";
    case reloc::kMovwSabsG0: return "R_AARCH64_MOVW_SABS_G0";
    case reloc::kMovwSabsG1: return "R_AARCH64_MOVW_SABS_G1";
    case reloc::kMovwSabsG2: return "R_AARCH64_MOVW_SABS_G2";
    case reloc::kLdPrelLo19: return "R_AARCH64_LD_PREL_LO19";
    case reloc::kAdrPrelLo21: return "R_AARCH64_ADR_PREL_LO21";
    case reloc::kAdrPrelPgHi21: return "R_AARCH64_ADR_PREL_PG_HI21";
    case reloc::kAdrPrelPgHi21Nc: return "R_AARCH64_ADR_PREL_PG_HI21_NC";
    case reloc::kAddAbsLo12Nc: return "R_AARCH64_ADD_ABS_LO12_NC";
    case reloc::kLdst8AbsLo12Nc: return "R_AARCH64_LDST8_ABS_LO12_NC";
    case reloc::kTstbr14: return "R_AARCH64_TSTBR14";
    case reloc::kCondbr19: return "R_AARCH64_CONDBR19";
    case reloc::kJump26: return "R_AARCH64_JUMP26";
    case reloc::kCall26: return "R_AARCH64_CALL26";
    case reloc::kLdst16AbsLo12Nc: return "R_AARCH64_LDST16_ABS_LO12_NC";
    case reloc::kLdst32AbsLo12Nc: return "R_AARCH64_LDST32_ABS_LO12_NC";
    case reloc::kLdst64AbsLo12Nc: return "R_AARCH64_LDST64_ABS_LO12_NC";
    case reloc::kMovwPrelG0: return "R_AARCH64_MOVW_PREL_G0";
    case reloc::kMovwPrelG0Nc: return "R_AARCH64_MOVW_PREL_G0_NC";
    case reloc::kMovwPrelG1: return "R_AARCH64_MOVW_PREL_G1";
    case reloc::kMovwPrelG1Nc: return "R_AARCH64_MOVW_PREL_G1_NC";
    case reloc::kMovwPrelG2: return "R_AARCH64_MOVW_PREL_G2";
    case reloc::kMovwPrelG2Nc: return "R_AARCH64_MOVW_PREL_G2_NC";
    case reloc::kMovwPrelG3: return "R_AARCH64_MOVW_PREL_G3";
    case reloc::kLdst128AbsLo12Nc: return "R_AARCH64_LDST128_ABS_LO12_NC";
    case reloc::kPlt32: return "R_AARCH64_PLT32";
    // Common in objects built the wrong way; named so the error says why.
    case 311: return "R_AARCH64_ADR_GOT_PAGE";
    case 312: return "R_AARCH64_LD64_GOT_LO12_NC";
    case 309: return "R_AARCH64_GOT_LD_PREL19";
    case 1024: return "R_AARCH64_COPY";
    case 1025: return "R_AARCH64_GLOB_DAT";
    case 1026: return "R_AARCH64_JUMP_SLOT";
    case 1027: return "R_AARCH64_RELATIVE";
    default:
      if (type >= 512 && type < 580) return absl::StrCat("R_AARCH64_TLS relocation type ", type);
      return absl::StrCat("relocation type ", type);
  }
}

absl::StatusOr<ElfObject> ElfObject::Parse(std::span<const uint8_t> bytes) {
  ElfObject obj;
  obj.data_.assign(bytes.begin(), bytes.end());
  const std::vector<uint8_t>& d = obj.data_;
  const uint64_t size = d.size();
  const uint8_t* p = d.data();

  // ---- ELF header ----
  if (size < kEhdrSize)
    return Bad(absl::StrFormat("file is %d bytes, shorter than an ELF64 header (64)", size));
  if (std::memcmp(p, "\x7f" "ELF", 4) != 0) return Bad("no ELF magic (\\x7fELF)");
  if (p[4] != 2) return Bad(absl::StrFormat("ELF class %d, expected ELFCLASS64 (2)", p[4]));
  if (p[5] != 1)
    return Bad(absl::StrFormat("data encoding %d, expected little-endian ELFDATA2LSB (1)", p[5]));
  if (p[6] != 1) return Bad(absl::StrFormat("ELF version %d, expected 1", p[6]));
  const uint16_t e_type = Le16(p + 16);
  const uint16_t e_machine = Le16(p + 18);
  if (e_machine != kEmAarch64)
    return Bad(absl::StrFormat("e_machine %d, expected EM_AARCH64 (183)", e_machine));
  if (e_type != kEtRel)
    return Bad(absl::StrFormat(
        "e_type %d, expected ET_REL (1): a kernel module is a relocatable object", e_type));
  const uint64_t e_shoff = Le64(p + 40);
  const uint16_t e_shentsize = Le16(p + 58);
  const uint16_t e_shnum = Le16(p + 60);
  const uint16_t e_shstrndx = Le16(p + 62);
  if (e_shnum == 0)
    return Bad(e_shoff != 0 ? "extended section numbering (e_shnum 0) is not supported"
                            : "no section headers");
  if (e_shentsize != kShdrSize)
    return Bad(absl::StrFormat("e_shentsize %d, expected 64", e_shentsize));
  if (!InBounds(e_shoff, uint64_t{e_shnum} * kShdrSize, size))
    return Bad(absl::StrFormat("section header table (%d entries at %#x) runs past the end of "
                               "the file (%#x bytes)",
                               e_shnum, e_shoff, size));
  if (e_shstrndx == 0 || e_shstrndx >= e_shnum)
    return Bad(absl::StrFormat("e_shstrndx %d is not a section index (%d sections)", e_shstrndx,
                               e_shnum));

  // ---- section headers ----
  obj.sections_.resize(e_shnum);
  for (uint32_t i = 0; i < e_shnum; ++i) {
    const uint8_t* sh = p + e_shoff + uint64_t{i} * kShdrSize;
    ElfSection& s = obj.sections_[i];
    s.index = i;
    s.type = Le32(sh + 4);
    s.flags = Le64(sh + 8);
    s.offset = Le64(sh + 24);
    s.size = Le64(sh + 32);
    s.link = Le32(sh + 40);
    s.info = Le32(sh + 44);
    s.addralign = Le64(sh + 48);
    s.entsize = Le64(sh + 56);
    if (i == 0) continue;  // the null section header: contents ignored
    if (s.type != kShtNobits && s.type != kShtNull && !InBounds(s.offset, s.size, size))
      return Bad(absl::StrFormat("section %d: contents [%#x, +%#x) run past the end of the file "
                                 "(%#x bytes)",
                                 i, s.offset, s.size, size));
    if (s.addralign != 0 && (s.addralign & (s.addralign - 1)) != 0)
      return Bad(absl::StrFormat("section %d: sh_addralign %#x is not a power of two", i,
                                 s.addralign));
  }
  const ElfSection& shstr = obj.sections_[e_shstrndx];
  if (shstr.type != kShtStrtab)
    return Bad(absl::StrFormat("e_shstrndx %d is not a string table (type %d)", e_shstrndx,
                               shstr.type));
  const std::span<const uint8_t> shstrtab(p + shstr.offset, shstr.size);
  for (uint32_t i = 1; i < e_shnum; ++i) {
    ElfSection& s = obj.sections_[i];
    auto name = StringAt(shstrtab, Le32(p + e_shoff + uint64_t{i} * kShdrSize),
                         absl::StrCat("section ", i));
    if (!name.ok()) return name.status();
    s.name = *name;
  }

  auto where = [](const ElfSection& s) { return absl::StrFormat("section %d (%s)", s.index, s.name); };

  // ---- symbol table ----
  const ElfSection* symtab = nullptr;
  for (const ElfSection& s : obj.sections_) {
    if (s.type == kShtRel)
      return Bad(absl::StrCat(where(s),
                              " is SHT_REL: AArch64 objects use SHT_RELA only (arm64 has no REL "
                              "support)"));
    if (s.type == kShtSymtabShndx)
      return Bad(absl::StrCat(where(s), ": SHT_SYMTAB_SHNDX (over 65280 sections) is not supported"));
    if (s.type != kShtSymtab) continue;
    if (symtab != nullptr) return Bad(absl::StrCat(where(s), ": a second symbol table"));
    symtab = &s;
  }
  if (symtab != nullptr) {
    if (symtab->entsize != kSymSize || symtab->size % kSymSize != 0)
      return Bad(absl::StrFormat("%s: symbol entries of %d bytes in %d bytes, expected 24-byte "
                                 "entries",
                                 where(*symtab), symtab->entsize, symtab->size));
    if (symtab->link == 0 || symtab->link >= e_shnum ||
        obj.sections_[symtab->link].type != kShtStrtab)
      return Bad(absl::StrFormat("%s: sh_link %d is not a string table", where(*symtab),
                                 symtab->link));
    const ElfSection& str = obj.sections_[symtab->link];
    const std::span<const uint8_t> strtab(p + str.offset, str.size);
    const uint64_t n = symtab->size / kSymSize;
    obj.symbols_.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* e = p + symtab->offset + i * kSymSize;
      ElfSymbol& sym = obj.symbols_[i];
      sym.index = static_cast<uint32_t>(i);
      const uint8_t info = e[4];
      sym.bind = info >> 4;
      sym.type = info & 0xf;
      sym.shndx = Le16(e + 6);
      sym.value = Le64(e + 8);
      sym.size = Le64(e + 16);
      auto name = StringAt(strtab, Le32(e), absl::StrCat("symbol ", i));
      if (!name.ok()) return name.status();
      sym.name = *name;
      if (sym.shndx == kShnXindex)
        return Bad(absl::StrFormat("symbol %d (%s): SHN_XINDEX is not supported", i, sym.name));
      if (sym.shndx >= e_shnum && sym.shndx != kShnAbs && sym.shndx != kShnCommon)
        return Bad(absl::StrFormat("symbol %d (%s): section index %#x is out of range (%d "
                                   "sections)",
                                   i, sym.name, sym.shndx, e_shnum));
    }
  }

  // ---- relocations ----
  for (const ElfSection& s : obj.sections_) {
    if (s.type != kShtRela) continue;
    if (symtab == nullptr) return Bad(absl::StrCat(where(s), ": relocations but no symbol table"));
    if (s.link != symtab->index)
      return Bad(absl::StrFormat("%s: sh_link %d is not the symbol table (%d)", where(s), s.link,
                                 symtab->index));
    if (s.entsize != kRelaSize || s.size % kRelaSize != 0)
      return Bad(absl::StrFormat("%s: RELA entries of %d bytes in %d bytes, expected 24-byte "
                                 "entries",
                                 where(s), s.entsize, s.size));
    if (s.info == 0 || s.info >= e_shnum)
      return Bad(absl::StrFormat("%s: sh_info %d is not a section index", where(s), s.info));
    const ElfSection& target = obj.sections_[s.info];
    if (target.type == kShtNobits && s.size != 0)
      return Bad(absl::StrCat(where(s), " relocates ", where(target), ", which has no contents"));
    if (target.type == kShtRela || target.type == kShtSymtab || target.type == kShtStrtab)
      return Bad(absl::StrCat(where(s), " relocates ", where(target),
                              ", which is not a section with contents"));
    ElfRelaSection rs;
    rs.section = s.index;
    rs.target = target.index;
    const uint64_t n = s.size / kRelaSize;
    rs.relocs.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* e = p + s.offset + i * kRelaSize;
      ElfRela& r = rs.relocs[i];
      r.offset = Le64(e);
      const uint64_t info = Le64(e + 8);
      r.type = static_cast<uint32_t>(info);
      const uint64_t sym = info >> 32;
      r.addend = static_cast<int64_t>(Le64(e + 16));
      if (sym >= obj.symbols_.size())
        return Bad(absl::StrFormat("%s entry %d: symbol index %d is out of range (%d symbols)",
                                   where(s), i, sym, obj.symbols_.size()));
      r.symbol = static_cast<uint32_t>(sym);
      if (!InBounds(r.offset, RelocWidth(r.type), target.size) ||
          (RelocWidth(r.type) == 0 && r.offset > target.size))
        return Bad(absl::StrFormat("%s entry %d (%s): offset %#x is outside %s (%#x bytes)",
                                   where(s), i, RelocTypeName(r.type), r.offset, target.name,
                                   target.size));
    }
    obj.relas_.push_back(std::move(rs));
  }
  return obj;
}

std::span<const uint8_t> ElfObject::contents(const ElfSection& s) const {
  if (s.type == kShtNobits || s.type == kShtNull || s.index == 0) return {};
  return std::span<const uint8_t>(data_.data() + s.offset, s.size);
}

const ElfSection* ElfObject::FindSection(absl::string_view name) const {
  for (const ElfSection& s : sections_)
    if (s.index != 0 && s.name == name) return &s;
  return nullptr;
}

const ElfSymbol* ElfObject::FindSymbol(absl::string_view name) const {
  for (const ElfSymbol& s : symbols_)
    if (s.index != 0 && s.name == name) return &s;
  return nullptr;
}

}  // namespace pkvm::arm64

// File: arch/aarch64/module_linker.cc -- see module_linker.h.
#include "module_linker.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkvm/kmodule.h"

namespace pkvm::arm64 {

static_assert(std::endian::native == std::endian::little,
              "the module linker writes AArch64 (little-endian) data with host stores");

namespace {

// |d| without negating INT64_MIN (undefined), for messages about distances.
uint64_t AbsDistance(int64_t d) {
  return d < 0 ? uint64_t{0} - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
}

constexpr uint64_t kNotLoaded = std::numeric_limits<uint64_t>::max();
// Sanity limits: a pKVM module is kilobytes; these only stop absurd inputs
// from making the layout arithmetic overflow.
constexpr uint64_t kMaxSectionSize = 1ull << 30;
constexpr uint64_t kMaxAlign = 1ull << 20;
constexpr uint64_t kMaxImageSize = 1ull << 32;

constexpr absl::string_view kThisModuleSection = ".gnu.linkonce.this_module";
constexpr absl::string_view kEl2Prefix = "__kvm_nvhe_";

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

bool IsHypName(absl::string_view name) { return absl::StartsWith(name, ".hyp"); }

// The sections pKVM maps at EL2 (the others named .hyp.* stay EL1 data).
bool IsMappedHypSection(absl::string_view name) {
  return name == ".hyp.text" || name == ".hyp.bss" || name == ".hyp.rodata" ||
         name == ".hyp.data" || name == ".hyp.event_ids" ||
         name == ".hyp.patchable_function_entries";
}

absl::Status Err(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

// ---- instruction field helpers ---------------------------------------------

uint32_t Read32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void Write32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// Puts `imm` (already shifted to bit 0) into bits [lsb, lsb+width) of insn.
uint32_t SetField(uint32_t insn, uint64_t imm, int lsb, int width) {
  const uint32_t mask = ((1u << width) - 1) << lsb;
  return (insn & ~mask) | ((static_cast<uint32_t>(imm) << lsb) & mask);
}

// ADR/ADRP immediate: immlo = bits [30:29], immhi = bits [23:5].
uint32_t SetAdrImm(uint32_t insn, uint64_t imm21) {
  insn = SetField(insn, imm21 & 3, 29, 2);
  return SetField(insn, (imm21 >> 2) & 0x7ffff, 5, 19);
}

}  // namespace

// ---- parsing and layout -------------------------------------------------------

absl::StatusOr<KoImage> KoImage::Parse(std::span<const uint8_t> bytes, const LinkOptions& options) {
  auto elf = ElfObject::Parse(bytes);
  if (!elf.ok()) return elf.status();
  KoImage ko(std::move(elf).value(), options);
  const ElfObject& e = ko.elf_;

  for (const ElfSymbol& s : e.symbols()) {
    if (s.shndx == kShnCommon)
      return Err(absl::StrFormat("symbol %s is a COMMON symbol: compile the module with -fno-common",
                                 s.name));
  }
  if (options.require_this_module && e.FindSection(kThisModuleSection) == nullptr)
    return Err("no .gnu.linkonce.this_module section: not a kernel module (modpost's "
               "<module>.mod.c defines it; build the module with pkvm_add_module())");

  // layout_sections(): executable, then read-only, then writable; each group
  // starts on a page.
  ko.offsets_.assign(e.sections().size(), kNotLoaded);
  uint64_t off = 0;
  for (int group = 0; group < 3; ++group) {
    off = AlignUp(off, kModulePageSize);
    for (const ElfSection& s : e.sections()) {
      if (s.index == 0 || !s.alloc()) continue;
      const bool exec = (s.flags & kShfExecinstr) != 0, write = (s.flags & kShfWrite) != 0;
      const int g = exec && !write ? 0 : (!write ? 1 : 2);
      if (g != group) continue;
      if (s.size > kMaxSectionSize)
        return Err(absl::StrFormat("section %s is %#x bytes, more than a module can have", s.name,
                                   s.size));
      if (s.addralign > kMaxAlign)
        return Err(absl::StrFormat("section %s asks for %#x-byte alignment (at most %#x)", s.name,
                                   s.addralign, kMaxAlign));
      if ((s.flags & kShfAlloc) != 0 && s.type != kShtNobits && s.type != kShtProgbits &&
          s.type != 14 /* INIT_ARRAY */ && s.type != 15 /* FINI_ARRAY */ && s.type != 7 /* NOTE */)
        return Err(absl::StrFormat("section %s: SHF_ALLOC section of unexpected type %d", s.name,
                                   s.type));
      const uint64_t align = std::max<uint64_t>(s.addralign, 1);
      off = AlignUp(off, align);
      ko.offsets_[s.index] = off;
      off += s.size;
      // A .hyp section's pages are donated to EL2: nothing else may share them.
      if (IsHypName(s.name)) off = AlignUp(off, kModulePageSize);
      if (off > kMaxImageSize) return Err("the module's sections add up to more than 4 GiB");
    }
  }
  ko.size_ = std::max<uint64_t>(AlignUp(off, kModulePageSize), kModulePageSize);
  return ko;
}

// ---- linking -------------------------------------------------------------------

namespace {

struct Linker {
  const KoImage& ko;
  const ElfObject& elf;
  GuestRegion region;
  const SymbolResolver& resolve;
  LinkedModule mod;
  std::vector<std::optional<uint64_t>> sym_value;  // resolved S per symbol index

  uint64_t SectionAddr(uint32_t index) const { return region.base + ko.offset(index); }
  bool Loaded(uint32_t index) const {
    return index < elf.sections().size() && ko.offset(index) != kNotLoaded;
  }
  uint8_t* Host(uint64_t addr) { return region.host.data() + (addr - region.base); }

  std::string SymName(const ElfSymbol& s) const {
    if (s.index == 0) return "(none)";
    if (s.type == kSttSection && s.shndx < elf.sections().size())
      return absl::StrCat("section ", elf.sections()[s.shndx].name);
    return std::string(s.name);
  }

  std::string Where(const ElfSection& target, uint64_t offset, uint32_t type,
                    const ElfSymbol& sym) const {
    return absl::StrFormat("%s at %s+%#x against %s", RelocTypeName(type), target.name, offset,
                           SymName(sym));
  }

  // S for symbol `sym`; undefined ones through the resolver (cached).
  absl::StatusOr<uint64_t> SymbolValue(const ElfSymbol& sym, const std::string& where) {
    if (sym.index == 0) return 0;
    if (sym_value[sym.index]) return *sym_value[sym.index];
    uint64_t v = 0;
    if (sym.shndx == kShnAbs) {
      v = sym.value;
    } else if (sym.shndx == kShnUndef) {
      auto r = resolve ? resolve(sym.name) : absl::NotFoundError("no resolver");
      if (r.ok()) {
        v = *r;
      } else if (sym.bind == kStbWeak) {
        v = 0;  // as the kernel: an unresolved weak symbol is 0
      } else {
        return Err(absl::StrFormat(
            "unknown symbol %s (%s): the simulated kernel does not export it%s", sym.name, where,
            r.status().code() == absl::StatusCode::kNotFound
                ? ""
                : absl::StrCat(" (", r.status().message(), ")")));
      }
    } else if (Loaded(sym.shndx)) {
      v = SectionAddr(sym.shndx) + sym.value;
    } else {
      return Err(absl::StrFormat("%s: symbol %s is in section %s, which is not loaded (no "
                                 "SHF_ALLOC)",
                                 where, SymName(sym), elf.sections()[sym.shndx].name));
    }
    sym_value[sym.index] = v;
    return v;
  }

  absl::Status Apply(const ElfSection& target, const ElfRela& r);
  absl::Status Run();
  absl::Status ReadThisModule();
  absl::Status BuildHypLayout();
};

// One relocation. P = place, S = symbol value, A = addend (AArch64 ELF ABI).
absl::Status Linker::Apply(const ElfSection& target, const ElfRela& r) {
  const ElfSymbol& sym = elf.symbols()[r.symbol];
  const std::string where = Where(target, r.offset, r.type, sym);
  if (r.type == reloc::kNone || r.type == reloc::kNoneAlt) return absl::OkStatus();

  const uint64_t P = SectionAddr(target.index) + r.offset;
  uint8_t* place = Host(P);
  const bool in_hyp = IsHypName(target.name);

  // Instruction relocations from EL2 code: the target must travel with the
  // image (a .hyp section), or be an imported function (patched later).
  const bool is_branch = r.type == reloc::kCall26 || r.type == reloc::kJump26;
  if (in_hyp && sym.index != 0 && sym.shndx == kShnUndef) {
    if (is_branch) {
      mod.el2_imports.push_back({P, r.type, r.addend, std::string(sym.name)});
      return absl::OkStatus();
    }
    if (r.type != reloc::kAbs64)
      return Err(absl::StrFormat("%s: EL2 code can only call functions it does not define (BL/B); "
                                 "data of the hypervisor is reached through pkvm_module_ops",
                                 where));
  }

  auto s = SymbolValue(sym, where);
  if (!s.ok()) return s.status();
  const uint64_t S = *s;
  const int64_t A = r.addend;
  const uint64_t X = S + static_cast<uint64_t>(A);   // S + A
  const int64_t PX = static_cast<int64_t>(X - P);   // S + A - P

  auto range = [&](int64_t v, int64_t lo, int64_t hi, absl::string_view what) -> absl::Status {
    if (v >= lo && v < hi) return absl::OkStatus();
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: value %#x (symbol at %#x, place %#x) is out of range for %s [%d, %d)", where,
        static_cast<uint64_t>(v), S, P, what, lo, hi));
  };
  const bool insn = !(r.type >= reloc::kAbs64 && r.type <= reloc::kPrel16);
  if (insn && (P & 3) != 0)
    return Err(absl::StrFormat("%s: instruction relocation at a misaligned place %#x", where, P));
  const uint32_t ins = insn ? Read32(place) : 0;

  // MOVZ/MOVN/MOVK imm16 with an optional switch between MOVZ and MOVN on
  // the sign of the value (the non-_NC signed forms).
  auto movw = [&](int64_t value, int group, bool check, bool signed_form,
                  bool is_signed_value) -> absl::Status {
    const int lsb = group * 16;
    uint32_t out = ins;
    uint64_t imm;
    if (signed_form) {
      if (value < 0) {
        imm = static_cast<uint64_t>(~value) >> lsb;
        out &= ~(3u << 29);  // MOVN (opc 00)
      } else {
        imm = static_cast<uint64_t>(value) >> lsb;
        out = (out & ~(3u << 29)) | (2u << 29);  // MOVZ (opc 10)
      }
    } else {
      imm = static_cast<uint64_t>(value) >> lsb;
    }
    if (check && (imm >> 16) != 0) {
      return absl::OutOfRangeError(absl::StrFormat(
          "%s: value %#x (symbol at %#x) does not fit a %s 16-bit move of group %d", where,
          static_cast<uint64_t>(value), S, is_signed_value ? "signed" : "unsigned", group));
    }
    Write32(place, SetField(out, imm & 0xffff, 5, 16));
    return absl::OkStatus();
  };

  switch (r.type) {
    // ---- data ----
    case reloc::kAbs64: {
      std::memcpy(place, &X, 8);
      return absl::OkStatus();
    }
    case reloc::kAbs32: {
      if (auto st = range(static_cast<int64_t>(X), INT32_MIN, int64_t{1} << 32, "a 32-bit word");
          !st.ok())
        return st;
      const uint32_t v = static_cast<uint32_t>(X);
      std::memcpy(place, &v, 4);
      return absl::OkStatus();
    }
    case reloc::kAbs16: {
      if (auto st = range(static_cast<int64_t>(X), INT16_MIN, int64_t{1} << 16, "a 16-bit word");
          !st.ok())
        return st;
      const uint16_t v = static_cast<uint16_t>(X);
      std::memcpy(place, &v, 2);
      return absl::OkStatus();
    }
    case reloc::kPrel64: {
      std::memcpy(place, &PX, 8);
      return absl::OkStatus();
    }
    case reloc::kPrel32: {
      if (auto st = range(PX, INT32_MIN, int64_t{INT32_MAX} + 1, "a signed 32-bit offset"); !st.ok())
        return st;
      const int32_t v = static_cast<int32_t>(PX);
      std::memcpy(place, &v, 4);
      return absl::OkStatus();
    }
    case reloc::kPrel16: {
      if (auto st = range(PX, INT16_MIN, int64_t{INT16_MAX} + 1, "a signed 16-bit offset"); !st.ok())
        return st;
      const int16_t v = static_cast<int16_t>(PX);
      std::memcpy(place, &v, 2);
      return absl::OkStatus();
    }

    // ---- MOVW ----
    case reloc::kMovwUabsG0:
    case reloc::kMovwUabsG1:
    case reloc::kMovwUabsG2:
      return movw(static_cast<int64_t>(X), static_cast<int>(r.type - reloc::kMovwUabsG0) / 2, true,
                  false, false);
    case reloc::kMovwUabsG0Nc:
    case reloc::kMovwUabsG1Nc:
    case reloc::kMovwUabsG2Nc:
    case reloc::kMovwUabsG3:
      return movw(static_cast<int64_t>(X), static_cast<int>(r.type - reloc::kMovwUabsG0) / 2,
                  false, false, false);
    case reloc::kMovwSabsG0:
    case reloc::kMovwSabsG1:
    case reloc::kMovwSabsG2:
      return movw(static_cast<int64_t>(X), static_cast<int>(r.type - reloc::kMovwSabsG0), true,
                  true, true);
    case reloc::kMovwPrelG0:
    case reloc::kMovwPrelG1:
    case reloc::kMovwPrelG2:
      return movw(PX, static_cast<int>(r.type - reloc::kMovwPrelG0) / 2, true, true, true);
    case reloc::kMovwPrelG3:
      return movw(PX, 3, false, true, true);
    case reloc::kMovwPrelG0Nc:
    case reloc::kMovwPrelG1Nc:
    case reloc::kMovwPrelG2Nc:
      return movw(PX, static_cast<int>(r.type - reloc::kMovwPrelG0Nc) / 2, false, false, true);

    // ---- PC-relative instructions ----
    case reloc::kLdPrelLo19:
    case reloc::kCondbr19: {
      if (auto st = range(PX, -(int64_t{1} << 20), int64_t{1} << 20,
                          r.type == reloc::kCondbr19 ? "a conditional branch (±1 MiB)"
                                                     : "a literal load (±1 MiB)");
          !st.ok())
        return st;
      if (PX & 3) return Err(absl::StrFormat("%s: target %#x is not 4-byte aligned", where, X));
      Write32(place, SetField(ins, static_cast<uint64_t>(PX >> 2) & 0x7ffff, 5, 19));
      return absl::OkStatus();
    }
    case reloc::kTstbr14: {
      if (auto st = range(PX, -(int64_t{1} << 15), int64_t{1} << 15, "TBZ/TBNZ (±32 KiB)");
          !st.ok())
        return st;
      if (PX & 3) return Err(absl::StrFormat("%s: target %#x is not 4-byte aligned", where, X));
      Write32(place, SetField(ins, static_cast<uint64_t>(PX >> 2) & 0x3fff, 5, 14));
      return absl::OkStatus();
    }
    case reloc::kJump26:
    case reloc::kCall26: {
      if (PX < -(int64_t{1} << 27) || PX >= (int64_t{1} << 27)) {
        return absl::OutOfRangeError(absl::StrFormat(
            "%s: target %#x is %#x bytes from the branch at %#x, out of the ±128 MiB range of "
            "B/BL (the kernel would add a PLT veneer; place the module within 128 MiB of the "
            "functions it calls)",
            where, X, AbsDistance(PX), P));
      }
      if (PX & 3) return Err(absl::StrFormat("%s: target %#x is not 4-byte aligned", where, X));
      Write32(place, SetField(ins, static_cast<uint64_t>(PX >> 2) & 0x3ffffff, 0, 26));
      return absl::OkStatus();
    }
    case reloc::kAdrPrelLo21: {
      if (auto st = range(PX, -(int64_t{1} << 20), int64_t{1} << 20, "ADR (±1 MiB)"); !st.ok())
        return st;
      Write32(place, SetAdrImm(ins, static_cast<uint64_t>(PX)));
      return absl::OkStatus();
    }
    case reloc::kAdrPrelPgHi21:
    case reloc::kAdrPrelPgHi21Nc: {
      const int64_t pages = static_cast<int64_t>((X & ~0xfffull) - (P & ~0xfffull));
      if (r.type == reloc::kAdrPrelPgHi21) {
        if (auto st = range(pages, -(int64_t{1} << 32), int64_t{1} << 32, "ADRP (±4 GiB)");
            !st.ok())
          return st;
      }
      Write32(place, SetAdrImm(ins, static_cast<uint64_t>(pages >> 12)));
      return absl::OkStatus();
    }

    // ---- absolute low 12 bits ----
    case reloc::kAddAbsLo12Nc:
      Write32(place, SetField(ins, X & 0xfff, 10, 12));
      return absl::OkStatus();
    case reloc::kLdst8AbsLo12Nc:
    case reloc::kLdst16AbsLo12Nc:
    case reloc::kLdst32AbsLo12Nc:
    case reloc::kLdst64AbsLo12Nc:
    case reloc::kLdst128AbsLo12Nc: {
      const int shift = r.type == reloc::kLdst8AbsLo12Nc    ? 0
                        : r.type == reloc::kLdst16AbsLo12Nc ? 1
                        : r.type == reloc::kLdst32AbsLo12Nc ? 2
                        : r.type == reloc::kLdst64AbsLo12Nc ? 3
                                                            : 4;
      if ((X & ((1u << shift) - 1)) != 0) {
        return Err(absl::StrFormat(
            "%s: address %#x is not %d-byte aligned, as the scaled load/store offset requires",
            where, X, 1 << shift));
      }
      Write32(place, SetField(ins, (X & 0xfff) >> shift, 10, 12));
      return absl::OkStatus();
    }
    default:
      break;
  }
  return absl::UnimplementedError(absl::StrFormat(
      "unsupported relocation %s at %s+%#x against %s: libpkvm's module loader handles what "
      "the arm64 kernel does (ABS*/PREL*, MOVW_*, ADR/ADRP, ADD/LDST *_LO12_NC, branches); "
      "build module code with -fno-PIE -fno-PIC and without thread-local data",
      RelocTypeName(r.type), target.name, r.offset, SymName(sym)));
}

absl::Status Linker::ReadThisModule() {
  const ElfSymbol* tm = elf.FindSymbol("__this_module");
  if (tm == nullptr || !tm->defined() || tm->shndx == kShnAbs || !Loaded(tm->shndx)) {
    if (ko.options().require_this_module)
      return Err("no __this_module symbol in .gnu.linkonce.this_module: not a kernel module");
    return absl::OkStatus();
  }
  const ElfSection& sec = elf.sections()[tm->shndx];
  constexpr uint64_t kInit = offsetof(pkvm_kmodule_a15, init);
  constexpr uint64_t kExit = offsetof(pkvm_kmodule_a15, exit);
  static_assert(offsetof(pkvm_kmodule_a14, init) == kInit && offsetof(pkvm_kmodule_a16, init) == kInit);
  if (sec.type == kShtNobits || tm->value > sec.size || sec.size - tm->value < kExit + 8)
    return Err(absl::StrFormat("__this_module in %s is too small for a struct module (%d bytes)",
                               sec.name, kExit + 8));
  mod.this_module = SectionAddr(sec.index) + tm->value;
  const uint8_t* p = Host(mod.this_module);
  std::memcpy(&mod.init, p + kInit, 8);
  std::memcpy(&mod.exit, p + kExit, 8);
  const char* name = reinterpret_cast<const char*>(p);
  mod.name.assign(name, strnlen(name, PKVM_MODULE_NAME_LEN));
  return absl::OkStatus();
}

absl::Status Linker::BuildHypLayout() {
  struct Named {
    absl::string_view name;
    AddrSpan* span;
  };
  HypLayout& h = mod.hyp;
  const Named named[] = {{".hyp.text", &h.text},
                         {".hyp.bss", &h.bss},
                         {".hyp.rodata", &h.rodata},
                         {".hyp.data", &h.data},
                         {".hyp.event_ids", &h.event_ids},
                         {".hyp.printk_fmts", &h.printk_fmts},
                         {".hyp.patchable_function_entries", &h.patchable_function_entries},
                         {".hyp.reloc", &h.reloc},
                         {"_hyp_events", &h.hyp_events}};
  for (const Named& n : named) {
    int found = 0;
    for (const ElfSection& s : elf.sections()) {
      if (s.index == 0 || s.name != n.name || !Loaded(s.index)) continue;
      if (++found > 1) return Err(absl::StrFormat("two %s sections", n.name));
      *n.span = {SectionAddr(s.index), SectionAddr(s.index) + s.size};
    }
  }
  mod.has_el2 = !h.text.empty();
  if (!mod.has_el2) return absl::OkStatus();
  if (elf.FindSection(".hyp.reloc") == nullptr || !Loaded(elf.FindSection(".hyp.reloc")->index))
    return Err("the module has EL2 code (.hyp.text) but no .hyp.reloc section (the kernel "
               "refuses it with -ENOEXEC; gen_hyprel makes it)");

  uint64_t lo = UINT64_MAX, hi = 0;
  for (const ElfSection& s : elf.sections()) {
    if (s.index == 0 || !Loaded(s.index) || !IsMappedHypSection(s.name) || s.size == 0) continue;
    lo = std::min(lo, SectionAddr(s.index));
    hi = std::max(hi, AlignUp(SectionAddr(s.index) + s.size, kModulePageSize));
  }
  h.image = {lo, hi};

  if (h.reloc.size() % 4 != 0)
    return Err(absl::StrFormat(".hyp.reloc is %d bytes, not a whole number of 4-byte entries",
                               h.reloc.size()));
  for (uint64_t e = h.reloc.start; e < h.reloc.end; e += 4) {
    int32_t rel;
    std::memcpy(&rel, Host(e), 4);
    const uint64_t slot = e + static_cast<uint64_t>(static_cast<int64_t>(rel));
    if (slot < h.image.start || slot > h.image.end - 8) {
      return Err(absl::StrFormat(
          ".hyp.reloc entry %d (at %#x) points at %#x, outside the EL2 image [%#x, %#x)",
          (e - h.reloc.start) / 4, e, slot, h.image.start, h.image.end));
    }
    mod.hyp_reloc_slots.push_back(slot);
  }
  return absl::OkStatus();
}

absl::Status Linker::Run() {
  if (region.base % kModulePageSize != 0)
    return absl::InvalidArgumentError(
        absl::StrFormat("module region base %#x is not page-aligned", region.base));
  if (region.host.size() < ko.size())
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the module needs %#x bytes of guest memory; the region has %#x", ko.size(),
        region.host.size()));
  if (region.base > UINT64_MAX - ko.size())
    return absl::InvalidArgumentError("module region wraps around the address space");
  mod.base = region.base;
  mod.size = ko.size();
  sym_value.assign(elf.symbols().size(), std::nullopt);

  // Copy the sections; NOBITS and the gaps are zero.
  std::memset(region.host.data(), 0, ko.size());
  for (const ElfSection& s : elf.sections()) {
    if (!Loaded(s.index)) continue;
    if (s.type != kShtNobits) {
      const auto bytes = elf.contents(s);
      if (!bytes.empty()) std::memcpy(Host(SectionAddr(s.index)), bytes.data(), bytes.size());
    }
    mod.sections.push_back({std::string(s.name), s.index, s.type, s.flags, SectionAddr(s.index), s.size});
  }

  // Relocations of loaded sections (the kernel skips non-SHF_ALLOC targets).
  for (const ElfRelaSection& rs : elf.rela_sections()) {
    const ElfSection& target = elf.sections()[rs.target];
    if (!Loaded(target.index)) continue;
    for (const ElfRela& r : rs.relocs) {
      const ElfSymbol& sym = elf.symbols()[r.symbol];
      // PC-relative code and data in EL2 sections must stay within the image.
      if (IsHypName(target.name) && sym.defined() && sym.shndx != kShnAbs &&
          sym.shndx < elf.sections().size() && r.type != reloc::kAbs64 &&
          r.type != reloc::kAbs32 && r.type != reloc::kNone && r.type != reloc::kNoneAlt &&
          !IsHypName(elf.sections()[sym.shndx].name)) {
        return Err(absl::StrFormat(
            "%s: EL2 code refers to %s in the EL1 section %s, which is not mapped at EL2",
            Where(target, r.offset, r.type, sym), SymName(sym), elf.sections()[sym.shndx].name));
      }
      if (auto st = Apply(target, r); !st.ok()) return st;
    }
  }

  for (const ElfSymbol& s : elf.symbols()) {
    if (s.index == 0 || s.name.empty() || s.type == kSttSection || s.type == kSttFile) continue;
    LinkedSymbol ls{std::string(s.name), 0, s.size, s.type, s.bind, s.defined()};
    if (s.shndx == kShnUndef) {
      if (!sym_value[s.index]) continue;  // never referenced
      ls.addr = *sym_value[s.index];
    } else if (s.shndx == kShnAbs) {
      ls.addr = s.value;
    } else if (Loaded(s.shndx)) {
      ls.addr = SectionAddr(s.shndx) + s.value;
    } else {
      continue;
    }
    mod.symbols.push_back(std::move(ls));
  }
  std::stable_sort(mod.symbols.begin(), mod.symbols.end(),
                   [](const LinkedSymbol& a, const LinkedSymbol& b) { return a.addr < b.addr; });

  if (auto st = ReadThisModule(); !st.ok()) return st;
  return BuildHypLayout();
}

}  // namespace

absl::StatusOr<LinkedModule> LinkModule(const KoImage& ko, GuestRegion region,
                                        const SymbolResolver& resolve) {
  Linker l{ko, ko.elf(), region, resolve, {}, {}};
  if (auto st = l.Run(); !st.ok()) return st;
  return std::move(l.mod);
}

// ---- after linking -------------------------------------------------------------

const LinkedSymbol* LinkedModule::FindSymbol(absl::string_view n) const {
  for (const LinkedSymbol& s : symbols)
    if (s.name == n) return &s;
  return nullptr;
}

std::string LinkedModule::Symbolize(uint64_t addr) const {
  const LinkedSymbol* best = nullptr;
  for (const LinkedSymbol& s : symbols) {
    if (!s.defined || s.addr > addr) continue;
    // Mapping symbols ($x, $d) and section brackets say nothing useful.
    absl::string_view n = s.name;
    if (absl::StartsWith(n, kEl2Prefix)) n.remove_prefix(kEl2Prefix.size());
    if (absl::StartsWith(n, "$") || absl::StartsWith(n, "__hyp_section_")) continue;
    if (s.type != kSttFunc && s.type != kSttObject && s.type != kSttNotype) continue;
    if (best == nullptr || s.addr >= best->addr) best = &s;
  }
  if (best == nullptr) return "";
  if (best->size != 0 && addr >= best->addr + best->size) return "";
  absl::string_view n = best->name;
  if (absl::StartsWith(n, kEl2Prefix)) n.remove_prefix(kEl2Prefix.size());
  return absl::StrFormat("%s+0x%x", n, addr - best->addr);
}

absl::Status ApplyHypRelocs(const LinkedModule& mod, GuestRegion region, uint64_t hyp_va) {
  if (region.base != mod.base || region.host.size() < mod.size)
    return absl::InvalidArgumentError("ApplyHypRelocs: not the region the module was linked into");
  const AddrSpan& img = mod.hyp.image;
  for (uint64_t slot : mod.hyp_reloc_slots) {
    uint8_t* p = region.host.data() + (slot - region.base);
    uint64_t v;
    std::memcpy(&v, p, 8);
    if (!img.contains(v)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "the 64-bit slot at %#x (%s) holds %#x, which is outside the EL2 image [%#x, %#x): "
          "an absolute address in EL2 code or data must point into the module's own .hyp "
          "sections",
          slot, mod.Symbolize(slot), v, img.start, img.end));
    }
    v = v - img.start + hyp_va;
    std::memcpy(p, &v, 8);
  }
  return absl::OkStatus();
}

absl::Status PatchEl2Imports(const LinkedModule& mod, GuestRegion region, uint64_t hyp_va,
                             const SymbolResolver& resolve_el2) {
  if (region.base != mod.base || region.host.size() < mod.size)
    return absl::InvalidArgumentError("PatchEl2Imports: not the region the module was linked into");
  for (const El2Import& imp : mod.el2_imports) {
    auto target = resolve_el2 ? resolve_el2(imp.symbol) : absl::NotFoundError("no resolver");
    if (!target.ok()) {
      return absl::NotFoundError(absl::StrFormat(
          "EL2 code at %s calls %s, which neither the module nor the hypervisor defines",
          mod.Symbolize(imp.place), imp.symbol));
    }
    const uint64_t place_hyp = mod.HypVa(imp.place, hyp_va);
    const int64_t off = static_cast<int64_t>(*target + static_cast<uint64_t>(imp.addend) - place_hyp);
    if (off < -(int64_t{1} << 27) || off >= (int64_t{1} << 27) || (off & 3) != 0) {
      return absl::OutOfRangeError(absl::StrFormat(
          "EL2 call at %s to %s (%#x) from %#x: out of the ±128 MiB range of BL (-ERANGE)",
          mod.Symbolize(imp.place), imp.symbol, *target, place_hyp));
    }
    uint8_t* p = region.host.data() + (imp.place - region.base);
    Write32(p, SetField(Read32(p), static_cast<uint64_t>(off >> 2) & 0x3ffffff, 0, 26));
  }
  return absl::OkStatus();
}

namespace {

void* Ptr(uint64_t a) { return reinterpret_cast<void*>(a); }
pkvm_module_section Span(const AddrSpan& s) {
  return s.empty() ? pkvm_module_section{nullptr, nullptr} : pkvm_module_section{Ptr(s.start), Ptr(s.end)};
}

template <typename KModule>
absl::Status FillHyp(const LinkedModule& mod, uint8_t* p) {
  KModule km;
  std::memcpy(&km, p, sizeof km);
  auto& hyp = km.hyp;
  const HypLayout& h = mod.hyp;
  hyp.text = Span(h.text);
  if (!h.bss.empty()) hyp.bss = Span(h.bss);
  if (!h.rodata.empty()) hyp.rodata = Span(h.rodata);
  if (!h.data.empty()) hyp.data = Span(h.data);
  if constexpr (requires { hyp.event_ids; }) {
    if (!h.event_ids.empty()) hyp.event_ids = Span(h.event_ids);
  }
  if constexpr (requires { hyp.patchable_function_entries; }) {
    if (!h.patchable_function_entries.empty())
      hyp.patchable_function_entries = Span(h.patchable_function_entries);
  }
  hyp.relocs = static_cast<kvm_nvhe_reloc_t*>(Ptr(h.reloc.start));
  hyp.nr_relocs = static_cast<unsigned int>(h.reloc.size() / 4);
  std::memcpy(p, &km, sizeof km);
  return absl::OkStatus();
}

}  // namespace

absl::Status InitModuleHyp(const LinkedModule& mod, GuestRegion region, int generation) {
  if (!mod.has_el2) return absl::OkStatus();
  if (mod.this_module == 0) return absl::InvalidArgumentError("InitModuleHyp: no __this_module");
  if (region.base != mod.base || region.host.size() < mod.size)
    return absl::InvalidArgumentError("InitModuleHyp: not the region the module was linked into");
  size_t need = 0;
  switch (generation) {
    case 14: need = sizeof(pkvm_kmodule_a14); break;
    case 15: need = sizeof(pkvm_kmodule_a15); break;
    case 16: need = sizeof(pkvm_kmodule_a16); break;
    case 17: need = sizeof(pkvm_kmodule_a17); break;
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("generation %d is not 14, 15, 16 or 17", generation));
  }
  uint64_t avail = 0;
  for (const LinkedSection& s : mod.sections)
    if (mod.this_module >= s.addr && mod.this_module < s.addr + s.size)
      avail = s.addr + s.size - mod.this_module;
  if (avail < need) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "__this_module is %d bytes, smaller than struct module of android%d (%d bytes): the "
        "module was built for another generation",
        avail, generation, need));
  }
  uint8_t* p = region.host.data() + (mod.this_module - region.base);
  switch (generation) {
    case 14: return FillHyp<pkvm_kmodule_a14>(mod, p);
    case 15: return FillHyp<pkvm_kmodule_a15>(mod, p);
    case 16: return FillHyp<pkvm_kmodule_a16>(mod, p);
    default: return FillHyp<pkvm_kmodule_a17>(mod, p);
  }
}

}  // namespace pkvm::arm64

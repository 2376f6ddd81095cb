// File: arch/aarch64/module_linker.h
// The arm64 kernel module loader, for AArch64 pKVM vendor modules (.ko) run
// by libpkvm's Unicorn backend. Internal API (namespace pkvm::arm64).
//
// Like the kernel (spec/kbuild-hyp-modules.md §3): the .ko's SHF_ALLOC
// sections are laid out in a caller-provided guest memory region -- text,
// then read-only data, then writable data, each group page-aligned, every
// section at its sh_addralign (the .hyp.* sections are page-aligned and
// keep their pages to themselves) -- undefined symbols are resolved through
// a caller-supplied resolver (the simulated kernel's exports) and the
// AArch64 relocations GCC emits are applied with the kernel's range checks.
// Then, once the EL2 address of the image is known, ApplyHypRelocs() turns
// the .hyp.reloc slots from EL1 into EL2 addresses (spec/pkvm-abi.md §2.3)
// and InitModuleHyp() fills THIS_MODULE->arch.hyp (module_init_hyp).
//
// Every error is an absl::Status whose message names the section, offset,
// relocation type and symbol involved (the caller maps it to -ENOEXEC).
//
//   auto ko = KoImage::Parse(bytes);                    // validates the ELF
//   std::vector<uint8_t> mem(ko->size());               // guest memory
//   GuestRegion region{0x40000000, mem};
//   auto mod = LinkModule(*ko, region, resolver);       // lay out, relocate
//   InitModuleHyp(*mod, region, 15);                    // __this_module.arch.hyp
//   ApplyHypRelocs(*mod, region, hyp_va);               // kern VA -> hyp VA
#ifndef PKVM_ARCH_AARCH64_MODULE_LINKER_H_
#define PKVM_ARCH_AARCH64_MODULE_LINKER_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "elf_object.h"

namespace pkvm::arm64 {

inline constexpr uint64_t kModulePageSize = 4096;

// Guest memory a module is placed in: `host` is the memory the CPU sees at
// guest address `base` (page-aligned).
struct GuestRegion {
  uint64_t base = 0;
  std::span<uint8_t> host;
};

// Resolves an undefined symbol to a guest address; NotFound when unknown.
using SymbolResolver = std::function<absl::StatusOr<uint64_t>(absl::string_view name)>;

struct LinkOptions {
  // The kernel refuses objects without .gnu.linkonce.this_module ("No
  // module found in object"); tests linking bare objects turn this off.
  bool require_this_module = true;
};

// A parsed and laid-out .ko, not yet placed anywhere.
class KoImage {
 public:
  static absl::StatusOr<KoImage> Parse(std::span<const uint8_t> bytes,
                                       const LinkOptions& options = {});
  // Bytes of guest memory the module needs (a multiple of the page size).
  uint64_t size() const { return size_; }
  const ElfObject& elf() const { return elf_; }
  // Offset of section `index` in the image, or UINT64_MAX when not loaded.
  uint64_t offset(uint32_t index) const { return offsets_[index]; }
  const LinkOptions& options() const { return options_; }

 private:
  KoImage(ElfObject elf, LinkOptions o) : elf_(std::move(elf)), options_(o) {}
  ElfObject elf_;
  LinkOptions options_;
  std::vector<uint64_t> offsets_;
  uint64_t size_ = 0;
};

// [start, end) in guest addresses; {0, 0} when absent.
struct AddrSpan {
  uint64_t start = 0;
  uint64_t end = 0;
  bool empty() const { return end <= start; }
  uint64_t size() const { return empty() ? 0 : end - start; }
  bool contains(uint64_t a) const { return a >= start && a < end; }
};

struct LinkedSection {
  std::string name;
  uint32_t index = 0;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addr = 0;
  uint64_t size = 0;
};

struct LinkedSymbol {
  std::string name;
  uint64_t addr = 0;  // guest address (for undefined symbols: what they resolved to)
  uint64_t size = 0;
  uint8_t type = 0;
  uint8_t bind = 0;
  bool defined = false;
};

// A branch from EL2 code to a function the module does not define (a
// hypervisor function): patched by PatchEl2Imports() once the EL2 address of
// the image is known, like A16's ext_symbols (spec/pkvm-abi.md §2.2).
struct El2Import {
  uint64_t place = 0;  // guest (EL1) address of the BL/B instruction
  uint32_t type = 0;   // R_AARCH64_CALL26 or R_AARCH64_JUMP26
  int64_t addend = 0;
  std::string symbol;  // as in the .ko, e.g. "__kvm_nvhe___pkvm_trace_seq_printf"
};

// The EL2 sections, by the names module_init_hyp() looks up (EL1 addresses).
struct HypLayout {
  AddrSpan text, bss, rodata, data, event_ids, printk_fmts, patchable_function_entries;
  AddrSpan reloc;       // .hyp.reloc: s32 entries
  AddrSpan hyp_events;  // _hyp_events: EL1 event descriptors
  // What pKVM maps at EL2: lowest start .. highest end, page-rounded, of
  // text, bss, rodata, data, event_ids, patchable_function_entries.
  AddrSpan image;
};

struct LinkedModule {
  uint64_t base = 0;
  uint64_t size = 0;
  std::string name;  // __this_module.name (empty without __this_module)
  std::vector<LinkedSection> sections;  // the loaded ones
  std::vector<LinkedSymbol> symbols;    // named symbols, sorted by address
  HypLayout hyp;
  bool has_el2 = false;                   // .hyp.text is not empty
  std::vector<uint64_t> hyp_reloc_slots;  // EL1 addresses the .hyp.reloc entries point at
  std::vector<El2Import> el2_imports;
  uint64_t this_module = 0;  // EL1 address of __this_module, 0 without one
  uint64_t init = 0;         // __this_module.init (module_init function), 0 if none
  uint64_t exit = 0;

  const LinkedSymbol* FindSymbol(absl::string_view name) const;
  // "pkvm_driver_hyp_hvc+0x14" for an EL1 address inside a symbol (EL2 names
  // without the __kvm_nvhe_ prefix); "" when no symbol covers it.
  std::string Symbolize(uint64_t addr) const;
  // The EL2 address of EL1 address `addr` inside the image mapped at hyp_va.
  uint64_t HypVa(uint64_t addr, uint64_t hyp_va) const { return addr - hyp.image.start + hyp_va; }
};

// Copies the sections into `region` (zeroing the rest), resolves symbols and
// applies relocations. `region.host` must hold at least ko.size() bytes.
absl::StatusOr<LinkedModule> LinkModule(const KoImage& ko, GuestRegion region,
                                        const SymbolResolver& resolve);

// module_init_hyp(): fills __this_module.arch.hyp (the struct pkvm_el2_module
// of `generation`, 14/15/16) with the .hyp section spans and the .hyp.reloc
// array. A module without .hyp.text is left alone (not an EL2 module).
absl::Status InitModuleHyp(const LinkedModule& mod, GuestRegion region, int generation);

// The kernel's relocation of the EL2 image (spec §2.3): every .hyp.reloc
// slot, which holds an EL1 address inside the image, becomes the same
// byte's address in the image mapped at `hyp_va`. Apply once.
absl::Status ApplyHypRelocs(const LinkedModule& mod, GuestRegion region, uint64_t hyp_va);

// Patches every El2Import for the image mapped at `hyp_va`; `resolve_el2`
// gives the EL2 address of each imported function. ±128 MiB range checked.
absl::Status PatchEl2Imports(const LinkedModule& mod, GuestRegion region, uint64_t hyp_va,
                             const SymbolResolver& resolve_el2);

}  // namespace pkvm::arm64

#endif  // PKVM_ARCH_AARCH64_MODULE_LINKER_H_

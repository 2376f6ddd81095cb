// File: lib/native_loader.cc -- offering and preparing native modules.
#include "native_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/native/module_image.h"
#include "cmdline.h"
#include "pkvm/kmodule.h"
#include "status_internal.h"
#ifdef PKVM_HAVE_UNICORN
#include "backends/unicorn/unicorn_backend.h"
#endif

namespace pkvm::internal {
namespace {

template <typename KModule>
void FillSections(KModule* mod, const pkvm_native_module& d) {
  auto section = [&](int i) {
    pkvm_module_section s = d.hyp[i];
    if (s.start == s.end) s.start = s.end = nullptr;  // empty: start is NULL
    return s;
  };
  mod->init = d.init != nullptr ? *d.init : nullptr;
  mod->exit = d.exit != nullptr ? *d.exit : nullptr;
  mod->hyp.text = section(PKVM_HYP_TEXT);
  mod->hyp.bss = section(PKVM_HYP_BSS);
  mod->hyp.rodata = section(PKVM_HYP_RODATA);
  mod->hyp.data = section(PKVM_HYP_DATA);
  if constexpr (requires { mod->hyp.event_ids; }) mod->hyp.event_ids = section(PKVM_HYP_EVENT_IDS);
  // Native EL2 code is not relocated (see docs/native-backend.md).
  mod->hyp.relocs = nullptr;
  mod->hyp.nr_relocs = 0;
}

}  // namespace

// A native module's image is shared by every machine of the process, but
// each machine must get it as a device's loader would: .data as linked, .bss
// zero. The first load keeps a copy of .data (already relocated by the
// dynamic loader); every load restores it and clears .bss, before the
// module's EL1 init runs (which may set EL2 globals). Two machines
// alive at once still share one image (docs/native-backend.md).

void ResetNativeModuleImage(const pkvm_native_module& d) {
  const pkvm_module_section& data = d.hyp[PKVM_HYP_DATA];
  const pkvm_module_section& bss = d.hyp[PKVM_HYP_BSS];
  static std::mutex mu;
  static std::map<const void*, std::vector<uint8_t>>* pristine =
      new std::map<const void*, std::vector<uint8_t>>();
  std::lock_guard<std::mutex> lock(mu);
  if (data.start != nullptr && data.end > data.start) {
    auto* b = static_cast<uint8_t*>(data.start);
    const size_t n = static_cast<size_t>(static_cast<uint8_t*>(data.end) - b);
    auto [it, first] = pristine->try_emplace(data.start);
    if (first) it->second.assign(b, b + n);
    else if (it->second.size() == n) std::memcpy(b, it->second.data(), n);
  }
  if (bss.start != nullptr && bss.end > bss.start)
    std::memset(bss.start, 0,
                static_cast<size_t>(static_cast<uint8_t*>(bss.end) - static_cast<uint8_t*>(bss.start)));
}

namespace {

[[maybe_unused]] absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ErrnoError(ENOENT, absl::StrCat("cannot load module ", path, ": no such file or directory"));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return ErrnoError(EIO, absl::StrCat("cannot read module ", path));
  return bytes;
}

absl::Status CheckOfferable(const Hypervisor::Impl& m, const std::string& name) {
  if (m.state != MachineState::kCreated)
    return ErrnoError(EBUSY, "modules can only be offered before Boot(), as they must be in "
                             "the initramfs when pKVM loads them");
  for (const OfferedModule& o : m.offered)
    if (o.name == name)
      return ErrnoError(EEXIST, absl::StrCat("a module named ", name, " was already offered"));
  return absl::OkStatus();
}

// An AArch64 .ko for the Unicorn backend.
absl::StatusOr<std::string> OfferKoFile(Hypervisor::Impl& m, const std::string& path) {
#ifdef PKVM_HAVE_UNICORN
  if (m.state != MachineState::kCreated) return CheckOfferable(m, "");
  auto bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  auto name = m.uc->ProbeModule(*bytes, path);
  if (!name.ok()) return name.status();
  const std::string n = NormalizeModuleName(*name);
  if (absl::Status s = CheckOfferable(m, n); !s.ok()) return s;
  OfferedModule o;
  o.name = n;
  o.path = path;
  o.ko = std::move(bytes).value();
  o.depends = KoDepends(o.ko);
  m.offered.push_back(std::move(o));
  return n;
#else
  (void)m;
  return ErrnoError(ENOEXEC, absl::StrCat(path, ": this libpkvm has no Unicorn backend"));
#endif
}

}  // namespace

absl::StatusOr<std::string> OfferModuleFile(Hypervisor::Impl& m, const std::string& path) {
  // ELF e_type (offset 16) and e_machine (18): a .ko is ET_REL for EM_AARCH64.
  uint8_t hdr[20] = {};
  {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      const int err = errno;
      return ErrnoError(err, absl::StrCat("cannot load module ", path, ": ", std::strerror(err)));
    }
    if (S_ISDIR(st.st_mode))
      return ErrnoError(EISDIR, absl::StrCat("cannot load module ", path, ": it is a directory"));
    std::ifstream f(path, std::ios::binary);
    if (!f) return ErrnoError(EACCES, absl::StrCat("cannot load module ", path, ": cannot open it"));
    f.read(reinterpret_cast<char*>(hdr), sizeof hdr);
  }
  const bool elf = hdr[0] == 0x7f && hdr[1] == 'E' && hdr[2] == 'L' && hdr[3] == 'F';
  // A file that is there but is no module: -ENOEXEC, as finit_module answers.
  if (!elf)
    return ErrnoError(ENOEXEC, absl::StrCat("cannot load module ", path,
                                            ": not an ELF file (a module is the NAME.so or "
                                            "NAME.ko pkvm_add_module() builds)"));
  const bool ko = elf && hdr[16] == 1 && hdr[17] == 0 && hdr[18] == 183 && hdr[19] == 0;
  if (m.uc != nullptr) {
    if (!ko)
      return ErrnoError(ENOEXEC, absl::StrCat(path, " is not an AArch64 module (.ko): the unicorn "
                                                    "backend runs the NAME.ko pkvm_add_module() "
                                                    "builds next to NAME.so"));
    return OfferKoFile(m, path);
  }
  if (ko)
    return ErrnoError(ENOEXEC, absl::StrCat(path, " is an AArch64 module (.ko): run it on the "
                                                  "unicorn backend (--backend unicorn), or offer "
                                                  "the native NAME.so"));
  return OfferNativeModuleFile(m, path);
}

absl::Status OfferNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d,
                               std::shared_ptr<void> dl_handle, const std::string& path) {
  const std::string where = path.empty() ? "module" : path;
  if (m.state != MachineState::kCreated) return CheckOfferable(m, "");
  if (d.magic != PKVM_NATIVE_MODULE_MAGIC)
    return ErrnoError(ENOEXEC, absl::StrCat(where, " is not a libpkvm native module"));
  if (d.abi_version != PKVM_NATIVE_MODULE_ABI)
    return ErrnoError(ENOEXEC, absl::StrCat(where, " was built for native module ABI ",
                                            d.abi_version, ", this libpkvm speaks ",
                                            PKVM_NATIVE_MODULE_ABI, ": rebuild it"));
  if (d.name == nullptr || d.name[0] == '\0' || std::strlen(d.name) >= PKVM_MODULE_NAME_LEN)
    return ErrnoError(ENOEXEC, absl::StrCat(where, " has no valid module name"));
  if (static_cast<int>(d.generation) != GenerationNumber(m.gen))
    return ErrnoError(ENOEXEC, absl::StrCat("module ", d.name, " was built for A", d.generation,
                                            " (PKVM_GENERATION=", d.generation,
                                            ") but the machine runs A", GenerationNumber(m.gen)));
#ifdef PKVM_CONFIG_LIST_HARDENED
  constexpr uint32_t kListHardened = 1;
#else
  constexpr uint32_t kListHardened = 0;
#endif
  if (d.list_hardened != kListHardened)
    return ErrnoError(ENOEXEC, absl::StrCat("module ", d.name,
                                            " disagrees with libpkvm on CONFIG_LIST_HARDENED, "
                                            "so its pkvm_module_ops layout differs"));
  if (d.this_module == nullptr)
    return ErrnoError(ENOEXEC, absl::StrCat("module ", d.name, " has no struct module"));
  const std::string name = NormalizeModuleName(d.name);
  if (m.uc != nullptr) {
    // The Unicorn backend runs the AArch64 build of the same module.
    if (d.ko_path == nullptr)
      return ErrnoError(ENOEXEC, absl::StrCat("module ", d.name, " has no AArch64 build (",
                                              d.name, ".ko): install gcc-aarch64-linux-gnu and "
                                              "rebuild it for the unicorn backend"));
    auto n = OfferKoFile(m, d.ko_path);
    if (!n.ok()) return n.status();
    return absl::OkStatus();
  }
  if (absl::Status s = CheckOfferable(m, name); !s.ok()) return s;
  m.offered.push_back(OfferedModule{name, &d, std::move(dl_handle), path});
  m.offered.back().depends = SplitDepends(d.depends);
  return absl::OkStatus();
}

absl::StatusOr<std::string> OfferNativeModuleFile(Hypervisor::Impl& m, const std::string& path) {
  // This machine's own image of the file (backends/native/module_image.h).
  std::vector<std::shared_ptr<void>> loaded;  // modules it may link against
  for (const OfferedModule& o : m.offered)
    if (o.dl_handle != nullptr) loaded.push_back(o.dl_handle);
  auto image = OpenPrivateModuleImage(path, loaded);
  if (!image.ok()) return image.status();
  std::shared_ptr<void> handle = std::move(image).value();
  void* h = handle.get();
  void* sym = dlsym(h, "pkvm_native_module_entry");
  if (sym == nullptr) {
    // A module whose EL2 part is AArch64 assembly: only its .ko runs, on
    // the Unicorn backend (OfferModuleFile() sends .ko files there).
    if (const auto* u = static_cast<const pkvm_native_module_unavailable*>(
            dlsym(h, "pkvm_native_module_unavailable"));
        u != nullptr && u->magic == PKVM_NATIVE_MODULE_MAGIC) {
      return ErrnoError(
          ENOEXEC, absl::StrCat("module ", u->name != nullptr ? u->name : path.c_str(), ": ",
                                u->reason != nullptr ? u->reason : "it cannot run natively",
                                u->ko_path != nullptr ? absl::StrCat(" (", u->ko_path, ")") : ""));
    }
  }
  if (sym == nullptr)
    return ErrnoError(ENOEXEC, absl::StrCat(path, " is not a libpkvm native module (no "
                                                  "pkvm_native_module_entry; build it with "
                                                  "pkvm_add_module())"));
  const auto* d = *static_cast<const pkvm_native_module* const*>(sym);
  if (d == nullptr) return ErrnoError(ENOEXEC, absl::StrCat(path, ": null module descriptor"));
  if (absl::Status s = OfferNativeModule(m, *d, handle, path); !s.ok()) return s;
  return NormalizeModuleName(d->name);
}

void PrepareNativeModule(Hypervisor::Impl& m, const pkvm_native_module& d) {
  switch (m.gen) {
    case Generation::kA14:
      FillSections(static_cast<pkvm_kmodule_a14*>(d.this_module), d);
      break;
    case Generation::kA15:
      FillSections(static_cast<pkvm_kmodule_a15*>(d.this_module), d);
      break;
    case Generation::kA16:
      FillSections(static_cast<pkvm_kmodule_a16*>(d.this_module), d);
      break;
  }
}

}  // namespace pkvm::internal

// File: lib/backends/native/native_module.cc
// Native modules: the shared object NAME.so pkvm_add_module() builds, its
// descriptor (pkvm_native_module) and what the arm64 module loader would do
// to its image before module_init.
#include "backends/native/native_module.h"

#include <dlfcn.h>

#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/native/module_image.h"
#include "host/module_loader.h"
#include "pkvm/kmodule.h"
#include "status_internal.h"

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
    case Generation::kA17:
      FillSections(static_cast<pkvm_kmodule_a17*>(d.this_module), d);
      break;
  }
}

}  // namespace pkvm::internal

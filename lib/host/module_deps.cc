// File: lib/host/module_deps.cc
// Modules that use other modules' exports: what
// each module says it imports from (pkvm_add_module(DEPENDS): the native
// descriptor's `depends`, a .ko's .modinfo depends=) and the load-time check
// that those modules are loaded first -- on a device insmod fails with
// "Unknown symbol" for the same reason.
#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "host/module_loader.h"
#include "elf_object.h"
#include "status_internal.h"

namespace pkvm::internal {

std::vector<std::string> SplitDepends(const char* csv) {
  std::vector<std::string> out;
  if (csv == nullptr) return out;
  for (absl::string_view n : absl::StrSplit(csv, ',', absl::SkipWhitespace()))
    out.push_back(NormalizeModuleName(std::string(n)));
  return out;
}

std::vector<std::string> KoDepends(std::span<const uint8_t> ko) {
  auto elf = arm64::ElfObject::Parse(ko);
  if (!elf.ok()) return {};
  const arm64::ElfSection* mi = elf->FindSection(".modinfo");
  if (mi == nullptr) return {};
  const std::span<const uint8_t> c = elf->contents(*mi);
  // NUL-separated key=value strings.
  for (absl::string_view kv : absl::StrSplit(
           absl::string_view(reinterpret_cast<const char*>(c.data()), c.size()), '\0')) {
    if (absl::ConsumePrefix(&kv, "depends=")) return SplitDepends(std::string(kv).c_str());
  }
  return {};
}

absl::Status CheckModuleDepends(const Hypervisor::Impl& m, const OfferedModule& mod) {
  std::vector<std::string> missing;
  for (const std::string& dep : mod.depends)
    if (std::find(m.loaded_names.begin(), m.loaded_names.end(), dep) == m.loaded_names.end())
      missing.push_back(dep);
  if (missing.empty()) return absl::OkStatus();
  return ErrnoError(
      ENOENT, absl::StrCat("module ", mod.name, ": Unknown symbol: it uses what module",
                           missing.size() == 1 ? " " : "s ", absl::StrJoin(missing, ", "),
                           " export", missing.size() == 1 ? "s" : "", ", and ",
                           missing.size() == 1 ? "it is" : "they are",
                           " not loaded (load ", absl::StrJoin(missing, ", "), " first: list ",
                           missing.size() == 1 ? "it" : "them", " before ", mod.name,
                           " in kvm-arm.protected_modules=)"));
}

}  // namespace pkvm::internal

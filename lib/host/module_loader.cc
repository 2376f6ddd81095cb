// File: lib/host/module_loader.cc
// Offering modules to the machine (the initramfs the host kernel loads them
// from): what every module must pass, whatever backend runs it. The
// backend then takes the file or descriptor it can run (lib/backends/).
#include "host/module_loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "backends/backend.h"
#include "host/cmdline.h"
#include "pkvm/kmodule.h"
#include "status_internal.h"

namespace pkvm::internal {

absl::Status CheckOfferable(const Hypervisor::Impl& m, const std::string& name) {
  if (m.state != MachineState::kCreated)
    return ErrnoError(EBUSY, "modules can only be offered before Boot(), as they must be in "
                             "the initramfs when pKVM loads them");
  for (const OfferedModule& o : m.offered)
    if (o.name == name)
      return ErrnoError(EEXIST, absl::StrCat("a module named ", name, " was already offered"));
  return absl::OkStatus();
}

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
  return m.backend->OfferModuleFile(path, ko);
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
  return m.backend->OfferNativeModule(d, NormalizeModuleName(d.name), std::move(dl_handle), path);
}

}  // namespace pkvm::internal

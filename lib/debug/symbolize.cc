// File: lib/debug/symbolize.cc
// libdw (elfutils' libdwfl) does the ELF and DWARF reading: symbol tables,
// line tables, relocation of an ET_REL object's DWARF to where its sections
// were loaded.
#include "debug/symbolize.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#ifdef PKVM_HAVE_LIBDW
#include <elfutils/libdwfl.h>
#include <gelf.h>
#endif

namespace pkvm::debug {
namespace {
constexpr const char kHypPrefix[] = "__kvm_nvhe_";
}  // namespace

std::string DropHypPrefix(std::string name) {
  if (absl::StartsWith(name, kHypPrefix)) name.erase(0, sizeof(kHypPrefix) - 1);
  // GCC's alias of a function for calls within its object: the same code.
  if (absl::EndsWith(name, ".localalias")) name.resize(name.size() - sizeof(".localalias") + 1);
  return name;
}

namespace {
// C++ names of the library's own frames, readable.
std::string Demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (d == nullptr) return name;
  std::string out(d);
  std::free(d);
  return out;
}
}  // namespace

#ifndef PKVM_HAVE_LIBDW
// Without libdw: exported symbols only, no lines.
std::string SymbolizeHost(uintptr_t addr) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(addr), &info) == 0 || info.dli_sname == nullptr) return "";
  return absl::StrFormat("%s+0x%x", DropHypPrefix(Demangle(info.dli_sname)),
                         addr - reinterpret_cast<uintptr_t>(info.dli_saddr));
}
struct ObjectDebugInfo::State {};
ObjectDebugInfo::ObjectDebugInfo(std::unique_ptr<State> s) : s_(std::move(s)) {}
ObjectDebugInfo::~ObjectDebugInfo() = default;
std::unique_ptr<ObjectDebugInfo> ObjectDebugInfo::Open(std::span<const uint8_t>,
                                                       std::vector<uint64_t>) {
  return nullptr;
}
std::string ObjectDebugInfo::SourceLine(uint64_t) const { return ""; }
#else
namespace {

std::string Basename(const char* path) {
  std::string s(path);
  const size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// "file:line" of `addr` in `mod`, "" without line information.
std::string LineOf(Dwfl_Module* mod, Dwarf_Addr addr) {
  Dwfl_Line* line = dwfl_module_getsrc(mod, addr);
  if (line == nullptr) return "";
  int lineno = 0;
  const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
  if (file == nullptr || lineno <= 0) return "";
  return absl::StrCat(Basename(file), ":", lineno);
}

// A machine's private native module image is a memfd copy of the .so
// (backends/native/module_image.cc) named after the file it copies:
// /proc/self/maps shows "/memfd:/path/to/module.so (deleted)", which cannot
// be opened by that name. The original file has the same symbols and DWARF.
int FindElf(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
            char** file_name, Elf** elfp) {
  constexpr std::string_view kMemfd = "/memfd:", kDeleted = " (deleted)";
  std::string_view name = modname != nullptr ? modname : "";
  if (name.starts_with(kMemfd)) {
    name.remove_prefix(kMemfd.size());
    if (name.ends_with(kDeleted)) name.remove_suffix(kDeleted.size());
    if (name.starts_with('/')) {
      const std::string path(name);
      const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        *file_name = strdup(path.c_str());
        return fd;
      }
    }
  }
  return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

const Dwfl_Callbacks kProcCallbacks = {
    .find_elf = FindElf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

struct Process {
  std::mutex mu;
  Dwfl* dwfl = nullptr;

  // (Re-)reads /proc/self/maps: modules dlopen()ed later are found too.
  bool Report() {
    if (dwfl != nullptr) dwfl_end(dwfl);
    dwfl = dwfl_begin(&kProcCallbacks);
    if (dwfl == nullptr) return false;
    dwfl_report_begin(dwfl);
    const int rc = dwfl_linux_proc_report(dwfl, getpid());
    dwfl_report_end(dwfl, nullptr, nullptr);
    return rc == 0;
  }
};

Process& TheProcess() {
  static Process* p = new Process();  // never destroyed: reports run late
  return *p;
}

}  // namespace

std::string SymbolizeHost(uintptr_t addr) {
  Process& p = TheProcess();
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.dwfl == nullptr && !p.Report()) return "";
  Dwfl_Module* mod = dwfl_addrmodule(p.dwfl, addr);
  if (mod == nullptr) {
    if (!p.Report()) return "";
    mod = dwfl_addrmodule(p.dwfl, addr);
    if (mod == nullptr) return "";
  }
  GElf_Off off = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, addr, &off, &sym, nullptr, nullptr, nullptr);
  if (name == nullptr) return "";
  std::string out = absl::StrFormat("%s+0x%x", DropHypPrefix(Demangle(name)), off);
  if (std::string line = LineOf(mod, addr); !line.empty()) absl::StrAppend(&out, " (", line, ")");
  return out;
}

// ---- ObjectDebugInfo ------------------------------------------------------------

struct ObjectDebugInfo::State {
  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;
  int fd = -1;
  std::vector<uint64_t> section_addr;
  ~State() {
    if (dwfl != nullptr) dwfl_end(dwfl);
    if (fd >= 0) close(fd);
  }
};

namespace {

// libdwfl lays an ET_REL object's sections out itself (as `ld -r` output
// would be placed offline); SourceLine() maps the loader's addresses onto
// that layout section by section.
const Dwfl_Callbacks kObjectCallbacks = {
    .find_elf = nullptr,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

}  // namespace

ObjectDebugInfo::ObjectDebugInfo(std::unique_ptr<State> s) : s_(std::move(s)) {}
ObjectDebugInfo::~ObjectDebugInfo() = default;

std::unique_ptr<ObjectDebugInfo> ObjectDebugInfo::Open(std::span<const uint8_t> elf,
                                                       std::vector<uint64_t> section_addr) {
  auto s = std::make_unique<State>();
  s->section_addr = std::move(section_addr);
  // libdwfl reads objects from files: the image as an anonymous one.
  s->fd = memfd_create("pkvm-ko", MFD_CLOEXEC);
  if (s->fd < 0) return nullptr;
  size_t done = 0;
  while (done < elf.size()) {
    const ssize_t n = write(s->fd, elf.data() + done, elf.size() - done);
    if (n <= 0) return nullptr;
    done += static_cast<size_t>(n);
  }
  s->dwfl = dwfl_begin(&kObjectCallbacks);
  if (s->dwfl == nullptr) return nullptr;
  dwfl_report_begin(s->dwfl);
  // dwfl takes the descriptor over on success.
  const int fd = dup(s->fd);
  s->mod = dwfl_report_offline(s->dwfl, "ko", "ko", fd);
  if (s->mod == nullptr) close(fd);
  dwfl_report_end(s->dwfl, nullptr, nullptr);
  if (s->mod == nullptr) return nullptr;
  return std::unique_ptr<ObjectDebugInfo>(new ObjectDebugInfo(std::move(s)));
}

std::string ObjectDebugInfo::SourceLine(uint64_t addr) const {
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(s_->mod, &bias);
  if (elf == nullptr) return "";
  for (size_t i = 0; i < s_->section_addr.size(); ++i) {
    const uint64_t start = s_->section_addr[i];
    if (start == 0 || addr < start) continue;
    Elf_Scn* scn = elf_getscn(elf, i);
    GElf_Shdr shdr;
    if (scn == nullptr || gelf_getshdr(scn, &shdr) == nullptr) continue;
    if (addr - start >= shdr.sh_size) continue;
    return LineOf(s_->mod, shdr.sh_addr + bias + (addr - start));
  }
  return "";
}
#endif  // PKVM_HAVE_LIBDW

}  // namespace pkvm::debug

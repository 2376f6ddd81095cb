// File: lib/backends/native/module_image.cc -- see module_image.h.
#include "backends/native/module_image.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "status_internal.h"

namespace pkvm::internal {
namespace {

// Copies all of `in` into `out`; false with errno set on failure.
bool CopyAll(int in, int out) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      done += w;
    }
  }
}

// What a private image's handle carries: the in-memory copy (open while the
// image is loaded) and the file it is a copy of.
struct PrivateImage {
  int fd = -1;
  std::string source;  // realpath() of the module file
  void operator()(void* h) const {
    dlclose(h);
    close(fd);
  }
};

std::string ImageName(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) != nullptr ? std::string(buf) : p;
}

template <typename T>
bool ReadAt(int fd, uint64_t off, T* out) {
  return pread(fd, out, sizeof *out, static_cast<off_t>(off)) == static_cast<ssize_t>(sizeof *out);
}

// Points the copy's DT_NEEDED entries that name a module file this machine
// already has a private image of at that image ("/proc/self/fd/N", which the
// dynamic loader matches against the loaded image's name). The name is
// written over the original string in .dynstr when it fits (it is short;
// module paths are absolute build paths).
void RelinkToPrivateImages(int fd, const std::vector<std::shared_ptr<void>>& loaded) {
  std::vector<std::pair<std::string, std::string>> images;  // source -> image name
  for (const std::shared_ptr<void>& h : loaded)
    if (const PrivateImage* p = std::get_deleter<PrivateImage>(h))
      images.emplace_back(p->source, ImageName(p->fd));
  if (images.empty()) return;
  Elf64_Ehdr eh;
  if (!ReadAt(fd, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    return;
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  for (size_t i = 0; i < ph.size(); ++i)
    if (!ReadAt(fd, eh.e_phoff + i * sizeof(Elf64_Phdr), &ph[i])) return;
  auto file_offset = [&](uint64_t vaddr, uint64_t* off) {
    for (const Elf64_Phdr& p : ph)
      if (p.p_type == PT_LOAD && vaddr >= p.p_vaddr && vaddr - p.p_vaddr < p.p_filesz) {
        *off = p.p_offset + (vaddr - p.p_vaddr);
        return true;
      }
    return false;
  };
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type != PT_DYNAMIC) continue;
    std::vector<Elf64_Dyn> dyn(p.p_filesz / sizeof(Elf64_Dyn));
    for (size_t i = 0; i < dyn.size(); ++i)
      if (!ReadAt(fd, p.p_offset + i * sizeof(Elf64_Dyn), &dyn[i])) return;
    uint64_t strtab = 0, strsz = 0;
    for (const Elf64_Dyn& d : dyn) {
      if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
      if (d.d_tag == DT_STRSZ) strsz = d.d_un.d_val;
    }
    uint64_t str_off = 0;
    if (strsz == 0 || !file_offset(strtab, &str_off)) return;
    for (const Elf64_Dyn& d : dyn) {
      if (d.d_tag != DT_NEEDED || d.d_un.d_val >= strsz) continue;
      std::string needed;
      for (uint64_t at = str_off + d.d_un.d_val; needed.size() < PATH_MAX; ++at) {
        char c = 0;
        if (!ReadAt(fd, at, &c) || c == '\0') break;
        needed += c;
      }
      if (needed.find('/') == std::string::npos) continue;  // a library, found by search
      const std::string real = RealPath(needed);
      for (const auto& [source, image] : images) {
        if (source != real || image.size() > needed.size()) continue;
        std::string repl = image;
        repl.resize(needed.size(), '\0');
        if (pwrite(fd, repl.data(), repl.size(), static_cast<off_t>(str_off + d.d_un.d_val)) !=
            static_cast<ssize_t>(repl.size()))
          return;
        break;
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<void>> OpenPrivateModuleImage(
    const std::string& path, const std::vector<std::shared_ptr<void>>& loaded) {
  // A file the process has loaded already (a library, or a module linked
  // into the program) keeps its one image: a private copy would run its
  // constructors a second time -- libpkvm itself, offered by mistake, would
  // then be two libraries. The caller finds out whether it is a module.
  if (void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD))
    return std::shared_ptr<void>(h, [](void* p) { dlclose(p); });
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    const int err = errno;
    return ErrnoError(err, absl::StrCat("cannot load module ", path, ": ", std::strerror(err)));
  }
  // Named after the file it copies, so that a symbolizer reading
  // /proc/self/maps can find its DWARF there (debug/symbolize.cc); memfd
  // names are limited to 249 bytes.
  std::string memfd_name = RealPath(path);
  if (memfd_name.size() > 249) memfd_name = path.substr(path.find_last_of('/') + 1);
  const int copy = memfd_create(memfd_name.c_str(), MFD_CLOEXEC);
  if (copy < 0 || !CopyAll(in, copy)) {
    const int err = errno;
    close(in);
    if (copy >= 0) close(copy);
    return ErrnoError(err, absl::StrCat("cannot load module ", path, ": no private copy of it for "
                                        "this machine: ", std::strerror(err)));
  }
  close(in);
  RelinkToPrivateImages(copy, loaded);
  // The copy stays open while it is loaded: /proc/self/fd/N is the name the
  // dynamic loader (and a symbolizer) knows the image by.
  const std::string name = ImageName(copy);
  void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* err = dlerror();
    close(copy);
    return ErrnoError(ENOEXEC, absl::StrCat("cannot load module ", path, ": ",
                                            err != nullptr ? err : "dlopen failed"));
  }
  return std::shared_ptr<void>(h, PrivateImage{copy, RealPath(path)});
}

}  // namespace pkvm::internal

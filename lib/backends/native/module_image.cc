// File: lib/backends/native/module_image.cc -- see module_image.h.
#include "backends/native/module_image.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

absl::StatusOr<std::shared_ptr<void>> OpenPrivateModuleImage(const std::string& path) {
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    const int err = errno;
    return ErrnoError(err, absl::StrCat("cannot load module ", path, ": ", std::strerror(err)));
  }
  const std::string base = path.substr(path.find_last_of('/') + 1);
  const int copy = memfd_create(base.c_str(), MFD_CLOEXEC);
  if (copy < 0 || !CopyAll(in, copy)) {
    const int err = errno;
    close(in);
    if (copy >= 0) close(copy);
    return ErrnoError(err, absl::StrCat("cannot load module ", path, ": no private copy of it for "
                                        "this machine: ", std::strerror(err)));
  }
  close(in);
  // The copy stays open while it is loaded: /proc/self/fd/N is the name the
  // dynamic loader (and a symbolizer) knows the image by.
  const std::string name = absl::StrCat("/proc/self/fd/", copy);
  void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* err = dlerror();
    close(copy);
    return ErrnoError(ENOEXEC, absl::StrCat("cannot load module ", path, ": ",
                                            err != nullptr ? err : "dlopen failed"));
  }
  return std::shared_ptr<void>(h, [copy](void* p) {
    dlclose(p);
    close(copy);
  });
}

}  // namespace pkvm::internal

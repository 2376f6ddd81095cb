// File: lib/backends/native/module_image.h
// A native module (.so) loaded once per machine. dlopen() hands every caller
// the same image of a file, so two machines offering the same module would
// share its .data and .bss: one machine's boot would reset the other's
// module state, and a pointer the module saved (its ops table) would lead
// into whichever machine booted last. Each machine therefore dlopen()s its
// own copy of the file (an anonymous in-memory file: a distinct inode, so
// the dynamic loader maps a separate image). The copy is loaded into the
// default namespace, so its undefined symbols -- the EL1 shims -- bind to
// the one libpkvm the process already has, whose per-machine state is
// selected by the calling context.
#ifndef PKVM_LIB_BACKENDS_NATIVE_MODULE_IMAGE_H_
#define PKVM_LIB_BACKENDS_NATIVE_MODULE_IMAGE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pkvm::internal {

// A private image of the module file at `path` (a path, never searched for
// like dlopen() searches a name without a slash). The handle dlclose()s the
// image when the last owner lets go. Errors: the errno of opening `path`
// (-ENOENT only when it is missing), -ENOEXEC with dlerror()'s text when
// it is not a loadable shared object, -ENOMEM/-EMFILE when the process
// cannot make the copy.
//
// A module .so may link against another module's .so (DT_NEEDED by path, as
// pkvm_add_module(... DEPENDS) builds it): if `loaded` holds a private image
// of that file (made by this function earlier for the same machine), the
// copy's DT_NEEDED is pointed at that image, so the machine's modules link
// with each other and not with a third, shared image of the file.
absl::StatusOr<std::shared_ptr<void>> OpenPrivateModuleImage(
    const std::string& path, const std::vector<std::shared_ptr<void>>& loaded = {});

}  // namespace pkvm::internal

#endif  // PKVM_LIB_BACKENDS_NATIVE_MODULE_IMAGE_H_

// File: lib/host/cmdline.h -- the kernel command-line options libpkvm honours.
#ifndef PKVM_LIB_HOST_CMDLINE_H_
#define PKVM_LIB_HOST_CMDLINE_H_

#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pkvm::internal {

struct KernelCmdline {
  // kvm-arm.protected_modules=: names in order, '-' folded to '_' as modprobe
  // does, empty entries and repeats dropped (each noted in `warnings`).
  std::vector<std::string> protected_modules;
  // Every `param[=value]` in order (value empty for a bare flag).
  std::vector<std::pair<std::string, std::string>> params;
  // Per entry of `params`: whether it had an '=' ("a.b" vs "a.b="), which
  // module_param tells apart for bool and charp.
  std::vector<bool> param_has_value;
  std::vector<std::string> warnings;
};

// arm64's COMMAND_LINE_SIZE: the kernel keeps at most this many bytes of
// the command line, terminating NUL included.
inline constexpr size_t kCommandLineSize = 2048;

// Splits on blanks (double quotes group, as the kernel's parser does) and
// validates the options pKVM reads. Errors are -EINVAL with the reason; a
// line longer than the kernel keeps is one (a device would silently cut it,
// which is never what a test meant).
absl::StatusOr<KernelCmdline> ParseKernelCmdline(absl::string_view cmdline);

// modprobe's name normalisation: '-' and '_' are the same.
std::string NormalizeModuleName(absl::string_view name);

}  // namespace pkvm::internal

#endif  // PKVM_LIB_HOST_CMDLINE_H_

// File: lib/host/cmdline.cc -- kernel command-line parsing (see cmdline.h).
#include "host/cmdline.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "status_internal.h"

namespace pkvm::internal {
namespace {

constexpr absl::string_view kProtectedModules = "kvm-arm.protected_modules";

bool IsModuleNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_quotes = false, have = false;
  for (char c : s) {
    if (c == '"') {
      in_quotes = !in_quotes;
      have = true;
    } else if (!in_quotes && (c == ' ' || c == '\t' || c == '\n')) {
      if (have) words.push_back(std::move(cur));
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (in_quotes) return ErrnoError(EINVAL, "kernel command line: unterminated double quote");
  if (have) words.push_back(std::move(cur));
  return words;
}

}  // namespace

std::string NormalizeModuleName(absl::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c == '-') c = '_';
  return out;
}

absl::StatusOr<KernelCmdline> ParseKernelCmdline(absl::string_view cmdline) {
  KernelCmdline out;
  if (cmdline.size() >= kCommandLineSize)
    return ErrnoError(EINVAL, absl::StrCat("kernel command line: ", cmdline.size(),
                                           " bytes is longer than the ", kCommandLineSize - 1,
                                           " an arm64 kernel keeps (COMMAND_LINE_SIZE ",
                                           kCommandLineSize, ")"));
  auto words = SplitWords(cmdline);
  if (!words.ok()) return words.status();
  bool seen_modules = false;
  for (const std::string& w : *words) {
    if (w == "--") break;  // the rest is for init, as in parse_args()
    const size_t eq = w.find('=');
    std::string key = w.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : w.substr(eq + 1);
    if (key.empty())
      return ErrnoError(EINVAL, absl::StrCat("kernel command line: option '", w, "' has no name"));
    out.params.emplace_back(key, value);
    out.param_has_value.push_back(eq != std::string::npos);
    // parameq(): '-' and '_' are the same in parameter names.
    if (NormalizeModuleName(key) != NormalizeModuleName(kProtectedModules)) continue;
    if (eq == std::string::npos)
      return ErrnoError(EINVAL,
                        "kernel command line: malformed early option 'kvm-arm.protected_modules' "
                        "(expected kvm-arm.protected_modules=mod1,mod2,...)");
    if (seen_modules)
      out.warnings.push_back(
          "kvm-arm.protected_modules given more than once: the last one wins, as in the kernel");
    seen_modules = true;
    out.protected_modules.clear();
    if (value.empty()) continue;  // "=" with nothing: no modules
    for (absl::string_view name : absl::StrSplit(value, ',')) {
      if (name.empty()) {
        out.warnings.push_back("kvm-arm.protected_modules: empty module name skipped");
        continue;
      }
      for (char c : name) {
        if (!IsModuleNameChar(c))
          return ErrnoError(EINVAL, absl::StrCat("kvm-arm.protected_modules: '", name,
                                                 "' is not a module name (letters, digits, '_', "
                                                 "'-')"));
      }
      std::string norm = NormalizeModuleName(name);
      bool dup = false;
      for (const auto& m : out.protected_modules) dup |= (m == norm);
      if (dup) {
        out.warnings.push_back(absl::StrCat("kvm-arm.protected_modules: '", name,
                                            "' listed twice: modprobe loads it once"));
        continue;
      }
      out.protected_modules.push_back(std::move(norm));
    }
  }
  return out;
}

}  // namespace pkvm::internal

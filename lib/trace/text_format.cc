// File: lib/trace/text_format.cc
#include "trace/text_format.h"

#include <fnmatch.h>

#include <cerrno>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "status_internal.h"

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;

namespace {

// One conversion of a printf format, with the argument already chosen.
std::string Convert(const std::string& spec_prefix, const std::string& length, char conv,
                    uint64_t arg) {
  char buf[512];
  std::string spec = spec_prefix;  // "%-08" "%5.3" ... without length/conversion
  switch (conv) {
    case 'd':
    case 'i': {
      long long v;
      if (length == "hh") v = static_cast<signed char>(arg);
      else if (length == "h") v = static_cast<short>(arg);
      else if (length.empty()) v = static_cast<int>(arg);
      else v = static_cast<long long>(arg);
      spec += "ll";
      spec += conv;
      std::snprintf(buf, sizeof buf, spec.c_str(), v);
      return buf;
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      unsigned long long v;
      if (length == "hh") v = static_cast<unsigned char>(arg);
      else if (length == "h") v = static_cast<unsigned short>(arg);
      else if (length.empty()) v = static_cast<unsigned int>(arg);
      else v = arg;
      spec += "ll";
      spec += conv;
      std::snprintf(buf, sizeof buf, spec.c_str(), v);
      return buf;
    }
    case 'c':
      spec += 'c';
      std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<int>(static_cast<unsigned char>(arg)));
      return buf;
    default:  // %p, %s: an EL2 address the host cannot follow
      spec += "s";
      std::snprintf(buf, sizeof buf, spec.c_str(), absl::StrFormat("0x%016x", arg).c_str());
      return buf;
  }
}

}  // namespace

std::string FormatHypPrintk(const std::string& fmt, const std::array<uint64_t, 4>& args) {
  std::string out;
  size_t next_arg = 0;
  auto take = [&]() -> uint64_t { return next_arg < args.size() ? args[next_arg++] : 0; };
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out += fmt[i++];
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    std::string spec = "%";
    size_t j = i + 1;
    while (j < fmt.size() && std::string_view("-+ #0").find(fmt[j]) != std::string_view::npos)
      spec += fmt[j++];
    auto digits_or_star = [&] {
      if (j < fmt.size() && fmt[j] == '*') {
        spec += std::to_string(static_cast<int>(take()));
        ++j;
        return;
      }
      while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') spec += fmt[j++];
    };
    digits_or_star();
    if (j < fmt.size() && fmt[j] == '.') {
      spec += fmt[j++];
      digits_or_star();
    }
    std::string length;
    while (j < fmt.size() && std::string_view("hlLqjzt").find(fmt[j]) != std::string_view::npos)
      length += fmt[j++];
    if (j >= fmt.size()) {  // a dangling '%': printed as written
      out += fmt.substr(i);
      break;
    }
    const char conv = fmt[j++];
    if (std::string_view("diouxXcps").find(conv) == std::string_view::npos) {
      out += fmt.substr(i, j - i);  // unknown conversion: as written
    } else {
      if (conv == 'p') {  // %pS, %ps...: the kernel's pointer extensions
        while (j < fmt.size() && std::isalnum(static_cast<unsigned char>(fmt[j]))) ++j;
      }
      out += Convert(spec, length, conv, take());
    }
    i = j;
  }
  return out;
}

absl::StatusOr<uint64_t> ParseKernelUlong(const std::string& text) {
  std::string s = text;
  if (!s.empty() && s.back() == '\n') s.pop_back();
  size_t i = 0;
  if (i < s.size() && s[i] == '+') ++i;
  if (i == s.size()) return ErrnoError(EINVAL, "expected a decimal number");
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9')
      return ErrnoError(EINVAL, absl::StrCat("'", s, "' is not a decimal number"));
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return ErrnoError(ERANGE, "number out of range");
    v = v * 10 + d;
  }
  return v;
}

bool GlobMatch(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

}  // namespace pkvm::trace

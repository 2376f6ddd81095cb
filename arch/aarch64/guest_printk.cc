// File: arch/aarch64/guest_printk.cc -- see guest_printk.h.
#include "guest_printk.h"

#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace pkvm::arm64 {

uint64_t GuestArgs::Next() {
  if (used_ < nregs_) return regs_[used_++];
  uint64_t v = 0;
  const uint64_t slot = sp_ + 8 * static_cast<uint64_t>(used_++ - nregs_);
  if (!read_ || !read_(slot, &v, 8)) return 0;
  return v;
}

std::string ReadGuestString(const GuestRead& read, uint64_t addr, size_t max) {
  if (addr == 0) return "(null)";
  std::string s;
  char buf[64];
  while (s.size() < max) {
    const size_t chunk = std::min(sizeof buf, max - s.size());
    // Read byte-wise at the end of a mapping rather than failing the chunk.
    if (!read(addr + s.size(), buf, chunk)) {
      size_t i = 0;
      for (; i < chunk; ++i) {
        if (!read(addr + s.size() + i, buf + i, 1)) break;
        if (buf[i] == '\0') break;
      }
      s.append(buf, i);
      if (s.empty() && i == 0) return "(efault)";
      return s;
    }
    const void* nul = std::memchr(buf, 0, chunk);
    if (nul != nullptr) {
      s.append(buf, static_cast<const char*>(nul) - buf);
      return s;
    }
    s.append(buf, chunk);
  }
  return s;
}

absl::StatusOr<std::string> FormatGuestPrintf(const GuestRead& read, uint64_t fmt_addr,
                                              GuestArgs& args, size_t max_len) {
  char probe;
  if (!read(fmt_addr, &probe, 1))
    return absl::InvalidArgumentError(absl::StrFormat("format string at %#x is not mapped", fmt_addr));
  const std::string fmt = ReadGuestString(read, fmt_addr, 4096);
  std::string out;
  char buf[512];
  for (size_t i = 0; i < fmt.size() && out.size() < max_len;) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i++]);
      continue;
    }
    // %[flags][width][.precision][length]conversion
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() && std::strchr("-+ #0", fmt[j]) != nullptr) spec.push_back(fmt[j++]);
    auto number = [&](bool allow_star) {
      if (allow_star && j < fmt.size() && fmt[j] == '*') {
        spec += std::to_string(static_cast<int>(args.Next()));
        ++j;
        return;
      }
      while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') spec.push_back(fmt[j++]);
    };
    number(true);
    if (j < fmt.size() && fmt[j] == '.') {
      spec.push_back(fmt[j++]);
      number(true);
    }
    int longs = 0, shorts = 0;
    while (j < fmt.size() && std::strchr("hlzjtLq", fmt[j]) != nullptr) {
      const char c = fmt[j++];
      if (c == 'h') ++shorts;
      else longs = 2;  // l, ll, z, j, t, q, L: 64-bit on AArch64 (LP64)
    }
    if (j >= fmt.size()) {  // a lone '%' at the end: glibc prints nothing more
      break;
    }
    const char conv = fmt[j++];
    int n = 0;
    switch (conv) {
      case '%':
        out.push_back('%');
        break;
      case 'd':
      case 'i': {
        const uint64_t v = args.Next();
        long long sv = longs ? static_cast<long long>(v)
                       : shorts == 1 ? static_cast<short>(v)
                       : shorts >= 2 ? static_cast<signed char>(v)
                                     : static_cast<int>(v);
        n = std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), sv);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        const uint64_t v = args.Next();
        unsigned long long uv = longs ? v
                                : shorts == 1 ? static_cast<unsigned short>(v)
                                : shorts >= 2 ? static_cast<unsigned char>(v)
                                              : static_cast<unsigned int>(v);
        n = std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(), uv);
        break;
      }
      case 'c':
        n = std::snprintf(buf, sizeof buf, (spec + 'c').c_str(), static_cast<int>(args.Next()));
        break;
      case 'p': {
        const uint64_t v = args.Next();
        n = std::snprintf(buf, sizeof buf, (spec + 'p').c_str(), reinterpret_cast<void*>(v));
        break;
      }
      case 's': {
        const std::string s = ReadGuestString(read, args.Next());
        n = std::snprintf(buf, sizeof buf, (spec + 's').c_str(), s.c_str());
        if (n >= static_cast<int>(sizeof buf) && spec == "%") {  // long plain %s
          out += s;
          n = 0;
        }
        break;
      }
      default:
        // %n, floating point and unknown conversions: print the spec itself.
        out.append(fmt, i, j - i);
        break;
    }
    if (n > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
    i = j;
  }
  if (out.size() > max_len) out.resize(max_len);
  return out;
}

}  // namespace pkvm::arm64

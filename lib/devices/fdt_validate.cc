// File: lib/devices/fdt_validate.cc
// See fdt_validate.h. The layout is the Devicetree Specification's
// "Flattened Devicetree (DTB) Format": a big-endian header, the memory
// reservation block (address/size pairs ending in 0/0), the structure block
// (tokens, 4-byte aligned) and the strings block (NUL-terminated names).
#include "devices/fdt_validate.h"

#include <cstring>

#include "absl/strings/str_format.h"

namespace pkvm::devices {
namespace {

constexpr uint32_t kMagic = 0xd00dfeed;
constexpr uint32_t kBeginNode = 1, kEndNode = 2, kProp = 3, kNop = 4, kEnd = 9;
// magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version,
// last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct.
constexpr size_t kHeaderV16 = 9 * 4, kHeaderV17 = 10 * 4;

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

absl::Status Bad(const char* what, uint64_t value, uint64_t limit) {
  return absl::InvalidArgumentError(
      absl::StrFormat("flattened device tree: %s (%#x) is outside the blob's %#x bytes", what,
                      value, limit));
}

// [off, off + size) inside [0, limit), without wrapping.
bool Inside(uint64_t off, uint64_t size, uint64_t limit) {
  return off <= limit && size <= limit - off;
}

// A NUL-terminated string starting at `off` inside [begin, end).
bool TerminatedIn(std::span<const uint8_t> b, uint64_t off, uint64_t end) {
  if (off >= end) return false;
  return std::memchr(b.data() + off, 0, end - off) != nullptr;
}

}  // namespace

absl::Status ValidateFdtLayout(std::span<const uint8_t> b) {
  if (b.size() < kHeaderV16)
    return absl::InvalidArgumentError(absl::StrFormat(
        "flattened device tree: %u bytes is shorter than its header", b.size()));
  const uint8_t* h = b.data();
  if (Be32(h) != kMagic)
    return absl::InvalidArgumentError(
        absl::StrFormat("flattened device tree: bad magic %#x (expected 0xd00dfeed)", Be32(h)));
  const uint32_t total = Be32(h + 4), off_struct = Be32(h + 8), off_strings = Be32(h + 12),
                 off_rsv = Be32(h + 16), version = Be32(h + 20), last_comp = Be32(h + 24),
                 size_strings = Be32(h + 32);
  if (version < kMinFdtVersion || last_comp > 17)
    return absl::InvalidArgumentError(absl::StrFormat(
        "flattened device tree: version %u (compatible back to %u) is not supported: libpkvm "
        "reads versions 16 and 17, as dtc writes them",
        version, last_comp));
  const size_t header = version >= 17 ? kHeaderV17 : kHeaderV16;
  if (total > b.size()) return Bad("totalsize", total, b.size());
  if (total < header) return Bad("header", header, total);
  // Without size_dt_struct (version 16) the block runs to the strings block
  // or the end, whichever bounds it.
  uint64_t size_struct = version >= 17 ? Be32(h + 36) : 0;
  if (version < 17) {
    if (off_struct > total) return Bad("off_dt_struct", off_struct, total);
    size_struct = (off_strings > off_struct ? off_strings : total) - off_struct;
  }
  if (!Inside(off_struct, size_struct, total)) return Bad("structure block", off_struct, total);
  if (!Inside(off_strings, size_strings, total)) return Bad("strings block", off_strings, total);
  if (off_struct % 4 != 0 || size_struct % 4 != 0)
    return absl::InvalidArgumentError(
        "flattened device tree: the structure block is not 4-byte aligned");
  if (off_rsv % 8 != 0 || off_rsv < header)
    return absl::InvalidArgumentError(absl::StrFormat(
        "flattened device tree: off_mem_rsvmap %#x is not an 8-byte aligned offset past the "
        "header",
        off_rsv));

  // Memory reservation map: pairs of big-endian u64 ending in (0, 0).
  for (uint64_t off = off_rsv;; off += 16) {
    if (!Inside(off, 16, total)) return Bad("memory reservation map", off, total);
    bool zero = true;
    for (int i = 0; i < 16; ++i) zero = zero && b[off + i] == 0;
    if (zero) break;
  }

  // Structure block: one pass over the tokens.
  const uint64_t end = uint64_t{off_struct} + size_struct, strings_end =
                                                              uint64_t{off_strings} + size_strings;
  uint64_t off = off_struct;
  int depth = 0;
  bool seen_root = false;
  for (;;) {
    if (!Inside(off, 4, end)) return Bad("structure block token", off, end);
    const uint32_t token = Be32(h + off);
    const uint64_t at = off;
    off += 4;
    switch (token) {
      case kBeginNode: {
        if (depth == 0 && seen_root)
          return absl::InvalidArgumentError(
              "flattened device tree: more than one root node");
        seen_root = true;
        if (++depth > kMaxFdtDepth)
          return absl::InvalidArgumentError(absl::StrFormat(
              "flattened device tree: nodes nested deeper than %d levels", kMaxFdtDepth));
        if (!TerminatedIn(b, off, end)) return Bad("node name", off, end);
        const size_t len = std::strlen(reinterpret_cast<const char*>(h + off)) + 1;
        off += (len + 3) & ~size_t{3};
        break;
      }
      case kEndNode:
        if (depth == 0)
          return absl::InvalidArgumentError(absl::StrFormat(
              "flattened device tree: FDT_END_NODE at %#x closes no node", at));
        --depth;
        break;
      case kProp: {
        if (depth == 0)
          return absl::InvalidArgumentError(absl::StrFormat(
              "flattened device tree: property at %#x is outside any node", at));
        if (!Inside(off, 8, end)) return Bad("property header", off, end);
        const uint32_t len = Be32(h + off), nameoff = Be32(h + off + 4);
        off += 8;
        if (!Inside(off, len, end)) return Bad("property value length", len, end - off);
        if (!TerminatedIn(b, uint64_t{off_strings} + nameoff, strings_end) ||
            nameoff >= size_strings)
          return Bad("property name offset", nameoff, size_strings);
        off += (uint64_t{len} + 3) & ~uint64_t{3};
        if (off > end) return Bad("property value", off, end);
        break;
      }
      case kNop:
        break;
      case kEnd:
        if (depth != 0 || !seen_root)
          return absl::InvalidArgumentError(
              "flattened device tree: FDT_END before the root node is closed");
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError(absl::StrFormat(
            "flattened device tree: unknown token %#x at offset %#x", token, at));
    }
  }
}

}  // namespace pkvm::devices

// File: lib/devices/fdt_validate.h
// Structural validation of a flattened device tree before libfdt sees it.
//
// libfdt trusts a blob's header and token stream more than an input from
// outside deserves: Debian's libfdt 1.6.1 `fdt_check_full()` dereferences
// NULL for a version 2 header and walks forever when a property claims a
// length near 2^32 (the offset arithmetic wraps). ValidateFdtLayout() checks
// every field libfdt relies on -- header offsets and sizes inside the blob,
// the memory reservation map terminated inside it, every token, node name and
// property inside the structure block, every property name inside the
// strings block, balanced nodes ending in FDT_END -- with arithmetic that
// cannot wrap, in one linear pass. Only a blob that passes goes to libfdt.
//
//   if (absl::Status s = devices::ValidateFdtLayout(dtb); !s.ok()) ...
#ifndef PKVM_LIB_DEVICES_FDT_VALIDATE_H_
#define PKVM_LIB_DEVICES_FDT_VALIDATE_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace pkvm::devices {

// The oldest layout accepted: version 16 (what dtc and libfdt write is 17;
// Linux reads 16 and 17). Older layouts lack the strings-block size.
inline constexpr uint32_t kMinFdtVersion = 16;
// Deeper nesting than this is refused: no real tree comes near it, and the
// of_* walkers recurse per level.
inline constexpr int kMaxFdtDepth = 64;

// OK, or InvalidArgument naming the first field that is out of bounds.
absl::Status ValidateFdtLayout(std::span<const uint8_t> blob);

}  // namespace pkvm::devices

#endif  // PKVM_LIB_DEVICES_FDT_VALIDATE_H_

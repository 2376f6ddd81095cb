// File: arch/aarch64/guest_printk.h
// printf-style formatting of a call made by AArch64 guest code: the format
// string and any %s arguments are read from guest memory, integer arguments
// come one 64-bit register or stack slot at a time (AAPCS64 variadic calls;
// module code is -mgeneral-regs-only, so there are no FP arguments). The
// result is what glibc's vsnprintf would give for the same values, so a
// _printk from AArch64 module code logs the same line as the native module.
//
//   // in the _printk host call: x0 = format, x1..x7 then [sp]...
//   GuestArgs args(regs + 1, 7, read_stack);
//   std::string line = FormatGuestPrintf(read, regs[0], args).value();
#ifndef PKVM_ARCH_AARCH64_GUEST_PRINTK_H_
#define PKVM_ARCH_AARCH64_GUEST_PRINTK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace pkvm::arm64 {

// Copies `n` bytes of guest memory at `addr` into `out`; false if unmapped.
using GuestRead = std::function<bool(uint64_t addr, void* out, size_t n)>;

// The variadic arguments of a call: `nregs` values from registers, then
// 8-byte stack slots from `sp` up.
class GuestArgs {
 public:
  GuestArgs(const uint64_t* regs, int nregs, uint64_t sp, GuestRead read)
      : regs_(regs), nregs_(nregs), sp_(sp), read_(std::move(read)) {}
  uint64_t Next();

 private:
  const uint64_t* regs_;
  int nregs_;
  uint64_t sp_;
  GuestRead read_;
  int used_ = 0;
};

// Formats the NUL-terminated format at guest address `fmt`. Output is cut at
// `max_len` bytes like a fixed printk buffer. Errors: an unreadable format.
absl::StatusOr<std::string> FormatGuestPrintf(const GuestRead& read, uint64_t fmt, GuestArgs& args,
                                              size_t max_len = 1023);

// A NUL-terminated guest string of at most `max` bytes ("(efault)" if unreadable).
std::string ReadGuestString(const GuestRead& read, uint64_t addr, size_t max = 1024);

}  // namespace pkvm::arm64

#endif  // PKVM_ARCH_AARCH64_GUEST_PRINTK_H_

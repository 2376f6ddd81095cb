// File: lib/trace/text_format.h
// The small text pieces of hypervisor tracing that must match the kernel:
// printing a trace_hyp_printk format with its four u64 arguments (without
// ever dereferencing an EL2 pointer), kernel-style integer parsing for tracefs
// writes, and shell-glob matching for ftrace filters.
//
//   FormatHypPrintk("var: %d", {uint64_t(-1), 0, 0, 0})  == "var: -1"
//   ParseKernelUlong("7\n")                               == 7
#ifndef PKVM_LIB_TRACE_TEXT_FORMAT_H_
#define PKVM_LIB_TRACE_TEXT_FORMAT_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace pkvm::trace {

// printf of `fmt` with the record's four u64 arguments, converted the way a
// C vararg call with those conversions would see them. %s and %p* cannot
// follow EL2 pointers: they print the address.
std::string FormatHypPrintk(const std::string& fmt, const std::array<uint64_t, 4>& args);

// kstrtoul(buf, 10): decimal digits, an optional leading '+' and one
// trailing newline. -EINVAL for anything else, -ERANGE on overflow.
absl::StatusOr<uint64_t> ParseKernelUlong(const std::string& text);

// Shell-style glob (fnmatch without flags).
bool GlobMatch(const std::string& pattern, const std::string& name);

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_TEXT_FORMAT_H_

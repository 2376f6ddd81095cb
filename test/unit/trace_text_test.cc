// The text pieces of tracing that must match the kernel: trace_hyp_printk
// formatting, kstrtoul parsing of tracefs writes, ftrace globs.
#include "trace/text_format.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include "status_internal.h"

namespace pkvm::trace {
namespace {

TEST(FormatHypPrintk, IntegerConversionsSeeTheirCType) {
  const uint64_t minus1 = static_cast<uint64_t>(-1);
  EXPECT_EQ(FormatHypPrintk("%d", {minus1, 0, 0, 0}), "-1");
  EXPECT_EQ(FormatHypPrintk("%u", {minus1, 0, 0, 0}), "4294967295");  // int-sized
  EXPECT_EQ(FormatHypPrintk("%lld %llu", {minus1, minus1, 0, 0}), "-1 18446744073709551615");
  EXPECT_EQ(FormatHypPrintk("%hhx %hx", {0x1ff, 0x1ffff, 0, 0}), "ff ffff");
  EXPECT_EQ(FormatHypPrintk("0x%08llx|%-4d|%5u", {0xabc, 7, 42, 0}), "0x00000abc|7   |   42");
  EXPECT_EQ(FormatHypPrintk("%c%c", {'o', 'k', 0, 0}), "ok");
}

TEST(FormatHypPrintk, MissingArgumentsAreZeroAndExtraOnesIgnored) {
  EXPECT_EQ(FormatHypPrintk("a=%d b=%d c=%d d=%d e=%d", {1, 2, 3, 4}), "a=1 b=2 c=3 d=4 e=0");
  EXPECT_EQ(FormatHypPrintk("Hello World", {1, 2, 3, 4}), "Hello World");
}

TEST(FormatHypPrintk, PointersAndStringsPrintTheAddressNeverDereference) {
  EXPECT_EQ(FormatHypPrintk("%s", {0x1000, 0, 0, 0}), "0x0000000000001000");
  EXPECT_EQ(FormatHypPrintk("[%pS]", {0xffff800008000000, 0, 0, 0}), "[0xffff800008000000]");
}

TEST(FormatHypPrintk, PercentAndOddFormats) {
  EXPECT_EQ(FormatHypPrintk("100%% %d", {5, 0, 0, 0}), "100% 5");
  EXPECT_EQ(FormatHypPrintk("tail %", {0, 0, 0, 0}), "tail %");
  EXPECT_EQ(FormatHypPrintk("%y%d", {3, 0, 0, 0}), "%y3");
  EXPECT_EQ(FormatHypPrintk("%*d", {4, 9, 0, 0}), "   9");
}

TEST(ParseKernelUlong, AcceptsWhatKstrtoulAccepts) {
  EXPECT_EQ(ParseKernelUlong("7").value(), 7u);
  EXPECT_EQ(ParseKernelUlong("7\n").value(), 7u);
  EXPECT_EQ(ParseKernelUlong("+12").value(), 12u);
  EXPECT_EQ(ParseKernelUlong("18446744073709551615").value(), UINT64_MAX);
}

TEST(ParseKernelUlong, RejectsTheRest) {
  for (const char* bad : {"", "\n", "-1", " 1", "1 ", "0x10", "1\n\n", "abc", "+"})
    EXPECT_EQ(::pkvm::internal::ErrnoOf(ParseKernelUlong(bad).status()), -EINVAL) << "'" << bad << "'";
  EXPECT_EQ(::pkvm::internal::ErrnoOf(ParseKernelUlong("18446744073709551616").status()), -ERANGE);
}

TEST(GlobMatch, ShellGlobs) {
  EXPECT_TRUE(GlobMatch("pkvm_*", "pkvm_driver_hyp_hvc"));
  EXPECT_TRUE(GlobMatch("*hvc", "pkvm_driver_hyp_hvc"));
  EXPECT_TRUE(GlobMatch("pkvm_driver_hyp_?vc", "pkvm_driver_hyp_hvc"));
  EXPECT_TRUE(GlobMatch("[ph]kvm*", "pkvm_x"));
  EXPECT_FALSE(GlobMatch("pkvm_*", "__kvm_nvhe_pkvm_x"));
  EXPECT_FALSE(GlobMatch("hvc", "pkvm_hvc"));
}

}  // namespace
}  // namespace pkvm::trace

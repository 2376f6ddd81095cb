// File: test/unit/cmdline_test.cc
// The kernel command-line parser (pkvm::internal::ParseKernelCmdline) and
// modprobe's name normalisation. Spec: pkvm-abi.md section 4.

#include <cerrno>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/cmdline.h"
#include "status_internal.h"

namespace pkvm::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;

KernelCmdline ParseOk(const std::string& cmdline) {
  absl::StatusOr<KernelCmdline> r = ParseKernelCmdline(cmdline);
  EXPECT_TRUE(r.ok()) << "'" << cmdline << "': " << r.status().ToString();
  if (!r.ok()) return {};
  return *std::move(r);
}

absl::Status ParseErr(const std::string& cmdline) {
  absl::StatusOr<KernelCmdline> r = ParseKernelCmdline(cmdline);
  EXPECT_FALSE(r.ok()) << "'" << cmdline << "' parsed";
  if (r.ok()) return absl::OkStatus();
  return r.status();
}

// ---- NormalizeModuleName -------------------------------------------------------

TEST(NormalizeModuleNameTest, FoldsDashesToUnderscores) {
  EXPECT_EQ(NormalizeModuleName("foo-bar"), "foo_bar");
  EXPECT_EQ(NormalizeModuleName("a-b-c-"), "a_b_c_");
  EXPECT_EQ(NormalizeModuleName("already_ok"), "already_ok");
  EXPECT_EQ(NormalizeModuleName("MiXeD-09"), "MiXeD_09");
  EXPECT_EQ(NormalizeModuleName(""), "");
}

// ---- kvm-arm.protected_modules ----------------------------------------------------

TEST(ParseKernelCmdlineTest, ModuleListKeepsOrder) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=zeta,alpha,mid");
  EXPECT_THAT(c.protected_modules, ElementsAre("zeta", "alpha", "mid"));
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ParseKernelCmdlineTest, SingleModule) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=pkvm_s2mpu");
  EXPECT_THAT(c.protected_modules, ElementsAre("pkvm_s2mpu"));
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ParseKernelCmdlineTest, DashesFoldToUnderscores) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=foo-bar,baz,q-u-x");
  EXPECT_THAT(c.protected_modules, ElementsAre("foo_bar", "baz", "q_u_x"));
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ParseKernelCmdlineTest, EmptyEntryInTheMiddleIsSkippedWithAWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=a,,b");
  EXPECT_THAT(c.protected_modules, ElementsAre("a", "b"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("empty"));
}

TEST(ParseKernelCmdlineTest, TrailingEmptyEntryIsSkippedWithAWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=a,");
  EXPECT_THAT(c.protected_modules, ElementsAre("a"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("empty"));
}

TEST(ParseKernelCmdlineTest, LeadingEmptyEntryIsSkippedWithAWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=,a");
  EXPECT_THAT(c.protected_modules, ElementsAre("a"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("empty"));
}

TEST(ParseKernelCmdlineTest, EachEmptyEntryGetsItsOwnWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=,a,,,b,");
  EXPECT_THAT(c.protected_modules, ElementsAre("a", "b"));
  EXPECT_THAT(c.warnings, SizeIs(4));
}

TEST(ParseKernelCmdlineTest, DuplicateIsLoadedOnceWithAWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=foo,foo");
  EXPECT_THAT(c.protected_modules, ElementsAre("foo"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("'foo'"));
}

TEST(ParseKernelCmdlineTest, DuplicateAfterNormalisationIsLoadedOnceWithAWarning) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=foo-bar,foo_bar");
  EXPECT_THAT(c.protected_modules, ElementsAre("foo_bar"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("foo_bar"));
}

TEST(ParseKernelCmdlineTest, DuplicateAfterNormalisationInEitherOrder) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=foo_bar,foo-bar");
  EXPECT_THAT(c.protected_modules, ElementsAre("foo_bar"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("foo-bar"));
}

TEST(ParseKernelCmdlineTest, DuplicateKeepsFirstPosition) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=a,b,a,c");
  EXPECT_THAT(c.protected_modules, ElementsAre("a", "b", "c"));
  EXPECT_THAT(c.warnings, SizeIs(1));
}

TEST(ParseKernelCmdlineTest, BareOptionIsMalformed) {
  const absl::Status s = ParseErr("quiet kvm-arm.protected_modules");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("malformed"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("kvm-arm.protected_modules"));
}

TEST(ParseKernelCmdlineTest, EverythingAfterDoubleDashIsForInit) {
  const KernelCmdline c = ParseOk("quiet -- kvm-arm.protected_modules=x");
  EXPECT_TRUE(c.protected_modules.empty());
}

TEST(ParseKernelCmdlineTest, OptionNameMatchesWithUnderscoresLikeParameq) {
  const KernelCmdline c = ParseOk("kvm_arm.protected_modules=x");
  EXPECT_THAT(c.protected_modules, ::testing::ElementsAre("x"));
}

TEST(ParseKernelCmdlineTest, EmptyValueWarnsNothing) {
  EXPECT_TRUE(ParseOk("kvm-arm.protected_modules=").warnings.empty());
}

TEST(ParseKernelCmdlineTest, EmptyValueIsAnEmptyList) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=");
  EXPECT_THAT(c.protected_modules, IsEmpty());
  EXPECT_THAT(c.params, ElementsAre(Pair("kvm-arm.protected_modules", "")));
}

TEST(ParseKernelCmdlineTest, NameWithSlashIsInvalid) {
  const absl::Status s = ParseErr("kvm-arm.protected_modules=good,a/b");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_THAT(std::string(s.message()), HasSubstr("'a/b'"));
}

TEST(ParseKernelCmdlineTest, QuotedNameWithSpaceIsInvalid) {
  const absl::Status s = ParseErr("kvm-arm.protected_modules=\"a b\"");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_THAT(std::string(s.message()), HasSubstr("'a b'"));
}

TEST(ParseKernelCmdlineTest, NameWithDotIsInvalid) {
  const absl::Status s = ParseErr("kvm-arm.protected_modules=x.y,z");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_THAT(std::string(s.message()), HasSubstr("'x.y'"));
}

TEST(ParseKernelCmdlineTest, SecondOptionReplacesTheFirstWithAWarning) {
  const KernelCmdline c =
      ParseOk("kvm-arm.protected_modules=a,b console=ttyS0 kvm-arm.protected_modules=c");
  EXPECT_THAT(c.protected_modules, ElementsAre("c"));
  ASSERT_THAT(c.warnings, SizeIs(1));
  EXPECT_THAT(c.warnings[0], HasSubstr("more than once"));
}

TEST(ParseKernelCmdlineTest, SecondEmptyOptionClearsTheList) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=a kvm-arm.protected_modules=");
  EXPECT_THAT(c.protected_modules, IsEmpty());
  EXPECT_THAT(c.warnings, Not(IsEmpty()));
}

// ---- word splitting and params -----------------------------------------------------

TEST(ParseKernelCmdlineTest, ParamsAreRecordedInOrder) {
  const KernelCmdline c = ParseOk(
      "console=ttyS0,115200 quiet kvm-arm.mode=protected kvm-arm.protected_modules=m earlycon");
  EXPECT_THAT(c.params, ElementsAre(Pair("console", "ttyS0,115200"), Pair("quiet", ""),
                                    Pair("kvm-arm.mode", "protected"),
                                    Pair("kvm-arm.protected_modules", "m"), Pair("earlycon", "")));
  EXPECT_THAT(c.protected_modules, ElementsAre("m"));
}

TEST(ParseKernelCmdlineTest, ValueKeepsLaterEqualsSigns) {
  const KernelCmdline c = ParseOk("root=PARTUUID=1234-5678 a=b=c");
  EXPECT_THAT(c.params, ElementsAre(Pair("root", "PARTUUID=1234-5678"), Pair("a", "b=c")));
}

TEST(ParseKernelCmdlineTest, BlanksOfAllKindsSeparateWords) {
  const KernelCmdline c = ParseOk("  a=1\tb \n c=3  ");
  EXPECT_THAT(c.params, ElementsAre(Pair("a", "1"), Pair("b", ""), Pair("c", "3")));
}

TEST(ParseKernelCmdlineTest, QuotesGroupBlanksIntoOneWord) {
  const KernelCmdline c = ParseOk("foo=\"a b\" bar");
  EXPECT_THAT(c.params, ElementsAre(Pair("foo", "a b"), Pair("bar", "")));
}

TEST(ParseKernelCmdlineTest, QuotedModuleListIsAccepted) {
  const KernelCmdline c = ParseOk("kvm-arm.protected_modules=\"a,b-c\"");
  EXPECT_THAT(c.protected_modules, ElementsAre("a", "b_c"));
}

TEST(ParseKernelCmdlineTest, UnterminatedQuoteIsInvalid) {
  const absl::Status s = ParseErr("quiet foo=\"a b");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_THAT(std::string(s.message()), HasSubstr("quote"));
}

TEST(ParseKernelCmdlineTest, OptionWithoutNameIsInvalid) {
  const absl::Status s = ParseErr("quiet =value");
  EXPECT_EQ(ErrnoOf(s), -EINVAL);
  EXPECT_THAT(std::string(s.message()), HasSubstr("=value"));
}

TEST(ParseKernelCmdlineTest, EmptyCommandLineParsesToNothing) {
  const KernelCmdline c = ParseOk("");
  EXPECT_THAT(c.params, IsEmpty());
  EXPECT_THAT(c.protected_modules, IsEmpty());
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ParseKernelCmdlineTest, WhitespaceOnlyCommandLineParsesToNothing) {
  const KernelCmdline c = ParseOk(" \t\n  ");
  EXPECT_THAT(c.params, IsEmpty());
  EXPECT_THAT(c.protected_modules, IsEmpty());
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ParseKernelCmdlineTest, NoModuleOptionMeansNoModules) {
  const KernelCmdline c = ParseOk("console=ttyS0 kvm-arm.mode=protected");
  EXPECT_THAT(c.protected_modules, IsEmpty());
  EXPECT_THAT(c.warnings, IsEmpty());
  EXPECT_THAT(c.params, SizeIs(2));
}

// The kernel keeps COMMAND_LINE_SIZE (2048) bytes, NUL included: a longer line
// is refused with the sizes, before any per-word work (a megabyte of module
// names used to take seconds of duplicate checks and flood the boot log).
TEST(ParseKernelCmdlineTest, LongerThanTheKernelKeepsIsRefused) {
  std::string fits = "kvm-arm.protected_modules=";
  fits.append(2047 - fits.size(), 'a');
  ASSERT_EQ(fits.size(), 2047u);
  EXPECT_THAT(ParseOk(fits).protected_modules, SizeIs(1));
  const absl::Status s = ParseErr(fits + "a");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("2048 bytes is longer than the 2047"));
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "hyp_event=nosuch" + std::to_string(i) + " ";
  EXPECT_THAT(ParseErr(huge).message(), HasSubstr("COMMAND_LINE_SIZE 2048"));
}

}  // namespace
}  // namespace pkvm::internal

// module_param tells "mod.flag" (a bare bool: true) from
// "mod.flag=" (an empty value).
TEST(ParseKernelCmdlineTest, RecordsWhetherEachParamHadAnEqualsSign) {
  const pkvm::internal::KernelCmdline c =
      pkvm::internal::ParseKernelCmdline("m.flag m.s= m.v=1 \"m.q\"").value();
  ASSERT_EQ(c.params.size(), 4u);
  EXPECT_THAT(c.param_has_value, ::testing::ElementsAre(false, true, true, false));
}


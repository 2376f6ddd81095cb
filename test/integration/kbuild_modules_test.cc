// Modules built from their own Kbuild / BUILD.bazel by pkvm_add_kbuild_module()
// (test/modules/ktree): each answers its hypercall with values that show the
// build inputs reached the code it was built from -- per-directory and
// per-object flags, vendor include directories of the tree, -DMODULE at EL2,
// Kconfig values, DDK local_defines and ddk_headers -- on both backends. The
// module with an EL2 .S file runs on the Unicorn backend only, and says so
// on the native one, as does the module with AArch64 inline assembly built
// UNICORN_ONLY.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "backends.h"
#include "pkvm/abi/smccc.h"

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;

struct Built {
  const char* so;
  const char* ko;
};

template <typename B>
class KbuildModuleTest : public ::testing::Test {
 protected:
  static constexpr bool kUnicorn = B::kKind == BackendKind::kUnicorn;

  // Boots a machine with the module (its .so natively, its .ko on Unicorn)
  // and returns it, or nullptr after failing the test.
  std::unique_ptr<Hypervisor> Boot(Generation gen, const std::string& name, Built files) {
    auto hv = MakeMachine(B::kKind, gen, "kvm-arm.protected_modules=" + name);
    if (hv == nullptr) return nullptr;
    auto offered = hv->OfferModuleFile(kUnicorn ? files.ko : files.so);
    EXPECT_TRUE(offered.ok()) << offered.status().ToString();
    if (!offered.ok()) return nullptr;
    EXPECT_EQ(*offered, name);
    const Status s = hv->Boot();
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << hv->boot_log();
    if (!s.ok()) return nullptr;
    EXPECT_THAT(hv->loaded_modules(), ::testing::ElementsAre(name));
    return hv;
  }
};
TYPED_TEST_SUITE(KbuildModuleTest, Backends, BackendNames);

TYPED_TEST(KbuildModuleTest, KbuildModuleGetsItsDirectoryAndObjectFlags) {
  auto hv = this->Boot(Generation::kA15, "pkvm_kbuild",
                       {PKVM_TEST_KBUILD_SO, PKVM_TEST_KBUILD_KO});
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(0), 0u);
  // CFLAGS_calc.nvhe.o's step (3) and the tree's vendor header (0x1000).
  EXPECT_EQ(r->x(1), 5u * 3 + 0x1000);
  // ccflags-y's -DMODULE reached the EL2 objects: the #ifdef MODULE init ran.
  EXPECT_EQ(r->x(2), 1u);
  // CFLAGS_el1.o is el1.o's alone.
  EXPECT_EQ(r->x(3), 0u);
}

TYPED_TEST(KbuildModuleTest, AddModuleOptionsReachTheHalfTheyName) {
  auto hv = this->Boot(Generation::kA15, "options", {PKVM_TEST_OPTIONS_SO, PKVM_TEST_OPTIONS_KO});
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(1), 5u * 4 + 2);   // EL2_DEFINES, EL2_COMPILE_OPTIONS
  EXPECT_EQ(r->x(2), 9u + 100);     // KCONFIG value, DEFINES
  EXPECT_EQ(r->x(3), 0x500u);       // INCLUDE_DIRS; EL1_DEFINES stayed at EL1
}

TYPED_TEST(KbuildModuleTest, DdkModuleGetsLibraryDefinesHeadersAndModuleAtEl2) {
  auto hv = this->Boot(Generation::kA16, "pkvm_ddk", {PKVM_TEST_DDK_SO, PKVM_TEST_DDK_KO});
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(1), 5u * 7 + 5);  // local_defines PKVM_DDK_FACTOR, ddk_headers' offset
  EXPECT_EQ(r->x(2), 1u);          // A16's Makefile.module compiles EL2 with -DMODULE
}

TYPED_TEST(KbuildModuleTest, KconfigValuesChooseObjectsFlagsAndCode) {
  auto hv = this->Boot(Generation::kA15, "pkvm_kconfig",
                       {PKVM_TEST_KCONFIG_SO, PKVM_TEST_KCONFIG_KO});
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(1), 42u);          // hyp-obj-$(CONFIG_..._EXTRA) built extra.o, #ifdef saw it
  EXPECT_EQ(r->x(2), 3u);           // CONFIG_PKVM_KCONFIG_LEVEL=3
  EXPECT_EQ(r->x(3), 100u + 2);     // ifeq chose the =1 branch; CONFIG_..._NAME="kc"
}

TYPED_TEST(KbuildModuleTest, El2AssemblyRunsOnUnicornAndIsRefusedNatively) {
  if constexpr (TestFixture::kUnicorn) {
    auto hv = this->Boot(Generation::kA15, "pkvm_asm", {PKVM_TEST_ASM_SO, PKVM_TEST_ASM_KO});
    ASSERT_NE(hv, nullptr);
    auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {5, 6});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->x(1), 5u + 6 + 1);  // add.S
  } else {
    auto hv = MakeMachine(TypeParam::kKind, Generation::kA15, "kvm-arm.protected_modules=pkvm_asm");
    ASSERT_NE(hv, nullptr);
    auto offered = hv->OfferModuleFile(PKVM_TEST_ASM_SO);
    ASSERT_FALSE(offered.ok());
    EXPECT_THAT(offered.status().ToString(),
                HasSubstr("this module has AArch64 assembly in its EL2 part (add.S): use "
                          "--backend unicorn"));
  }
}

TYPED_TEST(KbuildModuleTest, InlineAssemblyModuleBuiltUnicornOnlyRunsOnUnicorn) {
  if constexpr (TestFixture::kUnicorn) {
    auto hv = this->Boot(Generation::kA15, "pkvm_inline_asm",
                         {PKVM_TEST_INLINE_ASM_SO, PKVM_TEST_INLINE_ASM_KO});
    ASSERT_NE(hv, nullptr);
    auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {41});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->x(1), 42u);  // the AArch64 `add` in el2.c
  } else {
    auto hv = MakeMachine(TypeParam::kKind, Generation::kA15,
                          "kvm-arm.protected_modules=pkvm_inline_asm");
    ASSERT_NE(hv, nullptr);
    auto offered = hv->OfferModuleFile(PKVM_TEST_INLINE_ASM_SO);
    ASSERT_FALSE(offered.ok());
    EXPECT_THAT(offered.status().ToString(),
                HasSubstr("AArch64 assembly in its EL2 part (inline assembly): use --backend "
                          "unicorn"));
  }
}

}  // namespace
}  // namespace pkvm::testing

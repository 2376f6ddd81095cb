// The Android page's module, both forms, loaded and called as a device would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a14);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;

template <typename B>
class ExampleModuleTest : public ::testing::Test {};
TYPED_TEST_SUITE(ExampleModuleTest, Backends, BackendNames);

struct Form {
  Generation gen;
  const pkvm_native_module* module;
};

TYPED_TEST(ExampleModuleTest, LoadsAndAnswersItsHypercallInBothForms) {
  for (const Form& f : {Form{Generation::kA14, &PKVM_NATIVE_MODULE(pkvm_driver_a14)},
                        Form{Generation::kA15, &PKVM_NATIVE_MODULE(pkvm_driver_a15)}}) {
    SCOPED_TRACE(GenerationNumber(f.gen));
    auto hv = MakeMachine(TypeParam::kKind, f.gen, "kvm-arm.protected_modules=pkvm_driver");
    ASSERT_TRUE(hv->OfferModule(*f.module).ok());
    const Status boot = hv->Boot();
    ASSERT_TRUE(boot.ok()) << boot.ToString() << "\n" << hv->boot_log();
    EXPECT_TRUE(hv->protected_vms_enabled());
    EXPECT_THAT(hv->loaded_modules(), ::testing::ElementsAre("pkvm_driver"));
    EXPECT_THAT(hv->boot_log(), HasSubstr("dynamic hypercall 128 (0xc6000080)"));
    EXPECT_EQ(hv->dynamic_hcall_count(), 1u);

    auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {7, 8, 9});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->x(0), 0u);  // SMCCC_RET_SUCCESS (preset in A14, set by the handler in A15)
    EXPECT_EQ(r->x(1), 0u);  // the handler's result
    EXPECT_EQ(r->x(2), 8u);  // untouched registers come back as they went in
    EXPECT_EQ(r->x(3), 9u);
  }
}

TYPED_TEST(ExampleModuleTest, SveHintBitIsIgnoredFromA15Only) {
  auto a15 = MakeMachine(TypeParam::kKind, Generation::kA15, "kvm-arm.protected_modules=pkvm_driver");
  ASSERT_TRUE(a15->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).ok());
  ASSERT_TRUE(a15->Boot().ok());
  EXPECT_EQ(a15->HostHvc(PKVM_HOST_SMCCC_ID(128) | PKVM_SMCCC_CALL_HINTS)->x(0), 0u);

  auto a14 = MakeMachine(TypeParam::kKind, Generation::kA14, "kvm-arm.protected_modules=pkvm_driver");
  ASSERT_TRUE(a14->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a14)).ok());
  ASSERT_TRUE(a14->Boot().ok());
  EXPECT_EQ(a14->HostHvc(PKVM_HOST_SMCCC_ID(128) | PKVM_SMCCC_CALL_HINTS)->x(0),
            static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED));
}

TYPED_TEST(ExampleModuleTest, AModuleOfferedButNotNamedIsNotLoaded) {
  auto hv = MakeMachine(TypeParam::kKind, Generation::kA15, "quiet");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).ok());
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_TRUE(hv->loaded_modules().empty());
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128))->x(0),
            static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED));
}

TYPED_TEST(ExampleModuleTest, ModuleOfOtherGenerationIsRefused) {
  auto hv = MakeMachine(TypeParam::kKind, Generation::kA16, "kvm-arm.protected_modules=pkvm_driver");
  const Status s = hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15));
  EXPECT_EQ(s.error(), -ENOEXEC);
  EXPECT_THAT(s.message(), HasSubstr("built for A15"));
}

}  // namespace
}  // namespace pkvm::testing

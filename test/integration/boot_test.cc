// Boot -> module loading -> deprivilege, and everything that can go wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

#include "backends.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/kmodule.h"

PKVM_DECLARE_NATIVE_MODULE(probe_a15);
PKVM_DECLARE_NATIVE_MODULE(init_fails);
PKVM_DECLARE_NATIVE_MODULE(el1_fails);
PKVM_DECLARE_NATIVE_MODULE(many_hcalls);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

extern "C" int __pkvm_load_el2_module(void* this_module, unsigned long* token);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;
constexpr uint64_t kNotSupported = static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED);

template <typename B>
class BootTest : public ::testing::Test {
 protected:
  std::unique_ptr<Hypervisor> Machine(const std::string& cmdline, int cpus = 1) {
    return MakeMachine(B::kKind, Generation::kA15, cmdline, cpus);
  }
};
TYPED_TEST_SUITE(BootTest, Backends, BackendNames);

TYPED_TEST(BootTest, CreateRejectsBadOptions) {
  HypervisorOptions o;
  o.generation = static_cast<Generation>(13);
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
  o.generation = Generation::kA15;
  o.cpus = 0;
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
  o.cpus = 1;
  o.cmdline = "kvm-arm.protected_modules";
  auto bare = Hypervisor::Create(o);
  EXPECT_EQ(bare.status().error(), -EINVAL);
  EXPECT_THAT(bare.status().message(), HasSubstr("malformed"));
  o.cmdline = "kvm-arm.protected_modules=ok,../etc";
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
  o.cmdline = "";
  o.ram_size = 1000;
  EXPECT_EQ(Hypervisor::Create(o).status().error(), -EINVAL);
}

TYPED_TEST(BootTest, ModulesLoadInCommandLineOrderAndDuplicatesOnce) {
  auto hv = this->Machine("kvm-arm.protected_modules=pkvm-driver,,probe,probe");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  EXPECT_THAT(hv->loaded_modules(), ::testing::ElementsAre("pkvm_driver", "probe"));
  EXPECT_THAT(hv->boot_log(), HasSubstr("empty module name skipped"));
  EXPECT_THAT(hv->boot_log(), HasSubstr("listed twice"));
  // pkvm_driver registered first, so it owns 128 and probe owns 129.
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(129), {0})->x(1), 0x600du);
}

TYPED_TEST(BootTest, ModuleNobodyOfferedDisablesProtectedVms) {
  auto hv = this->Machine("kvm-arm.protected_modules=missing,probe");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  const Status s = hv->Boot();
  EXPECT_EQ(s.error(), -ENOENT);
  EXPECT_THAT(s.message(), HasSubstr("missing"));
  EXPECT_FALSE(hv->protected_vms_enabled());
  EXPECT_THAT(hv->protected_vms_disabled_reason(), HasSubstr("missing"));
  // The first failure stops the loop; the machine still deprivileges.
  EXPECT_TRUE(hv->loaded_modules().empty());
  EXPECT_EQ(hv->state(), MachineState::kDeprivileged);
  EXPECT_TRUE(hv->HostHvc(PKVM_HOST_SMCCC_ID(128)).ok());
  EXPECT_THAT(hv->boot_log(), HasSubstr("Failed to load pkvm module missing: -2"));
}

TYPED_TEST(BootTest, El2InitErrorIsTheLoadErrorAndUnmapsTheModule) {
  auto hv = this->Machine("kvm-arm.protected_modules=init_fails");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(init_fails)).ok());
  const Status s = hv->Boot();
  EXPECT_EQ(s.error(), -EINVAL);
  EXPECT_FALSE(hv->protected_vms_enabled());
  EXPECT_THAT(hv->protected_vms_disabled_reason(), HasSubstr("init_fails failed to load with -EINVAL"));
  EXPECT_THAT(hv->boot_log(), HasSubstr("Failed to init EL2 module: -22"));
}

TYPED_TEST(BootTest, El1InitErrorIsTheLoadError) {
  auto hv = this->Machine("kvm-arm.protected_modules=el1_fails");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(el1_fails)).ok());
  EXPECT_EQ(hv->Boot().error(), -ENODEV);
  EXPECT_FALSE(hv->protected_vms_enabled());
}

TYPED_TEST(BootTest, OfferingRules) {
  auto hv = this->Machine("kvm-arm.protected_modules=probe");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  EXPECT_EQ(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).error(), -EEXIST);
  pkvm_native_module bogus = PKVM_NATIVE_MODULE(pkvm_driver_a15);
  bogus.magic = 0;
  EXPECT_EQ(hv->OfferModule(bogus).error(), -ENOEXEC);
  EXPECT_EQ(hv->OfferModuleFile("/nonexistent/x.so").status().error(), -ENOENT);
  // A file that is there but is not a module: -ENOEXEC, as finit_module.
  const std::string text = ::testing::TempDir() + "/not_a_module.so";
  {
    std::ofstream(text) << "not a module\n";
  }
  const Status not_elf = hv->OfferModuleFile(text).status();
  EXPECT_EQ(not_elf.error(), -ENOEXEC);
  EXPECT_THAT(not_elf.message(), HasSubstr("not an ELF file"));
  EXPECT_EQ(hv->OfferModuleFile(::testing::TempDir()).status().error(), -EISDIR);
  std::remove(text.c_str());
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_EQ(hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).error(), -EBUSY);
  EXPECT_EQ(hv->Boot().error(), -EBUSY);  // no double boot
}

TYPED_TEST(BootTest, CallsBeforeBootOrOnMissingCpusFail) {
  auto hv = this->Machine("", 2);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128)).status().error(), -EPERM);
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_TRUE(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {}, 1).ok());
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {}, 2).status().error(), -EINVAL);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {}, -1).status().error(), -EINVAL);
}

TYPED_TEST(BootTest, DynamicIdsRunOutAfter128) {
  auto hv = this->Machine("kvm-arm.protected_modules=many_hcalls");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(many_hcalls)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();  // it checks 128..255 then -ENOMEM itself
  EXPECT_EQ(hv->dynamic_hcall_count(), 128u);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128))->x(1), 0x77u);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(255))->x(1), 0x77u);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(256))->x(0), kNotSupported);
}

TYPED_TEST(BootTest, DeprivilegeClosesThePrivilegedHypercalls) {
  auto hv = this->Machine("kvm-arm.protected_modules=probe", 2);
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  ASSERT_TRUE(hv->Boot().ok());
  // __pkvm_register_hcall (18) and __pkvm_alloc_module_va (14) are gone...
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(18), {0x1000})->x(0), kNotSupported);
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(14), {1})->x(0), kNotSupported);
  EXPECT_EQ(hv->dynamic_hcall_count(), 1u);
  // ...__pkvm_prot_finalize (20 in A15) answers but each CPU finalizes once...
  auto again = hv->HostHvc(PKVM_HOST_SMCCC_ID(20), {}, 1);
  EXPECT_EQ(again->x(0), 0u);
  EXPECT_EQ(static_cast<int64_t>(again->x(1)), -EPERM);
  // ...and dynamic hypercalls keep working.
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {0})->x(1), 0x600du);
  EXPECT_EQ(hv->HostHvc(0x84000000)->x(0), kNotSupported);  // not a pKVM id
}

TYPED_TEST(BootTest, LoaderChecksAlignmentAndFinalization) {
  auto hv = this->Machine("");
  pkvm_kmodule_a15 mod{};
  std::snprintf(mod.name, sizeof mod.name, "handmade");
  alignas(4096) static char text[8192];
  mod.hyp.text = {text + 8, text + 4096};  // not page-aligned
  int rc = 0;
  ASSERT_TRUE(hv->RunEl1([&] { rc = __pkvm_load_el2_module(&mod, nullptr); }).ok());
  EXPECT_EQ(rc, -EINVAL);
  EXPECT_THAT(hv->boot_log(), HasSubstr("EL2 sections are not page-aligned"));
  ASSERT_TRUE(hv->Boot().ok());
  mod.hyp.text = {text, text + 4096};
  ASSERT_TRUE(hv->RunEl1([&] { rc = __pkvm_load_el2_module(&mod, nullptr); }).ok());
  EXPECT_EQ(rc, -EOPNOTSUPP);
}

TYPED_TEST(BootTest, ModuleFilesLoadThroughDlopen) {
  // Each backend loads its own build of the module: NAME.so natively,
  // the AArch64 NAME.ko in Unicorn; the other one is refused with a hint.
  const bool uc = TypeParam::kKind == BackendKind::kUnicorn;
  auto wrong = this->Machine("");
  const Status refused = wrong->OfferModuleFile(uc ? PKVM_TEST_PROBE_A15_SO : PKVM_TEST_PROBE_A15_KO).status();
  EXPECT_EQ(refused.error(), -ENOEXEC);
  EXPECT_THAT(refused.message(), HasSubstr(uc ? "is not an AArch64 module (.ko)" : "--backend unicorn"));
  auto hv = this->Machine("kvm-arm.protected_modules=probe");
  auto name = hv->OfferModuleFile(uc ? PKVM_TEST_PROBE_A15_KO : PKVM_TEST_PROBE_A15_SO);
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "probe");
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {0})->x(1), 0x600du);
  // A shared object that is not a module.
  auto other = this->Machine("");
  EXPECT_EQ(other->OfferModuleFile(PKVM_TEST_NOT_A_MODULE_SO).status().error(), -ENOEXEC);
}

}  // namespace
}  // namespace pkvm::testing

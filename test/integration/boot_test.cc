// Boot -> module loading -> deprivilege, and everything that can go wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

using ::testing::AllOf;
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

// Every machine has its own image of a module offered as a file (natively a
// private dlopen() of a copy, in Unicorn its own RAM): the module's EL2
// globals -- here the count of characters its serial driver saw -- are per
// machine, one machine's boot does not reset another's, and destroying one
// leaves the others working.
class ProbeMachine {
 public:
  static constexpr uint64_t kHvc = PKVM_HOST_SMCCC_ID(128);
  explicit ProbeMachine(std::unique_ptr<Hypervisor> hv) : hv_(std::move(hv)) {}
  // Boots with probe from its file and registers its serial driver.
  ::testing::AssertionResult Boot(bool unicorn) {
    auto name = hv_->OfferModuleFile(unicorn ? PKVM_TEST_PROBE_A15_KO : PKVM_TEST_PROBE_A15_SO);
    if (!name.ok()) return ::testing::AssertionFailure() << name.status().ToString();
    if (Status s = hv_->Boot(); !s.ok())
      return ::testing::AssertionFailure() << s.ToString() << "\n" << hv_->boot_log();
    auto r = hv_->HostHvc(kHvc, {7 /* PROBE_REG_SERIAL */});
    if (!r.ok() || r->x(1) != 0) return ::testing::AssertionFailure() << "register_serial_driver";
    base_ = Chars();
    return ::testing::AssertionSuccess();
  }
  // Prints one character through ops->putc (the module's driver counts it).
  bool Putc() { return hv_->HostHvc(kHvc, {11 /* PROBE_PUTC */, 'x'}).ok(); }
  // Characters the module counted since Boot().
  uint64_t Chars() {
    auto r = hv_->HostHvc(kHvc, {18 /* PROBE_PUTC_CHARS */});
    return r.ok() ? r->x(1) - base_ : ~uint64_t{0};
  }

 private:
  std::unique_ptr<Hypervisor> hv_;
  uint64_t base_ = 0;
};

TYPED_TEST(BootTest, MachinesWithTheSameModuleFileKeepTheirOwnState) {
  const bool uc = TypeParam::kKind == BackendKind::kUnicorn;
  ProbeMachine a(this->Machine("kvm-arm.protected_modules=probe"));
  ASSERT_TRUE(a.Boot(uc));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a.Putc());
  {
    // B boots while A is alive: A's module state stays.
    ProbeMachine b(this->Machine("kvm-arm.protected_modules=probe"));
    ASSERT_TRUE(b.Boot(uc));
    ASSERT_TRUE(b.Putc());
    EXPECT_EQ(a.Chars(), 3u);
    EXPECT_EQ(b.Chars(), 1u);
  }
  // B is gone: A's module (and its saved ops pointer) still works.
  ASSERT_TRUE(a.Putc());
  EXPECT_EQ(a.Chars(), 4u);
}

TYPED_TEST(BootTest, MachinesWithTheSameModuleFileInTwoThreadsKeepTheirOwnState) {
  const bool uc = TypeParam::kKind == BackendKind::kUnicorn;
  constexpr int kRounds = 3;
  constexpr uint64_t kPuts = 40;
  std::atomic<int> failures{0};
  auto run = [&](int id) {
    for (int round = 0; round < kRounds; ++round) {
      ProbeMachine m(this->Machine("kvm-arm.protected_modules=probe"));
      if (!m.Boot(uc)) {
        ++failures;
        return;
      }
      // Each machine sees exactly its own characters, while the other
      // thread boots, prints and destroys machines of the same module.
      for (uint64_t i = 1; i <= kPuts + static_cast<uint64_t>(id); ++i)
        if (!m.Putc() || m.Chars() != i) ++failures;
    }
  };
  std::thread t0(run, 0), t1(run, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(failures.load(), 0);
}

// A module whose EL2 sections lie far apart (a large object between them)
// needs more module VA than there is: -ENOMEM, with a line saying why.
TYPED_TEST(BootTest, El2SectionsSpanningALargeObjectAreNamedInTheError) {
  auto hv = this->Machine("");
  pkvm_kmodule_a15 mod{};
  std::snprintf(mod.name, sizeof mod.name, "spread");
  alignas(4096) static char text[4096];
  const uintptr_t far = reinterpret_cast<uintptr_t>(text) + (2ull << 30);  // never touched
  mod.hyp.text = {text, text + 4096};
  mod.hyp.data = {reinterpret_cast<void*>(far), reinterpret_cast<void*>(far + 4096)};
  int rc = 0;
  ASSERT_TRUE(hv->RunEl1([&] { rc = __pkvm_load_el2_module(&mod, nullptr); }).ok());
  EXPECT_EQ(rc, -ENOMEM);
  EXPECT_THAT(hv->boot_log(), AllOf(HasSubstr("spread: no module VA for its EL2 image"),
                                    HasSubstr("span 2097156 KiB"),
                                    HasSubstr("something large lies between them")))
      << hv->boot_log();
}

// A module file named without a slash is the file in the current
// directory (as insmod takes it), not a name for dlopen()'s library search;
// a file that is there but cannot be loaded is -ENOEXEC with the loader's
// reason, a missing one -ENOENT.
TYPED_TEST(BootTest, ModuleFileNamesArePathsAndLoadErrorsSayWhy) {
  const bool uc = TypeParam::kKind == BackendKind::kUnicorn;
  const std::string dir = ::testing::TempDir();
  const std::string file = uc ? "cwd_probe.ko" : "cwd_probe.so";
  std::vector<char> bytes;
  {
    std::ifstream in(uc ? PKVM_TEST_PROBE_A15_KO : PKVM_TEST_PROBE_A15_SO, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), 64u);
  std::ofstream(dir + "/" + file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::ofstream(dir + "/cwd_short", std::ios::binary).write(bytes.data(), 64);  // an ELF header only
  char old_cwd[4096];
  ASSERT_NE(getcwd(old_cwd, sizeof old_cwd), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0);
  auto hv = this->Machine("kvm-arm.protected_modules=probe");
  auto name = hv->OfferModuleFile(file);
  auto missing = hv->OfferModuleFile(uc ? "cwd_missing.ko" : "cwd_missing.so");
  auto shortfile = this->Machine("")->OfferModuleFile("cwd_short");
  ASSERT_EQ(chdir(old_cwd), 0);
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "probe");
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  EXPECT_EQ(hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {0})->x(1), 0x600du);
  EXPECT_EQ(missing.status().error(), -ENOENT) << missing.status().ToString();
  EXPECT_EQ(shortfile.status().error(), -ENOEXEC) << shortfile.status().ToString();
  if (!uc) {
    EXPECT_THAT(shortfile.status().message(), HasSubstr("cwd_short: ")) << shortfile.status().ToString();
  }
  std::remove((dir + "/" + file).c_str());
  std::remove((dir + "/cwd_short").c_str());
}

// Donations to the hypervisor take free host memory, never the pages the
// host kernel runs from (in Unicorn the module images and the hypercall
// stub live in RAM): after the host has given away everything it can, the
// module still answers.
TYPED_TEST(BootTest, DonationsNeverTakeTheKernelsOwnPages) {
  auto hv = this->Machine("kvm-arm.protected_modules=probe");
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  int donated = 0;
  while (donated < 64 && hv->TopUpHypPool(HypPool::kHypAlloc, 256).ok()) ++donated;
  EXPECT_GT(donated, 0);
  auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128), {0});
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << hv->panic_report();
  EXPECT_EQ(r->x(1), 0x600du);
}

// Unknown hyp_event= names: one boot-log line per name (each once), at most
// 16, then a count.
TYPED_TEST(BootTest, UnknownHypEventNamesAreWarnedAboutBoundedly) {
  std::string names;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&names, names.empty() ? "" : ",", "nx", i);
  auto hv = this->Machine("hyp_event=" + names + ",nx0,nx0");
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  const std::string log = hv->boot_log();
  size_t lines = 0;
  for (size_t at = log.find("no event named"); at != std::string::npos;
       at = log.find("no event named", at + 1))
    ++lines;
  EXPECT_EQ(lines, 16u) << log;
  EXPECT_THAT(log, HasSubstr("no event named 'nx0'"));
  EXPECT_THAT(log, HasSubstr("hyp_event=: 84 more unknown names")) << log;
}

}  // namespace
}  // namespace pkvm::testing

// Faults in module code on the Unicorn backend are hyp panics of that
// machine, not crashes: each fault kind ends the hypercall
// with -EIO and a report naming the kind, the PC with the nearest module
// symbol (without __kvm_nvhe_), the fault address and the registers; the
// module's panic notifier runs; every later call on that machine fails
// cleanly and other machines keep working. These check what only the
// AArch64 CPU has (its registers, system registers, EL1 faults, the page
// model behind EL2's mappings); module_fault_test.cc runs the fault kinds
// on both backends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>
#include <string>

#include "../modules/probe/probe.h"
#include "absl/strings/str_format.h"
#include "backends.h"
#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(faulty);
PKVM_DECLARE_NATIVE_MODULE(probe_a15);

namespace pkvm::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kHvc = 0xC6000080;

std::unique_ptr<Hypervisor> BootFaulty() {
  HypervisorOptions o;
  o.backend = BackendKind::kUnicorn;
  o.generation = Generation::kA15;
  o.cmdline = "kvm-arm.protected_modules=faulty";
  o.call_time_limit_ms = 200;  // the runaway-loop case
  auto hv = Hypervisor::Create(o);
  EXPECT_TRUE(hv.ok()) << hv.status().ToString();
  if (!hv.ok()) return nullptr;
  EXPECT_TRUE((*hv)->OfferModule(PKVM_NATIVE_MODULE(faulty)).ok());
  const Status s = (*hv)->Boot();
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << (*hv)->boot_log();
  return std::move(hv).value();
}

struct FaultCase {
  const char* name;
  uint64_t how;     // x1 of the hypercall
  const char* kind;  // what the report must say
  const char* detail;
};

class UnicornFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(UnicornFaultTest, IsAHypPanicWithAReportAndTheProcessGoesOn) {
  const FaultCase& c = GetParam();
  auto hv = BootFaulty();
  ASSERT_NE(hv, nullptr);
  // Healthy first: the module works.
  auto ok = hv->HostHvc(kHvc, {0});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->x(1), 0x600du);

  auto r = hv->HostHvc(kHvc, {c.how, 0});
  ASSERT_FALSE(r.ok()) << c.name << " did not fault";
  EXPECT_EQ(r.status().error(), -EIO);
  EXPECT_EQ(hv->state(), MachineState::kPanicked);
  const std::string report = hv->panic_report();
  EXPECT_THAT(report, HasSubstr("HYP panic on CPU0"));
  EXPECT_THAT(report, HasSubstr(c.kind)) << report;
  EXPECT_THAT(report, HasSubstr(c.detail)) << report;
  EXPECT_THAT(report, Not(HasSubstr("__kvm_nvhe_"))) << report;
  if (c.how != 7) {  // a BUG() reports file and line instead of registers
    EXPECT_THAT(report, AllOf(HasSubstr("pc 0x"), HasSubstr("far 0x"), HasSubstr("x30"),
                              HasSubstr("sp ")))
        << report;
  }
  EXPECT_THAT(r.status().message(), HasSubstr(c.kind));
  // The module's panic notifier ran (it printed through the serial driver).
  EXPECT_THAT(hv->serial_output(), HasSubstr("faulty: panic notifier ran"));
  // Every later call on this machine fails cleanly.
  auto again = hv->HostHvc(kHvc, {0});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().error(), -EIO);
  EXPECT_THAT(again.status().message(), HasSubstr("panicked"));
  EXPECT_EQ(hv->TracefsRead("hyp/tracing_on").status().error(), -EIO);
  // Other machines are unaffected.
  auto other = BootFaulty();
  ASSERT_NE(other, nullptr);
  auto fine = other->HostHvc(kHvc, {0});
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(fine->x(1), 0x600du);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, UnicornFaultTest,
    ::testing::Values(
        FaultCase{"UnmappedLoad", 1, "EL2 data abort", "faulty_hyp_hvc+0x"},
        FaultCase{"StoreIntoText", 2, "EL2 data abort", "a store into code"},
        FaultCase{"UndefinedInstruction", 3, "EL2 undefined instruction", "faulty_hyp_hvc+0x"},
        FaultCase{"UnknownSystemRegister", 4, "EL2 undefined instruction", "faulty_hyp_hvc+0x"},
        FaultCase{"RunawayLoop", 5, "runaway code", "faulty_hyp_hvc+0x"},
        FaultCase{"BranchToNowhere", 6, "EL2 instruction abort", "pc 0xc0000001000"},
        FaultCase{"Bug", 7, "BUG at", "faulty_hyp_hvc+0x"}),
    [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.name); });

TEST(UnicornFaultTest, FarNamesTheUnmappedAddress) {
  auto hv = BootFaulty();
  ASSERT_NE(hv, nullptr);
  ASSERT_FALSE(hv->HostHvc(kHvc, {1}).ok());
  EXPECT_THAT(hv->panic_report(), HasSubstr("far 0xc0000000000"));
}

// EL2 code may touch only memory the hypervisor owns, borrows or has mapped:
// a store through hyp_va() into a host-owned page is an EL2 data
// abort whose report names the page and its owner; the same store into a
// page the host shared first goes through.
TEST(UnicornFaultTest, El2TouchingAHostPageIsAHypPanicNamingItsOwner) {
  HypervisorOptions o;
  o.backend = BackendKind::kUnicorn;
  o.cmdline = "kvm-arm.protected_modules=probe";
  auto hv = Hypervisor::Create(o).value();
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(probe_a15)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  const uint64_t hyp_page = 0x40000000 + (64ull << 20) - 4096;  // donated below
  ASSERT_TRUE(hv->TopUpHypPool(HypPool::kHypAlloc, 1).ok());
  auto fine = hv->HostHvc(kHvc, {PROBE_PHYS_ROUNDTRIP, hyp_page + 8, 0x5a});
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(fine->x(2), 0x5au);
  auto bad = hv->HostHvc(kHvc, {PROBE_PHYS_ROUNDTRIP, 0x40012340, 0x5a});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(hv->panic_report(), AllOf(HasSubstr("EL2 data abort"), HasSubstr("0x40012340"),
                                        HasSubstr("pfn 0x40012"), HasSubstr("owner=host")))
      << hv->panic_report();
}

// Every EL1 load and store is checked against the host stage-2:
// el1_mmio's module_init touches a device page mmio_emul's EL2 code took
// away from the host, with ordinary instructions. Each access is a
// permission fault whose syndrome the EL2 handler decodes (size, register,
// sign extension), emulates and skips; the store pair it cannot decode is
// refused, and the injected abort is a kernel panic naming why.
TEST(UnicornFaultTest, El1AccessesRunTheHostPermFaultChain) {
  HypervisorOptions o;
  o.backend = BackendKind::kUnicorn;
  o.cmdline = "kvm-arm.protected_modules=el1_mmio";
  auto hv = Hypervisor::Create(o).value();
  ASSERT_TRUE(hv->AddMmioRegion(0x9000000, 4096, "emulated").ok());
  auto name = hv->OfferModuleFile(PKVM_TEST_EL1_MMIO_KO);
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  const Status boot = hv->Boot();
  EXPECT_FALSE(boot.ok());
  EXPECT_THAT(hv->boot_log(), HasSubstr("el1_mmio: id=4d4d494f scratch=ffffffffffff8001 "
                                        "half=-32767 reads=3"));
  EXPECT_THAT(hv->boot_log(), Not(HasSubstr("not reached")));
  EXPECT_EQ(hv->state(), MachineState::kPanicked);
  EXPECT_THAT(hv->panic_report(), AllOf(HasSubstr("Kernel panic"), HasSubstr("EL1 data abort"),
                                        HasSubstr("far 0x9000008"), HasSubstr("refused it (-EPERM)")))
      << hv->panic_report();
}

// A small .ko may declare gigabytes of NOBITS (.bss) sections: offering it is
// -ENOMEM naming the sizes, before anything that size is allocated.
TEST(UnicornFaultTest, ModuleLargerThanModuleMemoryIsRefusedWhenOffered) {
  std::ifstream in(PKVM_TEST_EL1_MMIO_KO, std::ios::binary);
  std::vector<char> ko((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(ko.size(), 64u);
  uint64_t shoff = 0;
  uint16_t shentsize = 0, shnum = 0;
  std::memcpy(&shoff, ko.data() + 0x28, 8);
  std::memcpy(&shentsize, ko.data() + 0x3a, 2);
  std::memcpy(&shnum, ko.data() + 0x3c, 2);
  int grown = 0;
  for (uint16_t i = 0; i < shnum; ++i) {
    char* sh = ko.data() + shoff + uint64_t{i} * shentsize;
    uint32_t type = 0;
    std::memcpy(&type, sh + 4, 4);
    if (type != 8 /* SHT_NOBITS */) continue;
    const uint64_t size = 0x3ff00000;  // just under the linker's 1 GiB section limit
    std::memcpy(sh + 32, &size, 8);
    ++grown;
  }
  ASSERT_GE(grown, 1);
  const std::string path = ::testing::TempDir() + "/huge_bss.ko";
  std::ofstream(path, std::ios::binary).write(ko.data(), static_cast<std::streamsize>(ko.size()));
  HypervisorOptions o;
  o.backend = BackendKind::kUnicorn;
  auto hv = Hypervisor::Create(o).value();
  const Status s = hv->OfferModuleFile(path).status();
  EXPECT_EQ(s.error(), -ENOMEM) << s.ToString();
  EXPECT_THAT(s.message(), AllOf(HasSubstr("KiB of module memory"), HasSubstr("ram_size")));
  std::remove(path.c_str());
}

// EL2 code reaches host memory through pkvm_module_ops only as far as the
// machine mapped it for EL2: each abuse below is a hyp panic naming the op,
// the argument and the calling code, and no host byte is read or written.
// (On the native backend the same calls would reach the host directly.)
std::string OpsAbuseReport(uint64_t how, uint64_t x2) {
  auto hv = BootFaulty();
  if (hv == nullptr) return "no machine";
  auto r = hv->HostHvc(kHvc, {how, x2});
  if (r.ok()) return "no fault";
  EXPECT_EQ(hv->state(), MachineState::kPanicked);
  // The process goes on: another machine works.
  auto other = BootFaulty();
  EXPECT_NE(other, nullptr);
  if (other != nullptr) {
    auto fine = other->HostHvc(kHvc, {0});
    EXPECT_TRUE(fine.ok() && fine->x(1) == 0x600du);
  }
  return hv->panic_report();
}

// The Unicorn backend's hyp linear map: hyp_va(pa) = pa + 10 TiB
// (docs/debugging.md).
constexpr uint64_t kHypLinearOffset = 0x00000a0000000000ull;

TEST(UnicornOpsSandboxTest, HypVaOfAnAddressOutsideRamIsNotAWindowOntoTheHost) {
  // Below RAM, and far above it: the hyp linear map has nothing there, so
  // the load faults at hyp_va(phys) (natively the arithmetic would point
  // into the host process).
  for (const uint64_t phys : {uint64_t{0x3ff00000}, uint64_t{0x40000000 + (80ull << 20)},
                              uint64_t{0x7fff00000000}}) {
    const std::string report = OpsAbuseReport(14, phys);
    EXPECT_THAT(report, AllOf(HasSubstr("EL2 data abort"),
                              HasSubstr(absl::StrFormat("far %#x", phys + kHypLinearOffset)),
                              HasSubstr("faulty_hyp_hvc+0x")))
        << report;
  }
}

TEST(UnicornOpsSandboxTest, MemsetIsCheckedOverItsWholeRange) {
  // 16 bytes of its own .data are fine; 1 MiB from there runs past what
  // EL2 has mapped.
  {
    auto hv = BootFaulty();
    ASSERT_NE(hv, nullptr);
    auto r = hv->HostHvc(kHvc, {15, 16});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto copy = hv->HostHvc(kHvc, {20, 0});  // faulty_buf[1] = faulty_buf[0], now 0
    ASSERT_TRUE(copy.ok());
    EXPECT_EQ(copy->x(2), 0u);
  }
  const std::string report = OpsAbuseReport(15, 1 << 20);
  EXPECT_THAT(report, AllOf(HasSubstr("pkvm_module_ops->memset() argument 0 (dst)"),
                            HasSubstr("has not mapped writable"), HasSubstr("called from pc 0x"),
                            HasSubstr("faulty_hyp_hvc+0x")))
      << report;
}

TEST(UnicornOpsSandboxTest, MemcpyCopiesWhatEl2Maps) {
  auto hv = BootFaulty();
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(kHvc, {20, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->x(2), 0x5au);
}

TEST(UnicornOpsSandboxTest, MemcpyToNullIsAHypPanic) {
  const std::string report = OpsAbuseReport(16, 0);
  EXPECT_THAT(report, AllOf(HasSubstr("pkvm_module_ops->memcpy() argument 0 (to)"),
                            HasSubstr("reaches 0x0,"), HasSubstr("faulty_hyp_hvc+0x")))
      << report;
}

TEST(UnicornOpsSandboxTest, MemcpyIntoModuleTextIsAHypPanic) {
  const std::string report = OpsAbuseReport(17, 0);
  EXPECT_THAT(report, AllOf(HasSubstr("pkvm_module_ops->memcpy() argument 0 (to)"),
                            HasSubstr("not mapped writable"), HasSubstr("faulty_hyp_hvc+0x")))
      << report;
}

TEST(UnicornOpsSandboxTest, AKeptTraceEntryPointerFaultsAfterTheCall) {
  auto hv = BootFaulty();
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->TracefsWrite("hyp/tracing_on", "1").ok());
  auto r = hv->HostHvc(kHvc, {18, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->x(2), 1u) << "tracing_reserve_entry() gave no entry";
  // The trace buffer goes away; the module still has the pointer.
  ASSERT_TRUE(hv->TracefsWrite("hyp/tracing_on", "0").ok());
  ASSERT_TRUE(hv->TracefsWrite("hyp/buffer_size_kb", "8").ok());
  auto stale = hv->HostHvc(kHvc, {19, 0});
  ASSERT_FALSE(stale.ok());
  EXPECT_THAT(hv->panic_report(), AllOf(HasSubstr("EL2 data abort"), HasSubstr("faulty_hyp_hvc+0x")))
      << hv->panic_report();
}

// Unicorn reserves about 1 GiB of address space per CPU and would exit(1)
// the process when it cannot: under an address-space limit, Create() fails
// with -ENOMEM and a message instead (run in a child process: the limit
// would outlive the test).
void CreateUnderAddressSpaceLimit() {
  uint64_t pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%" SCNu64, &pages) != 1) pages = 0;
    std::fclose(f);
  }
  const rlim_t lim = pages * 4096 + (512ull << 20);
  const rlimit r{lim, lim};
  if (setrlimit(RLIMIT_AS, &r) != 0) _exit(2);
  HypervisorOptions o;
  o.backend = BackendKind::kUnicorn;
  auto hv = Hypervisor::Create(o);
  if (hv.ok()) _exit(3);
  std::fprintf(stderr, "%s\n", hv.status().ToString().c_str());
  const bool named = hv.status().message().find("RLIMIT_AS") != std::string::npos;
  _exit(hv.status().error() == -ENOMEM && named ? 0 : 4);
}

TEST(UnicornResourceDeathTest, AnAddressSpaceLimitFailsCreateInsteadOfExitingTheProcess) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer runtimes need an unlimited address space";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(CreateUnderAddressSpaceLimit(), ::testing::ExitedWithCode(0),
              "not enough address space for a Unicorn CPU");
}

}  // namespace
}  // namespace pkvm::testing

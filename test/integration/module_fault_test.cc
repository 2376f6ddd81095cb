// Contained module faults, on both backends: whatever module EL2 code does
// wrong -- a NULL or wild pointer, a store into its text, an undefined
// instruction, a runaway loop, recursion past the hyp stack, a physical
// address used as a pointer -- is a hyp panic of that machine whose report
// names the cause, the faulting function as `symbol+off (file:line)` and a
// call trace; the process goes on and a fresh machine answers hypercalls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <string>

#include "backends.h"
#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(faulty);

namespace pkvm::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kHvc = 0xC6000080;
// The last page of the machine's 64 MiB of RAM (from 1 GiB, QEMU virt):
// the first the host donates to the hypervisor's allocator.
constexpr uint64_t kHypPagePa = 0x40000000 + (64ull << 20) - 4096;

template <typename B>
class ModuleFaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<Hypervisor> Boot(uint64_t hyp_stack_size = 0) {
    HypervisorOptions o;
    o.backend = B::kKind;
    o.generation = Generation::kA15;
    o.cmdline = "kvm-arm.protected_modules=faulty";
    o.call_time_limit_ms = 200;  // the runaway-loop case
    o.hyp_stack_size = hyp_stack_size;
    auto hv = Hypervisor::Create(o);
    EXPECT_TRUE(hv.ok()) << hv.status().ToString();
    if (!hv.ok()) return nullptr;
    EXPECT_TRUE((*hv)->OfferModule(PKVM_NATIVE_MODULE(faulty)).ok());
    const Status s = (*hv)->Boot();
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << (*hv)->boot_log();
    return s.ok() ? std::move(hv).value() : nullptr;
  }

  // Runs fault case `how` on a fresh machine; returns the panic report
  // after checking what every case shares.
  std::string Panic(uint64_t how, uint64_t x2 = 0,
                    const std::function<void(Hypervisor&)>& setup = nullptr) {
    auto hv = Boot();
    if (hv == nullptr) return "";
    if (setup) setup(*hv);
    auto ok = hv->HostHvc(kHvc, {0});
    EXPECT_TRUE(ok.ok()) << ok.status().ToString();
    auto r = hv->HostHvc(kHvc, {how, x2});
    EXPECT_FALSE(r.ok()) << "case " << how << " did not panic";
    if (r.ok()) return "";
    EXPECT_EQ(r.status().error(), -EIO);
    EXPECT_EQ(hv->state(), MachineState::kPanicked);
    const std::string report = hv->panic_report();
    EXPECT_THAT(report, HasSubstr("HYP panic on CPU0"));
    // The faulting function with its source line, and a call trace.
    EXPECT_THAT(report, ContainsRegex("pc 0x[0-9a-f]+ faulty_[a-z_.]+\\+0x[0-9a-f]+ "
                                      "\\(el2\\.c:[0-9]+\\)"))
        << report;
    // (The link register: in the module, or the hypervisor's call into it.)
    EXPECT_THAT(report, ContainsRegex("\n  lr 0x[0-9a-f]+")) << report;
    EXPECT_THAT(report, ContainsRegex("Call trace:\n +\\[<0x[0-9a-f]+ faulty_")) << report;
    EXPECT_THAT(report, Not(HasSubstr("__kvm_nvhe_"))) << report;
    // The module's panic notifier ran; the machine refuses further calls.
    EXPECT_THAT(hv->serial_output(), HasSubstr("faulty: panic notifier ran"));
    auto again = hv->HostHvc(kHvc, {0});
    EXPECT_FALSE(again.ok());
    // The process goes on: a fresh machine answers hypercalls.
    auto fresh = Boot();
    if (fresh != nullptr) {
      auto fine = fresh->HostHvc(kHvc, {0});
      EXPECT_TRUE(fine.ok()) << fine.status().ToString();
      if (fine.ok()) {
        EXPECT_EQ(fine->x(1), 0x600du);
      }
    }
    return report;
  }
};
TYPED_TEST_SUITE(ModuleFaultTest, Backends, BackendNames);

TYPED_TEST(ModuleFaultTest, NullLoad) {
  const std::string r = this->Panic(8, 0);
  EXPECT_THAT(r, AllOf(HasSubstr("EL2 data abort"), HasSubstr("faulty_hyp_hvc+0x"),
                       HasSubstr("far 0x0\n")))
      << r;
}

TYPED_TEST(ModuleFaultTest, WildStore) {
  const std::string r = this->Panic(9);
  EXPECT_THAT(r, AllOf(HasSubstr("EL2 data abort"), HasSubstr("faulty_hyp_hvc+0x"),
                       HasSubstr("far 0x10000000000\n")))
      << r;
}

TYPED_TEST(ModuleFaultTest, StoreIntoText) {
  const std::string r = this->Panic(2);
  EXPECT_THAT(r, AllOf(HasSubstr("EL2 data abort"), HasSubstr("a store into code"),
                       ContainsRegex("far 0x[0-9a-f]+ faulty_victim\\+0x0 \\(el2\\.c:[0-9]+\\)")))
      << r;
}

TYPED_TEST(ModuleFaultTest, UndefinedInstruction) {
  const std::string r = this->Panic(3);
  // (Natively GCC may move the trap into faulty_hyp_hvc.cold.)
  EXPECT_THAT(r, AllOf(HasSubstr("EL2 undefined instruction"), HasSubstr("pc 0x"),
                       HasSubstr(" faulty_hyp_hvc")))
      << r;
}

// A call through a function pointer to where no code is: the PC is the
// bad target (no symbol), the caller is the module.
TYPED_TEST(ModuleFaultTest, BranchToNowhere) {
  auto hv = this->Boot();
  ASSERT_NE(hv, nullptr);
  auto r = hv->HostHvc(kHvc, {6});
  ASSERT_FALSE(r.ok());
  const std::string report = hv->panic_report();
  EXPECT_THAT(report, AllOf(HasSubstr("EL2 instruction abort"), HasSubstr("pc 0xc0000001000"),
                            ContainsRegex("\n  lr 0x[0-9a-f]+ faulty_hyp_hvc\\+0x")))
      << report;
  auto fresh = this->Boot();
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->HostHvc(kHvc, {0}).ok());
}

TYPED_TEST(ModuleFaultTest, RunawayLoopIsStoppedByTheCallTimeLimit) {
  const std::string r = this->Panic(5);
  EXPECT_THAT(r, AllOf(HasSubstr("runaway code: still running after 200 ms"),
                       HasSubstr("faulty_hyp_hvc+0x")))
      << r;
}

TYPED_TEST(ModuleFaultTest, RecursionPastTheHypStack) {
  const std::string r = this->Panic(10);
  EXPECT_THAT(r, AllOf(HasSubstr("hyp stack overflow"), HasSubstr("faulty_recurse+0x"),
                       HasSubstr("4096-byte hyp stack")))
      << r;
  // The call trace is a chain of faulty_recurse frames.
  EXPECT_THAT(r, ContainsRegex("faulty_recurse[^\n]*\n[^\n]*faulty_recurse[^\n]*\n[^\n]*"
                               "faulty_recurse"))
      << r;
}

TYPED_TEST(ModuleFaultTest, TwelveKibFrameOverflowsADeviceSizedStack) {
  const std::string r = this->Panic(12, 7);
  EXPECT_THAT(r, AllOf(HasSubstr("hyp stack overflow"), HasSubstr("faulty_big_frame+0x"))) << r;
}

// The stack is the generation's by default and configurable: the same
// recursion that overflows 4 KiB runs in 16 KiB.
TYPED_TEST(ModuleFaultTest, HypStackSizeIsConfigurable) {
  auto small = this->Boot();
  ASSERT_NE(small, nullptr);
  auto shallow = small->HostHvc(kHvc, {13, 8});
  ASSERT_TRUE(shallow.ok()) << shallow.status().ToString();
  EXPECT_EQ(shallow->x(2), 8u);
  EXPECT_FALSE(small->HostHvc(kHvc, {13, 64}).ok());
  EXPECT_THAT(small->panic_report(), HasSubstr("hyp stack overflow"));

  auto large = this->Boot(16384);
  ASSERT_NE(large, nullptr);
  auto deep = large->HostHvc(kHvc, {13, 64});
  ASSERT_TRUE(deep.ok()) << deep.status().ToString() << "\n" << large->boot_log();
  EXPECT_EQ(deep->x(2), 64u);
}

// A physical address used as a pointer at EL2 faults even for a page the
// hypervisor owns: EL2 reaches RAM through its linear map (hyp_va()), and
// the report says where that is. (Natively it faults because nothing of
// the process lives at the physical address; docs/debugging.md.)
TYPED_TEST(ModuleFaultTest, PhysicalAddressAsPointer) {
  const std::string r = this->Panic(11, kHypPagePa + 8, [](Hypervisor& hv) {
    ASSERT_TRUE(hv.TopUpHypPool(HypPool::kHypAlloc, 1).ok());
  });
  EXPECT_THAT(r, AllOf(HasSubstr("EL2 data abort"),
                       HasSubstr("a physical address of RAM used as a pointer"),
                       HasSubstr("hyp_va(0x43fff008)")))
      << r;
}

// A fault outside module code is not contained: it is libpkvm's own bug
// or the test's, and the process dies as it would without libpkvm.
TEST(ModuleFaultDeathTest, FaultOutsideModuleCodeIsNotContained) {
  EXPECT_DEATH(
      {
        HypervisorOptions o;
        o.cmdline = "kvm-arm.protected_modules=faulty";
        auto hv = Hypervisor::Create(o).value();
        (void)hv->OfferModule(PKVM_NATIVE_MODULE(faulty));
        (void)hv->Boot();
        (void)hv->HostHvc(kHvc, {0});  // installs the handlers
        *static_cast<volatile int*>(nullptr) = 1;
      },
      "");
}

}  // namespace
}  // namespace pkvm::testing

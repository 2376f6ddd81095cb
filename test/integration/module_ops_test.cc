// Every pkvm_module_ops service, driven from EL2 code (the
// probe module) through real hypercalls, for each generation and backend.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "../modules/probe/probe.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(probe_a14);
PKVM_DECLARE_NATIVE_MODULE(probe_a15);
PKVM_DECLARE_NATIVE_MODULE(probe_a16);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <Generation G>
const pkvm_native_module& ProbeModule() {
  return ForGeneration<G>(PKVM_NATIVE_MODULE(probe_a14), PKVM_NATIVE_MODULE(probe_a15),
                          PKVM_NATIVE_MODULE(probe_a16));
}

template <typename C>
class ModuleOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hv_ = MakeMachine(C::Backend::kKind, C::kGen, "kvm-arm.protected_modules=probe", 2);
    ASSERT_TRUE(hv_->OfferModule(ProbeModule<C::kGen>()).ok());
    const Status s = hv_->Boot();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv_->boot_log();
  }
  // Runs a probe command at EL2; returns x1 (and x2/x3 through the pointers).
  uint64_t Probe(uint64_t cmd, uint64_t a = 0, uint64_t b = 0, uint64_t* x2 = nullptr,
                 uint64_t* x3 = nullptr, int cpu = 0) {
    auto r = hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {cmd, a, b}, cpu);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return ~0ull;
    EXPECT_EQ(r->x(0), 0u);
    if (x2) *x2 = r->x(2);
    if (x3) *x3 = r->x(3);
    return r->x(1);
  }
  int ProbeInt(uint64_t cmd, uint64_t a = 0) { return static_cast<int>(Probe(cmd, a)); }
  uint64_t Counters(uint64_t* smc_trap_abt, uint64_t* psci_panic) {
    return Probe(PROBE_COUNTERS, 0, 0, smc_trap_abt, psci_panic);
  }
  static constexpr bool kA14 = C::kGen == Generation::kA14;
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(ModuleOpsTest, GenConfigs, GenConfigNames);

TYPED_TEST(ModuleOpsTest, SerialPrintsNothingUntilADriverRegisters) {
  constexpr char kDropped[] = "printed nothing: no serial driver is registered";
  EXPECT_THAT(this->hv_->boot_log(), Not(HasSubstr(kDropped)));
  this->Probe(PROBE_PUTS);
  this->Probe(PROBE_PUTX64, 0xabc);
  EXPECT_EQ(this->hv_->serial_output(), "");
  // The kernel drops it silently; the boot log says so, once.
  const std::string log = this->hv_->boot_log();
  EXPECT_THAT(log, HasSubstr("hyp: ops->puts() printed nothing: no serial driver is registered"));
  EXPECT_EQ(log.find(kDropped), log.rfind(kDropped)) << log;
  EXPECT_EQ(this->ProbeInt(PROBE_REG_SERIAL), 0);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_SERIAL), -EBUSY);
  this->Probe(PROBE_PUTS);
  this->Probe(PROBE_PUTX64, 0xabc);
  const std::string expected = "probe says hi\n\r0x0000000000000abc\n\r";
  EXPECT_EQ(this->hv_->serial_output(), expected);
  // Every character reached the module's driver.
  EXPECT_EQ(this->Probe(PROBE_PUTC_CHARS), expected.size());
  if constexpr (!TestFixture::kA14) {
    this->Probe(PROBE_PUTC, 'Z');
    EXPECT_EQ(this->hv_->serial_output().back(), 'Z');
  }
}

TYPED_TEST(ModuleOpsTest, HcrAndHfgwtrUpdatesAreKept) {
  const uint64_t hcr = this->hv_->hcr_el2();
  EXPECT_NE(hcr & 1, 0u);  // HCR_EL2.VM: host stage-2 is on after deprivilege
  this->Probe(PROBE_UPDATE_HCR, 1ull << 27 /* TGE-free bit for the test */, 1ull << 19);
  EXPECT_EQ(this->hv_->hcr_el2(), (hcr | (1ull << 27)) & ~(1ull << 19));
  this->Probe(PROBE_UPDATE_HFGWTR, 0xf0, 0);
  this->Probe(PROBE_UPDATE_HFGWTR, 0x0f, 0x30);
  EXPECT_EQ(this->hv_->hfgwtr_el2(), 0xcfu);
}

TYPED_TEST(ModuleOpsTest, PermissionFaultChainSemantics) {
  // No handler: the abort goes back to the host.
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x1000), -EPERM);
  // A14 has one slot; A15+ chains of 16.
  const int slots = TestFixture::kA14 ? 1 : 16;
  for (int i = 0; i < slots; ++i) ASSERT_EQ(this->ProbeInt(PROBE_REG_PERM_FAULT), 0) << i;
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PERM_FAULT), -EBUSY);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_ILLEGAL_ABT), 0);
  uint64_t a = 0, b = 0;
  // 0 from every handler: resolved, and every handler ran.
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x2000), 0);
  EXPECT_EQ(this->Counters(&a, &b), static_cast<uint64_t>(slots) | (0x2000ull << 16));
  // The first non-zero result stops the chain and becomes the result.
  this->Probe(PROBE_SET_FAULT_RESULT, static_cast<uint64_t>(-EAGAIN));
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x3000), -EAGAIN);
  EXPECT_EQ(this->Counters(&a, &b) & 0xffff, static_cast<uint64_t>(slots + 1));
  // -EPERM: the illegal-abort notifier is told, then the abort is injected.
  this->Probe(PROBE_SET_FAULT_RESULT, static_cast<uint64_t>(-EPERM));
  EXPECT_EQ(*this->hv_->InjectHostPermFault(0x96000047, 0x4000), -EPERM);
  this->Counters(&a, &b);
  EXPECT_EQ((a >> 32) & 0xffff, 1u);  // illegal-abort notifier calls
  // Any other error is a hyp panic.
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PANIC), 0);
  this->Probe(PROBE_SET_FAULT_RESULT, static_cast<uint64_t>(-EINVAL));
  auto r = this->hv_->InjectHostPermFault(0x96000047, 0x5000);
  EXPECT_EQ(r.status().error(), -EIO);
  EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("returned -22"));
}

TYPED_TEST(ModuleOpsTest, HostSmcChain) {
  user_pt_regs smc{};
  smc.regs[0] = PROBE_SMC_ID;
  auto before = this->hv_->HostSmc(smc);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->forwarded_to_el3);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_HOST_SMC), 0);
  auto handled = this->hv_->HostSmc(smc);
  EXPECT_TRUE(handled->handled_by_module);
  EXPECT_FALSE(handled->forwarded_to_el3);
  EXPECT_EQ(handled->result.x(1), 0x5au);
  smc.regs[0] = 0x82000002;  // the module declines: forwarded
  EXPECT_TRUE(this->hv_->HostSmc(smc)->forwarded_to_el3);
  const int slots = TestFixture::kA14 ? 1 : 16;
  for (int i = 1; i < slots; ++i) ASSERT_EQ(this->ProbeInt(PROBE_REG_HOST_SMC), 0);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_HOST_SMC), -EBUSY);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_NULL), -EINVAL);  // a NULL callback is refused
}

TYPED_TEST(ModuleOpsTest, SingleSlotRegistrationsAreBusyTheSecondTime) {
  for (uint64_t cmd : {PROBE_REG_DEFAULT_TRAP, PROBE_REG_ILLEGAL_ABT, PROBE_REG_PSCI,
                       PROBE_REG_PANIC, PROBE_REG_SERIAL}) {
    EXPECT_EQ(this->ProbeInt(cmd), 0) << cmd;
    EXPECT_EQ(this->ProbeInt(cmd), -EBUSY) << cmd;
  }
}

TYPED_TEST(ModuleOpsTest, DefaultTrapHandler) {
  EXPECT_EQ(this->ProbeInt(PROBE_REG_DEFAULT_TRAP), 0);
  this->Probe(PROBE_SET_TRAP_RESULT, 1);
  EXPECT_TRUE(*this->hv_->InjectHostTrap(0x62000000));
  this->Probe(PROBE_SET_TRAP_RESULT, 0);  // declined: pKVM panics
  EXPECT_EQ(this->hv_->InjectHostTrap(0x62000000).status().error(), -EIO);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("unhandled host trap"));
}

TYPED_TEST(ModuleOpsTest, PsciAndPanicNotifiers) {
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PSCI), 0);
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PANIC), 0);
  ASSERT_TRUE(this->hv_->InjectPsci(PsciNotification::kSystemSuspend, 1).ok());
  uint64_t a = 0, b = 0;
  this->Counters(&a, &b);
  EXPECT_EQ(b & 0xffff, 1u);          // one PSCI notification
  EXPECT_EQ((b >> 16) & 0xff, 1u);    // PKVM_PSCI_SYSTEM_SUSPEND
  ASSERT_TRUE(this->hv_->InjectHypPanic("test panic").ok());
  EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("test panic"));
  // The machine is dead: every further call fails cleanly.
  EXPECT_EQ(this->hv_->HostHvc(PKVM_HOST_SMCCC_ID(128)).status().error(), -EIO);
  EXPECT_EQ(this->hv_->InjectPsci(PsciNotification::kCpuEntry).error(), -EIO);
}

TYPED_TEST(ModuleOpsTest, BugAtEl2PanicsOnlyThisMachine) {
  EXPECT_EQ(this->ProbeInt(PROBE_REG_PANIC), 0);
  // BUG_ON at EL2 panics this machine, not the process.
  auto r = this->hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {PROBE_BUG, 42});
  EXPECT_EQ(r.status().error(), -EIO);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("BUG at"));
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("a == 42"));
  // A second machine is unaffected.
  auto other = MakeMachine(TypeParam::Backend::kKind, TypeParam::kGen,
                           "kvm-arm.protected_modules=probe");
  ASSERT_TRUE(other->OfferModule(ProbeModule<TypeParam::kGen>()).ok());
  const Status boot = other->Boot();
  ASSERT_TRUE(boot.ok()) << boot.ToString() << "\n" << other->boot_log();
  EXPECT_EQ(other->HostHvc(PKVM_HOST_SMCCC_ID(128), {PROBE_PING})->x(1), PROBE_PONG);
}

TYPED_TEST(ModuleOpsTest, SErrorUnmaskFromA15) {
  if constexpr (TestFixture::kA14) {
    EXPECT_EQ(this->hv_->InjectSError().status().error(), -EOPNOTSUPP);
  } else {
    EXPECT_FALSE(*this->hv_->InjectSError());  // nobody registered
    EXPECT_EQ(this->ProbeInt(PROBE_REG_SERROR), 0);
    EXPECT_EQ(this->ProbeInt(PROBE_REG_SERROR), -EBUSY);
    EXPECT_FALSE(*this->hv_->InjectSError());
    this->Probe(PROBE_SET_UNMASK_RESULT, 1);
    EXPECT_TRUE(*this->hv_->InjectSError());
    uint64_t a = 0, b = 0;
    this->Counters(&a, &b);
    EXPECT_EQ(b >> 48, 2u + 100u);  // two unmask() calls, one mask()
  }
}

TYPED_TEST(ModuleOpsTest, MemoryHelpers) {
  EXPECT_EQ(this->Probe(PROBE_MEMOPS, 3), 64u * 3u);
  uint64_t readback = 0;
  // A page the hypervisor owns (the host donates the top page of RAM to its
  // heap): on the Unicorn backend EL2 may only touch such pages.
  ASSERT_TRUE(this->hv_->TopUpHypPool(HypPool::kHypAlloc, 1).ok());
  const uint64_t pa = 0x40000000 + (64ull << 20) - 4096 + 0x340;
  ASSERT_EQ(this->hv_->page_state(pa >> 12).owner, PageOwner::kHyp);
  EXPECT_EQ(this->Probe(PROBE_PHYS_ROUNDTRIP, pa, 0xfeedface, &readback), pa);
  EXPECT_EQ(readback, 0xfeedfaceu);
  EXPECT_EQ(this->Probe(PROBE_KERN_HYP_VA, 0x1234000), 0x1234000u);
  if constexpr (!TestFixture::kA14) {
    EXPECT_EQ(this->Probe(PROBE_CPU_ID, 0, 0, nullptr, nullptr, 1), 1u);
  }
}

TYPED_TEST(ModuleOpsTest, AllocModuleVaLeavesTheCallersRegistersAlone) {
  user_pt_regs in{};
  in.regs[0] = PKVM_HOST_SMCCC_ID(128);
  in.regs[1] = PROBE_ALLOC_VA;
  in.regs[2] = 2;  // pages
  in.regs[4] = 0xabc;
  auto r = this->hv_->HostHvc(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->x(0), 0u);
  EXPECT_NE(r->x(1), 0u);
  EXPECT_EQ(r->x(1) % 4096, 0u);
  EXPECT_EQ(r->x(4), 0xabcu);  // the hypercall's register file is untouched
  // The next range follows the two pages just handed out.
  in.regs[2] = 1;
  EXPECT_EQ(this->hv_->HostHvc(in)->x(1), r->x(1) + 2 * 4096);
  in.regs[2] = 0;
  EXPECT_EQ(this->hv_->HostHvc(in)->x(1), 0u);
}

TYPED_TEST(ModuleOpsTest, MemoryOpsAreImplemented) {
  // PROBE_UNIMPLEMENTED donates a page: lib/mem implements it now (the memory
  // members are tested in memory_ops_test.cc).
  EXPECT_EQ(this->ProbeInt(PROBE_UNIMPLEMENTED, 0x40010), 0);
  EXPECT_EQ(this->hv_->page_state(0x40010).owner, PageOwner::kHyp);
  EXPECT_THAT(this->hv_->boot_log(), ::testing::Not(HasSubstr("is not implemented")));
}

}  // namespace
}  // namespace pkvm::testing

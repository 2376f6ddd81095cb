// UnicornCpu: EL entry, HVC/SMC traps with registers in and out, host calls
// through trampolines, re-entrant calls, code invalidation and faults.
#include "unicorn_cpu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "arm64_test_util.h"
#include "glue/pkvm_a64_glue.h"
#include "module_linker.h"

namespace pkvm::arm64 {
namespace {

using ::testing::HasSubstr;
using testing::Fixture;
using testing::PageBuffer;
using testing::ReadFile;

constexpr uint64_t kCode = 0x40000000;
constexpr uint64_t kData = 0x50000000;
constexpr uint64_t kHypId = 0xC6000080;

// cpu_code.S linked at kCode, mapped R-X in one or more CPUs, plus a
// writable data page at kData.
class UnicornCpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PKVM_REQUIRE_AARCH64_OBJECTS();
    LinkOptions bare;
    bare.require_this_module = false;
    auto ko = KoImage::Parse(ReadFile(Fixture("cpu_code")), bare);
    ASSERT_TRUE(ko.ok()) << ko.status();
    code_ = PageBuffer(ko->size());
    auto mod = LinkModule(*ko, {kCode, code_.span()}, nullptr);
    ASSERT_TRUE(mod.ok()) << mod.status();
    mod_ = std::move(mod).value();
    el1_ = MakeCpu(El::kEl1);
    el2_ = MakeCpu(El::kEl2);
    ASSERT_TRUE(el1_ && el2_);
  }

  std::unique_ptr<UnicornCpu> MakeCpu(El el) {
    CpuOptions o;
    o.el = el;
    auto cpu = UnicornCpu::Create(o);
    EXPECT_TRUE(cpu.ok()) << cpu.status();
    if (!cpu.ok()) return nullptr;
    EXPECT_TRUE((*cpu)->Map(kCode, code_.data(), code_.size(), kPermRead | kPermExec).ok());
    EXPECT_TRUE((*cpu)->Map(kData, data_.data(), data_.size(), kPermRead | kPermWrite).ok());
    return std::move(cpu).value();
  }

  uint64_t Fn(const char* name) {
    const LinkedSymbol* s = mod_.FindSymbol(name);
    EXPECT_NE(s, nullptr) << name;
    return s ? s->addr : 0;
  }

  PageBuffer code_{0}, data_{4096};
  LinkedModule mod_;
  std::unique_ptr<UnicornCpu> el1_, el2_;
};

TEST_F(UnicornCpuTest, RunsAtTheRequestedExceptionLevel) {
  EXPECT_EQ(el1_->Call(Fn("read_el"), {}).value(), 1u);
  EXPECT_EQ(el2_->Call(Fn("read_el"), {}).value(), 2u);
  EXPECT_EQ(el2_->Call(Fn("add3"), {1, 2, 3}).value(), 6u);
  // HCR_EL2 (RW set by the entry recipe) is readable at EL2 only.
  EXPECT_EQ(el2_->Call(Fn("read_hcr"), {}).value(), 1ull << 31);
  auto r = el1_->Call(Fn("read_hcr"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el1_->last_fault().kind, FaultKind::kUndefinedInstruction);
  EXPECT_EQ(el1_->last_fault().pc, Fn("read_hcr"));
  // The CPU keeps working after a fault.
  EXPECT_EQ(el1_->Call(Fn("add3"), {4, 5, 6}).value(), 15u);
}

// The debugger's and coverage's hooks: added after code was translated,
// they still see every instruction / block; a register written from the
// instruction hook is what the instruction then reads.
TEST_F(UnicornCpuTest, InstructionAndBlockHooks) {
  const uint64_t add3 = Fn("add3");
  EXPECT_EQ(el2_->Call(add3, {1, 2, 3}).value(), 6u);  // translated before the hooks
  std::vector<uint64_t> pcs;
  std::vector<std::pair<uint64_t, uint32_t>> blocks;
  ASSERT_TRUE(el2_->SetInstructionHook([&](uint64_t pc) {
    pcs.push_back(pc);
    if (pc == add3 + 4) el2_->WriteReg(2, 100);  // before `add x0, x0, x2`
  }).ok());
  ASSERT_TRUE(el2_->SetBlockHook([&](uint64_t a, uint32_t size) { blocks.emplace_back(a, size); }).ok());
  EXPECT_FALSE(el2_->SetBlockHook([](uint64_t, uint32_t) {}).ok());  // one per CPU
  EXPECT_EQ(el2_->Call(add3, {1, 2, 3}).value(), 103u);
  auto at = std::find(pcs.begin(), pcs.end(), add3);
  ASSERT_TRUE(pcs.end() - at >= 3) << "add3 not seen whole";
  EXPECT_EQ(at[1], add3 + 4);
  EXPECT_EQ(at[2], add3 + 8);
  EXPECT_NE(std::find(blocks.begin(), blocks.end(), std::make_pair(add3, uint32_t{12})), blocks.end());
  // The EL1 CPU has no hooks: its calls are not seen.
  pcs.clear();
  EXPECT_EQ(el1_->Call(add3, {1, 2, 3}).value(), 6u);
  EXPECT_TRUE(pcs.empty());
}

TEST_F(UnicornCpuTest, HvcFromEl1ReachesTheHandlerAndResumesAfterIt) {
  TrapFrame seen;
  el1_->SetHvcHandler([&](UnicornCpu&, TrapFrame& f) {
    seen = f;
    f.x[0] = 0;   // SMCCC_RET_SUCCESS
    f.x[1] = 42;  // a result
  });
  // do_hvc returns x0 + x1 as the handler left them.
  auto r = el1_->Call(Fn("do_hvc"), {kHypId, 7, 8, 9});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 42u);
  EXPECT_EQ(seen.el, El::kEl1);
  EXPECT_EQ(seen.pc, Fn("do_hvc"));
  EXPECT_EQ(seen.imm, 0u);
  EXPECT_EQ(seen.x[0], kHypId);
  EXPECT_EQ(seen.x[1], 7u);
  EXPECT_EQ(seen.x[2], 8u);
  EXPECT_EQ(seen.x[3], 9u);
  EXPECT_EQ(el1_->traps_handled(), 1u);

  ASSERT_TRUE(el1_->Call(Fn("do_hvc_imm"), {}).ok());
  EXPECT_EQ(seen.imm, 0x1234u);

  el1_->SetSmcHandler([](UnicornCpu&, TrapFrame& f) { f.x[0] = 0x5a; });
  EXPECT_EQ(el1_->Call(Fn("do_smc"), {1}).value(), 0x5au);
}

// A hypercall's whole register file: x0..x17 go in and come back; a trap
// handler's changes reach the guest and the registers it left alone keep
// their values.
TEST_F(UnicornCpuTest, CallWithRegistersMovesX0ToX17BothWays) {
  const uint32_t stub[] = {0xd4000002 /* hvc #0 */, 0xd65f03c0 /* ret */};
  auto at = el1_->AddCode(stub);
  ASSERT_TRUE(at.ok()) << at.status();
  TrapFrame seen;
  el1_->SetHvcHandler([&](UnicornCpu&, TrapFrame& f) {
    seen = f;
    f.x[0] = 100;
    f.x[9] = 109;
    f.x[17] = 117;
  });
  uint64_t x[18];
  for (int i = 0; i < 18; ++i) x[i] = 3 * i + 1;
  ASSERT_TRUE(el1_->CallWithRegisters(*at, x).ok());
  for (int i = 0; i < 18; ++i) EXPECT_EQ(seen.x[i], 3u * i + 1) << "x" << i << " in";
  for (int i = 0; i < 18; ++i) {
    const uint64_t want = i == 0 ? 100 : i == 9 ? 109 : i == 17 ? 117 : 3u * i + 1;
    EXPECT_EQ(x[i], want) << "x" << i << " out";
  }
  // Call() passes x0..x7 and leaves x8..x17 as they were.
  el1_->SetHvcHandler([&](UnicornCpu&, TrapFrame& f) { seen = f; });
  ASSERT_TRUE(el1_->Call(*at, {7}).ok());
  EXPECT_EQ(seen.x[0], 7u);
  EXPECT_EQ(seen.x[1], 0u);
  EXPECT_EQ(seen.x[9], 109u);
  EXPECT_EQ(seen.x[17], 117u);
}

// Calls end at a `brk` in the CPU's code page; the same instruction
// anywhere else is an ordinary breakpoint fault, not a return.
TEST_F(UnicornCpuTest, OnlyTheReturnSentinelEndsACall) {
  const uint32_t code[] = {0xd43de000 /* brk #0xef00 */, 0xd65f03c0 /* ret */};
  auto at = el2_->AddCode(code);
  ASSERT_TRUE(at.ok()) << at.status();
  auto r = el2_->Call(*at, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kBreakpoint);
  EXPECT_EQ(el2_->last_fault().pc, *at);
  EXPECT_EQ(el2_->Call(Fn("add3"), {1, 2, 3}).value(), 6u);
}

TEST_F(UnicornCpuTest, HvcWithoutHandlerIsAFault) {
  auto r = el1_->Call(Fn("do_hvc"), {kHypId});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el1_->last_fault().kind, FaultKind::kNoHandler);
  EXPECT_THAT(r.status().message(), HasSubstr("hvc #0 at EL1 with no handler"));
}

// The two-CPU shape of the backend: the EL1 CPU's hvc handler runs EL2 code
// on the EL2 CPU (same memory, each CPU at its own EL).
TEST_F(UnicornCpuTest, El1HvcRunsEl2CodeOnTheOtherCpu) {
  el1_->SetHvcHandler([&](UnicornCpu&, TrapFrame& f) {
    auto r = el2_->Call(Fn("read_el"), {});
    auto s = el2_->Call(Fn("add3"), {f.x[1], f.x[2], r.value_or(100)});
    f.x[0] = 0;
    f.x[1] = s.value_or(0);
  });
  EXPECT_EQ(el1_->Call(Fn("do_hvc"), {kHypId, 10, 20}).value(), 32u);
}

TEST_F(UnicornCpuTest, TrampolinesCallHostFunctions) {
  std::vector<uint64_t> args;
  auto tramp = el2_->AddTrampoline([&](UnicornCpu& cpu, TrapFrame& f) {
    args.push_back(f.x[0]);
    EXPECT_EQ(f.el, El::kEl2);
    // Re-entrant: a host function may run guest code on the same CPU.
    f.x[0] = f.x[0] * 2 + cpu.Call(Fn("add3"), {1, 1, 1}).value_or(1000);
  });
  ASSERT_TRUE(tramp.ok()) << tramp.status();
  EXPECT_EQ(el2_->Call(Fn("call_ptr"), {*tramp, 21}).value(), 45u);
  EXPECT_EQ(el2_->Call(Fn("call_ptr"), {*tramp, 5}).value(), 13u);
  EXPECT_EQ(args, (std::vector<uint64_t>{21, 5}));

  // Fixed host-call numbers (the glue's): brk #(0xf000 + n).
  ASSERT_TRUE(el2_->SetHostCall(PKVM_A64_HOSTCALL_WARN, [](UnicornCpu&, TrapFrame& f) {
                      f.x[0] = 77;
                    }).ok());
  uint32_t stub[2] = {0xd4200000u | ((PKVM_A64_BRK_HOSTCALL + PKVM_A64_HOSTCALL_WARN) << 5),
                      0xd65f03c0u};
  std::memcpy(code_.data() + code_.size() - 8, stub, 8);
  el2_->InvalidateCode(kCode + code_.size() - 8, 8);
  EXPECT_EQ(el2_->Call(kCode + code_.size() - 8, {}).value(), 77u);
}

TEST_F(UnicornCpuTest, HostCodeWritesNeedAnInvalidation) {
  const uint64_t fn = Fn("ret_one");
  EXPECT_EQ(el2_->Call(fn, {}).value(), 1u);
  const uint32_t mov_x0_2 = 0xd2800040;  // mov x0, #2
  std::memcpy(code_.data() + (fn - kCode), &mov_x0_2, 4);
  el2_->InvalidateCode(fn, 4);
  EXPECT_EQ(el2_->Call(fn, {}).value(), 2u);
}

TEST_F(UnicornCpuTest, FaultsAreReportedNotCrashes) {
  auto r = el2_->Call(Fn("load_from"), {0x60000000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kReadUnmapped);
  EXPECT_EQ(el2_->last_fault().address, 0x60000000u);
  EXPECT_EQ(el2_->last_fault().pc, Fn("load_from"));
  EXPECT_EQ(el2_->last_fault().x[0], 0x60000000u);
  EXPECT_THAT(r.status().message(), HasSubstr("read of unmapped memory at 0x60000000"));

  r = el2_->Call(Fn("store_to"), {Fn("add3"), 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kWriteProtected);
  EXPECT_THAT(r.status().message(), HasSubstr("a store into code"));

  r = el2_->Call(Fn("jump_to"), {0x61234000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kFetchUnmapped);
  EXPECT_EQ(el2_->last_fault().pc, 0x61234000u);

  r = el2_->Call(Fn("undef"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kUndefinedInstruction);

  r = el2_->Call(Fn("bug"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kBreakpoint);
  EXPECT_EQ(el2_->last_fault().address, 0x800u);
  EXPECT_THAT(r.status().message(), HasSubstr("brk #0x800 (BUG) at EL2"));

  // Still usable afterwards.
  EXPECT_EQ(el2_->Call(Fn("add3"), {1, 2, 3}).value(), 6u);
}

TEST_F(UnicornCpuTest, InstructionBudgetStopsARunawayLoop) {
  // A CPU of its own: going back to uncounted calls would flush all code.
  auto cpu = MakeCpu(El::kEl2);
  ASSERT_TRUE(cpu);
  CallOptions budget;
  budget.max_instructions = 10000;
  auto r = cpu->Call(Fn("spin"), {}, budget);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(cpu->last_fault().kind, FaultKind::kInstructionLimit);
  EXPECT_EQ(cpu->last_fault().pc, Fn("spin"));
  EXPECT_EQ(cpu->Call(Fn("add3"), {1, 2, 3}, budget).value(), 6u);
}

TEST_F(UnicornCpuTest, AHostFunctionCanStopTheCall) {
  auto tramp = el2_->AddTrampoline([](UnicornCpu& cpu, TrapFrame&) { cpu.Stop("hyp panic: test"); });
  ASSERT_TRUE(tramp.ok());
  auto r = el2_->Call(Fn("call_ptr"), {*tramp, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(el2_->last_fault().kind, FaultKind::kHostStop);
  EXPECT_THAT(r.status().message(), HasSubstr("hyp panic: test"));
  EXPECT_EQ(el2_->Call(Fn("add3"), {1, 2, 3}).value(), 6u);
}

// A fault in a nested call is the inner call's error; the outer call goes on.
TEST_F(UnicornCpuTest, NestedFaultStaysInTheNestedCall) {
  std::string inner;
  auto tramp = el2_->AddTrampoline([&](UnicornCpu& cpu, TrapFrame& f) {
    auto r = cpu.Call(Fn("load_from"), {0x60000000});
    inner = std::string(r.status().message());
    f.x[0] = 5;
  });
  ASSERT_TRUE(tramp.ok());
  EXPECT_EQ(el2_->Call(Fn("call_ptr"), {*tramp, 0}).value(), 5u);
  EXPECT_THAT(inner, HasSubstr("read of unmapped memory"));
}

TEST_F(UnicornCpuTest, MappingRules) {
  PageBuffer page(4096);
  EXPECT_THAT(el2_->Map(0x1000, page.data(), 100, kPermRead).message(), HasSubstr("4 KiB"));
  EXPECT_THAT(el2_->Map(0xffff800008000000, page.data(), 4096, kPermRead).message(),
              HasSubstr("44-bit"));
  EXPECT_THAT(el2_->Map(CpuOptions{}.private_base, page.data(), 4096, kPermRead).message(),
              HasSubstr("own pages"));
  EXPECT_FALSE(el2_->Map(kCode, page.data(), 4096, kPermRead).ok());  // overlap
  // The same host page at two addresses of two CPUs (EL1 and EL2 views).
  ASSERT_TRUE(el1_->Map(0x70000000, page.data(), 4096, kPermRead | kPermWrite).ok());
  ASSERT_TRUE(el2_->Map(0x71000000, page.data(), 4096, kPermRead).ok());
  ASSERT_TRUE(el1_->Call(Fn("store_to"), {0x70000008, 0xabcd}).ok());
  EXPECT_EQ(el2_->Call(Fn("load_from"), {0x71000008}).value(), 0xabcdu);
  ASSERT_TRUE(el1_->Unmap(0x70000000, 4096).ok());
  EXPECT_FALSE(el1_->Call(Fn("load_from"), {0x70000008}).ok());
}

}  // namespace
}  // namespace pkvm::arm64

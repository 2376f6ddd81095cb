// AArch64 modules end to end on two UnicornCpus, with a test-sized stand-in
// for the hypervisor core: module_init runs at EL1, the glue's
// __pkvm_load_el2_module issues real hvcs (alloc VA, map pages, init
// module, register hcall), init(ops) runs at EL2 with the .hyp.reloc
// applied by the EL1 glue, ops->puts reaches C++ through a trampoline, and
// a dynamic HVC from EL1 runs the module's handler at EL2.
//
// This is the shape the Unicorn backend will take (docs/aarch64-modules.md);
// the real one dispatches through pkvm::Hypervisor's registry instead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "arm64_test_util.h"
#include "glue/pkvm_a64_glue.h"
#include "guest_printk.h"
#include "module_linker.h"
#include "pkvm/abi/module_ops.h"
#include "pkvm/abi/pgtable_prot.h"
#include "pkvm/abi/ptrace.h"
#include "pkvm/abi/smccc.h"
#include "unicorn_cpu.h"
#include "../../modules/probe/probe.h"

#ifndef PKVM_A64_RELOC_KO
#define PKVM_A64_RELOC_KO ""
#endif
#ifndef PKVM_A64_DRIVER_A14_KO
#define PKVM_A64_DRIVER_A14_KO ""
#endif
#ifndef PKVM_A64_DRIVER_A15_KO
#define PKVM_A64_DRIVER_A15_KO ""
#endif
#ifndef PKVM_A64_PROBE_A14_KO
#define PKVM_A64_PROBE_A14_KO ""
#endif
#ifndef PKVM_A64_PROBE_A15_KO
#define PKVM_A64_PROBE_A15_KO ""
#endif
#ifndef PKVM_A64_PROBE_A16_KO
#define PKVM_A64_PROBE_A16_KO ""
#endif
#ifndef PKVM_A64_INIT_FAILS_KO
#define PKVM_A64_INIT_FAILS_KO ""
#endif

namespace pkvm::arm64 {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::PageBuffer;
using testing::ReadFile;

constexpr uint64_t kModuleBase = 0x40000000;  // EL1 module area (VA == PA)
constexpr uint64_t kScratch = 0x3f000000;     // EL1 scratch page (arm_smccc_res)
constexpr uint64_t kHypVaBase = 0x80000000000;  // module VAs handed out at EL2 (< 2^44)
constexpr uint64_t kHypData = 0x20000000;       // EL2: ops table page, register-file page
constexpr uint64_t kHostId = 0xC6000000;

class MiniMachine {
 public:
  explicit MiniMachine(int gen) : gen_(gen) {}

  absl::Status Load(const std::string& path) {
    CpuOptions o;
    o.el = El::kEl1;
    auto el1 = UnicornCpu::Create(o);
    if (!el1.ok()) return el1.status();
    o.el = El::kEl2;
    // EL2 trampolines within BL range (±128 MiB) of the module VAs.
    o.private_base = kHypVaBase - 0x1000000;
    auto el2 = UnicornCpu::Create(o);
    if (!el2.ok()) return el2.status();
    el1_ = std::move(el1).value();
    el2_ = std::move(el2).value();

    auto ko = KoImage::Parse(ReadFile(path));
    if (!ko.ok()) return ko.status();
    mem_ = PageBuffer(ko->size());
    auto mod = LinkModule(*ko, Region(), [](absl::string_view n) -> absl::StatusOr<uint64_t> {
      return absl::NotFoundError(n);  // the glue in the .ko provides all it calls
    });
    if (!mod.ok()) return mod.status();
    mod_ = std::move(mod).value();
    if (auto s = InitModuleHyp(mod_, Region(), gen_); !s.ok()) return s;
    if (auto s = el1_->Map(kModuleBase, mem_.data(), mem_.size(), kPermRead | kPermWrite | kPermExec);
        !s.ok())
      return s;
    if (auto s = el1_->Map(kScratch, scratch_.data(), scratch_.size(), kPermRead | kPermWrite); !s.ok())
      return s;
    if (auto s = el2_->Map(kHypData, hyp_data_.data(), hyp_data_.size(), kPermRead | kPermWrite);
        !s.ok())
      return s;
    InstallKernel();
    return InstallOps();
  }

  // module_init at EL1.
  absl::StatusOr<int> RunInit() {
    auto r = el1_->Call(mod_.init, {});
    if (!r.ok()) return r.status();
    return static_cast<int>(static_cast<int32_t>(*r));
  }

  // An HVC issued by EL1 code: the glue's __pkvm_smccc_call (what
  // arm_smccc_1_1_hvc expands to) runs a real `hvc #0` and stores the
  // result registers in a struct arm_smccc_res in EL1 memory.
  absl::StatusOr<std::array<uint64_t, 4>> HostHvc(uint64_t a0, uint64_t a1 = 0, uint64_t a2 = 0) {
    const LinkedSymbol* call = mod_.FindSymbol("__pkvm_smccc_call");
    if (call == nullptr) return absl::NotFoundError("__pkvm_smccc_call");
    // (conduit, a0..a6) in x0..x7; a7 and the result pointer on the stack.
    const uint64_t stack[2] = {0, kScratch};
    CallOptions o;
    o.stack_args = stack;
    auto r = el1_->Call(call->addr, {1, a0, a1, a2, 0, 0, 0, 0}, o);
    if (!r.ok()) return r.status();
    std::array<uint64_t, 4> res;
    std::memcpy(res.data(), scratch_.data(), sizeof res);
    return res;
  }

  UnicornCpu& el1() { return *el1_; }
  UnicornCpu& el2() { return *el2_; }
  const LinkedModule& mod() const { return mod_; }
  GuestRegion Region() { return {kModuleBase, mem_.span()}; }
  uint64_t HypVaOf(const char* sym) const {
    const LinkedSymbol* s = mod_.FindSymbol(sym);
    return s == nullptr ? 0 : mod_.HypVa(s->addr, token_);
  }

  std::vector<std::string> log;
  std::string serial;
  std::vector<uint64_t> hcalls;  // registered handler hyp VAs
  uint64_t token_ = 0;
  int mapped_pages = 0;

 private:
  void InstallKernel() {
    GuestRead read1 = [this](uint64_t a, void* out, size_t n) { return el1_->Read(a, out, n); };
    el1_->SetHostCall(PKVM_A64_HOSTCALL_PRINTK, [read1, this](UnicornCpu&, TrapFrame& f) {
      GuestArgs args(f.x + 1, 7, f.sp, read1);
      auto s = FormatGuestPrintf(read1, f.x[0], args);
      std::string line = s.ok() ? *s : std::string(s.status().message());
      if (line.size() >= 2 && line[0] == '\001') line.erase(0, 2);
      while (!line.empty() && line.back() == '\n') line.pop_back();
      log.push_back(line);
      f.x[0] = line.size();
    }).IgnoreError();
    el1_->SetHostCall(PKVM_A64_HOSTCALL_FINALIZED, [](UnicornCpu&, TrapFrame& f) { f.x[0] = 0; })
        .IgnoreError();
    el1_->SetHostCall(PKVM_A64_HOSTCALL_EL2_MOD_ADD, [this](UnicornCpu&, TrapFrame& f) {
      log.push_back(absl::StrCat("el2_mod_add size ", f.x[3]));
    }).IgnoreError();
    el1_->SetHostCall(PKVM_A64_HOSTCALL_EL2_IMPORTS, [this](UnicornCpu&, TrapFrame& f) {
      auto s = PatchEl2Imports(mod_, Region(), f.x[1], [this](absl::string_view name) {
        return el2_->AddTrampoline([n = std::string(name), this](UnicornCpu&, TrapFrame& t) {
          log.push_back(absl::StrCat("EL2 import ", n));
          t.x[0] = 0;
        });
      });
      if (!s.ok()) log.push_back(std::string(s.message()));
      f.x[0] = s.ok() ? 0 : static_cast<uint64_t>(-ENOEXEC);
    }).IgnoreError();
    auto bug = [this](UnicornCpu& cpu, TrapFrame&) {
      log.push_back("BUG");
      cpu.Stop("BUG");
    };
    el1_->SetHostCall(PKVM_A64_HOSTCALL_BUG, bug).IgnoreError();
    el2_->SetHostCall(PKVM_A64_HOSTCALL_BUG, bug).IgnoreError();

    el1_->SetHvcHandler([this](UnicornCpu& cpu, TrapFrame& f) { Hvc(cpu, f); });
  }

  // A pkvm_module_ops table in EL2 memory: every member a trampoline to C++
  // (puts prints; the others log their slot and return 0).
  absl::Status InstallOps() {
    ops_va_ = kHypData;
    const size_t size = gen_ == 14 ? sizeof(pkvm_module_ops_a14)
                        : gen_ == 15 ? sizeof(pkvm_module_ops_a15)
                                     : sizeof(pkvm_module_ops_a16);
    for (size_t slot = 0; slot < size / 8; ++slot) {
      auto t = el2_->AddTrampoline([this, slot](UnicornCpu&, TrapFrame& f) {
        log.push_back(absl::StrCat("ops slot ", slot));
        f.x[0] = 0;
      });
      if (!t.ok()) return t.status();
      std::memcpy(hyp_data_.data() + 8 * slot, &*t, 8);
    }
    GuestRead read2 = [this](uint64_t a, void* out, size_t n) { return el2_->Read(a, out, n); };
    auto puts = el2_->AddTrampoline([this, read2](UnicornCpu&, TrapFrame& f) {
      serial += ReadGuestString(read2, f.x[0]) + "\n";
    });
    if (!puts.ok()) return puts.status();
    size_t off = 0;
    switch (gen_) {
      case 14: off = offsetof(pkvm_module_ops_a14, puts); break;
      case 15: off = offsetof(pkvm_module_ops_a15, puts); break;
      default: off = offsetof(pkvm_module_ops_a16, puts); break;
    }
    std::memcpy(hyp_data_.data() + off, &*puts, 8);
    return absl::OkStatus();
  }

  void Ret(TrapFrame& f, int64_t x1) {
    f.x[0] = PKVM_SMCCC_RET_SUCCESS;
    f.x[1] = static_cast<uint64_t>(x1);
  }

  void Hvc(UnicornCpu& cpu, TrapFrame& f) {
    uint32_t id = static_cast<uint32_t>(f.x[0]) - static_cast<uint32_t>(kHostId);
    if (gen_ >= 15) id &= ~static_cast<uint32_t>(PKVM_SMCCC_CALL_HINTS);
    switch (id) {
      case PKVM_HCALL_pkvm_alloc_module_va:
        token_ = next_va_;
        next_va_ += (f.x[1] + 1) * 4096;
        return Ret(f, static_cast<int64_t>(token_));
      case PKVM_HCALL_pkvm_map_module_page: {
        const uint64_t pa = f.x[1] * 4096, va = f.x[2], prot = f.x[3];
        if (pa < kModuleBase || pa >= kModuleBase + mem_.size()) return Ret(f, -EINVAL);
        const uint32_t perms = ((prot & KVM_PGTABLE_PROT_R) ? kPermRead : 0) |
                               ((prot & KVM_PGTABLE_PROT_W) ? kPermWrite : 0) |
                               ((prot & KVM_PGTABLE_PROT_X) ? kPermExec : 0);
        if (!el2_->Map(va, mem_.data() + (pa - kModuleBase), 4096, perms).ok()) return Ret(f, -EINVAL);
        ++mapped_pages;
        return Ret(f, 0);
      }
      case PKVM_HCALL_pkvm_unmap_module_page:
        el2_->Unmap(f.x[2], 4096).IgnoreError();
        --mapped_pages;
        return Ret(f, 0);
      case PKVM_HCALL_pkvm_init_module: {
        auto r = el2_->Call(f.x[1], {ops_va_});
        if (!r.ok()) {
          log.push_back(absl::StrCat("EL2 fault: ", r.status().message()));
          cpu.Stop("hyp panic");
          return;
        }
        return Ret(f, static_cast<int32_t>(*r));
      }
      case PKVM_HCALL_pkvm_register_hcall:
        hcalls.push_back(f.x[1]);
        return Ret(f, 128 + static_cast<int64_t>(hcalls.size()) - 1);
      default:
        break;
    }
    if (id >= 128 && id - 128 < hcalls.size()) {
      // The handler's argument: the host registers in EL2 memory
      // (user_pt_regs from A15, kvm_cpu_context in A14: regs first).
      user_pt_regs regs{};
      std::memcpy(regs.regs, f.x, sizeof f.x);
      if (gen_ == 14) regs.regs[0] = PKVM_SMCCC_RET_SUCCESS;
      const uint64_t regs_va = kHypData + 2048;
      std::memcpy(hyp_data_.data() + 2048, &regs, sizeof regs);
      auto r = el2_->Call(hcalls[id - 128], {regs_va});
      if (!r.ok()) {
        log.push_back(absl::StrCat("EL2 fault: ", r.status().message()));
        cpu.Stop("hyp panic");
        return;
      }
      std::memcpy(&regs, hyp_data_.data() + 2048, sizeof regs);
      std::memcpy(f.x, regs.regs, sizeof f.x);
      return;
    }
    f.x[0] = static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED);
  }

  int gen_;
  std::unique_ptr<UnicornCpu> el1_, el2_;
  PageBuffer mem_{0}, scratch_{4096}, hyp_data_{4096};
  LinkedModule mod_;
  uint64_t next_va_ = kHypVaBase;
  uint64_t ops_va_ = 0;
};

TEST(A64ModuleTest, RelocModuleLoadsAndItsEl2CodeSeesEl2Addresses) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  MiniMachine m(15);
  ASSERT_TRUE(m.Load(PKVM_A64_RELOC_KO).ok());
  auto rc = m.RunInit();
  ASSERT_TRUE(rc.ok()) << rc.status() << "\nlog:\n" << ::testing::PrintToString(m.log);
  // module_init checked pkvm_el2_mod_call(id, 1, 20) == 40 itself.
  EXPECT_EQ(*rc, 0) << ::testing::PrintToString(m.log);
  EXPECT_EQ(m.serial, "reloc: EL2 init\n");  // ops->puts from EL2 reached the host
  EXPECT_THAT(m.log, Contains(HasSubstr("a64_reloc: EL2 image mapped at hyp VA 0x80000000000")));
  EXPECT_THAT(m.log, Contains("reloc: hypercall 128 answers 40"));
  EXPECT_EQ(m.hcalls, std::vector<uint64_t>{m.HypVaOf("__kvm_nvhe_reloc_hyp_hvc")});

  // EL2 functions called directly at their hyp VAs: every table slot was
  // converted by the glue's relocation loop.
  UnicornCpu& el2 = m.el2();
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_apply"), {0, 41}).value(), 42u);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_apply"), {1, 21}).value(), 42u);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_apply"), {2, 1}).value(), ~0ull);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_name_char"), {1, 2}).value(),
            static_cast<uint64_t>('l'));
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_current"), {8}).value(), 16u);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_self"), {}).value(), 1u);
  // Pointers EL2 code stores itself are EL2 addresses already.
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_select"), {2}).value(), 4u);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_current"), {8}).value(), ~7ull);
  EXPECT_EQ(el2.Call(m.HypVaOf("__kvm_nvhe_reloc_hyp_name_char"), {0, 0}).value(),
            static_cast<uint64_t>('n'));

  // A dynamic HVC issued by EL1 code runs the handler at EL2.
  auto out = m.HostHvc(kHostId + 128, 0, 99);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], 0u);
  EXPECT_EQ((*out)[1], 100u);
  EXPECT_EQ((*out)[2], static_cast<uint64_t>('d'));  // names[100 % 3][0] == "dbl"[0]
  // An id nobody registered.
  out = m.HostHvc(kHostId + 129);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0], static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED));
}

// The host-side relocation (ApplyHypRelocs) gives the same EL2 image as the
// glue's loop: map it at a hyp VA and run EL2 code there.
TEST(A64ModuleTest, LinkedEl2FunctionRunsAtEl2AfterApplyHypRelocs) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto ko = KoImage::Parse(ReadFile(PKVM_A64_RELOC_KO));
  ASSERT_TRUE(ko.ok()) << ko.status();
  PageBuffer mem(ko->size());
  auto mod = LinkModule(*ko, {kModuleBase, mem.span()}, [](absl::string_view n) {
    return absl::StatusOr<uint64_t>(absl::NotFoundError(n));
  });
  ASSERT_TRUE(mod.ok()) << mod.status();
  CpuOptions o;
  o.el = El::kEl2;
  auto cpu = UnicornCpu::Create(o);
  ASSERT_TRUE(cpu.ok());
  const uint64_t hyp_va = kHypVaBase;
  auto map_image = [&](UnicornCpu& c) {
    for (const AddrSpan* s : {&mod->hyp.text, &mod->hyp.rodata, &mod->hyp.data, &mod->hyp.bss}) {
      if (s->empty()) continue;
      const uint32_t perms = s == &mod->hyp.text     ? kPermRead | kPermExec
                             : s == &mod->hyp.rodata ? kPermRead
                                                     : kPermRead | kPermWrite;
      ASSERT_TRUE(c.Map(mod->HypVa(s->start, hyp_va), mem.data() + (s->start - kModuleBase),
                        s->size(), perms)
                      .ok());
    }
  };
  map_image(**cpu);
  const uint64_t apply = mod->HypVa(mod->FindSymbol("__kvm_nvhe_reloc_hyp_apply")->addr, hyp_va);

  // Before: the function table holds EL1 addresses, which are not mapped at EL2.
  auto r = (*cpu)->Call(apply, {1, 21});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ((*cpu)->last_fault().kind, FaultKind::kFetchUnmapped);
  EXPECT_TRUE(mod->hyp.text.contains((*cpu)->last_fault().pc));  // an EL1 text address

  // Only data changes (the slots), so the translated code stays valid.
  ASSERT_TRUE(ApplyHypRelocs(*mod, {kModuleBase, mem.span()}, hyp_va).ok());
  EXPECT_EQ((*cpu)->Call(apply, {1, 21}).value(), 42u);
  EXPECT_EQ((*cpu)->Call(apply, {0, 41}).value(), 42u);
}

TEST(A64ModuleTest, AndroidPagesDriverBothGenerations) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  for (int gen : {14, 15}) {
    SCOPED_TRACE(gen);
    MiniMachine m(gen);
    ASSERT_TRUE(m.Load(gen == 14 ? PKVM_A64_DRIVER_A14_KO : PKVM_A64_DRIVER_A15_KO).ok());
    auto rc = m.RunInit();
    ASSERT_TRUE(rc.ok()) << rc.status() << ::testing::PrintToString(m.log);
    EXPECT_EQ(*rc, 0) << ::testing::PrintToString(m.log);
    EXPECT_THAT(m.log, Contains(HasSubstr("pkvm_driver: EL2 image mapped at hyp VA")));
    ASSERT_EQ(m.hcalls.size(), 1u);
    auto out = m.HostHvc(kHostId + 128, 5);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0], 0u);  // A15 handler writes SUCCESS; A14's dispatcher presets it
    EXPECT_EQ((*out)[1], 0u);
  }
}

// The probe test module of every generation: its module_init pings its own
// hypercall; EL2 code reaches ops->puts; BUG_ON at EL2 stops the machine.
TEST(A64ModuleTest, ProbeModuleEveryGeneration) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  const std::pair<int, const char*> probes[] = {
      {14, PKVM_A64_PROBE_A14_KO}, {15, PKVM_A64_PROBE_A15_KO}, {16, PKVM_A64_PROBE_A16_KO}};
  for (const auto& [gen, path] : probes) {
    SCOPED_TRACE(gen);
    MiniMachine m(gen);
    ASSERT_TRUE(m.Load(path).ok());
    auto rc = m.RunInit();
    ASSERT_TRUE(rc.ok()) << rc.status() << ::testing::PrintToString(m.log);
    EXPECT_EQ(*rc, 0) << ::testing::PrintToString(m.log);
    EXPECT_THAT(m.log, Contains("probe: hypercall 128 answers"));

    auto out = m.HostHvc(kHostId + 128, PROBE_PUTS);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(m.serial, "probe says hi\n");
    out = m.HostHvc(kHostId + 128, PROBE_PING);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out)[1], PROBE_PONG);

    // BUG_ON(a == 42) in EL2 code: the EL2 runtime's __pkvm_bug host call.
    out = m.HostHvc(kHostId + 128, PROBE_BUG, 42);
    ASSERT_FALSE(out.ok());
    EXPECT_THAT(m.log, Contains(HasSubstr("EL2 fault: BUG")));
  }
}

TEST(A64ModuleTest, InitFailureUnmapsAndReturnsTheError) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  MiniMachine m(15);
  ASSERT_TRUE(m.Load(PKVM_A64_INIT_FAILS_KO).ok());
  auto rc = m.RunInit();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_LT(*rc, 0);
  EXPECT_THAT(m.log, Contains(HasSubstr("init_fails: Failed to init EL2 module: ")));
  EXPECT_EQ(m.mapped_pages, 0);
}

}  // namespace
}  // namespace pkvm::arm64

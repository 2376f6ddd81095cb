// The Unicorn backend's costs, each against a baseline in the same run
// (docs/PERFORMANCE.md). Four shapes, each next to raw Unicorn doing the
// same minimal work with bare uc_* calls (BM_Raw*: two engines held at EL1
// and EL2 sharing host memory, the hvc answered in the interrupt hook by
// running the EL2 handler on the other engine -- the fastest recipe known,
// shared/notes/unicorn-2.0.1.md §6 -- with no hypervisor around it):
//  * BM_El1HvcLoop vs BM_RawEl1HvcLoop: the HVC round trip issued by EL1
//    module code in a loop (bench/modules/hvc_loop: module_init issues
//    `loops` hypercalls, each checked); per hypercall, boot included (<1 %).
//  * BM_HostHvc/unicorn vs BM_RawHostHvc: Hypervisor::HostHvc to the same
//    handler (x1 = x2 + 1); BM_UnicornHostHvcRss10M: 10 M of them, with the
//    resident memory before and after as counters.
//  * BM_BootUnicorn vs BM_RawBoot: a machine booted with one .ko.
//  * BM_PutsUnicorn vs BM_RawPuts: ops->puts of a 32-character line through
//    the module's EL2 serial driver (34 characters with "\n\r").
// And, from before:
//  * BM_UnicornHostHvc: Hypervisor::HostHvc on the Unicorn backend -- a real
//    `hvc #0` at EL1, the interrupt hook, the registry, the module's handler
//    run at EL2 on the second CPU with the register file in EL2 memory, the
//    results copied back, EL1 resumed. Counter rss_growth_kb: resident memory
//    gained over the run (flat = no leak per call).
//  * BM_NaiveEmuStartPerCall (baseline): the naive shape -- one uc_emu_start
//    per call, stopping on a *mapped* sentinel right after the hvc, the hvc
//    answered in the hook (no EL2 code at all).
//  * BM_NativeHostHvc: the same hypercall on the native backend (context).
//  * BM_BootUnicorn / BM_BootNative: machine + .ko link, relocate, init
//    (module_init at EL1, the EL2 init) + deprivilege, per boot.
//  * BM_RestoreUnicorn / BM_RestoreNative: what a test fixture does between
//    tests instead of booting again -- a "test" (one page written by the host,
//    one hypercall) then RestoreSnapshot() of the snapshot taken after boot.
//    Baseline: the boot it replaces (BM_Boot*), and the test alone
//    (BM_*HostHvc plus a host_write).
#include <benchmark/benchmark.h>
#include <unicorn/unicorn.h>

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);
PKVM_DECLARE_NATIVE_MODULE(hvc_loop);

namespace {

long RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

std::unique_ptr<pkvm::Hypervisor> Boot(pkvm::BackendKind kind) {
  pkvm::HypervisorOptions o;
  o.backend = kind;
  o.generation = pkvm::Generation::kA15;
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  auto hv = pkvm::Hypervisor::Create(o);
  if (!hv.ok() || !(*hv)->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15)).ok() ||
      !(*hv)->Boot().ok())
    return nullptr;
  return std::move(hv).value();
}

void HostHvc(benchmark::State& state, pkvm::BackendKind kind) {
  auto hv = Boot(kind);
  if (hv == nullptr) return state.SkipWithError("boot failed");
  user_pt_regs r{};
  r.regs[0] = 0xC6000080;
  const long before = RssKb();
  for (auto _ : state) {
    auto out = hv->HostHvc(r);
    if (!out.ok() || out->x(0) != 0) return state.SkipWithError("hvc failed");
    benchmark::DoNotOptimize(out);
  }
  state.counters["rss_growth_kb"] = static_cast<double>(RssKb() - before);
  state.SetItemsProcessed(state.iterations());
}

void BM_UnicornHostHvc(benchmark::State& state) { HostHvc(state, pkvm::BackendKind::kUnicorn); }
void BM_NativeHostHvc(benchmark::State& state) { HostHvc(state, pkvm::BackendKind::kNative); }

// The naive way: one uc_emu_start per hypercall, until a mapped sentinel.
void BM_NaiveEmuStartPerCall(benchmark::State& state) {
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) != UC_ERR_OK) return state.SkipWithError("uc_open");
  constexpr uint64_t kCode = 0x40000000;
  const uint32_t code[] = {0xd4000002u /* hvc #0 */, 0xd503201fu /* nop: the sentinel */};
  uc_mem_map(uc, kCode, 0x1000, UC_PROT_ALL);
  uc_mem_write(uc, kCode, code, sizeof code);
  uc_hook h;
  auto hook = +[](uc_engine* e, uint32_t intno, void*) {
    uint64_t x0 = 0;
    uc_reg_read(e, UC_ARM64_REG_X0, &x0);
    if (intno == 11 || intno == 1) {
      x0 = 0;  // the handler's answer
      uc_reg_write(e, UC_ARM64_REG_X0, &x0);
    }
    if (intno == 1) {  // HVC undefined at EL1 without EL2 enabled: step over it
      uint64_t pc = 0;
      uc_reg_read(e, UC_ARM64_REG_PC, &pc);
      pc += 4;
      uc_reg_write(e, UC_ARM64_REG_PC, &pc);
    }
  };
  uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(hook), nullptr, 1, 0);
  const long before = RssKb();
  for (auto _ : state) {
    uint64_t x0 = 0xC6000080;
    uc_reg_write(uc, UC_ARM64_REG_X0, &x0);
    if (uc_emu_start(uc, kCode, kCode + 4, 0, 0) != UC_ERR_OK) return state.SkipWithError("emu");
    uc_reg_read(uc, UC_ARM64_REG_X0, &x0);
    benchmark::DoNotOptimize(x0);
  }
  state.counters["rss_growth_kb"] = static_cast<double>(RssKb() - before);
  state.SetItemsProcessed(state.iterations());
  uc_close(uc);
}


// ---- the four shapes on the hypervisor ---------------------------------------

// hvc_loop's first (only) dynamic hypercall.
constexpr uint64_t kLoopFid = 0xC6000080;

std::unique_ptr<pkvm::Hypervisor> BootLoop(pkvm::BackendKind kind, uint64_t loops) {
  pkvm::HypervisorOptions o;
  o.backend = kind;
  o.generation = pkvm::Generation::kA15;
  o.cmdline = "kvm-arm.protected_modules=hvc_loop hvc_loop.loops=" + std::to_string(loops);
  o.call_time_limit_ms = 600000;  // the watchdog runs, but module_init is long
  auto hv = pkvm::Hypervisor::Create(o);
  if (!hv.ok() || !(*hv)->OfferModule(PKVM_NATIVE_MODULE(hvc_loop)).ok() || !(*hv)->Boot().ok())
    return nullptr;
  return std::move(hv).value();
}

void BM_El1HvcLoop(benchmark::State& state) {
  const auto loops = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    auto hv = BootLoop(pkvm::BackendKind::kUnicorn, loops);
    // module_init fails (-EIO) on the first wrong result.
    if (hv == nullptr) return state.SkipWithError("boot (and the loop in module_init) failed");
    state.PauseTiming();
    hv.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(loops));
}

void BM_HostHvc(benchmark::State& state, pkvm::BackendKind kind) {
  auto hv = BootLoop(kind, 0);
  if (hv == nullptr) return state.SkipWithError("boot failed");
  uint64_t i = 0;
  const long before = RssKb();
  for (auto _ : state) {
    auto out = hv->HostHvc(kLoopFid, {0, i});
    if (!out.ok() || out->x(0) != 0 || out->x(1) != i + 1) return state.SkipWithError("wrong result");
    ++i;
  }
  state.counters["rss_growth_kb"] = static_cast<double>(RssKb() - before);
  state.SetItemsProcessed(state.iterations());
}

void BM_UnicornHostHvcRss10M(benchmark::State& state) {
  auto hv = BootLoop(pkvm::BackendKind::kUnicorn, 0);
  if (hv == nullptr) return state.SkipWithError("boot failed");
  user_pt_regs r{};
  r.regs[0] = kLoopFid;
  const long before = RssKb();
  for (auto _ : state) {
    auto out = hv->HostHvc(r);
    if (!out.ok() || out->x(0) != 0) return state.SkipWithError("hvc failed");
  }
  const long after = RssKb();
  state.counters["rss_before_kb"] = static_cast<double>(before);
  state.counters["rss_after_kb"] = static_cast<double>(after);
  state.counters["rss_growth_kb"] = static_cast<double>(after - before);
  state.SetItemsProcessed(state.iterations());
}

void BM_PutsUnicorn(benchmark::State& state) {
  auto hv = BootLoop(pkvm::BackendKind::kUnicorn, 0);
  if (hv == nullptr) return state.SkipWithError("boot failed");
  for (auto _ : state) {
    if (!hv->HostHvc(kLoopFid, {1}).ok()) return state.SkipWithError("puts failed");
  }
  // Every character reached the driver, in one piece per line.
  auto n = hv->HostHvc(kLoopFid, {2});
  if (!n.ok() || n->x(1) != 34 * static_cast<uint64_t>(state.iterations()))
    return state.SkipWithError("the driver did not see every character");
  state.SetItemsProcessed(state.iterations() * 34);  // characters
}

// ---- raw Unicorn -------------------------------------------------------------------

// Guest code of the raw baselines (AArch64, assembled from the source in the
// comments), at kRawCode in both engines; the putc counter at kRawData.
constexpr uint64_t kRawCode = 0x40000000, kRawData = 0x40100000, kRawRegs = 0x40200000,
                   kRawStack = 0x40300000, kRawStackSize = 0x4000, kRawPriv = 0x7ff00000;
constexpr uint64_t kRawHvcStub = kRawCode, kRawHandler = kRawCode + 0x8, kRawEl1Loop = kRawCode + 0xb0;
constexpr uint64_t kRawSentinel = kRawPriv + 8;
// The module's code as the compiler made it, so both sides run the same
// guest instructions -- and above all the same guest stores, which cost
// ~60 ns each in Unicorn 2.0.1 (shared/notes/unicorn-2.0.1.md §3).
const uint32_t kRawGuest[] = {
    // hvc_stub (0x0): the host's hypercall
    0xd4000002,  // hvc #0
    0xd65f03c0,  // ret
    // handler (0x8), x0 = the register file: hvc_loop_hyp_hvc (prologue
    // included; the puts path has 39 guest stores against the module's 42
    // through the ops trampoline's loop)
    0xa9be7bfd,  // stp x29, x30, [sp, #-32]!
    0x910003fd,  // mov x29, sp
    0xf9000bf3,  // str x19, [sp, #16]
    0xaa0003f3,  // mov x19, x0
    0xf9400401,  // ldr x1, [x0, #8]
    0xb5000101,  // cbnz x1, 3f
    0xf9400a62,  // ldr x2, [x19, #16]
    0xf900027f,  // str xzr, [x19]
    0x91000442,  // add x2, x2, #1
    0xf9000662,  // str x2, [x19, #8]
    0xf9400bf3,  // 6: ldr x19, [sp, #16]
    0xa8c27bfd,  // ldp x29, x30, [sp], #32
    0xd65f03c0,  // ret
    0xf9000ff4,  // 3: str x20, [sp, #24]
    0x10000254,  // adr x20, line
    0x38401680,  // 4: ldrb w0, [x20], #1
    0x34000060,  // cbz w0, 5f
    0x94000009,  // bl putc
    0x17fffffd,  // b 4b
    0x52800140,  // 5: mov w0, #'\n'
    0x94000006,  // bl putc
    0x528001a0,  // mov w0, #'\r'
    0x94000004,  // bl putc
    0xf900027f,  // str xzr, [x19]
    0xf9400ff4,  // ldr x20, [sp, #24]
    0x17fffff1,  // b 6b
    // putc (0x70): counts characters
    0xd2a80209,  // mov x9, #0x40100000
    0xf940012a,  // ldr x10, [x9]
    0x9100054a,  // add x10, x10, #1
    0xf900012a,  // str x10, [x9]
    0xd65f03c0,  // ret
    0xd503201f,  // nop
    // line (0x88): "0123456789abcdef0123456789ABCDEF"
    0x33323130, 0x37363534, 0x62613938, 0x66656463,
    0x33323130, 0x37363534, 0x42413938, 0x46454443,
    0x00000000,  // NUL
    0xd503201f,  // nop
    // el1_loop (0xb0), x19 = N, x21 = fid: hvc_loop_init's loop with the
    // glue's __pkvm_smccc_call inlined (its stack arguments, the res stores)
    0xd10203ff,  // sub sp, sp, #0x80
    0xd2800014,  // mov x20, #0
    0x910183f7,  // add x23, sp, #0x60    &res
    0xa9005fff,  // 1: stp xzr, x23, [sp]  a7, &res
    0xaa1503e0,  // mov x0, x21
    0xd2800001,  // mov x1, #0
    0xaa1403e2,  // mov x2, x20
    0xf94007ea,  // ldr x10, [sp, #8]
    0xd4000002,  // hvc #0
    0xa9000540,  // stp x0, x1, [x10]
    0xa9010d42,  // stp x2, x3, [x10, #16]
    0x91000694,  // add x20, x20, #1
    0xf94033e1,  // ldr x1, [sp, #96]      res.a0
    0xb5000121,  // cbnz x1, 2f
    0xf94037e1,  // ldr x1, [sp, #104]     res.a1
    0xeb14003f,  // cmp x1, x20
    0x540000c1,  // b.ne 2f
    0xeb13029f,  // cmp x20, x19
    0x54fffe21,  // b.ne 1b
    0xd2800000,  // mov x0, #0
    0x910203ff,  // add sp, sp, #0x80
    0xd65f03c0,  // ret
    0x92800000,  // 2: mov x0, #-1
    0x910203ff,  // add sp, sp, #0x80
    0xd65f03c0,  // ret
};

// Two engines (EL1, EL2) sharing the guest pages, reached their EL by the
// ERET recipe, calls returning to a `brk` sentinel that stops the run.
struct RawMachine {
  struct Page {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  uc_engine* el1 = nullptr;
  uc_engine* el2 = nullptr;
  std::unique_ptr<uint8_t, Page> code, data, regs, stack1, stack2, priv;
  uint8_t* ram = nullptr;  // optional, for the boot baseline
  size_t ram_size = 0;
  bool ok = false;

  static uint8_t* Alloc(size_t n) {
    auto* p = static_cast<uint8_t*>(std::aligned_alloc(4096, n));
    std::memset(p, 0, n);
    return p;
  }
  static void CpWrite(uc_engine* uc, uint32_t crn, uint32_t crm, uint32_t op0, uint32_t op1,
                      uint32_t op2, uint64_t v) {
    uc_arm64_cp_reg r{crn, crm, op0, op1, op2, v};
    uc_reg_write(uc, UC_ARM64_REG_CP_REG, &r);
  }
  static bool EnterEl(uc_engine* uc, int el) {
    CpWrite(uc, 1, 1, 3, 6, 0, 0x501);       // SCR_EL3: NS, HCE, RW
    CpWrite(uc, 1, 1, 3, 4, 0, 1ull << 31);  // HCR_EL2.RW
    uint64_t pstate = 0x3cd, target = kRawPriv + 4;
    uc_reg_write(uc, UC_ARM64_REG_PSTATE, &pstate);
    CpWrite(uc, 4, 0, 3, 6, 0, el == 2 ? 0x3c9 : 0x3c5);  // SPSR_EL3
    uc_reg_write(uc, UC_ARM64_REG_ELR_EL3, &target);
    uc_reg_write(uc, UC_ARM64_REG_ELR_EL1, &target);
    if (uc_emu_start(uc, kRawPriv, target, 0, 0) != UC_ERR_OK) return false;
    return uc_ctl_exits_enable(uc) == UC_ERR_OK;
  }
  static void StopAtSentinel(uc_engine* uc, uint32_t intno, void*) {
    uint64_t pc = 0;
    uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
    if (intno == 7 && pc == kRawSentinel) uc_emu_stop(uc);
  }
  // The hvc at EL1: x0..x17 into the register file, the handler run at EL2,
  // x0..x3 (the SMCCC results) back.
  static void Hvc(uc_engine* uc, uint32_t intno, void* user) {
    auto* m = static_cast<RawMachine*>(user);
    if (intno != 11) return StopAtSentinel(uc, intno, user);
    static int ids[18] = {UC_ARM64_REG_X0,  UC_ARM64_REG_X1,  UC_ARM64_REG_X2,  UC_ARM64_REG_X3,
                          UC_ARM64_REG_X4,  UC_ARM64_REG_X5,  UC_ARM64_REG_X6,  UC_ARM64_REG_X7,
                          UC_ARM64_REG_X8,  UC_ARM64_REG_X9,  UC_ARM64_REG_X10, UC_ARM64_REG_X11,
                          UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14, UC_ARM64_REG_X15,
                          UC_ARM64_REG_X16, UC_ARM64_REG_X17};
    auto* x = reinterpret_cast<uint64_t*>(m->regs.get());
    void* ptrs[18];
    for (int i = 0; i < 18; ++i) ptrs[i] = &x[i];
    uc_reg_read_batch(uc, ids, ptrs, 18);
    m->RunEl2(kRawHandler, kRawRegs);
    uc_reg_write_batch(uc, ids, ptrs, 4);
  }
  void RunEl2(uint64_t fn, uint64_t arg) {
    static int ids[3] = {UC_ARM64_REG_X0, UC_ARM64_REG_X30, UC_ARM64_REG_SP};
    uint64_t v[3] = {arg, kRawSentinel, kRawStack + kRawStackSize};
    void* ptrs[3] = {&v[0], &v[1], &v[2]};
    uc_reg_write_batch(el2, ids, ptrs, 3);
    uc_emu_start(el2, fn, 0, 0, 0);
  }
  // Runs EL1 code at `fn` to its return; x0 after.
  uint64_t RunEl1(uint64_t fn, uint64_t* x, int n) {  // n <= 28: x0..x(n-1)
    int ids[30];
    uint64_t v[30];
    void* ptrs[30];
    for (int i = 0; i < n; ++i) {
      ids[i] = UC_ARM64_REG_X0 + i;
      v[i] = x[i];
    }
    ids[n] = UC_ARM64_REG_X30;
    v[n] = kRawSentinel;
    ids[n + 1] = UC_ARM64_REG_SP;
    v[n + 1] = kRawStack + kRawStackSize;
    for (int i = 0; i < n + 2; ++i) ptrs[i] = &v[i];
    uc_reg_write_batch(el1, ids, ptrs, n + 2);
    uc_emu_start(el1, fn, 0, 0, 0);
    for (int i = 0; i < n; ++i) ptrs[i] = &x[i];
    uc_reg_read_batch(el1, ids, ptrs, n);
    return x[0];
  }

  explicit RawMachine(size_t with_ram = 0) {
    code.reset(Alloc(4096));
    data.reset(Alloc(4096));
    regs.reset(Alloc(4096));
    stack1.reset(Alloc(kRawStackSize));
    stack2.reset(Alloc(kRawStackSize));
    priv.reset(Alloc(4096));
    std::memcpy(code.get(), kRawGuest, sizeof kRawGuest);
    const uint32_t priv_code[3] = {0xd69f03e0 /* eret */, 0xd503201f /* nop */,
                                   0xd4200000 | (0xef00 << 5) /* brk: the sentinel */};
    std::memcpy(priv.get(), priv_code, sizeof priv_code);
    if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &el1) != UC_ERR_OK ||
        uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &el2) != UC_ERR_OK)
      return;
    uc_hook h;
    uc_hook_add(el1, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Hvc), this, 1, 0);
    uc_hook_add(el2, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&StopAtSentinel), this, 1, 0);
    for (uc_engine* uc : {el1, el2}) {
      uc_mem_map_ptr(uc, kRawPriv, 4096, UC_PROT_READ | UC_PROT_EXEC, priv.get());
      uc_mem_map_ptr(uc, kRawCode, 4096, UC_PROT_READ | UC_PROT_EXEC, code.get());
      uc_mem_map_ptr(uc, kRawData, 4096, UC_PROT_READ | UC_PROT_WRITE, data.get());
      uc_mem_map_ptr(uc, kRawStack, kRawStackSize, UC_PROT_READ | UC_PROT_WRITE,
                     uc == el1 ? stack1.get() : stack2.get());
    }
    uc_mem_map_ptr(el2, kRawRegs, 4096, UC_PROT_READ | UC_PROT_WRITE, regs.get());
    if (with_ram != 0) {  // RAM for a module image, in both (the boot baseline)
      ram_size = with_ram;
      ram = static_cast<uint8_t*>(
          mmap(nullptr, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      uc_mem_map_ptr(el1, 0x48000000, ram_size, UC_PROT_ALL, ram);
      uc_mem_map_ptr(el2, 0x48000000, ram_size, UC_PROT_ALL, ram);
    }
    ok = EnterEl(el1, 1) && EnterEl(el2, 2);
  }
  ~RawMachine() {
    if (el1 != nullptr) uc_close(el1);
    if (el2 != nullptr) uc_close(el2);
    if (ram != nullptr) munmap(ram, ram_size);
  }
  uint64_t putc_count() const { return *reinterpret_cast<const uint64_t*>(data.get()); }
};

void BM_RawEl1HvcLoop(benchmark::State& state) {
  RawMachine m;
  if (!m.ok) return state.SkipWithError("raw machine");
  const auto loops = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    // x19 = N, x21 = the function id (x0..x21 written; x0 back).
    uint64_t x[22] = {};
    x[19] = loops;
    x[21] = kLoopFid;
    if (m.RunEl1(kRawEl1Loop, x, 22) != 0) return state.SkipWithError("wrong result in the loop");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(loops));
}

void BM_RawHostHvc(benchmark::State& state) {
  RawMachine m;
  if (!m.ok) return state.SkipWithError("raw machine");
  uint64_t i = 0;
  for (auto _ : state) {
    uint64_t x[18] = {kLoopFid, 0, i};
    m.RunEl1(kRawHvcStub, x, 18);
    if (x[0] != 0 || x[1] != i + 1) return state.SkipWithError("wrong result");
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawPuts(benchmark::State& state) {
  RawMachine m;
  if (!m.ok) return state.SkipWithError("raw machine");
  for (auto _ : state) {
    uint64_t x[18] = {kLoopFid, 1};
    m.RunEl1(kRawHvcStub, x, 18);
  }
  if (m.putc_count() != 34 * static_cast<uint64_t>(state.iterations()))
    return state.SkipWithError("putc did not see every character");
  state.SetItemsProcessed(state.iterations() * 34);
}

// Booting with one module, reduced to what Unicorn itself must do: two
// engines opened and brought to their EL, RAM mapped, the .ko's bytes
// copied in, EL1 code run that makes the load sequence's four hypercalls
// (alloc VA, map pages, init, register), each running EL2 code.
void BM_RawBoot(benchmark::State& state) {
  std::ifstream f(PKVM_NATIVE_MODULE(pkvm_driver_a15).ko_path, std::ios::binary);
  const std::vector<char> ko((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (ko.empty()) return state.SkipWithError("pkvm_driver.ko not built");
  for (auto _ : state) {
    RawMachine m(64ull << 20);
    if (!m.ok) return state.SkipWithError("raw machine");
    std::memcpy(m.ram + (32ull << 20), ko.data(), ko.size());
    uc_ctl_remove_cache(m.el1, 0x48000000 + (32ull << 20), 0x48000000 + (32ull << 20) + ko.size());
    uint64_t x[22] = {};
    x[19] = 4;
    x[21] = kLoopFid;
    if (m.RunEl1(kRawEl1Loop, x, 22) != 0) return state.SkipWithError("wrong result");
  }
}

void BootBench(benchmark::State& state, pkvm::BackendKind kind) {
  for (auto _ : state) {
    auto hv = Boot(kind);
    if (hv == nullptr) return state.SkipWithError("boot failed");
    benchmark::DoNotOptimize(hv);
  }
}
void BM_BootUnicorn(benchmark::State& state) { BootBench(state, pkvm::BackendKind::kUnicorn); }
void BM_BootNative(benchmark::State& state) { BootBench(state, pkvm::BackendKind::kNative); }

void RestoreBench(benchmark::State& state, pkvm::BackendKind kind) {
  auto hv = Boot(kind);
  if (hv == nullptr) return state.SkipWithError("boot failed");
  auto snap = hv->TakeSnapshot();
  if (!snap.ok()) return state.SkipWithError("snapshot failed");
  std::vector<uint8_t> page(4096, 0x5a);
  const long before = RssKb();
  for (auto _ : state) {
    if (!hv->host_write(0x40000000 + (5ull << 20), page.data(), page.size()).ok() ||
        !hv->HostHvc(0xC6000080).ok())
      return state.SkipWithError("the test step failed");
    if (!hv->RestoreSnapshot(*snap).ok()) return state.SkipWithError("restore failed");
  }
  state.counters["rss_growth_kb"] = static_cast<double>(RssKb() - before);
}
void BM_RestoreUnicorn(benchmark::State& state) { RestoreBench(state, pkvm::BackendKind::kUnicorn); }
void BM_RestoreNative(benchmark::State& state) { RestoreBench(state, pkvm::BackendKind::kNative); }

BENCHMARK(BM_El1HvcLoop)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RawEl1HvcLoop)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HostHvc, unicorn, pkvm::BackendKind::kUnicorn);
BENCHMARK_CAPTURE(BM_HostHvc, native, pkvm::BackendKind::kNative);
BENCHMARK(BM_RawHostHvc);
BENCHMARK(BM_UnicornHostHvcRss10M)->Iterations(10000000);
BENCHMARK(BM_PutsUnicorn);
BENCHMARK(BM_RawPuts);
BENCHMARK(BM_RawBoot)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnicornHostHvc);
BENCHMARK(BM_NaiveEmuStartPerCall);
BENCHMARK(BM_NativeHostHvc);
BENCHMARK(BM_BootUnicorn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BootNative)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreUnicorn)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RestoreNative)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

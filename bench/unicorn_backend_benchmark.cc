// The Unicorn backend's costs, each against a baseline in the same run
// (docs/PERFORMANCE.md):
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

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

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

BENCHMARK(BM_UnicornHostHvc);
BENCHMARK(BM_NaiveEmuStartPerCall);
BENCHMARK(BM_NativeHostHvc);
BENCHMARK(BM_BootUnicorn)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BootNative)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RestoreUnicorn)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RestoreNative)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

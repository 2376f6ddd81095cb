// File: bench/hvc_dispatch_benchmark.cc
// Host-hypercall dispatch cost: libpkvm's decode + registry lookup + calling
// convention (RouteHostHcall) against its peer, a direct call through a
// function-pointer table, in the same run. Also the whole native machine path
// (Hypervisor::HostHvc) for context.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "pkvm/host_hcall.h"
#include "pkvm/hypervisor.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);

namespace {

using pkvm::Generation;

// A trivial handler of each calling convention: what vendor handlers do at
// minimum (write x0/x1).
void HandlerA15(user_pt_regs* regs) {
  regs->regs[0] = 0;
  regs->regs[1] = regs->regs[2] + 1;
}
void HandlerA14(kvm_cpu_context* ctx) { ctx->regs.regs[1] = ctx->regs.regs[2] + 1; }

constexpr uint64_t kFid = PKVM_HOST_SMCCC_ID(128 + 5);

// Peer: the handler pointer is fetched from a table by index and called.
void BM_DirectTableCall(benchmark::State& state) {
  static void (*table[128])(user_pt_regs*) = {};
  for (auto& slot : table) slot = &HandlerA15;
  benchmark::DoNotOptimize(table);
  kvm_cpu_context ctx{};
  uint64_t index = 5;
  for (auto _ : state) {
    ctx.regs.regs[0] = kFid;
    ctx.regs.regs[2] = index;
    benchmark::DoNotOptimize(index);
    table[index](&ctx.regs);
    benchmark::DoNotOptimize(ctx.regs.regs[1]);
  }
}
BENCHMARK(BM_DirectTableCall);

template <Generation G>
void BM_RegistryDispatch(benchmark::State& state) {
  pkvm::HvcRegistry registry;
  using Arg = typename pkvm::CallingConvention<G>::HandlerArg;
  void (*handler)(Arg*);
  if constexpr (G == Generation::kA14) handler = &HandlerA14; else handler = &HandlerA15;
  for (int i = 0; i < 8; ++i) registry.Register(reinterpret_cast<uint64_t>(handler));
  kvm_cpu_context ctx{};
  for (auto _ : state) {
    ctx.regs.regs[0] = kFid;
    ctx.regs.regs[2] = 5;
    const pkvm::HostHcallTarget t =
        pkvm::RouteHostHcall<G>(&ctx, registry, /*deprivileged=*/true, 20, 64);
    if (t.route == pkvm::HcallRoute::kDynamic)
      reinterpret_cast<void (*)(Arg*)>(t.handler)(static_cast<Arg*>(t.arg));
    benchmark::DoNotOptimize(ctx.regs.regs[1]);
  }
}
BENCHMARK(BM_RegistryDispatch<Generation::kA14>)->Name("BM_RegistryDispatch/A14");
BENCHMARK(BM_RegistryDispatch<Generation::kA15>)->Name("BM_RegistryDispatch/A15");

// Context only: the whole native machine path, with the example module.
void BM_MachineHostHvc(benchmark::State& state) {
  pkvm::HypervisorOptions o;
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  auto hv = pkvm::Hypervisor::Create(o).value();
  (void)hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a15));
  if (!hv->Boot().ok()) {
    state.SkipWithError("boot failed");
    return;
  }
  user_pt_regs r{};
  r.regs[0] = PKVM_HOST_SMCCC_ID(128);
  for (auto _ : state) {
    auto out = hv->HostHvc(r);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MachineHostHvc);

}  // namespace

BENCHMARK_MAIN();

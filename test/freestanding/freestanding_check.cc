// File: test/freestanding/freestanding_check.cc
// Proves the hot-path headers (ABI layouts, HVC registry, host-hypercall
// routing per generation) stay freestanding: this file is compiled with
// -ffreestanding -fno-exceptions -fno-rtti and linked with -nostdlib
// --no-undefined, so any dependency on libc, libstdc++, the heap or
// exceptions fails the build.
#include "pkvm/abi/module_ops.h"
#include "pkvm/abi/el2_module.h"
#include "pkvm/host_hcall.h"
#include "pkvm/hvc_registry.h"

namespace {
pkvm::HvcRegistry registry;
}

template <pkvm::Generation G>
static int Dispatch(kvm_cpu_context* ctx) {
  const pkvm::HostHcallTarget t = pkvm::RouteHostHcall<G>(ctx, registry, true, 20, 64);
  using Arg = typename pkvm::CallingConvention<G>::HandlerArg;
  if (t.route == pkvm::HcallRoute::kDynamic)
    reinterpret_cast<void (*)(Arg*)>(t.handler)(static_cast<Arg*>(t.arg));
  return static_cast<int>(t.route);
}

static_assert(noexcept(pkvm::RouteHostHcall<pkvm::Generation::kA15>(nullptr, registry, true, 0, 0)));

extern "C" int pkvm_freestanding_entry(kvm_cpu_context* ctx, unsigned long handler) {
  registry.Register(handler);
  return Dispatch<pkvm::Generation::kA14>(ctx) + Dispatch<pkvm::Generation::kA15>(ctx) +
         Dispatch<pkvm::Generation::kA16>(ctx);
}

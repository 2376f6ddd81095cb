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
#include "pkvm/trace_ring.h"

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

// The hypervisor trace ring: writer (Reserve/Commit, page moves, overwrite),
// reader swap, state changes and the two-bank clock, all in the EL2 image.
namespace {
pkvm::trace::TraceClock trace_clock;
pkvm::trace::RingBuffer trace_ring;
}

extern "C" int pkvm_freestanding_trace(trace_buffer_meta* meta, pkvm_buffer_data_page* const* pages,
                                       unsigned int nr_pages, pkvm::trace::RingPage* descs,
                                       pkvm::trace::TraceClock::CounterFn counter, unsigned int len) {
  trace_clock.Init(counter, nullptr, 1, 0, 0, 0);
  trace_clock.Update(2, 1, 0, 0);
  int rc = trace_ring.Init(meta, pages, nr_pages, descs, &trace_clock);
  if (rc != 0) return rc;
  trace_ring.Enable();
  if (void* p = trace_ring.Reserve(len)) {
    static_cast<struct hyp_entry_hdr*>(p)->id = 1;
    trace_ring.Commit();
  }
  rc = trace_ring.SwapReaderPage();
  trace_ring.Disable();
  trace_ring.Reset();
  trace_ring.Panic();
  return rc + static_cast<int>(trace_ring.status());
}

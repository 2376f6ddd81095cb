// File: include/pkvm/host_hcall.h
// Decoding and routing of host hypercalls (handle_host_hcall), with the
// calling convention of each generation. Freestanding and header-only so the
// native backend, the Unicorn backend, a real EL2 image and the benchmarks all
// run the same code.
//
// A14: dynamic ids first; x0 is preset to NOT_SUPPORTED, then to SUCCESS just
//      before the handler runs; handlers get kvm_cpu_context*; the SVE hint
//      bit is not stripped.
// A15/A16: bit 16 (SVE hint) is ignored; dynamic handlers get user_pt_regs*
//      and set x0 themselves.
// Static ids: below __pkvm_prot_finalize they are refused once deprivileged;
//      unknown ones answer NOT_SUPPORTED.
//
//   pkvm::HostHcallTarget t = pkvm::RouteHostHcall<pkvm::Generation::kA15>(
//       ctx, registry, /*deprivileged=*/true, /*finalize_id=*/20, /*nr_static=*/64);
//   if (t.route == pkvm::HcallRoute::kDynamic) call(t.handler, t.arg);
#ifndef PKVM_HOST_HCALL_H_
#define PKVM_HOST_HCALL_H_

#include <cstdint>

#include "pkvm/abi/ptrace.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/generation.h"
#include "pkvm/hvc_registry.h"

namespace pkvm {

// How a generation hands a register file to an EL2 handler.
template <Generation G>
struct CallingConvention {
  using HandlerArg = user_pt_regs;
  static constexpr bool kStripsCallHints = true;
  static constexpr bool kPresetsSuccess = false;
  static HandlerArg* Arg(kvm_cpu_context* ctx) noexcept { return &ctx->regs; }
};

template <>
struct CallingConvention<Generation::kA14> {
  using HandlerArg = kvm_cpu_context;
  static constexpr bool kStripsCallHints = false;
  static constexpr bool kPresetsSuccess = true;
  static HandlerArg* Arg(kvm_cpu_context* ctx) noexcept { return ctx; }
};

enum class HcallRoute : uint8_t {
  kDynamic,       // call `handler` (an EL2 VA) with `arg`
  kStatic,        // run static host hypercall `static_id`; x0 preset to SUCCESS
  kNotSupported,  // x0 has been set to NOT_SUPPORTED; nothing to run
};

struct HostHcallTarget {
  HcallRoute route;
  uint32_t static_id;
  uint64_t handler;
  void* arg;
};

constexpr uint64_t kSmcccNotSupported = static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED);

// Decides what the host hypercall in `ctx` runs, applying the generation's
// side effects on x0. `nr_static` is the size of the static table.
template <Generation G>
inline HostHcallTarget RouteHostHcall(kvm_cpu_context* ctx, const HvcRegistry& registry,
                                      bool deprivileged, uint32_t finalize_id,
                                      uint32_t nr_static) noexcept {
  using CC = CallingConvention<G>;
  pkvm_u64& x0 = ctx->regs.regs[0];
  // SMCCC function ids live in W0: the kernels compute the id in 32 bits.
  uint64_t fid = x0 & 0xFFFFFFFFull;
  if constexpr (CC::kStripsCallHints) fid &= ~static_cast<uint64_t>(PKVM_SMCCC_CALL_HINTS);
  const uint64_t id = (fid - PKVM_HOST_SMCCC_BASE) & 0xFFFFFFFFull;  // large for foreign ids

  if (id >= HvcRegistry::kFirstId) {
    const uint64_t handler = registry.Lookup(id - HvcRegistry::kFirstId);
    if (handler != 0) {
      if constexpr (CC::kPresetsSuccess) x0 = PKVM_SMCCC_RET_SUCCESS;
      return {HcallRoute::kDynamic, 0, handler, CC::Arg(ctx)};
    }
    if constexpr (CC::kPresetsSuccess) {
      // A14 answers every id >= 128 from the dynamic dispatcher.
      x0 = kSmcccNotSupported;
      return {HcallRoute::kNotSupported, 0, 0, nullptr};
    }
  }
  if (id >= nr_static || (deprivileged && id < finalize_id) || id == 0) {
    x0 = kSmcccNotSupported;
    return {HcallRoute::kNotSupported, 0, 0, nullptr};
  }
  x0 = PKVM_SMCCC_RET_SUCCESS;
  return {HcallRoute::kStatic, static_cast<uint32_t>(id), 0, ctx};
}

}  // namespace pkvm

#endif  // PKVM_HOST_HCALL_H_

// File: lib/hyp/el3.cc
// The fake EL3 firmware (pkvm/el3.h, docs/smc-filter.md): the programmed
// services, the call record, and the native backend's SMC conduit for EL2
// code (what arm_smccc_1_1_smc / arm_smccc_1_2_smc link against at EL2)
// plus arm_smccc_1_2_{smc,hvc} for EL1 code. The Unicorn backend gets the
// same answers from its EL2 CPU's `smc` trap (lib/backends/unicorn/unicorn_backend.cc).
#include <cstdio>
#include <cstdlib>

#include "machine.h"
#include "pkvm/abi/smccc.h"

namespace pkvm {

const char* El3CallerName(El3Caller caller) {
  return caller == El3Caller::kEl2 ? "el2" : "host";
}

namespace {

// The SMCCC function id is w0; firmware ignores the SVE hint bit.
uint32_t El3FunctionId(uint64_t x0) {
  return static_cast<uint32_t>(x0) & ~static_cast<uint32_t>(PKVM_SMCCC_CALL_HINTS);
}

}  // namespace

SmcccRegs Hypervisor::Impl::CallEl3(const SmcccRegs& in, int cpu, El3Caller caller) {
  SmcccRegs out = in;
  auto it = el3_handlers.find(El3FunctionId(in.x[0]));
  if (it != el3_handlers.end()) {
    out = it->second(in, cpu);
  } else {
    out.x[0] = kEl3NotSupported;
  }
  el3_calls.push_back(El3Call{cpu, caller, in, out});
  return out;
}

void Hypervisor::SetEl3Handler(uint32_t function_id, El3Handler handler) {
  const uint32_t id = El3FunctionId(function_id);
  if (handler)
    impl_->el3_handlers[id] = std::move(handler);
  else
    impl_->el3_handlers.erase(id);
}

void Hypervisor::ClearEl3Handlers() { impl_->el3_handlers.clear(); }

std::vector<El3Call> Hypervisor::el3_calls() const { return impl_->el3_calls; }

void Hypervisor::ClearEl3Calls() { impl_->el3_calls.clear(); }

// An SMCCC call made by EL2 code: `smc` goes to EL3; an `hvc` at EL2 would
// trap to EL2 itself, which pKVM does not serve (NOT_SUPPORTED, as the
// Unicorn EL2 CPU answers it).
SmcccRegs El2Smccc(Hypervisor::Impl& m, int conduit, const SmcccRegs& in, int cpu) {
  if (conduit != 2 /* PKVM_SMCCC_CONDUIT_SMC */) {
    SmcccRegs out = in;
    out.x[0] = kEl3NotSupported;
    return out;
  }
  return m.CallEl3(in, cpu, El3Caller::kEl2);
}

namespace {

Hypervisor::Impl& El3MachineOrDie(const char* fn) { return MachineOrDie(fn); }

}  // namespace
}  // namespace pkvm

// As <linux/arm-smccc.h> defines them.
struct arm_smccc_res {
  unsigned long a0, a1, a2, a3;
};
struct arm_smccc_1_2_regs {
  unsigned long a[18];
};

extern "C" {

// arm_smccc_1_1_smc() in EL2 code (its symbols carry the __kvm_nvhe_ prefix).
void __kvm_nvhe___pkvm_smccc_call(int conduit, unsigned long a0, unsigned long a1,
                                  unsigned long a2, unsigned long a3, unsigned long a4,
                                  unsigned long a5, unsigned long a6, unsigned long a7,
                                  struct arm_smccc_res* res) {
  pkvm::Hypervisor::Impl& m = pkvm::El3MachineOrDie("arm_smccc_1_1_smc");
  pkvm::SmcccRegs in;
  const unsigned long a[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
  for (int i = 0; i < 8; ++i) in.x[i] = a[i];
  const pkvm::SmcccRegs out = pkvm::El2Smccc(m, conduit, in, pkvm::CurrentContext()->cpu);
  if (res != nullptr) {
    res->a0 = out.x[0];
    res->a1 = out.x[1];
    res->a2 = out.x[2];
    res->a3 = out.x[3];
  }
}

// arm_smccc_1_2_smc() in EL2 code: x0..x17 in and out.
void __kvm_nvhe___pkvm_smccc_1_2_call(int conduit, const struct arm_smccc_1_2_regs* args,
                                      struct arm_smccc_1_2_regs* res) {
  pkvm::Hypervisor::Impl& m = pkvm::El3MachineOrDie("arm_smccc_1_2_smc");
  pkvm::SmcccRegs in;
  for (int i = 0; i < 18; ++i) in.x[i] = args->a[i];
  const pkvm::SmcccRegs out = pkvm::El2Smccc(m, conduit, in, pkvm::CurrentContext()->cpu);
  for (int i = 0; i < 18; ++i) res->a[i] = out.x[i];
}

// arm_smccc_1_2_{hvc,smc}() in EL1 code: the host interface with x0..x17.
void __pkvm_smccc_1_2_call(int conduit, const struct arm_smccc_1_2_regs* args,
                           struct arm_smccc_1_2_regs* res) {
  pkvm::Hypervisor::Impl& m = pkvm::El3MachineOrDie("arm_smccc_1_2_hvc/smc");
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  if (ctx->el == pkvm::ExceptionLevel::kEl2) {
    __kvm_nvhe___pkvm_smccc_1_2_call(conduit, args, res);
    return;
  }
  user_pt_regs in{};
  for (int i = 0; i < 18; ++i) in.regs[i] = args->a[i];
  const user_pt_regs out =
      conduit == 1 ? m.HostHvc(in, ctx->cpu) : m.HostSmc(in, ctx->cpu).result.regs;
  if (m.state == pkvm::MachineState::kPanicked) pkvm::PanicUnwind();
  for (int i = 0; i < 18; ++i) res->a[i] = out.regs[i];
}

}  // extern "C"

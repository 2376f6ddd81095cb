// File: include/pkvm/el3.h
// The simulated machine's EL3 firmware, as tests program it (docs/smc-filter.md).
//
// Every SMC that leaves EL2 reaches it: host SMCs pKVM forwards because no
// module handler took them (Hypervisor::HostSmc, an EL1 module's
// arm_smccc_1_1_smc) and SMCs issued by EL2 module code itself
// (arm_smccc_1_1_smc / arm_smccc_1_2_smc at EL2). Each call is answered by
// the handler programmed for its function id, or with SMCCC_RET_NOT_SUPPORTED,
// and recorded.
//
//   hv->SetEl3Handler(0xC2000010, [](const pkvm::SmcccRegs& in, int cpu) {
//     pkvm::SmcccRegs out = in;
//     out.x[0] = 0;             // SMCCC_RET_SUCCESS
//     out.x[1] = in.x[1] + 1;
//     return out;
//   });
//   ... drive the machine ...
//   for (const pkvm::El3Call& c : hv->el3_calls())
//     if (c.caller == pkvm::El3Caller::kEl2) ...
#ifndef PKVM_EL3_H_
#define PKVM_EL3_H_

#include <cstdint>
#include <functional>

#include "pkvm/page_state.h"

namespace pkvm {

// Who executed the `smc` that reached EL3.
enum class El3Caller {
  kHost,  // the host kernel (EL1); pKVM forwarded it (no module handler took it)
  kEl2,   // hypervisor code at EL2: a module's arm_smccc_1_1_smc/arm_smccc_1_2_smc
};

// "host" / "el2".
const char* El3CallerName(El3Caller caller);

// One SMC as EL3 saw it: the registers it got (x0 = function id) and what it
// returned. Every one of x0..x17 is recorded; an SMCCC 1.1 caller at EL2
// reads x0..x3 of `out` only.
struct El3Call {
  int cpu = 0;
  El3Caller caller = El3Caller::kHost;
  SmcccRegs in;
  SmcccRegs out;
};

// A programmed firmware service. `in` are the caller's x0..x17; the result
// is the register file the caller gets back. Must not throw.
using El3Handler = std::function<SmcccRegs(const SmcccRegs& in, int cpu)>;

// SMCCC_RET_NOT_SUPPORTED as it reads in x0: what EL3 answers for a function
// id no handler was programmed for (x1..x17 are returned unchanged).
inline constexpr uint64_t kEl3NotSupported = ~0ull;

}  // namespace pkvm

#endif  // PKVM_EL3_H_

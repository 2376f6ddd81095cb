// File: lib/hyp/hyp.h
// The hypervisor's (EL2's) own types: the private VA range modules are
// mapped in, the hyp page map's entries, the handler slots ops register
// into, the per-CPU state EL2 keeps for the host. Hypervisor::Impl
// (lib/machine.h) holds them; the code that changes them is in
// lib/hypervisor.cc (host hypercalls, handler chains), lib/hyp/ (the ops
// tables, the fake EL3) and lib/mem/.
#ifndef PKVM_LIB_HYP_HYP_H_
#define PKVM_LIB_HYP_HYP_H_

#include <cstdint>

#include "pkvm/abi/module_ops.h"

namespace pkvm {

// Hyp VAs handed out by __pkvm_alloc_module_va (the private VA range). EL2
// runs on TTBR0_EL2 only, so hyp VAs have their top bits clear; libpkvm
// puts the range at 8 TiB, where the Unicorn backend's EL2 CPU (MMU off,
// 44-bit physical addresses) can map it too, so both backends hand out the
// same VAs (docs/backends.md).
inline constexpr uint64_t kModuleVaBase = 0x0000080000000000ull;
inline constexpr uint64_t kModuleVaEnd = 0x0000080040000000ull;  // 1 GiB
inline constexpr int kMaxHandlers = 16;  // MAX_HOST_FAULT_HANDLERS / MAX_MOD_HANDLERS

// HCR_EL2 bits used for the host's initial value (HCR_HOST_NVHE_PROTECTED_FLAGS).
inline constexpr uint64_t kHcrVm = 1ull << 0;
inline constexpr uint64_t kHcrTsc = 1ull << 19;
inline constexpr uint64_t kHcrRw = 1ull << 31;
inline constexpr uint64_t kHcrApk = 1ull << 40;
inline constexpr uint64_t kHcrApi = 1ull << 41;
inline constexpr uint64_t kHcrAta = 1ull << 56;

// A page mapped at EL2 by __pkvm_map_module_page.
struct HypPage {
  uint64_t host_page;  // where the bytes are in this process
  uint64_t prot;       // enum kvm_pgtable_prot
};

// One registered callback: the address EL2 code gave us.
using HandlerSlot = uint64_t;

// The EL2 exception registers (PKVM_EL2_SYSREG_* of pkvm/compat_glue.h).
inline constexpr int kEl2Elr = 0, kEl2Spsr = 1, kEl2Esr = 2, kEl2Far = 3, kEl2Hpfar = 4;
inline constexpr int kNrEl2Sysregs = 5;

// Page-aligned: on the Unicorn backend EL2 code sees host_ctxt through a
// window of whole pages, which then hold nothing but this CPU's state.
struct alignas(4096) CpuState {
  kvm_cpu_context host_ctxt{};
  bool finalized = false;
  // ELR/SPSR/ESR/FAR/HPFAR_EL2 as module handlers read them (natively; the
  // Unicorn EL2 CPU gets them while `in_exception`).
  uint64_t el2_sysregs[kNrEl2Sysregs] = {};
  bool in_exception = false;
};

}  // namespace pkvm

#endif  // PKVM_LIB_HYP_HYP_H_

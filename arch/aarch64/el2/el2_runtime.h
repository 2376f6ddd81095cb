// File: arch/aarch64/el2/el2_runtime.h
// The EL2 runtime of libpkvm's hardware backend: what a bare-metal image
// links to be a (single-CPU) pKVM hypervisor for android14-6.1 or
// android15-6.6 modules, chosen when it is compiled:
// -DPKVM_EL2_GENERATION=14|15|16|17 (default 15).
//
// It owns the EL2 vectors (vectors.S), the host's saved register file (a
// struct kvm_cpu_context; TPIDR_EL2 points at it), ESR_EL2 decoding, host
// hypercall dispatch through the same pkvm::HvcRegistry and
// pkvm::RouteHostHcall<> the native and Unicorn backends use, the static
// module-loading hypercalls (__pkvm_alloc_module_va, __pkvm_map_module_page,
// __pkvm_init_module, __pkvm_register_hcall, __pkvm_prot_finalize), the
// pkvm_module_ops table handed to module init functions, the trace ring
// (pkvm::trace::RingBuffer, CNTVCT clock) and the hyp-panic report.
//
//   pkvm::el2::RuntimeConfig cfg;
//   cfg.uart_base = 0x09000000;
//   pkvm::el2::RuntimeInit(cfg);            // MMU, vectors, HCR_EL2, PL011
//   pkvm::el2::EnterHost(el1_entry, el1_sp);  // ERET to EL1h, never returns
#ifndef PKVM_ARCH_AARCH64_EL2_EL2_RUNTIME_H_
#define PKVM_ARCH_AARCH64_EL2_EL2_RUNTIME_H_

#include <cstddef>
#include <cstdint>

#include "pkvm/abi/module_ops.h"
#include "pkvm/abi/ptrace.h"

extern "C" {

// What the fault vectors save on the EL2 stack (vectors.S, FRAME_SIZE).
struct pkvm_el2_fault_frame {
  pkvm_u64 regs[31];  // the ABI register type, as user_pt_regs
  uint64_t sp;
  uint64_t esr;
  uint64_t far;
  uint64_t elr;
  uint64_t spsr;
  uint64_t pad[2];
};
// vectors.S stores (esr, far) and (elr, spsr) as pairs, and keeps the EL2
// stack 16-byte aligned.
static_assert(offsetof(pkvm_el2_fault_frame, far) == offsetof(pkvm_el2_fault_frame, esr) + 8);
static_assert(offsetof(pkvm_el2_fault_frame, spsr) == offsetof(pkvm_el2_fault_frame, elr) + 8);
static_assert(sizeof(pkvm_el2_fault_frame) % 16 == 0);

void pkvm_el2_handle_host_trap(struct kvm_cpu_context* ctxt, uint64_t esr);
[[noreturn]] void pkvm_el2_handle_hyp_fault(struct pkvm_el2_fault_frame* frame, uint64_t kind);
extern char pkvm_el2_vectors[];

}  // extern "C"

namespace pkvm::el2 {

// Static host hypercalls of the image beyond the ABI's: the test harness's
// stand-ins for the tracefs files the host kernel would use. They sit above
// __pkvm_prot_finalize (so they stay callable after deprivilege) and below
// the dynamic range.
enum HwHcall : uint32_t {
  kHwHcallTracingEnable = 100,  // x1: 1 on, 0 off                  -> x1 = 0
  kHwHcallEventEnable = 101,    // x1: event id, x2: 1 on, 0 off     -> x1 = 0 / -ENOENT
  kHwHcallTraceDump = 102,      // prints the ring over the console -> x1 = pages printed
  kHwHcallSystemOff = 103,      // PSCI SYSTEM_OFF; does not return
};

// Event ids of the runtime's own events (the host numbers module events
// from kFirstModuleEventId on, as it writes them into .hyp.event_ids).
inline constexpr uint16_t kEventHostHcall = 1;  // {u16 id; u32 id; u8 invalid} packed
inline constexpr uint16_t kEventHostSmc = 2;    // {u16 id; u64 id; u8 forwarded} packed
inline constexpr uint16_t kFirstModuleEventId = 16;

struct RuntimeConfig {
  uintptr_t uart_base = 0;   // PL011; 0: no console
  bool trap_smc = true;      // HCR_EL2.TSC: host SMCs trap to EL2
};

// Runs at EL2 with the MMU off, once: builds and enables the EL2 page
// tables, installs the vectors, sets HCR_EL2 and the counter/PMU controls
// for EL1, starts the trace clock, and registers the PL011 driver through
// pkvm_module_ops.register_serial_driver.
void RuntimeInit(const RuntimeConfig& cfg);

// ERET to `pc` at EL1h (interrupts masked, MMU off) with SP_EL1 = sp.
[[noreturn]] void EnterHost(uint64_t pc, uint64_t sp);

#ifndef PKVM_EL2_GENERATION
#define PKVM_EL2_GENERATION 15
#endif
#if PKVM_EL2_GENERATION == 14
using ModuleOpsTable = pkvm_module_ops_a14;
#elif PKVM_EL2_GENERATION == 15
using ModuleOpsTable = pkvm_module_ops_a15;
#elif PKVM_EL2_GENERATION == 16
using ModuleOpsTable = pkvm_module_ops_a16;
#elif PKVM_EL2_GENERATION == 17
using ModuleOpsTable = pkvm_module_ops_a17;  // provisional
#else
#error "PKVM_EL2_GENERATION must be 14, 15, 16 or 17"
#endif

// The table module init functions get.
const ModuleOpsTable* ModuleOps();

// The hypervisor console: through the registered serial driver, nothing
// before one is registered (spec §1.5).
void ConsolePuts(const char* s);
void ConsolePutHex(uint64_t v);  // "0x" + 16 digits
void ConsolePutDec(uint64_t v);

// PSCI SYSTEM_OFF through the firmware conduit (SMC); spins if it returns.
[[noreturn]] void SystemOff();

}  // namespace pkvm::el2

#endif  // PKVM_ARCH_AARCH64_EL2_EL2_RUNTIME_H_

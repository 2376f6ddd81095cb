// File: arch/aarch64/el2/asm_offsets.cc
// The structure offsets vectors.S uses, taken from the C layouts instead of
// typed by hand: compiled with -S, each DEFINE leaves a "->NAME value" line
// in the assembly, which gen_asm_offsets.cmake (beside this file) turns into
// el2_asm_offsets.h (#define NAME value).
#include <cstddef>

#include "el2_runtime.h"
#include "pkvm/abi/ptrace.h"

#define PKVM_ASM_DEFINE(sym, val) asm volatile("\n.ascii \"->" #sym " %0\"" ::"i"(val))

extern "C" void pkvm_el2_asm_offsets() {
  PKVM_ASM_DEFINE(CTXT_REGS, offsetof(kvm_cpu_context, regs.regs));
  PKVM_ASM_DEFINE(CTXT_SP, offsetof(kvm_cpu_context, regs.sp));
  PKVM_ASM_DEFINE(CTXT_PC, offsetof(kvm_cpu_context, regs.pc));
  PKVM_ASM_DEFINE(CTXT_PSTATE, offsetof(kvm_cpu_context, regs.pstate));
  PKVM_ASM_DEFINE(FRAME_SIZE, sizeof(pkvm_el2_fault_frame));
  PKVM_ASM_DEFINE(FRAME_REGS, offsetof(pkvm_el2_fault_frame, regs));
  PKVM_ASM_DEFINE(FRAME_SP, offsetof(pkvm_el2_fault_frame, sp));
  PKVM_ASM_DEFINE(FRAME_ESR, offsetof(pkvm_el2_fault_frame, esr));
  PKVM_ASM_DEFINE(FRAME_ELR, offsetof(pkvm_el2_fault_frame, elr));
}

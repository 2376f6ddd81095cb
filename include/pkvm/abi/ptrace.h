/* File: include/pkvm/abi/ptrace.h
 * The register files EL2 handlers receive.
 *
 * `struct user_pt_regs` is the arm64 UAPI layout (x0..x30, sp, pc, pstate);
 * A15+ handlers get a pointer to it. A14 handlers get the whole
 * `struct kvm_cpu_context`, whose first member is that same user_pt_regs, so x0..
 * sit at the same offsets; the rest of kvm_cpu_context is not ABI-stable and is
 * modelled here only as opaque space.
 *
 *   struct user_pt_regs r = {0};
 *   r.regs[0] = 0xC6000080;
 */
#ifndef PKVM_ABI_PTRACE_H_
#define PKVM_ABI_PTRACE_H_

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct user_pt_regs {
  pkvm_u64 regs[31];
  pkvm_u64 sp;
  pkvm_u64 pc;
  pkvm_u64 pstate;
};

/* The view of the kernel's kvm_cpu_context that A14 handlers see. Only `regs`
 * is ABI; the spsr/fp/sysreg state that follows in the kernel is not, and
 * modules must not rely on it. The opaque tail keeps the object larger than a
 * bare user_pt_regs so that code writing past regs is caught by sanitizers in
 * the same places it would corrupt kernel state. */
struct kvm_cpu_context {
  struct user_pt_regs regs;
  pkvm_u64 spsr_abt;
  pkvm_u64 spsr_und;
  pkvm_u64 spsr_irq;
  pkvm_u64 spsr_fiq;
  pkvm_u64 __pkvm_opaque[64];
};

PKVM_ABI_STATIC_ASSERT(sizeof(struct user_pt_regs) == 34 * 8, "user_pt_regs is 34 u64");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct user_pt_regs, sp) == 31 * 8, "sp offset");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct user_pt_regs, pc) == 32 * 8, "pc offset");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct user_pt_regs, pstate) == 33 * 8, "pstate offset");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct kvm_cpu_context, regs) == 0,
                       "x0.. of kvm_cpu_context sit where user_pt_regs has them");

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_PTRACE_H_ */

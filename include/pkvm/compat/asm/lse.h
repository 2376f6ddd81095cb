/* File: include/pkvm/compat/asm/lse.h -- ARM64_LSE_ATOMIC_INSN(llsc, lse):
 * the instruction sequence inline assembly uses for an atomic. The kernel
 * patches in the LSE form at boot on CPUs that have it; libpkvm's CPUs keep
 * the default (the LL/SC form), as asm/alternative-macros.h does for every
 * alternative. Used in AArch64 inline assembly only. */
#ifndef __ASM_LSE_H
#define __ASM_LSE_H

#include <asm/alternative-macros.h>

#define __LSE_PREAMBLE ".arch_extension lse\n"
#define ARM64_LSE_ATOMIC_INSN(llsc, lse) ALTERNATIVE(llsc, __LSE_PREAMBLE lse, ARM64_HAS_LSE_ATOMICS)

#endif

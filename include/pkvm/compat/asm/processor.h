/* File: include/pkvm/compat/asm/processor.h -- cpu_relax().
 * AArch64: `yield`; natively a compiler barrier (spin loops stay correct
 * because what they poll is read with atomics or READ_ONCE). */
#ifndef __ASM_PROCESSOR_H
#define __ASM_PROCESSOR_H

#include <linux/compiler.h>

#if defined(__aarch64__)
static inline void cpu_relax(void) { __asm__ __volatile__("yield" ::: "memory"); }
#else
static inline void cpu_relax(void) { barrier(); }
#endif

#endif

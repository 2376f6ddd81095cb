/* File: include/pkvm/compat/linux/compiler.h -- branch hints, barriers,
 * READ_ONCE/WRITE_ONCE, OPTIMIZER_HIDE_VAR, and (through
 * <linux/compiler_types.h>) the attribute macros. */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H

#include <linux/compiler_types.h>
#include <linux/stringify.h>
#include <linux/types.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely_notrace(x) likely(x)
#define unlikely_notrace(x) unlikely(x)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define barrier_data(ptr) __asm__ __volatile__("" : : "r"(ptr) : "memory")
#define unreachable() __builtin_unreachable()

/* Make the compiler forget what it knows about `var`'s value. */
#define OPTIMIZER_HIDE_VAR(var) __asm__("" : "=r"(var) : "0"(var))
#define RELOC_HIDE(ptr, off)                   \
  ({                                           \
    unsigned long __ptr;                       \
    __asm__("" : "=r"(__ptr) : "0"(ptr));      \
    (__typeof__(ptr))(__ptr + (off));          \
  })
#define absolute_pointer(val) RELOC_HIDE((void *)(val), 0)

#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

/* True for an integer constant expression, without evaluating `x`. */
#define __is_constexpr(x) (sizeof(int) == sizeof(*(8 ? ((void *)((long)(x)*0l)) : (int *)8)))

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)                        \
  do {                                            \
    *(volatile __typeof__(x) *)&(x) = (val);      \
  } while (0)
#define __READ_ONCE(x) READ_ONCE(x)
#define __WRITE_ONCE(x, val) WRITE_ONCE(x, val)

/* Zero-sized array check: 0 for an array, a build error for a pointer. */
#ifdef __cplusplus
#define __must_be_array(a) 0
#else
#define __must_be_array(a) \
  ((int)(sizeof(struct { int : (-!!__same_type((a), &(a)[0])); })))
#endif

#endif

/* File: include/pkvm/compat/asm/cmpxchg.h -- xchg() and cmpxchg() on 1-, 2-,
 * 4- and 8-byte objects, fully ordered as the kernel's. Compiler builtins:
 * LDAXR/STLXR loops on AArch64 (modules are built -mno-outline-atomics, so
 * no libgcc helper is needed at EL2), lock-prefixed instructions natively.
 *
 *   u64 old = cmpxchg(&slot, 0, new_owner);   // old == 0: we own it
 */
#ifndef __ASM_CMPXCHG_H
#define __ASM_CMPXCHG_H

#define xchg(ptr, v) __atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)
#define xchg_relaxed(ptr, v) __atomic_exchange_n((ptr), (v), __ATOMIC_RELAXED)
#define xchg_acquire(ptr, v) __atomic_exchange_n((ptr), (v), __ATOMIC_ACQUIRE)
#define xchg_release(ptr, v) __atomic_exchange_n((ptr), (v), __ATOMIC_RELEASE)

/* Returns the value *ptr had; the store happened iff that equals old. */
#define __pkvm_cmpxchg(ptr, old, new, order)                                     \
  ({                                                                             \
    __typeof__(*(ptr)) __pkvm_expected = (old);                                  \
    __atomic_compare_exchange_n((ptr), &__pkvm_expected, (new), 0, (order),      \
                                __ATOMIC_RELAXED);                               \
    __pkvm_expected;                                                             \
  })
#define cmpxchg(ptr, old, new) __pkvm_cmpxchg(ptr, old, new, __ATOMIC_SEQ_CST)
#define cmpxchg_relaxed(ptr, old, new) __pkvm_cmpxchg(ptr, old, new, __ATOMIC_RELAXED)
#define cmpxchg_acquire(ptr, old, new) __pkvm_cmpxchg(ptr, old, new, __ATOMIC_ACQUIRE)
#define cmpxchg_release(ptr, old, new) __pkvm_cmpxchg(ptr, old, new, __ATOMIC_RELEASE)
#define cmpxchg64(ptr, old, new) cmpxchg(ptr, old, new)
#define try_cmpxchg(ptr, oldp, new)                                              \
  __atomic_compare_exchange_n((ptr), (oldp), (new), 0, __ATOMIC_SEQ_CST,         \
                              __ATOMIC_RELAXED)

#endif

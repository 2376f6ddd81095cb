/* File: include/pkvm/compat/linux/atomic.h -- atomic_t / atomic64_t
 * operations (the types are in <linux/types.h>). Value-returning operations
 * are fully ordered, the others relaxed, as the kernel documents.
 *
 *   static atomic_t users = ATOMIC_INIT(0);
 *   if (atomic_inc_return(&users) == 1) first_user();
 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/lse.h>
#include <asm/cmpxchg.h>

#define ATOMIC_INIT(i) {(i)}
#define ATOMIC64_INIT(i) {(i)}

#define __PKVM_ATOMIC_OPS(pfx, T, V)                                                        \
  static inline T pfx##_read(const V *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); } \
  static inline T pfx##_read_acquire(const V *v) {                                          \
    return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);                                  \
  }                                                                                         \
  static inline void pfx##_set(V *v, T i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); } \
  static inline void pfx##_set_release(V *v, T i) {                                         \
    __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);                                     \
  }                                                                                         \
  static inline void pfx##_add(T i, V *v) { __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); } \
  static inline void pfx##_sub(T i, V *v) { __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); } \
  static inline void pfx##_inc(V *v) { pfx##_add(1, v); }                                   \
  static inline void pfx##_dec(V *v) { pfx##_sub(1, v); }                                   \
  static inline void pfx##_and(T i, V *v) { __atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); } \
  static inline void pfx##_or(T i, V *v) { __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); } \
  static inline T pfx##_add_return(T i, V *v) {                                             \
    return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);                            \
  }                                                                                         \
  static inline T pfx##_sub_return(T i, V *v) {                                             \
    return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);                            \
  }                                                                                         \
  static inline T pfx##_fetch_add(T i, V *v) {                                              \
    return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);                            \
  }                                                                                         \
  static inline T pfx##_fetch_sub(T i, V *v) {                                              \
    return __atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST);                            \
  }                                                                                         \
  static inline T pfx##_inc_return(V *v) { return pfx##_add_return(1, v); }                 \
  static inline T pfx##_dec_return(V *v) { return pfx##_sub_return(1, v); }                 \
  static inline bool pfx##_dec_and_test(V *v) { return pfx##_sub_return(1, v) == 0; }       \
  static inline bool pfx##_inc_and_test(V *v) { return pfx##_add_return(1, v) == 0; }       \
  static inline T pfx##_xchg(V *v, T i) { return xchg(&v->counter, i); }                    \
  static inline T pfx##_cmpxchg(V *v, T old, T new_) { return cmpxchg(&v->counter, old, new_); } \
  static inline bool pfx##_try_cmpxchg(V *v, T *old, T new_) {                              \
    return try_cmpxchg(&v->counter, old, new_);                                             \
  }

__PKVM_ATOMIC_OPS(atomic, int, atomic_t)
__PKVM_ATOMIC_OPS(atomic64, s64, atomic64_t)
#undef __PKVM_ATOMIC_OPS

#endif

/* File: include/pkvm/compat/linux/overflow.h -- checked arithmetic.
 *
 *   size_t bytes;
 *   if (check_mul_overflow(n, sizeof(struct entry), &bytes)) return -EOVERFLOW;
 */
#ifndef __LINUX_OVERFLOW_H
#define __LINUX_OVERFLOW_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/limits.h>

/* true when the mathematical result does not fit *d (which gets the
 * wrapped value), as the kernel's macros over the compiler builtins. */
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)

/* *d = a << s; true (and *d = 0 when s is out of range, the truncated value
 * otherwise) when the shift loses bits or s is not below the width of *d, as
 * the kernel's check_shl_overflow(). */
#define check_shl_overflow(a, s, d)                                                   \
  ({                                                                                  \
    __typeof__(a) __pkvm_a = (a);                                                     \
    __typeof__(s) __pkvm_s = (s);                                                     \
    __typeof__(d) __pkvm_d = (d);                                                     \
    __typeof__(*__pkvm_d) __pkvm_r;                                                   \
    unsigned long long __pkvm_w = sizeof(*__pkvm_d) * 8;                              \
    int __pkvm_out = (unsigned long long)__pkvm_s >= __pkvm_w;                       \
    __pkvm_r = __pkvm_out ? 0 : (__typeof__(*__pkvm_d))((__typeof__(*__pkvm_d))__pkvm_a \
                                                        << __pkvm_s);                 \
    *__pkvm_d = __pkvm_r;                                                             \
    __pkvm_out || (__typeof__(__pkvm_a))(__pkvm_r >> __pkvm_s) != __pkvm_a ||        \
        __pkvm_a < 0 || __pkvm_s < 0;                                                 \
  })

/* a * b, or SIZE_MAX when it overflows (so an allocation of it fails). */
static inline size_t size_mul(size_t a, size_t b) {
  size_t r;
  return check_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t size_add(size_t a, size_t b) {
  size_t r;
  return check_add_overflow(a, b, &r) ? SIZE_MAX : r;
}
#define array_size(a, b) size_mul(a, b)
#define struct_size(p, member, count) \
  size_add(sizeof(*(p)), size_mul(sizeof(*(p)->member), (count)))

#endif

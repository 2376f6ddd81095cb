/* File: include/pkvm/compat/linux/overflow.h -- checked arithmetic.
 * (compat slice of issue 8)
 *
 *   size_t bytes;
 *   if (check_mul_overflow(n, sizeof(struct entry), &bytes)) return -EOVERFLOW;
 */
#ifndef __LINUX_OVERFLOW_H
#define __LINUX_OVERFLOW_H

#include <linux/compiler.h>
#include <linux/types.h>

/* true when the mathematical result does not fit *d (which gets the
 * wrapped value), as the kernel's macros over the compiler builtins. */
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)

#define SIZE_MAX (~(size_t)0)

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

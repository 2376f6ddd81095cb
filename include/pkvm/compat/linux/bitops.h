/* File: include/pkvm/compat/linux/bitops.h -- bit searching and counting
 * (__ffs, __fls, ffs, fls, fls64, hweight*), BITS_TO_LONGS, rotations and
 * the non-atomic bitmap helpers (__set_bit, __clear_bit, test_bit).
 *
 *   unsigned long first = __ffs(mask);   // mask != 0: index of lowest set bit
 *   int order = fls(x) - 1;              // fls(0) == 0, fls(1) == 1
 */
#ifndef _LINUX_BITOPS_H
#define _LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>

#define BITS_PER_TYPE(type) (sizeof(type) * BITS_PER_BYTE)
#define BITS_TO_LONGS(nr) __KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(long))
#define BITS_TO_U64(nr) __KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(u64))
#define BITS_TO_U32(nr) __KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(u32))
#define BITS_TO_BYTES(nr) __KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(char))

/* Undefined for 0, as in the kernel (asm-generic/bitops/builtin-__ffs.h). */
static __always_inline unsigned long __ffs(unsigned long word) {
  return (unsigned long)__builtin_ctzl(word);
}
static __always_inline unsigned long __fls(unsigned long word) {
  return (sizeof(word) * 8) - 1 - (unsigned long)__builtin_clzl(word);
}
static __always_inline unsigned long ffz(unsigned long word) { return __ffs(~word); }
/* 1-based; 0 for 0. */
static __always_inline int ffs(int x) { return __builtin_ffs(x); }
static __always_inline int fls(unsigned int x) {
  return x ? (int)(sizeof(x) * 8) - __builtin_clz(x) : 0;
}
static __always_inline int fls64(u64 x) {
  return x ? 64 - __builtin_clzll(x) : 0;
}
static __always_inline unsigned long __ffs64(u64 word) {
  return (unsigned long)__builtin_ctzll(word);
}
static __always_inline int fls_long(unsigned long l) { return fls64(l); }

#define hweight8(w) ((unsigned int)__builtin_popcount((u8)(w)))
#define hweight16(w) ((unsigned int)__builtin_popcount((u16)(w)))
#define hweight32(w) ((unsigned int)__builtin_popcount((u32)(w)))
#define hweight64(w) ((unsigned int)__builtin_popcountll((u64)(w)))
#define hweight_long(w) ((unsigned long)__builtin_popcountl((unsigned long)(w)))

static inline u64 rol64(u64 word, unsigned int shift) {
  return (word << (shift & 63)) | (word >> ((-shift) & 63));
}
static inline u64 ror64(u64 word, unsigned int shift) {
  return (word >> (shift & 63)) | (word << ((-shift) & 63));
}
static inline u32 rol32(u32 word, unsigned int shift) {
  return (word << (shift & 31)) | (word >> ((-shift) & 31));
}
static inline u32 ror32(u32 word, unsigned int shift) {
  return (word >> (shift & 31)) | (word << ((-shift) & 31));
}

/* Non-atomic bitmap operations (the atomic ones need the kernel's atomics). */
static inline void __set_bit(unsigned long nr, volatile unsigned long *addr) {
  addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}
static inline void __clear_bit(unsigned long nr, volatile unsigned long *addr) {
  addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}
static inline void __change_bit(unsigned long nr, volatile unsigned long *addr) {
  addr[BIT_WORD(nr)] ^= BIT_MASK(nr);
}
static inline bool test_bit(unsigned long nr, const volatile unsigned long *addr) {
  return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1UL;
}
static inline bool __test_and_set_bit(unsigned long nr, volatile unsigned long *addr) {
  bool old = test_bit(nr, addr);
  __set_bit(nr, addr);
  return old;
}
static inline bool __test_and_clear_bit(unsigned long nr, volatile unsigned long *addr) {
  bool old = test_bit(nr, addr);
  __clear_bit(nr, addr);
  return old;
}

#endif /* _LINUX_BITOPS_H */

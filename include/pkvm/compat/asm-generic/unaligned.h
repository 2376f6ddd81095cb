/* File: include/pkvm/compat/asm-generic/unaligned.h -- loads and stores at
 * any alignment, native and fixed-endian (arm64 is little-endian). */
#ifndef __ASM_GENERIC_UNALIGNED_H
#define __ASM_GENERIC_UNALIGNED_H

#include <linux/types.h>

#define __get_unaligned_t(type, ptr)                                  \
  ({                                                                  \
    const struct { type x; } __attribute__((__packed__)) *__pptr =    \
        (const void *)(ptr);                                          \
    __pptr->x;                                                        \
  })
#define __put_unaligned_t(type, val, ptr)                             \
  do {                                                                \
    struct { type x; } __attribute__((__packed__)) *__pptr =          \
        (void *)(ptr);                                                \
    __pptr->x = (val);                                                \
  } while (0)

#define get_unaligned(ptr) __get_unaligned_t(__typeof__(*(ptr)), (ptr))
#define put_unaligned(val, ptr) __put_unaligned_t(__typeof__(*(ptr)), (val), (ptr))

static inline u16 get_unaligned_le16(const void *p) { return __get_unaligned_t(u16, p); }
static inline u32 get_unaligned_le32(const void *p) { return __get_unaligned_t(u32, p); }
static inline u64 get_unaligned_le64(const void *p) { return __get_unaligned_t(u64, p); }
static inline void put_unaligned_le16(u16 v, void *p) { __put_unaligned_t(u16, v, p); }
static inline void put_unaligned_le32(u32 v, void *p) { __put_unaligned_t(u32, v, p); }
static inline void put_unaligned_le64(u64 v, void *p) { __put_unaligned_t(u64, v, p); }
static inline u16 get_unaligned_be16(const void *p) {
  return __builtin_bswap16(__get_unaligned_t(u16, p));
}
static inline u32 get_unaligned_be32(const void *p) {
  return __builtin_bswap32(__get_unaligned_t(u32, p));
}
static inline u64 get_unaligned_be64(const void *p) {
  return __builtin_bswap64(__get_unaligned_t(u64, p));
}
static inline void put_unaligned_be16(u16 v, void *p) { __put_unaligned_t(u16, __builtin_bswap16(v), p); }
static inline void put_unaligned_be32(u32 v, void *p) { __put_unaligned_t(u32, __builtin_bswap32(v), p); }
static inline void put_unaligned_be64(u64 v, void *p) { __put_unaligned_t(u64, __builtin_bswap64(v), p); }

#endif /* __ASM_GENERIC_UNALIGNED_H */

/* File: include/pkvm/compat/linux/types.h -- kernel integer and address types.
 *
 * As in the kernel: u8..u64 / __u8..__u64 from asm-generic/int-ll64.h (u64 is
 * `unsigned long long`), the C99 names (uint8_t..uint64_t, int8_t..int64_t)
 * as aliases of those, size_t/ssize_t, bool, phys_addr_t, dma_addr_t,
 * resource_size_t, gfp_t, pid_t, loff_t, atomic_t, and the list heads.
 * Module code is built with -nostdinc, so nothing here comes from a C library.
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <linux/compiler_types.h>
#include <asm/types.h>

typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u16 __sum16;
typedef __u32 __wsum;
typedef __u64 __attribute__((aligned(8))) __aligned_u64;
typedef __u64 __attribute__((aligned(8))) aligned_u64;

typedef unsigned int __kernel_dev_t;
typedef __kernel_dev_t dev_t;
typedef unsigned short umode_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef long long loff_t;
typedef long clock_t;
typedef long time64_t;
typedef unsigned long uintptr_t;
typedef long intptr_t;
typedef pkvm_size_t size_t;
typedef long ssize_t;
typedef long ptrdiff_t;

#ifndef __cplusplus
typedef _Bool bool;
#endif

typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;
typedef unsigned char unchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;

typedef u8 u_int8_t;
typedef s8 int8_t;
typedef u16 u_int16_t;
typedef s16 int16_t;
typedef u32 u_int32_t;
typedef s32 int32_t;
typedef u8 uint8_t;
typedef u16 uint16_t;
typedef u32 uint32_t;
typedef u64 uint64_t;
typedef u64 u_int64_t;
typedef s64 int64_t;

typedef u64 sector_t;
typedef u64 blkcnt_t;
/* arm64: CONFIG_PHYS_ADDR_T_64BIT and CONFIG_ARCH_DMA_ADDR_T_64BIT. */
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef phys_addr_t resource_size_t;
typedef unsigned long irq_hw_number_t;
typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
typedef unsigned int fmode_t;

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef atomic64_t atomic_long_t;
typedef long local_t;

struct list_head {
  struct list_head *next, *prev;
};
struct hlist_head {
  struct hlist_node *first;
};
struct hlist_node {
  struct hlist_node *next, **pprev;
};

#include <linux/stddef.h>

#endif

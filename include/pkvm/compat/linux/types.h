/* File: include/pkvm/compat/linux/types.h -- kernel integer and address types. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <pkvm/abi/types.h>

typedef pkvm_u8 u8;
typedef pkvm_u16 u16;
typedef pkvm_u32 u32;
typedef pkvm_u64 u64;
typedef pkvm_s8 s8;
typedef pkvm_s16 s16;
typedef pkvm_s32 s32;
typedef pkvm_s64 s64;
typedef pkvm_u8 __u8;
typedef pkvm_u16 __u16;
typedef pkvm_u32 __u32;
typedef pkvm_u64 __u64;
typedef pkvm_s32 __s32;
typedef pkvm_s64 __s64;
typedef pkvm_u16 __le16;
typedef pkvm_u32 __le32;
typedef pkvm_u64 __le64;
typedef pkvm_phys_addr_t phys_addr_t;
typedef pkvm_u64 dma_addr_t;
typedef pkvm_size_t size_t;
typedef long ssize_t;
typedef pkvm_uintptr_t uintptr_t;
typedef unsigned long ulong;
typedef int pid_t;
typedef long long loff_t;
typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef long local_t;

#ifndef __cplusplus
typedef _Bool bool;
#endif

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

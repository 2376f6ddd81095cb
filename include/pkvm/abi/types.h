/* File: include/pkvm/abi/types.h
 * Fixed-width integer types for the ABI headers.
 *
 * The ABI tier must compile in C and C++, hosted or freestanding, and inside
 * module builds that use -nostdinc (as Kbuild does). So it takes its types from
 * the compiler's predefined macros, not from <stdint.h>.
 *
 *   #include <pkvm/abi/types.h>
 *   pkvm_u64 x = 0;
 */
#ifndef PKVM_ABI_TYPES_H_
#define PKVM_ABI_TYPES_H_

typedef __UINT8_TYPE__ pkvm_u8;
typedef __UINT16_TYPE__ pkvm_u16;
typedef __UINT32_TYPE__ pkvm_u32;
/* arm64 Linux spells its 64-bit types `unsigned long long` / `long long`
 * (asm-generic/int-ll64.h), not the LP64 C library's `unsigned long`. Module
 * code passes pointers to u64 and callbacks taking u64 through the ABI, so the
 * ABI tier uses the kernel's spelling or those would be incompatible types. */
typedef unsigned long long pkvm_u64;
typedef __INT8_TYPE__ pkvm_s8;
typedef __INT16_TYPE__ pkvm_s16;
typedef __INT32_TYPE__ pkvm_s32;
typedef long long pkvm_s64;
typedef __SIZE_TYPE__ pkvm_size_t;
typedef __UINTPTR_TYPE__ pkvm_uintptr_t;
/* arm64: phys_addr_t is 64-bit; kvm_pte_t is u64; pkvm_handle_t is u16. */
typedef pkvm_u64 pkvm_phys_addr_t;
typedef pkvm_u64 pkvm_kvm_pte_t;
typedef pkvm_u16 pkvm_handle_t;

#ifdef __cplusplus
#define PKVM_ABI_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define PKVM_ABI_BOOL bool
#else
#define PKVM_ABI_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define PKVM_ABI_BOOL _Bool
#endif

#define PKVM_ABI_OFFSETOF(type, member) __builtin_offsetof(type, member)

/* Module code runs on arm64 (LP64) or on an LP64 development host. */
PKVM_ABI_STATIC_ASSERT(sizeof(void *) == 8, "libpkvm models an LP64 (arm64) ABI");
PKVM_ABI_STATIC_ASSERT(sizeof(long) == 8, "libpkvm models an LP64 (arm64) ABI");
PKVM_ABI_STATIC_ASSERT(sizeof(pkvm_u64) == 8 && sizeof(pkvm_s64) == 8, "64-bit types");

#endif /* PKVM_ABI_TYPES_H_ */

/* File: include/pkvm/compat/asm-generic/int-ll64.h -- the kernel's fixed-width
 * integer types as arm64 spells them: 64-bit is `long long`, on every
 * architecture Linux supports (so `u64` prints with %llx, and a pointer to a
 * u64 is not a pointer to an `unsigned long`).
 *
 *   u64 v = U64_C(1) << 40;
 *
 * The types come from <pkvm/abi/types.h>, so the ABI structures the module
 * shares with libpkvm (pkvm_module_ops, user_pt_regs) use the same ones.
 */
#ifndef _ASM_GENERIC_INT_LL64_H
#define _ASM_GENERIC_INT_LL64_H

#include <pkvm/abi/types.h>

typedef pkvm_s8 __s8;
typedef pkvm_u8 __u8;
typedef pkvm_s16 __s16;
typedef pkvm_u16 __u16;
typedef pkvm_s32 __s32;
typedef pkvm_u32 __u32;
typedef pkvm_s64 __s64;
typedef pkvm_u64 __u64;

typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

#define S8_C(x) x
#define U8_C(x) x##U
#define S16_C(x) x
#define U16_C(x) x##U
#define S32_C(x) x
#define U32_C(x) x##U
#define S64_C(x) x##LL
#define U64_C(x) x##ULL

#endif /* _ASM_GENERIC_INT_LL64_H */

/* File: include/pkvm/compat/linux/kernel.h -- the usual grab-bag, reaching
 * what the kernel's linux/kernel.h reaches: ALIGN/ALIGN_DOWN/IS_ALIGNED
 * (linux/align.h), the limits, container_of, min/max/clamp (linux/minmax.h),
 * DIV_ROUND_UP/round_up (linux/math.h), ilog2 (linux/log2.h), __ffs/fls
 * (linux/bitops.h), BUILD_BUG_ON, printk; plus ARRAY_SIZE,
 * upper_32_bits/lower_32_bits. */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/bug.h>

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n)&0xffffffff))
#define upper_16_bits(n) ((u16)((n) >> 16))
#define lower_16_bits(n) ((u16)((n)&0xffff))
#define REPEAT_BYTE(x) ((~0ul / 0xff) * (x))
#define u64_to_user_ptr(x) ((void __user *)(uintptr_t)(x))
#define typecheck(type, x) 1
#define _RET_IP_ (unsigned long)__builtin_return_address(0)
#define _THIS_IP_ ({ __label__ __here; __here: (unsigned long)&&__here; })

#endif

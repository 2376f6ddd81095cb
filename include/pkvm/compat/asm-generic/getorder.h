/* File: include/pkvm/compat/asm-generic/getorder.h -- get_order(size): the
 * smallest order whose 2^order pages hold `size` bytes. */
#ifndef __ASM_GENERIC_GETORDER_H
#define __ASM_GENERIC_GETORDER_H

#include <linux/compiler.h>
#include <asm/page-def.h>

static __always_inline __attribute_const__ int get_order(unsigned long size) {
  if (size <= PAGE_SIZE) return 0;
  size = (size - 1) >> PAGE_SHIFT;
  return 64 - __builtin_clzl(size);
}

#endif

/* File: include/pkvm/compat/asm/unaligned.h -- arm64 uses the generic
 * unaligned accessors. */
#ifndef __ASM_UNALIGNED_H
#define __ASM_UNALIGNED_H

#include <asm-generic/unaligned.h>

#endif

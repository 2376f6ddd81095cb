/* File: include/pkvm/compat/asm/types.h -- arm64's integer types: those of
 * asm-generic/int-ll64.h. */
#ifndef __ASM_TYPES_H
#define __ASM_TYPES_H

#include <asm-generic/int-ll64.h>

#endif

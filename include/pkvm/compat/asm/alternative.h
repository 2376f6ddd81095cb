/* File: include/pkvm/compat/asm/alternative.h -- boot-time code patching by
 * CPU capability: the macros of asm/alternative-macros.h (libpkvm's CPUs
 * keep the default code). */
#ifndef __ASM_ALTERNATIVE_H
#define __ASM_ALTERNATIVE_H

#include <asm/alternative-macros.h>

#endif

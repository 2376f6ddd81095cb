/* File: include/pkvm/compat/asm-generic/bug.h -- BUG/WARN (defined in
 * linux/bug.h here). */
#ifndef _ASM_GENERIC_BUG_H
#define _ASM_GENERIC_BUG_H

#include <linux/bug.h>

#endif

/* File: include/pkvm/compat/asm/rwonce.h -- READ_ONCE/WRITE_ONCE (defined
 * with the rest of linux/compiler.h). */
#ifndef __ASM_RWONCE_H
#define __ASM_RWONCE_H

#include <linux/compiler.h>

#endif

/* File: include/pkvm/compat/asm/page.h -- page size and the linear map.
 * get_order(). */
#ifndef __ASM_PAGE_H
#define __ASM_PAGE_H

#include <asm/page-def.h>
#include <asm/memory.h>
#include <asm-generic/getorder.h>

#endif

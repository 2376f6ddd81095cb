/* File: include/pkvm/compat/asm/page.h -- page size and the linear map.
 * (compat slice of issue 8) */
#ifndef __ASM_PAGE_H
#define __ASM_PAGE_H

#include <asm/kvm_pgtable.h>
#include <asm/memory.h>

#endif

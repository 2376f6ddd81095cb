/* File: include/pkvm/compat/asm/pgtable-hwdef.h -- AArch64 translation-table
 * geometry and descriptor bits for the 4 KiB granule, as the Arm ARM gives
 * them (VMSAv8-64: 8-byte descriptors, 9 bits of VA per level, levels 0..3).
 * Reached through asm/kvm_pgtable.h, as in the kernel. */
#ifndef __ASM_PGTABLE_HWDEF_H
#define __ASM_PGTABLE_HWDEF_H

#include <asm/page-def.h>
#include <linux/const.h>
#include <linux/types.h>

/* Levels needed for `va_bits` of VA; the shift of the VA bits a level-n
 * entry maps (n = 0..3: 39, 30, 21, 12 with 4 KiB pages). */
#define ARM64_HW_PGTABLE_LEVELS(va_bits) (((va_bits) - 4) / (PAGE_SHIFT - 3))
#define ARM64_HW_PGTABLE_LEVEL_SHIFT(n) ((PAGE_SHIFT - 3) * (4 - (n)) + 3)

#define PTRS_PER_PTE (1 << (PAGE_SHIFT - 3))
#define PTRS_PER_PMD PTRS_PER_PTE
#define PTRS_PER_PUD PTRS_PER_PTE

#define PMD_SHIFT ARM64_HW_PGTABLE_LEVEL_SHIFT(2)
#define PMD_SIZE (_AC(1, UL) << PMD_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_SHIFT ARM64_HW_PGTABLE_LEVEL_SHIFT(1)
#define PUD_SIZE (_AC(1, UL) << PUD_SHIFT)
#define PUD_MASK (~(PUD_SIZE - 1))
#define SECTION_SHIFT PMD_SHIFT
#define SECTION_SIZE (_AC(1, UL) << SECTION_SHIFT)
#define SECTION_MASK (~(SECTION_SIZE - 1))

/* Descriptor type (bits 1:0) and the stage-1 attributes modules test. */
#define PMD_TYPE_MASK (_AT(u64, 3) << 0)
#define PMD_TYPE_TABLE (_AT(u64, 3) << 0)
#define PMD_TYPE_SECT (_AT(u64, 1) << 0)
#define PTE_VALID (_AT(u64, 1) << 0)
#define PTE_TYPE_MASK (_AT(u64, 3) << 0)
#define PTE_TYPE_PAGE (_AT(u64, 3) << 0)
#define PTE_TABLE_BIT (_AT(u64, 1) << 1)
#define PTE_USER (_AT(u64, 1) << 6)  /* AP[1] */
#define PTE_RDONLY (_AT(u64, 1) << 7)  /* AP[2] */
#define PTE_SHARED (_AT(u64, 3) << 8)  /* SH[1:0], inner shareable */
#define PTE_AF (_AT(u64, 1) << 10)
#define PTE_NG (_AT(u64, 1) << 11)
#define PTE_CONT (_AT(u64, 1) << 52)
#define PTE_PXN (_AT(u64, 1) << 53)
#define PTE_UXN (_AT(u64, 1) << 54)
#define PTE_ATTRINDX(t) (_AT(u64, (t)) << 2)
#define PTE_ATTRINDX_MASK (_AT(u64, 7) << 2)

#endif /* __ASM_PGTABLE_HWDEF_H */

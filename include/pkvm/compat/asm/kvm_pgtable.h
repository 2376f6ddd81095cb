/* File: include/pkvm/compat/asm/kvm_pgtable.h -- kvm_pgtable_prot, PAGE_HYP*. */
#ifndef __ARM64_KVM_PGTABLE_H__
#define __ARM64_KVM_PGTABLE_H__

#include <pkvm/abi/pgtable_prot.h>
#include <linux/types.h>

typedef pkvm_kvm_pte_t kvm_pte_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

#endif

/* File: include/pkvm/compat/asm/kvm_pgtable.h -- kvm_pgtable_prot, PAGE_HYP*,
 * kvm_pte_t; like the kernel's, it includes linux/kvm_host.h (and with it
 * most core headers). */
#ifndef __ARM64_KVM_PGTABLE_H__
#define __ARM64_KVM_PGTABLE_H__

#include <pkvm/abi/pgtable_prot.h>
#include <asm/pgtable-hwdef.h>
#include <linux/bits.h>
#include <linux/kvm_host.h>
#include <linux/types.h>

typedef pkvm_kvm_pte_t kvm_pte_t;

#endif

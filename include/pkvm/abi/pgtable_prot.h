/* File: include/pkvm/abi/pgtable_prot.h
 * `enum kvm_pgtable_prot` bits used by the `prot` arguments of pkvm_module_ops.
 *
 *   enum kvm_pgtable_prot p = PAGE_HYP;  // R|W
 */
#ifndef PKVM_ABI_PGTABLE_PROT_H_
#define PKVM_ABI_PGTABLE_PROT_H_

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kvm_pgtable_prot {
  KVM_PGTABLE_PROT_X = 1ULL << 0,
  KVM_PGTABLE_PROT_W = 1ULL << 1,
  KVM_PGTABLE_PROT_R = 1ULL << 2,
  KVM_PGTABLE_PROT_DEVICE = 1ULL << 3,
  KVM_PGTABLE_PROT_NORMAL_NC = 1ULL << 4,
  KVM_PGTABLE_PROT_PXN = 1ULL << 5,
  KVM_PGTABLE_PROT_UXN = 1ULL << 6,
  KVM_PGTABLE_PROT_SW0 = 1ULL << 55,
  KVM_PGTABLE_PROT_SW1 = 1ULL << 56,
  KVM_PGTABLE_PROT_SW2 = 1ULL << 57,
  KVM_PGTABLE_PROT_SW3 = 1ULL << 58,
};

#define KVM_PGTABLE_PROT_RW (KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W)
#define KVM_PGTABLE_PROT_RWX (KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_X)
#define PAGE_HYP KVM_PGTABLE_PROT_RW
#define PAGE_HYP_EXEC (KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X)
#define PAGE_HYP_RO (KVM_PGTABLE_PROT_R)
#define PAGE_HYP_DEVICE (PAGE_HYP | KVM_PGTABLE_PROT_DEVICE)

PKVM_ABI_STATIC_ASSERT(sizeof(enum kvm_pgtable_prot) == 8, "prot is a 64-bit enum on arm64");

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_PGTABLE_PROT_H_ */

/* File: include/pkvm/abi/smccc.h
 * SMCCC function-id encoding, return codes and the pKVM host hypercall numbers.
 *
 * Host hypercalls are fast SMC64/HVC64 calls owned by the vendor hypervisor:
 * function id = 0xC6000000 | n. Numbers below 128 are the hypervisor's static
 * calls; 128..255 are the dynamic calls modules register.
 *
 *   pkvm_u64 fid = PKVM_HOST_SMCCC_ID(PKVM_DYNAMIC_HCALL_FIRST);  // 0xC6000080
 */
#ifndef PKVM_ABI_SMCCC_H_
#define PKVM_ABI_SMCCC_H_

#include "types.h"

#define PKVM_SMCCC_FAST_CALL (1ULL << 31)
#define PKVM_SMCCC_SMC64 (1ULL << 30)
#define PKVM_SMCCC_OWNER_SHIFT 24
#define PKVM_SMCCC_OWNER_MASK 0x3FULL
#define PKVM_SMCCC_OWNER_VENDOR_HYP 6ULL
#define PKVM_SMCCC_FUNC_MASK 0xFFFFULL
/* SVE "live state not needed" hint (ARM_SMCCC_CALL_HINTS). */
#define PKVM_SMCCC_CALL_HINTS (1ULL << 16)

#define PKVM_SMCCC_CALL_VAL(fast, is64, owner, num)                                 \
  (((fast) ? PKVM_SMCCC_FAST_CALL : 0ULL) | ((is64) ? PKVM_SMCCC_SMC64 : 0ULL) |    \
   (((pkvm_u64)(owner) & PKVM_SMCCC_OWNER_MASK) << PKVM_SMCCC_OWNER_SHIFT) |        \
   ((pkvm_u64)(num) & PKVM_SMCCC_FUNC_MASK))

#define PKVM_HOST_SMCCC_ID(n) PKVM_SMCCC_CALL_VAL(1, 1, PKVM_SMCCC_OWNER_VENDOR_HYP, (n))
#define PKVM_HOST_SMCCC_BASE PKVM_HOST_SMCCC_ID(0) /* 0xC6000000 */

/* SMCCC return codes, as the signed values the kernel defines; in x0 they are
 * the two's-complement 64-bit patterns (NOT_SUPPORTED = 0xFFFFFFFFFFFFFFFF). */
#define PKVM_SMCCC_RET_SUCCESS 0
#define PKVM_SMCCC_RET_NOT_SUPPORTED (-1)
#define PKVM_SMCCC_RET_NOT_REQUIRED (-2)
#define PKVM_SMCCC_RET_INVALID_PARAMETER (-3)

/* Dynamic hypercalls: the first id and how many there can be. */
#define PKVM_DYNAMIC_HCALL_FIRST 128u
#define PKVM_MAX_DYNAMIC_HCALLS 128u

/* Static host hypercall numbers (enum __kvm_host_smccc_func) that libpkvm
 * serves. Numbers 1..19 are the same in A14/A15/A16 for the entries named
 * here, except that A14 has no __pkvm_iommu_init (docs/abi-decisions.md).
 * __pkvm_prot_finalize is generation-dependent: use pkvm_prot_finalize_id(). */
enum pkvm_host_hcall {
  PKVM_HCALL_kvm_get_mdcr_el2 = 1,
  PKVM_HCALL_pkvm_init = 2,
  PKVM_HCALL_pkvm_create_private_mapping = 3,
  PKVM_HCALL_pkvm_cpu_set_vector = 4,
  PKVM_HCALL_kvm_enable_ssbs = 5,
  PKVM_HCALL_vgic_v3_init_lrs = 6,
  PKVM_HCALL_vgic_v3_get_gic_config = 7,
  PKVM_HCALL_kvm_flush_vm_context = 8,
  PKVM_HCALL_kvm_tlb_flush_vmid_ipa = 9,
  PKVM_HCALL_kvm_tlb_flush_vmid_ipa_nsh = 10,
  PKVM_HCALL_kvm_tlb_flush_vmid = 11,
  PKVM_HCALL_kvm_tlb_flush_vmid_range = 12,
  PKVM_HCALL_kvm_flush_cpu_context = 13,
  PKVM_HCALL_pkvm_alloc_module_va = 14,
  PKVM_HCALL_pkvm_map_module_page = 15,
  PKVM_HCALL_pkvm_unmap_module_page = 16,
  PKVM_HCALL_pkvm_init_module = 17,
  PKVM_HCALL_pkvm_register_hcall = 18,
  PKVM_HCALL_pkvm_iommu_init = 19, /* A15, A16 */
  PKVM_HCALL_pkvm_devices_init = 20, /* A16 only */
};

/* __pkvm_prot_finalize: the first "unprivileged" host hypercall. A14 has no
 * __pkvm_iommu_init (19), A16 inserts __pkvm_devices_init (20). */
static inline pkvm_u32 pkvm_prot_finalize_id(int generation) {
  return generation <= 14 ? 19u : (generation == 15 ? 20u : 21u);
}

#endif /* PKVM_ABI_SMCCC_H_ */

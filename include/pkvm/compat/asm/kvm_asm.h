/* File: include/pkvm/compat/asm/kvm_asm.h -- host hypercall ids.
 * The static numbers follow the generation (docs/abi-decisions.md). */
#ifndef __ARM_KVM_ASM_H__
#define __ARM_KVM_ASM_H__

#include <pkvm/compat_glue.h>
#include <linux/arm-smccc.h>
#include <asm/hyp_image.h>
#include <asm/insn.h>

#define KVM_HOST_SMCCC_ID(id) \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_64, ARM_SMCCC_OWNER_VENDOR_HYP, (id))
#define KVM_HOST_SMCCC_FUNC(name) KVM_HOST_SMCCC_ID(__KVM_HOST_SMCCC_FUNC_##name)

#define __KVM_HOST_SMCCC_FUNC___kvm_hyp_init 0
#define __KVM_HOST_SMCCC_FUNC___kvm_get_mdcr_el2 PKVM_HCALL_kvm_get_mdcr_el2
#define __KVM_HOST_SMCCC_FUNC___pkvm_init PKVM_HCALL_pkvm_init
#define __KVM_HOST_SMCCC_FUNC___pkvm_create_private_mapping PKVM_HCALL_pkvm_create_private_mapping
#define __KVM_HOST_SMCCC_FUNC___pkvm_alloc_module_va PKVM_HCALL_pkvm_alloc_module_va
#define __KVM_HOST_SMCCC_FUNC___pkvm_map_module_page PKVM_HCALL_pkvm_map_module_page
#define __KVM_HOST_SMCCC_FUNC___pkvm_unmap_module_page PKVM_HCALL_pkvm_unmap_module_page
#define __KVM_HOST_SMCCC_FUNC___pkvm_init_module PKVM_HCALL_pkvm_init_module
#define __KVM_HOST_SMCCC_FUNC___pkvm_register_hcall PKVM_HCALL_pkvm_register_hcall
#if PKVM_GENERATION >= 15
#define __KVM_HOST_SMCCC_FUNC___pkvm_iommu_init PKVM_HCALL_pkvm_iommu_init
#endif
#if PKVM_GENERATION >= 16
#define __KVM_HOST_SMCCC_FUNC___pkvm_devices_init PKVM_HCALL_pkvm_devices_init
#endif
#if PKVM_GENERATION == 14
#define __KVM_HOST_SMCCC_FUNC___pkvm_prot_finalize 19
#elif PKVM_GENERATION == 15
#define __KVM_HOST_SMCCC_FUNC___pkvm_prot_finalize 20
#else
#define __KVM_HOST_SMCCC_FUNC___pkvm_prot_finalize 21
#endif
#define __KVM_HOST_SMCCC_FUNC___dynamic_hcalls 128

/* Hypervisor symbols (kvm_nvhe_sym() comes from asm/hyp_image.h): in EL1
 * code DECLARE_KVM_NVHE_SYM(x) declares __kvm_nvhe_x, in EL2 code x. */
#define DECLARE_KVM_VHE_SYM(sym) extern char sym[]
#define DECLARE_KVM_NVHE_SYM(sym) extern char kvm_nvhe_sym(sym)[]
#define DECLARE_KVM_HYP_SYM(sym) \
  DECLARE_KVM_VHE_SYM(sym);      \
  DECLARE_KVM_NVHE_SYM(sym)
#define DECLARE_KVM_VHE_PER_CPU(type, sym) extern type sym
#define DECLARE_KVM_NVHE_PER_CPU(type, sym) extern type kvm_nvhe_sym(sym)
#define CHOOSE_VHE_SYM(sym) sym
#define CHOOSE_NVHE_SYM(sym) kvm_nvhe_sym(sym)

#endif

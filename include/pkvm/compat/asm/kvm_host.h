/* File: include/pkvm/compat/asm/kvm_host.h
 * struct kvm_cpu_context (the view A14 handlers get), cpu_reg(), and the
 * host's kvm_call_hyp_nvhe().
 *
 *   void handler(struct kvm_cpu_context *ctx) { cpu_reg(ctx, 1) = 0; }
 */
#ifndef __ARM64_KVM_HOST_H__
#define __ARM64_KVM_HOST_H__

#include <pkvm/compat_glue.h>
#include <pkvm/abi/ptrace.h>
#include <linux/types.h>
#include <linux/bug.h>
#include <linux/arm-smccc.h>
#include <asm/barrier.h>
#include <asm/kvm_arm.h>
#include <asm/kvm_asm.h>
#include <asm/sysreg.h>

#ifndef cpu_reg
#define cpu_reg(ctxt, r) (ctxt)->regs.regs[r]
#endif

#ifndef __KVM_NVHE_HYPERVISOR__
/* SMCCC 1.1 HVC that WARNs unless x0 is SUCCESS and evaluates to x1: the
 * shape of both kvm_call_hyp_nvhe() and pkvm_el2_mod_call(). */
#define __pkvm_hvc_warn_a1(fid, ...)                               \
  ({                                                               \
    struct arm_smccc_res __pkvm_res;                               \
    arm_smccc_1_1_hvc((fid), ##__VA_ARGS__, &__pkvm_res);          \
    WARN_ON(__pkvm_res.a0 != SMCCC_RET_SUCCESS);                   \
    __pkvm_res.a1;                                                 \
  })
/* SMCCC 1.1 HVC to a static host hypercall, as the kernel's macro. */
#define kvm_call_hyp_nvhe(f, ...) __pkvm_hvc_warn_a1(KVM_HOST_SMCCC_FUNC(f), ##__VA_ARGS__)

static inline bool is_protected_kvm_enabled(void) { return true; }
#endif

#if PKVM_GENERATION == 14
/* A14's IOMMU driver registration (nvhe/iommu.h has the driver's ops). */
enum pkvm_iommu_pm_event {
  PKVM_IOMMU_PM_SUSPEND,
  PKVM_IOMMU_PM_RESUME,
};
struct pkvm_iommu_ops;
struct pkvm_iommu_driver {
  const struct pkvm_iommu_ops *ops;
  struct list_head list;
  atomic_t state;
};
#ifndef __KVM_NVHE_HYPERVISOR__
struct device;
#ifdef __cplusplus
extern "C" {
#endif
/* The host kernel's side of A14 IOMMU drivers: declared, not provided by
 * libpkvm (a module calling one fails to link, naming it). */
int pkvm_iommu_driver_init(u64 drv, void *data, size_t size);
int pkvm_iommu_register(struct device *dev, u64 drv, phys_addr_t pa, size_t size,
                        struct device *parent, u8 flags);
int pkvm_iommu_suspend(struct device *dev);
int pkvm_iommu_resume(struct device *dev);
int pkvm_iommu_finalize(int err);
#ifdef __cplusplus
}
#endif
#endif
#endif

/* The Android tree's asm/kvm_host.h reaches the module interface too (code
 * that names struct pkvm_module_ops with only this header or asm/kvm_mmu.h
 * exists). Last, so everything above is declared when it includes back. */
#include <asm/kvm_pkvm_module.h>

#endif

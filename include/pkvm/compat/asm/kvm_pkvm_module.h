/* File: include/pkvm/compat/asm/kvm_pkvm_module.h
 * The pKVM vendor-module interface as a module sees it, for the generation
 * picked with -DPKVM_GENERATION: `struct pkvm_module_ops`, `dyn_hcall_t`,
 * the EL1 helpers __pkvm_load_el2_module()/__pkvm_register_el2_call() and the
 * macros pkvm_load_el2_module(), pkvm_el2_mod_va(),
 * pkvm_register_el2_mod_call() and pkvm_el2_mod_call().
 *
 * EL2 (hyp/el2.c):
 *   int pkvm_driver_hyp_init(const struct pkvm_module_ops *ops) { return 0; }
 * EL1 (el1.c), A14-A16:
 *   ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_driver_hyp_init, &token);
 *   ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_driver_hyp_hvc, token);
 *   pkvm_el2_mod_call(ret);
 * A17 (provisional) dropped the token:
 *   ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_driver_hyp_init);
 *   ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_driver_hyp_hvc);
 */
#ifndef __ARM64_KVM_PKVM_MODULE_H__
#define __ARM64_KVM_PKVM_MODULE_H__

#include <pkvm/compat_glue.h>
#include <pkvm/abi/module_ops.h>
#include <asm/kvm_pgtable.h>
#include <linux/android_kabi.h>
#include <linux/export.h>
#include <linux/types.h>
#include <asm/kvm_host.h>

#define pkvm_module_ops PKVM_GEN_NAME(pkvm_module_ops)

#if PKVM_GENERATION == 14
typedef void (*dyn_hcall_t)(struct kvm_cpu_context *);
#else
typedef void (*dyn_hcall_t)(struct user_pt_regs *);
#endif

#ifndef __KVM_NVHE_HYPERVISOR__
#include <linux/module.h>

#ifdef __cplusplus
extern "C" {
#endif
#if PKVM_GENERATION >= 17
int __pkvm_load_el2_module(struct module *this_module);
#else
int __pkvm_load_el2_module(struct module *this_module, unsigned long *token);
#endif
int __pkvm_register_el2_call(unsigned long hfn_hyp_va);
int pkvm_load_early_modules(void);
#if PKVM_GENERATION >= 15
unsigned long pkvm_el2_mod_kern_va(unsigned long addr);
#endif
#ifdef __cplusplus
}
#endif

#ifdef MODULE
#if PKVM_GENERATION >= 17
/* One argument: the token is gone (post-a16.md 1.4). */
#define pkvm_load_el2_module(init_fn)            \
  ({                                             \
    THIS_MODULE->arch.hyp.init = (init_fn);      \
    __pkvm_load_el2_module(THIS_MODULE);         \
  })
#else
#define __PKVM_SECOND_(a, b, ...) b
/* pkvm_load_el2_module(init_fn, &token), or pkvm_load_el2_module(init_fn)
 * in trees that dropped the token. */
#define pkvm_load_el2_module(init_fn, ...)                                        \
  ({                                                                              \
    THIS_MODULE->arch.hyp.init = (init_fn);                                       \
    __pkvm_load_el2_module(THIS_MODULE,                                           \
                           __PKVM_SECOND_(x, ##__VA_ARGS__, (unsigned long *)0)); \
  })
#endif

#if PKVM_GENERATION == 14
#define pkvm_el2_mod_va(kern_va, token) \
  ((unsigned long)(token) +             \
   ((unsigned long)(kern_va) - (unsigned long)THIS_MODULE->arch.hyp.text.start))
#define pkvm_register_el2_mod_call(hfn, token) \
  __pkvm_register_el2_call(pkvm_el2_mod_va(hfn, token))
#elif PKVM_GENERATION == 15
#define pkvm_el2_mod_va(kern_va, token) \
  ((unsigned long)(token) +             \
   ((unsigned long)(kern_va) - (unsigned long)THIS_MODULE->arch.hyp.sections.start))
static inline int pkvm_register_el2_mod_call(dyn_hcall_t hfn, unsigned long token) {
  return __pkvm_register_el2_call(pkvm_el2_mod_va(hfn, token));
}
#else
/* A16 ignores the token and WARNs on addresses outside the EL2 image; A17
 * has no token at all. */
static inline unsigned long __pkvm_el2_mod_va_a16(unsigned long kern_va) {
  unsigned long start = (unsigned long)THIS_MODULE->arch.hyp.sections.start;
  unsigned long end = (unsigned long)THIS_MODULE->arch.hyp.sections.end;
  WARN_ON(kern_va < start || kern_va >= end);
  return (unsigned long)THIS_MODULE->arch.hyp.hyp_va + (kern_va - start);
}
#if PKVM_GENERATION >= 17
#define pkvm_el2_mod_va(kern_va) __pkvm_el2_mod_va_a16((unsigned long)(kern_va))
static inline int pkvm_register_el2_mod_call(dyn_hcall_t hfn) {
  return __pkvm_register_el2_call(pkvm_el2_mod_va(hfn));
}
#else
#define pkvm_el2_mod_va(kern_va, token) __pkvm_el2_mod_va_a16((unsigned long)(kern_va))
static inline int pkvm_register_el2_mod_call(dyn_hcall_t hfn, unsigned long token) {
  (void)token;
  return __pkvm_register_el2_call(pkvm_el2_mod_va(hfn, token));
}
#endif
#endif

/* SMCCC 1.1 HVC to a dynamic hypercall; WARNs unless x0 is SUCCESS and
 * evaluates to x1. */
#define pkvm_el2_mod_call(id, ...) __pkvm_hvc_warn_a1(KVM_HOST_SMCCC_ID(id), ##__VA_ARGS__)
/* Not in the post-6.12 trees A17 is drawn from. */
#if PKVM_GENERATION >= 15 && PKVM_GENERATION <= 16
#define pkvm_el2_mod_call_smccc(id, ...)                                   \
  ({                                                                       \
    struct arm_smccc_res __pkvm_res;                                       \
    arm_smccc_1_1_hvc(KVM_HOST_SMCCC_ID(id), ##__VA_ARGS__, &__pkvm_res);  \
    __pkvm_res;                                                            \
  })
#endif
#endif /* MODULE */
#endif /* !__KVM_NVHE_HYPERVISOR__ */

#endif /* __ARM64_KVM_PKVM_MODULE_H__ */

/* File: include/pkvm/compat/nvhe/ffa.h -- the hypervisor's FF-A proxy as its
 * header declares it: the range of FF-A function numbers pKVM intercepts
 * (an SMC filter module checks it to leave FF-A calls to pKVM) and the FF-A
 * id it shares with the host. The proxy itself (hyp_ffa_init,
 * kvm_host_ffa_handler) is hypervisor-internal: declared, not exported to
 * modules, so calling it fails to link with its name. */
#ifndef __KVM_HYP_FFA_H
#define __KVM_HYP_FFA_H

#include <pkvm/compat_glue.h>
#include <linux/arm-smccc.h>
#include <asm/kvm_host.h>

#define FFA_MIN_FUNC_NUM 0x60
/* Widened from 0x7F to 0xFF for FF-A 1.1 and later (6.6+ trees). */
#if PKVM_GENERATION == 14
#define FFA_MAX_FUNC_NUM 0x7F
#else
#define FFA_MAX_FUNC_NUM 0xFF
#endif

/* "ID value 0 must be returned at the Non-secure physical FF-A instance";
 * pKVM shares it with the host. */
#define HOST_FFA_ID 0

#ifdef __cplusplus
extern "C" {
#endif
int hyp_ffa_init(void *pages);
#if PKVM_GENERATION == 14
bool kvm_host_ffa_handler(struct kvm_cpu_context *host_ctxt);
#else
bool kvm_host_ffa_handler(struct kvm_cpu_context *host_ctxt, u32 func_id);
#endif
#ifdef __cplusplus
}
#endif

/* An SMCCC fast call of the standard-secure-service owner in the FF-A range.
 * android16-6.12's header has it; android15-6.6 trees differ, and vendor
 * modules built against those without it define their own: A16 only. */
#if PKVM_GENERATION >= 16
static inline bool is_ffa_call(u64 func_id)
{
  return ARM_SMCCC_IS_FAST_CALL(func_id) &&
         ARM_SMCCC_OWNER_NUM(func_id) == ARM_SMCCC_OWNER_STANDARD &&
         ARM_SMCCC_FUNC_NUM(func_id) >= FFA_MIN_FUNC_NUM &&
         ARM_SMCCC_FUNC_NUM(func_id) <= FFA_MAX_FUNC_NUM;
}
#endif

#endif /* __KVM_HYP_FFA_H */

/* File: include/pkvm/compat/nvhe/pkvm.h -- the hypervisor's VM bookkeeping
 * header.
 *
 * struct pkvm_hyp_vm / pkvm_hyp_vcpu stay opaque: modules get them as
 * handles from the ops table and never look inside. What module sources use
 * from this header is its includes.
 */
#ifndef __ARM64_KVM_NVHE_PKVM_H__
#define __ARM64_KVM_NVHE_PKVM_H__

#include <asm/kvm_pkvm_module.h>
#include <nvhe/mem_protect.h>
#include <nvhe/spinlock.h>

struct pkvm_hyp_vm;
struct pkvm_hyp_vcpu;

#if PKVM_GENERATION >= 17
#include <kvm/power_domain.h>

/* A17: a module drives a power domain through ops->init_hvc_pd(). */
#define MAX_POWER_DOMAINS 32
struct kvm_power_domain_ops {
  int (*power_on)(struct kvm_power_domain *pd);
  int (*power_off)(struct kvm_power_domain *pd);
};
#endif

#endif

/* File: include/pkvm/compat/kvm/iommu.h -- the pKVM IOMMU framework's shared
 * types (A15, A16): struct kvm_hyp_iommu (one IOMMU instance: its power
 * domain, a lock the framework's kvm_iommu_lock() takes, power state) and
 * struct kvm_hyp_iommu_domain (refcount, id, the driver's private pointer).
 * A module's IOMMU driver embeds kvm_hyp_iommu in its own per-instance struct
 * and hands it to ops->iommu_init_device(). */
#ifndef __KVM_IOMMU_H
#define __KVM_IOMMU_H

#include <pkvm/compat_glue.h>
#include <linux/android_kabi.h>
#include <linux/io-pgtable.h>
#include <asm/kvm_host.h>
#include <kvm/power_domain.h>

#define HYP_SPINLOCK_SIZE 4

/* The identity-mapped domain the host can attach to. */
#define KVM_IOMMU_DOMAIN_IDMAP_ID 0
#define KVM_IOMMU_DOMAIN_IDMAP_TYPE 0
#define KVM_IOMMU_DOMAIN_NR_START (KVM_IOMMU_DOMAIN_IDMAP_ID + 1)

struct kvm_hyp_iommu {
  struct kvm_power_domain power_domain;
  u32 lock; /* a hyp_spinlock_t: kvm_iommu_get_lock() */
  bool power_is_off;
  ANDROID_KABI_RESERVE(1);
  ANDROID_KABI_RESERVE(2);
  ANDROID_KABI_RESERVE(3);
  ANDROID_KABI_RESERVE(4);
};

struct kvm_hyp_iommu_domain {
  atomic_t refs;
  pkvm_handle_t domain_id;
  void *priv;
  ANDROID_KABI_RESERVE(1);
  ANDROID_KABI_RESERVE(2);
};

/* Domain ids: a two-level table indexed by id. */
#define KVM_IOMMU_MAX_DOMAINS (1 << 16)
#define KVM_IOMMU_DOMAINS_PER_PAGE (PAGE_SIZE / sizeof(struct kvm_hyp_iommu_domain))
#define KVM_IOMMU_DOMAINS_ROOT_ENTRIES (KVM_IOMMU_MAX_DOMAINS / KVM_IOMMU_DOMAINS_PER_PAGE)
#define KVM_IOMMU_DOMAINS_ROOT_SIZE (KVM_IOMMU_DOMAINS_ROOT_ENTRIES * sizeof(void *))

#endif /* __KVM_IOMMU_H */

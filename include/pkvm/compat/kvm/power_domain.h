/* File: include/pkvm/compat/kvm/power_domain.h -- how the host describes an
 * IOMMU's power domain to the hypervisor (struct kvm_hyp_iommu). */
#ifndef __KVM_POWER_DOMAIN_H
#define __KVM_POWER_DOMAIN_H

#include <linux/types.h>

enum kvm_power_domain_type {
  KVM_POWER_DOMAIN_NONE,
  KVM_POWER_DOMAIN_HOST_HVC,
  KVM_POWER_DOMAIN_ARM_SCMI,
};

struct kvm_power_domain {
  enum kvm_power_domain_type type;
  union {
    u64 device_id; /* KVM_POWER_DOMAIN_HOST_HVC */
    struct {
      u32 smc_id;
      u32 domain_id;
      phys_addr_t shmem_base;
      size_t shmem_size;
    } arm_scmi;
  };
};

#endif /* __KVM_POWER_DOMAIN_H */

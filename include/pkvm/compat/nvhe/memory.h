/* File: include/pkvm/compat/nvhe/memory.h -- physical address / page frame
 * arithmetic at EL2. (compat slice of issue 8)
 *
 * Only what is arithmetic on physical addresses is here. The hypervisor's
 * linear-map conversions (hyp_virt_to_phys, hyp_phys_to_virt, struct
 * hyp_page and its vmemmap) depend on hypervisor-private state a module
 * cannot see; modules reach them through the ops table, as on a device:
 *
 *   phys_addr_t pa = ops->hyp_pa(ptr);
 *   void *va = ops->hyp_va(pa);
 *   u64 pfn = hyp_phys_to_pfn(pa);
 */
#ifndef __KVM_HYP_MEMORY_H
#define __KVM_HYP_MEMORY_H

#include <linux/types.h>
#include <asm/kvm_pgtable.h>

#define hyp_phys_to_pfn(phys) ((phys) >> PAGE_SHIFT)
#define hyp_pfn_to_phys(pfn) ((phys_addr_t)((pfn) << PAGE_SHIFT))
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)

#endif

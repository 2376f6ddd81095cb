/* File: include/pkvm/compat/nvhe/memory.h -- physical address / page frame
 * arithmetic at EL2.
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
#include <asm/kvm_mmu.h>
#include <asm/page.h>

#define hyp_phys_to_pfn(phys) ((phys) >> PAGE_SHIFT)
#define hyp_pfn_to_phys(pfn) ((phys_addr_t)((pfn) << PAGE_SHIFT))

#endif

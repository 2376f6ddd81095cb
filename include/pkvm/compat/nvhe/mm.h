/* File: include/pkvm/compat/nvhe/mm.h -- the hypervisor's stage-1 mapping
 * header.
 *
 * The hypervisor's own mapping functions (pkvm_create_mappings,
 * hyp_create_idmap, ...) are not callable from a module on a device either;
 * modules map memory through the ops table (create_private_mapping,
 * fixmap_map/fixmap_unmap, map_module_page, linear_map_early). This header
 * gathers what module sources that include it use alongside: page sizes,
 * prot bits, spinlocks and physical-address arithmetic.
 */
#ifndef __KVM_HYP_MM_H
#define __KVM_HYP_MM_H

#include <linux/types.h>
#include <asm/kvm_pgtable.h>
#include <nvhe/memory.h>
#include <nvhe/spinlock.h>

#endif

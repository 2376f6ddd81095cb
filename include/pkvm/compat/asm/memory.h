/* File: include/pkvm/compat/asm/memory.h -- the kernel's linear map at EL1:
 * virt_to_phys, phys_to_virt, __pa, __va.
 *
 * Valid for memory from the kernel allocator (kmalloc, alloc_pages,
 * __get_free_pages), which libpkvm takes from the machine's emulated RAM.
 * Natively the linear map is the machine's RAM buffer in this process; in
 * the Unicorn backend EL1 runs with VA == PA. An address outside RAM (a
 * module's static data natively, for one) is a WARNING and 0.
 *
 *   void *buf = (void *)__get_free_page(GFP_KERNEL);
 *   phys_addr_t pa = virt_to_phys(buf);     // hand pa to EL2
 */
#ifndef __ASM_MEMORY_H
#define __ASM_MEMORY_H

#include <linux/types.h>
#include <linux/pfn.h>
#include <asm/page-def.h>
#include <asm-generic/memory_model.h>

#ifndef __KVM_NVHE_HYPERVISOR__
#ifdef __cplusplus
extern "C" {
#endif
unsigned long __pkvm_virt_to_phys(const volatile void *x);
void *__pkvm_phys_to_virt(unsigned long phys);
#ifdef __cplusplus
}
#endif

static inline phys_addr_t virt_to_phys(const volatile void *x) { return __pkvm_virt_to_phys(x); }
static inline void *phys_to_virt(phys_addr_t x) { return __pkvm_phys_to_virt(x); }
#define __pa(x) virt_to_phys((const volatile void *)(x))
#define __pa_symbol(x) __pa(x)
#define __va(x) phys_to_virt((phys_addr_t)(x))
#define virt_to_pfn(x) (__pa(x) >> PAGE_SHIFT)
#endif


#endif

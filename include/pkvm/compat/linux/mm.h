/* File: include/pkvm/compat/linux/mm.h -- page arithmetic (EL1 and EL2) and,
 * at EL1, struct page accessors over libpkvm's allocator.
 *
 *   size_t len = PAGE_ALIGN(n);                       // EL1 and EL2
 *   struct page *p = alloc_pages(GFP_KERNEL, 0);      // EL1
 *   phys_addr_t pa = page_to_phys(p);
 *   void *va = page_address(p);
 *
 * A `struct page *` is opaque; in libpkvm it is the page's linear-map
 * address (see <linux/gfp.h>).
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/pfn.h>
#include <linux/sizes.h>
#include <asm/page.h>

#define PAGE_ALIGN(addr) ALIGN((addr), PAGE_SIZE)
#define PAGE_ALIGN_DOWN(addr) ((addr) & ~((__typeof__(addr))PAGE_SIZE - 1))
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

#ifndef __KVM_NVHE_HYPERVISOR__
static inline void *page_address(const struct page *page) { return (void *)page; }
static inline struct page *virt_to_page(const void *addr) {
  return (struct page *)((unsigned long)addr & PAGE_MASK);
}
static inline phys_addr_t page_to_phys(const struct page *page) {
  return virt_to_phys(page_address(page));
}
static inline unsigned long page_to_pfn(const struct page *page) {
  return (unsigned long)(page_to_phys(page) >> PAGE_SHIFT);
}
static inline struct page *pfn_to_page(unsigned long pfn) {
  return (struct page *)phys_to_virt(PFN_PHYS(pfn));
}
static inline struct page *phys_to_page(phys_addr_t phys) { return pfn_to_page(phys >> PAGE_SHIFT); }
#define virt_addr_valid(addr) (virt_to_phys(addr) != 0)
#endif

#endif

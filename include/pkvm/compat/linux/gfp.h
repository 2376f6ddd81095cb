/* File: include/pkvm/compat/linux/gfp.h -- the page allocator at EL1.
 *
 * Pages come from the machine's emulated RAM, host-owned, so a module can
 * donate or share them to EL2 by physical address (virt_to_phys,
 * page_to_phys). One allocator in the machine serves both backends (the
 * second quarter of RAM: docs/compat.md). Blocks of 2^order pages are
 * naturally aligned, as the buddy allocator's. GFP flags other than
 * __GFP_ZERO make no difference in the emulation (nothing sleeps).
 *
 *   struct page *p = alloc_pages(GFP_KERNEL, 1);      // 2 pages
 *   u64 pfn = page_to_pfn(p);
 *   __free_pages(p, 1);
 *
 * `struct page` is opaque: in libpkvm a `struct page *` is the page's
 * linear-map address (page_address() gives it back), which every accessor
 * here knows; code must not look inside it.
 */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H

#include <linux/types.h>
#include <asm/page.h>


#define __GFP_HIGH 0x20u
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_ZERO 0x100u
#define __GFP_NOWARN 0x2000u
#define __GFP_RETRY_MAYFAIL 0x4000u
#define __GFP_NOFAIL 0x8000u
#define __GFP_NORETRY 0x10000u
#define __GFP_COMP 0x40000u
#define __GFP_DIRECT_RECLAIM 0x400u
#define __GFP_KSWAPD_RECLAIM 0x800u
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_ACCOUNT 0x400000u
#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_DMA 0x01u
#define GFP_DMA32 0x04u
#define GFP_HIGHUSER GFP_USER

#define MAX_ORDER 10 /* the largest block is 2^MAX_ORDER pages */

#ifndef __KVM_NVHE_HYPERVISOR__
struct page;

#ifdef __cplusplus
extern "C" {
#endif
/* libpkvm: nr pages aligned to `align` pages; the block's linear-map
 * address, 0 on failure. Free with the same nr (0: the whole block). */
unsigned long __pkvm_page_alloc(unsigned long nr, unsigned long align, unsigned int gfp);
void __pkvm_page_free(unsigned long addr, unsigned long nr);
#ifdef __cplusplus
}
#endif

static inline unsigned long __get_free_pages(gfp_t gfp, unsigned int order) {
  if (order > MAX_ORDER) return 0;
  return __pkvm_page_alloc(1UL << order, 1UL << order, gfp);
}
#define __get_free_page(gfp) __get_free_pages((gfp), 0)
static inline unsigned long get_zeroed_page(gfp_t gfp) { return __get_free_pages(gfp | __GFP_ZERO, 0); }
static inline void free_pages(unsigned long addr, unsigned int order) {
  if (addr != 0) __pkvm_page_free(addr, 1UL << order);
}
#define free_page(addr) free_pages((addr), 0)

static inline struct page *alloc_pages(gfp_t gfp, unsigned int order) {
  return (struct page *)__get_free_pages(gfp, order);
}
#define alloc_page(gfp) alloc_pages((gfp), 0)
static inline void __free_pages(struct page *page, unsigned int order) {
  free_pages((unsigned long)page, order);
}
#define __free_page(page) __free_pages((page), 0)

/* Exactly DIV_ROUND_UP(size, PAGE_SIZE) pages, page aligned. */
static inline void *alloc_pages_exact(size_t size, gfp_t gfp) {
  if (size == 0) return NULL;
  return (void *)__pkvm_page_alloc((size + PAGE_SIZE - 1) >> PAGE_SHIFT, 1, gfp);
}
static inline void free_pages_exact(void *virt, size_t size) {
  if (virt != NULL) __pkvm_page_free((unsigned long)virt, (size + PAGE_SIZE - 1) >> PAGE_SHIFT);
}

#endif /* !__KVM_NVHE_HYPERVISOR__ */

#endif

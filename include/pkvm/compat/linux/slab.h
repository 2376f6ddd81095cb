/* File: include/pkvm/compat/linux/slab.h -- kmalloc, kzalloc, kfree at EL1.
 *
 * libpkvm's kmalloc hands out whole pages of the machine's emulated RAM
 * (from the allocator behind <linux/gfp.h>): the result is page aligned,
 * physically contiguous and has a physical address (virt_to_phys), so it
 * can be shared with EL2. Small objects therefore cost a page each.
 *
 *   struct ctx *c = kzalloc(sizeof(*c), GFP_KERNEL);
 *   if (!c) return -ENOMEM;
 *   kfree(c);
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/overflow.h>
#include <linux/types.h>

#ifndef __KVM_NVHE_HYPERVISOR__
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
#define KMALLOC_MAX_SIZE (PAGE_SIZE << MAX_ORDER)

static inline void *kmalloc(size_t size, gfp_t flags) {
  if (size == 0) return ZERO_SIZE_PTR;
  if (size > KMALLOC_MAX_SIZE) return NULL;
  return (void *)__pkvm_page_alloc((size + PAGE_SIZE - 1) >> PAGE_SHIFT, 1, flags);
}
static inline void *kzalloc(size_t size, gfp_t flags) { return kmalloc(size, flags | __GFP_ZERO); }
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags) {
  size_t bytes;
  if (check_mul_overflow(n, size, &bytes)) return NULL;
  return kmalloc(bytes, flags);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t flags) {
  return kmalloc_array(n, size, flags | __GFP_ZERO);
}
static inline void kfree(const void *p) {
  if (!ZERO_OR_NULL_PTR(p)) __pkvm_page_free((unsigned long)p, 0);
}
#define kvmalloc(size, flags) kmalloc(size, flags)
#define kvzalloc(size, flags) kzalloc(size, flags)
#define kvfree(p) kfree(p)
#endif

#endif

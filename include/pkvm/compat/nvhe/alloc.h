/* File: include/pkvm/compat/nvhe/alloc.h -- the hypervisor's heap allocator,
 * as its header declares it (A15, A16). These are the hypervisor's own
 * functions: a module does not link against them (the call fails to link,
 * naming __kvm_nvhe_hyp_alloc...); modules allocate with ops->hyp_alloc /
 * ops->hyp_free / ops->hyp_alloc_errno, which libpkvm implements over its
 * heap model (docs/memory.md). */
#ifndef __KVM_NVHE_ALLOC__
#define __KVM_NVHE_ALLOC__

#include <linux/types.h>
#include <asm/kvm_host.h>

struct kvm;
struct kvm_hyp_memcache;

#ifdef __cplusplus
extern "C" {
#endif
void *hyp_alloc(size_t size);
void *hyp_alloc_account(size_t size, struct kvm *host_kvm);
/* -ENOMEM: the allocator needs a refill from the host; -E2BIG: no VA left. */
int hyp_alloc_errno(void);
void hyp_free(void *addr);
void hyp_free_account(void *addr, struct kvm *host_kvm);
int hyp_alloc_init(size_t size);
int hyp_alloc_refill(struct kvm_hyp_memcache *host_mc);
int hyp_alloc_reclaimable(void);
void hyp_alloc_reclaim(struct kvm_hyp_memcache *host_mc, int target);
u8 hyp_alloc_missing_donations(void);
#ifdef __cplusplus
}
#endif

#endif /* __KVM_NVHE_ALLOC__ */

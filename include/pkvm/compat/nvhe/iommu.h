/* File: include/pkvm/compat/nvhe/iommu.h -- the pKVM IOMMU framework as an
 * IOMMU driver module sees it (A15, A16): struct kvm_iommu_ops, the driver's
 * callbacks, in each generation's layout; the per-IOMMU lock helpers; the
 * framework's functions, declared.
 *
 *   static struct kvm_iommu_ops my_ops = { .init = my_init, ... };
 *   kvm_iommu_lock(&smmu->iommu); ... kvm_iommu_unlock(&smmu->iommu);
 *
 * What the emulation does: modules reach the framework through the ops
 * table (iommu_init_device, iommu_donate_pages, iommu_reclaim_pages, the
 * atomic pool, iommu_iotlb_gather_add_page, iommu_snapshot_host_stage2,
 * pkvm_unuse_dma, ...), which libpkvm implements. The kvm_iommu_* functions
 * below are the hypervisor's own: declared, not linkable from a module, as
 * on a device. libpkvm does not run the host's IOMMU hypercalls
 * (__pkvm_iommu_init, alloc_domain/attach_dev/map_pages...), so a registered
 * struct kvm_iommu_ops is not called by the machine (docs/compat.md).
 * A14 has the earlier pkvm_iommu framework instead (struct pkvm_iommu_ops,
 * struct pkvm_iommu; struct pkvm_iommu_driver is in asm/kvm_host.h), declared
 * the same way; libpkvm does not run its host hypercalls either. */
#ifndef __ARM64_KVM_NVHE_IOMMU_H__
#define __ARM64_KVM_NVHE_IOMMU_H__

#include <pkvm/compat_glue.h>
#include <linux/android_kabi.h>
#include <linux/io-pgtable.h>
#include <asm/kvm_host.h>
#include <asm/kvm_pgtable.h>
#include <kvm/iommu.h>
#include <nvhe/spinlock.h>

#if PKVM_GENERATION == 14
/* ---- A14 (android14-6.1): the pkvm_iommu framework (S2MPU-style drivers) --- */
#include <nvhe/mem_protect.h>

struct pkvm_iommu;

/* A driver's callbacks; the hypervisor calls them under its host lock. */
struct pkvm_iommu_ops {
  int (*init)(void *data, size_t size);
  int (*validate)(struct pkvm_iommu *dev);
  int (*validate_child)(struct pkvm_iommu *dev, struct pkvm_iommu *child);
  void (*host_stage2_idmap_prepare)(phys_addr_t start, phys_addr_t end,
                                    enum kvm_pgtable_prot prot);
  void (*host_stage2_idmap_apply)(struct pkvm_iommu *dev, phys_addr_t start, phys_addr_t end);
  void (*host_stage2_idmap_complete)(struct pkvm_iommu *dev);
  int (*suspend)(struct pkvm_iommu *dev);
  int (*resume)(struct pkvm_iommu *dev);
  bool (*host_dabt_handler)(struct pkvm_iommu *dev, struct kvm_cpu_context *host_ctxt, u32 esr,
                            size_t off);
  size_t data_size; /* per-device memory the driver gets in pkvm_iommu.data */
};

/* One registered IOMMU device. */
struct pkvm_iommu {
  struct pkvm_iommu *parent;
  struct list_head list;
  struct list_head siblings;
  struct list_head children;
  unsigned long id;
  const struct pkvm_iommu_ops *ops;
  phys_addr_t pa;
  void *va;
  size_t size;
  bool powered;
  /* Later android14-6.1 revisions carry per-device flags (Pixel's s2mpu
   * driver tests a "has sync device" bit); the member's type and place are
   * unverified (docs/abi-decisions.md). libpkvm never allocates this struct,
   * so only module code reads it. */
  u32 flags;
  char data[];
};

#ifdef __cplusplus
extern "C" {
#endif
/* The hypervisor's own (not linkable from a module). */
int __pkvm_iommu_driver_init(struct pkvm_iommu_driver *drv, void *data, size_t size);
int __pkvm_iommu_register(unsigned long dev_id, unsigned long drv_id, phys_addr_t dev_pa,
                          size_t dev_size, unsigned long parent_id, void *kern_mem_va,
                          size_t mem_size);
int __pkvm_iommu_pm_notify(unsigned long dev_id, enum pkvm_iommu_pm_event event);
int __pkvm_iommu_finalize(int err);
int pkvm_iommu_host_stage2_adjust_range(phys_addr_t addr, phys_addr_t *start, phys_addr_t *end);
bool pkvm_iommu_host_dabt_handler(struct kvm_cpu_context *host_ctxt, u32 esr,
                                  phys_addr_t fault_pa);
void pkvm_iommu_host_stage2_idmap(phys_addr_t start, phys_addr_t end,
                                  enum kvm_pgtable_prot prot);
#ifdef __cplusplus
}
#endif

#else /* A15, A16: the kvm_iommu framework */

struct kvm_hyp_memcache;
struct kvm_hyp_req;

#define KVM_IOMMU_PADDR_CACHE_MAX ((size_t)511)
/* The physical addresses an unmap freed, for the hypervisor to take back. */
struct kvm_iommu_paddr_cache {
  unsigned short ptr;
  u64 paddr[KVM_IOMMU_PADDR_CACHE_MAX];
  size_t pgsize[KVM_IOMMU_PADDR_CACHE_MAX];
};

#if PKVM_GENERATION == 15
struct kvm_iommu_ops {
  int (*init)(unsigned long arg);
  struct kvm_hyp_iommu *(*get_iommu_by_id)(pkvm_handle_t smmu_id);
  int (*alloc_domain)(struct kvm_hyp_iommu_domain *domain, u32 type);
  void (*free_domain)(struct kvm_hyp_iommu_domain *domain);
  int (*attach_dev)(struct kvm_hyp_iommu *iommu, struct kvm_hyp_iommu_domain *domain,
                    u32 endpoint_id, u32 pasid, u32 pasid_bits);
  int (*detach_dev)(struct kvm_hyp_iommu *iommu, struct kvm_hyp_iommu_domain *domain,
                    u32 endpoint_id, u32 pasid);
  bool (*dabt_handler)(struct kvm_cpu_context *host_ctxt, u64 esr, u64 addr);
  int (*suspend)(struct kvm_hyp_iommu *iommu);
  int (*resume)(struct kvm_hyp_iommu *iommu);
  void (*iotlb_sync)(struct kvm_hyp_iommu_domain *domain, struct iommu_iotlb_gather *gather);
  void (*host_stage2_idmap)(struct kvm_hyp_iommu_domain *domain, phys_addr_t start,
                            phys_addr_t end, int prot);
  int (*map_pages)(struct kvm_hyp_iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
                   size_t pgsize, size_t pgcount, int prot, size_t *total_mapped);
  size_t (*unmap_pages)(struct kvm_hyp_iommu_domain *domain, unsigned long iova, size_t pgsize,
                        size_t pgcount, struct iommu_iotlb_gather *gather,
                        struct kvm_iommu_paddr_cache *cache);
  phys_addr_t (*iova_to_phys)(struct kvm_hyp_iommu_domain *domain, unsigned long iova);
  ANDROID_KABI_RESERVE(1);
  ANDROID_KABI_RESERVE(2);
  ANDROID_KABI_RESERVE(3);
  ANDROID_KABI_RESERVE(4);
  ANDROID_KABI_RESERVE(5);
  ANDROID_KABI_RESERVE(6);
  ANDROID_KABI_RESERVE(7);
  ANDROID_KABI_RESERVE(8);
};
static_assert(sizeof(struct kvm_iommu_ops) == (14 + 8) * 8, "A15 kvm_iommu_ops: 14 + 8 KABI");
#else
struct kvm_iommu_ops {
  int (*init)(void);
  int (*alloc_domain)(struct kvm_hyp_iommu_domain *domain, int type);
  void (*free_domain)(struct kvm_hyp_iommu_domain *domain);
  struct kvm_hyp_iommu *(*get_iommu_by_id)(pkvm_handle_t iommu_id);
  int (*attach_dev)(struct kvm_hyp_iommu *iommu, struct kvm_hyp_iommu_domain *domain,
                    u32 endpoint_id, u32 pasid, u32 pasid_bits, unsigned long flags);
  int (*detach_dev)(struct kvm_hyp_iommu *iommu, struct kvm_hyp_iommu_domain *domain,
                    u32 endpoint_id, u32 pasid);
  int (*map_pages)(struct kvm_hyp_iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
                   size_t pgsize, size_t pgcount, int prot, size_t *total_mapped);
  size_t (*unmap_pages)(struct kvm_hyp_iommu_domain *domain, unsigned long iova, size_t pgsize,
                        size_t pgcount, struct iommu_iotlb_gather *gather);
  phys_addr_t (*iova_to_phys)(struct kvm_hyp_iommu_domain *domain, unsigned long iova);
  void (*iotlb_sync)(struct kvm_hyp_iommu_domain *domain, struct iommu_iotlb_gather *gather);
  bool (*dabt_handler)(struct user_pt_regs *regs, u64 esr, u64 addr);
  void (*host_stage2_idmap)(struct kvm_hyp_iommu_domain *domain, phys_addr_t start,
                            phys_addr_t end, int prot);
  void (*host_stage2_idmap_complete)(bool map);
  int (*suspend)(struct kvm_hyp_iommu *iommu);
  int (*resume)(struct kvm_hyp_iommu *iommu);
  int (*dev_block_dma)(struct kvm_hyp_iommu *iommu, u32 endpoint_id, bool is_host_to_guest);
  int (*get_iommu_token_by_id)(pkvm_handle_t smmu_id, u64 *out_token);
  ANDROID_KABI_USE(1, int (*iotlb_sync_map)(struct kvm_hyp_iommu_domain *domain,
                                            unsigned long iova, size_t size));
  ANDROID_KABI_USE(2, int (*attach_dev_nested)(struct kvm_hyp_iommu *iommu,
                                               struct kvm_hyp_iommu_domain *domain,
                                               struct kvm_hyp_iommu_domain *s2_domain,
                                               u32 endpoint_id, u32 pasid, unsigned long flags,
                                               void *s1_desc, size_t s1_desc_size));
  ANDROID_KABI_USE(3, int (*detach_dev_nested)(struct kvm_hyp_iommu *iommu,
                                               struct kvm_hyp_iommu_domain *domain,
                                               struct kvm_hyp_iommu_domain *s2_domain,
                                               u32 endpoint_id, u32 pasid));
  ANDROID_KABI_USE(4, void (*iotlb_inv_nested_domain)(struct kvm_hyp_iommu_domain *domain,
                                                      unsigned long iova, size_t size,
                                                      size_t granule, bool leaf));
  ANDROID_KABI_USE(5, int (*nested_cfg_sync)(struct kvm_hyp_iommu *iommu, void *cmd_desc,
                                             size_t cmd_desc_size));
  ANDROID_KABI_RESERVE(6);
  ANDROID_KABI_RESERVE(7);
  ANDROID_KABI_RESERVE(8);
};
static_assert(sizeof(struct kvm_iommu_ops) == (17 + 8) * 8, "A16 kvm_iommu_ops: 17 + 8 KABI");

/* Flags of kvm_iommu_donate_pages(). */
#define IOMMU_PAGE_NOCACHE BIT(0)
#endif

#ifdef __cplusplus
extern "C" {
#endif
/* The hypervisor's framework functions (not linkable from a module). */
#if PKVM_GENERATION == 15
int kvm_iommu_init(struct kvm_iommu_ops *ops, struct kvm_hyp_memcache *atomic_mc,
                   unsigned long init_arg);
void *kvm_iommu_donate_pages(u8 order, bool request);
int kvm_iommu_request(struct kvm_hyp_req *req);
void kvm_iommu_flush_unmap_cache(struct kvm_iommu_paddr_cache *cache);
#else
int kvm_iommu_init(struct kvm_iommu_ops *ops, struct kvm_hyp_memcache *atomic_mc);
void *kvm_iommu_donate_pages(u8 order, int flags);
int kvm_iommu_request_hyp_alloc(void);
#endif
int kvm_iommu_init_device(struct kvm_hyp_iommu *iommu);
void kvm_iommu_reclaim_pages(void *p, u8 order);
void *kvm_iommu_donate_pages_atomic(u8 order);
void kvm_iommu_reclaim_pages_atomic(void *p, u8 order);
bool kvm_iommu_host_dabt_handler(struct kvm_cpu_context *host_ctxt, u64 esr, u64 addr);
void kvm_iommu_iotlb_gather_add_page(struct kvm_hyp_iommu_domain *domain,
                                     struct iommu_iotlb_gather *gather, unsigned long iova,
                                     size_t size);
void kvm_iommu_host_stage2_idmap(phys_addr_t start, phys_addr_t end, enum kvm_pgtable_prot prot);
int kvm_iommu_snapshot_host_stage2(struct kvm_hyp_iommu_domain *domain);
#ifdef __cplusplus
}
#endif

#if PKVM_GENERATION == 15
#define kvm_iommu_donate_page() kvm_iommu_donate_pages(0, true)
#define kvm_iommu_donate_pages_request(order) kvm_iommu_donate_pages(order, true)
#else
#define kvm_iommu_donate_page() kvm_iommu_donate_pages(0, 0)
#define kvm_iommu_donate_page_nc() kvm_iommu_donate_pages(0, IOMMU_PAGE_NOCACHE)
#endif
#define kvm_iommu_reclaim_page(p) kvm_iommu_reclaim_pages(p, 0)

/* The per-IOMMU lock: the u32 in struct kvm_hyp_iommu is a hyp spinlock. */
static inline hyp_spinlock_t *kvm_iommu_get_lock(struct kvm_hyp_iommu *iommu)
{
  BUILD_BUG_ON(sizeof(iommu->lock) != sizeof(hyp_spinlock_t));
  return (hyp_spinlock_t *)(&iommu->lock);
}
static inline void kvm_iommu_lock_init(struct kvm_hyp_iommu *iommu)
{
  hyp_spin_lock_init(kvm_iommu_get_lock(iommu));
}
static inline void kvm_iommu_lock(struct kvm_hyp_iommu *iommu)
{
  hyp_spin_lock(kvm_iommu_get_lock(iommu));
}
static inline void kvm_iommu_unlock(struct kvm_hyp_iommu *iommu)
{
  hyp_spin_unlock(kvm_iommu_get_lock(iommu));
}

#endif /* PKVM_GENERATION */

#endif /* __ARM64_KVM_NVHE_IOMMU_H__ */

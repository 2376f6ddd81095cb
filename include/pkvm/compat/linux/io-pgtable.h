/* File: include/pkvm/compat/linux/io-pgtable.h -- the io-pgtable formats and
 * the IOTLB gather a driver's unmap path fills (ops->iommu_iotlb_gather_add_page).
 * The kernel's page-table allocator itself (alloc_io_pgtable_ops) is not
 * provided. */
#ifndef __IO_PGTABLE_H
#define __IO_PGTABLE_H

#include <linux/bitops.h>
#include <linux/types.h>

enum io_pgtable_fmt {
  ARM_32_LPAE_S1,
  ARM_32_LPAE_S2,
  ARM_64_LPAE_S1,
  ARM_64_LPAE_S2,
  ARM_V7S,
  ARM_MALI_LPAE,
  AMD_IOMMU_V1,
  AMD_IOMMU_V2,
  APPLE_DART,
  APPLE_DART2,
  IO_PGTABLE_NUM_FMTS,
};

/* The range of IOVAs whose TLB entries a batch of unmaps invalidates. */
struct iommu_iotlb_gather {
  unsigned long start;
  unsigned long end;
  size_t pgsize;
  struct list_head freelist;
  bool queued;
};

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *gather)
{
  gather->start = ~0UL;
  gather->end = 0;
  gather->pgsize = 0;
  gather->freelist.next = &gather->freelist;
  gather->freelist.prev = &gather->freelist;
  gather->queued = false;
}

#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#define IOMMU_CACHE (1 << 2)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_MMIO (1 << 4)
#define IOMMU_PRIV (1 << 5)

#endif /* __IO_PGTABLE_H */

/* Commands of the iommu_drv module's hypercall (x1 = command, x2/x3 =
 * arguments; results in x1..x3). */
#ifndef IOMMU_DRV_H_
#define IOMMU_DRV_H_

#define IO_INIT_DEVICE 1  /* -> ops->iommu_init_device(&smmu.iommu) */
#define IO_LOCK 2         /* -> lock word while held != after unlock, after unlock == initial */
#define IO_DRIVER_OPS 3   /* x2 = type -> alloc_domain() through the driver's kvm_iommu_ops, domain id, slot of iova_to_phys */
#define IO_GATHER 4       /* x2 = iova, x3 = size: two adjacent pages gathered -> start, end, pgsize */
#define IO_REGS 5         /* x2 = an IDR0 value -> FIELD_GET(IDR0_ST_LVL), ARM_SMMU_STRTAB_BASE_CFG, MAIR with DEV at its index */

#endif

/* EL2 half of iommu_drv: an IOMMU driver written against the pKVM IOMMU
 * framework headers (nvhe/iommu.h, kvm/iommu.h, nvhe/alloc.h,
 * linux/io-pgtable-arm.h, asm/arm-smmu-v3-regs.h): its own struct
 * kvm_iommu_ops, a kvm_hyp_iommu embedded in its per-SMMU state, the
 * framework's lock helpers, and the ops-table members IOMMU drivers use. */
#include <asm/kvm_pkvm_module.h>
#include <asm/arm-smmu-v3-regs.h>
#include <kvm/iommu.h>
#include <linux/bitfield.h>
#include <linux/io-pgtable-arm.h>
#include <nvhe/alloc.h>
#include <nvhe/iommu.h>
#include "../iommu_drv.h"

struct my_smmu {
	struct kvm_hyp_iommu iommu;
	void __iomem *base;
	u32 features;
};

static const struct pkvm_module_ops *ops;
static struct my_smmu smmu;
static struct kvm_hyp_iommu_domain domains[4];

static struct kvm_hyp_iommu *my_get_iommu_by_id(pkvm_handle_t id)
{
	return id == 0 ? &smmu.iommu : NULL;
}

#if PKVM_GENERATION == 15
static int my_init(unsigned long arg) { return 0; }
static int my_alloc_domain(struct kvm_hyp_iommu_domain *domain, u32 type)
#else
static int my_init(void) { return 0; }
static int my_alloc_domain(struct kvm_hyp_iommu_domain *domain, int type)
#endif
{
	domain->domain_id = (pkvm_handle_t)(KVM_IOMMU_DOMAIN_NR_START + type);
	domain->priv = &smmu;
	return 0;
}

static void my_free_domain(struct kvm_hyp_iommu_domain *domain)
{
	domain->priv = NULL;
}

static phys_addr_t my_iova_to_phys(struct kvm_hyp_iommu_domain *domain, unsigned long iova)
{
	return iova;
}

static struct kvm_iommu_ops my_ops = {
	.init = my_init,
	.get_iommu_by_id = my_get_iommu_by_id,
	.alloc_domain = my_alloc_domain,
	.free_domain = my_free_domain,
	.iova_to_phys = my_iova_to_phys,
};

static u64 run(u64 cmd, u64 a, u64 b, u64 *r2, u64 *r3)
{
	struct iommu_iotlb_gather gather;
	u32 held;

	switch (cmd) {
	case IO_INIT_DEVICE:
		return (u64)(s64)ops->iommu_init_device(&smmu.iommu);
	case IO_LOCK:
		kvm_iommu_lock_init(&smmu.iommu);
		*r3 = smmu.iommu.lock;
		kvm_iommu_lock(&smmu.iommu);
		held = READ_ONCE(smmu.iommu.lock);
		kvm_iommu_unlock(&smmu.iommu);
		*r2 = smmu.iommu.lock;
		return held != smmu.iommu.lock;
	case IO_DRIVER_OPS:
		if (my_ops.get_iommu_by_id(0) != &smmu.iommu || my_ops.init == NULL)
			return (u64)(s64)-EINVAL;
		*r2 = my_ops.alloc_domain(&domains[1], (int)a) ?: domains[1].domain_id;
		*r3 = offsetof(struct kvm_iommu_ops, iova_to_phys) / sizeof(void *);
		return my_ops.iova_to_phys(&domains[1], 0x1234) == 0x1234;
	case IO_GATHER:
		iommu_iotlb_gather_init(&gather);
		ops->iommu_iotlb_gather_add_page(&domains[1], &gather, a, b);
		ops->iommu_iotlb_gather_add_page(&domains[1], &gather, a + b, b);
		*r2 = gather.end;
		*r3 = gather.pgsize;
		return gather.start;
	case IO_REGS:
		*r2 = ARM_SMMU_STRTAB_BASE_CFG;
		*r3 = (u64)ARM_LPAE_MAIR_ATTR_DEVICE
		      << ARM_LPAE_MAIR_ATTR_SHIFT(ARM_LPAE_MAIR_ATTR_IDX_DEV);
		return FIELD_GET(IDR0_ST_LVL, (u32)a);
	default:
		return (u64)(s64)-EOPNOTSUPP;
	}
}

void iommu_drv_hvc(struct user_pt_regs *regs)
{
	u64 r2 = 0, r3 = 0;

	regs->regs[1] = run(regs->regs[1], regs->regs[2], regs->regs[3], &r2, &r3);
	regs->regs[2] = r2;
	regs->regs[3] = r3;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

int iommu_drv_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	smmu.features = IDR0_S1P | IDR0_S2P;
	return 0;
}

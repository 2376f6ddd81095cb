/* EL1 half of iommu_drv: loads the EL2 driver and registers its hypercall. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_iommu_drv_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_iommu_drv_hvc(struct user_pt_regs *regs);

static int __init iommu_drv_init(void)
{
	unsigned long token;
	int ret = pkvm_load_el2_module(__kvm_nvhe_iommu_drv_hyp_init, &token);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_iommu_drv_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(iommu_drv_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: an IOMMU driver on the pKVM IOMMU framework headers");

#include <asm/kvm_pkvm_module.h>
#include <linux/errno.h>

int mem_probe_leak_hyp_init(const struct pkvm_module_ops *ops)
{
	/* Forgets the matching linear_unmap_early(). */
	return ops->linear_map_early(0x40400000UL, 0x1000, PAGE_HYP) ? 0 : -ENOMEM;
}

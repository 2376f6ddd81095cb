/* A module whose EL2 init maps memory with linear_map_early() and never
 * unmaps it: pKVM must refuse to deprivilege and disable protected VMs. */
#include <linux/init.h>
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_mem_probe_leak_hyp_init(const struct pkvm_module_ops *ops);

static int __init mem_probe_leak_init(void)
{
	unsigned long token;

	return pkvm_load_el2_module(__kvm_nvhe_mem_probe_leak_hyp_init, &token);
}
module_init(mem_probe_leak_init);
MODULE_LICENSE("GPL");

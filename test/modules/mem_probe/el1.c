/* EL1 half of the mem_probe module: loads the EL2 part, registers its
 * hypercall, and uses linear_map_early() the way it is meant to be used --
 * map, use, unmap, all before deprivilege. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include "mem_probe.h"

int __kvm_nvhe_mem_probe_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_mem_probe_hyp_hvc(void *regs);

static int __init mem_probe_init(void)
{
	unsigned long token, va;
	int ret, id;

	ret = pkvm_load_el2_module(__kvm_nvhe_mem_probe_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_mem_probe_hyp_hvc, token);
	if (id < 0)
		return id;
	if (pkvm_el2_mod_call(id, MP_PING) != MP_PONG)
		return -EIO;
	va = pkvm_el2_mod_call(id, MP_LINEAR_MAP_EARLY, 0x40300000UL, 0x2000UL);
	if (!va)
		return -EIO;
	pkvm_el2_mod_call(id, MP_POKE, va + 8, 0xea51UL);
	if (pkvm_el2_mod_call(id, MP_PEEK, va + 8) != 0xea51UL)
		return -EIO;
	pkvm_el2_mod_call(id, MP_LINEAR_UNMAP_EARLY, va, 0x2000UL);
	pr_info("mem_probe: hypercall %d answers\n", id);
	return 0;
}
module_init(mem_probe_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm memory ownership probe");

/* EL1 half of the probe module: loads the EL2 part, registers its hypercall
 * and checks it answers through pkvm_el2_mod_call() before reporting success. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include "probe.h"

int __kvm_nvhe_probe_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_probe_hyp_hvc(void *regs);

static int __init probe_init(void)
{
	unsigned long token;
	int ret, id;

	ret = pkvm_load_el2_module(__kvm_nvhe_probe_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_probe_hyp_hvc, token);
	if (id < 0)
		return id;
	if (pkvm_el2_mod_call(id, PROBE_PING) != PROBE_PONG)
		return -EIO;
	pr_info("probe: hypercall %d answers\n", id);
	return 0;
}
module_init(probe_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test probe");

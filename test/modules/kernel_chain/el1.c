/* EL1 half of kernel_chain: sets an EL2 global through kvm_nvhe_sym() before
 * loading the EL2 part, then registers its hypercall. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>
#include "kernel_chain.h"

int __kvm_nvhe_kc_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_kc_hvc(void *regs);
extern u64 kvm_nvhe_sym(kc_seed);

static int __init kernel_chain_init(void)
{
	unsigned long token;
	int ret;

	kvm_nvhe_sym(kc_seed) = KC_SEED_VALUE;
	ret = pkvm_load_el2_module(__kvm_nvhe_kc_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_kc_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(kernel_chain_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: what the kernel's include chain gives a module");

/* A module whose EL2 init fails: the load must fail with init's error. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_init_fails_hyp_init(const struct pkvm_module_ops *ops);

static int __init init_fails_init(void)
{
	unsigned long token;

	return pkvm_load_el2_module(__kvm_nvhe_init_fails_hyp_init, &token);
}
module_init(init_fails_init);

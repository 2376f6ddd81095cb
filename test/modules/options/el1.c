/* EL1 part of the options module. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include <options_vendor.h>

#if !OPT_EL1_ONLY || !OPT_BOTH
#error "EL1_DEFINES / DEFINES did not reach el1.c"
#endif
#ifdef OPT_FACTOR
#error "EL2_DEFINES reached el1.c"
#endif

int __kvm_nvhe_options_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_options_hyp_hvc(struct user_pt_regs *regs);

static int __init options_init(void)
{
	unsigned long token;
	int ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_options_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_options_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(options_init);
MODULE_LICENSE("GPL");

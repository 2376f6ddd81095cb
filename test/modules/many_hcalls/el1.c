/* Registers its handler 129 times: ids 128..255, then -ENOMEM. The module
 * loads only if exactly that happened. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_many_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_many_hyp_hvc(struct user_pt_regs *regs);

static int __init many_init(void)
{
	unsigned long token;
	int i, ret;

	ret = pkvm_load_el2_module(__kvm_nvhe_many_hyp_init, &token);
	if (ret)
		return ret;
	for (i = 0; i < 128; i++) {
		ret = pkvm_register_el2_mod_call(__kvm_nvhe_many_hyp_hvc, token);
		if (ret != 128 + i)
			return -EIO;
	}
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_many_hyp_hvc, token);
	return ret == -ENOMEM ? 0 : -EIO;
}
module_init(many_init);

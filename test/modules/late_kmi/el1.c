/* EL1 half of late_kmi: loads the EL2 part and registers its hypercall. */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_late_kmi_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_late_kmi_hvc(struct user_pt_regs *regs);

static int __init late_kmi_init(void)
{
	unsigned long token;
	int ret = pkvm_load_el2_module(__kvm_nvhe_late_kmi_hyp_init, &token);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_late_kmi_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(late_kmi_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: later android16-6.12 KMI members");

/* EL1 half of mmio_emul: loads the EL2 part and registers its hypercall. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_mmio_emul_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_mmio_emul_hyp_hvc(struct user_pt_regs *regs);

static int __init mmio_emul_init(void)
{
	unsigned long token;
	int ret, id;

	ret = pkvm_load_el2_module(__kvm_nvhe_mmio_emul_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_mmio_emul_hyp_hvc, token);
	if (id < 0)
		return id;
	pr_info("mmio_emul: hypercall %d\n", id);
	return 0;
}
module_init(mmio_emul_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: MMIO emulation");

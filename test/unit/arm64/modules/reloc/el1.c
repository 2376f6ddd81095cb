/* EL1 half of the a64_reloc test module: loads the EL2 part, registers its
 * hypercall and checks the answer before reporting success. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_reloc_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_reloc_hyp_hvc(struct user_pt_regs *regs);

static int __init reloc_init(void)
{
	unsigned long token;
	int ret, id;

	ret = pkvm_load_el2_module(__kvm_nvhe_reloc_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call(__kvm_nvhe_reloc_hyp_hvc, token);
	if (id < 0)
		return id;
	if (pkvm_el2_mod_call(id, 1, 20) != 40)
		return -EIO;
	pr_info("reloc: hypercall %d answers %s\n", id, "40");
	return 0;
}
module_init(reloc_init);
MODULE_LICENSE("GPL");

/* A module whose EL2 handler misbehaves on request (x1 picks how): both
 * backends must turn each into a hyp panic with a report
 * (test/integration/module_fault_test.cc). */
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_faulty_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_faulty_hyp_hvc(struct user_pt_regs *regs);

static int __init faulty_init(void)
{
	unsigned long token;
	int ret = pkvm_load_el2_module(__kvm_nvhe_faulty_hyp_init, &token);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_faulty_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(faulty_init);

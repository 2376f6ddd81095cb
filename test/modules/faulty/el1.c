/* A module whose EL2 handler misbehaves on request (x1 picks how): the
 * Unicorn backend must turn each into a hyp panic with a report. Loaded on
 * the native backend only for its harmless paths (a wild access there would
 * crash the test process, which is why the fault tests are Unicorn-only). */
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

/* EL1 half of the hvc_loop benchmark module: module_init issues `loops`
 * (a module_param, from the command line: hvc_loop.loops=N) hypercalls to
 * its own EL2 handler, each a real `hvc` from EL1 module code -- the HVC
 * round trip as a kernel driver issues it. Every result is checked: the
 * handler returns x1 + 1, and init fails with -EIO on the first wrong one. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/arm-smccc.h>
#include <asm/kvm_asm.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_hvc_loop_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_hvc_loop_hyp_hvc(struct user_pt_regs *regs);

static unsigned long loops;
module_param(loops, ulong, 0444);
MODULE_PARM_DESC(loops, "hypercalls module_init issues");

static int __init hvc_loop_init(void)
{
	struct arm_smccc_res res;
	unsigned long token, i;
	int id;

	id = pkvm_load_el2_module(__kvm_nvhe_hvc_loop_hyp_init, &token);
	if (id)
		return id;
	id = pkvm_register_el2_mod_call(__kvm_nvhe_hvc_loop_hyp_hvc, token);
	if (id < 0)
		return id;
	for (i = 0; i < loops; i++) {
		arm_smccc_1_1_hvc(KVM_HOST_SMCCC_ID(id), 0, i, &res);
		if (res.a0 != SMCCC_RET_SUCCESS || res.a1 != i + 1)
			return -EIO;
	}
	return 0;
}
module_init(hvc_loop_init);
MODULE_LICENSE("GPL");

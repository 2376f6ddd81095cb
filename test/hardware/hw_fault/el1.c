/* File: test/hardware/hw_fault/el1.c
 * EL1 half of the faulting module (the hardware test image loads the EL2
 * half itself; this keeps the module buildable as any pkvm_add_module()). */
#include <linux/init.h>
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_hw_fault_hyp_init(const struct pkvm_module_ops *ops);
#if PKVM_GENERATION == 14
void __kvm_nvhe_hw_fault_hyp_hvc(struct kvm_cpu_context *ctx);
#else
void __kvm_nvhe_hw_fault_hyp_hvc(struct user_pt_regs *regs);
#endif

static int __init hw_fault_init(void)
{
#if PKVM_GENERATION >= 17
	int ret = pkvm_load_el2_module(__kvm_nvhe_hw_fault_hyp_init);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_hw_fault_hyp_hvc);
#else
	long token;
	int ret = pkvm_load_el2_module(__kvm_nvhe_hw_fault_hyp_init, &token);

	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_hw_fault_hyp_hvc, token);
#endif
	return ret < 0 ? ret : 0;
}
module_init(hw_fault_init);

/* EL1 part of pkvm_kbuild: loads the EL2 part and registers its hypercall
 * (the first dynamic one, HVC 0xC6000080). */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include <pkvm_kbuild_shared.h>

/* The EL1 side of the events, relative to the kernel tree. */
#define HYP_EVENT_FILE ../../../../drivers/misc/pkvm_kbuild/hyp/events.h
#include <asm/kvm_define_hypevents.h>

#if !PKVM_KBUILD_EL1_ONLY
#error "CFLAGS_el1.o did not reach el1.c"
#endif

int __kvm_nvhe_pkvm_kbuild_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_pkvm_kbuild_hyp_hvc(struct user_pt_regs *regs);

static int __init pkvm_kbuild_init(void)
{
	unsigned long token;
	int ret;

	/* shared.o, built from ../pkvm_common/shared.c by an explicit rule. */
	if (pkvm_kbuild_shared_check() != PKVM_KBUILD_SHARED)
		return -EINVAL;
	ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_kbuild_hyp_init, &token);
	if (ret)
		return ret;
	ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_kbuild_hyp_hvc, token);
	return ret < 0 ? ret : 0;
}
module_init(pkvm_kbuild_init);
MODULE_LICENSE("GPL");

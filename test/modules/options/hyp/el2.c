/* EL2 part of the options module: what it answers shows which of
 * pkvm_add_module()'s options reached the EL2 objects.
 *   x1 = arg * OPT_FACTOR (EL2_DEFINES) + OPT_EXTRA (EL2_COMPILE_OPTIONS)
 *   x2 = CONFIG_OPT_LEVEL (KCONFIG value) + OPT_BOTH (DEFINES) * 100
 *   x3 = OPTIONS_VENDOR_MAGIC (INCLUDE_DIRS) + 1 if an EL1-only define leaked */
#include <asm/kvm_pkvm_module.h>
#include <options_vendor.h>

#ifndef CONFIG_OPT_ON
#error "KCONFIG CONFIG_OPT_ON=y defines CONFIG_OPT_ON"
#endif
#ifdef CONFIG_OPT_OFF
#error "KCONFIG CONFIG_OPT_OFF=n leaves it undefined"
#endif

int options_hyp_init(const struct pkvm_module_ops *ops)
{
	return 0;
}

void options_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[1] = regs->regs[1] * OPT_FACTOR + OPT_EXTRA;
	regs->regs[2] = CONFIG_OPT_LEVEL + OPT_BOTH * 100;
#ifdef OPT_EL1_ONLY
	regs->regs[3] = OPTIONS_VENDOR_MAGIC + 1;
#else
	regs->regs[3] = OPTIONS_VENDOR_MAGIC;
#endif
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

/* EL2 part of pkvm_kconfig: x1 = pkvm_kconfig_extra() + 2 when
 * CONFIG_PKVM_KCONFIG_EXTRA is set, x2 = CONFIG_PKVM_KCONFIG_LEVEL,
 * x3 = the ifeq-chosen flag * 100 + (CONFIG_PKVM_KCONFIG_NAME's length). */
#include <asm/kvm_pkvm_module.h>

#ifdef CONFIG_PKVM_KCONFIG_EXTRA
unsigned long pkvm_kconfig_extra(void);
#endif
#ifdef CONFIG_PKVM_KCONFIG_NEVER
#error "CONFIG_PKVM_KCONFIG_NEVER is not set"
#endif
#ifdef CONFIG_PKVM_KCONFIG
#error "CONFIG_PKVM_KCONFIG=m defines CONFIG_PKVM_KCONFIG_MODULE, not CONFIG_PKVM_KCONFIG"
#endif
#ifndef CONFIG_PKVM_KCONFIG_MODULE
#error "CONFIG_PKVM_KCONFIG=m defines CONFIG_PKVM_KCONFIG_MODULE"
#endif

int pkvm_kconfig_hyp_init(const struct pkvm_module_ops *ops)
{
	return 0;
}

void pkvm_kconfig_hyp_hvc(struct user_pt_regs *regs)
{
#ifdef CONFIG_PKVM_KCONFIG_EXTRA
	regs->regs[1] = pkvm_kconfig_extra() + 2;
#else
	regs->regs[1] = 0;
#endif
	regs->regs[2] = CONFIG_PKVM_KCONFIG_LEVEL;
	regs->regs[3] = PKVM_KCONFIG_FROM_IFEQ * 100 + sizeof(CONFIG_PKVM_KCONFIG_NAME) - 1;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

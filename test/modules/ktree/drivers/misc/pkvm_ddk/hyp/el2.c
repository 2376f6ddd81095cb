/* EL2 part of pkvm_ddk: x1 = arg * PKVM_DDK_FACTOR (the library's
 * local_defines) + PKVM_DDK_OFFSET (the ddk_headers), x2 = 1 when the
 * `#ifdef MODULE` init code ran (android16's Makefile.module adds -DMODULE). */
#include <asm/kvm_pkvm_module.h>
#include <pkvm_ddk.h>
#include "el2.h"

static unsigned long module_init_ran;

int pkvm_ddk_hyp_init(const struct pkvm_module_ops *ops)
{
#ifdef MODULE
	module_init_ran = 1;
#endif
	return 0;
}

void pkvm_ddk_hyp_hvc(struct user_pt_regs *regs)
{
	regs->regs[1] = pkvm_ddk_scale(regs->regs[1]) + PKVM_DDK_OFFSET;
	regs->regs[2] = module_init_ran;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

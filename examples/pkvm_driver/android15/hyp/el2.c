#include <asm/kvm_pkvm_module.h>

int pkvm_driver_hyp_init(const struct pkvm_module_ops *ops)
{
  /* Init the EL2 code */

  return 0;
}

void pkvm_driver_hyp_hvc(struct user_pt_regs *regs)
{
  /* Handle the call */

  regs->regs[0] = SMCCC_RET_SUCCESS;
  regs->regs[1] = 0;
}

/* EL2 half of consumer: calls the provider's EL2 functions directly. */
#include <asm/kvm_pkvm_module.h>
#include <linux/errno.h>
#include "../../provider/provider.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

/* The provider's exports (EXPORT_SYMBOL(kvm_nvhe_sym(...)) in its el1.c). */
u64 provider_mix(u64 x);
int provider_add(int a, int b);

u64 consumer_param; /* written by EL1 before pkvm_load_el2_module() */
static u64 param_at_init;

void consumer_hyp_hvc(REGS_T *regs) {
  u64 ret = -EINVAL;
  switch (REG(regs, 1)) {
    case CS_MIX: ret = provider_mix(REG(regs, 2)); break;
    case CS_PARAM: ret = param_at_init; break;
    case CS_SUM: ret = (u64)(s64)provider_add((int)REG(regs, 2), (int)REG(regs, 3)); break;
  }
  REG(regs, 0) = SMCCC_RET_SUCCESS;
  REG(regs, 1) = ret;
}

int consumer_hyp_init(const struct pkvm_module_ops *ops) {
  (void)ops;
  param_at_init = consumer_param;
  return param_at_init == CONSUMER_PARAM ? 0 : -EINVAL;
}

/* EL2 half of provider: state behind exported functions, so a caller from
 * another module is seen to run in this module's image. */
#include <asm/kvm_pkvm_module.h>
#include <linux/atomic.h>
#include <linux/errno.h>
#include "../provider.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

static atomic64_t mix_calls = ATOMIC64_INIT(0);
static u64 salt;

u64 provider_mix(u64 x) {
  atomic64_inc(&mix_calls);
  return x * 3 + salt;
}

int provider_add(int a, int b) { return a + b; }

void provider_hyp_hvc(REGS_T *regs) {
  u64 ret = -EINVAL;
  switch (REG(regs, 1)) {
    case PV_CALLS: ret = (u64)atomic64_read(&mix_calls); break;
    case PV_MIX: ret = provider_mix(REG(regs, 2)); break;
  }
  REG(regs, 0) = SMCCC_RET_SUCCESS;
  REG(regs, 1) = ret;
}

int provider_hyp_init(const struct pkvm_module_ops *ops) {
  (void)ops;
  salt = PROVIDER_SALT;
  atomic64_set(&mix_calls, 0);
  return 0;
}

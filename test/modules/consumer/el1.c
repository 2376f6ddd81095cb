/* EL1 half of consumer: sets an EL2 global through kvm_nvhe_sym() before
 * loading its EL2 part, whose code calls the provider's exports. */
#include <asm/kvm_asm.h>
#include <asm/kvm_pkvm_module.h>
#include <linux/module.h>
#include <linux/types.h>
#include "../provider/provider.h"

int __kvm_nvhe_consumer_hyp_init(const struct pkvm_module_ops *ops);
#if PKVM_GENERATION == 14
void __kvm_nvhe_consumer_hyp_hvc(struct kvm_cpu_context *ctx);
#else
void __kvm_nvhe_consumer_hyp_hvc(struct user_pt_regs *regs);
#endif
extern u64 kvm_nvhe_sym(consumer_param);

static int __init consumer_init(void) {
  unsigned long token;
  int ret;
  kvm_nvhe_sym(consumer_param) = CONSUMER_PARAM; /* EL2 sees it once loaded */
  ret = pkvm_load_el2_module(__kvm_nvhe_consumer_hyp_init, &token);
  if (ret) return ret;
  ret = pkvm_register_el2_mod_call(__kvm_nvhe_consumer_hyp_hvc, token);
  return ret < 0 ? ret : 0;
}
module_init(consumer_init);
MODULE_LICENSE("GPL");

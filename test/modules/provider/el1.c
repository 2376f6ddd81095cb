/* EL1 half of provider: loads its EL2 part and exports two of its EL2
 * functions to modules loaded after it. */
#include <asm/kvm_asm.h>
#include <asm/kvm_pkvm_module.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/types.h>

int __kvm_nvhe_provider_hyp_init(const struct pkvm_module_ops *ops);
#if PKVM_GENERATION == 14
void __kvm_nvhe_provider_hyp_hvc(struct kvm_cpu_context *ctx);
#else
void __kvm_nvhe_provider_hyp_hvc(struct user_pt_regs *regs);
#endif
DECLARE_KVM_NVHE_SYM(provider_mix);
DECLARE_KVM_NVHE_SYM(provider_add);

EXPORT_SYMBOL(kvm_nvhe_sym(provider_mix));
EXPORT_SYMBOL_GPL(kvm_nvhe_sym(provider_add));

static int __init provider_init(void) {
  unsigned long token;
  int ret = pkvm_load_el2_module(__kvm_nvhe_provider_hyp_init, &token);
  if (ret) return ret;
  ret = pkvm_register_el2_mod_call(__kvm_nvhe_provider_hyp_hvc, token);
  return ret < 0 ? ret : 0;
}
module_init(provider_init);
MODULE_LICENSE("GPL");

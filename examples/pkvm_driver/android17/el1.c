/* The page's module in the form of the post-6.12 kernels (android17-6.18,
 * provisional in libpkvm): the loader no longer hands out a token, so
 * pkvm_load_el2_module() and pkvm_register_el2_mod_call() take one argument.
 * The EL2 half is unchanged from Android 16 (../android16/hyp). */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_pkvm_driver_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_pkvm_driver_hyp_hvc(struct user_pt_regs *regs);

static int hvc_number;

static int __init pkvm_driver_init(void)
{
  int ret;

  ret = pkvm_load_el2_module(__kvm_nvhe_pkvm_driver_hyp_init);
  if (ret)
    return ret;

  ret = pkvm_register_el2_mod_call(__kvm_nvhe_pkvm_driver_hyp_hvc);
  if (ret < 0)
    return ret;

  hvc_number = ret;

  return 0;
}
module_init(pkvm_driver_init);

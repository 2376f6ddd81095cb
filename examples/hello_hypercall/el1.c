/* hello_hypercall, EL1 part: loads the EL2 code, registers its hypercall and
 * calls it once, as the kernel side of the classic exercise does. After
 * boot the host can call it again: HVC 0xC6000080 (the first dynamic id).
 * Built for A16 (a token links the two calls) and for the provisional A17,
 * whose loader calls take one argument each. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>

int __kvm_nvhe_hello_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_hello_hyp_hvc(struct user_pt_regs *regs);

static int hvc_number;

static int __init hello_init(void)
{
        int ret;
#if PKVM_GENERATION >= 17
        ret = pkvm_load_el2_module(__kvm_nvhe_hello_hyp_init);
        if (ret)
                return ret;

        ret = pkvm_register_el2_mod_call(__kvm_nvhe_hello_hyp_hvc);
#else
        unsigned long token;

        ret = pkvm_load_el2_module(__kvm_nvhe_hello_hyp_init, &token);
        if (ret)
                return ret;

        ret = pkvm_register_el2_mod_call(__kvm_nvhe_hello_hyp_hvc, token);
#endif
        if (ret < 0)
                return ret;
        hvc_number = ret;

        pr_info("hello_hypercall: hypercall %d registered\n", hvc_number);
        return pkvm_el2_mod_call(hvc_number, 0);
}
module_init(hello_init);
MODULE_LICENSE("GPL");

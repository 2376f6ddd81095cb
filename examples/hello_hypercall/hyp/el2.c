/* hello_hypercall, EL2 part: the hypercall prints into the hypervisor trace.
 *
 * The classic "add a hypercall to KVM" exercise (a new hypercall number, a
 * handler that prints "Hello World", a caller in the kernel), on the pKVM
 * vendor-module ABI: no hypervisor source is patched; the module registers a
 * dynamic hypercall and the handler uses trace_hyp_printk(), which lands in
 * /sys/kernel/tracing/hypervisor/trace_pipe as an __hyp_printk event. */
#include <asm/kvm_pkvm_module.h>
#include <nvhe/trace.h>

static const struct pkvm_module_ops *pkvm_ops;

#ifdef CONFIG_TRACING
void trace___hyp_printk(u8 fmt_id, u64 a, u64 b, u64 c, u64 d)
{
        pkvm_ops->tracing_mod_hyp_printk(fmt_id, a, b, c, d);
}
#endif

int hello_hyp_init(const struct pkvm_module_ops *ops)
{
        pkvm_ops = ops;
        return 0;
}

void hello_hyp_hvc(struct user_pt_regs *regs)
{
        trace_hyp_printk("Hello World");
        trace_hyp_printk("Hello World from CPU %d, x1=%llu", pkvm_ops->hyp_smp_processor_id(),
                         regs->regs[1]);

        regs->regs[0] = SMCCC_RET_SUCCESS;
        regs->regs[1] = 0;
}

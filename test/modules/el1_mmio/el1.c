/* EL1 half of el1_mmio: the mmio_emul EL2 code, driven by real EL1 loads and
 * stores. module_init claims the device page for the EL2 part, then touches
 * the device registers with ordinary instructions: each one is a host
 * stage-2 permission fault the EL2 handler emulates. Last, a store pair
 * (no valid syndrome) the handler must refuse: the abort reaches the kernel.
 * Only for the Unicorn backend, where EL1 addresses are physical ones (the
 * kernel's linear map): natively the device address is no host memory. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/kvm_pkvm_module.h>
#include "../mmio_emul/mmio_emul.h"

#define DEV 0x9000000UL

int __kvm_nvhe_mmio_emul_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_mmio_emul_hyp_hvc(struct user_pt_regs *regs);

static int __init el1_mmio_init(void)
{
	volatile u64 *scratch = (volatile u64 *)(DEV + EMUL_REG_SCRATCH);
	unsigned long token;
	u64 id, back, reads;
	s64 half;
	int ret, call;

	ret = pkvm_load_el2_module(__kvm_nvhe_mmio_emul_hyp_init, &token);
	if (ret)
		return ret;
	call = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_mmio_emul_hyp_hvc, token);
	if (call < 0)
		return call;
	ret = (int)pkvm_el2_mod_call(call, EMUL_CLAIM, DEV >> 12);
	if (ret)
		return ret;

	id = *(volatile u32 *)(DEV + EMUL_REG_ID);
	*scratch = 0xffffffffffff8001UL;
	back = *scratch;
	half = *(volatile s16 *)scratch;
	reads = *(volatile u64 *)(DEV + EMUL_REG_READS);
	pr_info("el1_mmio: id=%llx scratch=%llx half=%lld reads=%llu\n", id, back, half, reads);

	/* A pair: the handler cannot emulate it. */
#if defined(__aarch64__)
	asm volatile("stp %0, %0, [%1]" : : "r"(0UL), "r"(scratch) : "memory");
#else
	scratch[0] = 0;  /* the native build is never loaded (see above) */
#endif
	pr_info("el1_mmio: not reached\n");
	return 0;
}
module_init(el1_mmio_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: MMIO emulation of real EL1 accesses (Unicorn)");

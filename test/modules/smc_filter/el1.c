/* EL1 half of the smc_filter test module. Its parameters come from the
 * kernel command line (smc_filter.deny_fid=..., ...); module_init hands them
 * to the EL2 filter through EL2 globals (kvm_nvhe_sym), loads it, registers
 * its counter hypercall, and checks with one SMC of its own that the
 * refused id is refused. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/arm-smccc.h>
#include <asm/kvm_asm.h>
#include <asm/kvm_pkvm_module.h>
#include "smc_filter.h"

static unsigned int deny_fid = SMCF_DEFAULT_DENY_FID;
module_param(deny_fid, uint, 0444);
MODULE_PARM_DESC(deny_fid, "SMC function id the filter refuses");

static bool reset_counters;
module_param(reset_counters, bool, 0444);
MODULE_PARM_DESC(reset_counters, "zero the counters after the self-test SMC");

static int bias;
module_param(bias, int, 0444);
MODULE_PARM_DESC(bias, "added to x1 of forwarded calls");

static unsigned long tag = 0x7a67;
module_param_named(fw_tag, tag, ulong, 0444);
MODULE_PARM_DESC(fw_tag, "passed to firmware in x3 (SMCCC 1.1) or x17 (SMCCC 1.2)");

static char *label = "none";
module_param(label, charp, 0444);
MODULE_PARM_DESC(label, "printed at load");

/* Only printed: the other integer kinds module_param() knows. */
static long offset = -1;
module_param(offset, long, 0444);
static unsigned long long cookie;
module_param(cookie, ullong, 0444);
static unsigned int mask = 0xff;
module_param(mask, hexint, 0444);
static short level;
module_param(level, short, 0444);
static unsigned short port;
module_param(port, ushort, 0444);
static unsigned char prio;
module_param(prio, byte, 0444);

extern u32 kvm_nvhe_sym(smcf_deny_fid);
extern s64 kvm_nvhe_sym(smcf_bias);
extern u64 kvm_nvhe_sym(smcf_tag);
int __kvm_nvhe_smcf_hyp_init(const struct pkvm_module_ops *ops);
void __kvm_nvhe_smcf_hyp_hvc(void *regs);

static int __init smcf_init(void)
{
	struct arm_smccc_res res;
	unsigned long token;
	int ret, id;

	kvm_nvhe_sym(smcf_deny_fid) = deny_fid;
	kvm_nvhe_sym(smcf_bias) = bias;
	kvm_nvhe_sym(smcf_tag) = tag;
	ret = pkvm_load_el2_module(__kvm_nvhe_smcf_hyp_init, &token);
	if (ret)
		return ret;
	id = pkvm_register_el2_mod_call((dyn_hcall_t)__kvm_nvhe_smcf_hyp_hvc, token);
	if (id < 0)
		return id;
	arm_smccc_1_1_smc(deny_fid, 1, 2, 3, &res);
	if (res.a0 != (unsigned long)SMCCC_RET_NOT_SUPPORTED) {
		pr_err("smc_filter: self-test SMC %#x was not refused (x0=%#lx)\n", deny_fid, res.a0);
		return -EIO;
	}
	/* The EL2 part sees the parameters: asked with SMCCC 1.2 from EL1. */
	{
		struct arm_smccc_1_2_regs args = {.a0 = KVM_HOST_SMCCC_ID(id), .a1 = SMCF_CMD_CONFIG};
		struct arm_smccc_1_2_regs out;

		arm_smccc_1_2_hvc(&args, &out);
		if (out.a0 != SMCCC_RET_SUCCESS || out.a1 != deny_fid) {
			pr_err("smc_filter: EL2 sees deny fid %#lx, not %#x\n", out.a1, deny_fid);
			return -EIO;
		}
	}
	if (reset_counters)
		pkvm_el2_mod_call(id, SMCF_CMD_RESET);
	pr_info("smc_filter: hypercall %d, deny %#x, bias %d, tag %#lx, label %s\n", id, deny_fid,
		bias, tag, label);
	pr_info("smc_filter: offset %ld cookie %llu mask %#x level %d port %u prio %u\n", offset,
		cookie, mask, level, port, prio);
	return 0;
}
module_init(smcf_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test module: host SMC filter");

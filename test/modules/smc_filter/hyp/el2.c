/* EL2 half of the smc_filter test module: a host SMC filter. The function id
 * in smcf_deny_fid is refused (the host gets NOT_SUPPORTED and firmware never
 * sees it); SMCF_FWD_FID / SMCF_FWD12_FID are rewritten and sent to firmware
 * by the filter itself with arm_smccc_1_1_smc / arm_smccc_1_2_smc, its
 * answer going back to the host; everything else is left to pKVM, which
 * forwards it to EL3. The EL1 half sets smcf_deny_fid, smcf_bias and
 * smcf_tag from its module parameters before loading this code. */
#include <asm/kvm_pkvm_module.h>
#include <linux/arm-smccc.h>
#include <linux/errno.h>
#include "../smc_filter.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

/* Written by EL1 (kvm_nvhe_sym) before pkvm_load_el2_module(). */
u32 smcf_deny_fid = SMCF_DEFAULT_DENY_FID;
s64 smcf_bias = 0;
u64 smcf_tag = 0;

static u64 denied, forwarded, passed;

static bool smcf_host_smc(REGS_T *regs)
{
	u32 fid = (u32)REG(regs, 0);

	if (fid == smcf_deny_fid) {
		denied++;
		REG(regs, 0) = (u64)(s64)SMCCC_RET_NOT_SUPPORTED;
		return true;
	}
	if (fid == SMCF_FWD_FID) {
		struct arm_smccc_res res;

		forwarded++;
		arm_smccc_1_1_smc(SMCF_FW_FID, REG(regs, 1) + (u64)smcf_bias, REG(regs, 2), smcf_tag,
				  &res);
		REG(regs, 0) = res.a0;
		REG(regs, 1) = res.a1;
		REG(regs, 2) = res.a2;
		REG(regs, 3) = res.a3;
		return true;
	}
	if (fid == SMCF_FWD12_FID) {
		struct arm_smccc_1_2_regs args, res;

		forwarded++;
		args.a0 = SMCF_FW12_FID;
		args.a1 = REG(regs, 1); args.a2 = REG(regs, 2); args.a3 = REG(regs, 3);
		args.a4 = REG(regs, 4); args.a5 = REG(regs, 5); args.a6 = REG(regs, 6);
		args.a7 = REG(regs, 7); args.a8 = REG(regs, 8); args.a9 = REG(regs, 9);
		args.a10 = REG(regs, 10); args.a11 = REG(regs, 11); args.a12 = REG(regs, 12);
		args.a13 = REG(regs, 13); args.a14 = REG(regs, 14); args.a15 = REG(regs, 15);
		args.a16 = REG(regs, 16);
		args.a17 = smcf_tag;
		arm_smccc_1_2_smc(&args, &res);
		REG(regs, 0) = res.a0; REG(regs, 1) = res.a1; REG(regs, 2) = res.a2;
		REG(regs, 3) = res.a3; REG(regs, 4) = res.a4; REG(regs, 5) = res.a5;
		REG(regs, 6) = res.a6; REG(regs, 7) = res.a7; REG(regs, 8) = res.a8;
		REG(regs, 9) = res.a9; REG(regs, 10) = res.a10; REG(regs, 11) = res.a11;
		REG(regs, 12) = res.a12; REG(regs, 13) = res.a13; REG(regs, 14) = res.a14;
		REG(regs, 15) = res.a15; REG(regs, 16) = res.a16; REG(regs, 17) = res.a17;
		return true;
	}
	passed++;
	return false;
}

int smcf_hyp_init(const struct pkvm_module_ops *ops)
{
	return ops->register_host_smc_handler(smcf_host_smc);
}

void smcf_hyp_hvc(REGS_T *regs)
{
	switch (REG(regs, 1)) {
	case SMCF_CMD_COUNTERS:
		REG(regs, 1) = denied;
		REG(regs, 2) = forwarded;
		REG(regs, 3) = passed;
		break;
	case SMCF_CMD_CONFIG:
		REG(regs, 1) = smcf_deny_fid;
		REG(regs, 2) = (u64)smcf_bias;
		REG(regs, 3) = smcf_tag;
		break;
	case SMCF_CMD_RESET:
		denied = forwarded = passed = 0;
		REG(regs, 1) = 0;
		break;
	default:
		REG(regs, 0) = (u64)(s64)SMCCC_RET_NOT_SUPPORTED;
		return;
	}
	REG(regs, 0) = SMCCC_RET_SUCCESS;
}

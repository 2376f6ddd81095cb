/* EL2 half of late_kmi: calls the ops of the later android16-6.12 KMI levels
 * (built with -DPKVM_A16_KMI=2): get_time, device_register_power_lock, and
 * guest SMC handlers that return enum pkvm_smc_handler_ret. */
#include <asm/kvm_pkvm_module.h>
#include "../late_kmi.h"

static const struct pkvm_module_ops *ops;
static int power_calls, power_result;
static bool last_lock;
static bool cookie_ok;
static u64 decline_calls, answer_calls;
static u32 power_cookie = 0x5eed;

static int power_lock_cb(void *cookie, bool lock)
{
	power_calls++;
	last_lock = lock;
	cookie_ok = cookie == &power_cookie && *(u32 *)cookie == 0x5eed;
	return power_result;
}

static enum pkvm_smc_handler_ret smc_decline(struct arm_smccc_1_2_regs *regs,
					     struct arm_smccc_1_2_regs *res, pkvm_handle_t handle)
{
	decline_calls++;
	return GUEST_SMC_NOT_HANDLED;
}

static enum pkvm_smc_handler_ret smc_answer(struct arm_smccc_1_2_regs *regs,
					    struct arm_smccc_1_2_regs *res, pkvm_handle_t handle)
{
	answer_calls++;
	switch ((u32)regs->a0) {
	case LK_FID_ANSWER:
		res->a0 = SMCCC_RET_SUCCESS;
		res->a1 = regs->a1 + 1;
		res->a2 = handle;
		return GUEST_SMC_HANDLED;
	case LK_FID_TOPUP:
		return GUEST_SMC_NEED_TOPUP;
	default:
		return GUEST_SMC_NOT_HANDLED;
	}
}

static u64 run(u64 cmd, u64 a, u64 *r2)
{
	switch (cmd) {
	case LK_GET_TIME:
		return ops->get_time();
	case LK_REG_POWER_LOCK:
		return (u64)(s64)ops->device_register_power_lock(a, &power_cookie, power_lock_cb);
	case LK_POWER_STATE:
		return (u64)power_calls | (u64)last_lock << 16 | (u64)cookie_ok << 24;
	case LK_SET_POWER_RESULT:
		power_result = (int)a;
		return 0;
	case LK_REG_GUEST_SMC:
		return (u64)(s64)ops->register_guest_smc_handler(a == LK_SMC_ANSWER ? smc_answer :
										      smc_decline);
	case LK_SMC_CALLS:
		*r2 = answer_calls;
		return decline_calls;
	case LK_SLOTS:
		return (ops->android_kabi_reserved5 != 0) | (ops->android_kabi_reserved6 != 0) << 1;
	default:
		return (u64)(s64)-EOPNOTSUPP;
	}
}

void late_kmi_hvc(struct user_pt_regs *regs)
{
	u64 r2 = 0;

	regs->regs[1] = run(regs->regs[1], regs->regs[2], &r2);
	regs->regs[2] = r2;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

int late_kmi_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return 0;
}

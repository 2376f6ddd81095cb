/* Commands of the late_kmi module's hypercall (x1 = command, x2/x3 =
 * arguments, result in x1, x2): the members of later android16-6.12 KMI
 * levels (PKVM_A16_KMI=2). */
#ifndef LATE_KMI_H_
#define LATE_KMI_H_

#define LK_GET_TIME 1          /* -> ops->get_time() */
#define LK_REG_POWER_LOCK 2    /* x2 = device phys -> device_register_power_lock() */
#define LK_POWER_STATE 3       /* -> calls | last lock << 16 | cookie ok << 24 */
#define LK_SET_POWER_RESULT 4  /* x2 = what the power lock callback returns */
#define LK_REG_GUEST_SMC 5     /* x2 = LK_SMC_DECLINE / LK_SMC_ANSWER -> register_guest_smc_handler() */
#define LK_SMC_CALLS 6         /* -> decline handler calls, answer handler calls (x2) */
#define LK_SLOTS 7             /* -> bit 0: KABI slot 5 filled, bit 1: KABI slot 6 filled */

#define LK_SMC_DECLINE 0       /* always GUEST_SMC_NOT_HANDLED */
#define LK_SMC_ANSWER 1        /* LK_FID_ANSWER: HANDLED, x1 + 1; LK_FID_TOPUP: NEED_TOPUP */
#define LK_FID_ANSWER 0xC6000100u
#define LK_FID_TOPUP 0xC6000101u

#endif

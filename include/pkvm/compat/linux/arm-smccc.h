/* File: include/pkvm/compat/linux/arm-smccc.h
 * SMCCC function ids, return codes and the SMCCC 1.1 call helpers.
 *
 * arm_smccc_1_1_hvc()/arm_smccc_1_1_smc() take a function id, up to seven
 * arguments and a `struct arm_smccc_res *` last, as in the kernel. In libpkvm
 * they enter the simulated hypervisor through __pkvm_smccc_call(): an HVC is
 * handled as a host hypercall, an SMC as a host SMC (module SMC handlers,
 * then the simulated EL3 firmware). In EL2 code an SMC goes to the fake EL3
 * (pkvm/el3.h, docs/smc-filter.md): natively libpkvm answers the call, in a
 * .ko the EL2 runtime executes a real `smc #0`.
 *
 *   struct arm_smccc_res res;
 *   arm_smccc_1_1_hvc(KVM_HOST_SMCCC_ID(128), 1, 2, &res);
 */
#ifndef __LINUX_ARM_SMCCC_H
#define __LINUX_ARM_SMCCC_H

#include <pkvm/abi/smccc.h>
#include <linux/types.h>

#define ARM_SMCCC_STD_CALL 0UL
#define ARM_SMCCC_FAST_CALL 1UL
#define ARM_SMCCC_TYPE_SHIFT 31
#define ARM_SMCCC_SMC_32 0
#define ARM_SMCCC_SMC_64 1
#define ARM_SMCCC_CALL_CONV_SHIFT 30
#define ARM_SMCCC_OWNER_MASK 0x3F
#define ARM_SMCCC_OWNER_SHIFT 24
#define ARM_SMCCC_FUNC_MASK 0xFFFF
/* SMCCC 1.3: bit 16 of the function id says the caller has no live SVE
 * state (the kernel strips it before decoding, as ARM_SMCCC_CALL_HINTS). */
#define ARM_SMCCC_1_3_SVE_HINT 0x10000
#define ARM_SMCCC_CALL_HINTS PKVM_SMCCC_CALL_HINTS

#define ARM_SMCCC_VERSION_1_0 0x10000
#define ARM_SMCCC_VERSION_1_1 0x10001
#define ARM_SMCCC_VERSION_1_2 0x10002
#define ARM_SMCCC_VERSION_1_3 0x10003

#define ARM_SMCCC_IS_FAST_CALL(smc_val) ((smc_val) & (ARM_SMCCC_FAST_CALL << ARM_SMCCC_TYPE_SHIFT))
#define ARM_SMCCC_IS_64(smc_val) ((smc_val) & (ARM_SMCCC_SMC_64 << ARM_SMCCC_CALL_CONV_SHIFT))
#define ARM_SMCCC_FUNC_NUM(smc_val) ((smc_val)&ARM_SMCCC_FUNC_MASK)
#define ARM_SMCCC_OWNER_NUM(smc_val) (((smc_val) >> ARM_SMCCC_OWNER_SHIFT) & ARM_SMCCC_OWNER_MASK)

#define ARM_SMCCC_CALL_VAL(type, calling_convention, owner, func_num)                      \
  (((type) << ARM_SMCCC_TYPE_SHIFT) | ((calling_convention) << ARM_SMCCC_CALL_CONV_SHIFT) | \
   (((owner)&ARM_SMCCC_OWNER_MASK) << ARM_SMCCC_OWNER_SHIFT) | ((func_num)&ARM_SMCCC_FUNC_MASK))

#define ARM_SMCCC_OWNER_ARCH 0
#define ARM_SMCCC_OWNER_CPU 1
#define ARM_SMCCC_OWNER_SIP 2
#define ARM_SMCCC_OWNER_OEM 3
#define ARM_SMCCC_OWNER_STANDARD 4
#define ARM_SMCCC_OWNER_STANDARD_HYP 5
#define ARM_SMCCC_OWNER_VENDOR_HYP 6
#define ARM_SMCCC_OWNER_TRUSTED_APP 48
#define ARM_SMCCC_OWNER_TRUSTED_OS 50

#define SMCCC_RET_SUCCESS PKVM_SMCCC_RET_SUCCESS
#define SMCCC_RET_NOT_SUPPORTED PKVM_SMCCC_RET_NOT_SUPPORTED
#define SMCCC_RET_NOT_REQUIRED PKVM_SMCCC_RET_NOT_REQUIRED
#define SMCCC_RET_INVALID_PARAMETER PKVM_SMCCC_RET_INVALID_PARAMETER

#define ARM_SMCCC_VERSION_FUNC_ID \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, 0, 0)
/* SMCCC TRNG (Arm DEN0098). */
#define ARM_SMCCC_TRNG_VERSION \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, ARM_SMCCC_OWNER_STANDARD, 0x50)
#define ARM_SMCCC_TRNG_FEATURES \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, ARM_SMCCC_OWNER_STANDARD, 0x51)
#define ARM_SMCCC_TRNG_GET_UUID \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, ARM_SMCCC_OWNER_STANDARD, 0x52)
#define ARM_SMCCC_TRNG_RND32 \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, ARM_SMCCC_OWNER_STANDARD, 0x53)
#define ARM_SMCCC_TRNG_RND64 \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_64, ARM_SMCCC_OWNER_STANDARD, 0x53)
#define ARM_SMCCC_ARCH_FEATURES_FUNC_ID \
  ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32, 0, 1)

struct arm_smccc_res {
  unsigned long a0;
  unsigned long a1;
  unsigned long a2;
  unsigned long a3;
};

struct arm_smccc_1_2_regs {
  unsigned long a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17;
};

enum pkvm_smccc_conduit { PKVM_SMCCC_CONDUIT_HVC = 1, PKVM_SMCCC_CONDUIT_SMC = 2 };

#ifdef __cplusplus
extern "C" {
#endif
/* Implemented by libpkvm's simulated kernel (native) or by the EL1 glue that
 * issues a real `hvc`/`smc` (AArch64 modules). */
void __pkvm_smccc_call(int conduit, unsigned long a0, unsigned long a1, unsigned long a2,
                       unsigned long a3, unsigned long a4, unsigned long a5, unsigned long a6,
                       unsigned long a7, struct arm_smccc_res *res);
/* SMCCC 1.2, x0..x17 in and out (arm_smccc_1_2_smc/_hvc). */
void __pkvm_smccc_1_2_call(int conduit, const struct arm_smccc_1_2_regs *args,
                           struct arm_smccc_1_2_regs *res);
#ifdef __cplusplus
}
#endif

static inline void arm_smccc_1_2_smc(const struct arm_smccc_1_2_regs *args,
                                     struct arm_smccc_1_2_regs *res) {
  __pkvm_smccc_1_2_call(PKVM_SMCCC_CONDUIT_SMC, args, res);
}
static inline void arm_smccc_1_2_hvc(const struct arm_smccc_1_2_regs *args,
                                     struct arm_smccc_1_2_regs *res) {
  __pkvm_smccc_1_2_call(PKVM_SMCCC_CONDUIT_HVC, args, res);
}

/* Argument counting: the last argument is always the result pointer. */
#define __PKVM_SMCCC_N(_1, _2, _3, _4, _5, _6, _7, _8, _9, N, ...) N
#define __PKVM_SMCCC_COUNT(...) __PKVM_SMCCC_N(__VA_ARGS__, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __PKVM_SMCCC_2(c, a0, r) __pkvm_smccc_call(c, a0, 0, 0, 0, 0, 0, 0, 0, r)
#define __PKVM_SMCCC_3(c, a0, a1, r) __pkvm_smccc_call(c, a0, a1, 0, 0, 0, 0, 0, 0, r)
#define __PKVM_SMCCC_4(c, a0, a1, a2, r) __pkvm_smccc_call(c, a0, a1, a2, 0, 0, 0, 0, 0, r)
#define __PKVM_SMCCC_5(c, a0, a1, a2, a3, r) __pkvm_smccc_call(c, a0, a1, a2, a3, 0, 0, 0, 0, r)
#define __PKVM_SMCCC_6(c, a0, a1, a2, a3, a4, r) \
  __pkvm_smccc_call(c, a0, a1, a2, a3, a4, 0, 0, 0, r)
#define __PKVM_SMCCC_7(c, a0, a1, a2, a3, a4, a5, r) \
  __pkvm_smccc_call(c, a0, a1, a2, a3, a4, a5, 0, 0, r)
#define __PKVM_SMCCC_8(c, a0, a1, a2, a3, a4, a5, a6, r) \
  __pkvm_smccc_call(c, a0, a1, a2, a3, a4, a5, a6, 0, r)
#define __PKVM_SMCCC_9(c, a0, a1, a2, a3, a4, a5, a6, a7, r) \
  __pkvm_smccc_call(c, a0, a1, a2, a3, a4, a5, a6, a7, r)
#define __PKVM_SMCCC_DISPATCH_(n) __PKVM_SMCCC_##n
#define __PKVM_SMCCC_DISPATCH(n) __PKVM_SMCCC_DISPATCH_(n)

#define arm_smccc_1_1_hvc(...) \
  __PKVM_SMCCC_DISPATCH(__PKVM_SMCCC_COUNT(__VA_ARGS__))(PKVM_SMCCC_CONDUIT_HVC, __VA_ARGS__)
#define arm_smccc_1_1_smc(...) \
  __PKVM_SMCCC_DISPATCH(__PKVM_SMCCC_COUNT(__VA_ARGS__))(PKVM_SMCCC_CONDUIT_SMC, __VA_ARGS__)

#endif

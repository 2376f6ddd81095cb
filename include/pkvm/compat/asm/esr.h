/* File: include/pkvm/compat/asm/esr.h -- the Exception Syndrome Register
 * layout (Arm ARM, ESR_ELx) under the kernel's names: exception classes, the
 * data/instruction abort ISS and the trapped-system-register ISS that module
 * fault and trap handlers decode. */
#ifndef __ASM_ESR_H
#define __ASM_ESR_H

#include <linux/types.h>

#define ESR_ELx_EC_UNKNOWN 0x00UL
#define ESR_ELx_EC_WFx 0x01UL
#define ESR_ELx_EC_FP_ASIMD 0x07UL
#define ESR_ELx_EC_ILL 0x0EUL
#define ESR_ELx_EC_SVC64 0x15UL
#define ESR_ELx_EC_HVC64 0x16UL
#define ESR_ELx_EC_SMC64 0x17UL
#define ESR_ELx_EC_SYS64 0x18UL
#define ESR_ELx_EC_SVE 0x19UL
#define ESR_ELx_EC_ERET 0x1AUL
#define ESR_ELx_EC_IABT_LOW 0x20UL
#define ESR_ELx_EC_IABT_CUR 0x21UL
#define ESR_ELx_EC_PC_ALIGN 0x22UL
#define ESR_ELx_EC_DABT_LOW 0x24UL
#define ESR_ELx_EC_DABT_CUR 0x25UL
#define ESR_ELx_EC_SP_ALIGN 0x26UL
#define ESR_ELx_EC_SERROR 0x2FUL
#define ESR_ELx_EC_BRK64 0x3CUL
#define ESR_ELx_EC_MAX 0x3FUL

#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_WIDTH 6
#define ESR_ELx_EC_MASK (0x3FUL << ESR_ELx_EC_SHIFT)
#define ESR_ELx_EC(esr) (((esr) & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT)
#define ESR_ELx_IL_SHIFT 25
#define ESR_ELx_IL (1UL << ESR_ELx_IL_SHIFT)
#define ESR_ELx_ISS_MASK ((1UL << 25) - 1)
#define ESR_ELx_ISS(esr) ((esr) & ESR_ELx_ISS_MASK)

/* Data abort ISS. */
#define ESR_ELx_ISV_SHIFT 24
#define ESR_ELx_ISV (1UL << ESR_ELx_ISV_SHIFT)
#define ESR_ELx_SAS_SHIFT 22
#define ESR_ELx_SAS (3UL << ESR_ELx_SAS_SHIFT)
#define ESR_ELx_SSE_SHIFT 21
#define ESR_ELx_SSE (1UL << ESR_ELx_SSE_SHIFT)
#define ESR_ELx_SRT_SHIFT 16
#define ESR_ELx_SRT_MASK (0x1FUL << ESR_ELx_SRT_SHIFT)
#define ESR_ELx_SF_SHIFT 15
#define ESR_ELx_SF (1UL << ESR_ELx_SF_SHIFT)
#define ESR_ELx_AR_SHIFT 14
#define ESR_ELx_AR (1UL << ESR_ELx_AR_SHIFT)
#define ESR_ELx_CM_SHIFT 8
#define ESR_ELx_CM (1UL << ESR_ELx_CM_SHIFT)
#define ESR_ELx_EA_SHIFT 9
#define ESR_ELx_EA (1UL << ESR_ELx_EA_SHIFT)
#define ESR_ELx_S1PTW_SHIFT 7
#define ESR_ELx_S1PTW (1UL << ESR_ELx_S1PTW_SHIFT)
#define ESR_ELx_WNR_SHIFT 6
#define ESR_ELx_WNR (1UL << ESR_ELx_WNR_SHIFT)

/* Fault status codes (DFSC/IFSC). */
#define ESR_ELx_FSC (0x3FUL)
#define ESR_ELx_FSC_TYPE (0x3CUL)
#define ESR_ELx_FSC_LEVEL (0x03UL)
#define ESR_ELx_FSC_EXTABT (0x10UL)
#define ESR_ELx_FSC_ACCESS (0x08UL)
#define ESR_ELx_FSC_FAULT (0x04UL)
#define ESR_ELx_FSC_PERM (0x0CUL)

/* Trapped MSR/MRS/system instruction ISS (EC 0x18). */
#define ESR_ELx_SYS64_ISS_DIR_MASK 0x1UL
#define ESR_ELx_SYS64_ISS_DIR_READ 0x1UL
#define ESR_ELx_SYS64_ISS_DIR_WRITE 0x0UL
#define ESR_ELx_SYS64_ISS_RT_SHIFT 5
#define ESR_ELx_SYS64_ISS_RT_MASK (0x1FUL << ESR_ELx_SYS64_ISS_RT_SHIFT)
#define ESR_ELx_SYS64_ISS_CRM_SHIFT 1
#define ESR_ELx_SYS64_ISS_CRM_MASK (0xFUL << ESR_ELx_SYS64_ISS_CRM_SHIFT)
#define ESR_ELx_SYS64_ISS_CRN_SHIFT 10
#define ESR_ELx_SYS64_ISS_CRN_MASK (0xFUL << ESR_ELx_SYS64_ISS_CRN_SHIFT)
#define ESR_ELx_SYS64_ISS_OP1_SHIFT 14
#define ESR_ELx_SYS64_ISS_OP1_MASK (0x7UL << ESR_ELx_SYS64_ISS_OP1_SHIFT)
#define ESR_ELx_SYS64_ISS_OP2_SHIFT 17
#define ESR_ELx_SYS64_ISS_OP2_MASK (0x7UL << ESR_ELx_SYS64_ISS_OP2_SHIFT)
#define ESR_ELx_SYS64_ISS_OP0_SHIFT 20
#define ESR_ELx_SYS64_ISS_OP0_MASK (0x3UL << ESR_ELx_SYS64_ISS_OP0_SHIFT)

#endif

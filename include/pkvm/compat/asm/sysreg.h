/* File: include/pkvm/compat/asm/sysreg.h -- system register encodings
 * (sys_reg(op0, op1, CRn, CRm, op2), SYS_*: Arm ARM values) and
 * read_sysreg()/write_sysreg().
 *
 *   if (esr_sys64_to_sysreg(esr) == SYS_CNTVCT_EL0) ...
 *   u64 elr = read_sysreg(elr_el2);
 *
 * read_sysreg()/write_sysreg() reach the registers libpkvm models for EL2
 * code: elr_el2, spsr_el2, esr_el2, far_el2, hpfar_el2 (see asm/kvm_hyp.h).
 * Any other register: in an AArch64 .ko an mrs/msr of the CPU's register;
 * natively a compile error naming it.
 */
#ifndef __ASM_SYSREG_H
#define __ASM_SYSREG_H

#include <pkvm/compat_glue.h>
#include <linux/bits.h>
#include <linux/stringify.h>
#include <linux/types.h>

#define Op0_shift 19
#define Op0_mask 0x3
#define Op1_shift 16
#define Op1_mask 0x7
#define CRn_shift 12
#define CRn_mask 0xf
#define CRm_shift 8
#define CRm_mask 0xf
#define Op2_shift 5
#define Op2_mask 0x7

#define sys_reg(op0, op1, crn, crm, op2)                                        \
  (((op0) << Op0_shift) | ((op1) << Op1_shift) | ((crn) << CRn_shift) |         \
   ((crm) << CRm_shift) | ((op2) << Op2_shift))
#define sys_insn sys_reg
#define sys_reg_Op0(id) (((id) >> Op0_shift) & Op0_mask)
#define sys_reg_Op1(id) (((id) >> Op1_shift) & Op1_mask)
#define sys_reg_CRn(id) (((id) >> CRn_shift) & CRn_mask)
#define sys_reg_CRm(id) (((id) >> CRm_shift) & CRm_mask)
#define sys_reg_Op2(id) (((id) >> Op2_shift) & Op2_mask)

/* The sys_reg() value of the register a trapped MRS/MSR (EC 0x18) names. */
#define esr_sys64_to_sysreg(e)                                                     \
  sys_reg((((e) >> 20) & 0x3), (((e) >> 14) & 0x7), (((e) >> 10) & 0xf),         \
          (((e) >> 1) & 0xf), (((e) >> 17) & 0x7))

#define SYS_MIDR_EL1 sys_reg(3, 0, 0, 0, 0)
#define SYS_MPIDR_EL1 sys_reg(3, 0, 0, 0, 5)
#define SYS_REVIDR_EL1 sys_reg(3, 0, 0, 0, 6)
#define SYS_ID_AA64PFR0_EL1 sys_reg(3, 0, 0, 4, 0)
#define SYS_ID_AA64PFR1_EL1 sys_reg(3, 0, 0, 4, 1)
#define SYS_ID_AA64DFR0_EL1 sys_reg(3, 0, 0, 5, 0)
#define SYS_ID_AA64ISAR0_EL1 sys_reg(3, 0, 0, 6, 0)
#define SYS_ID_AA64ISAR1_EL1 sys_reg(3, 0, 0, 6, 1)
#define SYS_ID_AA64MMFR0_EL1 sys_reg(3, 0, 0, 7, 0)
#define SYS_ID_AA64MMFR1_EL1 sys_reg(3, 0, 0, 7, 1)
#define SYS_ID_AA64MMFR2_EL1 sys_reg(3, 0, 0, 7, 2)
#define SYS_SCTLR_EL1 sys_reg(3, 0, 1, 0, 0)
#define SYS_ACTLR_EL1 sys_reg(3, 0, 1, 0, 1)
#define SYS_CPACR_EL1 sys_reg(3, 0, 1, 0, 2)
#define SYS_TTBR0_EL1 sys_reg(3, 0, 2, 0, 0)
#define SYS_TTBR1_EL1 sys_reg(3, 0, 2, 0, 1)
#define SYS_TCR_EL1 sys_reg(3, 0, 2, 0, 2)
#define SYS_AFSR0_EL1 sys_reg(3, 0, 5, 1, 0)
#define SYS_AFSR1_EL1 sys_reg(3, 0, 5, 1, 1)
#define SYS_ESR_EL1 sys_reg(3, 0, 5, 2, 0)
#define SYS_FAR_EL1 sys_reg(3, 0, 6, 0, 0)
#define SYS_PAR_EL1 sys_reg(3, 0, 7, 4, 0)
#define SYS_MAIR_EL1 sys_reg(3, 0, 10, 2, 0)
#define SYS_AMAIR_EL1 sys_reg(3, 0, 10, 3, 0)
#define SYS_VBAR_EL1 sys_reg(3, 0, 12, 0, 0)
#define SYS_CONTEXTIDR_EL1 sys_reg(3, 0, 13, 0, 1)
#define SYS_TPIDR_EL1 sys_reg(3, 0, 13, 0, 4)
#define SYS_CNTKCTL_EL1 sys_reg(3, 0, 14, 1, 0)
#define SYS_CTR_EL0 sys_reg(3, 3, 0, 0, 1)
#define SYS_DCZID_EL0 sys_reg(3, 3, 0, 0, 7)
#define SYS_PMCR_EL0 sys_reg(3, 3, 9, 12, 0)
#define SYS_TPIDR_EL0 sys_reg(3, 3, 13, 0, 2)
#define SYS_TPIDRRO_EL0 sys_reg(3, 3, 13, 0, 3)
#define SYS_CNTFRQ_EL0 sys_reg(3, 3, 14, 0, 0)
#define SYS_CNTPCT_EL0 sys_reg(3, 3, 14, 0, 1)
#define SYS_CNTVCT_EL0 sys_reg(3, 3, 14, 0, 2)
#define SYS_CNTP_TVAL_EL0 sys_reg(3, 3, 14, 2, 0)
#define SYS_CNTP_CTL_EL0 sys_reg(3, 3, 14, 2, 1)
#define SYS_CNTP_CVAL_EL0 sys_reg(3, 3, 14, 2, 2)
#define SYS_CNTV_CTL_EL0 sys_reg(3, 3, 14, 3, 1)
#define SYS_CNTV_CVAL_EL0 sys_reg(3, 3, 14, 3, 2)
#define SYS_SCTLR_EL2 sys_reg(3, 4, 1, 0, 0)
#define SYS_HCR_EL2 sys_reg(3, 4, 1, 1, 0)
#define SYS_MDCR_EL2 sys_reg(3, 4, 1, 1, 1)
#define SYS_CPTR_EL2 sys_reg(3, 4, 1, 1, 2)
#define SYS_HSTR_EL2 sys_reg(3, 4, 1, 1, 3)
#define SYS_HFGRTR_EL2 sys_reg(3, 4, 1, 1, 4)
#define SYS_HFGWTR_EL2 sys_reg(3, 4, 1, 1, 5)
#define SYS_VTTBR_EL2 sys_reg(3, 4, 2, 1, 0)
#define SYS_VTCR_EL2 sys_reg(3, 4, 2, 1, 2)
#define SYS_SPSR_EL2 sys_reg(3, 4, 4, 0, 0)
#define SYS_ELR_EL2 sys_reg(3, 4, 4, 0, 1)
#define SYS_ESR_EL2 sys_reg(3, 4, 5, 2, 0)
#define SYS_FAR_EL2 sys_reg(3, 4, 6, 0, 0)
#define SYS_HPFAR_EL2 sys_reg(3, 4, 6, 0, 4)
#define SYS_VBAR_EL2 sys_reg(3, 4, 12, 0, 0)

/* The registers libpkvm models for EL2 code (pkvm/compat_glue.h), in the
 * lower-case spelling of the kernel's sources and the upper-case one some
 * modules use. */
#define PKVM_SYSREG_elr_el2 PKVM_EL2_SYSREG_ELR
#define PKVM_SYSREG_spsr_el2 PKVM_EL2_SYSREG_SPSR
#define PKVM_SYSREG_esr_el2 PKVM_EL2_SYSREG_ESR
#define PKVM_SYSREG_far_el2 PKVM_EL2_SYSREG_FAR
#define PKVM_SYSREG_hpfar_el2 PKVM_EL2_SYSREG_HPFAR
#define PKVM_SYSREG_ELR_EL2 PKVM_EL2_SYSREG_ELR
#define PKVM_SYSREG_SPSR_EL2 PKVM_EL2_SYSREG_SPSR
#define PKVM_SYSREG_ESR_EL2 PKVM_EL2_SYSREG_ESR
#define PKVM_SYSREG_FAR_EL2 PKVM_EL2_SYSREG_FAR
#define PKVM_SYSREG_HPFAR_EL2 PKVM_EL2_SYSREG_HPFAR

/* Is `r` one of them? (__PKVM_SR_MODELED(r) is 1 or 0 at preprocessing time.) */
#define __PKVM_SR_PROBE_elr_el2 ~, 1
#define __PKVM_SR_PROBE_spsr_el2 ~, 1
#define __PKVM_SR_PROBE_esr_el2 ~, 1
#define __PKVM_SR_PROBE_far_el2 ~, 1
#define __PKVM_SR_PROBE_hpfar_el2 ~, 1
#define __PKVM_SR_PROBE_ELR_EL2 ~, 1
#define __PKVM_SR_PROBE_SPSR_EL2 ~, 1
#define __PKVM_SR_PROBE_ESR_EL2 ~, 1
#define __PKVM_SR_PROBE_FAR_EL2 ~, 1
#define __PKVM_SR_PROBE_HPFAR_EL2 ~, 1
#define __PKVM_SR_SECOND(a, b, ...) b
#define __PKVM_SR_SECOND_(...) __PKVM_SR_SECOND(__VA_ARGS__)
#define __PKVM_SR_IS_PROBE(...) __PKVM_SR_SECOND_(__VA_ARGS__, 0, ~)
#define __PKVM_SR_MODELED(r) __PKVM_SR_IS_PROBE(__PKVM_SR_PROBE_##r)
#define __PKVM_SR_IF_1(t, f) t
#define __PKVM_SR_IF_0(t, f) f
#define __PKVM_SR_IF_(c) __PKVM_SR_IF_##c
#define __PKVM_SR_IF(c) __PKVM_SR_IF_(c)

#define __pkvm_read_modeled(r) ((u64)__pkvm_read_sysreg(PKVM_SYSREG_##r))
#define __pkvm_write_modeled(v, r) __pkvm_write_sysreg(PKVM_SYSREG_##r, (u64)(v))
#ifdef PKVM_A64_KO
/* An AArch64 .ko: any other register is the CPU's own, read with mrs as in
 * the kernel (in Unicorn, the emulated CPU's register). */
#define __pkvm_read_raw(r)                                              \
  ({                                                                    \
    u64 __pkvm_val;                                                     \
    __asm__ volatile("mrs %0, " __stringify(r) : "=r"(__pkvm_val));     \
    __pkvm_val;                                                         \
  })
#define __pkvm_write_raw(v, r)                                                  \
  do {                                                                          \
    u64 __pkvm_val = (u64)(v);                                                  \
    __asm__ volatile("msr " __stringify(r) ", %x0" : : "rZ"(__pkvm_val));       \
  } while (0)
#else
/* Natively there is no such register to read: say which one, at compile
 * time. The module can still run on the Unicorn backend (its .ko build). */
#define __pkvm_read_raw(r)                                                           \
  ({                                                                                 \
    _Static_assert(0, "read_sysreg(" #r "): natively libpkvm has only ELR/SPSR/ESR/" \
                      "FAR/HPFAR_EL2; build this module for the Unicorn backend");   \
    0ULL;                                                                            \
  })
#define __pkvm_write_raw(v, r)                                                        \
  do {                                                                                \
    _Static_assert(0, "write_sysreg(" #r "): natively libpkvm has only ELR/SPSR/ESR/" \
                      "FAR/HPFAR_EL2; build this module for the Unicorn backend");    \
    (void)(v);                                                                        \
  } while (0)
#endif

#define read_sysreg(r) __PKVM_SR_IF(__PKVM_SR_MODELED(r))(__pkvm_read_modeled(r), __pkvm_read_raw(r))
#define write_sysreg(v, r) \
  __PKVM_SR_IF(__PKVM_SR_MODELED(r))(__pkvm_write_modeled(v, r), __pkvm_write_raw(v, r))
#define read_sysreg_s(r) read_sysreg(r)
#define write_sysreg_s(v, r) write_sysreg(v, r)

#endif /* __ASM_SYSREG_H */

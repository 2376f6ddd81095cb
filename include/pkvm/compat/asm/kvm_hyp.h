/* File: include/pkvm/compat/asm/kvm_hyp.h -- hypervisor (EL2) code's view:
 * what the kernel's asm/kvm_hyp.h reaches (linux/kvm_host.h, asm/kvm_mmu.h,
 * asm/sysreg.h) and read_sysreg_el2()/write_sysreg_el2().
 *
 *   u64 esr = read_sysreg_el2(SYS_ESR);        // or read_sysreg(esr_el2)
 *   write_sysreg_el2(read_sysreg_el2(SYS_ELR) + 4, SYS_ELR);  // skip the insn
 *
 * Registers: ELR, SPSR, ESR, FAR (read_sysreg_el2(SYS_x) and
 * read_sysreg(x_el2)) and HPFAR (read_sysreg(hpfar_el2)). Inside a host
 * permission-fault, trap or SMC handler they describe the host's exception
 * (Hypervisor::InjectHostPermFault(HostException) sets them, or the real EL1
 * access on the Unicorn backend); a write to ELR_EL2 moves where the host
 * resumes. Natively libpkvm keeps them per simulated CPU; in an AArch64 .ko
 * the EL2 runtime executes mrs/msr. Any other register name does not compile
 * (docs/compat.md). */
#ifndef __ARM64_KVM_HYP_H__
#define __ARM64_KVM_HYP_H__

#include <pkvm/compat_glue.h>
#include <linux/compiler.h>
#include <linux/kvm_host.h>
#include <linux/types.h>
#include <asm/alternative-macros.h>
#include <asm/kvm_mmu.h>
#include <asm/sysreg.h>

/* read_sysreg_el2(SYS_ELR): the nVHE hypervisor's own (_EL2) register. */
#define PKVM_SYSREG_SYS_ELR_EL2 PKVM_EL2_SYSREG_ELR
#define PKVM_SYSREG_SYS_SPSR_EL2 PKVM_EL2_SYSREG_SPSR
#define PKVM_SYSREG_SYS_ESR_EL2 PKVM_EL2_SYSREG_ESR
#define PKVM_SYSREG_SYS_FAR_EL2 PKVM_EL2_SYSREG_FAR

#define read_sysreg_el2(r) ((u64)__pkvm_read_sysreg(PKVM_SYSREG_##r##_EL2))
#define write_sysreg_el2(v, r) __pkvm_write_sysreg(PKVM_SYSREG_##r##_EL2, (u64)(v))

#endif

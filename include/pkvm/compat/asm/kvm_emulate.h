/* File: include/pkvm/compat/asm/kvm_emulate.h -- what the kernel's header
 * reaches (linux/kvm_host.h, asm/esr.h, asm/kvm_arm.h, asm/kvm_hyp.h). Its
 * vCPU accessors (vcpu_get_reg, kvm_vcpu_get_esr, ...) work on struct
 * kvm_vcpu, which pKVM modules do not get and libpkvm does not model. */
#ifndef __ARM64_KVM_EMULATE_H__
#define __ARM64_KVM_EMULATE_H__

#include <linux/kvm_host.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/kvm_hyp.h>

#endif

/* File: include/pkvm/compat/asm/kvm_mmu.h -- hyp address helpers.
 * (compat slice of issue 8)
 *
 * kern_hyp_va() is boot-time patched arithmetic in the kernel; modules get
 * it from the ops table (`ops->kern_hyp_va(addr)`), which libpkvm
 * implements. Included for page sizes and prot bits.
 */
#ifndef __ARM64_KVM_MMU_H__
#define __ARM64_KVM_MMU_H__

#include <linux/types.h>
#include <asm/kvm_pgtable.h>
#include <asm/kvm_arm.h>

#endif

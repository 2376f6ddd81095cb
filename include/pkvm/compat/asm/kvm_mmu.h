/* File: include/pkvm/compat/asm/kvm_mmu.h -- hyp address helpers.
 *
 * kern_hyp_va() is boot-time patched arithmetic in the kernel; modules get
 * it from the ops table (`ops->kern_hyp_va(addr)`), which libpkvm
 * implements. Included for page sizes and prot bits.
 */
#ifndef __ARM64_KVM_MMU_H__
#define __ARM64_KVM_MMU_H__

#include <linux/kvm_host.h>
#include <linux/types.h>
#include <asm/kvm_arm.h>
#include <asm/kvm_host.h>
#include <asm/kvm_pgtable.h>
#include <asm/memory.h>
#include <asm/page.h>

#endif

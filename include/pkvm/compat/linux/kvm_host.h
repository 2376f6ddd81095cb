/* File: include/pkvm/compat/linux/kvm_host.h -- what a module gets from the
 * kernel's linux/kvm_host.h, the header asm/kvm_pgtable.h (and so
 * asm/kvm_pkvm_module.h, asm/kvm_mmu.h, asm/kvm_hyp.h and the nvhe/ headers) pulls in.
 * In the kernel it reaches most of the core headers; a module relying on that
 * (ARRAY_SIZE, -EINVAL, BIT, min/max, container_of, readl, memcpy, list
 * helpers, ESR_ELx_*, ...) gets the same here:
 *
 *   linux/: types, bits, bitops, build_bug, bug, cache, compiler, err, errno, kernel
 *           (align, limits, log2, math, minmax, container_of, printk), list,
 *           mm (pfn, sizes, page size, PAGE_ALIGN/PAGE_ALIGNED, gfp, slab),
 *           overflow, string, atomic, io, arm-smccc
 *   asm/:   kvm_host (kvm_cpu_context, cpu_reg), kvm_asm (kvm_nvhe_sym,
 *           host hypercall ids), kvm_arm (HCR_*), esr (ESR_ELx_*), sysreg,
 *           insn-def (AARCH64_INSN_SIZE), barrier, io
 *
 * The kernel's struct kvm / struct kvm_vcpu are not modelled: pKVM modules
 * reach guests through the ops table (pkvm_handle_t), not through them. */
#ifndef __KVM_HOST_H
#define __KVM_HOST_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/io.h>
#include <linux/arm-smccc.h>
#include <asm/barrier.h>
#include <asm/kvm_host.h>

#endif /* __KVM_HOST_H */

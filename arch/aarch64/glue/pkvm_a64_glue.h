/* File: arch/aarch64/glue/pkvm_a64_glue.h
 * The trap protocol between AArch64 module code and the host running it in
 * Unicorn (C, assembly and C++). Internal to libpkvm.
 *
 * - `hvc #0` at EL1 is an SMCCC call to the hypervisor (x0 = function id,
 *   x1.. arguments, results in x0..x3), exactly as on a device.
 * - `brk #(PKVM_A64_BRK_HOSTCALL + n)` is host call n: a function of the
 *   simulated kernel (at EL1) or of the hypervisor (at EL2) implemented in
 *   C++. Arguments in x0..x7 (and the stack for variadic calls, AAPCS64),
 *   result in x0; the host resumes at the next instruction, which is `ret`
 *   in every stub. The numbers below are fixed because the glue compiled
 *   into .ko files uses them; numbers from PKVM_A64_HOSTCALL_FIRST_DYNAMIC
 *   up are handed out at run time (UnicornCpu::AddTrampoline).
 * BRK immediates the kernel uses itself (0x800 BUG, 0x3e8 __builtin_trap,
 * ...) stay faults.
 *
 *   bl _printk          // _printk: brk #0xf000; ret
 */
#ifndef PKVM_ARCH_AARCH64_GLUE_PKVM_A64_GLUE_H_
#define PKVM_ARCH_AARCH64_GLUE_PKVM_A64_GLUE_H_

#define PKVM_A64_BRK_HOSTCALL 0xf000
#define PKVM_A64_HOSTCALL_COUNT 0x1000

/* int _printk(const char *fmt, ...): x0 = format, x1..x7 then [sp], [sp+8]...
 * the arguments (integers and pointers: module code is -mgeneral-regs-only). */
#define PKVM_A64_HOSTCALL_PRINTK 0
/* void __pkvm_warn(const char *file, int line, const char *cond) */
#define PKVM_A64_HOSTCALL_WARN 1
/* void __pkvm_bug(const char *file, int line, const char *cond): never
 * returns (a kernel BUG at EL1, a hyp panic at EL2). */
#define PKVM_A64_HOSTCALL_BUG 2
/* int pkvm_a64_finalized(void): 1 once pKVM is finalized (the state the
 * kernel keeps in the kvm_protected_mode_initialized static key). */
#define PKVM_A64_HOSTCALL_FINALIZED 3
/* void pkvm_a64_el2_mod_add(struct module *, unsigned long hyp_va,
 *                           unsigned long kern_start, unsigned long size):
 * the host's list of loaded EL2 modules (pkvm_el2_mod_add). */
#define PKVM_A64_HOSTCALL_EL2_MOD_ADD 4
/* int pkvm_a64_el2_imports(struct module *, unsigned long hyp_va): patch the
 * calls EL2 code makes to hypervisor functions it does not define (A16's
 * ext_symbols; libpkvm's EL2 helpers) for the image at hyp_va. 0 or -errno. */
#define PKVM_A64_HOSTCALL_EL2_IMPORTS 5

/* The simulated kernel's memory for EL1 module code
 * (lib/host/kernel_mem.h, <linux/slab.h>, <linux/gfp.h>, <asm/memory.h>).
 * unsigned long __pkvm_page_alloc(unsigned long nr, unsigned long align,
 *                                 unsigned int gfp): physical address (== EL1
 * VA) of nr pages, 0 on failure. */
#define PKVM_A64_HOSTCALL_PAGE_ALLOC 10
/* void __pkvm_page_free(unsigned long addr, unsigned long nr) */
#define PKVM_A64_HOSTCALL_PAGE_FREE 11
/* unsigned long __pkvm_virt_to_phys(const volatile void *): the identity */
#define PKVM_A64_HOSTCALL_VIRT_TO_PHYS 12
/* void *__pkvm_phys_to_virt(unsigned long): the identity */
#define PKVM_A64_HOSTCALL_PHYS_TO_VIRT 13
/* The device-tree functions of linux/of.h and linux/of_address.h
 * (of_find_compatible_node, ...): x0..x2 their arguments, x7 which one
 * (lib/devices/devices.h: OfCall). */
#define PKVM_A64_HOSTCALL_OF 15

#define PKVM_A64_HOSTCALL_FIRST_DYNAMIC 16

#endif /* PKVM_ARCH_AARCH64_GLUE_PKVM_A64_GLUE_H_ */

/* File: arch/aarch64/el2/vectors.S
 * The EL2 exception vector table of the bare-metal runtime (VBAR_EL2).
 *
 * Synchronous exceptions from AArch64 EL1/EL0 (HVC, trapped SMC, aborts)
 * save the host's register file into the per-CPU struct kvm_cpu_context
 * whose address TPIDR_EL2 holds -- x0..x30, SP_EL1, ELR_EL2 (pc), SPSR_EL2
 * (pstate), i.e. its leading struct user_pt_regs -- call
 *   void pkvm_el2_handle_host_trap(struct kvm_cpu_context *ctxt, u64 esr)
 * then restore the (possibly changed) file and ERET. The offsets come from
 * the C layouts (el2_asm_offsets.h, generated from asm_offsets.cc).
 *
 * Every other vector (anything taken at EL2 itself, IRQ/FIQ/SError, AArch32
 * lower ELs) is a hypervisor panic: the full EL2 register file goes into a
 * struct pkvm_el2_fault_frame on the EL2 stack and
 *   void pkvm_el2_handle_hyp_fault(struct pkvm_el2_fault_frame *f, u64 kind)
 * reports it (it does not return).
 */

#include "el2_asm_offsets.h"

#define CTXT_X(n)	(CTXT_REGS + 8 * (n))
#define FRAME_X(n)	(FRAME_REGS + 8 * (n))

	.macro host_sync
	stp	x0, x1, [sp, #-16]!
	b	__pkvm_el2_host_sync
	.endm

	.macro hyp_panic kind
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x1, #\kind
	b	__pkvm_el2_hyp_fault
	.endm

	.section .text.el2_vectors, "ax", %progbits
	.balign 2048
	.global pkvm_el2_vectors
pkvm_el2_vectors:
	/* Current EL with SP_EL0 */
	.balign 128
	hyp_panic 0
	.balign 128
	hyp_panic 1
	.balign 128
	hyp_panic 2
	.balign 128
	hyp_panic 3
	/* Current EL with SP_ELx */
	.balign 128
	hyp_panic 4
	.balign 128
	hyp_panic 5
	.balign 128
	hyp_panic 6
	.balign 128
	hyp_panic 7
	/* Lower EL, AArch64 */
	.balign 128
	host_sync
	.balign 128
	hyp_panic 9
	.balign 128
	hyp_panic 10
	.balign 128
	hyp_panic 11
	/* Lower EL, AArch32 */
	.balign 128
	hyp_panic 12
	.balign 128
	hyp_panic 13
	.balign 128
	hyp_panic 14
	.balign 128
	hyp_panic 15
	.balign 128

	.section .text.el2_host_sync, "ax", %progbits
	.balign 64
__pkvm_el2_host_sync:
	mrs	x0, tpidr_el2		/* &host_ctxt */
	stp	x2, x3, [x0, #CTXT_X(2)]
	stp	x4, x5, [x0, #CTXT_X(4)]
	stp	x6, x7, [x0, #CTXT_X(6)]
	stp	x8, x9, [x0, #CTXT_X(8)]
	stp	x10, x11, [x0, #CTXT_X(10)]
	stp	x12, x13, [x0, #CTXT_X(12)]
	stp	x14, x15, [x0, #CTXT_X(14)]
	stp	x16, x17, [x0, #CTXT_X(16)]
	stp	x18, x19, [x0, #CTXT_X(18)]
	stp	x20, x21, [x0, #CTXT_X(20)]
	stp	x22, x23, [x0, #CTXT_X(22)]
	stp	x24, x25, [x0, #CTXT_X(24)]
	stp	x26, x27, [x0, #CTXT_X(26)]
	stp	x28, x29, [x0, #CTXT_X(28)]
	ldp	x2, x3, [sp], #16	/* the host's x0, x1 */
	stp	x30, x2, [x0, #CTXT_X(30)]	/* x30; sp slot overwritten below */
	str	x3, [x0, #CTXT_X(1)]
	str	x2, [x0, #CTXT_X(0)]
	mrs	x1, sp_el1
	str	x1, [x0, #CTXT_SP]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [x0, #CTXT_PC]
	mrs	x1, esr_el2
	bl	pkvm_el2_handle_host_trap
	mrs	x0, tpidr_el2
	ldp	x1, x2, [x0, #CTXT_PC]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldr	x1, [x0, #CTXT_SP]
	msr	sp_el1, x1
	ldp	x2, x3, [x0, #CTXT_X(2)]
	ldp	x4, x5, [x0, #CTXT_X(4)]
	ldp	x6, x7, [x0, #CTXT_X(6)]
	ldp	x8, x9, [x0, #CTXT_X(8)]
	ldp	x10, x11, [x0, #CTXT_X(10)]
	ldp	x12, x13, [x0, #CTXT_X(12)]
	ldp	x14, x15, [x0, #CTXT_X(14)]
	ldp	x16, x17, [x0, #CTXT_X(16)]
	ldp	x18, x19, [x0, #CTXT_X(18)]
	ldp	x20, x21, [x0, #CTXT_X(20)]
	ldp	x22, x23, [x0, #CTXT_X(22)]
	ldp	x24, x25, [x0, #CTXT_X(24)]
	ldp	x26, x27, [x0, #CTXT_X(26)]
	ldp	x28, x29, [x0, #CTXT_X(28)]
	ldr	x30, [x0, #CTXT_X(30)]
	ldp	x0, x1, [x0, #CTXT_X(0)]
	eret

__pkvm_el2_hyp_fault:
	/* sp -> frame with x0, x1 saved; x1 = kind. */
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	add	x2, sp, #FRAME_SIZE
	stp	x30, x2, [sp, #FRAME_X(30)]	/* x30, then sp (FRAME_SP) before the exception */
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [sp, #FRAME_ESR]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #FRAME_ELR]
	mov	x0, sp
	bl	pkvm_el2_handle_hyp_fault
1:	wfi
	b	1b

/* File: arch/aarch64/glue/el1_smccc.S
 * __pkvm_smccc_call(): what arm_smccc_1_1_hvc()/arm_smccc_1_1_smc() expand
 * to in libpkvm's <linux/arm-smccc.h>, for AArch64 modules: a real `hvc #0`
 * (or `smc #0`) with the SMCCC 1.1 register convention.
 *
 *   void __pkvm_smccc_call(int conduit, a0, a1, a2, a3, a4, a5, a6, a7,
 *                          struct arm_smccc_res *res);
 * AAPCS64: w0 = conduit, x1..x7 = a0..a6, [sp] = a7, [sp + 8] = res.
 */
	.section .text.__pkvm_smccc_call, "ax", %progbits
	.global __pkvm_smccc_call
	.type __pkvm_smccc_call, %function
	.balign 4
__pkvm_smccc_call:
	mov	w9, w0
	ldr	x10, [sp, #8]		/* res */
	mov	x0, x1			/* shift a0..a6 down into x0..x6 */
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	mov	x4, x5
	mov	x5, x6
	mov	x6, x7
	ldr	x7, [sp]		/* a7 */
	cmp	w9, #2			/* PKVM_SMCCC_CONDUIT_SMC */
	b.eq	1f
	hvc	#0
	b	2f
1:	smc	#0
2:	cbz	x10, 3f
	stp	x0, x1, [x10]
	stp	x2, x3, [x10, #16]
3:	ret
	.size __pkvm_smccc_call, . - __pkvm_smccc_call

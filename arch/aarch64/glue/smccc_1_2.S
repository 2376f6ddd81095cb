/* File: arch/aarch64/glue/smccc_1_2.S
 * __pkvm_smccc_1_2_call(): arm_smccc_1_2_smc()/arm_smccc_1_2_hvc() of
 * libpkvm's <linux/arm-smccc.h> for AArch64 modules: x0..x17 loaded from
 * `args`, a real `smc #0` (or `hvc #0`), x0..x17 stored to `res`.
 * Assembled into the EL1 glue and into the EL2 runtime (where its symbol
 * gets the __kvm_nvhe_ prefix and the `smc` reaches the fake EL3).
 *
 *   void __pkvm_smccc_1_2_call(int conduit, const struct arm_smccc_1_2_regs *args,
 *                              struct arm_smccc_1_2_regs *res);
 * AAPCS64: w0 = conduit (1 hvc, 2 smc), x1 = args, x2 = res.
 */
.macro pkvm_load_args
	ldp	x0, x1, [x19, #0]
	ldp	x2, x3, [x19, #16]
	ldp	x4, x5, [x19, #32]
	ldp	x6, x7, [x19, #48]
	ldp	x8, x9, [x19, #64]
	ldp	x10, x11, [x19, #80]
	ldp	x12, x13, [x19, #96]
	ldp	x14, x15, [x19, #112]
	ldp	x16, x17, [x19, #128]
.endm

	.section .text.__pkvm_smccc_1_2_call, "ax", %progbits
	.global __pkvm_smccc_1_2_call
	.type __pkvm_smccc_1_2_call, %function
	.balign 4
__pkvm_smccc_1_2_call:
	stp	x19, x20, [sp, #-16]!	/* callee-saved: they survive the call */
	mov	x19, x1			/* args */
	mov	x20, x2			/* res */
	cmp	w0, #2			/* PKVM_SMCCC_CONDUIT_SMC */
	b.eq	1f
	pkvm_load_args
	hvc	#0
	b	2f
1:	pkvm_load_args
	smc	#0
2:	stp	x0, x1, [x20, #0]
	stp	x2, x3, [x20, #16]
	stp	x4, x5, [x20, #32]
	stp	x6, x7, [x20, #48]
	stp	x8, x9, [x20, #64]
	stp	x10, x11, [x20, #80]
	stp	x12, x13, [x20, #96]
	stp	x14, x15, [x20, #112]
	stp	x16, x17, [x20, #128]
	ldp	x19, x20, [sp], #16
	ret
	.size __pkvm_smccc_1_2_call, . - __pkvm_smccc_1_2_call

/* File: arch/aarch64/glue/el2_sysreg.S
 * The EL2 runtime's __pkvm_read_sysreg/__pkvm_write_sysreg (asm/kvm_hyp.h):
 * the real ELR/SPSR/ESR/FAR/HPFAR_EL2, by PKVM_EL2_SYSREG_* number (0..4).
 * An unknown number reads as 0 and is not written.
 */
	.section .text.__pkvm_read_sysreg, "ax", %progbits
	.global __pkvm_read_sysreg
	.type __pkvm_read_sysreg, %function
	.balign 4
__pkvm_read_sysreg:
	cmp	w0, #0
	b.eq	0f
	cmp	w0, #1
	b.eq	1f
	cmp	w0, #2
	b.eq	2f
	cmp	w0, #3
	b.eq	3f
	cmp	w0, #4
	b.eq	4f
	mov	x0, #0
	ret
0:	mrs	x0, elr_el2
	ret
1:	mrs	x0, spsr_el2
	ret
2:	mrs	x0, esr_el2
	ret
3:	mrs	x0, far_el2
	ret
4:	mrs	x0, hpfar_el2
	ret
	.size __pkvm_read_sysreg, . - __pkvm_read_sysreg

	.section .text.__pkvm_write_sysreg, "ax", %progbits
	.global __pkvm_write_sysreg
	.type __pkvm_write_sysreg, %function
	.balign 4
__pkvm_write_sysreg:
	cmp	w0, #0
	b.eq	0f
	cmp	w0, #1
	b.eq	1f
	cmp	w0, #2
	b.eq	2f
	cmp	w0, #3
	b.eq	3f
	cmp	w0, #4
	b.eq	4f
	ret
0:	msr	elr_el2, x1
	ret
1:	msr	spsr_el2, x1
	ret
2:	msr	esr_el2, x1
	ret
3:	msr	far_el2, x1
	ret
4:	msr	hpfar_el2, x1
	ret
	.size __pkvm_write_sysreg, . - __pkvm_write_sysreg

/* File: test/hardware/boot.S
 * Entry of the bare-metal test image. QEMU's -kernel loader starts an ELF
 * at its entry point in the highest implemented EL: EL2 with
 * -M virt,virtualization=on (no EL3), MMU and caches off. */
	.section .text.boot, "ax", %progbits
	.global _start
_start:
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	.Lnot_el2
	ldr	x1, =__el2_stack_top
	mov	sp, x1
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	bl	pkvm_hw_el2_main
.Lnot_el2:
	wfi
	b	.Lnot_el2

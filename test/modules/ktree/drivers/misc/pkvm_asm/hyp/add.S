/* pkvm_asm_add(a, b): a + b + 1, in AArch64 assembly. */
	.text
	.globl	pkvm_asm_add
	.type	pkvm_asm_add, %function
pkvm_asm_add:
	add	x0, x0, x1
	add	x0, x0, #1
	ret
	.size	pkvm_asm_add, . - pkvm_asm_add

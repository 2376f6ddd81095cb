/* pkvm_asm_add(a, b): a + b + PKVM_ASM_INCREMENT (1, from asflags-y), in
 * AArch64 assembly. */
#ifndef PKVM_ASM_INCREMENT
#error "asflags-y did not reach add.S"
#endif
	.text
	.globl	pkvm_asm_add
	.type	pkvm_asm_add, %function
pkvm_asm_add:
	add	x0, x0, x1
	add	x0, x0, #PKVM_ASM_INCREMENT
	ret
	.size	pkvm_asm_add, . - pkvm_asm_add

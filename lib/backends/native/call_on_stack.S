/* File: lib/backends/native/call_on_stack.S
 * pkvm_call_on_stack(arg, fn, stack_top): calls fn(arg) with the stack
 * pointer at stack_top (16-byte aligned) and returns on the caller's stack.
 * The frame pointer chain links the callee's frames to the caller's, so
 * debuggers and frame-pointer walks see one stack. A longjmp out of fn to a
 * frame on the caller's stack is fine: nothing here needs undoing. */
#if defined(__x86_64__)
	.text
	.globl	pkvm_call_on_stack
	.hidden	pkvm_call_on_stack
	.type	pkvm_call_on_stack, @function
pkvm_call_on_stack:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%rdx, %rsp
	callq	*%rsi
	movq	%rbp, %rsp
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	retq
	.cfi_endproc
	.size	pkvm_call_on_stack, .-pkvm_call_on_stack
#elif defined(__aarch64__)
	.text
	.globl	pkvm_call_on_stack
	.hidden	pkvm_call_on_stack
	.type	pkvm_call_on_stack, %function
pkvm_call_on_stack:
	.cfi_startproc
	stp	x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov	x29, sp
	.cfi_def_cfa_register x29
	mov	sp, x2
	blr	x1
	mov	sp, x29
	ldp	x29, x30, [sp], #16
	.cfi_def_cfa sp, 0
	ret
	.cfi_endproc
	.size	pkvm_call_on_stack, .-pkvm_call_on_stack
#else
#error "pkvm_call_on_stack: no implementation for this host architecture"
#endif
	.section .note.GNU-stack,"",%progbits

/* File: arch/aarch64/glue/hostcalls.S
 * Host-call stubs (pkvm_a64_glue.h): each is `brk #(0xf000 + n); ret`.
 * Assembled twice: for EL1 glue (the simulated kernel's _printk, WARN/BUG
 * entry points and loader helpers) and, with PKVM_A64_EL2, for the EL2
 * runtime (BUG/WARN in hyp code; the symbols get the __kvm_nvhe_ prefix
 * with the rest of the EL2 objects).
 */
#include "pkvm_a64_glue.h"

.macro hostcall name, nr, noreturn=0
	.section .text.\name, "ax", %progbits
	.global \name
	.type \name, %function
	.balign 4
\name:
	brk	#(PKVM_A64_BRK_HOSTCALL + \nr)
	.if \noreturn
	udf	#0			/* the host never resumes a BUG */
	.else
	ret
	.endif
	.size \name, . - \name
.endm

	hostcall __pkvm_warn, PKVM_A64_HOSTCALL_WARN
	hostcall __pkvm_bug, PKVM_A64_HOSTCALL_BUG, 1
#ifndef PKVM_A64_EL2
	hostcall _printk, PKVM_A64_HOSTCALL_PRINTK
	hostcall pkvm_a64_finalized, PKVM_A64_HOSTCALL_FINALIZED
	hostcall pkvm_a64_el2_mod_add, PKVM_A64_HOSTCALL_EL2_MOD_ADD
	hostcall pkvm_a64_el2_imports, PKVM_A64_HOSTCALL_EL2_IMPORTS
	/* kmalloc, alloc_pages, virt_to_phys & co. */
	hostcall __pkvm_page_alloc, PKVM_A64_HOSTCALL_PAGE_ALLOC
	hostcall __pkvm_page_free, PKVM_A64_HOSTCALL_PAGE_FREE
	hostcall __pkvm_virt_to_phys, PKVM_A64_HOSTCALL_VIRT_TO_PHYS
	hostcall __pkvm_phys_to_virt, PKVM_A64_HOSTCALL_PHYS_TO_VIRT

/* The of_* functions, one host call with the function in x7. */
.macro ofcall name, sub
	.section .text.\name, "ax", %progbits
	.global \name
	.type \name, %function
	.balign 4
\name:
	mov	x7, #\sub
	brk	#(PKVM_A64_BRK_HOSTCALL + PKVM_A64_HOSTCALL_OF)
	ret
	.size \name, . - \name
.endm
	ofcall of_find_compatible_node, 0
	ofcall of_property_read_u32, 1
	ofcall of_property_read_u64, 2
	ofcall of_address_to_resource, 3
	ofcall of_device_is_available, 4
	ofcall of_node_put, 5
#endif

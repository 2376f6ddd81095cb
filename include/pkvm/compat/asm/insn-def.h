/* File: include/pkvm/compat/asm/insn-def.h -- A64 instruction size. */
#ifndef __ASM_INSN_DEF_H
#define __ASM_INSN_DEF_H

/* A64 instructions are always 32 bits. */
#define AARCH64_INSN_SIZE 4

#endif

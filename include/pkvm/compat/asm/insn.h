/* File: include/pkvm/compat/asm/insn.h -- A64 instruction helpers a handler
 * that skips or decodes the trapping instruction uses. Encoders/decoders of
 * the kernel's aarch64_insn_* family are not provided. */
#ifndef __ASM_INSN_H
#define __ASM_INSN_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/insn-def.h>

#define AARCH64_BREAK_MON 0xd4200000
#define AARCH64_BREAK_FAULT (AARCH64_BREAK_MON | (0x100 << 5))
#define AARCH64_INSN_HINT_NOP 0xd503201f

#endif

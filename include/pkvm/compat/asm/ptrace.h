/* File: include/pkvm/compat/asm/ptrace.h -- struct user_pt_regs (arm64 UAPI). */
#ifndef __ASM_PTRACE_H
#define __ASM_PTRACE_H

#include <pkvm/abi/ptrace.h>
#include <linux/types.h>

#endif

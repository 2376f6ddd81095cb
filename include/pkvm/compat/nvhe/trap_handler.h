/* File: include/pkvm/compat/nvhe/trap_handler.h -- cpu_reg() and DECLARE_REG(). */
#ifndef __ARM64_KVM_NVHE_TRAP_HANDLER_H__
#define __ARM64_KVM_NVHE_TRAP_HANDLER_H__

#include <asm/kvm_host.h>

#define DECLARE_REG(type, name, ctxt, reg) type name = (type)cpu_reg(ctxt, (reg))

#endif

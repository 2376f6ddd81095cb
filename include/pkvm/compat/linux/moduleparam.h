/* File: include/pkvm/compat/linux/moduleparam.h
 * module_param(), module_param_named() and MODULE_PARM_DESC() for EL1 module
 * code. Each module_param() leaves a descriptor (pkvm/abi/module_param.h) in
 * the section `__pkvm_param`; libpkvm's loader sets the variable from the
 * kernel command line entry `<modname>.<name>=<value>` before module_init
 * runs, on both backends (docs/smc-filter.md). Unknown parameters are
 * logged and ignored; a value that does not parse fails the module's load
 * with -EINVAL, as modprobe's init_module() would.
 *
 *   static unsigned int deny_fid = 0x82000010;
 *   module_param(deny_fid, uint, 0444);
 *   MODULE_PARM_DESC(deny_fid, "SMC function id the filter refuses");
 *   // kernel command line: smc_filter.deny_fid=0x82000011
 */
#ifndef _LINUX_MODULEPARAM_H
#define _LINUX_MODULEPARAM_H

#include <pkvm/abi/module_param.h>
#include <linux/types.h>
#include <linux/compiler.h>

/* The C type each parameter type requires of its variable, as the kernel's
 * param_check_<type>() enforces. */
#define __pkvm_param_ctype_bool bool
#define __pkvm_param_ctype_int int
#define __pkvm_param_ctype_uint unsigned int
#define __pkvm_param_ctype_long long
#define __pkvm_param_ctype_ulong unsigned long
#define __pkvm_param_ctype_ullong unsigned long long
#define __pkvm_param_ctype_charp char *
#define __pkvm_param_ctype_hexint unsigned int
#define __pkvm_param_ctype_short short
#define __pkvm_param_ctype_ushort unsigned short
#define __pkvm_param_ctype_byte unsigned char

#define module_param_named(name, value, type, perm)                                          \
  _Static_assert(__builtin_types_compatible_p(__typeof__(value), __pkvm_param_ctype_##type), \
                 "module_param(" #name "): the variable's type does not match '" #type "'"); \
  static const char __pkvm_param_name_##name[] = #name;                                      \
  static const struct pkvm_module_param __pkvm_param_##name                                  \
      __attribute__((__used__, __section__(PKVM_PARAM_SECTION), __aligned__(8))) = {          \
          __pkvm_param_name_##name, (void *)&(value), PKVM_PARAM_##type, (perm)}

#define module_param(name, type, perm) module_param_named(name, name, type, perm)

/* Descriptions are for modinfo; libpkvm does not use them. */
#define MODULE_PARM_DESC(name, desc)                                               \
  static const char __pkvm_parm_desc_##name[] __attribute__((__used__, __unused__)) = \
      #name ":" desc

#endif /* _LINUX_MODULEPARAM_H */

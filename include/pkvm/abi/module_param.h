/* File: include/pkvm/abi/module_param.h
 * The descriptor module_param() writes into the EL1 section `__pkvm_param`,
 * one per parameter, read by libpkvm's module loaders (native: through the
 * module descriptor; AArch64 .ko: the section of the relocated image) to set
 * the variable from the kernel command line entry `modname.name=value`
 * before module_init runs (docs/smc-filter.md). The idea of the kernel's
 * `__param` section and struct kernel_param; the layout is libpkvm's own,
 * the same on every 64-bit target:
 *
 *   offset 0  name   NUL-terminated parameter name (without "modname.")
 *   offset 8  arg    the variable
 *   offset 16 type   enum pkvm_param_type
 *   offset 20 perm   the sysfs permission bits given to module_param()
 */
#ifndef PKVM_ABI_MODULE_PARAM_H_
#define PKVM_ABI_MODULE_PARAM_H_

#include "types.h"

#define PKVM_PARAM_SECTION "__pkvm_param"

enum pkvm_param_type {
  PKVM_PARAM_bool = 1,    /* bool: y/Y/1/n/N/0/on/off; a bare "modname.name" is true */
  PKVM_PARAM_int = 2,     /* int, base 0 (0x.. hex, 0.. octal) */
  PKVM_PARAM_uint = 3,    /* unsigned int */
  PKVM_PARAM_long = 4,    /* long */
  PKVM_PARAM_ulong = 5,   /* unsigned long */
  PKVM_PARAM_ullong = 6,  /* unsigned long long */
  PKVM_PARAM_charp = 7,   /* char *: points at a copy of the value */
  PKVM_PARAM_hexint = 8,  /* unsigned int, read like uint */
  PKVM_PARAM_short = 9,   /* short */
  PKVM_PARAM_ushort = 10, /* unsigned short */
  PKVM_PARAM_byte = 11,   /* unsigned char */
};

struct pkvm_module_param {
  const char *name;
  void *arg;
  pkvm_u32 type;
  pkvm_u32 perm;
};

PKVM_ABI_STATIC_ASSERT(sizeof(void *) != 8 || sizeof(struct pkvm_module_param) == 24,
                       "pkvm_module_param layout");

#endif /* PKVM_ABI_MODULE_PARAM_H_ */

/* File: include/pkvm/compat/linux/module.h -- struct module, module_init,
 * THIS_MODULE and MODULE_* for pKVM vendor modules.
 *
 * `struct module` carries what the arm64 loader and pKVM use: the name, the
 * init/exit functions and `arch.hyp` (struct pkvm_el2_module of the module's
 * generation), which pkvm_load_el2_module() fills and pkvm_el2_mod_va() reads.
 *
 *   static int __init my_init(void) { return 0; }
 *   module_init(my_init);
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <pkvm/compat_glue.h>
#include <pkvm/kmodule.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h> /* module_param() */

#define pkvm_el2_module PKVM_GEN_NAME(pkvm_el2_module)

struct mod_arch_specific {
  struct pkvm_el2_module hyp;
};

#define MODULE_NAME_LEN PKVM_MODULE_NAME_LEN

struct module {
  char name[MODULE_NAME_LEN];
  int (*init)(void);
  void (*exit)(void);
  struct mod_arch_specific arch;
};

/* libpkvm's loader reads struct module through the generation's
 * pkvm_kmodule view; these keep the two in lock-step. */
PKVM_ABI_STATIC_ASSERT(sizeof(struct module) == sizeof(struct PKVM_GEN_NAME(pkvm_kmodule)),
                       "compat struct module and pkvm_kmodule view disagree");
PKVM_ABI_STATIC_ASSERT(offsetof(struct module, arch.hyp) ==
                           offsetof(struct PKVM_GEN_NAME(pkvm_kmodule), hyp),
                       "compat struct module and pkvm_kmodule view disagree");

/* module_init(fn): `init_module` aliases fn as in the kernel; the extra
 * pointer is what libpkvm's generated <module>.mod.c picks up. */
#define module_init(initfn)                                            \
  static inline int (*__pkvm_inittest(void))(void) { return initfn; } \
  int init_module(void) __attribute__((__alias__(#initfn)));          \
  int (*const __pkvm_module_init)(void) = initfn
#define module_exit(exitfn)                                             \
  static inline void (*__pkvm_exittest(void))(void) { return exitfn; } \
  void cleanup_module(void) __attribute__((__alias__(#exitfn)));       \
  void (*const __pkvm_module_exit)(void) = exitfn

#define MODULE_INFO(tag, info)                                                      \
  static const char PKVM_CAT(__pkvm_modinfo_##tag, __LINE__)[] __maybe_unused __used = \
      #tag "=" info
#define MODULE_LICENSE(l) MODULE_INFO(license, l)
#define MODULE_AUTHOR(a) MODULE_INFO(author, a)
#define MODULE_DESCRIPTION(d) MODULE_INFO(description, d)
#define MODULE_VERSION(v) MODULE_INFO(version, v)
#define MODULE_ALIAS(a)
#define MODULE_SOFTDEP(s)
#define MODULE_IMPORT_NS(ns)
#define MODULE_DEVICE_TABLE(type, name)

#endif

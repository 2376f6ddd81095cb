/* File: include/pkvm/compat/linux/export.h -- EXPORT_SYMBOL and friends.
 * Kbuild builds nVHE code with __DISABLE_EXPORTS, and EXPORT_SYMBOL_GPL is a
 * build error there. EL1 exports of a module (MODULE defined) are recorded
 * for modules loaded after it (below). */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#if defined(__KVM_NVHE_HYPERVISOR__)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym) \
  _Static_assert(0, "EXPORT_SYMBOL_GPL is not allowed in nVHE hypervisor code")
#elif defined(MODULE)
/* An export is recorded as its name in the
 * module's .pkvm_exports section, in a variable named after it so the
 * build can find it too. Other modules loaded later resolve their calls
 * against it: EXPORT_SYMBOL(kvm_nvhe_sym(fn)) in a module's EL1 code makes
 * its EL2 function fn callable from another module's EL2 code (the Unicorn
 * backend links the call to fn's hyp VA; natively pkvm_add_module() keeps
 * the symbol global, see DEPENDS in cmake/PkvmModule.cmake).
 *
 *   EXPORT_SYMBOL(kvm_nvhe_sym(provider_mix));   // el1.c of the provider
 */
#define __PKVM_EXPORT(sym)                                                         \
  static const char __pkvm_ksymtab_##sym[] __attribute__((section(".pkvm_exports"), \
                                                          used, aligned(1))) = #sym
#define EXPORT_SYMBOL(sym) __PKVM_EXPORT(sym)
#define EXPORT_SYMBOL_GPL(sym) __PKVM_EXPORT(sym)
#define EXPORT_SYMBOL_NS(sym, ns) __PKVM_EXPORT(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns) __PKVM_EXPORT(sym)
#else
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL_NS(sym, ns)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#endif

#ifdef MODULE
struct module;
extern struct module __this_module;
#define THIS_MODULE (&__this_module)
#else
#define THIS_MODULE ((struct module *)0)
#endif

#endif

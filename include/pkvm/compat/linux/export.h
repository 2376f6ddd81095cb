/* File: include/pkvm/compat/linux/export.h -- EXPORT_SYMBOL and friends.
 * Kbuild builds nVHE code with __DISABLE_EXPORTS, and EXPORT_SYMBOL_GPL is a
 * build error there; EL1 exports are recorded nowhere (one process, one
 * namespace) so they expand to nothing. */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#if defined(__KVM_NVHE_HYPERVISOR__)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym) \
  _Static_assert(0, "EXPORT_SYMBOL_GPL is not allowed in nVHE hypervisor code")
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

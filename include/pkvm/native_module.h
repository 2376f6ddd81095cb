/* File: include/pkvm/native_module.h
 * The descriptor of a module built for the native backend.
 *
 * pkvm_add_module(NAME ...) generates NAME.mod.c, which defines
 * `const struct pkvm_native_module pkvm_module_NAME`. A test binary that links
 * the module refers to it with PKVM_NATIVE_MODULE(NAME); the loadable NAME.so
 * also exports it as `pkvm_native_module_entry` for the CLI.
 *
 *   PKVM_DECLARE_NATIVE_MODULE(pkvm_driver);
 *   hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver));
 */
#ifndef PKVM_NATIVE_MODULE_H_
#define PKVM_NATIVE_MODULE_H_

#include <pkvm/abi/el2_module.h>
#include <pkvm/abi/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PKVM_NATIVE_MODULE_MAGIC 0x31646f6d6d766b70ULL /* "pkvmmod1" */
#define PKVM_NATIVE_MODULE_ABI 4u

/* Index of each EL2 section in pkvm_native_module.hyp[]. */
enum pkvm_native_hyp_section {
  PKVM_HYP_TEXT = 0,
  PKVM_HYP_BSS = 1,
  PKVM_HYP_RODATA = 2,
  PKVM_HYP_DATA = 3,
  PKVM_HYP_EVENT_IDS = 4,
  PKVM_NR_HYP_SECTIONS = 5,
};

struct hyp_printk_fmt;
struct pkvm_hyp_event_desc;
struct pkvm_module_param;

/* One EL2 function: offset from the start of .hyp.text, unprefixed name. */
struct pkvm_ftrace_sym {
  unsigned long offset;
  const char *name;
};

struct pkvm_native_module {
  pkvm_u64 magic;            /* PKVM_NATIVE_MODULE_MAGIC */
  pkvm_u32 abi_version;      /* PKVM_NATIVE_MODULE_ABI */
  pkvm_u32 generation;       /* 14, 15, 16 or 17 */
  pkvm_u32 list_hardened;    /* built with CONFIG_LIST_HARDENED */
  pkvm_u32 reserved;
  const char *name;          /* KBUILD_MODNAME of the EL1 part */
  void *this_module;         /* its `struct module` (generation layout) */
  /* What module_init()/module_exit() recorded, or NULL without them. */
  int (*const *init)(void);
  void (*const *exit)(void);
  /* Start/end of each .hyp.* section as linked into this binary; start == end
   * for an empty or absent section. */
  struct pkvm_module_section hyp[PKVM_NR_HYP_SECTIONS];
  /* Tracing (ABI 2): event descriptors, trace_hyp_printk formats and the
   * loader-filled first format id, EL2 functions sorted by offset (ended
   * by a NULL name). */
  const struct pkvm_hyp_event_desc *hyp_events;
  const struct pkvm_hyp_event_desc *hyp_events_end;
  const struct hyp_printk_fmt *printk_fmts;
  const struct hyp_printk_fmt *printk_fmts_end;
  pkvm_u8 *printk_fmt_offset;
  const struct pkvm_ftrace_sym *ftrace_syms;
  /* ABI 3: the AArch64 build of the same module (NAME.ko) when the build
   * made one, else NULL: what OfferModule() loads on the Unicorn backend. */
  const char *ko_path;
  /* ABI 4: the module_param() descriptors of the EL1 part
   * (pkvm/abi/module_param.h), [params, params_end); NULL without any. */
  const struct pkvm_module_param *params;
  const struct pkvm_module_param *params_end;
  /* ABI 4 too: the modules whose exports this one uses,
   * comma-separated ("" for none); they must be loaded before it. */
  const char *depends;
};

/* What NAME.so exports (`pkvm_native_module_unavailable`) instead of
 * `pkvm_native_module_entry` when the module cannot run natively: its EL2
 * part has AArch64 assembly. The native backend refuses it with `reason`,
 * naming `ko_path`, the AArch64 build to run on the Unicorn backend. */
struct pkvm_native_module_unavailable {
  pkvm_u64 magic;          /* PKVM_NATIVE_MODULE_MAGIC */
  const char *name;        /* KBUILD_MODNAME */
  pkvm_u32 generation;     /* 14, 15, 16 or 17 */
  const char *reason;      /* what to do, for the error message */
  const char *ko_path;     /* NAME.ko, or NULL when none was built */
};

#define PKVM_DECLARE_NATIVE_MODULE(target) \
  extern const struct pkvm_native_module pkvm_module_##target
#define PKVM_NATIVE_MODULE(target) (pkvm_module_##target)

#ifdef __cplusplus
}
#endif

#endif /* PKVM_NATIVE_MODULE_H_ */

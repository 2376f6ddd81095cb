/* File: include/pkvm/abi/el2_module.h
 * `struct pkvm_el2_module` (THIS_MODULE->arch.hyp), one layout per generation.
 *
 * This struct lives in EL1 memory inside `struct module`; it is not part of
 * the ops table, but out-of-tree modules depend on its layout because
 * pkvm_load_el2_module() writes `init` and pkvm_el2_mod_va() reads
 * text / sections / hyp_va at fixed offsets. Natural LP64 alignment: every
 * `unsigned int` followed by an 8-byte member carries 4 bytes of padding.
 *
 *   struct pkvm_el2_module_a15 hyp = {0};
 *   hyp.init = my_el2_init;   // int my_el2_init(const struct pkvm_module_ops_a15 *)
 */
#ifndef PKVM_ABI_EL2_MODULE_H_
#define PKVM_ABI_EL2_MODULE_H_

#include "types.h"
#include "module_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One [start, end) span of the module's EL2 image (EL1 addresses). */
struct pkvm_module_section {
  void *start;
  void *end;
};

/* Self-relative offset to a 64-bit slot holding an EL1 VA inside the image. */
typedef pkvm_s32 kvm_nvhe_reloc_t;

/* Layout twin of the kernel's list_head. Named apart so that the compat
 * headers remain free to define `struct list_head` itself. */
struct pkvm_list_head {
  struct pkvm_list_head *next, *prev;
};

/* EL1 descriptors referenced by pointer only. */
struct hyp_event;
struct hyp_printk_fmt;

/* A14 (android14-6.1) */
struct pkvm_el2_module_a14 {
  struct pkvm_module_section text;
  struct pkvm_module_section bss;
  struct pkvm_module_section rodata;
  struct pkvm_module_section data;
  kvm_nvhe_reloc_t *relocs;
  unsigned int nr_relocs;
  int (*init)(const struct pkvm_module_ops_a14 *ops);
};

/* A15 (android15-6.6) */
struct pkvm_el2_module_a15 {
  struct pkvm_module_section text;
  struct pkvm_module_section bss;
  struct pkvm_module_section rodata;
  struct pkvm_module_section data;
  struct pkvm_module_section event_ids;
  struct pkvm_module_section sections; /* whole-image span */
  struct hyp_event *hyp_events;
  unsigned int nr_hyp_events;
  kvm_nvhe_reloc_t *relocs;
  struct pkvm_list_head node;
  unsigned long token;
  unsigned int nr_relocs;
  int (*init)(const struct pkvm_module_ops_a15 *ops);
};

/* A16 (android16-6.12); A17 (provisional) keeps the layout: the post-6.12
 * loader reads the same fields (post-a16.md 1.4), only init's table differs. */
#define PKVM_EL2_MODULE_A16_LAYOUT_(gen)                                              \
  struct pkvm_el2_module_##gen {                                                      \
    struct pkvm_module_section text;                                                  \
    struct pkvm_module_section bss;                                                   \
    struct pkvm_module_section rodata;                                                \
    struct pkvm_module_section data;                                                  \
    struct pkvm_module_section event_ids;                                             \
    struct pkvm_module_section patchable_function_entries;                            \
    struct pkvm_module_section sections; /* whole-image span */                       \
    void *hyp_va;                                                                     \
    struct hyp_event *hyp_events;                                                     \
    struct hyp_printk_fmt *hyp_printk_fmts;                                           \
    unsigned int nr_hyp_events;                                                       \
    unsigned int nr_hyp_printk_fmts;                                                  \
    kvm_nvhe_reloc_t *relocs;                                                         \
    struct pkvm_list_head node;                                                       \
    /* list of the kernel's struct pkvm_el2_sym { char *name; __le32 *rela_pos;       \
     * struct list_head node; }, one per external (core hypervisor) symbol */         \
    struct pkvm_list_head ext_symbols;                                                \
    unsigned int nr_relocs;                                                           \
    int (*init)(const struct pkvm_module_ops_##gen *ops);                             \
  }
PKVM_EL2_MODULE_A16_LAYOUT_(a16);
PKVM_EL2_MODULE_A16_LAYOUT_(a17);
#undef PKVM_EL2_MODULE_A16_LAYOUT_

/* ---- Layout checks (offsets computed by hand) ----------------------------- */

#define PKVM_EL2_MOD_AT_(gen, member, off)                                              \
  PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_el2_module_##gen, member) == (off), \
                         "pkvm_el2_module_" #gen "." #member " offset")

PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_section) == 16, "section is two pointers");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_module_section, end) == 8, "section.end");
PKVM_ABI_STATIC_ASSERT(sizeof(kvm_nvhe_reloc_t) == 4, "kvm_nvhe_reloc_t is s32");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_list_head) == 16, "list_head is two pointers");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_list_head, prev) == 8, "list_head.prev");

/* A14 */
PKVM_EL2_MOD_AT_(a14, text, 0);
PKVM_EL2_MOD_AT_(a14, bss, 16);
PKVM_EL2_MOD_AT_(a14, rodata, 32);
PKVM_EL2_MOD_AT_(a14, data, 48);
PKVM_EL2_MOD_AT_(a14, relocs, 64);
PKVM_EL2_MOD_AT_(a14, nr_relocs, 72);
PKVM_EL2_MOD_AT_(a14, init, 80); /* 4 bytes padding after nr_relocs */
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_el2_module_a14) == 88, "pkvm_el2_module_a14 size");

/* A15 */
PKVM_EL2_MOD_AT_(a15, text, 0);
PKVM_EL2_MOD_AT_(a15, bss, 16);
PKVM_EL2_MOD_AT_(a15, rodata, 32);
PKVM_EL2_MOD_AT_(a15, data, 48);
PKVM_EL2_MOD_AT_(a15, event_ids, 64);
PKVM_EL2_MOD_AT_(a15, sections, 80);
PKVM_EL2_MOD_AT_(a15, hyp_events, 96);
PKVM_EL2_MOD_AT_(a15, nr_hyp_events, 104);
PKVM_EL2_MOD_AT_(a15, relocs, 112); /* 4 bytes padding after nr_hyp_events */
PKVM_EL2_MOD_AT_(a15, node, 120);
PKVM_EL2_MOD_AT_(a15, token, 136);
PKVM_EL2_MOD_AT_(a15, nr_relocs, 144);
PKVM_EL2_MOD_AT_(a15, init, 152); /* 4 bytes padding after nr_relocs */
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_el2_module_a15) == 160, "pkvm_el2_module_a15 size");

/* A16 */
PKVM_EL2_MOD_AT_(a16, text, 0);
PKVM_EL2_MOD_AT_(a16, bss, 16);
PKVM_EL2_MOD_AT_(a16, rodata, 32);
PKVM_EL2_MOD_AT_(a16, data, 48);
PKVM_EL2_MOD_AT_(a16, event_ids, 64);
PKVM_EL2_MOD_AT_(a16, patchable_function_entries, 80);
PKVM_EL2_MOD_AT_(a16, sections, 96);
PKVM_EL2_MOD_AT_(a16, hyp_va, 112);
PKVM_EL2_MOD_AT_(a16, hyp_events, 120);
PKVM_EL2_MOD_AT_(a16, hyp_printk_fmts, 128);
PKVM_EL2_MOD_AT_(a16, nr_hyp_events, 136);
PKVM_EL2_MOD_AT_(a16, nr_hyp_printk_fmts, 140); /* the two u32 share one 8-byte slot */
PKVM_EL2_MOD_AT_(a16, relocs, 144);
PKVM_EL2_MOD_AT_(a16, node, 152);
PKVM_EL2_MOD_AT_(a16, ext_symbols, 168);
PKVM_EL2_MOD_AT_(a16, nr_relocs, 184);
PKVM_EL2_MOD_AT_(a16, init, 192); /* 4 bytes padding after nr_relocs */
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_el2_module_a16) == 200, "pkvm_el2_module_a16 size");
PKVM_EL2_MOD_AT_(a17, sections, 96);
PKVM_EL2_MOD_AT_(a17, hyp_va, 112);
PKVM_EL2_MOD_AT_(a17, init, 192);
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_el2_module_a17) == 200, "pkvm_el2_module_a17 size");

#undef PKVM_EL2_MOD_AT_

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_EL2_MODULE_H_ */

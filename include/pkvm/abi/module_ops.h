/* File: include/pkvm/abi/module_ops.h
 * The table of hypervisor services an EL2 vendor module's init() receives
 * (`struct pkvm_module_ops`), one exact layout per Android generation
 * (A17's is provisional: see its section).
 *
 * Each table is a flat array of 8-byte function pointers in a fixed order,
 * followed by 32 Android KABI slots. A slot consumed after the KMI freeze is an
 * anonymous union of the new member and its `android_kabi_reservedN` u64, so no
 * offset ever moves. Member names are the kernel's, verbatim. The two
 * CONFIG_LIST_HARDENED list-check members (A15, A16) exist only when
 * PKVM_CONFIG_LIST_HARDENED is defined (off by default); they shift every
 * later offset by two slots. PKVM_OPS_LH_SLOTS is 2 or 0 accordingly.
 *
 *   static int my_init(const struct pkvm_module_ops_a15 *ops) {
 *     ops->puts("hello from EL2");
 *     return ops->register_host_smc_handler(my_smc_handler);
 *   }
 */
#ifndef PKVM_ABI_MODULE_OPS_H_
#define PKVM_ABI_MODULE_OPS_H_

#include "types.h"
#include "ptrace.h"
#include "pgtable_prot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Build-time switch: the android16-6.12 KMI level ---------------------- */
/* Module code picks the A16 KMI it is built for with -DPKVM_A16_KMI=<n>
 * (compat_glue.h defaults it to 0): 0 = the verified table, 1 = + the
 * device_register_power_lock slot, 2 = + get_time and the guest SMC handler
 * returning enum pkvm_smc_handler_ret. Members above the level are not
 * declared, so a module using one fails to compile naming it. Without
 * PKVM_A16_KMI (libpkvm itself) every member is declared; the machine fills
 * them per HypervisorOptions::a16_kmi. No level moves an offset. */
#ifdef PKVM_A16_KMI
#define PKVM_A16_KMI_HAS_(level) (PKVM_A16_KMI >= (level))
#else
#define PKVM_A16_KMI_HAS_(level) 1
#endif

/* ---- Build-time switch: CONFIG_LIST_HARDENED ------------------------------ */

#ifdef PKVM_CONFIG_LIST_HARDENED
#define PKVM_OPS_LH_SLOTS 2
#else
#define PKVM_OPS_LH_SLOTS 0
#endif

/* Named-member counts (spec 1.2-1.4) and the KABI padding that follows them. */
#define PKVM_OPS_NR_KABI_SLOTS 32
#define PKVM_OPS_A14_NR_NAMED 32
#define PKVM_OPS_A15_NR_NAMED (52 + PKVM_OPS_LH_SLOTS)
#define PKVM_OPS_A16_NR_NAMED (59 + PKVM_OPS_LH_SLOTS)
#define PKVM_OPS_A17_NR_NAMED (57 + PKVM_OPS_LH_SLOTS)

/* ---- Related types -------------------------------------------------------- */

enum pkvm_psci_notification {
  PKVM_PSCI_CPU_SUSPEND = 0,
  PKVM_PSCI_SYSTEM_SUSPEND = 1,
  PKVM_PSCI_CPU_ENTRY = 2,
};

/* Opaque to modules through this table; only pointers to them cross the ABI. */
struct kvm_hyp_iommu;
struct kvm_hyp_req;
struct iommu_iotlb_gather;
struct kvm_hyp_iommu_domain;
struct kvm_iommu_paddr_cache;
struct arm_smccc_1_2_regs;
struct arm_smccc_res;
struct list_head;
/* A17: a hypervisor power domain (<kvm/power_domain.h>) and the driver ops
 * pKVM calls on it (<nvhe/pkvm.h>: power_on at +0, power_off at +8). */
struct kvm_power_domain;
struct kvm_power_domain_ops;

/* A16: one entry per physically contiguous 2^order-page chunk. */
struct pkvm_sglist_page {
  pkvm_u64 pfn : 40;
  pkvm_u8 order;
} __attribute__((packed));

/* The kernel's uuid_t: 16 raw bytes. */
struct pkvm_uuid {
  pkvm_u8 b[16];
};

/* A16: guest SMCCC TRNG backend (register_guest_trng_ops). */
struct pkvm_module_trng_ops {
  const struct pkvm_uuid *trng_uuid;
  int (*trng_rnd64)(pkvm_u64 *entropy, int bits);
  pkvm_u64 android_kabi_reserved1;
  pkvm_u64 android_kabi_reserved2;
};

/* ---- Callback types ------------------------------------------------------- */
/* A14 handlers get the whole kvm_cpu_context; A15 and A16 get user_pt_regs. */

typedef void (*pkvm_dyn_hcall_a14_t)(struct kvm_cpu_context *host_ctxt);
typedef void (*pkvm_dyn_hcall_a15_t)(struct user_pt_regs *regs);
typedef pkvm_dyn_hcall_a15_t pkvm_dyn_hcall_a16_t;

/* Host stage-2 permission-fault handler. */
typedef int (*pkvm_host_fault_cb_a14_t)(struct kvm_cpu_context *host_ctxt, pkvm_u64 esr,
                                        pkvm_u64 addr);
typedef int (*pkvm_host_fault_cb_a15_t)(struct user_pt_regs *regs, pkvm_u64 esr, pkvm_u64 addr);
typedef pkvm_host_fault_cb_a15_t pkvm_host_fault_cb_a16_t;

/* Host SMC handler; the default trap handler has the same type. */
typedef PKVM_ABI_BOOL (*pkvm_host_smc_cb_a14_t)(struct kvm_cpu_context *host_ctxt);
typedef PKVM_ABI_BOOL (*pkvm_host_smc_cb_a15_t)(struct user_pt_regs *regs);
typedef pkvm_host_smc_cb_a15_t pkvm_host_smc_cb_a16_t;
typedef pkvm_host_smc_cb_a16_t pkvm_host_smc_cb_a17_t;
typedef pkvm_host_smc_cb_a14_t pkvm_default_trap_cb_a14_t;
typedef pkvm_host_smc_cb_a15_t pkvm_default_trap_cb_a15_t;
typedef pkvm_host_smc_cb_a16_t pkvm_default_trap_cb_a16_t;

/* Illegal-abort notifier; the hyp-panic notifier has the same type. */
typedef void (*pkvm_illegal_abt_cb_a14_t)(struct kvm_cpu_context *host_ctxt);
typedef void (*pkvm_illegal_abt_cb_a15_t)(struct user_pt_regs *regs);
typedef pkvm_illegal_abt_cb_a15_t pkvm_illegal_abt_cb_a16_t;
typedef pkvm_illegal_abt_cb_a14_t pkvm_hyp_panic_cb_a14_t;
typedef pkvm_illegal_abt_cb_a15_t pkvm_hyp_panic_cb_a15_t;
typedef pkvm_illegal_abt_cb_a16_t pkvm_hyp_panic_cb_a16_t;

/* PSCI notifier. */
typedef void (*pkvm_psci_cb_a14_t)(enum pkvm_psci_notification notif,
                                   struct kvm_cpu_context *host_ctxt);
typedef void (*pkvm_psci_cb_a15_t)(enum pkvm_psci_notification notif, struct user_pt_regs *regs);
typedef pkvm_psci_cb_a15_t pkvm_psci_cb_a16_t;
/* A17 handlers and notifiers have A16's types (user_pt_regs). */
typedef pkvm_dyn_hcall_a16_t pkvm_dyn_hcall_a17_t;

/* Guest SMC handler (A15 KABI slot 4, A16 named member): `res` changed type. */
typedef PKVM_ABI_BOOL (*pkvm_guest_smc_cb_a15_t)(struct arm_smccc_1_2_regs *regs,
                                                 struct arm_smccc_res *res, pkvm_handle_t handle);
typedef PKVM_ABI_BOOL (*pkvm_guest_smc_cb_a16_t)(struct arm_smccc_1_2_regs *regs,
                                                 struct arm_smccc_1_2_regs *res,
                                                 pkvm_handle_t handle);

/* A16 KMI level 2 (PKVM_A16_KMI=2): the guest SMC handler says what it did
 * instead of returning a bool (note: HANDLED is 0, NOT_HANDLED 1), and the
 * handlers form a chain. The table member keeps its slot; the callback's
 * return value is read as this enum. */
#if PKVM_A16_KMI_HAS_(2)
enum pkvm_smc_handler_ret {
  GUEST_SMC_HANDLED = 0,
  GUEST_SMC_NOT_HANDLED = 1,
  GUEST_SMC_NEED_TOPUP = 2,
};
typedef enum pkvm_smc_handler_ret (*pkvm_guest_smc_cb_a16_kmi2_t)(
    struct arm_smccc_1_2_regs *regs, struct arm_smccc_1_2_regs *res, pkvm_handle_t handle);
#endif

/* Generation-independent callbacks (same type wherever the member exists). */
typedef void (*pkvm_serial_putc_cb_t)(char c);
typedef PKVM_ABI_BOOL (*pkvm_unmask_serror_cb_t)(void);
typedef void (*pkvm_mask_serror_cb_t)(void);
typedef int (*pkvm_device_reset_cb_t)(void *cookie, PKVM_ABI_BOOL host_to_guest);
typedef int (*pkvm_device_power_lock_cb_t)(void *cookie, PKVM_ABI_BOOL lock);

/* ---- A14 (android14-6.1), spec 1.2 ---------------------------------------- */

struct pkvm_module_ops_a14 {
  int (*create_private_mapping)(pkvm_phys_addr_t phys, pkvm_size_t size,
                                enum kvm_pgtable_prot prot, unsigned long *haddr);
  void *(*alloc_module_va)(pkvm_u64 nr_pages);
  int (*map_module_page)(pkvm_u64 pfn, void *va, enum kvm_pgtable_prot prot,
                         PKVM_ABI_BOOL is_protected);
  int (*register_serial_driver)(pkvm_serial_putc_cb_t hyp_putc_cb);
  void (*puts)(const char *str);
  void (*putx64)(pkvm_u64 num);
  void *(*fixmap_map)(pkvm_phys_addr_t phys);
  void (*fixmap_unmap)(void);
  void *(*linear_map_early)(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot);
  void (*linear_unmap_early)(void *addr, pkvm_size_t size);
  void (*flush_dcache_to_poc)(void *addr, pkvm_size_t size);
  void (*update_hcr_el2)(unsigned long set_mask, unsigned long clear_mask);
  void (*update_hfgwtr_el2)(unsigned long set_mask, unsigned long clear_mask);
  int (*register_host_perm_fault_handler)(pkvm_host_fault_cb_a14_t cb);
  int (*host_stage2_mod_prot)(pkvm_u64 pfn, enum kvm_pgtable_prot prot);
  int (*host_stage2_get_leaf)(pkvm_phys_addr_t phys, pkvm_kvm_pte_t *ptep, pkvm_u32 *level);
  int (*register_host_smc_handler)(pkvm_host_smc_cb_a14_t cb);
  int (*register_default_trap_handler)(pkvm_default_trap_cb_a14_t cb);
  int (*register_illegal_abt_notifier)(pkvm_illegal_abt_cb_a14_t cb);
  int (*register_psci_notifier)(pkvm_psci_cb_a14_t cb);
  int (*register_hyp_panic_notifier)(pkvm_hyp_panic_cb_a14_t cb);
  int (*host_donate_hyp)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*hyp_donate_host)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*host_share_hyp)(pkvm_u64 pfn);
  int (*host_unshare_hyp)(pkvm_u64 pfn);
  int (*pin_shared_mem)(void *from, void *to);
  void (*unpin_shared_mem)(void *from, void *to);
  void *(*memcpy)(void *to, const void *from, pkvm_size_t count);
  void *(*memset)(void *dst, int c, pkvm_size_t count);
  pkvm_phys_addr_t (*hyp_pa)(void *x);
  void *(*hyp_va)(pkvm_phys_addr_t phys);
  unsigned long (*kern_hyp_va)(unsigned long x);

  /* ACK consumes slot 1 only (Pixel's downstream slot-2 use is not modelled). */
  union {
    int (*host_stage2_mod_prot_range)(pkvm_u64 pfn, enum kvm_pgtable_prot prot,
                                      pkvm_u64 nr_pages);
    pkvm_u64 android_kabi_reserved1;
  };
  pkvm_u64 android_kabi_reserved2;
  pkvm_u64 android_kabi_reserved3;
  pkvm_u64 android_kabi_reserved4;
  pkvm_u64 android_kabi_reserved5;
  pkvm_u64 android_kabi_reserved6;
  pkvm_u64 android_kabi_reserved7;
  pkvm_u64 android_kabi_reserved8;
  pkvm_u64 android_kabi_reserved9;
  pkvm_u64 android_kabi_reserved10;
  pkvm_u64 android_kabi_reserved11;
  pkvm_u64 android_kabi_reserved12;
  pkvm_u64 android_kabi_reserved13;
  pkvm_u64 android_kabi_reserved14;
  pkvm_u64 android_kabi_reserved15;
  pkvm_u64 android_kabi_reserved16;
  pkvm_u64 android_kabi_reserved17;
  pkvm_u64 android_kabi_reserved18;
  pkvm_u64 android_kabi_reserved19;
  pkvm_u64 android_kabi_reserved20;
  pkvm_u64 android_kabi_reserved21;
  pkvm_u64 android_kabi_reserved22;
  pkvm_u64 android_kabi_reserved23;
  pkvm_u64 android_kabi_reserved24;
  pkvm_u64 android_kabi_reserved25;
  pkvm_u64 android_kabi_reserved26;
  pkvm_u64 android_kabi_reserved27;
  pkvm_u64 android_kabi_reserved28;
  pkvm_u64 android_kabi_reserved29;
  pkvm_u64 android_kabi_reserved30;
  pkvm_u64 android_kabi_reserved31;
  pkvm_u64 android_kabi_reserved32;
};

/* ---- A15 (android15-6.6), spec 1.3 ---------------------------------------- */

struct pkvm_module_ops_a15 {
  int (*create_private_mapping)(pkvm_phys_addr_t phys, pkvm_size_t size,
                                enum kvm_pgtable_prot prot, unsigned long *haddr);
  void *(*alloc_module_va)(pkvm_u64 nr_pages);
  int (*map_module_page)(pkvm_u64 pfn, void *va, enum kvm_pgtable_prot prot,
                         PKVM_ABI_BOOL is_protected);
  int (*register_serial_driver)(pkvm_serial_putc_cb_t hyp_putc_cb);
  void (*putc)(char c);
  void (*puts)(const char *str);
  void (*putx64)(pkvm_u64 num);
  void *(*fixmap_map)(pkvm_phys_addr_t phys);
  void (*fixmap_unmap)(void);
  void *(*linear_map_early)(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot);
  void (*linear_unmap_early)(void *addr, pkvm_size_t size);
  void (*flush_dcache_to_poc)(void *addr, pkvm_size_t size);
  void (*update_hcr_el2)(unsigned long set_mask, unsigned long clear_mask);
  void (*update_hfgwtr_el2)(unsigned long set_mask, unsigned long clear_mask);
  int (*register_host_perm_fault_handler)(pkvm_host_fault_cb_a15_t cb);
  int (*host_stage2_mod_prot)(pkvm_u64 pfn, enum kvm_pgtable_prot prot, pkvm_u64 nr_pages,
                              PKVM_ABI_BOOL update_iommu);
  int (*host_stage2_get_leaf)(pkvm_phys_addr_t phys, pkvm_kvm_pte_t *ptep, pkvm_u32 *level);
  int (*register_host_smc_handler)(pkvm_host_smc_cb_a15_t cb);
  int (*register_default_trap_handler)(pkvm_default_trap_cb_a15_t cb);
  int (*register_illegal_abt_notifier)(pkvm_illegal_abt_cb_a15_t cb);
  int (*register_psci_notifier)(pkvm_psci_cb_a15_t cb);
  int (*register_hyp_panic_notifier)(pkvm_hyp_panic_cb_a15_t cb);
  int (*register_unmask_serror)(pkvm_unmask_serror_cb_t unmask, pkvm_mask_serror_cb_t mask);
  int (*host_donate_hyp)(pkvm_u64 pfn, pkvm_u64 nr_pages, PKVM_ABI_BOOL accept_mmio);
  int (*host_donate_hyp_prot)(pkvm_u64 pfn, pkvm_u64 nr_pages, PKVM_ABI_BOOL accept_mmio,
                              enum kvm_pgtable_prot prot);
  int (*hyp_donate_host)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*host_share_hyp)(pkvm_u64 pfn);
  int (*host_unshare_hyp)(pkvm_u64 pfn);
  int (*pin_shared_mem)(void *from, void *to);
  void (*unpin_shared_mem)(void *from, void *to);
  void *(*memcpy)(void *to, const void *from, pkvm_size_t count);
  void *(*memset)(void *dst, int c, pkvm_size_t count);
  pkvm_phys_addr_t (*hyp_pa)(void *x);
  void *(*hyp_va)(pkvm_phys_addr_t phys);
  unsigned long (*kern_hyp_va)(unsigned long x);
  void *(*hyp_alloc)(pkvm_size_t size);
  int (*hyp_alloc_errno)(void);
  void (*hyp_free)(void *addr);
  void *(*iommu_donate_pages)(pkvm_u8 order, PKVM_ABI_BOOL request);
  void (*iommu_reclaim_pages)(void *p, pkvm_u8 order);
  int (*iommu_request)(struct kvm_hyp_req *req);
  int (*iommu_init_device)(struct kvm_hyp_iommu *iommu);
  void (*udelay)(unsigned long usecs);
  pkvm_u8 (*hyp_alloc_missing_donations)(void);
#ifdef PKVM_CONFIG_LIST_HARDENED
  PKVM_ABI_BOOL (*list_add_valid_or_report)(struct list_head *new_entry, struct list_head *prev,
                                            struct list_head *next);
  PKVM_ABI_BOOL (*list_del_entry_valid_or_report)(struct list_head *entry);
#endif
  void (*iommu_iotlb_gather_add_page)(struct kvm_hyp_iommu_domain *domain,
                                      struct iommu_iotlb_gather *gather, unsigned long iova,
                                      pkvm_size_t size);
  int (*register_hyp_event_ids)(unsigned long start, unsigned long end);
  void *(*tracing_reserve_entry)(unsigned long length);
  void (*tracing_commit_entry)(void);
  void *(*iommu_donate_pages_atomic)(pkvm_u8 order);
  void (*iommu_reclaim_pages_atomic)(void *p, pkvm_u8 order);
  int (*iommu_snapshot_host_stage2)(struct kvm_hyp_iommu_domain *domain);
  int (*hyp_smp_processor_id)(void);

  union {
    void (*iommu_flush_unmap_cache)(struct kvm_iommu_paddr_cache *cache);
    pkvm_u64 android_kabi_reserved1;
  };
  union {
    int (*host_stage2_enable_lazy_pte)(pkvm_u64 addr, pkvm_u64 nr_pages);
    pkvm_u64 android_kabi_reserved2;
  };
  union {
    int (*host_stage2_disable_lazy_pte)(pkvm_u64 addr, pkvm_u64 nr_pages);
    pkvm_u64 android_kabi_reserved3;
  };
  union {
    int (*register_guest_smc_handler)(pkvm_guest_smc_cb_a15_t cb, pkvm_handle_t handle);
    pkvm_u64 android_kabi_reserved4;
  };
  union {
    int (*guest_stage2_pa)(pkvm_handle_t handle, pkvm_u64 ipa, pkvm_phys_addr_t *phys);
    pkvm_u64 android_kabi_reserved5;
  };
  pkvm_u64 android_kabi_reserved6;
  pkvm_u64 android_kabi_reserved7;
  pkvm_u64 android_kabi_reserved8;
  pkvm_u64 android_kabi_reserved9;
  pkvm_u64 android_kabi_reserved10;
  pkvm_u64 android_kabi_reserved11;
  pkvm_u64 android_kabi_reserved12;
  pkvm_u64 android_kabi_reserved13;
  pkvm_u64 android_kabi_reserved14;
  pkvm_u64 android_kabi_reserved15;
  pkvm_u64 android_kabi_reserved16;
  pkvm_u64 android_kabi_reserved17;
  pkvm_u64 android_kabi_reserved18;
  pkvm_u64 android_kabi_reserved19;
  pkvm_u64 android_kabi_reserved20;
  pkvm_u64 android_kabi_reserved21;
  pkvm_u64 android_kabi_reserved22;
  pkvm_u64 android_kabi_reserved23;
  pkvm_u64 android_kabi_reserved24;
  pkvm_u64 android_kabi_reserved25;
  pkvm_u64 android_kabi_reserved26;
  pkvm_u64 android_kabi_reserved27;
  pkvm_u64 android_kabi_reserved28;
  pkvm_u64 android_kabi_reserved29;
  pkvm_u64 android_kabi_reserved30;
  pkvm_u64 android_kabi_reserved31;
  pkvm_u64 android_kabi_reserved32;
};

/* ---- A16 (android16-6.12), spec 1.4 --------------------------------------- */

struct pkvm_module_ops_a16 {
  int (*create_private_mapping)(pkvm_phys_addr_t phys, pkvm_size_t size,
                                enum kvm_pgtable_prot prot, unsigned long *haddr);
  void *(*alloc_module_va)(pkvm_u64 nr_pages);
  int (*map_module_page)(pkvm_u64 pfn, void *va, enum kvm_pgtable_prot prot,
                         PKVM_ABI_BOOL is_protected);
  int (*register_serial_driver)(pkvm_serial_putc_cb_t hyp_putc_cb);
  void (*putc)(char c);
  void (*puts)(const char *str);
  void (*putx64)(pkvm_u64 num);
  void *(*fixmap_map)(pkvm_phys_addr_t phys);
  void (*fixmap_unmap)(void);
  void *(*fixblock_map)(pkvm_phys_addr_t phys);
  void (*fixblock_unmap)(void);
  void *(*linear_map_early)(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot);
  void (*linear_unmap_early)(void *addr, pkvm_size_t size);
  void (*flush_dcache_to_poc)(void *addr, pkvm_size_t size);
  void (*update_hcr_el2)(unsigned long set_mask, unsigned long clear_mask);
  void (*update_hfgwtr_el2)(unsigned long set_mask, unsigned long clear_mask);
  int (*register_host_perm_fault_handler)(pkvm_host_fault_cb_a16_t cb);
  int (*host_stage2_mod_prot)(pkvm_u64 pfn, enum kvm_pgtable_prot prot, pkvm_u64 nr_pages,
                              PKVM_ABI_BOOL update_iommu);
  int (*host_stage2_get_leaf)(pkvm_phys_addr_t phys, pkvm_kvm_pte_t *ptep, pkvm_s8 *level);
  /* Deprecated in A16: WARN and return -EPERM. */
  int (*host_stage2_enable_lazy_pte)(pkvm_u64 addr, pkvm_u64 nr_pages);
  int (*host_stage2_disable_lazy_pte)(pkvm_u64 addr, pkvm_u64 nr_pages);
  int (*register_host_smc_handler)(pkvm_host_smc_cb_a16_t cb);
#if defined(PKVM_A16_KMI) && PKVM_A16_KMI >= 2
  int (*register_guest_smc_handler)(pkvm_guest_smc_cb_a16_kmi2_t cb);
#else
  int (*register_guest_smc_handler)(pkvm_guest_smc_cb_a16_t cb);
#endif
  int (*register_default_trap_handler)(pkvm_default_trap_cb_a16_t cb);
  int (*register_illegal_abt_notifier)(pkvm_illegal_abt_cb_a16_t cb);
  int (*register_psci_notifier)(pkvm_psci_cb_a16_t cb);
  int (*register_hyp_panic_notifier)(pkvm_hyp_panic_cb_a16_t cb);
  int (*register_unmask_serror)(pkvm_unmask_serror_cb_t unmask, pkvm_mask_serror_cb_t mask);
  int (*host_donate_hyp)(pkvm_u64 pfn, pkvm_u64 nr_pages, PKVM_ABI_BOOL accept_mmio);
  int (*host_donate_hyp_prot)(pkvm_u64 pfn, pkvm_u64 nr_pages, PKVM_ABI_BOOL accept_mmio,
                              enum kvm_pgtable_prot prot);
  int (*host_donate_sglist_hyp)(struct pkvm_sglist_page *sglist, pkvm_size_t nr_pages);
  int (*hyp_donate_host)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*host_share_hyp)(pkvm_u64 pfn);
  int (*host_unshare_hyp)(pkvm_u64 pfn);
  int (*pin_shared_mem)(void *from, void *to);
  void (*unpin_shared_mem)(void *from, void *to);
  void *(*memcpy)(void *to, const void *from, pkvm_size_t count);
  void *(*memset)(void *dst, int c, pkvm_size_t count);
  pkvm_phys_addr_t (*hyp_pa)(void *x);
  void *(*hyp_va)(pkvm_phys_addr_t phys);
  unsigned long (*kern_hyp_va)(unsigned long x);
  void *(*tracing_reserve_entry)(unsigned long length);
  void (*tracing_commit_entry)(void);
  void (*tracing_mod_hyp_printk)(pkvm_u8 fmt_id, pkvm_u64 a, pkvm_u64 b, pkvm_u64 c, pkvm_u64 d);
  void *(*hyp_alloc)(pkvm_size_t size);
  int (*hyp_alloc_errno)(void);
  void (*hyp_free)(void *addr);
  pkvm_u8 (*hyp_alloc_missing_donations)(void);
  void *(*iommu_donate_pages)(pkvm_u8 order, int flags);
  void (*iommu_reclaim_pages)(void *p, pkvm_u8 order);
  int (*iommu_init_device)(struct kvm_hyp_iommu *iommu);
  void (*udelay)(unsigned long usecs);
  void (*iommu_iotlb_gather_add_page)(struct kvm_hyp_iommu_domain *domain,
                                      struct iommu_iotlb_gather *gather, unsigned long iova,
                                      pkvm_size_t size);
  int (*pkvm_unuse_dma)(pkvm_phys_addr_t phys_addr, pkvm_size_t size);
#ifdef PKVM_CONFIG_LIST_HARDENED
  PKVM_ABI_BOOL (*list_add_valid_or_report)(struct list_head *new_entry, struct list_head *prev,
                                            struct list_head *next);
  PKVM_ABI_BOOL (*list_del_entry_valid_or_report)(struct list_head *entry);
#endif
  int (*iommu_snapshot_host_stage2)(struct kvm_hyp_iommu_domain *domain);
  void *(*iommu_donate_pages_atomic)(pkvm_u8 order);
  void (*iommu_reclaim_pages_atomic)(void *p, pkvm_u8 order);
  int (*hyp_smp_processor_id)(void);
  int (*device_register_reset)(pkvm_u64 phys, void *cookie, pkvm_device_reset_cb_t cb);

  union {
    int (*register_guest_trng_ops)(const struct pkvm_module_trng_ops *ops);
    pkvm_u64 android_kabi_reserved1;
  };
  union {
    int (*map_module_pages)(pkvm_u64 pfn, void *va, pkvm_u64 nr_pages,
                            enum kvm_pgtable_prot prot, PKVM_ABI_BOOL is_protected);
    pkvm_u64 android_kabi_reserved2;
  };
  union {
    int (*unmap_module_pages)(pkvm_u64 pfn, void *va, pkvm_u64 nr_pages);
    pkvm_u64 android_kabi_reserved3;
  };
  union {
    int (*request_hyp_alloc)(void);
    pkvm_u64 android_kabi_reserved4;
  };
  /* Later android16-6.12 KMI updates (PKVM_A16_KMI, docs/abi-decisions.md). */
  union {
#if PKVM_A16_KMI_HAS_(1)
    int (*device_register_power_lock)(pkvm_u64 phys, void *cookie,
                                      pkvm_device_power_lock_cb_t cb);
#endif
    pkvm_u64 android_kabi_reserved5;
  };
  union {
#if PKVM_A16_KMI_HAS_(2)
    pkvm_u64 (*get_time)(void);
#endif
    pkvm_u64 android_kabi_reserved6;
  };
  pkvm_u64 android_kabi_reserved7;
  pkvm_u64 android_kabi_reserved8;
  pkvm_u64 android_kabi_reserved9;
  pkvm_u64 android_kabi_reserved10;
  pkvm_u64 android_kabi_reserved11;
  pkvm_u64 android_kabi_reserved12;
  pkvm_u64 android_kabi_reserved13;
  pkvm_u64 android_kabi_reserved14;
  pkvm_u64 android_kabi_reserved15;
  pkvm_u64 android_kabi_reserved16;
  pkvm_u64 android_kabi_reserved17;
  pkvm_u64 android_kabi_reserved18;
  pkvm_u64 android_kabi_reserved19;
  pkvm_u64 android_kabi_reserved20;
  pkvm_u64 android_kabi_reserved21;
  pkvm_u64 android_kabi_reserved22;
  pkvm_u64 android_kabi_reserved23;
  pkvm_u64 android_kabi_reserved24;
  pkvm_u64 android_kabi_reserved25;
  pkvm_u64 android_kabi_reserved26;
  pkvm_u64 android_kabi_reserved27;
  pkvm_u64 android_kabi_reserved28;
  pkvm_u64 android_kabi_reserved29;
  pkvm_u64 android_kabi_reserved30;
  pkvm_u64 android_kabi_reserved31;
  pkvm_u64 android_kabi_reserved32;
};

/* ---- A17 (android17-6.18), PROVISIONAL: post-a16.md 1.3 -------------------- */
/* Not read from the frozen android17-6.18 header (no public copy was found):
 * this is the post-6.12 development snapshot "S1" of the Android common
 * kernel. Every difference from A16 is marked; the offsets asserted below are
 * the one place to correct when the frozen header is seen
 * (docs/abi-decisions.md). A fresh KMI: the 32 KABI slots restart, unused. */

struct pkvm_module_ops_a17 {
  int (*create_private_mapping)(pkvm_phys_addr_t phys, pkvm_size_t size,
                                enum kvm_pgtable_prot prot, unsigned long *haddr);
  void *(*alloc_module_va)(pkvm_u64 nr_pages);
  /* Still declared; deprecated in favour of map_module_pages. */
  int (*map_module_page)(pkvm_u64 pfn, void *va, enum kvm_pgtable_prot prot,
                         PKVM_ABI_BOOL is_protected);
  int (*register_serial_driver)(pkvm_serial_putc_cb_t hyp_putc_cb);
  void (*putc)(char c);
  void (*puts)(const char *str);
  void (*putx64)(pkvm_u64 num);
  void *(*fixmap_map)(pkvm_phys_addr_t phys);
  void (*fixmap_unmap)(void);
  /* Changed: *size receives the size of the block mapped. */
  void *(*fixblock_map)(pkvm_phys_addr_t phys, pkvm_size_t *size);
  void (*fixblock_unmap)(void);
  void *(*linear_map_early)(pkvm_phys_addr_t phys, pkvm_size_t size, enum kvm_pgtable_prot prot);
  void (*linear_unmap_early)(void *addr, pkvm_size_t size);
  void (*flush_dcache_to_poc)(void *addr, pkvm_size_t size);
  void (*update_hcr_el2)(unsigned long set_mask, unsigned long clear_mask);
  void (*update_hfgwtr_el2)(unsigned long set_mask, unsigned long clear_mask);
  int (*register_host_perm_fault_handler)(pkvm_host_fault_cb_a16_t cb);
  int (*host_stage2_mod_prot)(pkvm_u64 pfn, enum kvm_pgtable_prot prot, pkvm_u64 nr_pages,
                              PKVM_ABI_BOOL update_iommu);
  int (*host_stage2_get_leaf)(pkvm_phys_addr_t phys, pkvm_kvm_pte_t *ptep, pkvm_s8 *level);
  /* Removed: host_stage2_enable_lazy_pte, host_stage2_disable_lazy_pte. */
  int (*register_host_smc_handler)(pkvm_host_smc_cb_a17_t cb);
  int (*register_guest_smc_handler)(pkvm_guest_smc_cb_a16_t cb);
  int (*register_default_trap_handler)(pkvm_default_trap_cb_a16_t cb);
  int (*register_illegal_abt_notifier)(pkvm_illegal_abt_cb_a16_t cb);
  int (*register_psci_notifier)(pkvm_psci_cb_a16_t cb);
  int (*register_hyp_panic_notifier)(pkvm_hyp_panic_cb_a16_t cb);
  int (*register_unmask_serror)(pkvm_unmask_serror_cb_t unmask, pkvm_mask_serror_cb_t mask);
  /* Changed: no accept_mmio (the hypervisor passes true). */
  int (*host_donate_hyp)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*host_donate_sglist_hyp)(struct pkvm_sglist_page *sglist, pkvm_size_t nr_pages);
  int (*hyp_donate_host)(pkvm_u64 pfn, pkvm_u64 nr_pages);
  int (*host_share_hyp)(pkvm_u64 pfn);
  int (*host_unshare_hyp)(pkvm_u64 pfn);
  int (*pin_shared_mem)(void *from, void *to);
  void (*unpin_shared_mem)(void *from, void *to);
  void *(*memcpy)(void *to, const void *from, pkvm_size_t count);
  void *(*memset)(void *dst, int c, pkvm_size_t count);
  /* Removed: hyp_pa, hyp_va, kern_hyp_va. */
  void *(*tracing_reserve_entry)(unsigned long length);
  void (*tracing_commit_entry)(void);
  void (*tracing_mod_hyp_printk)(pkvm_u8 fmt_id, pkvm_u64 a, pkvm_u64 b, pkvm_u64 c, pkvm_u64 d);
  /* Promoted from A16 KABI slots 2 and 3. */
  int (*map_module_pages)(pkvm_u64 pfn, void *va, pkvm_u64 nr_pages, enum kvm_pgtable_prot prot,
                          PKVM_ABI_BOOL is_protected);
  int (*unmap_module_pages)(pkvm_u64 pfn, void *va, pkvm_u64 nr_pages);
  int (*hyp_smp_processor_id)(void);
  void *(*iommu_donate_pages)(pkvm_u8 order, int flags);
  void (*iommu_reclaim_pages)(void *p, pkvm_u8 order);
  void *(*iommu_donate_pages_atomic)(pkvm_u8 order);
  /* Changed: no order; the hypervisor knows the block it handed out. */
  void (*iommu_reclaim_pages_atomic)(void *p);
  /* New: the hypervisor's clock in microseconds, for intervals. */
  pkvm_u64 (*get_time)(void);
  int (*host_donate_hyp_prot)(pkvm_u64 pfn, pkvm_u64 nr_pages, PKVM_ABI_BOOL accept_mmio,
                              enum kvm_pgtable_prot prot);
#ifdef PKVM_CONFIG_LIST_HARDENED
  PKVM_ABI_BOOL (*list_add_valid_or_report)(struct list_head *new_entry, struct list_head *prev,
                                            struct list_head *next);
  PKVM_ABI_BOOL (*list_del_entry_valid_or_report)(struct list_head *entry);
#endif
  /* Removed: hyp_alloc_errno, hyp_alloc_missing_donations, iommu_init_device,
   * udelay, iommu_snapshot_host_stage2, request_hyp_alloc. */
  void *(*hyp_alloc)(pkvm_size_t size);
  void (*hyp_free)(void *addr);
  void (*iommu_iotlb_gather_add_page)(struct kvm_hyp_iommu_domain *domain,
                                      struct iommu_iotlb_gather *gather, unsigned long iova,
                                      pkvm_size_t size);
  /* New: the counterpart of pkvm_unuse_dma. */
  int (*pkvm_use_dma)(pkvm_phys_addr_t phys_addr, pkvm_size_t size);
  int (*pkvm_unuse_dma)(pkvm_phys_addr_t phys_addr, pkvm_size_t size);
  /* New: a power domain the host switches with an HVC. */
  int (*init_hvc_pd)(struct kvm_power_domain *pd, const struct kvm_power_domain_ops *ops);
  int (*device_register_reset)(pkvm_u64 phys, void *cookie, pkvm_device_reset_cb_t cb);
  /* New (also a late A16 KABI slot). */
  int (*device_register_power_lock)(pkvm_u64 phys, void *cookie, pkvm_device_power_lock_cb_t cb);
  /* New: the guest pvIOMMU driver, one per machine. */
  int (*iommu_register_pviommu_drv)(pkvm_handle_t drv_id);
  /* Promoted from A16 KABI slot 1. */
  int (*register_guest_trng_ops)(const struct pkvm_module_trng_ops *ops);

  pkvm_u64 android_kabi_reserved1;
  pkvm_u64 android_kabi_reserved2;
  pkvm_u64 android_kabi_reserved3;
  pkvm_u64 android_kabi_reserved4;
  pkvm_u64 android_kabi_reserved5;
  pkvm_u64 android_kabi_reserved6;
  pkvm_u64 android_kabi_reserved7;
  pkvm_u64 android_kabi_reserved8;
  pkvm_u64 android_kabi_reserved9;
  pkvm_u64 android_kabi_reserved10;
  pkvm_u64 android_kabi_reserved11;
  pkvm_u64 android_kabi_reserved12;
  pkvm_u64 android_kabi_reserved13;
  pkvm_u64 android_kabi_reserved14;
  pkvm_u64 android_kabi_reserved15;
  pkvm_u64 android_kabi_reserved16;
  pkvm_u64 android_kabi_reserved17;
  pkvm_u64 android_kabi_reserved18;
  pkvm_u64 android_kabi_reserved19;
  pkvm_u64 android_kabi_reserved20;
  pkvm_u64 android_kabi_reserved21;
  pkvm_u64 android_kabi_reserved22;
  pkvm_u64 android_kabi_reserved23;
  pkvm_u64 android_kabi_reserved24;
  pkvm_u64 android_kabi_reserved25;
  pkvm_u64 android_kabi_reserved26;
  pkvm_u64 android_kabi_reserved27;
  pkvm_u64 android_kabi_reserved28;
  pkvm_u64 android_kabi_reserved29;
  pkvm_u64 android_kabi_reserved30;
  pkvm_u64 android_kabi_reserved31;
  pkvm_u64 android_kabi_reserved32;
};

/* ---- Layout checks (indices counted by hand from the spec tables) --------- */

/* Asserts that `member` of struct pkvm_module_ops_<gen> sits in 8-byte slot idx. */
#define PKVM_OPS_SLOT_(gen, member, idx)                                          \
  PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_module_ops_##gen, member) == \
                             (idx) * 8,                                           \
                         "pkvm_module_ops_" #gen "." #member " offset")
#define PKVM_OPS_LH_ PKVM_OPS_LH_SLOTS

PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_sglist_page) == 6, "sglist entry: 40-bit pfn + u8, packed");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_uuid) == 16, "uuid_t is 16 bytes");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_trng_ops) == 4 * 8, "trng ops: 2 ptrs + 2 KABI");
PKVM_ABI_STATIC_ASSERT(PKVM_ABI_OFFSETOF(struct pkvm_module_trng_ops, trng_rnd64) == 8,
                       "trng_rnd64 offset");

/* A14 */
PKVM_OPS_SLOT_(a14, create_private_mapping, 0);
PKVM_OPS_SLOT_(a14, alloc_module_va, 1);
PKVM_OPS_SLOT_(a14, map_module_page, 2);
PKVM_OPS_SLOT_(a14, register_serial_driver, 3);
PKVM_OPS_SLOT_(a14, puts, 4);
PKVM_OPS_SLOT_(a14, putx64, 5);
PKVM_OPS_SLOT_(a14, fixmap_map, 6);
PKVM_OPS_SLOT_(a14, fixmap_unmap, 7);
PKVM_OPS_SLOT_(a14, linear_map_early, 8);
PKVM_OPS_SLOT_(a14, linear_unmap_early, 9);
PKVM_OPS_SLOT_(a14, flush_dcache_to_poc, 10);
PKVM_OPS_SLOT_(a14, update_hcr_el2, 11);
PKVM_OPS_SLOT_(a14, update_hfgwtr_el2, 12);
PKVM_OPS_SLOT_(a14, register_host_perm_fault_handler, 13);
PKVM_OPS_SLOT_(a14, host_stage2_mod_prot, 14);
PKVM_OPS_SLOT_(a14, host_stage2_get_leaf, 15);
PKVM_OPS_SLOT_(a14, register_host_smc_handler, 16);
PKVM_OPS_SLOT_(a14, register_default_trap_handler, 17);
PKVM_OPS_SLOT_(a14, register_illegal_abt_notifier, 18);
PKVM_OPS_SLOT_(a14, register_psci_notifier, 19);
PKVM_OPS_SLOT_(a14, register_hyp_panic_notifier, 20);
PKVM_OPS_SLOT_(a14, host_donate_hyp, 21);
PKVM_OPS_SLOT_(a14, hyp_donate_host, 22);
PKVM_OPS_SLOT_(a14, host_share_hyp, 23);
PKVM_OPS_SLOT_(a14, host_unshare_hyp, 24);
PKVM_OPS_SLOT_(a14, pin_shared_mem, 25);
PKVM_OPS_SLOT_(a14, unpin_shared_mem, 26);
PKVM_OPS_SLOT_(a14, memcpy, 27);
PKVM_OPS_SLOT_(a14, memset, 28);
PKVM_OPS_SLOT_(a14, hyp_pa, 29);
PKVM_OPS_SLOT_(a14, hyp_va, 30);
PKVM_OPS_SLOT_(a14, kern_hyp_va, 31);
PKVM_OPS_SLOT_(a14, host_stage2_mod_prot_range, 32);
PKVM_OPS_SLOT_(a14, android_kabi_reserved1, 32);
PKVM_OPS_SLOT_(a14, android_kabi_reserved2, 33);
PKVM_OPS_SLOT_(a14, android_kabi_reserved32, 63);
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a14) ==
                           (PKVM_OPS_A14_NR_NAMED + PKVM_OPS_NR_KABI_SLOTS) * 8,
                       "pkvm_module_ops_a14: 32 named + 32 KABI slots = 512 bytes");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a14) == 512, "pkvm_module_ops_a14 size");

/* A15 */
PKVM_OPS_SLOT_(a15, create_private_mapping, 0);
PKVM_OPS_SLOT_(a15, alloc_module_va, 1);
PKVM_OPS_SLOT_(a15, map_module_page, 2);
PKVM_OPS_SLOT_(a15, register_serial_driver, 3);
PKVM_OPS_SLOT_(a15, putc, 4);
PKVM_OPS_SLOT_(a15, puts, 5);
PKVM_OPS_SLOT_(a15, putx64, 6);
PKVM_OPS_SLOT_(a15, fixmap_map, 7);
PKVM_OPS_SLOT_(a15, fixmap_unmap, 8);
PKVM_OPS_SLOT_(a15, linear_map_early, 9);
PKVM_OPS_SLOT_(a15, linear_unmap_early, 10);
PKVM_OPS_SLOT_(a15, flush_dcache_to_poc, 11);
PKVM_OPS_SLOT_(a15, update_hcr_el2, 12);
PKVM_OPS_SLOT_(a15, update_hfgwtr_el2, 13);
PKVM_OPS_SLOT_(a15, register_host_perm_fault_handler, 14);
PKVM_OPS_SLOT_(a15, host_stage2_mod_prot, 15);
PKVM_OPS_SLOT_(a15, host_stage2_get_leaf, 16);
PKVM_OPS_SLOT_(a15, register_host_smc_handler, 17);
PKVM_OPS_SLOT_(a15, register_default_trap_handler, 18);
PKVM_OPS_SLOT_(a15, register_illegal_abt_notifier, 19);
PKVM_OPS_SLOT_(a15, register_psci_notifier, 20);
PKVM_OPS_SLOT_(a15, register_hyp_panic_notifier, 21);
PKVM_OPS_SLOT_(a15, register_unmask_serror, 22);
PKVM_OPS_SLOT_(a15, host_donate_hyp, 23);
PKVM_OPS_SLOT_(a15, host_donate_hyp_prot, 24);
PKVM_OPS_SLOT_(a15, hyp_donate_host, 25);
PKVM_OPS_SLOT_(a15, host_share_hyp, 26);
PKVM_OPS_SLOT_(a15, host_unshare_hyp, 27);
PKVM_OPS_SLOT_(a15, pin_shared_mem, 28);
PKVM_OPS_SLOT_(a15, unpin_shared_mem, 29);
PKVM_OPS_SLOT_(a15, memcpy, 30);
PKVM_OPS_SLOT_(a15, memset, 31);
PKVM_OPS_SLOT_(a15, hyp_pa, 32);
PKVM_OPS_SLOT_(a15, hyp_va, 33);
PKVM_OPS_SLOT_(a15, kern_hyp_va, 34);
PKVM_OPS_SLOT_(a15, hyp_alloc, 35);
PKVM_OPS_SLOT_(a15, hyp_alloc_errno, 36);
PKVM_OPS_SLOT_(a15, hyp_free, 37);
PKVM_OPS_SLOT_(a15, iommu_donate_pages, 38);
PKVM_OPS_SLOT_(a15, iommu_reclaim_pages, 39);
PKVM_OPS_SLOT_(a15, iommu_request, 40);
PKVM_OPS_SLOT_(a15, iommu_init_device, 41);
PKVM_OPS_SLOT_(a15, udelay, 42);
PKVM_OPS_SLOT_(a15, hyp_alloc_missing_donations, 43);
#ifdef PKVM_CONFIG_LIST_HARDENED
PKVM_OPS_SLOT_(a15, list_add_valid_or_report, 44);
PKVM_OPS_SLOT_(a15, list_del_entry_valid_or_report, 45);
#endif
PKVM_OPS_SLOT_(a15, iommu_iotlb_gather_add_page, 44 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, register_hyp_event_ids, 45 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, tracing_reserve_entry, 46 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, tracing_commit_entry, 47 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, iommu_donate_pages_atomic, 48 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, iommu_reclaim_pages_atomic, 49 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, iommu_snapshot_host_stage2, 50 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, hyp_smp_processor_id, 51 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, iommu_flush_unmap_cache, 52 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved1, 52 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, host_stage2_enable_lazy_pte, 53 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved2, 53 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, host_stage2_disable_lazy_pte, 54 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved3, 54 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, register_guest_smc_handler, 55 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved4, 55 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, guest_stage2_pa, 56 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved5, 56 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved6, 57 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a15, android_kabi_reserved32, 83 + PKVM_OPS_LH_);
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a15) ==
                           (PKVM_OPS_A15_NR_NAMED + PKVM_OPS_NR_KABI_SLOTS) * 8,
                       "pkvm_module_ops_a15: 52 (+2 LIST_HARDENED) named + 32 KABI slots");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a15) == (84 + PKVM_OPS_LH_) * 8,
                       "pkvm_module_ops_a15 size");

/* A16 */
PKVM_OPS_SLOT_(a16, create_private_mapping, 0);
PKVM_OPS_SLOT_(a16, alloc_module_va, 1);
PKVM_OPS_SLOT_(a16, map_module_page, 2);
PKVM_OPS_SLOT_(a16, register_serial_driver, 3);
PKVM_OPS_SLOT_(a16, putc, 4);
PKVM_OPS_SLOT_(a16, puts, 5);
PKVM_OPS_SLOT_(a16, putx64, 6);
PKVM_OPS_SLOT_(a16, fixmap_map, 7);
PKVM_OPS_SLOT_(a16, fixmap_unmap, 8);
PKVM_OPS_SLOT_(a16, fixblock_map, 9);
PKVM_OPS_SLOT_(a16, fixblock_unmap, 10);
PKVM_OPS_SLOT_(a16, linear_map_early, 11);
PKVM_OPS_SLOT_(a16, linear_unmap_early, 12);
PKVM_OPS_SLOT_(a16, flush_dcache_to_poc, 13);
PKVM_OPS_SLOT_(a16, update_hcr_el2, 14);
PKVM_OPS_SLOT_(a16, update_hfgwtr_el2, 15);
PKVM_OPS_SLOT_(a16, register_host_perm_fault_handler, 16);
PKVM_OPS_SLOT_(a16, host_stage2_mod_prot, 17);
PKVM_OPS_SLOT_(a16, host_stage2_get_leaf, 18);
PKVM_OPS_SLOT_(a16, host_stage2_enable_lazy_pte, 19);
PKVM_OPS_SLOT_(a16, host_stage2_disable_lazy_pte, 20);
PKVM_OPS_SLOT_(a16, register_host_smc_handler, 21);
PKVM_OPS_SLOT_(a16, register_guest_smc_handler, 22);
PKVM_OPS_SLOT_(a16, register_default_trap_handler, 23);
PKVM_OPS_SLOT_(a16, register_illegal_abt_notifier, 24);
PKVM_OPS_SLOT_(a16, register_psci_notifier, 25);
PKVM_OPS_SLOT_(a16, register_hyp_panic_notifier, 26);
PKVM_OPS_SLOT_(a16, register_unmask_serror, 27);
PKVM_OPS_SLOT_(a16, host_donate_hyp, 28);
PKVM_OPS_SLOT_(a16, host_donate_hyp_prot, 29);
PKVM_OPS_SLOT_(a16, host_donate_sglist_hyp, 30);
PKVM_OPS_SLOT_(a16, hyp_donate_host, 31);
PKVM_OPS_SLOT_(a16, host_share_hyp, 32);
PKVM_OPS_SLOT_(a16, host_unshare_hyp, 33);
PKVM_OPS_SLOT_(a16, pin_shared_mem, 34);
PKVM_OPS_SLOT_(a16, unpin_shared_mem, 35);
PKVM_OPS_SLOT_(a16, memcpy, 36);
PKVM_OPS_SLOT_(a16, memset, 37);
PKVM_OPS_SLOT_(a16, hyp_pa, 38);
PKVM_OPS_SLOT_(a16, hyp_va, 39);
PKVM_OPS_SLOT_(a16, kern_hyp_va, 40);
PKVM_OPS_SLOT_(a16, tracing_reserve_entry, 41);
PKVM_OPS_SLOT_(a16, tracing_commit_entry, 42);
PKVM_OPS_SLOT_(a16, tracing_mod_hyp_printk, 43);
PKVM_OPS_SLOT_(a16, hyp_alloc, 44);
PKVM_OPS_SLOT_(a16, hyp_alloc_errno, 45);
PKVM_OPS_SLOT_(a16, hyp_free, 46);
PKVM_OPS_SLOT_(a16, hyp_alloc_missing_donations, 47);
PKVM_OPS_SLOT_(a16, iommu_donate_pages, 48);
PKVM_OPS_SLOT_(a16, iommu_reclaim_pages, 49);
PKVM_OPS_SLOT_(a16, iommu_init_device, 50);
PKVM_OPS_SLOT_(a16, udelay, 51);
PKVM_OPS_SLOT_(a16, iommu_iotlb_gather_add_page, 52);
PKVM_OPS_SLOT_(a16, pkvm_unuse_dma, 53);
#ifdef PKVM_CONFIG_LIST_HARDENED
PKVM_OPS_SLOT_(a16, list_add_valid_or_report, 54);
PKVM_OPS_SLOT_(a16, list_del_entry_valid_or_report, 55);
#endif
PKVM_OPS_SLOT_(a16, iommu_snapshot_host_stage2, 54 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, iommu_donate_pages_atomic, 55 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, iommu_reclaim_pages_atomic, 56 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, hyp_smp_processor_id, 57 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, device_register_reset, 58 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, register_guest_trng_ops, 59 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, android_kabi_reserved1, 59 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, map_module_pages, 60 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, android_kabi_reserved2, 60 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, unmap_module_pages, 61 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, android_kabi_reserved3, 61 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, request_hyp_alloc, 62 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, android_kabi_reserved4, 62 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a16, android_kabi_reserved5, 63 + PKVM_OPS_LH_);
#if PKVM_A16_KMI_HAS_(1)
PKVM_OPS_SLOT_(a16, device_register_power_lock, 63 + PKVM_OPS_LH_);
#endif
PKVM_OPS_SLOT_(a16, android_kabi_reserved6, 64 + PKVM_OPS_LH_);
#if PKVM_A16_KMI_HAS_(2)
PKVM_OPS_SLOT_(a16, get_time, 64 + PKVM_OPS_LH_);
#endif
PKVM_OPS_SLOT_(a16, android_kabi_reserved32, 90 + PKVM_OPS_LH_);
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a16) ==
                           (PKVM_OPS_A16_NR_NAMED + PKVM_OPS_NR_KABI_SLOTS) * 8,
                       "pkvm_module_ops_a16: 59 (+2 LIST_HARDENED) named + 32 KABI slots");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a16) == (91 + PKVM_OPS_LH_) * 8,
                       "pkvm_module_ops_a16 size");

/* A17 (provisional: S1 member order, post-a16.md 1.3) */
PKVM_OPS_SLOT_(a17, create_private_mapping, 0);
PKVM_OPS_SLOT_(a17, alloc_module_va, 1);
PKVM_OPS_SLOT_(a17, map_module_page, 2);
PKVM_OPS_SLOT_(a17, register_serial_driver, 3);
PKVM_OPS_SLOT_(a17, putc, 4);
PKVM_OPS_SLOT_(a17, puts, 5);
PKVM_OPS_SLOT_(a17, putx64, 6);
PKVM_OPS_SLOT_(a17, fixmap_map, 7);
PKVM_OPS_SLOT_(a17, fixmap_unmap, 8);
PKVM_OPS_SLOT_(a17, fixblock_map, 9);
PKVM_OPS_SLOT_(a17, fixblock_unmap, 10);
PKVM_OPS_SLOT_(a17, linear_map_early, 11);
PKVM_OPS_SLOT_(a17, linear_unmap_early, 12);
PKVM_OPS_SLOT_(a17, flush_dcache_to_poc, 13);
PKVM_OPS_SLOT_(a17, update_hcr_el2, 14);
PKVM_OPS_SLOT_(a17, update_hfgwtr_el2, 15);
PKVM_OPS_SLOT_(a17, register_host_perm_fault_handler, 16);
PKVM_OPS_SLOT_(a17, host_stage2_mod_prot, 17);
PKVM_OPS_SLOT_(a17, host_stage2_get_leaf, 18);
PKVM_OPS_SLOT_(a17, register_host_smc_handler, 19);
PKVM_OPS_SLOT_(a17, register_guest_smc_handler, 20);
PKVM_OPS_SLOT_(a17, register_default_trap_handler, 21);
PKVM_OPS_SLOT_(a17, register_illegal_abt_notifier, 22);
PKVM_OPS_SLOT_(a17, register_psci_notifier, 23);
PKVM_OPS_SLOT_(a17, register_hyp_panic_notifier, 24);
PKVM_OPS_SLOT_(a17, register_unmask_serror, 25);
PKVM_OPS_SLOT_(a17, host_donate_hyp, 26);
PKVM_OPS_SLOT_(a17, host_donate_sglist_hyp, 27);
PKVM_OPS_SLOT_(a17, hyp_donate_host, 28);
PKVM_OPS_SLOT_(a17, host_share_hyp, 29);
PKVM_OPS_SLOT_(a17, host_unshare_hyp, 30);
PKVM_OPS_SLOT_(a17, pin_shared_mem, 31);
PKVM_OPS_SLOT_(a17, unpin_shared_mem, 32);
PKVM_OPS_SLOT_(a17, memcpy, 33);
PKVM_OPS_SLOT_(a17, memset, 34);
PKVM_OPS_SLOT_(a17, tracing_reserve_entry, 35);
PKVM_OPS_SLOT_(a17, tracing_commit_entry, 36);
PKVM_OPS_SLOT_(a17, tracing_mod_hyp_printk, 37);
PKVM_OPS_SLOT_(a17, map_module_pages, 38);
PKVM_OPS_SLOT_(a17, unmap_module_pages, 39);
PKVM_OPS_SLOT_(a17, hyp_smp_processor_id, 40);
PKVM_OPS_SLOT_(a17, iommu_donate_pages, 41);
PKVM_OPS_SLOT_(a17, iommu_reclaim_pages, 42);
PKVM_OPS_SLOT_(a17, iommu_donate_pages_atomic, 43);
PKVM_OPS_SLOT_(a17, iommu_reclaim_pages_atomic, 44);
PKVM_OPS_SLOT_(a17, get_time, 45);
PKVM_OPS_SLOT_(a17, host_donate_hyp_prot, 46);
#ifdef PKVM_CONFIG_LIST_HARDENED
PKVM_OPS_SLOT_(a17, list_add_valid_or_report, 47);
PKVM_OPS_SLOT_(a17, list_del_entry_valid_or_report, 48);
#endif
PKVM_OPS_SLOT_(a17, hyp_alloc, 47 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, hyp_free, 48 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, iommu_iotlb_gather_add_page, 49 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, pkvm_use_dma, 50 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, pkvm_unuse_dma, 51 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, init_hvc_pd, 52 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, device_register_reset, 53 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, device_register_power_lock, 54 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, iommu_register_pviommu_drv, 55 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, register_guest_trng_ops, 56 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, android_kabi_reserved1, 57 + PKVM_OPS_LH_);
PKVM_OPS_SLOT_(a17, android_kabi_reserved32, 88 + PKVM_OPS_LH_);
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a17) ==
                           (PKVM_OPS_A17_NR_NAMED + PKVM_OPS_NR_KABI_SLOTS) * 8,
                       "pkvm_module_ops_a17: 57 (+2 LIST_HARDENED) named + 32 KABI slots");
PKVM_ABI_STATIC_ASSERT(sizeof(struct pkvm_module_ops_a17) == (89 + PKVM_OPS_LH_) * 8,
                       "pkvm_module_ops_a17 size");

#undef PKVM_OPS_LH_
#undef PKVM_OPS_SLOT_

#ifdef __cplusplus
}
#endif

#endif /* PKVM_ABI_MODULE_OPS_H_ */

/* File: include/pkvm/compat/nvhe/mem_protect.h -- pKVM page states and
 * component ids, as the hypervisor encodes them in the software bits of its
 * page tables.
 *
 * The transitions themselves (host_donate_hyp, hyp_donate_host,
 * host_share_hyp, host_unshare_hyp, pin_shared_mem, ...) are members of
 * struct pkvm_module_ops; libpkvm's page model implements them
 * (Hypervisor::page_state() shows the result, docs/memory.md).
 *
 *   if (ops->host_donate_hyp(pfn, 1, false)) return -EPERM;   // A15/A16
 */
#ifndef __KVM_NVHE_MEM_PROTECT__
#define __KVM_NVHE_MEM_PROTECT__

#include <linux/types.h>
#include <asm/kvm_pgtable.h>
#include <nvhe/memory.h>
#include <nvhe/spinlock.h>

enum pkvm_page_state {
  PKVM_PAGE_OWNED = 0ULL,
  PKVM_PAGE_SHARED_OWNED = KVM_PGTABLE_PROT_SW0,
  PKVM_PAGE_SHARED_BORROWED = KVM_PGTABLE_PROT_SW1,
  __PKVM_PAGE_RESERVED = KVM_PGTABLE_PROT_SW0 | KVM_PGTABLE_PROT_SW1,
  PKVM_NOPAGE = __PKVM_PAGE_RESERVED,
};
#define PKVM_PAGE_STATE_PROT_MASK (KVM_PGTABLE_PROT_SW0 | KVM_PGTABLE_PROT_SW1)

enum pkvm_component_id {
  PKVM_ID_HOST,
  PKVM_ID_HYP,
  PKVM_ID_FFA,
  PKVM_ID_GUEST,
  PKVM_ID_PROTECTED,
  PKVM_ID_MAX = PKVM_ID_PROTECTED,
};

#endif

/* EL1 half of secure_mem: allocates pages from the kernel allocator, loads
 * the EL2 part and hands the pages' physical addresses to it by HVC. */
#include <asm/kvm_pkvm_module.h>
#include <asm/memory.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "secure_mem.h"

int __kvm_nvhe_secure_mem_hyp_init(const struct pkvm_module_ops *ops);
#if PKVM_GENERATION == 14
void __kvm_nvhe_secure_mem_hyp_hvc(struct kvm_cpu_context *ctx);
#else
void __kvm_nvhe_secure_mem_hyp_hvc(struct user_pt_regs *regs);
#endif

static int __init secure_mem_init(void) {
  unsigned long token, scratch, again;
  struct page *pair;
  void *pages[SM_NR_PAGES];
  int hvc, i;
  int ret = pkvm_load_el2_module(__kvm_nvhe_secure_mem_hyp_init, &token);
  if (ret) return ret;
  hvc = pkvm_register_el2_mod_call(__kvm_nvhe_secure_mem_hyp_hvc, token);
  if (hvc < 0) return hvc;

  /* free, then allocate again: the allocator hands the same page back. */
  scratch = __get_free_page(GFP_KERNEL);
  if (!scratch) return -ENOMEM;
  free_page(scratch);
  again = __get_free_page(GFP_KERNEL);
  pr_info("secure_mem: page reused after free_page: %s\n", again == scratch ? "yes" : "no");
  free_page(again);

  pair = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1); /* two pages, 8 KiB aligned */
  if (!pair) return -ENOMEM;
  pages[0] = page_address(pair);
  pages[1] = (char *)page_address(pair) + PAGE_SIZE;
  pages[2] = (void *)__get_free_page(GFP_KERNEL);
  pages[3] = kzalloc(64, GFP_KERNEL);
  if (!pages[2] || !pages[3]) return -ENOMEM;
  pr_info("secure_mem: order-1 block aligned: %s\n",
          (page_to_phys(pair) & (2 * PAGE_SIZE - 1)) == 0 ? "yes" : "no");
  for (i = 0; i < SM_NR_PAGES; i++) {
    phys_addr_t pa = virt_to_phys(pages[i]);
    long idx;
    if (__va(pa) != pages[i]) return -EFAULT;
    *(volatile u64 *)pages[i] = SM_EL1_MAGIC | i;
    idx = (long)pkvm_el2_mod_call(hvc, SM_ADOPT, pa);
    if (idx != i) {
      pr_err("secure_mem: EL2 refused page %d: %ld\n", i, idx);
      return -EINVAL;
    }
  }
  pr_info("secure_mem: %d pages handed to EL2\n", SM_NR_PAGES);
  return 0;
}
module_init(secure_mem_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("libpkvm test: donate/share/pin round trips on kernel-allocated pages");

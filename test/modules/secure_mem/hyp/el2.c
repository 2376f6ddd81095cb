/* EL2 half of secure_mem: the pages EL1 handed over, in a list under a hyp
 * spinlock, moved between host and hypervisor by command. */
#include <asm/barrier.h>
#include <asm/kvm_pkvm_module.h>
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>
#include <nvhe/spinlock.h>
#include "../secure_mem.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#define DONATE(pfn) ops->host_donate_hyp(pfn, 1)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#define DONATE(pfn) ops->host_donate_hyp(pfn, 1, false)
#endif

enum sm_state { SM_HOST = 0, SM_DONATED, SM_SHARED, SM_PINNED, SM_NR_STATES };
#define SM_FLAG_SEEN BIT(7)
#define SM_STATE_MASK GENMASK(3, 0)

struct sm_page {
  struct list_head node;
  u64 phys;
  u8 flags; /* FIELD_PREP(SM_STATE_MASK, state) | SM_FLAG_SEEN */
  int index;
};

extern unsigned long secure_mem_string_calls;
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

static const struct pkvm_module_ops *ops;
static DEFINE_HYP_SPINLOCK(sm_lock);
static LIST_HEAD(sm_pages);
static struct sm_page sm_slots[SM_NR_PAGES];
static atomic_t sm_next = ATOMIC_INIT(0);

static enum sm_state state_of(const struct sm_page *p) {
  enum sm_state s = (enum sm_state)FIELD_GET(SM_STATE_MASK, p->flags);
  BUG_ON(s >= SM_NR_STATES); /* only SM_CORRUPT gets here */
  return s;
}
static void set_state(struct sm_page *p, enum sm_state s) {
  p->flags = (u8)(FIELD_PREP(SM_STATE_MASK, s) | SM_FLAG_SEEN);
}

static struct sm_page *find(u64 index) {
  struct sm_page *p;
  hyp_assert_lock_held(&sm_lock);
  list_for_each_entry(p, &sm_pages, node)
    if ((u64)p->index == index) return p;
  return NULL;
}

static long adopt(u64 phys) {
  struct sm_page *p;
  int i;
  if (!PAGE_ALIGNED(phys)) return -EINVAL;
  i = atomic_inc_return(&sm_next) - 1;
  if (i >= SM_NR_PAGES) return -ENOSPC;
  p = &sm_slots[i];
  p->phys = phys;
  p->index = i;
  set_state(p, SM_HOST);
  list_add_tail(&p->node, &sm_pages);
  return i;
}

static long command(u64 cmd, u64 arg) {
  struct sm_page *p, *n;
  u64 *va;
  long ret;

  if (cmd == SM_ADOPT) return adopt(arg);
  if (cmd == SM_COUNT) return (long)list_count_nodes(&sm_pages);
  if (cmd == SM_STRING_CALLS) return (long)READ_ONCE(secure_mem_string_calls);
  p = find(arg);
  if (!p) return -ENOENT;
  va = ops->hyp_va(p->phys);
  switch (cmd) {
    case SM_PHYS:
      return (long)p->phys;
    case SM_DONATE:
      if (state_of(p) != SM_HOST) return -EBUSY;
      ret = DONATE(hyp_phys_to_pfn(p->phys));
      if (ret) return ret;
      set_state(p, SM_DONATED);
      WRITE_ONCE(*va, SM_STAMP | (u64)p->index);
      dsb(ish);
      return 0;
    case SM_RECLAIM:
      if (state_of(p) != SM_DONATED) return -EBUSY;
      memset(va, 0, PAGE_SIZE); /* nothing of the secret goes back */
      ret = ops->hyp_donate_host(hyp_phys_to_pfn(p->phys), 1);
      if (ret) return ret;
      set_state(p, SM_HOST);
      return 0;
    case SM_SHARE:
      if (state_of(p) != SM_HOST) return -EBUSY;
      ret = ops->host_share_hyp(hyp_phys_to_pfn(p->phys));
      if (ret) return ret;
      set_state(p, SM_SHARED);
      return (long)READ_ONCE(*va);
    case SM_UNSHARE:
      if (state_of(p) != SM_SHARED) return -EBUSY;
      ret = ops->host_unshare_hyp(hyp_phys_to_pfn(p->phys));
      if (ret) return ret;
      set_state(p, SM_HOST);
      return 0;
    case SM_PIN:
      if (state_of(p) != SM_SHARED) return -EBUSY;
      ret = ops->pin_shared_mem(va, (char *)va + PAGE_SIZE);
      if (ret) return ret;
      set_state(p, SM_PINNED);
      return 0;
    case SM_UNPIN:
      if (state_of(p) != SM_PINNED) return -EBUSY;
      ops->unpin_shared_mem(va, (char *)va + PAGE_SIZE);
      set_state(p, SM_SHARED);
      return 0;
    case SM_READ: {
      u64 v;
      enum sm_state s = state_of(p);
      if (s == SM_HOST) return -EPERM; /* not ours to look at */
      memcpy(&v, va, sizeof(v));
      return (long)v;
    }
    case SM_CORRUPT:
      p->flags = (u8)FIELD_PREP(SM_STATE_MASK, 0xf);
      return 0;
    case SM_FORGET:
      if (state_of(p) != SM_HOST) return -EBUSY;
      list_for_each_entry_safe(p, n, &sm_pages, node) {
        if ((u64)p->index == arg) list_del_init(&p->node);
      }
      return 0;
  }
  return -EINVAL;
}

void secure_mem_hyp_hvc(REGS_T *regs) {
  long ret;
  hyp_spin_lock(&sm_lock);
  ret = command(REG(regs, 1), REG(regs, 2));
  hyp_spin_unlock(&sm_lock);
  REG(regs, 0) = SMCCC_RET_SUCCESS;
  REG(regs, 1) = (u64)ret;
}

int secure_mem_hyp_init(const struct pkvm_module_ops *o) {
  BUILD_BUG_ON(SM_NR_STATES > FIELD_MAX(SM_STATE_MASK));
  ops = o;
  hyp_spin_lock_init(&sm_lock);
  INIT_LIST_HEAD(&sm_pages);
  atomic_set(&sm_next, 0);
  if (WARN_ON(!list_empty(&sm_pages))) return -EINVAL;
  return 0;
}

/* File: include/pkvm/compat/nvhe/spinlock.h -- the hypervisor's spinlock.
 *
 * A ticket lock in one 32-bit word (owner in the low half, next ticket in
 * the high half, as the kernel lays out hyp_spinlock_t): lock takes a
 * ticket with an atomic fetch-add and spins until `owner` reaches it;
 * unlock hands the lock to the next ticket with a release store. Fair, and
 * correct when EL2 code runs on several host threads at once (native) and
 * in the emulator (LDAXR/STLXR on AArch64).
 *
 *   static DEFINE_HYP_SPINLOCK(lock);
 *   hyp_spin_lock(&lock);
 *   ... state shared by every CPU ...
 *   hyp_spin_unlock(&lock);
 */
#ifndef __ARM64_KVM_NVHE_SPINLOCK_H__
#define __ARM64_KVM_NVHE_SPINLOCK_H__

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/lse.h>
#include <asm/processor.h>

typedef union hyp_spinlock {
  u32 __val;
  struct {
    u16 owner, next; /* little endian: owner is the low half */
  };
} hyp_spinlock_t;

#define __HYP_SPIN_LOCK_INITIALIZER {.__val = 0}
#define __HYP_SPIN_LOCK_UNLOCKED ((hyp_spinlock_t)__HYP_SPIN_LOCK_INITIALIZER)
#define DEFINE_HYP_SPINLOCK(x) hyp_spinlock_t x = __HYP_SPIN_LOCK_UNLOCKED
#define hyp_spin_lock_init(l)            \
  do {                                   \
    *(l) = __HYP_SPIN_LOCK_UNLOCKED;     \
  } while (0)

static inline void hyp_spin_lock(hyp_spinlock_t *lock) {
  const u16 ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_ACQUIRE);
  while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket) cpu_relax();
}

static inline void hyp_spin_unlock(hyp_spinlock_t *lock) {
  const u16 owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
  __atomic_store_n(&lock->owner, (u16)(owner + 1), __ATOMIC_RELEASE);
}

static inline bool hyp_spin_is_locked(hyp_spinlock_t *lock) {
  hyp_spinlock_t v;
  v.__val = __atomic_load_n(&lock->__val, __ATOMIC_RELAXED);
  return v.owner != v.next;
}

/* The kernel checks this with CONFIG_NVHE_EL2_DEBUG; libpkvm always does
 * (a WARN in the machine's log: the lock is not held by anyone). */
static inline void hyp_assert_lock_held(hyp_spinlock_t *lock) { WARN_ON(!hyp_spin_is_locked(lock)); }

#endif

/* File: include/pkvm/compat/asm/barrier.h -- memory barriers.
 *
 * On AArch64 (the .ko build for the Unicorn backend, and real EL2 images)
 * these are the architecture's instructions; built for the development
 * machine they are full compiler + hardware fences, which order at least as
 * strongly as any AArch64 barrier (no device is behind them natively).
 *
 *   WRITE_ONCE(buf->ready, 1);
 *   smp_wmb();
 */
#ifndef __ASM_BARRIER_H
#define __ASM_BARRIER_H

#include <linux/compiler.h>

#if defined(__aarch64__)
#define isb() __asm__ __volatile__("isb" ::: "memory")
#define dsb(opt) __asm__ __volatile__("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ __volatile__("dmb " #opt ::: "memory")
#define sev() __asm__ __volatile__("sev" ::: "memory")
#define wfe() __asm__ __volatile__("wfe" ::: "memory")
#define wfi() __asm__ __volatile__("wfi" ::: "memory")
#define mb() dsb(sy)
#define rmb() dsb(ld)
#define wmb() dsb(st)
#define dma_mb() dmb(osh)
#define dma_rmb() dmb(oshld)
#define dma_wmb() dmb(oshst)
#define smp_mb() dmb(ish)
#define smp_rmb() dmb(ishld)
#define smp_wmb() dmb(ishst)
#else
#define __pkvm_full_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define isb() __pkvm_full_fence()
#define dsb(opt) __pkvm_full_fence()
#define dmb(opt) __pkvm_full_fence()
#define sev() barrier()
#define wfe() barrier()
#define wfi() barrier()
#define mb() __pkvm_full_fence()
#define rmb() __pkvm_full_fence()
#define wmb() __pkvm_full_fence()
#define dma_mb() __pkvm_full_fence()
#define dma_rmb() __pkvm_full_fence()
#define dma_wmb() __pkvm_full_fence()
#define smp_mb() __pkvm_full_fence()
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#define __smp_mb() smp_mb()
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()

#endif

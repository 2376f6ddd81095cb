/* File: include/pkvm/compat/asm/io.h -- MMIO accessors (docs/devices.md).
 *
 * readb/readw/readl/readq, writeb/writew/writel/writeq, their _relaxed forms
 * and __raw_* ones, on a pointer EL2 code got for a device page
 * (ops->create_private_mapping, ops->fixmap_map, hyp_va(phys)) or EL1 code
 * got for one.
 *
 * AArch64 .ko modules (built with PKVM_A64_KO): single ldr/str instructions
 * as the kernel's accessors are; in Unicorn the device page is an MMIO
 * mapping, so the access reaches the machine's device model. The
 * non-relaxed forms add the kernel's barriers (dmb after a read, before a
 * write).
 *
 * Native modules: the access calls into libpkvm (pkvm_mmio_read/_write),
 * which finds the device model behind the host pointer and calls it; for a
 * device page EL2 has no mapping of, that is a hyp panic ("EL2 data abort"),
 * as on the Unicorn backend; any other memory gets a plain volatile access.
 *
 *   u32 fr = readl_relaxed(base + 0x18);
 *   writel(c, base + 0x00);
 */
#ifndef _ASM_IO_H
#define _ASM_IO_H

#include <linux/types.h>
#include <linux/compiler.h>

#ifdef PKVM_A64_KO
#define __PKVM_IO_RD(name, type, insn)                                            \
  static inline type name(const volatile void __iomem *addr) {                    \
    type v;                                                                       \
    __asm__ volatile(insn " %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");         \
    return v;                                                                     \
  }
#define __PKVM_IO_WR(name, type, insn)                                            \
  static inline void name(type v, volatile void __iomem *addr) {                  \
    __asm__ volatile(insn " %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");        \
  }
__PKVM_IO_RD(__raw_readb, u8, "ldrb")
__PKVM_IO_RD(__raw_readw, u16, "ldrh")
__PKVM_IO_RD(__raw_readl, u32, "ldr")
__PKVM_IO_WR(__raw_writeb, u8, "strb")
__PKVM_IO_WR(__raw_writew, u16, "strh")
__PKVM_IO_WR(__raw_writel, u32, "str")
static inline u64 __raw_readq(const volatile void __iomem *addr) {
  u64 v;
  __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
static inline void __raw_writeq(u64 v, volatile void __iomem *addr) {
  __asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
#undef __PKVM_IO_RD
#undef __PKVM_IO_WR
#define __pkvm_io_ar() __asm__ volatile("dmb oshld" ::: "memory")
#define __pkvm_io_bw() __asm__ volatile("dmb oshst" ::: "memory")
#else /* native */
#ifdef __cplusplus
extern "C" {
#endif
u64 pkvm_mmio_read(const volatile void *addr, unsigned int size);
void pkvm_mmio_write(volatile void *addr, u64 value, unsigned int size);
#ifdef __cplusplus
}
#endif
static inline u8 __raw_readb(const volatile void __iomem *a) { return (u8)pkvm_mmio_read(a, 1); }
static inline u16 __raw_readw(const volatile void __iomem *a) { return (u16)pkvm_mmio_read(a, 2); }
static inline u32 __raw_readl(const volatile void __iomem *a) { return (u32)pkvm_mmio_read(a, 4); }
static inline u64 __raw_readq(const volatile void __iomem *a) { return pkvm_mmio_read(a, 8); }
static inline void __raw_writeb(u8 v, volatile void __iomem *a) { pkvm_mmio_write(a, v, 1); }
static inline void __raw_writew(u16 v, volatile void __iomem *a) { pkvm_mmio_write(a, v, 2); }
static inline void __raw_writel(u32 v, volatile void __iomem *a) { pkvm_mmio_write(a, v, 4); }
static inline void __raw_writeq(u64 v, volatile void __iomem *a) { pkvm_mmio_write(a, v, 8); }
#define __pkvm_io_ar() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define __pkvm_io_bw() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#define readb_relaxed(c) ({ u8 __v = __raw_readb(c); __v; })
#define readw_relaxed(c) ({ u16 __v = __raw_readw(c); __v; })
#define readl_relaxed(c) ({ u32 __v = __raw_readl(c); __v; })
#define readq_relaxed(c) ({ u64 __v = __raw_readq(c); __v; })
#define writeb_relaxed(v, c) ((void)__raw_writeb((u8)(v), (c)))
#define writew_relaxed(v, c) ((void)__raw_writew((u16)(v), (c)))
#define writel_relaxed(v, c) ((void)__raw_writel((u32)(v), (c)))
#define writeq_relaxed(v, c) ((void)__raw_writeq((u64)(v), (c)))

#define readb(c) ({ u8 __v = readb_relaxed(c); __pkvm_io_ar(); __v; })
#define readw(c) ({ u16 __v = readw_relaxed(c); __pkvm_io_ar(); __v; })
#define readl(c) ({ u32 __v = readl_relaxed(c); __pkvm_io_ar(); __v; })
#define readq(c) ({ u64 __v = readq_relaxed(c); __pkvm_io_ar(); __v; })
#define writeb(v, c) ({ __pkvm_io_bw(); writeb_relaxed((v), (c)); })
#define writew(v, c) ({ __pkvm_io_bw(); writew_relaxed((v), (c)); })
#define writel(v, c) ({ __pkvm_io_bw(); writel_relaxed((v), (c)); })
#define writeq(v, c) ({ __pkvm_io_bw(); writeq_relaxed((v), (c)); })

/* ioremap() for EL1 code: a pointer to a device's registers (NULL when no
 * device of the machine covers the range). .ko modules in Unicorn: the
 * physical address itself (EL1 runs with VA == PA there); natively: where
 * libpkvm keeps the device, so readl/writel find its model. */
#ifndef __KVM_NVHE_HYPERVISOR__
#ifdef PKVM_A64_KO
static inline void __iomem *ioremap(phys_addr_t phys, size_t size) {
  (void)size;
  return (void __iomem *)(unsigned long)phys;
}
#else
#ifdef __cplusplus
extern "C"
#endif
void __iomem *pkvm_ioremap(phys_addr_t phys, size_t size);
#define ioremap(phys, size) pkvm_ioremap((phys), (size))
#endif
#define ioremap_nocache ioremap
#define ioremap_wc ioremap
static inline void iounmap(volatile void __iomem *addr) { (void)addr; }
#endif

#endif /* _ASM_IO_H */

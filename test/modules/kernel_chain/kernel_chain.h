/* Commands of the kernel_chain module's hypercall (x1 = command, x2/x3 =
 * arguments, results in x1..x3) and of its per-header probes. Shared by the
 * EL1 half and the integration test; the EL2 half does not include it (it
 * includes <asm/kvm_pkvm_module.h> only) and repeats the numbers. */
#ifndef KERNEL_CHAIN_H_
#define KERNEL_CHAIN_H_

#define KC_ERRNO 1    /* -> -EINVAL, -ENOMEM, -EOPNOTSUPP */
#define KC_BITS 2     /* -> BIT(x2), GENMASK_ULL(x2, x3) (x2 >= x3), GENMASK(7, 4) */
#define KC_ESR 3      /* x2 = esr -> ESR_ELx_EC, is a lower-EL data abort, WnR */
#define KC_ALIGN 4    /* x2 = value, x3 = power of two -> ALIGN, ALIGN_DOWN, IS_ALIGNED */
#define KC_MINMAX 5   /* -> min(x2, x3), max(x2, x3), clamp(x2, 16, 64) */
#define KC_ARRAY 6    /* -> ARRAY_SIZE(table), container_of check, table[x2] */
#define KC_MMIO 7     /* x2 -> writel(x2); readl, readq after writeq(x3), readb */
#define KC_BITOPS 8   /* x2 (!= 0) -> __ffs(x2), __fls(x2), fls(x3) */
#define KC_SHL 9      /* x2 << x3 into a u32 -> overflowed, result, PAGE_ALIGNED(x2) */
#define KC_PFN 10     /* -> __pfn_to_phys(x2), __phys_to_pfn(x3), PFN_UP(x3) */
#define KC_CONSTS 11  /* -> AARCH64_INSN_SIZE, ARM_SMCCC_1_3_SVE_HINT, SZ_2M */
#define KC_TYPES 12   /* -> u64 kind (1 = unsigned long long), __u64 same as u64, uint64_t same */
#define KC_SEED 13    /* -> the EL2 global EL1 set through kvm_nvhe_sym() before the load */
#define KC_PROBE 14   /* x2 = header probe, x3 = selector -> that probe's value */

/* Header probes: EL2 files that each include exactly one kernel header. */
#define KC_PROBE_HYP 0      /* asm/kvm_hyp.h */
#define KC_PROBE_PGTABLE 1  /* asm/kvm_pgtable.h */
#define KC_PROBE_MMU 2      /* asm/kvm_mmu.h */
#define KC_PROBE_KVM_HOST 3 /* linux/kvm_host.h */
#define KC_PROBE_NVHE 4     /* nvhe/mem_protect.h */
#define KC_NR_PROBES 5
#define KC_PROBE_GENERIC 5  /* hyp/generic.c: asm/unaligned.h, linux/stdarg.h; selectors 0..3 */
/* Probe selectors (hyp/probe_body.inc). */
#define KC_SEL_EINVAL 0     /* -EINVAL */
#define KC_SEL_ARRAY 1      /* ARRAY_SIZE of a 7-element array */
#define KC_SEL_BIT 2        /* BIT(9) | GENMASK_ULL(39, 32) */
#define KC_SEL_ESR 3        /* ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT | ESR_ELx_WNR */
#define KC_SEL_ALIGN 4      /* ALIGN(0x1234, SZ_4K) + ALIGN_DOWN(0x1234, SZ_4K) */
#define KC_SEL_MINMAX 5     /* max(min(3, 9), 2) * 100 + clamp(70, 16, 64) */
#define KC_SEL_FFS 6        /* __ffs(0x80) * 100 + __fls(0x80) * 10 + fls(0) */
#define KC_SEL_PFN 7        /* __pfn_to_phys(0x40001) + PAGE_ALIGNED(0x3000) */
#define KC_SEL_INSN 8       /* AARCH64_INSN_SIZE * 0x10000 + ARM_SMCCC_1_3_SVE_HINT */
#define KC_SEL_TYPES 9      /* 1 when u64 is unsigned long long */
#define KC_NR_SELS 10

#define KC_SEED_VALUE 0x5eed1234abcdull

#endif

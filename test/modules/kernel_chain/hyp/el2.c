/* EL2 half of kernel_chain: a module written as a vendor writes one, with
 * <asm/kvm_pkvm_module.h> as its only include, relying on what the kernel's
 * include chain gives it (errno values, ARRAY_SIZE, BIT/GENMASK_ULL,
 * ESR_ELx_*, ALIGN, container_of, min/max, readl/writel, static_assert,
 * BUILD_BUG_ON, __ffs, check_shl_overflow, pfn helpers, u64 as unsigned long
 * long, kvm_nvhe_sym() naming its own globals). Every answer of its hypercall
 * depends on those macros' values; the integration test checks them.
 * Command numbers: kernel_chain.h (not included here on purpose). */
#include <asm/kvm_pkvm_module.h>

/* The kernel's integer types, checked at compile time as modules do. */
static_assert(sizeof(u64) == 8);
static_assert(__builtin_types_compatible_p(u64, unsigned long long), "u64 is unsigned long long");
static_assert(__builtin_types_compatible_p(__u64, u64));
/* Kbuild force-includes linux/kconfig.h; CONFIG_TRACING is set for every
 * module build, CONFIG_PKVM_NEVER_SET never is. */
static_assert(IS_ENABLED(CONFIG_TRACING) && IS_BUILTIN(CONFIG_TRACING));
static_assert(!IS_ENABLED(CONFIG_PKVM_NEVER_SET) && !IS_MODULE(CONFIG_TRACING));
#if !IS_ENABLED(CONFIG_TRACING)
#error IS_ENABLED() must work in #if
#endif
/* asm/pgtable-hwdef.h through asm/kvm_pgtable.h: the 4 KiB granule's levels. */
static_assert(ARM64_HW_PGTABLE_LEVEL_SHIFT(3) == PAGE_SHIFT);
static_assert(ARM64_HW_PGTABLE_LEVEL_SHIFT(1) == 30 && PMD_SIZE == SZ_2M);
static_assert(__builtin_types_compatible_p(uint64_t, u64));
static_assert(__builtin_types_compatible_p(s64, long long));
static_assert(__builtin_types_compatible_p(resource_size_t, phys_addr_t));

struct kc_item {
	u32 tag;
	u64 value;
	struct list_head node;
};

static const struct kc_item kc_table[] = {
	{ .tag = 10, .value = 100 }, { .tag = 20, .value = 200 }, { .tag = 30, .value = 300 },
};
/* An EL2 global the EL1 half sets before the load: named through
 * kvm_nvhe_sym(), which is the plain name in EL2 code. */
u64 kvm_nvhe_sym(kc_seed);
static u64 mmio_cell[2] __aligned(16);
static const struct pkvm_module_ops *kc_ops;

u64 kc_probe_hyp(u64 sel);
u64 kc_probe_pgtable(u64 sel);
u64 kc_probe_mmu(u64 sel);
u64 kc_probe_kvm_host(u64 sel);
u64 kc_probe_nvhe(u64 sel);
u64 kc_generic(u64 sel);

/* Kept out of line on purpose: the attribute spellings a module may use. */
static __attribute__((__noinline__)) u64 kc_probe(u64 which, u64 sel)
{
	switch (which) {
	case 0:
		return kc_probe_hyp(sel);
	case 1:
		return kc_probe_pgtable(sel);
	case 2:
		return kc_probe_mmu(sel);
	case 3:
		return kc_probe_kvm_host(sel);
	case 4:
		return kc_probe_nvhe(sel);
	case 5:
		return kc_generic(sel);
	default:
		return (u64)(s64)-ERANGE;
	}
}

static noinline u64 kc_run(u64 cmd, u64 a, u64 b, u64 *r2, u64 *r3)
{
	u64 x __attribute__((unused)) = 0;
	u32 d32;
	const struct kc_item *item;

	switch (cmd) {
	case 1:
		*r2 = (u64)(s64)-ENOMEM;
		*r3 = (u64)(s64)-EOPNOTSUPP;
		return (u64)(s64)-EINVAL;
	case 2:
		*r2 = GENMASK_ULL(a, b);
		*r3 = GENMASK(7, 4);
		return BIT(a);
	case 3:
		*r2 = ESR_ELx_EC(a) == ESR_ELx_EC_DABT_LOW;
		*r3 = !!(a & ESR_ELx_WNR);
		return ESR_ELx_EC(a);
	case 4:
		*r2 = ALIGN_DOWN(a, b);
		*r3 = IS_ALIGNED(a, b);
		return ALIGN(a, b);
	case 5:
		*r2 = max(a, b);
		*r3 = clamp(a, (u64)16, (u64)64);
		return min(a, b);
	case 6:
		if (a >= ARRAY_SIZE(kc_table))
			return (u64)(s64)-EINVAL;
		item = container_of(&kc_table[a].node, struct kc_item, node);
		*r2 = item == &kc_table[a];
		*r3 = item->value + item->tag;
		return ARRAY_SIZE(kc_table);
	case 7:
		writel((u32)a, &mmio_cell[0]);
		writeq_relaxed(b, &mmio_cell[1]);
		*r2 = readq(&mmio_cell[1]);
		*r3 = readb_relaxed(&mmio_cell[0]);
		return readl(&mmio_cell[0]);
	case 8:
		*r2 = __fls(a);
		*r3 = fls((unsigned int)b);
		return __ffs(a);
	case 9:
		*r2 = check_shl_overflow((u32)a, (unsigned int)b, &d32);
		*r3 = PAGE_ALIGNED(a);
		return d32;
	case 10:
		*r2 = __phys_to_pfn(b);
		*r3 = PFN_UP(b);
		return __pfn_to_phys(a);
	case 11:
		*r2 = ARM_SMCCC_1_3_SVE_HINT;
		*r3 = SZ_2M;
		return AARCH64_INSN_SIZE;
	case 12:
		*r2 = __builtin_types_compatible_p(__u64, u64);
		*r3 = __builtin_types_compatible_p(uint64_t, u64);
		return _Generic((u64)0, unsigned long long: 1, unsigned long: 2, default: 3);
	case 13:
		x = kvm_nvhe_sym(kc_seed);
		OPTIMIZER_HIDE_VAR(x);
		return x;
	case 14:
		return kc_probe(a, b);
	default:
		return (u64)(s64)-EOPNOTSUPP;
	}
}

#if PKVM_GENERATION == 14
void kc_hvc(struct kvm_cpu_context *ctx)
{
	u64 r2 = 0, r3 = 0;
	u64 r1 = kc_run(cpu_reg(ctx, 1), cpu_reg(ctx, 2), cpu_reg(ctx, 3), &r2, &r3);

	cpu_reg(ctx, 1) = r1;
	cpu_reg(ctx, 2) = r2;
	cpu_reg(ctx, 3) = r3;
}
#else
void kc_hvc(struct user_pt_regs *regs)
{
	u64 r2 = 0, r3 = 0;
	u64 r1 = kc_run(regs->regs[1], regs->regs[2], regs->regs[3], &r2, &r3);

	regs->regs[0] = SMCCC_RET_SUCCESS; /* A15+: the handler sets x0 */
	regs->regs[1] = r1;
	regs->regs[2] = r2;
	regs->regs[3] = r3;
}
#endif

int kc_hyp_init(const struct pkvm_module_ops *ops)
{
	BUILD_BUG_ON(sizeof(u32) != 4);
	BUILD_BUG_ON(ARRAY_SIZE(kc_table) != 3);
	kc_ops = ops;
	return 0;
}

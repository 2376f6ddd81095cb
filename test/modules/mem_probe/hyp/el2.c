/* EL2 half of the mem_probe module: every memory, guest and device member of
 * pkvm_module_ops reachable through one dynamic hypercall, plus the callbacks
 * pKVM drives (host permission faults, illegal aborts, guest SMCs, TRNG,
 * device reset). x1 = command, x2..x5 = arguments; results in x1..x3.
 * Builds for A14/15/16. */
#include <asm/kvm_pkvm_module.h>
#include <linux/arm-smccc.h>
#include <linux/errno.h>
#include "../mem_probe.h"

#if PKVM_GENERATION == 14
#define REGS_T struct kvm_cpu_context
#define REG(r, n) cpu_reg(r, n)
#else
#define REGS_T struct user_pt_regs
#define REG(r, n) ((r)->regs[n])
#endif

#if PKVM_GENERATION >= 16
typedef s8 level_t;
#else
typedef u32 level_t;
#endif

/* Kernel structures the compat headers leave opaque, laid out as libpkvm
 * reads them (docs/memory.md). */
struct kvm_hyp_req {
	u8 type;
	union {
		struct {
			u8 dest;
			int nr_pages;
			int sz_alloc;
		} mem;
		struct {
			unsigned long guest_ipa;
			size_t size;
		} map;
	};
};
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	size_t pgsize;
	struct list_head freelist;
	bool queued;
};
struct kvm_iommu_paddr_cache {
	unsigned short ptr;
	u64 paddr[511];
	size_t pgsize[511];
};

static const struct pkvm_module_ops *ops;
static int fault_mode, trng_fail;
static u64 fault_calls, abt_calls, smc_calls, trng_calls;
static u64 last_fault_addr;
static int reset_to_guest_result, reset_to_host_result;
static u64 reset_calls, last_reset_dir = 0xff, reset_cookie_seen;
static int reset_cookie = 0x5eed;
static int iommus[2], domain;
static struct iommu_iotlb_gather gather = { .start = ~0UL };
static struct kvm_iommu_paddr_cache cache;
static struct pkvm_sglist_page sglist[2];

static int mod_prot(u64 pfn, u64 prot, u64 nr, u64 update_iommu)
{
#if PKVM_GENERATION == 14
	(void)update_iommu;
	if (nr == 1)
		return ops->host_stage2_mod_prot(pfn, prot);
	return ops->host_stage2_mod_prot_range(pfn, prot, nr);
#else
	return ops->host_stage2_mod_prot(pfn, prot, nr, update_iommu != 0);
#endif
}

static int fault_cb(REGS_T *regs, u64 esr, u64 addr)
{
	fault_calls++;
	last_fault_addr = addr;
	switch (fault_mode) {
	case MP_FAULT_FIX:
		/* The module changed the page's permissions; it may give them back. */
		mod_prot(addr >> 12, KVM_PGTABLE_PROT_RWX, 1, 1);
		return 0;
	case MP_FAULT_EPERM: return -EPERM;
	case MP_FAULT_EAGAIN: return -EAGAIN;
	case MP_FAULT_EINVAL: return -EINVAL;
	}
	return 0;
}

static void abt_cb(REGS_T *regs) { abt_calls++; }

#if PKVM_GENERATION == 15
static bool guest_smc(struct arm_smccc_1_2_regs *regs, struct arm_smccc_res *res,
		      pkvm_handle_t handle)
#else
static bool guest_smc(struct arm_smccc_1_2_regs *regs, struct arm_smccc_1_2_regs *res,
		      pkvm_handle_t handle)
#endif
{
	smc_calls++;
	if (regs->a0 != MP_GUEST_SMC_ID)
		return false;
	res->a0 = SMCCC_RET_SUCCESS;
	res->a1 = handle;
	res->a2 = regs->a1 + 1;
	res->a3 = 0x77;
	return true;
}

static const struct pkvm_uuid trng_uuid = {
	{ 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 }
};

static int trng_rnd64(u64 *entropy, int bits)
{
	trng_calls++;
	if (trng_fail)
		return -EIO;
	entropy[0] = 0x1111111111111111UL;
	entropy[1] = 0x2222222222222222UL;
	entropy[2] = 0x3333333333333333UL;
	return 0;
}

static const struct pkvm_module_trng_ops trng_ops = {
	.trng_uuid = &trng_uuid,
	.trng_rnd64 = trng_rnd64,
};

static int reset_cb(void *cookie, bool host_to_guest)
{
	reset_calls++;
	last_reset_dir = host_to_guest;
	reset_cookie_seen = *(int *)cookie;
	return host_to_guest ? reset_to_guest_result : reset_to_host_result;
}

int mem_probe_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return 0;
}

static u64 run(u64 cmd, u64 a, u64 b, u64 c, u64 d, u64 *r2, u64 *r3)
{
	switch (cmd) {
	case MP_PING: return MP_PONG;
	case MP_DONATE:
#if PKVM_GENERATION == 14
		return ops->host_donate_hyp(a, b);
#else
		return ops->host_donate_hyp(a, b, c != 0);
	case MP_DONATE_PROT: return ops->host_donate_hyp_prot(a, b, c != 0, d);
#endif
#if PKVM_GENERATION >= 16
	case MP_DONATE_SGLIST:
		sglist[0].pfn = a;
		sglist[0].order = b;
		sglist[1].pfn = c;
		sglist[1].order = d;
		return ops->host_donate_sglist_hyp(sglist, 2);
#endif
	case MP_UNDONATE: return ops->hyp_donate_host(a, b);
	case MP_SHARE: return ops->host_share_hyp(a);
	case MP_UNSHARE: return ops->host_unshare_hyp(a);
	case MP_PIN: {
		char *va = ops->hyp_va(a << 12);
		return ops->pin_shared_mem(va, va + b * 4096);
	}
	case MP_UNPIN: {
		char *va = ops->hyp_va(a << 12);
		ops->unpin_shared_mem(va, va + b * 4096);
		return 0;
	}
	case MP_MOD_PROT: return mod_prot(a, b, c, d);
	case MP_GET_LEAF: {
		kvm_pte_t pte = 0;
		level_t level = 0;
		int ret = ops->host_stage2_get_leaf(a, &pte, &level);
		*r2 = pte;
		*r3 = (u64)level;
		return ret;
	}
	case MP_PRIVATE_MAP: {
		unsigned long haddr = 0;
		int ret = ops->create_private_mapping(a, b, c, &haddr);
		*r2 = haddr;
		return ret;
	}
	case MP_ALLOC_VA: return (u64)ops->alloc_module_va(a);
	case MP_MAP_MODULE_PAGE: return ops->map_module_page(a, (void *)b, c, d != 0);
#if PKVM_GENERATION >= 16
	case MP_MAP_MODULE_PAGES: return ops->map_module_pages(a, (void *)b, c, PAGE_HYP, d != 0);
	case MP_UNMAP_MODULE_PAGES: return ops->unmap_module_pages(a, (void *)b, c);
	case MP_FIXBLOCK_MAP: return (u64)ops->fixblock_map(a);
	case MP_FIXBLOCK_UNMAP: ops->fixblock_unmap(); return 0;
#endif
	case MP_FIXMAP_MAP: return (u64)ops->fixmap_map(a);
	case MP_FIXMAP_UNMAP: ops->fixmap_unmap(); return 0;
	case MP_POKE: *(u64 *)a = b; return 0;
	case MP_PEEK: return *(u64 *)a;
	case MP_LINEAR_MAP_EARLY: return (u64)ops->linear_map_early(a, b, PAGE_HYP);
	case MP_LINEAR_UNMAP_EARLY: ops->linear_unmap_early((void *)a, b); return 0;
	case MP_FLUSH: ops->flush_dcache_to_poc((void *)a, b); return 0;
#if PKVM_GENERATION >= 15
	case MP_HYP_ALLOC: {
		void *p = ops->hyp_alloc(a);
		*r2 = (u64)(s64)ops->hyp_alloc_errno();
		*r3 = ops->hyp_alloc_missing_donations();
		return (u64)p;
	}
	case MP_HYP_FREE: ops->hyp_free((void *)a); return 0;
	case MP_IOMMU_DONATE:
		return c ? (u64)ops->iommu_donate_pages_atomic(a) : (u64)ops->iommu_donate_pages(a, b);
	case MP_IOMMU_RECLAIM:
		if (c)
			ops->iommu_reclaim_pages_atomic((void *)a, b);
		else
			ops->iommu_reclaim_pages((void *)a, b);
		return 0;
	case MP_IOMMU_INIT_DEVICE:
		return ops->iommu_init_device((struct kvm_hyp_iommu *)&iommus[a & 1]);
	case MP_IOMMU_SNAPSHOT:
		return ops->iommu_snapshot_host_stage2((struct kvm_hyp_iommu_domain *)&domain);
	case MP_GATHER_ADD:
		ops->iommu_iotlb_gather_add_page((struct kvm_hyp_iommu_domain *)&domain, &gather, a, b);
		*r2 = gather.start;
		*r3 = gather.end;
		return gather.pgsize;
	case MP_GATHER_RESET:
		gather.start = ~0UL;
		gather.end = 0;
		gather.pgsize = 0;
		return 0;
	case MP_UDELAY: ops->udelay(a); return 0;
	case MP_LAZY_PTE:
		return c ? ops->host_stage2_enable_lazy_pte(a, b) : ops->host_stage2_disable_lazy_pte(a, b);
#endif
#if PKVM_GENERATION == 15
	case MP_IOMMU_REQUEST: {
		struct kvm_hyp_req req = { 0 };
		req.type = a;
		req.mem.dest = b;
		req.mem.nr_pages = c;
		req.mem.sz_alloc = d;
		return ops->iommu_request(&req);
	}
	case MP_FLUSH_UNMAP_CACHE:
		cache.ptr = 0;
		cache.paddr[cache.ptr] = a;
		cache.pgsize[cache.ptr++] = 4096;
		if (b) {
			cache.paddr[cache.ptr] = b;
			cache.pgsize[cache.ptr++] = 4096;
		}
		ops->iommu_flush_unmap_cache(&cache);
		return cache.ptr;
	case MP_REG_GUEST_SMC: return ops->register_guest_smc_handler(guest_smc, a);
	case MP_GUEST_STAGE2_PA: {
		phys_addr_t phys = 0;
		int ret = ops->guest_stage2_pa(a, b, &phys);
		*r2 = phys;
		return ret;
	}
#endif
#if PKVM_GENERATION >= 16
	case MP_REQUEST_HYP_ALLOC: return ops->request_hyp_alloc();
	case MP_UNUSE_DMA: return ops->pkvm_unuse_dma(a, b);
	case MP_REG_GUEST_SMC: return ops->register_guest_smc_handler(guest_smc);
	case MP_REG_TRNG: return ops->register_guest_trng_ops(&trng_ops);
	case MP_REG_RESET: return ops->device_register_reset(a, &reset_cookie, reset_cb);
#endif
	case MP_SET_RESET_RESULT:
		reset_to_guest_result = a;
		reset_to_host_result = b;
		return 0;
	case MP_REG_PERM_FAULT: return ops->register_host_perm_fault_handler(fault_cb);
	case MP_SET_FAULT_MODE: fault_mode = a; return 0;
	case MP_REG_ILLEGAL_ABT: return ops->register_illegal_abt_notifier(abt_cb);
	case MP_COUNTERS:
		*r2 = last_fault_addr;
		*r3 = reset_calls | (last_reset_dir & 0xff) << 16 | reset_cookie_seen << 32;
		return fault_calls | abt_calls << 16 | smc_calls << 32 | trng_calls << 48;
	case MP_HYP_VA: return (u64)ops->hyp_va(a);
	case MP_SET_TRNG_FAIL: trng_fail = a; return 0;
	case MP_RESET:
		fault_mode = trng_fail = 0;
		fault_calls = abt_calls = smc_calls = trng_calls = last_fault_addr = 0;
		reset_to_guest_result = reset_to_host_result = 0;
		reset_calls = reset_cookie_seen = 0;
		last_reset_dir = 0xff;
		gather.start = ~0UL;
		gather.end = 0;
		gather.pgsize = 0;
		return 0;
	}
	return (u64)-EINVAL;
}

void mem_probe_hyp_hvc(REGS_T *regs)
{
	u64 r2 = 0, r3 = 0;
	u64 r1 = run(REG(regs, 1), REG(regs, 2), REG(regs, 3), REG(regs, 4), REG(regs, 5), &r2, &r3);

	REG(regs, 0) = SMCCC_RET_SUCCESS;
	REG(regs, 1) = r1;
	REG(regs, 2) = r2;
	REG(regs, 3) = r3;
}

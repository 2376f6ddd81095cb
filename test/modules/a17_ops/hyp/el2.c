/* EL2 half of a17_ops: calls the members the provisional A17 table adds or
 * changes (fixblock_map with a size, host_donate_hyp without accept_mmio,
 * iommu_reclaim_pages_atomic without an order, pkvm_use_dma, init_hvc_pd,
 * iommu_register_pviommu_drv, get_time, device_register_power_lock). */
#include <asm/kvm_pkvm_module.h>
#include <nvhe/pkvm.h>
#include "../a17_ops.h"

static const struct pkvm_module_ops *ops;
static struct kvm_power_domain pds[2];
static int pd_on, pd_off, pd_last = -1, pd_result;
static int power_calls;
static bool last_lock;
static const struct pkvm_uuid trng_uuid = {{1, 2, 3, 4}};

static int slot_of(struct kvm_power_domain *pd)
{
	return pd == &pds[0] ? 0 : pd == &pds[1] ? 1 : 0xff;
}

static int power_on(struct kvm_power_domain *pd)
{
	pd_on++;
	pd_last = slot_of(pd);
	return pd_result;
}

static int power_off(struct kvm_power_domain *pd)
{
	pd_off++;
	pd_last = slot_of(pd);
	return pd_result;
}

static const struct kvm_power_domain_ops pd_ops = {
	.power_on = power_on,
	.power_off = power_off,
};

static int power_lock_cb(void *cookie, bool lock)
{
	power_calls++;
	last_lock = lock;
	return 0;
}

static int trng_rnd64(u64 *entropy, int bits)
{
	entropy[0] = entropy[1] = entropy[2] = ~0ull;
	return 0;
}

static const struct pkvm_module_trng_ops trng = {
	.trng_uuid = &trng_uuid,
	.trng_rnd64 = trng_rnd64,
};

static u64 run(u64 cmd, u64 a, u64 b, u64 *r2)
{
	switch (cmd) {
	case A17_GET_TIME:
		return ops->get_time();
	case A17_FIXBLOCK: {
		size_t size = 0;
		void *p = ops->fixblock_map(a, &size);

		*r2 = size;
		if (!p)
			return 0;
		ops->fixblock_unmap();
		return 1;
	}
	case A17_DONATE:
		return (u64)(s64)ops->host_donate_hyp(a, b);
	case A17_ATOMIC: {
		void *p = ops->iommu_donate_pages_atomic((u8)a), *q;

		if (!p)
			return (u64)(s64)-ENOMEM;
		ops->iommu_reclaim_pages_atomic(p);
		q = ops->iommu_donate_pages_atomic((u8)a);
		if (q)
			ops->iommu_reclaim_pages_atomic(q);
		return p == q;
	}
	case A17_USE_DMA:
		return (u64)(s64)ops->pkvm_use_dma(a, b);
	case A17_UNUSE_DMA:
		return (u64)(s64)ops->pkvm_unuse_dma(a, b);
	case A17_INIT_PD:
		pds[b & 1].type = KVM_POWER_DOMAIN_HOST_HVC;
		pds[b & 1].device_id = a;
		return (u64)(s64)ops->init_hvc_pd(&pds[b & 1], &pd_ops);
	case A17_PD_STATE:
		return (u64)pd_on | (u64)pd_off << 8 | (u64)(pd_last & 0xff) << 16;
	case A17_SET_PD_RESULT:
		pd_result = (int)a;
		return 0;
	case A17_PVIOMMU:
		return (u64)(s64)ops->iommu_register_pviommu_drv((pkvm_handle_t)a);
	case A17_REG_POWER_LOCK:
		return (u64)(s64)ops->device_register_power_lock(a, 0, power_lock_cb);
	case A17_POWER_STATE:
		return (u64)power_calls | (u64)last_lock << 16;
	case A17_TRNG:
		return (u64)(s64)ops->register_guest_trng_ops(&trng);
	case A17_CPU:
		return (u64)(s64)ops->hyp_smp_processor_id();
	default:
		return (u64)(s64)-EOPNOTSUPP;
	}
}

void a17_ops_hvc(struct user_pt_regs *regs)
{
	u64 r2 = 0;

	regs->regs[1] = run(regs->regs[1], regs->regs[2], regs->regs[3], &r2);
	regs->regs[2] = r2;
	regs->regs[0] = SMCCC_RET_SUCCESS;
}

int a17_ops_hyp_init(const struct pkvm_module_ops *o)
{
	ops = o;
	return 0;
}

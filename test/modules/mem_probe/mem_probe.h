/* Commands of the mem_probe module's hypercall: x1 = command, x2..x5 =
 * arguments; results in x1 (return value), x2 and x3. Shared by its EL2 code
 * and test/integration/memory_ops_test.cc. */
#ifndef PKVM_TEST_MEM_PROBE_H_
#define PKVM_TEST_MEM_PROBE_H_

#define MP_PONG 0x3e3UL
/* The vendor-hyp guest SMC the module's guest SMC handler answers. */
#define MP_GUEST_SMC_ID 0xC6000042UL

enum mem_probe_cmd {
	MP_PING = 0,
	MP_DONATE = 1,          /* pfn, nr, accept_mmio */
	MP_DONATE_PROT = 2,     /* pfn, nr, accept_mmio, prot (A15+) */
	MP_DONATE_SGLIST = 3,   /* pfn0, order0, pfn1, order1 (A16) */
	MP_UNDONATE = 4,        /* pfn, nr */
	MP_SHARE = 5,           /* pfn */
	MP_UNSHARE = 6,         /* pfn */
	MP_PIN = 7,             /* pfn, nr */
	MP_UNPIN = 8,           /* pfn, nr */
	MP_MOD_PROT = 9,        /* pfn, prot, nr, update_iommu */
	MP_GET_LEAF = 10,       /* phys -> ret, pte, level */
	MP_PRIVATE_MAP = 11,    /* phys, size, prot -> ret, haddr */
	MP_ALLOC_VA = 12,       /* nr -> va */
	MP_MAP_MODULE_PAGE = 13,   /* pfn, va, prot, is_protected */
	MP_MAP_MODULE_PAGES = 14,  /* pfn, va, nr, is_protected (A16) */
	MP_UNMAP_MODULE_PAGES = 15,/* pfn, va, nr (A16) */
	MP_FIXMAP_MAP = 16,     /* phys -> va */
	MP_FIXMAP_UNMAP = 17,
	MP_FIXBLOCK_MAP = 18,   /* phys -> va (A16) */
	MP_FIXBLOCK_UNMAP = 19,
	MP_POKE = 20,           /* va, value: *(u64 *)va = value */
	MP_PEEK = 21,           /* va -> *(u64 *)va */
	MP_LINEAR_MAP_EARLY = 22,  /* phys, size -> va */
	MP_LINEAR_UNMAP_EARLY = 23,/* va, size */
	MP_FLUSH = 24,          /* va, size */
	MP_HYP_ALLOC = 25,      /* size -> ptr, errno, missing */
	MP_HYP_FREE = 26,       /* ptr */
	MP_REQUEST_HYP_ALLOC = 27, /* (A16) */
	MP_IOMMU_DONATE = 28,   /* order, request/flags, atomic -> ptr */
	MP_IOMMU_RECLAIM = 29,  /* ptr, order, atomic */
	MP_IOMMU_REQUEST = 30,  /* type, dest, nr_pages, sz_alloc (A15) */
	MP_IOMMU_INIT_DEVICE = 31, /* index 0..1 */
	MP_IOMMU_SNAPSHOT = 32,
	MP_GATHER_ADD = 33,     /* iova, size -> start, end */
	MP_GATHER_RESET = 34,
	MP_UDELAY = 35,         /* usecs */
	MP_UNUSE_DMA = 36,      /* phys, size (A16) */
	MP_FLUSH_UNMAP_CACHE = 37, /* phys0, phys1 (A15) */
	MP_LAZY_PTE = 38,       /* pfn, nr, enable */
	MP_REG_GUEST_SMC = 39,  /* handle (A15) */
	MP_GUEST_STAGE2_PA = 40,/* handle, ipa -> ret, phys (A15) */
	MP_REG_TRNG = 41,       /* (A16) */
	MP_REG_RESET = 42,      /* phys (A16) */
	MP_SET_RESET_RESULT = 43, /* to_guest result, to_host result */
	MP_REG_PERM_FAULT = 44,
	MP_SET_FAULT_MODE = 45, /* mode (below) */
	MP_REG_ILLEGAL_ABT = 46,
	MP_COUNTERS = 47,       /* -> fault calls | abt calls << 16 | smc calls << 32 |
	                         *    trng calls << 48, last fault addr, reset info */
	MP_HYP_VA = 48,         /* phys -> hyp_va(phys) */
	MP_SET_TRNG_FAIL = 49,  /* non-zero: trng_rnd64 fails */
	MP_RESET = 50,          /* counters, modes and results back to zero */
};

/* What the permission-fault handler does. */
enum mem_probe_fault_mode {
	MP_FAULT_RETURN_0 = 0,     /* "resolved" without fixing anything */
	MP_FAULT_FIX = 1,          /* restore RWX with host_stage2_mod_prot, return 0 */
	MP_FAULT_EPERM = 2,
	MP_FAULT_EAGAIN = 3,
	MP_FAULT_EINVAL = 4,
};

#endif

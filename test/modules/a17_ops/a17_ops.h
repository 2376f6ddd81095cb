/* Commands of the a17_ops module's hypercall (x1 = command, x2/x3 =
 * arguments, result in x1, x2): the members the provisional A17 table adds
 * or changes. */
#ifndef A17_OPS_H_
#define A17_OPS_H_

#define A17_GET_TIME 1         /* -> ops->get_time() */
#define A17_FIXBLOCK 2         /* x2 = phys -> mapped?, x2 = *size; unmaps again */
#define A17_DONATE 3           /* x2 = pfn, x3 = nr -> host_donate_hyp(pfn, nr) */
#define A17_ATOMIC 4           /* x2 = order -> donate, reclaim(p), donate: same block? */
#define A17_USE_DMA 5          /* x2 = phys, x3 = size -> pkvm_use_dma() */
#define A17_UNUSE_DMA 6        /* x2 = phys, x3 = size -> pkvm_unuse_dma() */
#define A17_INIT_PD 7          /* x2 = device id, x3 = pd slot (0/1) -> init_hvc_pd() */
#define A17_PD_STATE 8         /* -> on calls | off calls << 8 | last pd slot << 16 */
#define A17_SET_PD_RESULT 9    /* x2 = what power_on/power_off return */
#define A17_PVIOMMU 10         /* x2 = driver id -> iommu_register_pviommu_drv() */
#define A17_REG_POWER_LOCK 11  /* x2 = device phys -> device_register_power_lock() */
#define A17_POWER_STATE 12     /* -> calls | last lock << 16 */
#define A17_TRNG 13            /* -> register_guest_trng_ops() */
#define A17_CPU 14             /* -> hyp_smp_processor_id() */

#endif

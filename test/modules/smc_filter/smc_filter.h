/* Shared by the smc_filter module's halves and its tests: SMC function ids
 * and the commands of its dynamic hypercall. */
#ifndef SMC_FILTER_H_
#define SMC_FILTER_H_

/* SiP-owned fast SMC64 ids (owner 2). */
#define SMCF_DEFAULT_DENY_FID 0xC2000101u /* refused unless deny_fid= says otherwise */
#define SMCF_FWD_FID 0xC2000102u          /* the filter calls firmware itself (SMCCC 1.1) */
#define SMCF_FWD12_FID 0xC2000103u        /* the same with SMCCC 1.2 (x0..x17) */
#define SMCF_FW_FID 0xC2000202u           /* what SMCF_FWD_FID becomes at EL3 */
#define SMCF_FW12_FID 0xC2000203u         /* what SMCF_FWD12_FID becomes at EL3 */

/* Dynamic hypercall: x1 = command. */
#define SMCF_CMD_COUNTERS 0 /* x1 = denied, x2 = forwarded, x3 = passed through */
#define SMCF_CMD_CONFIG 1   /* x1 = deny fid, x2 = bias, x3 = tag (as EL2 sees them) */
#define SMCF_CMD_RESET 2    /* counters back to 0 */

#endif

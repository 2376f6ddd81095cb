/* secure_mem: a secure-memory manager test module.
 * EL1 allocates pages with alloc_pages/__get_free_page/kzalloc and hands
 * their physical addresses to EL2 by HVC; EL2 tracks them in a list under a
 * hyp spinlock and moves them between host and hypervisor on command.
 * One dynamic hypercall: x1 = command, x2 = page index; x1 = result. */
#ifndef SECURE_MEM_H
#define SECURE_MEM_H

#define SM_ADOPT 1      /* x2 = phys: track the page; x1 = its index or -errno */
#define SM_PHYS 2       /* x1 = phys of page x2 */
#define SM_DONATE 3     /* host_donate_hyp; EL2 then stamps the page: x1 = 0 / -errno */
#define SM_RECLAIM 4    /* EL2 wipes the page (memset), hyp_donate_host */
#define SM_SHARE 5      /* host_share_hyp; x1 = first word EL2 reads from it, or -errno */
#define SM_UNSHARE 6
#define SM_PIN 7        /* pin_shared_mem over the page */
#define SM_UNPIN 8
#define SM_READ 9       /* first word of a donated or shared page, read at EL2 */
#define SM_COUNT 10     /* tracked pages (list_count_nodes) */
#define SM_CORRUPT 11   /* records an impossible state for page x2 */
#define SM_STRING_CALLS 12 /* calls of the module's own memset + memcpy */
#define SM_FORGET 13    /* stop tracking page x2 (must be back with the host) */

#define SM_STAMP 0x5ec0de0000000000ull /* | index: what EL2 writes into a donated page */
#define SM_EL1_MAGIC 0xe11a110c00000000ull /* | index: what EL1 wrote before handing it over */
#define SM_NR_PAGES 4

#endif

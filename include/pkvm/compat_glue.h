/* File: include/pkvm/compat_glue.h
 * Glue shared by the kernel-named compat headers (include/pkvm/compat/...):
 * the generation switch and the entry points libpkvm's simulated kernel
 * exports to module code. Module sources never include this directly.
 *
 * Module code is compiled with -DPKVM_GENERATION=14|15|16|17 (pkvm_add_module
 * does it); the compat headers then present that generation's types under
 * the kernel's names, e.g. `struct pkvm_module_ops` is the A15 table.
 */
#ifndef PKVM_COMPAT_GLUE_H_
#define PKVM_COMPAT_GLUE_H_

#ifndef PKVM_GENERATION
#error "module code must be compiled with -DPKVM_GENERATION=14, 15, 16 or 17 (pkvm_add_module() sets it)"
#endif
#if PKVM_GENERATION < 14 || PKVM_GENERATION > 17
#error "PKVM_GENERATION must be 14 (android14-6.1), 15 (android15-6.6), 16 (android16-6.12) or 17 (android17-6.18, provisional)"
#endif

/* The android16-6.12 KMI level the module is built for (pkvm/abi/module_ops.h):
 * 0, the verified table, unless -DPKVM_A16_KMI=1|2 says otherwise. */
#ifndef PKVM_A16_KMI
#define PKVM_A16_KMI 0
#endif
#if PKVM_A16_KMI < 0 || PKVM_A16_KMI > 2
#error "PKVM_A16_KMI must be 0 (verified A16 table), 1 (+device_register_power_lock) or 2 (+get_time, enum guest SMC results)"
#endif

#define PKVM_CAT_(a, b) a##b
#define PKVM_CAT(a, b) PKVM_CAT_(a, b)
#define PKVM_GEN_SUFFIX_(g) _a##g
#define PKVM_GEN_SUFFIX(g) PKVM_GEN_SUFFIX_(g)
/* PKVM_GEN_NAME(pkvm_module_ops) -> pkvm_module_ops_a15 when PKVM_GENERATION=15 */
#define PKVM_GEN_NAME(name) PKVM_CAT(name, PKVM_GEN_SUFFIX(PKVM_GENERATION))

#ifdef CONFIG_LIST_HARDENED
#ifndef PKVM_CONFIG_LIST_HARDENED
#define PKVM_CONFIG_LIST_HARDENED 1
#endif
#endif

/* The EL2 exception registers module handlers read and write (asm/kvm_hyp.h):
 * natively libpkvm keeps them per simulated CPU; in an AArch64 .ko the EL2
 * runtime reads the real registers with mrs/msr. */
#define PKVM_EL2_SYSREG_ELR 0
#define PKVM_EL2_SYSREG_SPSR 1
#define PKVM_EL2_SYSREG_ESR 2
#define PKVM_EL2_SYSREG_FAR 3
#define PKVM_EL2_SYSREG_HPFAR 4
#define PKVM_NR_EL2_SYSREGS 5
#ifdef __cplusplus
extern "C" {
#endif
unsigned long long __pkvm_read_sysreg(int id);
void __pkvm_write_sysreg(int id, unsigned long long value);
#ifdef __cplusplus
}
#endif

#endif /* PKVM_COMPAT_GLUE_H_ */

/* File: include/pkvm/kmodule.h
 * libpkvm's view of the `struct module` that compat <linux/module.h> defines,
 * one per generation, so the simulated kernel (one build of libpkvm) can read
 * `arch.hyp` of modules of any generation. Not kernel ABI: it is the contract
 * between libpkvm's compat headers and its loader, locked by static_asserts
 * in <linux/module.h>.
 */
#ifndef PKVM_KMODULE_H_
#define PKVM_KMODULE_H_

#include <pkvm/abi/el2_module.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MODULE_NAME_LEN is 64 - sizeof(unsigned long) in the kernel. */
#define PKVM_MODULE_NAME_LEN 56

#define PKVM_DEFINE_KMODULE_(sfx)                  \
  struct pkvm_kmodule##sfx {                       \
    char name[PKVM_MODULE_NAME_LEN];               \
    int (*init)(void);                             \
    void (*exit)(void);                            \
    struct pkvm_el2_module##sfx hyp;               \
  }

PKVM_DEFINE_KMODULE_(_a14);
PKVM_DEFINE_KMODULE_(_a15);
PKVM_DEFINE_KMODULE_(_a16);
PKVM_DEFINE_KMODULE_(_a17);

#undef PKVM_DEFINE_KMODULE_

#ifdef __cplusplus
}
#endif

#endif /* PKVM_KMODULE_H_ */

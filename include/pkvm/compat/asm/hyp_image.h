/* File: include/pkvm/compat/asm/hyp_image.h -- the hypervisor's symbol
 * namespace. Kbuild prefixes every symbol of EL2 objects with __kvm_nvhe_, so
 * EL1 code names an EL2 symbol kvm_nvhe_sym(x) (= __kvm_nvhe_x) while EL2
 * code (built with __KVM_NVHE_HYPERVISOR__) names it plainly: kvm_nvhe_sym(x)
 * is x there, and the objcopy adds the prefix once. */
#ifndef __ARM64_HYP_IMAGE_H__
#define __ARM64_HYP_IMAGE_H__

#define __HYP_CONCAT(a, b) a##b
#define HYP_CONCAT(a, b) __HYP_CONCAT(a, b)

#ifndef __KVM_NVHE_HYPERVISOR__
#define kvm_nvhe_sym(sym) __kvm_nvhe_##sym
#else
#define kvm_nvhe_sym(sym) sym
#endif

#endif

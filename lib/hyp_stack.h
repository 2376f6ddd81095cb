// File: lib/hyp_stack.h
// The per-CPU hyp stack module EL2 code runs on, on both backends: the
// kernel's NVHE_STACK_SIZE of the machine's generation unless the options
// say otherwise (HypervisorOptions::hyp_stack_size).
#ifndef PKVM_LIB_HYP_STACK_H_
#define PKVM_LIB_HYP_STACK_H_

#include <cstdint>

#include "pkvm/hypervisor.h"

namespace pkvm {

// NVHE_STACK_SIZE with 4 KiB pages: one page up to android15-6.6 (the
// nVHE stack was PAGE_SIZE); two for android16-6.12, whose trees define
// NVHE_STACK_SHIFT as PAGE_SHIFT + 1 with 4 KiB pages (mainline's
// CONFIG_NVHE_STACK_SHIFT defaults to one page: docs/debugging.md).
inline uint64_t DefaultHypStackSize(Generation gen) {
  return gen == Generation::kA16 ? 8192 : 4096;
}

inline uint64_t HypStackSize(const HypervisorOptions& o) {
  return o.hyp_stack_size != 0 ? o.hyp_stack_size : DefaultHypStackSize(o.generation);
}

}  // namespace pkvm

#endif  // PKVM_LIB_HYP_STACK_H_

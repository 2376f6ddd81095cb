// File: lib/host/kernel_mem.h
// The simulated host kernel's memory for EL1 module code: one page
// allocator in the machine (mem::El1PageAllocator in Hypervisor::Impl::memory) behind kmalloc/alloc_pages on both backends.
// Natively EL1 code gets host pointers into the machine's RAM; the Unicorn
// backend's host calls hand out the same pages at their physical address.
#ifndef PKVM_LIB_HOST_KERNEL_MEM_H_
#define PKVM_LIB_HOST_KERNEL_MEM_H_

#include <cstdint>

#include "machine.h"

namespace pkvm {

// gfp flags libpkvm acts on (the kernel's values).
inline constexpr uint32_t kGfpZero = 0x100;  // __GFP_ZERO

// `nr` pages aligned to `align` pages; the physical address, or 0 (and a
// "page allocation failure" line in the log) when there is no such run.
uint64_t KernelPageAlloc(Hypervisor::Impl& m, uint64_t nr, uint64_t align, uint32_t gfp);
// Frees what KernelPageAlloc() gave at `phys` (nr == 0: the whole block).
// Misuse -- not a block start, wrong size, a page still donated or shared --
// is a WARNING in the log and the pages stay allocated.
void KernelPageFree(Hypervisor::Impl& m, uint64_t phys, uint64_t nr);

}  // namespace pkvm

#endif  // PKVM_LIB_HOST_KERNEL_MEM_H_

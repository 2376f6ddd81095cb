// File: lib/mem/el1_alloc.h
// The simulated host kernel's page allocator for EL1 module code:
// kmalloc/kzalloc, alloc_pages(_exact),
// __get_free_page(s) and their frees, on both backends. It hands out pages
// of the machine's emulated RAM that the host owns, so a module can donate
// or share them to EL2 by physical address; on the Unicorn backend EL1 code
// sees them at that address (RAM is mapped VA == PA there).
//
// Its range is the second quarter of RAM: below the Unicorn backend's module
// images (from the middle up) and far from the hypervisor pools
// TopUpHypPool() takes from the top; the low pages stay for tests that pick
// physical pages by hand. First fit, blocks aligned to their (power of two)
// alignment as the buddy allocator's are.
//
//   mem::El1PageAllocator a;  a.Init(ram_begin_pfn, ram_end_pfn);
//   uint64_t pfn = a.Alloc(pages, 4, 4, [&](uint64_t p) { return usable(p); });
#ifndef PKVM_LIB_MEM_EL1_ALLOC_H_
#define PKVM_LIB_MEM_EL1_ALLOC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace pkvm::mem {

class El1PageAllocator {
 public:
  // RAM is [ram_begin, ram_end) in pfns; the allocator takes its second quarter.
  void Init(uint64_t ram_begin, uint64_t ram_end);
  uint64_t first_pfn() const { return first_; }
  uint64_t end_pfn() const { return end_; }

  // `nr` contiguous pages starting at a multiple of `align` pages, each one
  // accepted by `usable` (pristine host RAM); 0 when there is no such run.
  uint64_t Alloc(uint64_t nr, uint64_t align, const std::function<bool(uint64_t)>& usable);
  // Frees the allocation starting at `pfn`; `nr` must be its size (0: any).
  // Returns "" or what is wrong, for a WARNING line in the log.
  std::string Free(uint64_t pfn, uint64_t nr);
  // Pages of the allocation that starts at `pfn`, 0 when none does.
  uint64_t SizeOf(uint64_t pfn) const;
  uint64_t allocated_pages() const;

  bool operator==(const El1PageAllocator&) const = default;

 private:
  uint64_t first_ = 0, end_ = 0;
  std::map<uint64_t, uint64_t> used_;  // first pfn -> pages
};

}  // namespace pkvm::mem

#endif  // PKVM_LIB_MEM_EL1_ALLOC_H_

// File: lib/mem/pools.h
// The hypervisor's page-backed allocators: the heap behind hyp_alloc() and
// the page pools behind iommu_donate_pages(). Both only ever hold pages the
// host donated to the hypervisor; they work in physical addresses and know
// nothing about ownership (lib/mem/page_model.h does).
//
//   HypHeap heap;
//   heap.AddRun(0x47ff0000, 4);
//   int err; uint64_t missing;
//   uint64_t pa = heap.Alloc(100, &err, &missing);
#ifndef PKVM_LIB_MEM_POOLS_H_
#define PKVM_LIB_MEM_POOLS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <boost/intrusive/set.hpp>

namespace pkvm::mem {

// First-fit heap over runs of physically contiguous pages. An allocation
// never spans two runs (each run is one stretch of the heap's VA space).
class HypHeap {
 public:
  static constexpr uint64_t kGranule = 16;
  // The heap's VA space: beyond it hyp_alloc() fails with -E2BIG.
  static constexpr uint64_t kVaPages = 16384;
  // hyp_alloc_missing_donations() is a u8.
  static constexpr uint64_t kMaxMissing = 255;

  void AddRun(uint64_t pa, uint64_t nr_pages);
  // Returns the physical address of `size` bytes, or 0 with *err = -EINVAL
  // (size 0), -E2BIG (no VA space left) or -ENOMEM (*missing = the pages the
  // host must donate first).
  uint64_t Alloc(uint64_t size, int* err, uint64_t* missing);
  // -EINVAL unless `pa` is a live allocation.
  int Free(uint64_t pa);
  bool Contains(uint64_t pa) const;
  uint64_t pages() const { return pages_; }
  uint64_t bytes_in_use() const { return in_use_; }
  size_t live_allocations() const { return live_.size(); }

 private:
  struct Run {
    uint64_t bytes = 0;
    std::map<uint64_t, uint64_t> free;  // offset -> length
  };
  std::map<uint64_t, Run> runs_;        // by base pa
  std::map<uint64_t, uint64_t> live_;   // pa -> rounded size
  uint64_t pages_ = 0;
  uint64_t in_use_ = 0;
};

// A pool of pages handed out in naturally aligned blocks of 2^order pages,
// the lowest free block first. As in the kernel's hyp_pool, every page of
// the pool has a descriptor (its struct hyp_page) that the pool allocates
// once, when the page is added, and the free pages are linked through their
// descriptors (a Boost.Intrusive set ordered by pfn): allocating and freeing
// moves descriptors in and out of the set and never allocates.
class PagePool {
 public:
  static constexpr unsigned kMaxOrder = 10;
  PagePool() = default;
  // Snapshots copy the pool: the copy has its own descriptors, linked as
  // the original's are.
  PagePool(const PagePool& o);
  PagePool& operator=(const PagePool& o);
  ~PagePool();
  // Adds the pages of [pfn, pfn + nr_pages) the pool does not have yet.
  void Add(uint64_t pfn, uint64_t nr_pages);
  // The first pfn of a free aligned block of 2^order pages, or 0.
  uint64_t Alloc(unsigned order);
  // -EINVAL unless [pfn, 2^order) was handed out by Alloc(order).
  int Free(uint64_t pfn, unsigned order);
  bool Owns(uint64_t pfn) const { return Find(pfn) != nullptr; }
  // The order pfn was handed out with by Alloc(), or -1 if it was not.
  int OrderOf(uint64_t pfn) const {
    const Page* p = Find(pfn);
    return p == nullptr || p->order == kNotAllocated ? -1 : p->order;
  }
  uint64_t free_pages() const { return free_.size(); }
  size_t blocks_in_use() const { return blocks_in_use_; }

 private:
  static constexpr uint8_t kNotAllocated = 0xff;
  struct Page : boost::intrusive::set_base_hook<> {
    uint64_t pfn = 0;
    uint8_t order = kNotAllocated;  // the order of the block this page heads
    friend bool operator<(const Page& a, const Page& b) { return a.pfn < b.pfn; }
  };
  // Descriptors of the pages [first, first + nr), one run per Add() stretch.
  struct Run {
    uint64_t first = 0, nr = 0;
    std::unique_ptr<Page[]> pages;
  };
  Page* Find(uint64_t pfn) const;
  void CopyFrom(const PagePool& o);

  std::vector<Run> runs_;  // by first pfn, disjoint; outlives free_
  boost::intrusive::set<Page> free_;
  size_t blocks_in_use_ = 0;
};

}  // namespace pkvm::mem

#endif  // PKVM_LIB_MEM_POOLS_H_

// File: lib/mem/pools.cc -- hyp_alloc heap and IOMMU page pools.
#include "mem/pools.h"

#include <cerrno>
#include <iterator>

namespace pkvm::mem {
namespace {
constexpr uint64_t kPageBytes = 4096;
}

void HypHeap::AddRun(uint64_t pa, uint64_t nr_pages) {
  Run run;
  run.bytes = nr_pages * kPageBytes;
  run.free.emplace(0, run.bytes);
  runs_.emplace(pa, std::move(run));
  pages_ += nr_pages;
}

uint64_t HypHeap::Alloc(uint64_t size, int* err, uint64_t* missing) {
  *missing = 0;
  if (size == 0) {
    *err = -EINVAL;
    return 0;
  }
  if (size > kVaPages * kPageBytes) {
    *err = -E2BIG;
    return 0;
  }
  const uint64_t rounded = (size + kGranule - 1) / kGranule * kGranule;
  for (auto& [base, run] : runs_) {
    for (auto it = run.free.begin(); it != run.free.end(); ++it) {
      if (it->second < rounded) continue;
      const uint64_t off = it->first, len = it->second;
      run.free.erase(it);
      if (len > rounded) run.free.emplace(off + rounded, len - rounded);
      live_.emplace(base + off, rounded);
      in_use_ += rounded;
      *err = 0;
      return base + off;
    }
  }
  const uint64_t need = (rounded + kPageBytes - 1) / kPageBytes;
  if (need > kMaxMissing || pages_ + need > kVaPages) {
    *err = -E2BIG;
    return 0;
  }
  *err = -ENOMEM;
  *missing = need;
  return 0;
}

int HypHeap::Free(uint64_t pa) {
  auto live = live_.find(pa);
  if (live == live_.end()) return -EINVAL;
  auto it = runs_.upper_bound(pa);
  --it;  // a live allocation always lies in a run
  Run& run = it->second;
  uint64_t off = pa - it->first, len = live->second;
  in_use_ -= len;
  live_.erase(live);
  // Coalesce with the free neighbours.
  auto next = run.free.lower_bound(off);
  if (next != run.free.end() && next->first == off + len) {
    len += next->second;
    next = run.free.erase(next);
  }
  if (next != run.free.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      off = prev->first;
      len += prev->second;
      run.free.erase(prev);
    }
  }
  run.free.emplace(off, len);
  return 0;
}

bool HypHeap::Contains(uint64_t pa) const {
  auto it = runs_.upper_bound(pa);
  if (it == runs_.begin()) return false;
  --it;
  return pa < it->first + it->second.bytes;
}

void PagePool::Add(uint64_t pfn, uint64_t nr_pages) {
  for (uint64_t p = pfn; p < pfn + nr_pages; ++p) {
    free_.insert(p);
    all_.insert(p);
  }
}

uint64_t PagePool::Alloc(unsigned order) {
  if (order > kMaxOrder) return 0;
  const uint64_t n = 1ull << order;
  for (uint64_t p : free_) {
    if (p % n != 0) continue;
    bool ok = true;
    for (uint64_t q = p + 1; q < p + n && ok; ++q) ok = free_.count(q) != 0;
    if (!ok) continue;
    for (uint64_t q = p; q < p + n; ++q) free_.erase(q);
    used_.emplace(p, order);
    return p;
  }
  return 0;
}

int PagePool::Free(uint64_t pfn, unsigned order) {
  auto it = used_.find(pfn);
  if (it == used_.end() || it->second != order) return -EINVAL;
  used_.erase(it);
  for (uint64_t q = pfn; q < pfn + (1ull << order); ++q) free_.insert(q);
  return 0;
}

bool PagePool::Owns(uint64_t pfn) const { return all_.count(pfn) != 0; }

}  // namespace pkvm::mem

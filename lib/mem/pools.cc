// File: lib/mem/pools.cc -- hyp_alloc heap and IOMMU page pools.
#include "mem/pools.h"

#include <algorithm>
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

PagePool::PagePool(const PagePool& o) { CopyFrom(o); }

PagePool& PagePool::operator=(const PagePool& o) {
  if (this != &o) CopyFrom(o);
  return *this;
}

PagePool::~PagePool() { free_.clear(); }

void PagePool::CopyFrom(const PagePool& o) {
  free_.clear();
  runs_.clear();
  runs_.reserve(o.runs_.size());
  for (const Run& r : o.runs_) {
    Run c{r.first, r.nr, std::make_unique<Page[]>(r.nr)};
    for (uint64_t i = 0; i < r.nr; ++i) {
      c.pages[i].pfn = r.pages[i].pfn;
      c.pages[i].order = r.pages[i].order;
      // Runs and pages are in pfn order: each free page goes at the end.
      if (r.pages[i].is_linked()) free_.insert(free_.end(), c.pages[i]);
    }
    runs_.push_back(std::move(c));
  }
  blocks_in_use_ = o.blocks_in_use_;
}

PagePool::Page* PagePool::Find(uint64_t pfn) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), pfn,
                             [](uint64_t p, const Run& r) { return p < r.first; });
  if (it == runs_.begin()) return nullptr;
  --it;
  return pfn - it->first < it->nr ? &it->pages[pfn - it->first] : nullptr;
}

void PagePool::Add(uint64_t pfn, uint64_t nr_pages) {
  // Stretches of pages the pool does not have yet, each one new run.
  uint64_t p = pfn;
  const uint64_t end = pfn + nr_pages;
  while (p < end) {
    while (p < end && Owns(p)) ++p;
    uint64_t q = p;
    while (q < end && !Owns(q)) ++q;
    if (q == p) break;
    Run r{p, q - p, std::make_unique<Page[]>(q - p)};
    for (uint64_t i = 0; i < r.nr; ++i) {
      r.pages[i].pfn = p + i;
      free_.insert(r.pages[i]);
    }
    auto at = std::upper_bound(runs_.begin(), runs_.end(), p,
                               [](uint64_t v, const Run& run) { return v < run.first; });
    runs_.insert(at, std::move(r));
    p = q;
  }
}

uint64_t PagePool::Alloc(unsigned order) {
  if (order > kMaxOrder) return 0;
  const uint64_t n = 1ull << order;
  for (Page& page : free_) {
    const uint64_t p = page.pfn;
    if (p % n != 0) continue;
    bool ok = true;
    for (uint64_t q = p + 1; q < p + n && ok; ++q) {
      const Page* d = Find(q);
      ok = d != nullptr && d->is_linked();
    }
    if (!ok) continue;
    for (uint64_t q = p; q < p + n; ++q) free_.erase(free_.iterator_to(*Find(q)));
    Find(p)->order = static_cast<uint8_t>(order);
    ++blocks_in_use_;
    return p;
  }
  return 0;
}

int PagePool::Free(uint64_t pfn, unsigned order) {
  Page* head = order <= kMaxOrder ? Find(pfn) : nullptr;
  if (head == nullptr || head->order != order) return -EINVAL;
  head->order = kNotAllocated;
  --blocks_in_use_;
  for (uint64_t q = pfn; q < pfn + (1ull << order); ++q) free_.insert(*Find(q));
  return 0;
}

}  // namespace pkvm::mem

// File: lib/mem/el1_alloc.cc -- the EL1 page allocator (el1_alloc.h).
#include "mem/el1_alloc.h"

#include "absl/strings/str_format.h"

namespace pkvm::mem {

void El1PageAllocator::Init(uint64_t ram_begin, uint64_t ram_end) {
  const uint64_t n = ram_end - ram_begin;
  first_ = ram_begin + n / 4;
  end_ = ram_begin + n / 2;
  used_.clear();
}

uint64_t El1PageAllocator::Alloc(uint64_t nr, uint64_t align,
                                 const std::function<bool(uint64_t)>& usable) {
  if (nr == 0 || align == 0 || nr > end_ - first_) return 0;
  uint64_t pfn = (first_ + align - 1) / align * align;
  auto next = used_.lower_bound(pfn);
  if (next != used_.begin()) {  // an allocation that starts below pfn may cover it
    auto prev = std::prev(next);
    if (prev->first + prev->second > pfn) pfn = (prev->first + prev->second + align - 1) / align * align;
  }
  while (pfn + nr <= end_) {
    next = used_.lower_bound(pfn);
    if (next != used_.end() && next->first < pfn + nr) {
      pfn = (next->first + next->second + align - 1) / align * align;
      continue;
    }
    uint64_t bad = 0;
    bool ok = true;
    for (uint64_t p = pfn; p < pfn + nr; ++p) {
      if (!usable(p)) {
        ok = false;
        bad = p;
        break;
      }
    }
    if (ok) {
      used_.emplace(pfn, nr);
      return pfn;
    }
    pfn = (bad + 1 + align - 1) / align * align;
  }
  return 0;
}

std::string El1PageAllocator::Free(uint64_t pfn, uint64_t nr) {
  auto it = used_.find(pfn);
  if (it == used_.end())
    return absl::StrFormat("pfn %#x is not the start of a block the kernel allocator handed out",
                           pfn);
  if (nr != 0 && nr != it->second)
    return absl::StrFormat("the block at pfn %#x has %u pages, not %u", pfn, it->second, nr);
  used_.erase(it);
  return "";
}

uint64_t El1PageAllocator::SizeOf(uint64_t pfn) const {
  auto it = used_.find(pfn);
  return it == used_.end() ? 0 : it->second;
}

uint64_t El1PageAllocator::allocated_pages() const {
  uint64_t n = 0;
  for (const auto& [p, k] : used_) n += k;
  return n;
}

}  // namespace pkvm::mem

// File: lib/mem/sparse_image.h
// A copy of a large, mostly untouched anonymous mapping (the machine's RAM, a
// device's register file) that keeps only its non-zero pages, and puts the
// mapping back cheaply: pages that still hold the saved bytes are left alone,
// pages that differ are copied back, and everything else is dropped
// (MADV_DONTNEED), which makes it read as zeros again without touching pages
// nobody used. Used by machine snapshots (lib/snapshot.cc).
#ifndef PKVM_LIB_MEM_SPARSE_IMAGE_H_
#define PKVM_LIB_MEM_SPARSE_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace pkvm::mem {

class SparseImage {
 public:
  // [first page, end page) ranges, in pages from the start of the mapping.
  using PageRanges = std::vector<std::pair<uint64_t, uint64_t>>;

  // Saves the non-zero pages of [base, base + size); `size` is a multiple of
  // 4 KiB and `base` page-aligned. Pages the kernel never populated (neither
  // resident nor swapped, per /proc/self/pagemap or else mincore) are zero
  // and are not even read.
  static SparseImage Capture(const uint8_t* base, uint64_t size);

  // Puts the saved contents back into the same-sized mapping at `base`.
  // Appends to `changed` (when given) the page ranges whose contents may have
  // changed: those copied back and those dropped that were populated.
  void Restore(uint8_t* base, uint64_t size, PageRanges* changed = nullptr) const;

  uint64_t size() const { return size_; }
  size_t saved_pages() const { return pages_.size(); }

 private:
  uint64_t size_ = 0;
  std::vector<uint64_t> pages_;       // indices of the saved pages, ascending
  std::unique_ptr<uint8_t[]> bytes_;  // their contents, in the same order
};

}  // namespace pkvm::mem

#endif  // PKVM_LIB_MEM_SPARSE_IMAGE_H_

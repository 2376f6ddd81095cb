// File: lib/mem/sparse_image.cc
#include "mem/sparse_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace pkvm::mem {
namespace {

constexpr uint64_t kPageBytes = 4096;
constexpr uint64_t kLowBits = 0x0101010101010101ull;  // bit 0 of 8 mincore() bytes

bool IsZeroPage(const uint8_t* p) {
  uint64_t acc = 0;
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  for (size_t i = 0; i < kPageBytes / sizeof(uint64_t); ++i) acc |= w[i];
  return acc == 0;
}

// Which pages of [base, base + n pages) the kernel has populated: resident or
// swapped out (/proc/self/pagemap bits 63 and 62). Falls back to mincore(),
// which misses swapped pages, where pagemap cannot be read.
std::vector<uint8_t> PopulatedPages(const uint8_t* base, uint64_t n) {
  std::vector<uint8_t> out(n, 0);
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    constexpr uint64_t kChunk = 4096;
    std::vector<uint64_t> entries(kChunk);
    const uint64_t first = reinterpret_cast<uintptr_t>(base) / kPageBytes;
    bool ok = true;
    for (uint64_t i = 0; i < n && ok; i += kChunk) {
      const uint64_t count = std::min(kChunk, n - i);
      const ssize_t want = static_cast<ssize_t>(count * sizeof(uint64_t));
      const ssize_t got = pread(fd, entries.data(), static_cast<size_t>(want),
                                static_cast<off_t>((first + i) * sizeof(uint64_t)));
      if (got != want) {
        ok = false;
        break;
      }
      for (uint64_t j = 0; j < count; ++j) out[i + j] = (entries[j] >> 62) != 0 ? 1 : 0;
    }
    close(fd);
    if (ok) return out;
  }
  std::vector<unsigned char> vec(n, 0);
  if (mincore(const_cast<uint8_t*>(base), n * kPageBytes, vec.data()) != 0) {
    std::fill(out.begin(), out.end(), 1);  // unknown: read every page
    return out;
  }
  for (uint64_t i = 0; i < n; ++i) out[i] = vec[i] & 1;
  return out;
}

// Whether the system swaps: then "not resident" does not mean "zero".
bool SwapActive() {
  static const bool active = [] {
    struct sysinfo info {};
    return sysinfo(&info) == 0 && info.totalswap > 0;
  }();
  return active;
}

}  // namespace

SparseImage SparseImage::Capture(const uint8_t* base, uint64_t size) {
  SparseImage img;
  img.size_ = size;
  const uint64_t n = size / kPageBytes;
  const std::vector<uint8_t> populated = PopulatedPages(base, n);
  for (uint64_t i = 0; i < n; ++i)
    if (populated[i] && !IsZeroPage(base + i * kPageBytes)) img.pages_.push_back(i);
  img.bytes_ = std::make_unique_for_overwrite<uint8_t[]>(img.pages_.size() * kPageBytes);
  for (size_t k = 0; k < img.pages_.size(); ++k)
    std::memcpy(img.bytes_.get() + k * kPageBytes, base + img.pages_[k] * kPageBytes, kPageBytes);
  return img;
}

void SparseImage::Restore(uint8_t* base, uint64_t size, PageRanges* changed) const {
  if (size != size_) return;
  const uint64_t n = size / kPageBytes;
  // One residency query for the whole mapping; a gap between saved pages is
  // then dropped run by run, only where pages are populated. With swap on, a
  // page may be populated without being resident: drop whole gaps then.
  std::vector<unsigned char> resident(n, 1);
  const bool exact = mincore(base, size, resident.data()) == 0 && !SwapActive();
  auto drop = [&](uint64_t from, uint64_t to) {
    if (from >= to) return;
    if (!exact) {
      if (changed != nullptr) changed->emplace_back(from, to);
      if (madvise(base + from * kPageBytes, (to - from) * kPageBytes, MADV_DONTNEED) != 0)
        std::memset(base + from * kPageBytes, 0, (to - from) * kPageBytes);
      return;
    }
    for (uint64_t i = from; i < to;) {
      if ((resident[i] & 1) == 0) {
        // Most of a machine's RAM is untouched: skip 8 pages at a time.
        uint64_t word;
        while (i + 8 <= to && (std::memcpy(&word, &resident[i], 8), (word & kLowBits) == 0)) i += 8;
        while (i < to && (resident[i] & 1) == 0) ++i;
        continue;
      }
      uint64_t j = i;
      while (j < to && (resident[j] & 1) != 0) ++j;
      if (changed != nullptr) changed->emplace_back(i, j);
      if (madvise(base + i * kPageBytes, (j - i) * kPageBytes, MADV_DONTNEED) != 0)
        std::memset(base + i * kPageBytes, 0, (j - i) * kPageBytes);
      i = j;
    }
  };
  uint64_t next = 0;  // first page not handled yet
  for (size_t k = 0; k < pages_.size(); ++k) {
    const uint64_t page = pages_[k];
    drop(next, page);
    uint8_t* dst = base + page * kPageBytes;
    const uint8_t* src = bytes_.get() + k * kPageBytes;
    if (std::memcmp(dst, src, kPageBytes) != 0) {
      std::memcpy(dst, src, kPageBytes);
      if (changed != nullptr) {
        if (!changed->empty() && changed->back().second == page)
          changed->back().second = page + 1;
        else
          changed->emplace_back(page, page + 1);
      }
    }
    next = page + 1;
  }
  drop(next, n);
}

}  // namespace pkvm::mem

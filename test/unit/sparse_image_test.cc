// SparseImage: the RAM/device copy behind machine snapshots.
#include "mem/sparse_image.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>

namespace pkvm::mem {
namespace {

constexpr uint64_t kPage = 4096;

struct Mapping {
  explicit Mapping(uint64_t pages) : size(pages * kPage) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    base = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~Mapping() {
    if (base != nullptr) munmap(base, size);
  }
  uint8_t* page(uint64_t i) { return base + i * kPage; }
  uint64_t size;
  uint8_t* base;
};

TEST(SparseImageTest, KeepsOnlyNonZeroPagesAndPutsEverythingBack) {
  Mapping m(64);
  ASSERT_NE(m.base, nullptr);
  std::memset(m.page(3), 0xaa, kPage);
  m.page(10)[4095] = 7;
  std::memset(m.page(20), 0, kPage);  // touched, but zero: not saved
  const SparseImage img = SparseImage::Capture(m.base, m.size);
  EXPECT_EQ(img.saved_pages(), 2u);

  m.page(3)[0] = 0;           // a saved page changed
  m.page(10)[4095] = 7;       // a saved page rewritten with the same byte
  std::memset(m.page(40), 0x55, 2 * kPage);  // pages written after the capture
  SparseImage::PageRanges changed;
  img.Restore(m.base, m.size, &changed);

  for (uint64_t i = 0; i < kPage; ++i) ASSERT_EQ(m.page(3)[i], 0xaa) << i;
  EXPECT_EQ(m.page(10)[4095], 7);
  for (uint64_t i = 0; i < 2 * kPage; ++i) ASSERT_EQ(m.page(40)[i], 0) << i;
  // Page 3 was copied back and 40..41 dropped; page 10 was left alone.
  const SparseImage::PageRanges want = {{3, 4}, {40, 42}};
  SparseImage::PageRanges got;
  for (const auto& r : changed)
    if (r != std::make_pair<uint64_t, uint64_t>(20, 21)) got.push_back(r);  // zero page: may show
  EXPECT_EQ(got, want);
}

TEST(SparseImageTest, RestoresRepeatedlyAndIgnoresAnotherSize) {
  Mapping m(8), other(4);
  ASSERT_NE(m.base, nullptr);
  m.page(7)[0] = 1;
  const SparseImage img = SparseImage::Capture(m.base, m.size);
  for (int round = 0; round < 3; ++round) {
    m.page(7)[0] = static_cast<uint8_t>(round + 2);
    m.page(0)[0] = 9;
    img.Restore(m.base, m.size);
    EXPECT_EQ(m.page(7)[0], 1);
    EXPECT_EQ(m.page(0)[0], 0);
  }
  other.page(0)[0] = 5;
  img.Restore(other.base, other.size);  // not the mapping it was taken of
  EXPECT_EQ(other.page(0)[0], 5);
}

}  // namespace
}  // namespace pkvm::mem

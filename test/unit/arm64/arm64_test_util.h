// File: test/unit/arm64/arm64_test_util.h
// Paths of the AArch64 objects the build made for these tests, file reading,
// and the skip that applies when the cross toolchain is not installed.
#ifndef PKVM_TEST_UNIT_ARM64_ARM64_TEST_UTIL_H_
#define PKVM_TEST_UNIT_ARM64_ARM64_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "module_linker.h"

#ifndef PKVM_A64_FIXTURES
#define PKVM_A64_FIXTURES ""
#endif

namespace pkvm::arm64::testing {

// Skips the test when aarch64-linux-gnu-gcc was not found at configure time
// (the only reason the objects can be missing).
#define PKVM_REQUIRE_AARCH64_OBJECTS()                                                   \
  do {                                                                                 \
    if (std::string(PKVM_A64_FIXTURES).empty())                                        \
      GTEST_SKIP() << "aarch64-linux-gnu-gcc/binutils not installed: no AArch64 objects"; \
  } while (0)

inline std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline std::string Fixture(const std::string& name) {
  return std::string(PKVM_A64_FIXTURES) + "/" + name + ".o";
}

// Page-aligned, zeroed host memory that guest CPUs can map.
class PageBuffer {
 public:
  explicit PageBuffer(uint64_t size)
      : size_((size + 4095) & ~uint64_t{4095}),
        p_(static_cast<uint8_t*>(std::aligned_alloc(4096, size_ ? size_ : 4096))) {
    std::fill_n(p_.get(), size_, 0);
  }
  uint8_t* data() const { return p_.get(); }
  uint64_t size() const { return size_; }
  std::span<uint8_t> span() const { return {p_.get(), size_}; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  uint64_t size_;
  std::unique_ptr<uint8_t, Free> p_;
};

}  // namespace pkvm::arm64::testing

#endif  // PKVM_TEST_UNIT_ARM64_ARM64_TEST_UTIL_H_

// File: test/unit/debug/coverage_files_test.cc -- lcov and drcov writers.
#include "debug/coverage_files.h"

#include <gtest/gtest.h>

#include <cstring>

namespace pkvm::debug {
namespace {

TEST(CoverageFiles, Lcov) {
  LineCounts lines;
  lines["/src/a.c"] = {{3, 2}, {4, 0}, {9, 1}};
  lines["/src/b.h"] = {{1, 0}};
  EXPECT_EQ(LcovTracefile("t", lines),
            "TN:t\nSF:/src/a.c\nDA:3,2\nDA:4,0\nDA:9,1\nLF:3\nLH:2\nend_of_record\n"
            "TN:t\nSF:/src/b.h\nDA:1,0\nLF:1\nLH:0\nend_of_record\n");
}

TEST(CoverageFiles, Drcov) {
  const std::string d = Drcov({{"/m.ko", 0x42001000, 0x42002000}}, {{0x10, 8, 0}, {0x234, 0x104, 0}});
  const std::string header =
      "DRCOV VERSION: 2\nDRCOV FLAVOR: drcov\nModule Table: version 2, count 1\n"
      "Columns: id, base, end, entry, checksum, timestamp, path\n"
      "  0, 0x0000000042001000, 0x0000000042002000, 0x0000000000000000, 0x00000000, 0x00000000, /m.ko\n"
      "BB Table: 2 bbs\n";
  ASSERT_EQ(d.substr(0, header.size()), header);
  ASSERT_EQ(d.size(), header.size() + 16);
  const unsigned char want[16] = {0x10, 0, 0, 0, 8, 0, 0, 0, 0x34, 0x02, 0, 0, 0x04, 0x01, 0, 0};
  EXPECT_EQ(std::memcmp(d.data() + header.size(), want, 16), 0);
}

}  // namespace
}  // namespace pkvm::debug

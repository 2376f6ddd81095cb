// File: lib/debug/coverage_files.cc -- see coverage_files.h.
#include "debug/coverage_files.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pkvm::debug {

std::string LcovTracefile(const std::string& test_name, const LineCounts& lines) {
  std::string out;
  for (const auto& [file, counts] : lines) {
    absl::StrAppend(&out, "TN:", test_name, "\nSF:", file, "\n");
    int hit = 0;
    for (const auto& [line, count] : counts) {
      absl::StrAppend(&out, "DA:", line, ",", count, "\n");
      hit += count != 0;
    }
    absl::StrAppend(&out, "LF:", counts.size(), "\nLH:", hit, "\nend_of_record\n");
  }
  return out;
}

std::string Drcov(const std::vector<DrcovModule>& modules, const std::vector<DrcovBlock>& blocks) {
  std::string out = "DRCOV VERSION: 2\nDRCOV FLAVOR: drcov\n";
  absl::StrAppendFormat(&out, "Module Table: version 2, count %d\n", modules.size());
  out += "Columns: id, base, end, entry, checksum, timestamp, path\n";
  for (size_t i = 0; i < modules.size(); ++i)
    absl::StrAppendFormat(&out, "%3d, %#018x, %#018x, 0x0000000000000000, 0x00000000, 0x00000000, %s\n",
                          i, modules[i].base, modules[i].end, modules[i].path);
  absl::StrAppendFormat(&out, "BB Table: %d bbs\n", blocks.size());
  for (const DrcovBlock& b : blocks) {
    char rec[8];  // struct { u32 start; u16 size; u16 mod_id; }, little-endian
    for (int i = 0; i < 4; ++i) rec[i] = static_cast<char>(b.offset >> (8 * i));
    rec[4] = static_cast<char>(b.size);
    rec[5] = static_cast<char>(b.size >> 8);
    rec[6] = static_cast<char>(b.module);
    rec[7] = static_cast<char>(b.module >> 8);
    out.append(rec, sizeof rec);
  }
  return out;
}

}  // namespace pkvm::debug

// File: lib/backends/unicorn/coverage.cc -- see coverage.h.
#include "backends/unicorn/coverage.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "debug/dwarf_lines.h"

namespace pkvm {

namespace {

absl::Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

void Coverage::AddModule(const DebugModule& mod) {
  std::erase_if(modules_, [&](const DebugModule& d) { return d.name == mod.name; });
  modules_.push_back(mod);
}

absl::Status Coverage::LineCounts(debug::LineCounts* out) const {
  // Executed blocks by address, to find the one covering a line's address.
  std::map<uint64_t, Count> sorted(blocks_.begin(), blocks_.end());
  auto hits_at = [&](uint64_t addr) -> uint64_t {
    auto it = sorted.upper_bound(addr);
    uint64_t hits = 0;
    // Blocks may overlap (a branch into the middle of another): look back a little.
    for (int back = 0; back < 8 && it != sorted.begin(); ++back) {
      --it;
      if (addr < it->first + it->second.size) hits = std::max(hits, it->second.hits);
    }
    return hits;
  };
  absl::Status missing;
  for (const DebugModule& mod : modules_) {
    auto rows = debug::ReadLineTable(mod.path);
    if (!rows.ok()) {
      missing = rows.status();
      continue;
    }
    for (const debug::LineRow& row : *rows) {
      auto sec = std::find_if(mod.sections.begin(), mod.sections.end(),
                              [&](const DebugModule::Section& s) { return s.name == row.section; });
      if (sec == mod.sections.end() || row.offset >= sec->size) continue;
      uint64_t& count = (*out)[row.file][row.line];
      count = std::max(count, hits_at(sec->addr + row.offset));
    }
  }
  return missing;
}

absl::Status Coverage::WriteLcov(const std::string& path) const {
  debug::LineCounts lines;
  absl::Status s = LineCounts(&lines);
  if (absl::Status w = WriteFile(path, debug::LcovTracefile("pkvm", lines)); !w.ok()) return w;
  return s;
}

absl::Status Coverage::WriteDrcov(const std::string& path) const {
  // One drcov module per module part: its EL1 sections and its EL2 (.hyp.*)
  // sections run at unrelated addresses.
  std::vector<debug::DrcovModule> table;
  for (const DebugModule& mod : modules_) {
    for (bool el2 : {false, true}) {
      uint64_t lo = UINT64_MAX, hi = 0;
      for (const DebugModule::Section& s : mod.sections) {
        if (s.el2 != el2 || s.size == 0) continue;
        lo = std::min(lo, s.addr);
        hi = std::max(hi, s.addr + s.size);
      }
      if (lo < hi) table.push_back({mod.path, lo, hi});
    }
  }
  std::vector<debug::DrcovBlock> blocks;
  for (const auto& [addr, c] : blocks_) {
    for (size_t i = 0; i < table.size(); ++i) {
      if (addr < table[i].base || addr >= table[i].end) continue;
      blocks.push_back({static_cast<uint32_t>(addr - table[i].base),
                        static_cast<uint16_t>(std::min<uint32_t>(c.size, 0xffff)),
                        static_cast<uint16_t>(i)});
      break;
    }
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const debug::DrcovBlock& a, const debug::DrcovBlock& b) {
              return a.module != b.module ? a.module < b.module : a.offset < b.offset;
            });
  return WriteFile(path, debug::Drcov(table, blocks));
}

}  // namespace pkvm

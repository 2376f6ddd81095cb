// File: lib/debug/coverage_files.h
// Coverage file formats, written from plain data: the lcov tracefile
// (genhtml, lcov --summary) and drcov version 2 (DynamoRIO's format, read by
// Lighthouse, bncov and other disassembler plugins). Internal API.
#ifndef PKVM_LIB_DEBUG_COVERAGE_FILES_H_
#define PKVM_LIB_DEBUG_COVERAGE_FILES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pkvm::debug {

// Source file -> line -> execution count (0: instrumented, never run).
using LineCounts = std::map<std::string, std::map<int, uint64_t>>;

// "TN:\nSF:<file>\nDA:<line>,<count>\n...LF:<lines>\nLH:<hit>\nend_of_record\n" per file.
std::string LcovTracefile(const std::string& test_name, const LineCounts& lines);

struct DrcovModule {
  std::string path;
  uint64_t base = 0, end = 0;
};
struct DrcovBlock {
  uint32_t offset = 0;  // from its module's base
  uint16_t size = 0;
  uint16_t module = 0;  // index into the module table
};
// The text header, the module table and the binary basic-block table.
std::string Drcov(const std::vector<DrcovModule>& modules, const std::vector<DrcovBlock>& blocks);

}  // namespace pkvm::debug

#endif  // PKVM_LIB_DEBUG_COVERAGE_FILES_H_

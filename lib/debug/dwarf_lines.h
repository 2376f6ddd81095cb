// File: lib/debug/dwarf_lines.h
// The DWARF line table of an ELF file, read with elfutils' libdwfl (which
// applies the relocations of a relocatable .ko's debug sections): every row
// as (section, offset in it, source file, line). Internal API.
#ifndef PKVM_LIB_DEBUG_DWARF_LINES_H_
#define PKVM_LIB_DEBUG_DWARF_LINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pkvm::debug {

struct LineRow {
  std::string section;  // ".text", ".hyp.text", ...
  uint64_t offset = 0;  // in that section
  std::string file;     // as the compiler recorded it (absolute when built in-tree)
  int line = 0;
};

// Every row that starts code (end-of-sequence rows are left out). NotFound
// when the file has no line table (built without -g).
absl::StatusOr<std::vector<LineRow>> ReadLineTable(const std::string& elf_path);

}  // namespace pkvm::debug

#endif  // PKVM_LIB_DEBUG_DWARF_LINES_H_

// File: lib/debug/dwarf_lines.cc -- see dwarf_lines.h.
#include "debug/dwarf_lines.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pkvm::debug {

absl::StatusOr<std::vector<LineRow>> ReadLineTable(const std::string& elf_path) {
  // Offline: the file alone; dwfl_offline_section_address lays out the
  // sections of an ET_REL file so that addresses can be mapped back to them.
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks kCallbacks = {
      .find_elf = nullptr,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = dwfl_offline_section_address,
      .debuginfo_path = &debuginfo_path,
  };
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl(dwfl_begin(&kCallbacks), dwfl_end);
  if (dwfl == nullptr) return absl::InternalError(dwfl_errmsg(-1));
  Dwfl_Module* mod = dwfl_report_offline(dwfl.get(), "module", elf_path.c_str(), -1);
  if (mod == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(elf_path, ": ", dwfl_errmsg(-1)));
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  std::vector<LineRow> rows;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = nullptr;
  bool any_cu = false;
  while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != nullptr) {
    any_cu = true;
    Dwarf_Lines* lines = nullptr;
    size_t n = 0;
    if (dwarf_getsrclines(cu, &lines, &n) != 0) continue;
    for (size_t i = 0; i < n; ++i) {
      Dwarf_Line* l = dwarf_onesrcline(lines, i);
      bool end = false;
      Dwarf_Addr addr = 0;
      int line = 0;
      if (l == nullptr || dwarf_lineendsequence(l, &end) != 0 || end || dwarf_lineaddr(l, &addr) != 0 ||
          dwarf_lineno(l, &line) != 0 || line <= 0)
        continue;
      const char* file = dwarf_linesrc(l, nullptr, nullptr);
      Dwarf_Addr rel = addr + bias;
      const int idx = dwfl_module_relocate_address(mod, &rel);
      if (idx < 0 || file == nullptr) continue;
      const char* sec = dwfl_module_relocation_info(mod, static_cast<unsigned>(idx), nullptr);
      if (sec == nullptr) continue;
      rows.push_back({sec, rel, file, line});
    }
  }
  if (!any_cu) return absl::NotFoundError(absl::StrCat(elf_path, ": no DWARF line table (built without -g?)"));
  return rows;
}

}  // namespace pkvm::debug

// File: lib/debug/symbolize.h
// Names code addresses for hyp panic reports: `symbol+0xoff (file:line)`,
// from the symbol table and DWARF line table (elfutils' libdw). EL2 names
// lose the `__kvm_nvhe_` prefix Kbuild gives them.
//
//   debug::SymbolizeHost(pc)            // code of this process (native modules)
//   auto dbg = debug::ObjectDebugInfo::Open(ko_bytes, addr_of_section);
//   dbg->SourceLine(el1_addr)           // "el2.c:42" for a loaded .ko
#ifndef PKVM_LIB_DEBUG_SYMBOLIZE_H_
#define PKVM_LIB_DEBUG_SYMBOLIZE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pkvm::debug {

// "faulty_hyp_hvc+0x1c (el2.c:51)" for an address of code mapped in this
// process; "symbol+0xoff" without line information; "" when no symbol
// covers it. Thread-safe; re-reads the process's mappings when `addr` is in
// an object loaded since the last call.
std::string SymbolizeHost(uintptr_t addr);

// "name+0xoff" -> "name" without the EL2 prefix.
std::string DropHypPrefix(std::string name);

// The DWARF of a relocatable object (an AArch64 .ko) whose sections a
// loader placed at addresses of its own.
class ObjectDebugInfo {
 public:
  // `section_addr[i]`: where section i was loaded, 0 when it was not.
  // nullptr when the object has no usable DWARF.
  static std::unique_ptr<ObjectDebugInfo> Open(std::span<const uint8_t> elf,
                                               std::vector<uint64_t> section_addr);
  ~ObjectDebugInfo();
  ObjectDebugInfo(const ObjectDebugInfo&) = delete;
  ObjectDebugInfo& operator=(const ObjectDebugInfo&) = delete;

  // "el2.c:51" for a loaded address, "" without line information.
  std::string SourceLine(uint64_t addr) const;

 private:
  struct State;
  explicit ObjectDebugInfo(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace pkvm::debug

#endif  // PKVM_LIB_DEBUG_SYMBOLIZE_H_

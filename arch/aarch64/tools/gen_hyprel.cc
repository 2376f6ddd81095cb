// File: arch/aarch64/tools/gen_hyprel.cc
// Host tool of the AArch64 module build (cmake/PkvmModuleAarch64.cmake):
//
//   gen_hyprel kvm_nvhe.tmp.o -o hyp-reloc.S
//
// reads the linked EL2 objects of a module and writes the assembly of its
// `.hyp.reloc` section (see arch/aarch64/hyprel.h). Exit status 1 and a
// message naming the relocation on any problem, so the build stops there.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../hyprel.h"

int main(int argc, char** argv) {
  std::string in, out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-o" && i + 1 < argc) {
      out = argv[++i];
    } else if (in.empty() && !a.empty() && a[0] != '-') {
      in = a;
    } else {
      std::fprintf(stderr, "usage: gen_hyprel <el2-objects.o> [-o <hyp-reloc.S>]\n");
      return 2;
    }
  }
  if (in.empty()) {
    std::fprintf(stderr, "usage: gen_hyprel <el2-objects.o> [-o <hyp-reloc.S>]\n");
    return 2;
  }
  std::ifstream f(in, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "gen_hyprel: cannot open %s\n", in.c_str());
    return 1;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  auto obj = pkvm::arm64::ElfObject::Parse(bytes);
  if (!obj.ok()) {
    std::fprintf(stderr, "gen_hyprel: %s: %s\n", in.c_str(),
                 std::string(obj.status().message()).c_str());
    return 1;
  }
  auto sites = pkvm::arm64::CollectHypRelocs(*obj);
  if (!sites.ok()) {
    std::fprintf(stderr, "gen_hyprel: %s: %s\n", in.c_str(),
                 std::string(sites.status().message()).c_str());
    return 1;
  }
  const std::string text = pkvm::arm64::FormatHypRelocAsm(*sites, in);
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  o << text;
  if (!o.flush()) {
    std::fprintf(stderr, "gen_hyprel: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}

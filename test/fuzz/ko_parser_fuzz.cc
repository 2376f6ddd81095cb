// File: test/fuzz/ko_parser_fuzz.cc
// Fuzz target for the .ko parser and module linker (arch/aarch64): every
// input must end in a Status, never a crash, a hang or a write outside the
// module's guest memory (run it under ASan/UBSan).
//
// Two ways to run it:
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON):
//      ko_parser_fuzz -max_total_time=60 build/.../test/fuzz/corpus
//  * as a plain program (every build): runs each file (or directory of
//    files) given, and with --mutate=N also N deterministic mutations of
//    each -- truncations, bit flips, and section-header/symbol/relocation
//    fields set to boundary values. ctest runs it over the .ko files the
//    build made (the seed corpus).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "elf_object.h"
#include "hyprel.h"
#include "module_linker.h"
#include "seed_driver.h"

namespace {

using namespace pkvm::arm64;

struct Stats {
  uint64_t inputs = 0, parsed = 0, linked = 0;
} stats;

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  const std::span<const uint8_t> bytes(data, size);
  if (auto obj = ElfObject::Parse(bytes); obj.ok()) (void)CollectHypRelocs(*obj);

  LinkOptions o;
  o.require_this_module = false;
  auto ko = KoImage::Parse(bytes, o);
  if (!ko.ok()) return;
  ++stats.parsed;
  if (ko->size() > (64u << 20)) return;  // valid but too big to bother
  // Exactly the size the image needs: ASan catches any write past it.
  std::vector<uint8_t> mem(ko->size());
  const GuestRegion region{0x40000000, mem};
  auto resolve = [](absl::string_view name) -> absl::StatusOr<uint64_t> {
    if (name.size() % 3 == 0) return absl::NotFoundError(name);
    return 0x40000000 + 0x100000 + 16 * name.size();
  };
  auto mod = LinkModule(*ko, region, resolve);
  if (!mod.ok()) return;
  ++stats.linked;
  (void)mod->Symbolize(mod->init);
  for (int gen : {14, 15, 16}) (void)InitModuleHyp(*mod, region, gen);
  (void)PatchEl2Imports(*mod, region, 0x80000000000, resolve);
  (void)ApplyHypRelocs(*mod, region, 0x80000000000);
}

// Overwrites `n` bytes at `off` with a boundary value.
void Poke(std::vector<uint8_t>& b, size_t off, int n, std::mt19937_64& rng) {
  static const uint64_t kValues[] = {0, 1, 2, 3, 4, 8, 0x18, 0x40, 0xff, 0xfff0, 0xffff,
                                     0x7fffffff, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
                                     0xffffffffffffffff, 0x1000, 0x1001};
  uint64_t v = kValues[rng() % std::size(kValues)];
  if (rng() % 4 == 0) v = b.size() + (rng() % 64) - 32;
  // `off` comes from fuzzed header fields: compare without wrapping.
  if (off <= b.size() && static_cast<size_t>(n) <= b.size() - off) std::memcpy(b.data() + off, &v, static_cast<size_t>(n));
}

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  std::mt19937_64 rng(0x5eed ^ salt);
  for (int i = 0; i < rounds; ++i) {
    std::vector<uint8_t> b = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (rng() % 6) {
        case 0:  // truncate
          b.resize(rng() % b.size());
          break;
        case 1:  // flip bits
          b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2: {  // a section-header field
          uint64_t shoff = 0;
          uint16_t shnum = 0;
          if (b.size() >= 64) {
            std::memcpy(&shoff, b.data() + 40, 8);
            std::memcpy(&shnum, b.data() + 60, 2);
          }
          if (shnum == 0) break;
          static const int kFields[][2] = {{0, 4}, {4, 4}, {8, 8}, {24, 8}, {32, 8},
                                           {40, 4}, {44, 4}, {48, 8}, {56, 8}};
          const auto& f = kFields[rng() % std::size(kFields)];
          Poke(b, shoff + 64 * (rng() % shnum) + f[0], f[1], rng);
          break;
        }
        case 3:  // an ELF header field
          Poke(b, 16 + 2 * (rng() % 24), 2 << (rng() % 3), rng);
          break;
        case 4:  // anywhere: an 8-, 4- or 2-byte value
          if (b.size() > 8) Poke(b, rng() % (b.size() - 8), 2 << (rng() % 3), rng);
          break;
        case 5:  // a 24-byte record (symbol or RELA entry) duplicated elsewhere
          if (b.size() > 96) {
            const size_t from = rng() % (b.size() - 24), to = rng() % (b.size() - 24);
            std::memmove(b.data() + to, b.data() + from, 24);
          }
          break;
      }
    }
    RunOne(b.data(), b.size());
  }
}

std::string Summary() {
  return std::to_string(stats.parsed) + " parsed, " + std::to_string(stats.linked) + " linked";
}
bool Exercised() { return true; }

}  // namespace

PKVM_FUZZ_TARGET("ko_parser_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)

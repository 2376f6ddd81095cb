// File: test/fuzz/dtb_fuzz.cc
// Fuzz target for device trees through the public API: every blob handed to
// Hypervisor::SetDeviceTree() ends in a Status; an accepted one boots (the
// PL011 binding walks the tree) without a crash or a hang.
//
// Two ways to run it:
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON): dtb_fuzz -max_total_time=60 DIR
//  * as a plain program (every build): each file given, and with --mutate=N
//    also N deterministic mutations of each -- truncations, bit flips, header
//    fields and property lengths set to boundary values (the values that
//    wrap 32-bit offset arithmetic). ctest runs it over dtc-compiled seeds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pkvm/hypervisor.h"
#include "seed_driver.h"

namespace {

struct Stats {
  uint64_t inputs = 0, accepted = 0, booted = 0;
} stats;

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  pkvm::HypervisorOptions o;
  o.ram_size = 16ull << 20;
  auto hv = pkvm::Hypervisor::Create(o);
  if (!hv.ok()) std::abort();  // the machine itself must always come up
  if (!(*hv)->SetDeviceTree(std::vector<uint8_t>(data, data + size)).ok()) return;
  ++stats.accepted;
  if ((*hv)->Boot().ok()) ++stats.booted;
}

void PutBe32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  if (off > b.size() || b.size() - off < 4) return;
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

uint32_t GetBe32(const std::vector<uint8_t>& b, size_t off) {
  if (off > b.size() || b.size() - off < 4) return 0;
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         b[off + 3];
}

uint32_t Boundary(std::mt19937_64& rng, size_t size) {
  static const uint32_t kValues[] = {0,          1,          2,          3,          4,
                                     8,          16,         17,         0x28,       0xff,
                                     0xffff,     0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffff8,
                                     0xfffffffc, 0xffffffff, 0xd00dfeed, 9};
  if (rng() % 4 == 0) return static_cast<uint32_t>(size + (rng() % 64) - 32);
  return kValues[rng() % std::size(kValues)];
}

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  std::mt19937_64 rng(0xd7b ^ salt);
  for (int i = 0; i < rounds; ++i) {
    std::vector<uint8_t> b = seed;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (rng() % 5) {
        case 0:  // truncate
          b.resize(rng() % b.size());
          break;
        case 1:  // flip a bit
          b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:  // a header field (magic .. size_dt_struct)
          PutBe32(b, 4 * (rng() % 10), Boundary(rng, b.size()));
          break;
        case 3: {  // a property's length or name offset
          const uint32_t off_struct = GetBe32(b, 8);
          std::vector<size_t> props;
          for (size_t off = off_struct; off + 12 <= b.size(); off += 4)
            if (GetBe32(b, off) == 3) props.push_back(off);
          if (props.empty()) break;
          PutBe32(b, props[rng() % props.size()] + 4 + 4 * (rng() % 2), Boundary(rng, b.size()));
          break;
        }
        case 4:  // a token anywhere in the blob
          if (b.size() >= 8) PutBe32(b, 4 * (rng() % (b.size() / 4)), 1 + rng() % 9);
          break;
      }
    }
    RunOne(b.data(), b.size());
  }
}

std::string Summary() {
  return std::to_string(stats.accepted) + " accepted, " + std::to_string(stats.booted) + " booted";
}
bool Exercised() { return stats.booted > 0; }

}  // namespace

PKVM_FUZZ_TARGET("dtb_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)

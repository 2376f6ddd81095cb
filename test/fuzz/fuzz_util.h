// File: test/fuzz/fuzz_util.h
// What the fuzz targets of the public API share: deterministic mutations of
// a text seed -- byte edits, and splices of the words the parser under test
// knows -- for the plain-program mode (seed_driver.h), and a booted machine.
#ifndef PKVM_TEST_FUZZ_FUZZ_UTIL_H_
#define PKVM_TEST_FUZZ_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "pkvm/hypervisor.h"

namespace pkvm::fuzz {

// One mutation of `b` (1..3 edits): truncate, flip a bit, set a byte to a
// boundary value, insert or overwrite with one of `words`, duplicate a run of bytes.
inline void MutateText(std::vector<uint8_t>& b, std::mt19937_64& rng,
                       std::span<const char* const> words) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    const size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
    switch (rng() % 6) {
      case 0:
        if (!b.empty()) b.resize(rng() % b.size());
        break;
      case 1:
        if (!b.empty()) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 2: {
        static const uint8_t kBytes[] = {0, ' ', '\t', '\n', '"', '=', ',', '-', '_', '0', '9', 0x7f, 0xff};
        if (!b.empty()) b[rng() % b.size()] = kBytes[rng() % sizeof kBytes];
        break;
      }
      case 3:
      case 4: {
        const std::string w = words[rng() % words.size()];
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), w.begin(), w.end());
        break;
      }
      case 5:
        if (!b.empty() && b.size() < 4096) {
          const size_t from = rng() % b.size();
          const size_t len = 1 + rng() % std::min<size_t>(64, b.size() - from);
          std::vector<uint8_t> run(b.begin() + static_cast<std::ptrdiff_t>(from),
                                     b.begin() + static_cast<std::ptrdiff_t>(from + len));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), run.begin(), run.end());
        }
        break;
    }
  }
}

// Every round: a fresh copy of `seed`, MutateText(), `run` on the result.
template <typename Run>
void RunTextMutations(const std::vector<uint8_t>& seed, int rounds, uint64_t rng_seed,
                      std::span<const char* const> words, Run run) {
  std::mt19937_64 rng(rng_seed);
  for (int i = 0; i < rounds; ++i) {
    std::vector<uint8_t> b = seed;
    MutateText(b, rng, words);
    run(b.data(), b.size());
  }
}

// A booted native machine (16 MiB, two CPUs) with module `mod` named on its
// command line; aborts when it does not come up (that is a finding too).
inline std::unique_ptr<Hypervisor> BootedMachine(const char* name, const pkvm_native_module& mod) {
  HypervisorOptions o;
  o.ram_size = 16ull << 20;
  o.cpus = 2;
  o.cmdline = std::string("kvm-arm.protected_modules=") + name;
  auto hv = Hypervisor::Create(o);
  if (!hv.ok() || !(*hv)->OfferModule(mod).ok() || !(*hv)->Boot().ok()) std::abort();
  return std::move(hv).value();
}

}  // namespace pkvm::fuzz

#endif  // PKVM_TEST_FUZZ_FUZZ_UTIL_H_

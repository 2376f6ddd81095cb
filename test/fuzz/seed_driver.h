// File: test/fuzz/seed_driver.h
// The plain-program mode every fuzz target has besides libFuzzer's: run each
// file (or every file of a directory) given on the command line, and with
// --mutate=N also N deterministic mutations of each, so ctest exercises the
// target in every build (ASan/UBSan included) without clang. --salt=S picks
// another deterministic series of mutations (./dev fuzz runs S = 1, 2, ...).
//
//   PKVM_FUZZ_TARGET("dtb_fuzz", RunOne, Mutate, stats.inputs, Summary, Exercised)
#ifndef PKVM_TEST_FUZZ_SEED_DRIVER_H_
#define PKVM_TEST_FUZZ_SEED_DRIVER_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace pkvm::fuzz {

inline std::vector<uint8_t> ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Runs every seed through `run(data, size)`, then `mutate(seed, rounds,
// salt)` with a salt per seed. Returns 2 on a usage error, else 0 (the
// target prints its own statistics and may decide its exit status after).
template <typename Run, typename Mutate>
int RunSeeds(int argc, char** argv, const char* name, Run run, Mutate mutate,
             size_t* seeds_out = nullptr) {
  int rounds = 0;
  uint64_t salt = 0;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--mutate=", 0) == 0) {
      rounds = std::atoi(a.c_str() + 9);
    } else if (a.rfind("--salt=", 0) == 0) {
      salt = std::strtoull(a.c_str() + 7, nullptr, 10) << 20;  // apart from any seed count
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.emplace_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--mutate=N] [--salt=S] <file or directory>...\n", name);
    return 2;
  }
  for (const auto& f : files) {
    const std::vector<uint8_t> seed = ReadFile(f);
    run(seed.data(), seed.size());
    mutate(seed, rounds, salt++);
  }
  if (seeds_out != nullptr) *seeds_out = files.size();
  return 0;
}

// main() of the plain mode: runs the seeds, prints "NAME: N inputs from S
// seeds: <summary()>", and fails when exercised() says the run reached
// nothing past the input checks.
template <typename Run, typename Mutate, typename Summary, typename Exercised>
int PlainMain(int argc, char** argv, const char* name, Run run, Mutate mutate,
              const uint64_t& inputs, Summary summary, Exercised exercised) {
  size_t seeds = 0;
  if (int rc = RunSeeds(argc, argv, name, run, mutate, &seeds); rc != 0) return rc;
  std::printf("%s: %llu inputs from %zu seeds: %s\n", name,
              static_cast<unsigned long long>(inputs), seeds, summary().c_str());
  return exercised() ? 0 : 1;
}

}  // namespace pkvm::fuzz

// A target's entry points: libFuzzer's LLVMFuzzerTestOneInput and, unless
// built for libFuzzer, the plain mode's main() (PlainMain).
#ifdef PKVM_LIBFUZZER
#define PKVM_FUZZ_PLAIN_MAIN_(NAME, RUN, MUTATE, INPUTS, SUMMARY, EXERCISED)
#else
#define PKVM_FUZZ_PLAIN_MAIN_(NAME, RUN, MUTATE, INPUTS, SUMMARY, EXERCISED)          \
  int main(int argc, char** argv) {                                                  \
    return ::pkvm::fuzz::PlainMain(argc, argv, NAME, RUN, MUTATE, INPUTS, SUMMARY, \
                                   EXERCISED);                                       \
  }
#endif
#define PKVM_FUZZ_TARGET(NAME, RUN, MUTATE, INPUTS, SUMMARY, EXERCISED)          \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {      \
    RUN(data, size);                                                             \
    return 0;                                                                    \
  }                                                                              \
  PKVM_FUZZ_PLAIN_MAIN_(NAME, RUN, MUTATE, INPUTS, SUMMARY, EXERCISED)

#endif  // PKVM_TEST_FUZZ_SEED_DRIVER_H_

// File: include/pkvm/generation.h
// The kernel generations libpkvm models. Freestanding.
//
//   pkvm::Generation g = pkvm::Generation::kA15;   // android15-6.6
//   int n = pkvm::GenerationNumber(g);             // 15
//   bool p = pkvm::GenerationIsProvisional(g);     // false (true for kA17)
#ifndef PKVM_GENERATION_H_
#define PKVM_GENERATION_H_

namespace pkvm {

enum class Generation : int {
  kA14 = 14,  // android14-6.1: handlers take kvm_cpu_context*
  kA15 = 15,  // android15-6.6: handlers take user_pt_regs*
  kA16 = 16,  // android16-6.12
  // android17-6.18, PROVISIONAL: its pkvm_module_ops table comes from
  // post-6.12 development snapshots, not the frozen KMI header
  // (docs/abi-decisions.md). Expect it to change when that header is read.
  kA17 = 17,
};

constexpr int GenerationNumber(Generation g) noexcept { return static_cast<int>(g); }

constexpr bool IsValidGeneration(int n) noexcept { return n >= 14 && n <= 17; }

// True for a generation whose ABI facts are not verified against the frozen
// kernel headers: today A17 only.
constexpr bool GenerationIsProvisional(Generation g) noexcept { return g == Generation::kA17; }

constexpr const char* GenerationBranch(Generation g) noexcept {
  switch (g) {
    case Generation::kA14: return "android14-6.1";
    case Generation::kA15: return "android15-6.6";
    case Generation::kA16: return "android16-6.12";
    case Generation::kA17: return "android17-6.18";
  }
  return "unknown";
}

}  // namespace pkvm

#endif  // PKVM_GENERATION_H_

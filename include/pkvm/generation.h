// File: include/pkvm/generation.h
// The kernel generations libpkvm models. Freestanding.
//
//   pkvm::Generation g = pkvm::Generation::kA15;   // android15-6.6
//   int n = pkvm::GenerationNumber(g);             // 15
#ifndef PKVM_GENERATION_H_
#define PKVM_GENERATION_H_

namespace pkvm {

enum class Generation : int {
  kA14 = 14,  // android14-6.1: handlers take kvm_cpu_context*
  kA15 = 15,  // android15-6.6: handlers take user_pt_regs*
  kA16 = 16,  // android16-6.12
};

constexpr int GenerationNumber(Generation g) noexcept { return static_cast<int>(g); }

constexpr bool IsValidGeneration(int n) noexcept { return n == 14 || n == 15 || n == 16; }

constexpr const char* GenerationBranch(Generation g) noexcept {
  switch (g) {
    case Generation::kA14: return "android14-6.1";
    case Generation::kA15: return "android15-6.6";
    case Generation::kA16: return "android16-6.12";
  }
  return "unknown";
}

}  // namespace pkvm

#endif  // PKVM_GENERATION_H_

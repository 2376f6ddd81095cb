// File: test/integration/kernel_chain_test.cc
// A module relying on the kernel's include chain (test/modules/kernel_chain):
// its EL2 code includes only <asm/kvm_pkvm_module.h>, or only one of
// asm/kvm_hyp.h, asm/kvm_pgtable.h, asm/kvm_mmu.h, linux/kvm_host.h,
// nvhe/mem_protect.h, and answers hypercalls whose results are the values of
// the kernel macros it got that way (errno, BIT/GENMASK, ESR_ELx_*, ALIGN,
// min/max, ARRAY_SIZE/container_of, readl/writel, __ffs/fls,
// check_shl_overflow, pfn helpers, AARCH64_INSN_SIZE, u64's type,
// kvm_nvhe_sym). Per generation, on both backends.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "../modules/kernel_chain/kernel_chain.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(kernel_chain_a14);
PKVM_DECLARE_NATIVE_MODULE(kernel_chain_a15);
PKVM_DECLARE_NATIVE_MODULE(kernel_chain_a16);

namespace pkvm::testing {
namespace {

constexpr uint64_t Neg(int64_t v) { return static_cast<uint64_t>(v); }

template <typename C>
class KernelChainTest : public ::testing::Test {
 protected:
  static constexpr Generation G = C::kGen;

  void SetUp() override {
    hv_ = BootWithModule(C::Backend::kKind, G,
                         ForGeneration<G>(PKVM_NATIVE_MODULE(kernel_chain_a14),
                                          PKVM_NATIVE_MODULE(kernel_chain_a15),
                                          PKVM_NATIVE_MODULE(kernel_chain_a16)));
    ASSERT_NE(hv_, nullptr);
  }

  // The module's hypercall (the first dynamic one): x1..x3.
  std::array<uint64_t, 3> Call(uint64_t cmd, uint64_t a = 0, uint64_t b = 0) {
    return ModuleCall(*hv_, cmd, a, b);
  }

  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(KernelChainTest, GenConfigs, GenConfigNames);

using R = std::array<uint64_t, 3>;

TYPED_TEST(KernelChainTest, ErrnoValuesAreTheKernels) {
  EXPECT_EQ(this->Call(KC_ERRNO), (R{Neg(-22), Neg(-12), Neg(-95)}));
}

TYPED_TEST(KernelChainTest, BitAndGenmask) {
  EXPECT_EQ(this->Call(KC_BITS, 40, 12),
            (R{1ull << 40, ((1ull << 41) - 1) & ~((1ull << 12) - 1), 0xf0u}));
  EXPECT_EQ(this->Call(KC_BITS, 63, 0), (R{1ull << 63, ~0ull, 0xf0u}));
}

TYPED_TEST(KernelChainTest, EsrDecoding) {
  const uint64_t dabt_write = (0x24ull << 26) | (1ull << 25) | (1ull << 6) | 0x7;
  EXPECT_EQ(this->Call(KC_ESR, dabt_write), (R{0x24, 1, 1}));
  const uint64_t dabt_cur_read = (0x25ull << 26) | (1ull << 25);
  EXPECT_EQ(this->Call(KC_ESR, dabt_cur_read), (R{0x25, 0, 0}));
}

TYPED_TEST(KernelChainTest, AlignHelpers) {
  EXPECT_EQ(this->Call(KC_ALIGN, 0x1234, 0x1000), (R{0x2000, 0x1000, 0}));
  EXPECT_EQ(this->Call(KC_ALIGN, 0x3000, 0x1000), (R{0x3000, 0x3000, 1}));
  EXPECT_EQ(this->Call(KC_ALIGN, 0x41, 0x40), (R{0x80, 0x40, 0}));
}

TYPED_TEST(KernelChainTest, MinMaxClamp) {
  EXPECT_EQ(this->Call(KC_MINMAX, 5, 9), (R{5, 9, 16}));
  EXPECT_EQ(this->Call(KC_MINMAX, 100, 3), (R{3, 100, 64}));
  EXPECT_EQ(this->Call(KC_MINMAX, 40, 40), (R{40, 40, 40}));
}

TYPED_TEST(KernelChainTest, ArraySizeAndContainerOf) {
  EXPECT_EQ(this->Call(KC_ARRAY, 1), (R{3, 1, 220}));
  EXPECT_EQ(this->Call(KC_ARRAY, 2), (R{3, 1, 330}));
  EXPECT_EQ(this->Call(KC_ARRAY, 3)[0], Neg(-22));
}

TYPED_TEST(KernelChainTest, ReadlWritelOnEl2Memory) {
  EXPECT_EQ(this->Call(KC_MMIO, 0xdeadbeef, 0x1122334455667788ull),
            (R{0xdeadbeef, 0x1122334455667788ull, 0xef}));
  EXPECT_EQ(this->Call(KC_MMIO, 0x1ffffffffull, 7), (R{0xffffffff, 7, 0xff}));
}

TYPED_TEST(KernelChainTest, BitSearch) {
  EXPECT_EQ(this->Call(KC_BITOPS, 0x80, 0), (R{7, 7, 0}));
  EXPECT_EQ(this->Call(KC_BITOPS, 0x8010, 0x80000000u), (R{4, 15, 32}));
  EXPECT_EQ(this->Call(KC_BITOPS, 1ull << 63, 1), (R{63, 63, 1}));
}

TYPED_TEST(KernelChainTest, CheckShlOverflow) {
  EXPECT_EQ(this->Call(KC_SHL, 1, 31), (R{0x80000000u, 0, 0}));
  EXPECT_EQ(this->Call(KC_SHL, 3, 31), (R{0x80000000u, 1, 0}));  // a bit is lost
  EXPECT_EQ(this->Call(KC_SHL, 1, 32), (R{0, 1, 0}));            // shift too wide
  EXPECT_EQ(this->Call(KC_SHL, 0x3000, 0), (R{0x3000, 0, 1}));
}

TYPED_TEST(KernelChainTest, PfnHelpers) {
  EXPECT_EQ(this->Call(KC_PFN, 0x40001, 0x40001234), (R{0x40001000, 0x40001, 0x40002}));
  EXPECT_EQ(this->Call(KC_PFN, 0, 0x40001000), (R{0, 0x40001, 0x40001}));
}

TYPED_TEST(KernelChainTest, ArchConstants) {
  EXPECT_EQ(this->Call(KC_CONSTS), (R{4, 0x10000, 0x200000}));
}

TYPED_TEST(KernelChainTest, U64IsUnsignedLongLong) {
  EXPECT_EQ(this->Call(KC_TYPES), (R{1, 1, 1}));
}

TYPED_TEST(KernelChainTest, KvmNvheSymIsThePlainNameAtEl2) {
  // EL1 wrote __kvm_nvhe_kc_seed; EL2 read kc_seed: the same variable only if
  // kvm_nvhe_sym() added the prefix once.
  EXPECT_EQ(this->Call(KC_SEED)[0], KC_SEED_VALUE);
}

TYPED_TEST(KernelChainTest, EveryHeaderChainGivesTheSameMacros) {
  const std::array<uint64_t, KC_NR_SELS> want = {
      Neg(-22),                              // -EINVAL
      7,                                     // ARRAY_SIZE
      (1ull << 9) | (0xffull << 32),         // BIT | GENMASK_ULL
      (0x24ull << 26) | (1ull << 6),         // ESR_ELx_EC_DABT_LOW, ESR_ELx_WNR
      0x3000,                                // ALIGN + ALIGN_DOWN
      364,                                   // max(min) * 100 + clamp
      770,                                   // __ffs, __fls, fls(0)
      0x40001001,                            // __pfn_to_phys + PAGE_ALIGNED
      0x50000,                               // AARCH64_INSN_SIZE, SVE hint
      1,                                     // u64 is unsigned long long
  };
  for (uint64_t probe = 0; probe < KC_NR_PROBES; ++probe) {
    for (uint64_t sel = 0; sel < KC_NR_SELS; ++sel) {
      EXPECT_EQ(this->Call(KC_PROBE, probe, sel)[0], want[sel])
          << "probe " << probe << " selector " << sel;
    }
  }
  EXPECT_EQ(this->Call(KC_PROBE, KC_NR_PROBES + 1, 0)[0], Neg(-34));  // -ERANGE
}

TYPED_TEST(KernelChainTest, UnalignedAccessAndVarargs) {
  EXPECT_EQ(this->Call(KC_PROBE, KC_PROBE_GENERIC, 0)[0], 0x55443322u);  // le32 at +1
  EXPECT_EQ(this->Call(KC_PROBE, KC_PROBE_GENERIC, 1)[0], 0x2233u);      // be16 at +1
  EXPECT_EQ(this->Call(KC_PROBE, KC_PROBE_GENERIC, 2)[0], 0x0807060504030201ull);
  EXPECT_EQ(this->Call(KC_PROBE, KC_PROBE_GENERIC, 3)[0], 60u);  // va_arg
}

}  // namespace
}  // namespace pkvm::testing

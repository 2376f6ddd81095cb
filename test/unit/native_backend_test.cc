// The native backend's side of Hypervisor::Impl::CallEl2: arguments
// marshalled once into integer registers, the call made through the
// trampoline of its arity, x0 narrowed to the C return type, and the module
// page map deciding what is callable.
#include <gtest/gtest.h>

#include <cstdint>

#include "host/cmdline.h"
#include "machine.h"

namespace pkvm {
namespace {

// EL2 "module code": plain host functions mapped at a hyp VA below.
uint64_t Weighted(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f,
                  uint64_t g, uint64_t h) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}
uint64_t NoArgs() { return 42; }
// Natively bool and int results leave the rest of x0/rax undefined: these
// put something there on purpose.
uint64_t LowByteZero() { return 0x100; }
uint64_t LowByteOne() { return 0x101; }
uint64_t MinusTwo() { return ~uint64_t{1}; }
uint64_t PointerAndNarrowArgs(const int* p, int i, bool b) { return *p + i + (b ? 1000 : 0); }

class NativeCallEl2 : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Hypervisor::Impl>(HypervisorOptions{}, internal::KernelCmdline{});
    ASSERT_NE(m_->backend, nullptr);
  }
  // Maps the page of `fn` executable at the next module VA; returns fn's hyp VA.
  template <typename F>
  uint64_t Map(F* fn, uint64_t prot = KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X) {
    const auto host = reinterpret_cast<uint64_t>(fn);
    const uint64_t va = kModuleVaBase + next_++ * 2 * kPageSize;
    m_->hyp_pages[va] = HypPage{host & kPageMask, prot};
    m_->hyp_pages[va + kPageSize] = HypPage{(host & kPageMask) + kPageSize, prot};
    return va + (host & ~kPageMask);
  }
  std::unique_ptr<Hypervisor::Impl> m_;
  uint64_t next_ = 0;
};

TEST_F(NativeCallEl2, EightArgumentsArriveInOrder) {
  uint64_t r = 0;
  ASSERT_TRUE(m_->CallEl2(Map(&Weighted), 0, &r, 1, 10, 100, 1000, 10000, 100000, 1000000,
                          10000000));
  EXPECT_EQ(r, 1 + 20 + 300 + 4000 + 50000 + 600000 + 7000000 + 80000000u);
  ASSERT_TRUE(m_->CallEl2(Map(&NoArgs), 0, &r));
  EXPECT_EQ(r, 42u);
}

TEST_F(NativeCallEl2, ResultsAreNarrowedToTheCReturnType) {
  bool b = true;
  ASSERT_TRUE(m_->CallEl2(Map(&LowByteZero), 0, &b));
  EXPECT_FALSE(b);
  ASSERT_TRUE(m_->CallEl2(Map(&LowByteOne), 0, &b));
  EXPECT_TRUE(b);
  int i = 0;
  ASSERT_TRUE(m_->CallEl2(Map(&MinusTwo), 0, &i));
  EXPECT_EQ(i, -2);
}

TEST_F(NativeCallEl2, PointerIntAndBoolArguments) {
  const int seven = 7;
  int r = 0;
  ASSERT_TRUE(m_->CallEl2(Map(&PointerAndNarrowArgs), 0, &r, &seven, -3, true));
  EXPECT_EQ(r, 1004);
  ASSERT_TRUE(m_->CallEl2(Map(&PointerAndNarrowArgs), 0, &r, &seven, 5, false));
  EXPECT_EQ(r, 12);
}

TEST_F(NativeCallEl2, CodeThatIsNotMappedExecutablePanicsInsteadOfRunning) {
  uint64_t r = 0;
  EXPECT_FALSE(m_->CallEl2(Map(&NoArgs, KVM_PGTABLE_PROT_R), 0, &r));
  EXPECT_EQ(r, 0u);
  EXPECT_EQ(m_->state, MachineState::kPanicked);
  EXPECT_NE(m_->panic_report.find("no executable EL2 mapping"), std::string::npos)
      << m_->panic_report;
}

}  // namespace
}  // namespace pkvm

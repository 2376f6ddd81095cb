// Host exceptions as module handlers see them (asm/kvm_hyp.h, asm/esr.h):
// a write-tracking page-protection module (page_guard) and an MMIO-emulating
// module (mmio_emul) decode ESR_EL2, use the host's registers and advance
// ELR_EL2, on both backends and both generations that have the A15+ handler
// signature. The same accesses come from host_read/host_write (one aligned
// word = one LDR/STR of x0) and from whole HostException injections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "../modules/mmio_emul/mmio_emul.h"
#include "../modules/page_guard/page_guard.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(page_guard_a15);
PKVM_DECLARE_NATIVE_MODULE(page_guard_a16);
PKVM_DECLARE_NATIVE_MODULE(mmio_emul_a15);
PKVM_DECLARE_NATIVE_MODULE(mmio_emul_a16);

namespace pkvm::testing {
namespace {

#ifdef PKVM_TEST_UNICORN
using Configs = ::testing::Types<GenConfig<NativeBackend, Generation::kA15>,
                                 GenConfig<NativeBackend, Generation::kA16>,
                                 GenConfig<UnicornBackend, Generation::kA15>,
                                 GenConfig<UnicornBackend, Generation::kA16>>;
#else
using Configs = ::testing::Types<GenConfig<NativeBackend, Generation::kA15>,
                                 GenConfig<NativeBackend, Generation::kA16>>;
#endif

constexpr uint64_t kHvc128 = PKVM_HOST_SMCCC_ID(128);
constexpr uint64_t kGuarded = 0x40000000 + (8ull << 20);
constexpr uint64_t kDevice = 0x9000000;

// ESR of a data abort from EL1 (permission fault, level 3) with a valid
// syndrome: `size` bytes, register `srt`, sign extension, 64-bit register.
uint64_t DabtIsv(bool write, unsigned size, unsigned srt, bool sse = false, bool sf = true) {
  const uint64_t sas = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
  return (0x24ull << 26) | (1ull << 25) | (1ull << 24) | (sas << 22) | (sse ? 1ull << 21 : 0) |
         (uint64_t{srt} << 16) | (sf ? 1ull << 15 : 0) | (write ? 1ull << 6 : 0) | 0x0f;
}

template <typename C>
class HostFaultTest : public ::testing::Test {
 protected:
  void Boot(const pkvm_native_module& a15, const pkvm_native_module& a16, const char* name) {
    HypervisorOptions o;
    o.backend = C::Backend::kKind;
    o.generation = C::kGen;
    o.cmdline = std::string("kvm-arm.protected_modules=") + name;
    hv_ = std::move(Hypervisor::Create(o)).value();
    ASSERT_TRUE(hv_->AddMmioRegion(kDevice, 4096, "emulated").ok());
    ASSERT_TRUE(hv_->OfferModule(C::kGen == Generation::kA15 ? a15 : a16).ok());
    const Status s = hv_->Boot();
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv_->boot_log();
  }
  HvcResult Call(uint64_t cmd, uint64_t a = 0) {
    auto r = hv_->HostHvc(kHvc128, {cmd, a});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HvcResult{};
  }
  template <typename T>
  Status Write(uint64_t pa, T v) {
    return hv_->host_write(pa, &v, sizeof v);
  }
  template <typename T>
  T Read(uint64_t pa) {
    T v{};
    const Status s = hv_->host_read(pa, &v, sizeof v);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return v;
  }
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(HostFaultTest, Configs, GenConfigNames);

TYPED_TEST(HostFaultTest, PageGuardRedoesAndLogsEachWrite) {
  this->Boot(PKVM_NATIVE_MODULE(page_guard_a15), PKVM_NATIVE_MODULE(page_guard_a16), "page_guard");
  ASSERT_TRUE(this->hv_->host_write(kGuarded, "hello-00", 8).ok());
  ASSERT_EQ(this->Call(GUARD_PROTECT, kGuarded >> 12).x(1), 0u);
  const PageState st = this->hv_->page_state(kGuarded >> 12);
  EXPECT_EQ(st.host_prot, uint64_t{KVM_PGTABLE_PROT_R});
  EXPECT_TRUE(st.host_prot_modified);

  // Reads are allowed: nothing is logged.
  char text[9] = {};
  ASSERT_TRUE(this->hv_->host_read(kGuarded, text, 8).ok());
  EXPECT_STREQ(text, "hello-00");
  EXPECT_EQ(this->Call(GUARD_LOG_COUNT).x(1), 0u);

  // Each single store faults, is decoded, redone through the fixmap, skipped.
  ASSERT_TRUE(this->Write(kGuarded + 0x10, uint32_t{0xdeadbeef}).ok());
  ASSERT_TRUE(this->Write(kGuarded + 0x21, uint8_t{0x7f}).ok());
  ASSERT_TRUE(this->Write(kGuarded + 0x28, uint64_t{0x0123456789abcdef}).ok());
  EXPECT_EQ(this->template Read<uint32_t>(kGuarded + 0x10), 0xdeadbeefu);
  EXPECT_EQ(this->template Read<uint8_t>(kGuarded + 0x21), 0x7f);
  EXPECT_EQ(this->template Read<uint64_t>(kGuarded + 0x28), 0x0123456789abcdefull);
  ASSERT_EQ(this->Call(GUARD_LOG_COUNT).x(1), 3u);
  HvcResult e = this->Call(GUARD_LOG_ENTRY, 0);
  EXPECT_EQ(e.x(1), kGuarded + 0x10);
  EXPECT_EQ(e.x(2), 0xdeadbeefu);
  EXPECT_EQ(e.x(3), 4u);
  e = this->Call(GUARD_LOG_ENTRY, 1);
  EXPECT_EQ(e.x(2), 0x7fu);
  EXPECT_EQ(e.x(3), 1u);

  // Three bytes are no single instruction: no syndrome, the module refuses,
  // the abort reaches the host and the page is unchanged.
  const Status odd = this->hv_->host_write(kGuarded + 0x31, "abc", 3);
  EXPECT_EQ(odd.error(), -EPERM);
  EXPECT_EQ(this->template Read<uint32_t>(kGuarded + 0x30), 0u);
  EXPECT_EQ(this->Call(GUARD_LOG_COUNT).x(1), 3u);

  // Released: the host writes directly again, nothing more is logged.
  ASSERT_EQ(this->Call(GUARD_RELEASE, kGuarded >> 12).x(1), 0u);
  ASSERT_TRUE(this->Write(kGuarded + 0x40, uint32_t{1}).ok());
  EXPECT_EQ(this->Call(GUARD_LOG_COUNT).x(1), 3u);
  EXPECT_EQ(this->Call(GUARD_RELEASE, kGuarded >> 12).x(1), static_cast<uint64_t>(-ENOENT));
}

TYPED_TEST(HostFaultTest, PageGuardSeesTheRegistersOfAnInjectedStore) {
  this->Boot(PKVM_NATIVE_MODULE(page_guard_a15), PKVM_NATIVE_MODULE(page_guard_a16), "page_guard");
  ASSERT_EQ(this->Call(GUARD_PROTECT, kGuarded >> 12).x(1), 0u);
  HostException e;
  e.esr = DabtIsv(/*write=*/true, 8, /*srt=*/5);
  e.ipa = kGuarded + 0x48;
  e.elr = 0xffff800010001000;
  e.regs.regs[5] = 0x1122334455667788;
  e.regs.regs[6] = 42;
  auto r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, 0);
  EXPECT_TRUE(r->emulated);
  EXPECT_EQ(r->elr, e.elr + 4);
  EXPECT_EQ(r->regs.regs[6], 42u);  // the host's other registers come back
  EXPECT_EQ(this->template Read<uint64_t>(kGuarded + 0x48), 0x1122334455667788ull);
  // xzr as the source stores zero.
  e.esr = DabtIsv(true, 4, 31);
  e.ipa = kGuarded + 0x48;
  ASSERT_TRUE(this->hv_->InjectHostPermFault(e).ok());
  EXPECT_EQ(this->template Read<uint32_t>(kGuarded + 0x48), 0u);
  // A load of a guarded page is no write: refused, the host resumes nowhere new.
  e.esr = DabtIsv(false, 4, 1);
  r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result, -EPERM);
  EXPECT_FALSE(r->emulated);
  EXPECT_EQ(r->elr, e.elr);
}

TYPED_TEST(HostFaultTest, MmioEmulDecodesEveryAccessOfTheDevicePage) {
  this->Boot(PKVM_NATIVE_MODULE(mmio_emul_a15), PKVM_NATIVE_MODULE(mmio_emul_a16), "mmio_emul");
  // Before the claim the host reaches the (plain) device memory itself.
  ASSERT_TRUE(this->Write(kDevice + EMUL_REG_SCRATCH, uint64_t{99}).ok());
  EXPECT_EQ(this->template Read<uint64_t>(kDevice + EMUL_REG_SCRATCH), 99u);
  ASSERT_EQ(this->Call(EMUL_CLAIM, kDevice >> 12).x(1), 0u);
  EXPECT_EQ(this->Call(EMUL_CLAIM, kDevice >> 12).x(1), static_cast<uint64_t>(-EBUSY));

  EXPECT_EQ(this->template Read<uint32_t>(kDevice + EMUL_REG_ID), EMUL_ID);
  ASSERT_TRUE(this->Write(kDevice + EMUL_REG_SCRATCH, uint64_t{0xfeedfacecafef00d}).ok());
  EXPECT_EQ(this->Call(EMUL_SCRATCH).x(1), 0xfeedfacecafef00dull);  // it reached the module
  EXPECT_EQ(this->template Read<uint64_t>(kDevice + EMUL_REG_SCRATCH), 0xfeedfacecafef00dull);
  EXPECT_EQ(this->template Read<uint64_t>(kDevice + EMUL_REG_READS), 2u);
  ASSERT_TRUE(this->Write(kDevice + EMUL_REG_SCRATCH, uint16_t{0xbeef}).ok());
  EXPECT_EQ(this->template Read<uint8_t>(kDevice + EMUL_REG_LAST_SIZE), 2u);
  EXPECT_EQ(this->template Read<uint16_t>(kDevice + EMUL_REG_SCRATCH + 0), 0xbeefu);
  // Not one aligned register access: the module cannot emulate it.
  uint32_t v = 0;
  EXPECT_EQ(this->hv_->host_read(kDevice + 2, &v, 4).error(), -EPERM);
  EXPECT_EQ(this->hv_->host_read(kDevice + 0x100, &v, 4).error(), -EPERM);
}

TYPED_TEST(HostFaultTest, MmioEmulSignExtendsIntoTheTargetRegister) {
  this->Boot(PKVM_NATIVE_MODULE(mmio_emul_a15), PKVM_NATIVE_MODULE(mmio_emul_a16), "mmio_emul");
  ASSERT_EQ(this->Call(EMUL_CLAIM, kDevice >> 12).x(1), 0u);
  ASSERT_TRUE(this->Write(kDevice + EMUL_REG_SCRATCH, uint64_t{0x8001}).ok());
  HostException e;
  e.ipa = kDevice + EMUL_REG_SCRATCH;
  e.elr = 0xffff800010002000;
  e.regs.regs[3] = 0x5555;
  e.esr = DabtIsv(false, 2, 3, /*sse=*/true, /*sf=*/true);  // ldrsh x3
  auto r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->emulated);
  EXPECT_EQ(r->elr, e.elr + 4);
  EXPECT_EQ(r->regs.regs[3], 0xffffffffffff8001ull);
  e.esr = DabtIsv(false, 2, 3, /*sse=*/true, /*sf=*/false);  // ldrsh w3
  r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->regs.regs[3], 0xffff8001ull);
  e.esr = DabtIsv(false, 2, 3);  // ldrh w3: zero-extended
  r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->regs.regs[3], 0x8001ull);
  // No syndrome at all: the abort goes back to the host.
  e.esr = (0x24ull << 26) | (1ull << 25) | 0x0f;
  r = this->hv_->InjectHostPermFault(e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result, -EPERM);
  EXPECT_EQ(r->regs.regs[3], 0x5555u);
}

}  // namespace
}  // namespace pkvm::testing

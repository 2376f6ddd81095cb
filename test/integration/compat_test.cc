// File: test/integration/compat_test.cc
// Real-module surface end to end, per generation and backend with the same
// results: secure_mem (kernel-allocated pages donated, shared, pinned and
// reclaimed by EL2 code using hyp spinlocks, lists, atomics, bitfields and
// its own memset/memcpy) and provider/consumer (one module's EL2 code
// calling another's exported EL2 functions; EL1 writing an EL2 global with
// kvm_nvhe_sym() before the load).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "../modules/provider/provider.h"
#include "../modules/secure_mem/secure_mem.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(secure_mem_a14);
PKVM_DECLARE_NATIVE_MODULE(secure_mem_a15);
PKVM_DECLARE_NATIVE_MODULE(secure_mem_a16);
PKVM_DECLARE_NATIVE_MODULE(provider_a14);
PKVM_DECLARE_NATIVE_MODULE(provider_a15);
PKVM_DECLARE_NATIVE_MODULE(provider_a16);
PKVM_DECLARE_NATIVE_MODULE(consumer_a14);
PKVM_DECLARE_NATIVE_MODULE(consumer_a15);
PKVM_DECLARE_NATIVE_MODULE(consumer_a16);

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRamPfn = 0x40000;
constexpr uint64_t kRamPages = (64ull << 20) / 4096;  // HypervisorOptions::ram_size
constexpr uint64_t kPage = 4096;

template <typename C>
class CompatTest : public ::testing::Test {
 protected:
  static constexpr Generation G = C::kGen;
  static const pkvm_native_module& SecureMem() {
    return ForGeneration<G>(PKVM_NATIVE_MODULE(secure_mem_a14), PKVM_NATIVE_MODULE(secure_mem_a15),
                            PKVM_NATIVE_MODULE(secure_mem_a16));
  }
  static const pkvm_native_module& Provider() {
    return ForGeneration<G>(PKVM_NATIVE_MODULE(provider_a14), PKVM_NATIVE_MODULE(provider_a15),
                            PKVM_NATIVE_MODULE(provider_a16));
  }
  static const pkvm_native_module& Consumer() {
    return ForGeneration<G>(PKVM_NATIVE_MODULE(consumer_a14), PKVM_NATIVE_MODULE(consumer_a15),
                            PKVM_NATIVE_MODULE(consumer_a16));
  }

  // A machine that offered `mods` and booted with protected_modules=`list`.
  Status Boot(const std::string& list, std::initializer_list<const pkvm_native_module*> mods) {
    hv_ = MakeMachine(C::Backend::kKind, G, "kvm-arm.protected_modules=" + list);
    if (hv_ == nullptr) return Status(-EINVAL, "no machine");
    for (const pkvm_native_module* m : mods) {
      Status s = hv_->OfferModule(*m);
      if (!s.ok()) return s;
    }
    return hv_->Boot();
  }
  // Dynamic hypercall `slot` (0 = the first registered) with x1.. = args.
  int64_t Call(int slot, std::initializer_list<uint64_t> args) {
    auto r = hv_->HostHvc(PKVM_HOST_SMCCC_ID(128 + slot), args);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return -9999;
    EXPECT_EQ(r->x(0), 0u);
    return static_cast<int64_t>(r->x(1));
  }
  int64_t Sm(uint64_t cmd, uint64_t arg = 0) { return Call(0, {cmd, arg}); }
  uint64_t Read64(uint64_t phys) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(hv_->host_read(phys, &v, sizeof v).ok());
    return v;
  }

  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(CompatTest, GenConfigs, GenConfigNames);

TYPED_TEST(CompatTest, SecureMemPagesComeFromTheKernelAllocator) {
  const Status s = this->Boot("secure_mem", {&this->SecureMem()});
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << this->hv_->boot_log();
  const std::string log = this->hv_->boot_log();
  EXPECT_THAT(log, HasSubstr("secure_mem: page reused after free_page: yes"));
  EXPECT_THAT(log, HasSubstr("secure_mem: order-1 block aligned: yes"));
  EXPECT_THAT(log, HasSubstr("secure_mem: 4 pages handed to EL2"));
  EXPECT_THAT(log, Not(HasSubstr("WARNING")));
  EXPECT_EQ(this->Sm(SM_COUNT), SM_NR_PAGES);
  uint64_t prev = 0;
  for (int i = 0; i < SM_NR_PAGES; ++i) {
    const uint64_t phys = static_cast<uint64_t>(this->Sm(SM_PHYS, i));
    const uint64_t pfn = phys / kPage;
    SCOPED_TRACE(i);
    // The allocator's range: the second quarter of RAM, on both backends.
    EXPECT_GE(pfn, kRamPfn + kRamPages / 4);
    EXPECT_LT(pfn, kRamPfn + kRamPages / 2);
    if (i == 1) {
      EXPECT_EQ(phys, prev + kPage);  // the two pages of alloc_pages(.., 1)
    }
    prev = phys;
    const PageState st = this->hv_->page_state(pfn);
    EXPECT_EQ(st.owner, PageOwner::kHost);
    EXPECT_EQ(st.host, PkvmPageState::kOwned);
    // What EL1 wrote through its kernel VA is at that physical address.
    EXPECT_EQ(this->Read64(phys), SM_EL1_MAGIC | static_cast<uint64_t>(i));
  }
}

TYPED_TEST(CompatTest, SecureMemDonateAndReclaim) {
  ASSERT_TRUE(this->Boot("secure_mem", {&this->SecureMem()}).ok()) << this->hv_->boot_log();
  for (int i : {0, 2}) {
    SCOPED_TRACE(i);
    const uint64_t phys = static_cast<uint64_t>(this->Sm(SM_PHYS, i));
    const uint64_t pfn = phys / kPage;
    const int64_t calls_before = this->Sm(SM_STRING_CALLS);
    EXPECT_EQ(this->Sm(SM_READ, i), -EPERM);  // still the host's
    ASSERT_EQ(this->Sm(SM_DONATE, i), 0);
    PageState st = this->hv_->page_state(pfn);
    EXPECT_EQ(st.owner, PageOwner::kHyp);
    EXPECT_EQ(st.host, PkvmPageState::kNoPage);
    EXPECT_EQ(st.hyp, PkvmPageState::kOwned);
    const uint64_t junk = 1;
    EXPECT_FALSE(this->hv_->host_write(phys, &junk, sizeof junk).ok());
    EXPECT_EQ(static_cast<uint64_t>(this->Sm(SM_READ, i)), SM_STAMP | static_cast<uint64_t>(i));
    EXPECT_EQ(this->Sm(SM_DONATE, i), -EBUSY);  // already donated
    ASSERT_EQ(this->Sm(SM_RECLAIM, i), 0);
    st = this->hv_->page_state(pfn);
    EXPECT_EQ(st.owner, PageOwner::kHost);
    EXPECT_EQ(st.host, PkvmPageState::kOwned);
    EXPECT_EQ(st.hyp, PkvmPageState::kNoPage);
    EXPECT_EQ(this->Read64(phys), 0u);  // wiped by the module's own memset
    EXPECT_TRUE(this->hv_->host_write(phys, &junk, sizeof junk).ok());
    // memcpy (SM_READ) and memset (SM_RECLAIM): the module's, not the hypervisor's.
    EXPECT_EQ(this->Sm(SM_STRING_CALLS), calls_before + 2);
  }
}

TYPED_TEST(CompatTest, SecureMemShareAndPin) {
  ASSERT_TRUE(this->Boot("secure_mem", {&this->SecureMem()}).ok()) << this->hv_->boot_log();
  for (int i : {1, 3}) {
    SCOPED_TRACE(i);
    const uint64_t phys = static_cast<uint64_t>(this->Sm(SM_PHYS, i));
    const uint64_t pfn = phys / kPage;
    // EL2 reads what EL1 wrote before handing the page over.
    EXPECT_EQ(static_cast<uint64_t>(this->Sm(SM_SHARE, i)), SM_EL1_MAGIC | static_cast<uint64_t>(i));
    PageState st = this->hv_->page_state(pfn);
    EXPECT_EQ(st.owner, PageOwner::kHost);
    EXPECT_EQ(st.host, PkvmPageState::kSharedOwned);
    EXPECT_EQ(st.hyp, PkvmPageState::kSharedBorrowed);
    ASSERT_EQ(this->Sm(SM_PIN, i), 0);
    EXPECT_EQ(this->hv_->page_state(pfn).pins, 1u);
    EXPECT_EQ(this->Sm(SM_UNSHARE, i), -EBUSY);  // the module's own state check
    ASSERT_EQ(this->Sm(SM_UNPIN, i), 0);
    EXPECT_EQ(this->hv_->page_state(pfn).pins, 0u);
    ASSERT_EQ(this->Sm(SM_UNSHARE, i), 0);
    st = this->hv_->page_state(pfn);
    EXPECT_EQ(st.host, PkvmPageState::kOwned);
    EXPECT_EQ(st.hyp, PkvmPageState::kNoPage);
    EXPECT_EQ(this->Sm(SM_FORGET, i), 0);
  }
  EXPECT_EQ(this->Sm(SM_COUNT), SM_NR_PAGES - 2);
}

TYPED_TEST(CompatTest, SecureMemImpossibleStateIsAHypPanic) {
  ASSERT_TRUE(this->Boot("secure_mem", {&this->SecureMem()}).ok()) << this->hv_->boot_log();
  ASSERT_EQ(this->Sm(SM_CORRUPT, 0), 0);
  auto r = this->hv_->HostHvc(PKVM_HOST_SMCCC_ID(128), {SM_DONATE, 0});
  EXPECT_EQ(r.status().error(), -EIO);
  EXPECT_EQ(this->hv_->state(), MachineState::kPanicked);
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("BUG at"));
  EXPECT_THAT(this->hv_->panic_report(), HasSubstr("s >= SM_NR_STATES"));
}

TYPED_TEST(CompatTest, ConsumerCallsTheProvidersEl2Exports) {
  const Status s = this->Boot("provider,consumer", {&this->Provider(), &this->Consumer()});
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << this->hv_->boot_log();
  // EL1 wrote the EL2 global before pkvm_load_el2_module(); init saw it.
  EXPECT_EQ(this->Call(1, {CS_PARAM}), CONSUMER_PARAM);
  EXPECT_EQ(this->Call(0, {PV_CALLS}), 0);
  EXPECT_EQ(this->Call(1, {CS_MIX, 7}), 7 * 3 + PROVIDER_SALT);
  EXPECT_EQ(this->Call(1, {CS_MIX, 100}), 100 * 3 + PROVIDER_SALT);
  // The consumer ran the provider's code on the provider's data.
  EXPECT_EQ(this->Call(0, {PV_CALLS}), 2);
  EXPECT_EQ(this->Call(0, {PV_MIX, 1}), 3 + PROVIDER_SALT);
  EXPECT_EQ(this->Call(0, {PV_CALLS}), 3);
  EXPECT_EQ(this->Call(1, {CS_SUM, 2, static_cast<uint64_t>(-5)}), -3);
}

TYPED_TEST(CompatTest, ConsumerWithoutProviderDoesNotLoad) {
  for (const char* list : {"consumer", "consumer,provider"}) {
    SCOPED_TRACE(list);
    const Status s = this->Boot(list, {&this->Provider(), &this->Consumer()});
    EXPECT_EQ(s.error(), -ENOENT) << s.ToString();
    EXPECT_THAT(s.ToString(), HasSubstr("module consumer: Unknown symbol"));
    EXPECT_THAT(s.ToString(), HasSubstr("load provider first"));
    EXPECT_FALSE(this->hv_->protected_vms_enabled());
    const std::vector<std::string> loaded = this->hv_->loaded_modules();
    EXPECT_EQ(std::count(loaded.begin(), loaded.end(), "consumer"), 0);
  }
}

// The module files (`pkvm run --module`): NAME.so natively (consumer.so
// finds the provider's exports in provider.so), NAME.ko in Unicorn; the A15
// builds.
template <typename B>
class CompatFilesTest : public ::testing::Test {};
TYPED_TEST_SUITE(CompatFilesTest, Backends, BackendNames);

TYPED_TEST(CompatFilesTest, ProviderAndConsumerFromFiles) {
  const bool uc = TypeParam::kKind == BackendKind::kUnicorn;
  auto hv = MakeMachine(TypeParam::kKind, Generation::kA15,
                        "kvm-arm.protected_modules=provider,consumer");
  ASSERT_NE(hv, nullptr);
  auto p = hv->OfferModuleFile(uc ? PKVM_TEST_PROVIDER_A15_KO : PKVM_TEST_PROVIDER_A15_SO);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = hv->OfferModuleFile(uc ? PKVM_TEST_CONSUMER_A15_KO : PKVM_TEST_CONSUMER_A15_SO);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const Status s = hv->Boot();
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << hv->boot_log();
  auto call = [&](int slot, std::initializer_list<uint64_t> args) {
    auto r = hv->HostHvc(PKVM_HOST_SMCCC_ID(128 + slot), args);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? static_cast<int64_t>(r->x(1)) : -9999;
  };
  EXPECT_EQ(call(1, {CS_PARAM}), CONSUMER_PARAM);
  EXPECT_EQ(call(1, {CS_MIX, 5}), 15 + PROVIDER_SALT);
  EXPECT_EQ(call(0, {PV_CALLS}), 1);
  // A second machine with the same two files: its consumer calls its own
  // provider (natively the private images link with each other), and the
  // first machine's provider counts only its own calls.
  auto hv2 = MakeMachine(TypeParam::kKind, Generation::kA15,
                         "kvm-arm.protected_modules=provider,consumer");
  ASSERT_NE(hv2, nullptr);
  ASSERT_TRUE(hv2->OfferModuleFile(uc ? PKVM_TEST_PROVIDER_A15_KO : PKVM_TEST_PROVIDER_A15_SO).ok());
  ASSERT_TRUE(hv2->OfferModuleFile(uc ? PKVM_TEST_CONSUMER_A15_KO : PKVM_TEST_CONSUMER_A15_SO).ok());
  ASSERT_TRUE(hv2->Boot().ok()) << hv2->boot_log();
  for (int i = 0; i < 3; ++i) {
    auto r = hv2->HostHvc(PKVM_HOST_SMCCC_ID(129), {CS_MIX, 5});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(static_cast<int64_t>(r->x(1)), 15 + PROVIDER_SALT);
  }
  auto calls2 = hv2->HostHvc(PKVM_HOST_SMCCC_ID(128), {PV_CALLS});
  ASSERT_TRUE(calls2.ok());
  EXPECT_EQ(static_cast<int64_t>(calls2->x(1)), 3);
  EXPECT_EQ(call(0, {PV_CALLS}), 1);
}

}  // namespace
}  // namespace pkvm::testing

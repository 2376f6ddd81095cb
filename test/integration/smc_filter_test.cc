// The SMC filter end to end (docs/smc-filter.md): the smc_filter
// module's EL2 host SMC handler refuses one id, forwards another to the fake
// EL3 itself (arm_smccc_1_1_smc / arm_smccc_1_2_smc at EL2) and lets the rest
// through to pKVM, which forwards them to EL3; its EL1 half reads
// module_param()s from the kernel command line. For each generation and
// backend, with the same observable results.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "backends.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/el3.h"
#include "smc_filter/smc_filter.h"

PKVM_DECLARE_NATIVE_MODULE(smc_filter_a14);
PKVM_DECLARE_NATIVE_MODULE(smc_filter_a15);
PKVM_DECLARE_NATIVE_MODULE(smc_filter_a16);

namespace pkvm::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t kHvc = PKVM_HOST_SMCCC_ID(PKVM_DYNAMIC_HCALL_FIRST);  // the module's hypercall
constexpr uint64_t kPassFid = 0xC2000300;  // nobody filters it
constexpr uint64_t kNotSupported = ~0ull;

user_pt_regs Regs(std::initializer_list<uint64_t> x) {
  user_pt_regs r{};
  int i = 0;
  for (uint64_t v : x) r.regs[i++] = v;
  return r;
}

// A firmware service whose answer shows it saw the arguments.
SmcccRegs Echo(const SmcccRegs& in, int) {
  SmcccRegs out = in;
  out.x[0] = 0;
  out.x[1] = in.x[1] * 2;
  out.x[2] = in.x[2] + 1;
  out.x[3] = in.x[3] ^ 0xff;
  return out;
}

std::vector<El3Call> CallsWithId(const Hypervisor& hv, uint64_t fid) {
  std::vector<El3Call> out;
  for (const El3Call& c : hv.el3_calls())
    if (static_cast<uint32_t>(c.in.x[0]) == fid) out.push_back(c);
  return out;
}

template <typename C>
class SmcFilterTest : public ::testing::Test {
 protected:
  const pkvm_native_module& Module() {
    return ForGeneration<C::kGen>(PKVM_NATIVE_MODULE(smc_filter_a14),
                                  PKVM_NATIVE_MODULE(smc_filter_a15),
                                  PKVM_NATIVE_MODULE(smc_filter_a16));
  }
  // A machine with smc_filter offered, booted with `params` appended to the
  // command line; Boot()'s status in boot_.
  std::unique_ptr<Hypervisor> Machine(const std::string& params = "") {
    auto hv = MakeMachine(C::Backend::kKind, C::kGen,
                          "kvm-arm.protected_modules=smc_filter " + params);
    if (hv == nullptr) return nullptr;
    EXPECT_TRUE(hv->OfferModule(Module()).ok());
    boot_ = hv->Boot();
    return hv;
  }
  std::unique_ptr<Hypervisor> Booted(const std::string& params = "") {
    auto hv = Machine(params);
    EXPECT_TRUE(boot_.ok()) << boot_.ToString() << "\n" << (hv ? hv->boot_log() : "");
    return hv;
  }
  // SMCF_CMD_*: x1..x3 of the module's hypercall.
  std::vector<uint64_t> Hvc(Hypervisor& hv, uint64_t cmd) {
    auto r = hv.HostHvc(kHvc, {cmd});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->x(0), 0u);
    return {r->x(1), r->x(2), r->x(3)};
  }
  Status boot_;
};
TYPED_TEST_SUITE(SmcFilterTest, GenConfigs, GenConfigNames);

TYPED_TEST(SmcFilterTest, DeniedIdIsAnsweredByTheModuleAndNeverReachesEl3) {
  auto hv = this->Booted();
  ASSERT_NE(hv, nullptr);
  // module_init's own self-test SMC was refused too.
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{1, 0, 0}));
  hv->SetEl3Handler(SMCF_DEFAULT_DENY_FID, Echo);  // firmware would answer, if asked
  auto r = hv->HostSmc(Regs({SMCF_DEFAULT_DENY_FID, 5, 6, 7}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->handled_by_module);
  EXPECT_FALSE(r->forwarded_to_el3);
  EXPECT_EQ(r->result.x(0), kNotSupported);
  EXPECT_EQ(r->result.x(1), 5u);
  EXPECT_THAT(CallsWithId(*hv, SMCF_DEFAULT_DENY_FID), IsEmpty());
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{2, 0, 0}));
}

TYPED_TEST(SmcFilterTest, ForwardedIdReachesEl3FromEl2WithTheModulesArguments) {
  auto hv = this->Booted("smc_filter.bias=-5 smc_filter.fw_tag=0x1234");
  ASSERT_NE(hv, nullptr);
  hv->SetEl3Handler(SMCF_FW_FID, Echo);
  auto r = hv->HostSmc(Regs({SMCF_FWD_FID, 100, 7, 9}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->handled_by_module);
  EXPECT_FALSE(r->forwarded_to_el3);
  // Firmware's answer to (x1 = 100 - 5, x2 = 7, x3 = tag), back in x0..x3.
  EXPECT_EQ(r->result.x(0), 0u);
  EXPECT_EQ(r->result.x(1), 190u);
  EXPECT_EQ(r->result.x(2), 8u);
  EXPECT_EQ(r->result.x(3), 0x1234u ^ 0xff);
  const std::vector<El3Call> calls = hv->el3_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].caller, El3Caller::kEl2);
  EXPECT_EQ(calls[0].cpu, 0);
  EXPECT_EQ(calls[0].in.x[0], SMCF_FW_FID);
  EXPECT_EQ(calls[0].in.x[1], 95u);
  EXPECT_EQ(calls[0].in.x[2], 7u);
  EXPECT_EQ(calls[0].in.x[3], 0x1234u);
  EXPECT_EQ(calls[0].out.x[1], 190u);
  EXPECT_THAT(CallsWithId(*hv, SMCF_FWD_FID), IsEmpty());
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{1, 1, 0}));
}

TYPED_TEST(SmcFilterTest, Smccc12FromEl2CarriesEighteenRegistersBothWays) {
  auto hv = this->Booted("smc_filter.fw_tag=77");
  ASSERT_NE(hv, nullptr);
  hv->SetEl3Handler(SMCF_FW12_FID, [](const SmcccRegs& in, int) {
    SmcccRegs out;
    for (int i = 0; i < 18; ++i) out.x[i] = in.x[i] + 1000;
    out.x[0] = 0;
    return out;
  });
  user_pt_regs in{};
  in.regs[0] = SMCF_FWD12_FID;
  for (int i = 1; i < 18; ++i) in.regs[i] = 10 + i;
  auto r = hv->HostSmc(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->handled_by_module);
  const std::vector<El3Call> calls = hv->el3_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].caller, El3Caller::kEl2);
  EXPECT_EQ(calls[0].in.x[0], SMCF_FW12_FID);
  for (int i = 1; i < 17; ++i) EXPECT_EQ(calls[0].in.x[i], 10u + i) << "x" << i;
  EXPECT_EQ(calls[0].in.x[17], 77u);  // the module's tag
  EXPECT_EQ(r->result.x(0), 0u);
  for (int i = 1; i < 17; ++i) EXPECT_EQ(r->result.x(i), 1010u + i) << "x" << i;
  EXPECT_EQ(r->result.x(17), 1077u);
}

TYPED_TEST(SmcFilterTest, OtherIdsPassThroughAndReachEl3FromTheHost) {
  auto hv = this->Booted();
  ASSERT_NE(hv, nullptr);
  hv->SetEl3Handler(kPassFid, Echo);
  auto r = hv->HostSmc(Regs({kPassFid, 21, 1, 2}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->handled_by_module);
  EXPECT_TRUE(r->forwarded_to_el3);
  EXPECT_EQ(r->result.x(0), 0u);
  EXPECT_EQ(r->result.x(1), 42u);
  EXPECT_EQ(r->result.x(2), 2u);
  EXPECT_EQ(r->result.x(3), 2u ^ 0xff);
  const std::vector<El3Call> calls = hv->el3_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].caller, El3Caller::kHost);
  EXPECT_EQ(calls[0].in.x[0], kPassFid);
  EXPECT_EQ(calls[0].in.x[1], 21u);
  // An id nobody programmed: NOT_SUPPORTED, the other registers unchanged.
  auto u = hv->HostSmc(Regs({0xC2000999, 4, 5}));
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->forwarded_to_el3);
  EXPECT_EQ(u->result.x(0), kNotSupported);
  EXPECT_EQ(u->result.x(1), 4u);
  EXPECT_EQ(u->result.x(2), 5u);
  EXPECT_EQ(hv->el3_calls().size(), 2u);
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{1, 0, 2}));
}

TYPED_TEST(SmcFilterTest, El3RecordClearsAndHandlersCanBeRemoved) {
  auto hv = this->Booted();
  ASSERT_NE(hv, nullptr);
  hv->SetEl3Handler(kPassFid, Echo);
  // The SVE hint bit (16) is not part of the function id.
  auto r = hv->HostSmc(Regs({kPassFid | PKVM_SMCCC_CALL_HINTS, 3}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result.x(1), 6u);
  EXPECT_EQ(hv->el3_calls().size(), 1u);
  hv->ClearEl3Calls();
  EXPECT_THAT(hv->el3_calls(), IsEmpty());
  hv->SetEl3Handler(kPassFid, nullptr);
  r = hv->HostSmc(Regs({kPassFid, 3}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result.x(0), kNotSupported);
  hv->SetEl3Handler(kPassFid, Echo);
  hv->ClearEl3Handlers();
  r = hv->HostSmc(Regs({kPassFid, 3}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result.x(0), kNotSupported);
  EXPECT_EQ(hv->el3_calls().size(), 2u);
}

TYPED_TEST(SmcFilterTest, ParametersComeFromTheKernelCommandLine) {
  auto hv = this->Booted(
      "smc_filter.deny_fid=0xC2000155 smc_filter.reset_counters smc_filter.bias=12 "
      "smc-filter.fw_tag=0777 smc_filter.label=\"from cmdline\"");
  ASSERT_NE(hv, nullptr);
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_CONFIG), (std::vector<uint64_t>{0xC2000155, 12, 0777}));
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{0, 0, 0}));  // reset
  EXPECT_THAT(hv->boot_log(), HasSubstr("deny 0xc2000155, bias 12, tag 0x1ff, label from cmdline"));
  // The configured id is refused; the default one now passes through.
  auto d = hv->HostSmc(Regs({0xC2000155}));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->handled_by_module);
  auto p = hv->HostSmc(Regs({SMCF_DEFAULT_DENY_FID}));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->forwarded_to_el3);
  EXPECT_THAT(CallsWithId(*hv, 0xC2000155), IsEmpty());
  EXPECT_EQ(CallsWithId(*hv, SMCF_DEFAULT_DENY_FID).size(), 1u);

  // A later machine without parameters gets the module's defaults.
  hv.reset();
  auto fresh = this->Booted("smc_filter.reset_counters=off");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(this->Hvc(*fresh, SMCF_CMD_CONFIG),
            (std::vector<uint64_t>{SMCF_DEFAULT_DENY_FID, 0, 0x7a67}));
  EXPECT_EQ(this->Hvc(*fresh, SMCF_CMD_COUNTERS), (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_THAT(fresh->boot_log(), HasSubstr("label none"));
}

TYPED_TEST(SmcFilterTest, EveryIntegerParameterTypeParses) {
  auto hv = this->Booted(
      "smc_filter.offset=-9000000000 smc_filter.cookie=18446744073709551615 "
      "smc_filter.mask=0x10 smc_filter.level=-32768 smc_filter.port=65535 smc_filter.prio=010");
  ASSERT_NE(hv, nullptr);
  EXPECT_THAT(hv->boot_log(), HasSubstr("offset -9000000000 cookie 18446744073709551615 mask "
                                        "0x10 level -32768 port 65535 prio 8"));
  auto defaults = this->Booted();
  ASSERT_NE(defaults, nullptr);
  EXPECT_THAT(defaults->boot_log(),
              HasSubstr("offset -1 cookie 0 mask 0xff level 0 port 0 prio 0"));
  for (const char* bad : {"smc_filter.level=32768", "smc_filter.port=-1", "smc_filter.prio=256",
                          "smc_filter.cookie=18446744073709551616", "smc_filter.mask=0xg"}) {
    SCOPED_TRACE(bad);
    auto hv2 = this->Machine(bad);
    ASSERT_NE(hv2, nullptr);
    EXPECT_EQ(this->boot_.error(), -EINVAL);
    EXPECT_THAT(hv2->boot_log(), HasSubstr("invalid for parameter"));
  }
}

TYPED_TEST(SmcFilterTest, UnknownParameterIsLoggedAndIgnored) {
  auto hv = this->Booted("smc_filter.no_such=1 smc_filter.bias=3 other_module.bias=9");
  ASSERT_NE(hv, nullptr);
  EXPECT_THAT(hv->boot_log(), HasSubstr("smc_filter: unknown parameter 'no_such' ignored"));
  // Another module's parameters are that module's business.
  EXPECT_THAT(hv->boot_log(), Not(HasSubstr("unknown parameter 'bias'")));
  EXPECT_THAT(hv->loaded_modules(), Contains("smc_filter"));
  EXPECT_EQ(this->Hvc(*hv, SMCF_CMD_CONFIG)[1], 3u);
}

TYPED_TEST(SmcFilterTest, BadValueFailsTheModuleLoadButNotTheBoot) {
  struct Case {
    const char* params;
    const char* log;
  };
  const Case cases[] = {
      {"smc_filter.deny_fid=banana", "smc_filter: 'banana' invalid for parameter 'deny_fid'"},
      {"smc_filter.deny_fid=0x1ffffffff", "'0x1ffffffff' invalid for parameter 'deny_fid'"},
      {"smc_filter.bias=-2147483649", "'-2147483649' invalid for parameter 'bias'"},
      {"smc_filter.reset_counters=maybe", "'maybe' invalid for parameter 'reset_counters'"},
      {"smc_filter.bias", "'' invalid for parameter 'bias'"},
      {"smc_filter.fw_tag=12abc", "'12abc' invalid for parameter 'fw_tag'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.params);
    auto hv = this->Machine(c.params);
    ASSERT_NE(hv, nullptr);
    EXPECT_EQ(this->boot_.error(), -EINVAL) << this->boot_.ToString();
    EXPECT_EQ(hv->state(), MachineState::kDeprivileged);
    EXPECT_FALSE(hv->protected_vms_enabled());
    EXPECT_THAT(hv->boot_log(), HasSubstr(c.log));
    EXPECT_THAT(hv->loaded_modules(), Not(Contains("smc_filter")));
    EXPECT_EQ(hv->dynamic_hcall_count(), 0u);  // module_init never ran
  }
}

}  // namespace
}  // namespace pkvm::testing

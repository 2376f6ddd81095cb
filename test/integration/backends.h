// File: test/integration/backends.h
// The backends integration tests are typed over. Each backend type provides
// kKind and a Name; a test body written once runs on every backend and the
// results must agree. (The Unicorn backend adds itself here.)
#ifndef PKVM_TEST_INTEGRATION_BACKENDS_H_
#define PKVM_TEST_INTEGRATION_BACKENDS_H_

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "pkvm/abi/smccc.h"
#include "pkvm/hypervisor.h"

namespace pkvm::testing {

struct NativeBackend {
  static constexpr BackendKind kKind = BackendKind::kNative;
  static constexpr const char* kName = "native";
};

// AArch64 .ko builds of the same modules, run in Unicorn. OfferModule() of a
// native descriptor loads the module's .ko on this backend.
struct UnicornBackend {
  static constexpr BackendKind kKind = BackendKind::kUnicorn;
  static constexpr const char* kName = "unicorn";
};

// PKVM_TEST_UNICORN: set by test/integration/CMakeLists.txt when libpkvm
// has the Unicorn backend (not in the AArch64 cross build, for one).
#ifdef PKVM_TEST_UNICORN
using Backends = ::testing::Types<NativeBackend, UnicornBackend>;
#else
using Backends = ::testing::Types<NativeBackend>;
#endif

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

// One backend at one generation: what tests whose body differs per
// generation are typed over. Add a backend here once and every such suite
// runs on it.
template <typename B, Generation G>
struct GenConfig {
  using Backend = B;
  static constexpr Generation kGen = G;
};
#ifdef PKVM_TEST_UNICORN
using GenConfigs = ::testing::Types<GenConfig<NativeBackend, Generation::kA14>,
                                    GenConfig<NativeBackend, Generation::kA15>,
                                    GenConfig<NativeBackend, Generation::kA16>,
                                    GenConfig<UnicornBackend, Generation::kA14>,
                                    GenConfig<UnicornBackend, Generation::kA15>,
                                    GenConfig<UnicornBackend, Generation::kA16>>;
#else
using GenConfigs = ::testing::Types<GenConfig<NativeBackend, Generation::kA14>,
                                    GenConfig<NativeBackend, Generation::kA15>,
                                    GenConfig<NativeBackend, Generation::kA16>>;
#endif
struct GenConfigNames {
  template <typename T>
  static std::string GetName(int) {
    return std::string(T::Backend::kName) + "_A" + std::to_string(GenerationNumber(T::kGen));
  }
};

// The build of a module for generation G, among its three builds.
template <Generation G>
const pkvm_native_module& ForGeneration(const pkvm_native_module& a14,
                                        const pkvm_native_module& a15,
                                        const pkvm_native_module& a16) {
  if constexpr (G == Generation::kA14) return a14;
  if constexpr (G == Generation::kA15) return a15;
  return a16;
}

// Creates a machine or fails the test.
inline std::unique_ptr<Hypervisor> MakeMachine(BackendKind backend, Generation gen,
                                               const std::string& cmdline, int cpus = 1) {
  HypervisorOptions o;
  o.backend = backend;
  o.generation = gen;
  o.cmdline = cmdline;
  o.cpus = cpus;
  auto hv = Hypervisor::Create(o);
  EXPECT_TRUE(hv.ok()) << hv.status().ToString();
  return hv.ok() ? std::move(hv).value() : nullptr;
}

// A machine with `module` offered and named on the command line, booted; or
// nullptr with the test failed and the boot log shown.
inline std::unique_ptr<Hypervisor> BootWithModule(BackendKind backend, Generation gen,
                                                  const pkvm_native_module& module) {
  auto hv = MakeMachine(backend, gen, std::string("kvm-arm.protected_modules=") + module.name);
  if (hv == nullptr) return nullptr;
  const Status offered = hv->OfferModule(module);
  EXPECT_TRUE(offered.ok()) << offered.ToString();
  const Status booted = hv->Boot();
  EXPECT_TRUE(booted.ok()) << booted.ToString() << "\n" << hv->boot_log();
  return offered.ok() && booted.ok() ? std::move(hv) : nullptr;
}

// The first dynamic hypercall (128) with x1..x3 = cmd, a, b, as test modules
// take their commands: x1..x3 of the answer, which must have x0 = SUCCESS.
inline std::array<uint64_t, 3> ModuleCall(Hypervisor& hv, uint64_t cmd, uint64_t a = 0,
                                          uint64_t b = 0) {
  auto r = hv.HostHvc(PKVM_HOST_SMCCC_ID(128), {cmd, a, b});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {~0ull, ~0ull, ~0ull};
  EXPECT_EQ(r->x(0), 0u);
  return {r->x(1), r->x(2), r->x(3)};
}

}  // namespace pkvm::testing

#endif  // PKVM_TEST_INTEGRATION_BACKENDS_H_

// File: test/integration/backends.h
// The backends integration tests are typed over. Each backend type provides
// kKind and a Name; a test body written once runs on every backend and the
// results must agree. (The Unicorn backend adds itself here.)
#ifndef PKVM_TEST_INTEGRATION_BACKENDS_H_
#define PKVM_TEST_INTEGRATION_BACKENDS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

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

}  // namespace pkvm::testing

#endif  // PKVM_TEST_INTEGRATION_BACKENDS_H_

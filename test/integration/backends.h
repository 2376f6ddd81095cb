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

using Backends = ::testing::Types<NativeBackend>;

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

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

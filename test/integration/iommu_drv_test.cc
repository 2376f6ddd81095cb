// File: test/integration/iommu_drv_test.cc
// An IOMMU driver module written against the pKVM IOMMU framework headers
// (test/modules/iommu_drv) builds, loads and answers its hypercall on both
// backends, A15 and A16: its own struct kvm_iommu_ops in each generation's
// layout, the kvm_hyp_iommu lock helpers, ops->iommu_init_device and
// ops->iommu_iotlb_gather_add_page, SMMUv3 and LPAE encodings.
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdint>

#include "../modules/iommu_drv/iommu_drv.h"
#include "backends.h"
#include "pkvm/abi/smccc.h"

PKVM_DECLARE_NATIVE_MODULE(iommu_drv_a15);
PKVM_DECLARE_NATIVE_MODULE(iommu_drv_a16);

namespace pkvm::testing {
namespace {

#ifdef PKVM_TEST_UNICORN
using IommuConfigs = ::testing::Types<GenConfig<NativeBackend, Generation::kA15>,
                                      GenConfig<NativeBackend, Generation::kA16>,
                                      GenConfig<UnicornBackend, Generation::kA15>,
                                      GenConfig<UnicornBackend, Generation::kA16>>;
#else
using IommuConfigs = ::testing::Types<GenConfig<NativeBackend, Generation::kA15>,
                                      GenConfig<NativeBackend, Generation::kA16>>;
#endif

template <typename C>
class IommuDrvTest : public ::testing::Test {
 protected:
  static constexpr Generation G = C::kGen;
  void SetUp() override {
    hv_ = BootWithModule(C::Backend::kKind, G,
                         G == Generation::kA15 ? PKVM_NATIVE_MODULE(iommu_drv_a15)
                                               : PKVM_NATIVE_MODULE(iommu_drv_a16));
    ASSERT_NE(hv_, nullptr);
  }
  std::array<uint64_t, 3> Call(uint64_t cmd, uint64_t a = 0, uint64_t b = 0) {
    return ModuleCall(*hv_, cmd, a, b);
  }
  std::unique_ptr<Hypervisor> hv_;
};
TYPED_TEST_SUITE(IommuDrvTest, IommuConfigs, GenConfigNames);

using R = std::array<uint64_t, 3>;

TYPED_TEST(IommuDrvTest, InitDeviceOncePerIommu) {
  EXPECT_EQ(this->Call(IO_INIT_DEVICE)[0], 0u);
  EXPECT_EQ(static_cast<int64_t>(this->Call(IO_INIT_DEVICE)[0]), -EEXIST);
}

TYPED_TEST(IommuDrvTest, IommuLockIsAHypSpinlock) {
  // Ticket lock in the kvm_hyp_iommu's u32: owner low half, next high half.
  EXPECT_EQ(this->Call(IO_LOCK), (R{1, 0x10001, 0}));
}

TYPED_TEST(IommuDrvTest, DriverOpsHaveTheGenerationsLayout) {
  // iova_to_phys is the 14th member on A15, the 9th on A16.
  const uint64_t slot = TestFixture::G == Generation::kA15 ? 13 : 8;
  EXPECT_EQ(this->Call(IO_DRIVER_OPS, 2), (R{1, 3, slot}));
}

TYPED_TEST(IommuDrvTest, IotlbGatherGrowsOverAdjacentPages) {
  EXPECT_EQ(this->Call(IO_GATHER, 0x10000, 0x1000), (R{0x10000, 0x11fff, 0x1000}));
}

TYPED_TEST(IommuDrvTest, SmmuAndLpaeEncodings) {
  EXPECT_EQ(this->Call(IO_REGS, 1u << 27), (R{1, 0x88, 0x04ull << 16}));
  EXPECT_EQ(this->Call(IO_REGS, 0), (R{0, 0x88, 0x04ull << 16}));
}

}  // namespace
}  // namespace pkvm::testing

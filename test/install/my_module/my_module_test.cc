// README.md's GoogleTest example, as written there, plus what it leaves out.
#include <gtest/gtest.h>

#include "pkvm/hypervisor.h"
PKVM_DECLARE_NATIVE_MODULE(my_module);

TEST(MyModule, Answers) {
  pkvm::HypervisorOptions o;
  o.generation = pkvm::Generation::kA15;
  o.cmdline = "kvm-arm.protected_modules=my_module";
  auto hv = pkvm::Hypervisor::Create(o).value();
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(my_module)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  auto r = hv->HostHvc(0xC6000080, {0x1234});
  EXPECT_EQ(r->x(0), 0u);
  EXPECT_EQ(r->x(1), 0x1235u);
}

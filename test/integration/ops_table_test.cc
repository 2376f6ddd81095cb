// Every named member of each generation's pkvm_module_ops is a callable
// function, and every unused KABI slot is zero, as in the kernel's table.
#include <gtest/gtest.h>

#include <cstring>

#include "host/cmdline.h"
#include "machine.h"

namespace pkvm {
namespace {

template <typename Ops>
void ExpectComplete(const Ops& ops, size_t nr_named, size_t first_unused_kabi) {
  uint64_t slots[sizeof(Ops) / 8];
  std::memcpy(slots, &ops, sizeof ops);
  for (size_t i = 0; i < nr_named; ++i) EXPECT_NE(slots[i], 0u) << "named member #" << i + 1;
  for (size_t i = nr_named; i < nr_named + first_unused_kabi; ++i)
    EXPECT_NE(slots[i], 0u) << "consumed KABI slot " << i - nr_named + 1;
  for (size_t i = nr_named + first_unused_kabi; i < sizeof(Ops) / 8; ++i)
    EXPECT_EQ(slots[i], 0u) << "reserved KABI slot " << i - nr_named + 1;
}

TEST(OpsTable, EveryMemberIsFilledAndReservedSlotsAreZero) {
  HypervisorOptions o;
  Hypervisor::Impl m(o, internal::KernelCmdline{});
  ExpectComplete(m.ops_a14, PKVM_OPS_A14_NR_NAMED, 1);  // slot 1: host_stage2_mod_prot_range
  ExpectComplete(m.ops_a15, PKVM_OPS_A15_NR_NAMED, 5);  // slots 1..5 consumed
  ExpectComplete(m.ops_a16, PKVM_OPS_A16_NR_NAMED, 4);  // slots 1..4 consumed
  ExpectComplete(m.ops_a17, PKVM_OPS_A17_NR_NAMED, 0);  // a fresh KMI: no slot consumed
}

}  // namespace
}  // namespace pkvm

// File: test/unit/hvc_registry_test.cc
// The dynamic host-hypercall table (pkvm::HvcRegistry): dense id allocation
// from 128, lookup, the 128-entry limit (-ENOMEM), null handlers (-EINVAL),
// no reuse, CopyFrom, and concurrent registration.

#include <cerrno>
#include <cstdint>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkvm/hvc_registry.h"

namespace pkvm {
namespace {

// A plausible, distinct, non-zero EL2 VA for slot `i`.
uint64_t Va(uint64_t i) { return 0xFFFF800008000000ull + 0x1000ull * (i + 1); }

// An index the optimiser cannot see through. GCC's -Warray-bounds otherwise
// flags constant out-of-range indices after inlining Lookup(), although the
// count check returns before slots_ is read (count_ never exceeds kCapacity).
uint64_t Opaque(uint64_t v) {
  volatile uint64_t x = v;
  return x;
}

void Fill(HvcRegistry& reg) {
  for (uint32_t i = 0; i < HvcRegistry::kCapacity; ++i) {
    ASSERT_EQ(reg.Register(Va(i)), static_cast<int>(HvcRegistry::kFirstId + i));
  }
  ASSERT_EQ(reg.size(), HvcRegistry::kCapacity);
}

TEST(HvcRegistryTest, ConstantsMatchTheAbi) {
  EXPECT_EQ(HvcRegistry::kFirstId, 128u);
  EXPECT_EQ(HvcRegistry::kCapacity, 128u);
  EXPECT_EQ(HvcRegistry::kErrNoMem, -ENOMEM);
  EXPECT_EQ(HvcRegistry::kErrInval, -EINVAL);
}

TEST(HvcRegistryTest, EmptyRegistryHasNoEntries) {
  HvcRegistry reg;
  EXPECT_EQ(reg.size(), 0u);
  EXPECT_EQ(reg.Lookup(0), 0u);
  EXPECT_EQ(reg.Lookup(127), 0u);
}

TEST(HvcRegistryTest, IdsAreHandedOutDenselyInRegistrationOrder) {
  HvcRegistry reg;
  for (uint32_t i = 0; i < HvcRegistry::kCapacity; ++i) {
    EXPECT_EQ(reg.Register(Va(i)), static_cast<int>(128 + i)) << "registration " << i;
    EXPECT_EQ(reg.size(), i + 1);
  }
  // The last id is 255 (function id 0xC60000FF).
  EXPECT_EQ(reg.Lookup(255 - 128), Va(127));
  for (uint32_t i = 0; i < HvcRegistry::kCapacity; ++i) {
    EXPECT_EQ(reg.Lookup(i), Va(i)) << "slot " << i;
  }
}

TEST(HvcRegistryTest, LookupReturnsTheRegisteredValue) {
  HvcRegistry reg;
  const uint64_t values[] = {0x1, 0xFFFF80000ABCD000ull, 0xDEADBEEF, ~0ull};
  std::vector<int> ids;
  for (uint64_t v : values) ids.push_back(reg.Register(v));
  ASSERT_EQ(ids.size(), 4u);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_GE(ids[i], 128);
    EXPECT_EQ(reg.Lookup(static_cast<uint64_t>(ids[i]) - 128), values[i]) << "id " << ids[i];
  }
}

TEST(HvcRegistryTest, UnregisteredIndexLooksUpAsZero) {
  HvcRegistry reg;
  ASSERT_EQ(reg.Register(Va(0)), 128);
  ASSERT_EQ(reg.Register(Va(1)), 129);
  EXPECT_EQ(reg.Lookup(2), 0u);
  EXPECT_EQ(reg.Lookup(127), 0u);
  EXPECT_EQ(reg.Lookup(Opaque(128)), 0u);
  EXPECT_EQ(reg.Lookup(Opaque(1ull << 32)), 0u);
  EXPECT_EQ(reg.Lookup(Opaque(~0ull)), 0u);
}

TEST(HvcRegistryTest, RegistrationBeyondCapacityFailsWithEnomemAndChangesNothing) {
  HvcRegistry reg;
  Fill(reg);
  EXPECT_EQ(reg.Register(0xFFFF8000FFFF0000ull), -ENOMEM);
  EXPECT_EQ(reg.size(), HvcRegistry::kCapacity);
  for (uint32_t i = 0; i < HvcRegistry::kCapacity; ++i) {
    EXPECT_EQ(reg.Lookup(i), Va(i)) << "slot " << i << " changed by a refused registration";
  }
  EXPECT_EQ(reg.Lookup(Opaque(HvcRegistry::kCapacity)), 0u);
}

TEST(HvcRegistryTest, NullHandlerIsEinvalAndConsumesNoId) {
  HvcRegistry reg;
  EXPECT_EQ(reg.Register(0), -EINVAL);
  EXPECT_EQ(reg.size(), 0u);
  EXPECT_EQ(reg.Register(Va(0)), 128);
  EXPECT_EQ(reg.Register(0), -EINVAL);
  EXPECT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg.Register(Va(1)), 129);
  EXPECT_EQ(reg.Lookup(0), Va(0));
  EXPECT_EQ(reg.Lookup(1), Va(1));
}

TEST(HvcRegistryTest, IdsAreNeverReused) {
  HvcRegistry reg;
  // The same handler registered twice gets two ids.
  EXPECT_EQ(reg.Register(Va(7)), 128);
  EXPECT_EQ(reg.Register(Va(7)), 129);
  EXPECT_EQ(reg.Lookup(0), Va(7));
  EXPECT_EQ(reg.Lookup(1), Va(7));
  for (uint32_t i = 2; i < HvcRegistry::kCapacity; ++i) {
    ASSERT_EQ(reg.Register(Va(i)), static_cast<int>(128 + i));
  }
  // Once full, it stays full: no id is ever handed out again.
  EXPECT_EQ(reg.Register(Va(1000)), -ENOMEM);
  EXPECT_EQ(reg.Register(Va(1001)), -ENOMEM);
  EXPECT_EQ(reg.Register(Va(0)), -ENOMEM);
  EXPECT_EQ(reg.size(), HvcRegistry::kCapacity);
}

TEST(HvcRegistryTest, CopyFromCopiesCountAndSlots) {
  HvcRegistry src;
  for (uint32_t i = 0; i < 5; ++i) ASSERT_EQ(src.Register(Va(i)), static_cast<int>(128 + i));

  HvcRegistry dst;
  dst.CopyFrom(src);
  EXPECT_EQ(dst.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(dst.Lookup(i), Va(i));
  EXPECT_EQ(dst.Lookup(5), 0u);

  // The copy continues numbering after the copied entries and is independent.
  EXPECT_EQ(dst.Register(Va(50)), 133);
  EXPECT_EQ(src.size(), 5u);
  EXPECT_EQ(src.Lookup(5), 0u);
  EXPECT_EQ(src.Register(Va(60)), 133);
  EXPECT_EQ(dst.Lookup(5), Va(50));
  EXPECT_EQ(src.Lookup(5), Va(60));
}

TEST(HvcRegistryTest, CopyFromSmallerTableShrinksTheCopy) {
  HvcRegistry dst;
  for (uint32_t i = 0; i < 10; ++i) ASSERT_EQ(dst.Register(Va(100 + i)), static_cast<int>(128 + i));
  HvcRegistry src;
  for (uint32_t i = 0; i < 3; ++i) ASSERT_EQ(src.Register(Va(i)), static_cast<int>(128 + i));

  dst.CopyFrom(src);
  EXPECT_EQ(dst.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(dst.Lookup(i), Va(i));
  // Entries past the copied count are gone, not stale.
  EXPECT_EQ(dst.Lookup(3), 0u);
  EXPECT_EQ(dst.Lookup(9), 0u);
  EXPECT_EQ(dst.Register(Va(200)), 131);
}

TEST(HvcRegistryTest, CopyFromFullTable) {
  HvcRegistry src;
  Fill(src);
  HvcRegistry dst;
  dst.CopyFrom(src);
  EXPECT_EQ(dst.size(), HvcRegistry::kCapacity);
  for (uint32_t i = 0; i < HvcRegistry::kCapacity; ++i) EXPECT_EQ(dst.Lookup(i), Va(i));
  EXPECT_EQ(dst.Register(Va(500)), -ENOMEM);
}

// One round: 4 threads x 40 registrations on a fresh registry.
void ConcurrentRound(int round) {
  SCOPED_TRACE(::testing::Message() << "round " << round);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  HvcRegistry reg;
  std::vector<std::vector<int>> results(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  // Thread t registers (t+1) << 32 | (i+1): unique and non-zero.
  auto value = [](int t, int i) {
    return (static_cast<uint64_t>(t + 1) << 32) | static_cast<uint64_t>(i + 1);
  };
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      results[t].reserve(kPerThread);
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) results[t].push_back(reg.Register(value(t, i)));
    });
  }
  for (auto& th : threads) th.join();

  int successes = 0, enomem = 0, other = 0;
  std::set<int> ids;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(results[t].size(), static_cast<size_t>(kPerThread));
    int prev = -1;
    bool failed = false;
    for (int i = 0; i < kPerThread; ++i) {
      const int id = results[t][i];
      if (id == -ENOMEM) {
        ++enomem;
        failed = true;
        continue;
      }
      if (id < 128 || id > 255) {
        ++other;
        ADD_FAILURE() << "thread " << t << " call " << i << " returned " << id;
        continue;
      }
      ++successes;
      EXPECT_FALSE(failed) << "thread " << t << " succeeded after an -ENOMEM";
      EXPECT_GT(id, prev) << "ids of one thread must increase";
      prev = id;
      EXPECT_TRUE(ids.insert(id).second) << "id " << id << " handed out twice";
      EXPECT_EQ(reg.Lookup(static_cast<uint64_t>(id) - 128), value(t, i))
          << "thread " << t << " call " << i << " id " << id;
    }
  }
  EXPECT_EQ(successes, 128);
  EXPECT_EQ(enomem, kThreads * kPerThread - 128);
  EXPECT_EQ(enomem, 32);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(ids.size(), 128u);
  if (!ids.empty()) {
    EXPECT_EQ(*ids.begin(), 128);
    EXPECT_EQ(*ids.rbegin(), 255);
  }
  EXPECT_EQ(reg.size(), 128u);
}

// Races are probabilistic: several rounds make a missing lock show up reliably.
TEST(HvcRegistryTest, ConcurrentRegistrationHandsOutEachIdOnce) {
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds && !::testing::Test::HasFailure(); ++round) {
    ConcurrentRound(round);
  }
}

}  // namespace
}  // namespace pkvm

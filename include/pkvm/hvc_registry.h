// File: include/pkvm/hvc_registry.h
// The dynamic host-hypercall table of the pKVM hypervisor. Freestanding: no
// heap, no exceptions, no RTTI; usable in an EL2 image.
//
// Ids 128..255 are handed out densely in registration order and never freed;
// the 129th registration fails with -ENOMEM. Writers serialise on a spinlock,
// readers are lock-free (acquire load of the published count).
//
//   pkvm::HvcRegistry reg;
//   int id = reg.Register(handler_hyp_va);  // 128 on the first call
//   uint64_t va = reg.Lookup(id - 128);     // 0 if not registered
#ifndef PKVM_HVC_REGISTRY_H_
#define PKVM_HVC_REGISTRY_H_

#include <atomic>
#include <cstdint>

#include "pkvm/abi/smccc.h"

namespace pkvm {

class HvcRegistry {
 public:
  static constexpr uint32_t kFirstId = PKVM_DYNAMIC_HCALL_FIRST;
  static constexpr uint32_t kCapacity = PKVM_MAX_DYNAMIC_HCALLS;
  static constexpr int kErrNoMem = -12;  // -ENOMEM
  static constexpr int kErrInval = -22;  // -EINVAL

  HvcRegistry() noexcept = default;
  HvcRegistry(const HvcRegistry&) = delete;
  HvcRegistry& operator=(const HvcRegistry&) = delete;

  // Stores `hyp_va` in the next slot and returns its id (128 + slot), or
  // -ENOMEM when all 128 slots are taken, or -EINVAL for a null handler.
  int Register(uint64_t hyp_va) noexcept {
    if (hyp_va == 0) return kErrInval;
    while (lock_.test_and_set(std::memory_order_acquire)) {
    }
    const uint32_t n = count_.load(std::memory_order_relaxed);
    int ret;
    if (n >= kCapacity) {
      ret = kErrNoMem;
    } else {
      slots_[n] = hyp_va;
      count_.store(n + 1, std::memory_order_release);
      ret = static_cast<int>(kFirstId + n);
    }
    lock_.clear(std::memory_order_release);
    return ret;
  }

  // The handler registered in slot `index` (= id - 128), or 0.
  uint64_t Lookup(uint64_t index) const noexcept {
    if (index >= kCapacity || index >= count_.load(std::memory_order_acquire)) return 0;
    return slots_[index];
  }

  uint32_t size() const noexcept { return count_.load(std::memory_order_acquire); }

  // Copies the table (for machine snapshots). Not part of the kernel's ABI.
  void CopyFrom(const HvcRegistry& other) noexcept {
    const uint32_t n = other.size();
    for (uint32_t i = 0; i < n; ++i) slots_[i] = other.slots_[i];
    count_.store(n, std::memory_order_release);
  }

 private:
  std::atomic<uint32_t> count_{0};
  std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  uint64_t slots_[kCapacity] = {};
};

static_assert(noexcept(HvcRegistry().Register(0)), "registry must stay freestanding");
static_assert(noexcept(HvcRegistry().Lookup(0)), "registry must stay freestanding");

}  // namespace pkvm

#endif  // PKVM_HVC_REGISTRY_H_

// File: test/unit/abi_layout_test.cc
// Layout properties of the module ABI headers that static asserts inside the
// headers do not express well: cross-generation differences, KABI slot
// aliasing, parameter types, and round-trips through consumed slots.

#include <cstddef>

#include <gtest/gtest.h>

#include <pkvm/abi/el2_module.h>
#include <pkvm/abi/module_ops.h>

namespace {

constexpr std::size_t kSlot = 8;

template <class A, class B>
struct SameType {
  static constexpr bool value = false;
};
template <class A>
struct SameType<A, A> {
  static constexpr bool value = true;
};

using OpsA14 = pkvm_module_ops_a14;
using OpsA15 = pkvm_module_ops_a15;
using OpsA16 = pkvm_module_ops_a16;

int ModProtRange(pkvm_u64, kvm_pgtable_prot, pkvm_u64) { return 7; }
int RequestHypAlloc() { return 11; }
int TrngRnd64(pkvm_u64 *, int) { return 0; }

// Byte-wise comparison (char aliasing is always allowed).
template <class T>
bool SameBytes(const void *p, const T &v) {
  const unsigned char *a = static_cast<const unsigned char *>(p);
  const unsigned char *b = reinterpret_cast<const unsigned char *>(&v);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

TEST(AbiLayout, SizesMatchSpecMemberCounts) {
  EXPECT_EQ(PKVM_OPS_A14_NR_NAMED, 32);
  EXPECT_EQ(PKVM_OPS_A15_NR_NAMED, 52 + PKVM_OPS_LH_SLOTS);
  EXPECT_EQ(PKVM_OPS_A16_NR_NAMED, 59 + PKVM_OPS_LH_SLOTS);
  EXPECT_EQ(PKVM_OPS_LH_SLOTS, 0) << "LIST_HARDENED is off by default";

  EXPECT_EQ(sizeof(OpsA14), (32u + 32u) * kSlot);
  EXPECT_EQ(sizeof(OpsA14), 512u);
  EXPECT_EQ(sizeof(OpsA15), (52u + 32u) * kSlot);
  EXPECT_EQ(sizeof(OpsA15), 672u);
  EXPECT_EQ(sizeof(OpsA16), (59u + 32u) * kSlot);
  EXPECT_EQ(sizeof(OpsA16), 728u);
}

TEST(AbiLayout, EveryMemberIsOnePointerSlot) {
  EXPECT_EQ(sizeof(OpsA14) % kSlot, 0u);
  EXPECT_EQ(sizeof(OpsA15) % kSlot, 0u);
  EXPECT_EQ(sizeof(OpsA16) % kSlot, 0u);
  EXPECT_EQ(alignof(OpsA14), kSlot);
  EXPECT_EQ(alignof(OpsA15), kSlot);
  EXPECT_EQ(alignof(OpsA16), kSlot);
  EXPECT_EQ(sizeof(OpsA14{}.putx64), kSlot);
  EXPECT_EQ(sizeof(OpsA16{}.android_kabi_reserved1), kSlot);
}

TEST(AbiLayout, PutcInsertedAfterA14) {
  // A14 has no putc: puts sits in slot 4. A15 and A16 insert putc there.
  EXPECT_EQ(offsetof(OpsA14, puts), 4 * kSlot);
  EXPECT_EQ(offsetof(OpsA15, putc), 4 * kSlot);
  EXPECT_EQ(offsetof(OpsA16, putc), 4 * kSlot);
  EXPECT_EQ(offsetof(OpsA15, puts), 5 * kSlot);
  EXPECT_EQ(offsetof(OpsA16, puts), 5 * kSlot);
  EXPECT_EQ(offsetof(OpsA14, register_serial_driver), offsetof(OpsA15, register_serial_driver));
}

TEST(AbiLayout, A16InsertsFixblockAfterFixmap) {
  EXPECT_EQ(offsetof(OpsA15, fixmap_unmap), offsetof(OpsA16, fixmap_unmap));
  EXPECT_EQ(offsetof(OpsA16, fixblock_map), 9 * kSlot);
  EXPECT_EQ(offsetof(OpsA16, fixblock_unmap), 10 * kSlot);
  // In A15 slot 9 is linear_map_early; A16 pushed it two slots down.
  EXPECT_EQ(offsetof(OpsA15, linear_map_early), 9 * kSlot);
  EXPECT_EQ(offsetof(OpsA16, linear_map_early), 11 * kSlot);
}

TEST(AbiLayout, TablesDivergeWhereSpecSays) {
  // Shared prefix.
  EXPECT_EQ(offsetof(OpsA14, create_private_mapping), 0u);
  EXPECT_EQ(offsetof(OpsA15, create_private_mapping), 0u);
  EXPECT_EQ(offsetof(OpsA16, create_private_mapping), 0u);
  EXPECT_EQ(offsetof(OpsA14, map_module_page), offsetof(OpsA16, map_module_page));
  // memcpy moves as members are inserted before it.
  EXPECT_EQ(offsetof(OpsA14, memcpy), 27 * kSlot);
  EXPECT_EQ(offsetof(OpsA15, memcpy), 30 * kSlot);
  EXPECT_EQ(offsetof(OpsA16, memcpy), 36 * kSlot);
  // A16 promoted the lazy-pte pair and the guest SMC handler out of KABI slots.
  EXPECT_EQ(offsetof(OpsA15, host_stage2_enable_lazy_pte),
            offsetof(OpsA15, android_kabi_reserved2));
  EXPECT_EQ(offsetof(OpsA16, host_stage2_enable_lazy_pte), 19 * kSlot);
  EXPECT_EQ(offsetof(OpsA15, register_guest_smc_handler),
            offsetof(OpsA15, android_kabi_reserved4));
  EXPECT_EQ(offsetof(OpsA16, register_guest_smc_handler), 22 * kSlot);
  // A16 moved tracing up before hyp_alloc.
  EXPECT_GT(offsetof(OpsA15, tracing_reserve_entry), offsetof(OpsA15, hyp_alloc));
  EXPECT_LT(offsetof(OpsA16, tracing_reserve_entry), offsetof(OpsA16, hyp_alloc));
  // Last named member sits right before KABI slot 1.
  EXPECT_EQ(offsetof(OpsA14, kern_hyp_va) + kSlot, offsetof(OpsA14, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA15, hyp_smp_processor_id) + kSlot,
            offsetof(OpsA15, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA16, device_register_reset) + kSlot,
            offsetof(OpsA16, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA16, android_kabi_reserved32) + kSlot, sizeof(OpsA16));
}

TEST(AbiLayout, ConsumedKabiSlotsAliasTheirReserve) {
  EXPECT_EQ(offsetof(OpsA14, host_stage2_mod_prot_range), offsetof(OpsA14, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA14, android_kabi_reserved1), 32 * kSlot);

  EXPECT_EQ(offsetof(OpsA15, iommu_flush_unmap_cache), offsetof(OpsA15, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA15, host_stage2_enable_lazy_pte),
            offsetof(OpsA15, android_kabi_reserved2));
  EXPECT_EQ(offsetof(OpsA15, host_stage2_disable_lazy_pte),
            offsetof(OpsA15, android_kabi_reserved3));
  EXPECT_EQ(offsetof(OpsA15, register_guest_smc_handler),
            offsetof(OpsA15, android_kabi_reserved4));
  EXPECT_EQ(offsetof(OpsA15, guest_stage2_pa), offsetof(OpsA15, android_kabi_reserved5));
  EXPECT_EQ(offsetof(OpsA15, android_kabi_reserved1), 52 * kSlot);

  EXPECT_EQ(offsetof(OpsA16, register_guest_trng_ops), offsetof(OpsA16, android_kabi_reserved1));
  EXPECT_EQ(offsetof(OpsA16, map_module_pages), offsetof(OpsA16, android_kabi_reserved2));
  EXPECT_EQ(offsetof(OpsA16, unmap_module_pages), offsetof(OpsA16, android_kabi_reserved3));
  EXPECT_EQ(offsetof(OpsA16, request_hyp_alloc), offsetof(OpsA16, android_kabi_reserved4));
  EXPECT_EQ(offsetof(OpsA16, android_kabi_reserved1), 59 * kSlot);
}

TEST(AbiLayout, WriteThroughConsumedSlotIsVisibleThroughReserve) {
  OpsA14 a14{};
  EXPECT_EQ(a14.android_kabi_reserved1, 0u);
  a14.host_stage2_mod_prot_range = &ModProtRange;
  EXPECT_NE(a14.android_kabi_reserved1, 0u);
  const auto *raw14 = reinterpret_cast<const unsigned char *>(&a14);
  EXPECT_TRUE(SameBytes(raw14 + offsetof(OpsA14, android_kabi_reserved1),
                        a14.host_stage2_mod_prot_range));
  EXPECT_EQ(a14.host_stage2_mod_prot_range(0, KVM_PGTABLE_PROT_R, 1), 7);
  // Neighbouring slots are untouched.
  EXPECT_EQ(a14.android_kabi_reserved2, 0u);
  EXPECT_EQ(a14.kern_hyp_va, nullptr);

  OpsA16 a16{};
  a16.request_hyp_alloc = &RequestHypAlloc;
  EXPECT_NE(a16.android_kabi_reserved4, 0u);
  const auto *raw16 = reinterpret_cast<const unsigned char *>(&a16);
  EXPECT_TRUE(SameBytes(raw16 + offsetof(OpsA16, android_kabi_reserved4), a16.request_hyp_alloc));
  EXPECT_EQ(a16.request_hyp_alloc(), 11);
  EXPECT_EQ(a16.android_kabi_reserved3, 0u);
  EXPECT_EQ(a16.android_kabi_reserved5, 0u);

  // Clearing the reserve clears the member.
  a16.android_kabi_reserved4 = 0;
  EXPECT_EQ(a16.request_hyp_alloc, nullptr);
}

TEST(AbiLayout, SignaturesDifferPerGeneration) {
  // A14 handlers take kvm_cpu_context, A15/A16 take user_pt_regs.
  static_assert(SameType<pkvm_dyn_hcall_a14_t, void (*)(kvm_cpu_context *)>::value);
  static_assert(SameType<pkvm_dyn_hcall_a15_t, void (*)(user_pt_regs *)>::value);
  static_assert(SameType<pkvm_dyn_hcall_a16_t, pkvm_dyn_hcall_a15_t>::value);
  // host_stage2_get_leaf's level went from u32* to s8* in A16.
  static_assert(SameType<decltype(OpsA15{}.host_stage2_get_leaf),
                         int (*)(pkvm_phys_addr_t, pkvm_kvm_pte_t *, pkvm_u32 *)>::value);
  static_assert(SameType<decltype(OpsA16{}.host_stage2_get_leaf),
                         int (*)(pkvm_phys_addr_t, pkvm_kvm_pte_t *, pkvm_s8 *)>::value);
  // host_stage2_mod_prot absorbed the _range variant in A15.
  static_assert(SameType<decltype(OpsA14{}.host_stage2_mod_prot),
                         int (*)(pkvm_u64, kvm_pgtable_prot)>::value);
  static_assert(SameType<decltype(OpsA15{}.host_stage2_mod_prot),
                         int (*)(pkvm_u64, kvm_pgtable_prot, pkvm_u64, bool)>::value);
  // Guest SMC: A15 takes (cb, handle) and res is arm_smccc_res; A16 takes cb only.
  static_assert(SameType<decltype(OpsA15{}.register_guest_smc_handler),
                         int (*)(pkvm_guest_smc_cb_a15_t, pkvm_handle_t)>::value);
  static_assert(SameType<decltype(OpsA16{}.register_guest_smc_handler),
                         int (*)(pkvm_guest_smc_cb_a16_t)>::value);
  static_assert(!SameType<pkvm_guest_smc_cb_a15_t, pkvm_guest_smc_cb_a16_t>::value);
  // iommu_donate_pages: bool request -> int flags.
  static_assert(SameType<decltype(OpsA15{}.iommu_donate_pages), void *(*)(pkvm_u8, bool)>::value);
  static_assert(SameType<decltype(OpsA16{}.iommu_donate_pages), void *(*)(pkvm_u8, int)>::value);
  SUCCEED();
}

TEST(AbiLayout, A16ExtraTypes) {
  EXPECT_EQ(sizeof(pkvm_sglist_page), 6u);
  EXPECT_EQ(alignof(pkvm_sglist_page), 1u);
  pkvm_sglist_page pages[2] = {};
  EXPECT_EQ(sizeof(pages), 12u);
  pages[1].pfn = 0xFFFFFFFFFFull;  // 40 bits
  pages[1].order = 9;
  EXPECT_EQ(pages[1].pfn, 0xFFFFFFFFFFull);
  EXPECT_EQ(pages[1].order, 9);
  EXPECT_EQ(pages[0].pfn, 0u);
  EXPECT_EQ(pages[0].order, 0);
  // Little-endian byte image of entry 1: five pfn bytes, then order.
  const auto *raw = reinterpret_cast<const unsigned char *>(pages);
  for (std::size_t i = 6; i < 11; ++i) EXPECT_EQ(raw[i], 0xFF) << "byte " << i;
  EXPECT_EQ(raw[11], 9);

  EXPECT_EQ(sizeof(pkvm_uuid), 16u);
  EXPECT_EQ(sizeof(pkvm_module_trng_ops), 4 * kSlot);
  EXPECT_EQ(offsetof(pkvm_module_trng_ops, trng_uuid), 0u);
  EXPECT_EQ(offsetof(pkvm_module_trng_ops, trng_rnd64), kSlot);
  EXPECT_EQ(offsetof(pkvm_module_trng_ops, android_kabi_reserved2), 3 * kSlot);
  static const pkvm_uuid uuid = {{1, 2, 3}};
  pkvm_module_trng_ops trng = {&uuid, &TrngRnd64, 0, 0};
  EXPECT_EQ(trng.trng_uuid->b[2], 3);

  EXPECT_EQ(PKVM_PSCI_CPU_SUSPEND, 0);
  EXPECT_EQ(PKVM_PSCI_SYSTEM_SUSPEND, 1);
  EXPECT_EQ(PKVM_PSCI_CPU_ENTRY, 2);
}

TEST(AbiLayout, El2ModuleLayouts) {
  EXPECT_EQ(sizeof(pkvm_el2_module_a14), 88u);
  EXPECT_EQ(sizeof(pkvm_el2_module_a15), 160u);
  EXPECT_EQ(sizeof(pkvm_el2_module_a16), 200u);
  // text is first everywhere (pkvm_el2_mod_va on A14 reads text.start).
  EXPECT_EQ(offsetof(pkvm_el2_module_a14, text), 0u);
  EXPECT_EQ(offsetof(pkvm_el2_module_a15, text), 0u);
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, text), 0u);
  // sections / hyp_va, as read by pkvm_el2_mod_va on A15/A16.
  EXPECT_EQ(offsetof(pkvm_el2_module_a15, sections), 80u);
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, sections), 96u);
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, hyp_va), 112u);
  // init, as written by pkvm_load_el2_module: always the last member.
  EXPECT_EQ(offsetof(pkvm_el2_module_a14, init) + kSlot, sizeof(pkvm_el2_module_a14));
  EXPECT_EQ(offsetof(pkvm_el2_module_a15, init) + kSlot, sizeof(pkvm_el2_module_a15));
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, init) + kSlot, sizeof(pkvm_el2_module_a16));
  // The two A16 u32 counters share one slot; nr_relocs is padded out.
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, nr_hyp_printk_fmts),
            offsetof(pkvm_el2_module_a16, nr_hyp_events) + 4);
  EXPECT_EQ(offsetof(pkvm_el2_module_a16, init) - offsetof(pkvm_el2_module_a16, nr_relocs), 8u);
  // init takes the matching generation's ops table.
  static_assert(SameType<decltype(pkvm_el2_module_a14{}.init),
                         int (*)(const pkvm_module_ops_a14 *)>::value);
  static_assert(SameType<decltype(pkvm_el2_module_a16{}.init),
                         int (*)(const pkvm_module_ops_a16 *)>::value);
}

// The module linker: relocation arithmetic per type against hand-computed
// encodings, range and type errors, the .ko layout, module_init_hyp and the
// EL2 relocation of .hyp.reloc slots.
#include "module_linker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "arm64_test_util.h"
#include "pkvm/kmodule.h"

#ifndef PKVM_A64_RELOC_KO
#define PKVM_A64_RELOC_KO ""
#endif
#ifndef PKVM_A64_DRIVER_A14_KO
#define PKVM_A64_DRIVER_A14_KO ""
#endif
#ifndef PKVM_A64_DRIVER_A15_KO
#define PKVM_A64_DRIVER_A15_KO ""
#endif
#ifndef PKVM_A64_PROBE_A16_KO
#define PKVM_A64_PROBE_A16_KO ""
#endif

namespace pkvm::arm64 {
namespace {

using ::testing::HasSubstr;
using testing::Fixture;
using testing::PageBuffer;
using testing::ReadFile;

constexpr uint64_t kBase = 0x40000000;

SymbolResolver MapResolver(std::map<std::string, uint64_t> m) {
  return [m = std::move(m)](absl::string_view name) -> absl::StatusOr<uint64_t> {
    auto it = m.find(std::string(name));
    if (it == m.end()) return absl::NotFoundError(name);
    return it->second;
  };
}

const SymbolResolver kFixtureSymbols = MapResolver({{"ext_fn", 0x40100000},
                                                    {"ext_abs", 0x123456789abcdef0},
                                                    {"ext_tiny", 0xbeef},
                                                    {"ext_small", 0x89abcdef},
                                                    {"ext_neg", static_cast<uint64_t>(-5)},
                                                    {"ext_far", kBase + 0x10000000},
                                                    {"ext_big", 0x100000000}});

struct Linked {
  PageBuffer mem{0};
  absl::StatusOr<LinkedModule> mod = absl::UnknownError("not linked");
  uint32_t U32(uint64_t addr) const {
    uint32_t v;
    std::memcpy(&v, mem.data() + (addr - kBase), 4);
    return v;
  }
  uint64_t U64(uint64_t addr) const {
    uint64_t v;
    std::memcpy(&v, mem.data() + (addr - kBase), 8);
    return v;
  }
  uint64_t Sym(const char* name) const {
    const LinkedSymbol* s = mod->FindSymbol(name);
    EXPECT_NE(s, nullptr) << name;
    return s ? s->addr : 0;
  }
};

Linked Link(const std::string& path, const SymbolResolver& resolve, bool bare = true) {
  Linked l;
  LinkOptions o;
  o.require_this_module = !bare;
  auto ko = KoImage::Parse(ReadFile(path), o);
  if (!ko.ok()) {
    l.mod = ko.status();
    return l;
  }
  l.mem = PageBuffer(ko->size());
  l.mod = LinkModule(*ko, {kBase, l.mem.span()}, resolve);
  return l;
}

TEST(ModuleLinkerTest, LaysOutTextThenReadOnlyThenWritableData) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(Fixture("relocs"), kFixtureSymbols);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  EXPECT_EQ(l.Sym("t_start"), kBase);
  EXPECT_EQ(l.Sym("other_fn"), kBase + 0x60);  // .text.b, 8-aligned after .text
  EXPECT_EQ(l.Sym("lit_sym"), kBase + 0x68);
  EXPECT_EQ(l.Sym("data_sym"), kBase + 0x1030);  // writable data starts a page
  EXPECT_EQ(l.Sym("data_q"), kBase + 0x1040);
  EXPECT_EQ(l.Sym("near16"), kBase + 0x1076);
}

// Every instruction was assembled with a zero immediate; the expected words
// below were computed by hand from the layout checked above.
TEST(ModuleLinkerTest, InstructionRelocationsPerType) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(Fixture("relocs"), kFixtureSymbols);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  const uint64_t t = kBase;
  // CALL26: (0x40100000 - 0x40000000) >> 2 = 0x40000.
  EXPECT_EQ(l.U32(t + 0x00), 0x94040000u);
  // JUMP26 from +4: 0xffffc >> 2 = 0x3ffff.
  EXPECT_EQ(l.U32(t + 0x04), 0x1403ffffu);
  // ADR_PREL_PG_HI21: one page up -> immlo = 1.
  EXPECT_EQ(l.U32(t + 0x08), 0xb0000000u);
  // ADD_ABS_LO12_NC: #0x30.
  EXPECT_EQ(l.U32(t + 0x0c), 0x9100c000u);
  // LDST8 #0x31, LDST16 #0x32/2, LDST32 #0x34/4, LDST64 #0x38/8, LDST128 #0x40/16.
  EXPECT_EQ(l.U32(t + 0x10), 0x3940c402u);
  EXPECT_EQ(l.U32(t + 0x14), 0x79406403u);
  EXPECT_EQ(l.U32(t + 0x18), 0xb9403404u);
  EXPECT_EQ(l.U32(t + 0x1c), 0xf9401c01u);
  EXPECT_EQ(l.U32(t + 0x20), 0x3dc01005u);
  // ADR_PREL_LO21: other_fn - (t + 0x24) = 0x3c -> immlo 0, immhi 0xf.
  EXPECT_EQ(l.U32(t + 0x24), 0x100001e6u);
  // CONDBR19: 0x38 >> 2 = 0xe. TSTBR14: 0x34 >> 2 = 0xd. LD_PREL_LO19: 0x38 >> 2.
  EXPECT_EQ(l.U32(t + 0x28), 0xb40001c0u);
  EXPECT_EQ(l.U32(t + 0x2c), 0x361801a0u);
  EXPECT_EQ(l.U32(t + 0x30), 0x580001c7u);
  // MOVW_UABS_G3 / G2_NC / G1_NC / G0_NC of 0x123456789abcdef0.
  EXPECT_EQ(l.U32(t + 0x34), 0xd2e24688u);
  EXPECT_EQ(l.U32(t + 0x38), 0xf2cacf08u);
  EXPECT_EQ(l.U32(t + 0x3c), 0xf2b35788u);
  EXPECT_EQ(l.U32(t + 0x40), 0xf29bde08u);
  // MOVW_UABS_G0 #0xbeef; MOVW_UABS_G1 of 0x89abcdef = #0x89ab, lsl 16.
  EXPECT_EQ(l.U32(t + 0x44), 0xd297dde9u);
  EXPECT_EQ(l.U32(t + 0x48), 0xd2b1356au);
  // MOVW_SABS_G0 of -5: becomes MOVN x11, #4.
  EXPECT_EQ(l.U32(t + 0x4c), 0x9280008bu);
  // MOVW_PREL_G0: other_fn - (t + 0x50) = 0x10 -> MOVZ x12, #0x10.
  EXPECT_EQ(l.U32(t + 0x50), 0xd280020cu);
  // MOVW_PREL_G1_NC: (0xc >> 16) = 0: MOVK unchanged.
  EXPECT_EQ(l.U32(t + 0x54), 0xf2a0000du);
  // ADR_PREL_PG_HI21 to the import: 0x100 pages -> immhi 0x40.
  EXPECT_EQ(l.U32(t + 0x58), 0x9000080eu);
}

TEST(ModuleLinkerTest, DataRelocationsPerType) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(Fixture("relocs"), kFixtureSymbols);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  const uint64_t d = kBase + 0x1000;
  EXPECT_EQ(l.U64(d + 0x50), 0x40100000u);                  // ABS64
  EXPECT_EQ(l.U64(d + 0x58), 0x40100010u);                  // ABS64 + addend
  EXPECT_EQ(l.U32(d + 0x60), 0x89abcdefu);                  // ABS32
  EXPECT_EQ(l.U32(d + 0x64) & 0xffff, 0xbeefu);             // ABS16
  EXPECT_EQ(l.U64(d + 0x68), static_cast<uint64_t>(-0x1008));  // PREL64: 0x40000060 - 0x40001068
  EXPECT_EQ(l.U32(d + 0x70), static_cast<uint32_t>(-0x1010));  // PREL32
  EXPECT_EQ(l.U32(d + 0x74) & 0xffff, 2u);                  // PREL16: near16 is 2 bytes on
}

TEST(ModuleLinkerTest, OutOfRangeValuesAreErrorsNamingTypeAndSymbol) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked call = Link(Fixture("bad_call26"), kFixtureSymbols);
  ASSERT_FALSE(call.mod.ok());
  EXPECT_EQ(call.mod.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(call.mod.status().message(), HasSubstr("R_AARCH64_CALL26 at .text+0 against ext_far"));
  EXPECT_THAT(call.mod.status().message(), HasSubstr("±128 MiB"));

  // A target exactly 2^63 bytes away: the distance is INT64_MIN, which the
  // message must print without negating it (UBSan aborts on that).
  Linked far = Link(Fixture("bad_call26"),
                    MapResolver({{"ext_far", kBase + 0x8000000000000000ull}}));
  ASSERT_FALSE(far.mod.ok());
  EXPECT_THAT(far.mod.status().message(), HasSubstr("0x8000000000000000 bytes from the branch"));

  Linked abs32 = Link(Fixture("bad_abs32"), kFixtureSymbols);
  ASSERT_FALSE(abs32.mod.ok());
  EXPECT_THAT(abs32.mod.status().message(), HasSubstr("R_AARCH64_ABS32 at .data+0 against ext_big"));
  EXPECT_THAT(abs32.mod.status().message(), HasSubstr("out of range"));

  Linked movw = Link(Fixture("bad_movw"), kFixtureSymbols);
  ASSERT_FALSE(movw.mod.ok());
  EXPECT_THAT(movw.mod.status().message(),
              HasSubstr("R_AARCH64_MOVW_UABS_G0 at .text+0 against ext_big"));
}

TEST(ModuleLinkerTest, UnsupportedRelocationsAndUnknownSymbolsAreNamed) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked got = Link(Fixture("bad_got"), kFixtureSymbols);
  ASSERT_FALSE(got.mod.ok());
  EXPECT_EQ(got.mod.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(got.mod.status().message(),
              HasSubstr("unsupported relocation R_AARCH64_ADR_GOT_PAGE at .text+0 against ext_fn"));

  Linked unknown = Link(Fixture("unknown_sym"), kFixtureSymbols);
  ASSERT_FALSE(unknown.mod.ok());
  EXPECT_THAT(unknown.mod.status().message(), HasSubstr("unknown symbol ext_missing"));
  EXPECT_THAT(unknown.mod.status().message(), HasSubstr("R_AARCH64_CALL26 at .text+0"));

  // A weak symbol nobody provides is 0, as in the kernel.
  Linked weak = Link(Fixture("weak_sym"), kFixtureSymbols);
  ASSERT_TRUE(weak.mod.ok()) << weak.mod.status();
  EXPECT_EQ(weak.U64(weak.Sym("weak_ptr")), 0u);
}

TEST(ModuleLinkerTest, RegionAndObjectRequirements) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto ko = KoImage::Parse(ReadFile(Fixture("relocs")));
  ASSERT_FALSE(ko.ok());
  EXPECT_THAT(ko.status().message(), HasSubstr("no .gnu.linkonce.this_module section"));

  LinkOptions bare;
  bare.require_this_module = false;
  ko = KoImage::Parse(ReadFile(Fixture("relocs")), bare);
  ASSERT_TRUE(ko.ok());
  EXPECT_EQ(ko->size(), 0x2000u);
  PageBuffer small(0x1000), mem(0x2000);
  auto m = LinkModule(*ko, {kBase, small.span()}, kFixtureSymbols);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kResourceExhausted);
  m = LinkModule(*ko, {kBase + 8, mem.span()}, kFixtureSymbols);
  EXPECT_THAT(m.status().message(), HasSubstr("not page-aligned"));
}

TEST(ModuleLinkerTest, El2ImportsArePatchedForTheHypVa) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(Fixture("hyp_import"), kFixtureSymbols);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  ASSERT_EQ(l.mod->el2_imports.size(), 1u);
  const El2Import& imp = l.mod->el2_imports[0];
  EXPECT_EQ(imp.symbol, "__kvm_nvhe_hyp_helper");
  EXPECT_EQ(imp.place, kBase + 4);
  EXPECT_EQ(l.U32(kBase + 4), 0x94000000u);  // left alone by LinkModule

  const uint64_t hyp_va = 0x80000000000;
  auto st = PatchEl2Imports(*l.mod, {kBase, l.mem.span()}, hyp_va,
                            MapResolver({{"__kvm_nvhe_hyp_helper", hyp_va + 0x100004}}));
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(l.U32(kBase + 4), 0x94040000u);  // BL +0x100000 from hyp_va + 4

  st = PatchEl2Imports(*l.mod, {kBase, l.mem.span()}, hyp_va,
                       MapResolver({{"__kvm_nvhe_hyp_helper", hyp_va + 0x10000000}}));
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange);
  st = PatchEl2Imports(*l.mod, {kBase, l.mem.span()}, hyp_va, MapResolver({}));
  EXPECT_THAT(st.message(), HasSubstr("calls __kvm_nvhe_hyp_helper, which neither the module nor"));

  Linked data = Link(Fixture("bad_hyp_data_import"), kFixtureSymbols);
  ASSERT_FALSE(data.mod.ok());
  EXPECT_THAT(data.mod.status().message(), HasSubstr("EL2 code can only call functions"));
}

// ---- real modules -------------------------------------------------------------

TEST(ModuleLinkerTest, KoFromPkvmAddModule) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(PKVM_A64_RELOC_KO, MapResolver({}), /*bare=*/false);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  const LinkedModule& m = *l.mod;
  EXPECT_EQ(m.name, "a64_reloc");
  EXPECT_TRUE(m.has_el2);
  EXPECT_NE(m.init, 0u);
  EXPECT_EQ(m.init, l.Sym("init_module"));
  EXPECT_EQ(m.this_module, l.Sym("__this_module"));
  for (const AddrSpan* s : {&m.hyp.text, &m.hyp.rodata, &m.hyp.data, &m.hyp.bss}) {
    EXPECT_EQ(s->start % 4096, 0u);
    EXPECT_EQ(s->size() % 4096, 0u);
    EXPECT_FALSE(s->empty());
  }
  // .hyp.text is the lowest EL2 section (A14's pkvm_el2_mod_va relies on it).
  EXPECT_EQ(m.hyp.image.start, m.hyp.text.start);
  EXPECT_TRUE(m.hyp.image.contains(l.Sym("__kvm_nvhe_reloc_hyp_apply")));
  EXPECT_EQ(m.Symbolize(l.Sym("__kvm_nvhe_reloc_hyp_apply") + 4), "reloc_hyp_apply+0x4");
  EXPECT_EQ(m.Symbolize(l.Sym("__pkvm_load_el2_module")), "__pkvm_load_el2_module+0x0");
}

TEST(ModuleLinkerTest, InitModuleHypFillsThisModulePerGeneration) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(PKVM_A64_RELOC_KO, MapResolver({}), false);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  const LinkedModule& m = *l.mod;
  ASSERT_TRUE(InitModuleHyp(m, {kBase, l.mem.span()}, 15).ok());
  pkvm_kmodule_a15 km;
  std::memcpy(&km, l.mem.data() + (m.this_module - kBase), sizeof km);
  EXPECT_STREQ(km.name, "a64_reloc");
  EXPECT_EQ(reinterpret_cast<uint64_t>(km.hyp.text.start), m.hyp.text.start);
  EXPECT_EQ(reinterpret_cast<uint64_t>(km.hyp.text.end), m.hyp.text.end);
  EXPECT_EQ(reinterpret_cast<uint64_t>(km.hyp.data.start), m.hyp.data.start);
  EXPECT_EQ(reinterpret_cast<uint64_t>(km.hyp.relocs), m.hyp.reloc.start);
  EXPECT_EQ(km.hyp.nr_relocs, 8u);
  // A generation with a bigger struct module than the module was built for.
  EXPECT_THAT(InitModuleHyp(m, {kBase, l.mem.span()}, 16).message(),
              HasSubstr("built for another generation"));
}

TEST(ModuleLinkerTest, ApplyHypRelocsMovesEverySlotToTheHypVa) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  Linked l = Link(PKVM_A64_RELOC_KO, MapResolver({}), false);
  ASSERT_TRUE(l.mod.ok()) << l.mod.status();
  const LinkedModule& m = *l.mod;
  const uint64_t hyp_va = 0x80000000000;
  std::vector<uint64_t> before;
  for (uint64_t slot : m.hyp_reloc_slots) before.push_back(l.U64(slot));
  ASSERT_TRUE(ApplyHypRelocs(m, {kBase, l.mem.span()}, hyp_va).ok());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(l.U64(m.hyp_reloc_slots[i]), before[i] - m.hyp.image.start + hyp_va);
  // Applying twice would convert EL2 addresses again: refused.
  EXPECT_THAT(ApplyHypRelocs(m, {kBase, l.mem.span()}, hyp_va).message(),
              HasSubstr("outside the EL2 image"));
}

TEST(ModuleLinkerTest, EveryExampleAndTestModuleLinks) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  for (const char* path : {PKVM_A64_DRIVER_A14_KO, PKVM_A64_DRIVER_A15_KO, PKVM_A64_PROBE_A16_KO}) {
    SCOPED_TRACE(path);
    // Whatever the EL2 code imports from the hypervisor is patched later.
    Linked l = Link(path, MapResolver({}), false);
    ASSERT_TRUE(l.mod.ok()) << l.mod.status();
    EXPECT_TRUE(l.mod->has_el2);
    EXPECT_NE(l.mod->init, 0u);
    for (const El2Import& imp : l.mod->el2_imports)
      EXPECT_EQ(imp.symbol.rfind("__kvm_nvhe_", 0), 0u) << imp.symbol;
  }
}

}  // namespace
}  // namespace pkvm::arm64

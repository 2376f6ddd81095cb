// gen_hyprel: one .hyp.reloc entry per R_AARCH64_ABS64 in EL2 sections, and
// a clear refusal of what cannot be relocated to EL2.
#include "hyprel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "arm64_test_util.h"
#include "module_linker.h"

#ifndef PKVM_A64_GEN_HYPREL
#define PKVM_A64_GEN_HYPREL ""
#endif
#ifndef PKVM_A64_RELOC_KO
#define PKVM_A64_RELOC_KO ""
#endif

namespace pkvm::arm64 {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using testing::Fixture;
using testing::PageBuffer;
using testing::ReadFile;

absl::StatusOr<std::vector<HypRelocSite>> Collect(const std::string& fixture) {
  auto obj = ElfObject::Parse(ReadFile(Fixture(fixture)));
  if (!obj.ok()) return obj.status();
  return CollectHypRelocs(*obj);
}

auto Site(const char* section, uint64_t offset) {
  return ::testing::AllOf(Field(&HypRelocSite::section, section), Field(&HypRelocSite::offset, offset));
}

TEST(HypRelocTest, OneEntryPerAbs64InEl2Sections) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto sites = Collect("hyprel_input");
  ASSERT_TRUE(sites.ok()) << sites.status();
  // The PREL32, ADRP/ADD and BL in EL2 code and everything in .data are not entries.
  EXPECT_THAT(*sites, ElementsAre(Site(".hyp.rodata", 0x8), Site(".hyp.rodata", 0x10),
                                  Site(".hyp.data", 0x0), Site(".hyp.data", 0x10)));
}

TEST(HypRelocTest, AssemblyHasOneSelfRelativeWordPerEntry) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto sites = Collect("hyprel_input");
  ASSERT_TRUE(sites.ok());
  const std::string s = FormatHypRelocAsm(*sites, "in.o");
  EXPECT_THAT(s, HasSubstr(".section .hyp.reloc, \"a\""));
  EXPECT_THAT(s, HasSubstr(".global __hyp_section_.hyp.data"));
  EXPECT_THAT(s, HasSubstr(".reloc 0, R_AARCH64_PREL32, __hyp_section_.hyp.rodata + 0x8\n"));
  EXPECT_THAT(s, HasSubstr(".reloc 4, R_AARCH64_PREL32, __hyp_section_.hyp.rodata + 0x10\n"));
  EXPECT_THAT(s, HasSubstr(".reloc 8, R_AARCH64_PREL32, __hyp_section_.hyp.data + 0\n"));
  EXPECT_THAT(s, HasSubstr(".reloc 12, R_AARCH64_PREL32, __hyp_section_.hyp.data + 0x10\n"));
}

TEST(HypRelocTest, RefusesWhatCannotBeRelocatedToEl2) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto abs32 = Collect("bad_hyprel_abs32");
  ASSERT_FALSE(abs32.ok());
  EXPECT_THAT(abs32.status().message(), HasSubstr("R_AARCH64_ABS32 at .hyp.data+0x8"));
  EXPECT_THAT(abs32.status().message(), HasSubstr("absolute relocation in EL2 code"));

  auto undef = Collect("bad_hyprel_undef");
  ASSERT_FALSE(undef.ok());
  EXPECT_THAT(undef.status().message(), HasSubstr("R_AARCH64_ABS64 at .hyp.data+0"));
  EXPECT_THAT(undef.status().message(), HasSubstr("kernel_thing, which is not defined"));

  auto nobracket = Collect("bad_hyprel_nobracket");
  ASSERT_FALSE(nobracket.ok());
  EXPECT_THAT(nobracket.status().message(), HasSubstr("no __hyp_section_.hyp.extra symbol"));

  // Relocations gen_hyprel does not know at all are refused by name too.
  auto got = Collect("bad_hyp_data_import");
  EXPECT_TRUE(got.ok());  // ADRP is position-independent: not gen_hyprel's business
}

// The tool stops the build with the message and exit status 1.
TEST(HypRelocTest, ToolFailsTheBuildWithTheMessage) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  const std::string cmd =
      std::string(PKVM_A64_GEN_HYPREL) + " " + Fixture("bad_hyprel_abs32") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_THAT(out, HasSubstr("gen_hyprel: "));
  EXPECT_THAT(out, HasSubstr("R_AARCH64_ABS32 at .hyp.data+0x8"));
}

// In a module built by pkvm_add_module(), .hyp.reloc names exactly the
// places of the ABS64 relocations in the .ko's .hyp sections.
TEST(HypRelocTest, KoEntriesMatchItsAbs64Relocations) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  const auto bytes = ReadFile(PKVM_A64_RELOC_KO);
  auto ko = KoImage::Parse(bytes);
  ASSERT_TRUE(ko.ok()) << ko.status();
  PageBuffer mem(ko->size());
  auto mod = LinkModule(*ko, {0x40000000, mem.span()},
                        [](absl::string_view) { return absl::NotFoundError("none"); });
  ASSERT_TRUE(mod.ok()) << mod.status();

  std::set<uint64_t> abs64;
  for (const ElfRelaSection& rs : ko->elf().rela_sections()) {
    const ElfSection& t = ko->elf().sections()[rs.target];
    if (t.name.substr(0, 4) != ".hyp") continue;
    for (const ElfRela& r : rs.relocs)
      if (r.type == reloc::kAbs64) abs64.insert(0x40000000 + ko->offset(t.index) + r.offset);
  }
  const std::set<uint64_t> slots(mod->hyp_reloc_slots.begin(), mod->hyp_reloc_slots.end());
  EXPECT_EQ(slots, abs64);
  // table[3] + names[3] + current + self.
  EXPECT_EQ(slots.size(), 8u);
}

}  // namespace
}  // namespace pkvm::arm64

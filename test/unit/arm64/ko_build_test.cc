// The .ko files pkvm_add_module() builds: the kernel's module layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "arm64_test_util.h"
#include "elf_object.h"

#ifndef PKVM_A64_ALL_KOS
#define PKVM_A64_ALL_KOS ""
#endif
#ifndef PKVM_A64_DRIVER_A15_KO
#define PKVM_A64_DRIVER_A15_KO ""
#endif
#ifndef PKVM_A64_EL1_ONLY_KO
#define PKVM_A64_EL1_ONLY_KO ""
#endif

namespace pkvm::arm64 {
namespace {

using testing::ReadFile;

std::vector<std::string> AllKos() {
  std::vector<std::string> v;
  for (absl::string_view p : absl::StrSplit(PKVM_A64_ALL_KOS, '|', absl::SkipEmpty()))
    v.emplace_back(p);
  return v;
}

TEST(KoBuildTest, EveryModuleHasTheKernelsLayout) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  const auto kos = AllKos();
  ASSERT_GE(kos.size(), 8u);
  for (const std::string& path : kos) {
    SCOPED_TRACE(path);
    auto obj = ElfObject::Parse(ReadFile(path));
    ASSERT_TRUE(obj.ok()) << obj.status();
    ASSERT_NE(obj->FindSection(".gnu.linkonce.this_module"), nullptr);
    ASSERT_NE(obj->FindSymbol("init_module"), nullptr);
    const ElfSection* text = obj->FindSection(".hyp.text");
    if (text == nullptr) continue;  // an EL1-only module
    for (const char* name : {".hyp.text", ".hyp.bss", ".hyp.rodata", ".hyp.data"}) {
      const ElfSection* s = obj->FindSection(name);
      ASSERT_NE(s, nullptr) << name;
      EXPECT_EQ(s->addralign, 4096u) << name;
      EXPECT_EQ(s->size % 4096, 0u) << name;
    }
    const ElfSection* reloc = obj->FindSection(".hyp.reloc");
    ASSERT_NE(reloc, nullptr);
    EXPECT_TRUE(reloc->alloc());
    EXPECT_EQ(reloc->size % 4, 0u);
    EXPECT_NE(obj->FindSymbol("__pkvm_load_el2_module"), nullptr);
    for (const ElfSymbol& sym : obj->symbols()) {
      if (sym.index == 0 || sym.name.empty() || sym.type == kSttSection) continue;
      if (sym.shndx == kShnUndef) {
        // Only the weak module_exit and calls into the hypervisor are left.
        EXPECT_TRUE(sym.name == "cleanup_module" || absl::StartsWith(sym.name, "__kvm_nvhe_"))
            << sym.name;
        continue;
      }
      if (!sym.defined() || sym.shndx == kShnAbs) continue;
      // objcopy --prefix-symbols=__kvm_nvhe_: every symbol of EL2 code.
      if (absl::StartsWith(obj->sections()[sym.shndx].name, ".hyp")) {
        EXPECT_TRUE(absl::StartsWith(sym.name, "__kvm_nvhe_")) << sym.name;
      }
    }
  }
}

TEST(KoBuildTest, El2SymbolsArePrefixed) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto obj = ElfObject::Parse(ReadFile(PKVM_A64_DRIVER_A15_KO));
  ASSERT_TRUE(obj.ok()) << obj.status();
  const ElfSymbol* init = obj->FindSymbol("__kvm_nvhe_pkvm_driver_hyp_init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(obj->sections()[init->shndx].name, ".hyp.text");
  EXPECT_EQ(obj->FindSymbol("pkvm_driver_hyp_init"), nullptr);
  EXPECT_NE(obj->FindSymbol("__kvm_nvhe___hyp_section_.hyp.text"), nullptr);
  // The EL1 side keeps its names, glue included.
  EXPECT_NE(obj->FindSymbol("__pkvm_smccc_call"), nullptr);
}

TEST(KoBuildTest, El1OnlyModuleHasNoEl2Image) {
  PKVM_REQUIRE_AARCH64_OBJECTS();
  auto obj = ElfObject::Parse(ReadFile(PKVM_A64_EL1_ONLY_KO));
  ASSERT_TRUE(obj.ok()) << obj.status();
  const ElfSection* text = obj->FindSection(".hyp.text");
  EXPECT_TRUE(text == nullptr || text->size == 0);
  EXPECT_EQ(obj->FindSymbol("__pkvm_load_el2_module"), nullptr);  // not pulled from the glue
}

}  // namespace
}  // namespace pkvm::arm64

// ElfObject: bad input of every kind ends in an error naming the problem.
#include "elf_object.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "arm64_test_util.h"

namespace pkvm::arm64 {
namespace {

using ::testing::HasSubstr;
using testing::Fixture;
using testing::ReadFile;

class ElfObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PKVM_REQUIRE_AARCH64_OBJECTS();
    good_ = ReadFile(Fixture("relocs"));
    ASSERT_TRUE(ElfObject::Parse(good_).ok());
  }

  // Byte offset of section header `i` in good_.
  size_t Shdr(uint32_t i) const {
    uint64_t shoff;
    std::memcpy(&shoff, good_.data() + 40, 8);
    return shoff + 64 * i;
  }
  uint32_t IndexOf(const char* name) const {
    auto obj = ElfObject::Parse(good_);
    const ElfSection* s = obj->FindSection(name);
    EXPECT_NE(s, nullptr) << name;
    return s ? s->index : 0;
  }
  template <typename T>
  std::vector<uint8_t> With(size_t off, T value) const {
    std::vector<uint8_t> b = good_;
    std::memcpy(b.data() + off, &value, sizeof value);
    return b;
  }
  static std::string Error(const std::vector<uint8_t>& bytes) {
    auto obj = ElfObject::Parse(bytes);
    EXPECT_FALSE(obj.ok());
    return obj.ok() ? "" : std::string(obj.status().message());
  }

  std::vector<uint8_t> good_;
};

TEST_F(ElfObjectTest, ReadsSectionsSymbolsAndRelocations) {
  auto obj = ElfObject::Parse(good_);
  ASSERT_TRUE(obj.ok()) << obj.status();
  const ElfSection* text = obj->FindSection(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->alloc());
  EXPECT_EQ(text->size, 0x60u);
  const ElfSymbol* fn = obj->FindSymbol("ext_fn");
  ASSERT_NE(fn, nullptr);
  EXPECT_FALSE(fn->defined());
  int relocs = 0;
  for (const ElfRelaSection& rs : obj->rela_sections()) relocs += static_cast<int>(rs.relocs.size());
  EXPECT_EQ(relocs, 23 + 7);
}

TEST_F(ElfObjectTest, EveryTruncationIsAnError) {
  for (size_t n = 0; n < good_.size(); n += (n < 128 ? 1 : 7)) {
    std::vector<uint8_t> b(good_.begin(), good_.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(ElfObject::Parse(b).ok()) << "truncated to " << n << " bytes";
  }
  EXPECT_THAT(Error({}), HasSubstr("shorter than an ELF64 header"));
}

TEST_F(ElfObjectTest, HeaderFieldsAreChecked) {
  EXPECT_THAT(Error(With<uint8_t>(0, 0x7e)), HasSubstr("no ELF magic"));
  EXPECT_THAT(Error(With<uint8_t>(4, 1)), HasSubstr("ELF class 1, expected ELFCLASS64"));
  EXPECT_THAT(Error(With<uint8_t>(5, 2)), HasSubstr("little-endian"));
  EXPECT_THAT(Error(With<uint16_t>(18, 62)), HasSubstr("e_machine 62, expected EM_AARCH64"));
  EXPECT_THAT(Error(With<uint16_t>(16, 3)), HasSubstr("e_type 3, expected ET_REL"));
  EXPECT_THAT(Error(With<uint64_t>(40, 0xfffffffffff0)), HasSubstr("section header table"));
  EXPECT_THAT(Error(With<uint16_t>(58, 40)), HasSubstr("e_shentsize 40"));
  EXPECT_THAT(Error(With<uint16_t>(62, 0)), HasSubstr("e_shstrndx 0"));
  EXPECT_THAT(Error(With<uint16_t>(62, 0x7fff)), HasSubstr("e_shstrndx 32767"));
  EXPECT_THAT(Error(With<uint16_t>(62, IndexOf(".text"))), HasSubstr("is not a string table"));
}

TEST_F(ElfObjectTest, SectionHeadersAreChecked) {
  const uint32_t text = IndexOf(".text"), rela = IndexOf(".rela.text");
  EXPECT_THAT(Error(With<uint64_t>(Shdr(text) + 24, 0x7fffffffffffffff)),
              HasSubstr("run past the end of the file"));
  EXPECT_THAT(Error(With<uint64_t>(Shdr(text) + 32, 0xffffffffffffff00)),
              HasSubstr("run past the end of the file"));
  EXPECT_THAT(Error(With<uint64_t>(Shdr(text) + 48, 24)), HasSubstr("not a power of two"));
  EXPECT_THAT(Error(With<uint32_t>(Shdr(text), 0xffffff)), HasSubstr("name offset"));
  EXPECT_THAT(Error(With<uint32_t>(Shdr(rela) + 40, text)), HasSubstr("is not the symbol table"));
  EXPECT_THAT(Error(With<uint32_t>(Shdr(rela) + 44, 0xffff)), HasSubstr("sh_info 65535"));
  EXPECT_THAT(Error(With<uint64_t>(Shdr(rela) + 56, 16)), HasSubstr("24-byte entries"));
  EXPECT_THAT(Error(With<uint32_t>(Shdr(rela) + 4, kShtRel)), HasSubstr("SHT_REL"));
  EXPECT_THAT(Error(With<uint32_t>(Shdr(rela) + 44, IndexOf(".symtab"))),
              HasSubstr("not a section with contents"));
}

TEST_F(ElfObjectTest, SymbolsAndRelocationEntriesAreChecked) {
  auto obj = ElfObject::Parse(good_);
  const ElfSection* symtab = nullptr;
  for (const ElfSection& s : obj->sections())
    if (s.type == kShtSymtab) symtab = &s;
  ASSERT_NE(symtab, nullptr);
  const ElfSymbol* fn = obj->FindSymbol("ext_fn");
  const size_t sym = symtab->offset + 24 * fn->index;
  EXPECT_THAT(Error(With<uint16_t>(sym + 6, 0xfe00)), HasSubstr("section index 0xfe00 is out of range"));
  EXPECT_THAT(Error(With<uint16_t>(sym + 6, kShnXindex)), HasSubstr("SHN_XINDEX"));
  EXPECT_THAT(Error(With<uint32_t>(sym, 0xfffffff)), HasSubstr("name offset"));

  const ElfSection* rela = obj->FindSection(".rela.text");
  // First entry: r_offset, r_info (symbol in the high 32 bits), r_addend.
  EXPECT_THAT(Error(With<uint64_t>(rela->offset, 0x10000)), HasSubstr("is outside .text"));
  EXPECT_THAT(Error(With<uint32_t>(rela->offset + 12, 0xffffff)),
              HasSubstr("symbol index 16777215 is out of range"));
  // A 4-byte instruction relocation whose last bytes are past the section.
  EXPECT_THAT(Error(With<uint64_t>(rela->offset, 0x5e)), HasSubstr("is outside .text"));
}

TEST(RelocTypeNameTest, NamesTheTypes) {
  EXPECT_EQ(RelocTypeName(reloc::kCall26), "R_AARCH64_CALL26");
  EXPECT_EQ(RelocTypeName(reloc::kLdst128AbsLo12Nc), "R_AARCH64_LDST128_ABS_LO12_NC");
  EXPECT_EQ(RelocTypeName(311), "R_AARCH64_ADR_GOT_PAGE");
  EXPECT_EQ(RelocTypeName(9999), "relocation type 9999");
}

}  // namespace
}  // namespace pkvm::arm64

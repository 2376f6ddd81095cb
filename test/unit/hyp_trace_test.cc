// HypTrace's module registration limits and rollback, with synthetic module
// descriptors (what pkvm_add_module() generates for a real module).
#include "trace/hyp_trace.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "status_internal.h"

namespace pkvm::trace {
namespace {

int Errno(const absl::Status& s) { return ::pkvm::internal::ErrnoOf(s); }

// One module's worth of events and printk formats.
struct FakeModule {
  std::vector<int> enabled;
  std::vector<hyp_event_id> ids;
  std::vector<std::string> names;
  std::vector<pkvm_hyp_event_desc> descs;
  std::vector<hyp_printk_fmt> fmts;
  uint8_t fmt_offset = 0xee;
  pkvm_native_module d{};

  FakeModule(const std::vector<std::string>& event_names, size_t nr_fmts) {
    enabled.resize(event_names.size());
    ids.resize(event_names.size());
    names = event_names;
    for (size_t i = 0; i < names.size(); ++i) {
      ids[i] = hyp_event_id{0, &enabled[i]};
      pkvm_hyp_event_desc desc{};
      desc.magic = PKVM_HYP_EVENT_DESC_MAGIC;
      desc.name = names[i].c_str();
      desc.printk = "HE_PRINTK(\" \")";
      desc.record_size = 2;
      desc.id = &ids[i];
      desc.enabled = &enabled[i];
      descs.push_back(desc);
    }
    fmts.resize(nr_fmts);
    for (size_t i = 0; i < nr_fmts; ++i) std::snprintf(fmts[i].fmt, sizeof fmts[i].fmt, "fmt %zu", i);
    d.hyp_events = descs.data();
    d.hyp_events_end = descs.data() + descs.size();
    d.printk_fmts = fmts.data();
    d.printk_fmts_end = fmts.data() + fmts.size();
    d.printk_fmt_offset = &fmt_offset;
  }
};

HypTrace Make(Generation g) { return HypTrace(g, 1, TraceClockKind::kManual, 1 << 20); }

TEST(HypTraceModules, IdsFollowTheCoreAndAreWrittenIntoTheModule) {
  HypTrace t = Make(Generation::kA16);
  const size_t core = t.events().size();
  FakeModule m({"ev_a", "ev_b"}, 0);
  ASSERT_TRUE(t.AddModule("m", m.d, 0).ok());
  EXPECT_EQ(m.ids[0].id, core);
  EXPECT_EQ(m.ids[1].id, core + 1);
  ASSERT_NE(t.FindEvent("ev_b"), nullptr);
  EXPECT_EQ(t.FindEvent("ev_b")->id, core + 1);
  // A16: the loader registered them, so enabling works.
  EXPECT_TRUE(t.EnableEvent("ev_b", true).ok());
  EXPECT_EQ(m.enabled[1], 1);
}

TEST(HypTraceModules, A15EnableNeedsRegisterHypEventIds) {
  HypTrace t = Make(Generation::kA15);
  FakeModule m({"ev"}, 0);
  ASSERT_TRUE(t.AddModule("m", m.d, 0).ok());
  EXPECT_EQ(Errno(t.EnableEvent("ev", true)), -EINVAL);
  const auto start = reinterpret_cast<uintptr_t>(m.ids.data());
  EXPECT_EQ(t.RegisterHypEventIds(start + 16, start), -EINVAL);      // end before start
  EXPECT_EQ(t.RegisterHypEventIds(start, start + 8), -EINVAL);       // not whole entries
  ASSERT_EQ(t.RegisterHypEventIds(start, start + 16), 0);
  EXPECT_TRUE(t.EnableEvent("ev", true).ok());
  EXPECT_EQ(m.enabled[0], 1);
}

TEST(HypTraceModules, A15AcceptsAt128IdRanges) {
  HypTrace t = Make(Generation::kA15);
  hyp_event_id none[1] = {};
  const auto p = reinterpret_cast<uintptr_t>(none);
  for (int i = 0; i < 128; ++i) ASSERT_EQ(t.RegisterHypEventIds(p, p), 0) << i;
  EXPECT_EQ(t.RegisterHypEventIds(p, p), -ENOMEM);
}

TEST(HypTraceModules, A16AcceptsEventsFrom16Modules) {
  HypTrace t = Make(Generation::kA16);
  std::vector<std::unique_ptr<FakeModule>> mods;
  for (int i = 0; i < 16; ++i) {
    mods.push_back(std::make_unique<FakeModule>(std::vector<std::string>{"e" + std::to_string(i)}, 0));
    ASSERT_TRUE(t.AddModule("m", mods.back()->d, 0).ok()) << i;
  }
  FakeModule extra({"e16"}, 0);
  EXPECT_EQ(Errno(t.AddModule("m16", extra.d, 0)), -ENOMEM);
  EXPECT_EQ(t.FindEvent("e16"), nullptr);
  FakeModule no_events({}, 0);  // modules without events do not count
  EXPECT_TRUE(t.AddModule("quiet", no_events.d, 0).ok());
}

TEST(HypTraceModules, PrintkFormatIdsAreU8) {
  HypTrace t = Make(Generation::kA16);
  FakeModule a({}, 200);
  ASSERT_TRUE(t.AddModule("a", a.d, 0).ok());
  EXPECT_EQ(a.fmt_offset, 0);
  FakeModule b({}, 55);
  ASSERT_TRUE(t.AddModule("b", b.d, 0).ok());
  EXPECT_EQ(b.fmt_offset, 200);  // after a's formats
  EXPECT_EQ(t.printk_formats().size(), 255u);
  FakeModule c({}, 1);
  EXPECT_EQ(Errno(t.AddModule("c", c.d, 0)), -E2BIG);
  EXPECT_EQ(c.fmt_offset, 0xee);  // untouched
  EXPECT_EQ(t.printk_formats()[254], "fmt 54");
}

TEST(HypTraceModules, BadDescriptorsAreRefused) {
  HypTrace t = Make(Generation::kA16);
  FakeModule long_name({std::string(32, 'x')}, 0);
  EXPECT_EQ(Errno(t.AddModule("m", long_name.d, 0)), -EINVAL);
  FakeModule dup({"host_hcall"}, 0);  // a core event's name
  EXPECT_EQ(Errno(t.AddModule("m", dup.d, 0)), -EEXIST);
  FakeModule corrupt({"ok_name"}, 0);
  corrupt.descs[0].magic = 0;
  EXPECT_EQ(Errno(t.AddModule("m", corrupt.d, 0)), -ENOEXEC);
  FakeModule a14({"ev"}, 0);
  HypTrace t14 = Make(Generation::kA14);
  EXPECT_EQ(Errno(t14.AddModule("m", a14.d, 0)), -EINVAL);
}

TEST(HypTraceModules, RemoveLastModuleForgetsEverything) {
  HypTrace t = Make(Generation::kA16);
  const size_t core = t.events().size();
  FakeModule m({"ev"}, 3);
  ASSERT_TRUE(t.AddModule("m", m.d, 0).ok());
  t.RemoveLastModule();
  EXPECT_EQ(t.events().size(), core);
  EXPECT_EQ(t.FindEvent("ev"), nullptr);
  EXPECT_TRUE(t.printk_formats().empty());
  FakeModule again({"ev"}, 0);  // the name and ids are free again
  ASSERT_TRUE(t.AddModule("m", again.d, 0).ok());
  EXPECT_EQ(again.ids[0].id, core);
}

TEST(HypTraceWriter, CommitWithoutReserveWritesNothing) {
  HypTrace t = Make(Generation::kA16);
  ASSERT_TRUE(t.SetTracingOn(true).ok());
  t.Commit(0);  // a module's stray tracing_commit_entry()
  t.Commit(7);  // no such CPU
  EXPECT_EQ(t.ReadPipeText(-1), "");
  ASSERT_TRUE(t.EnableEvent("host_hcall", true).ok());
  t.EmitHostHcall(0, 5, false);
  EXPECT_EQ(t.ReadPipeText(-1), "[000]\t    0.000000: host_hcall id=5 invalid=0\n");
  EXPECT_EQ(t.Reserve(3, 8), nullptr);  // no such CPU
}

}  // namespace
}  // namespace pkvm::trace

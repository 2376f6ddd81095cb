// The two tracefs flavours side by side: every difference of mainline's
// trace remotes (remotes/hypervisor/) from Android's hyp tracing, each
// checked against the Android answer so a flavour that ignored the setting
// fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "status_internal.h"
#include "trace/hyp_trace.h"
#include "trace/trace_desc.h"
#include "trace/tracefs.h"
#include "pkvm/abi/trace.h"

namespace pkvm::trace {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ErrnoOf() is the kernel's negative errno.
int Errno(const absl::Status& s) { return -::pkvm::internal::ErrnoOf(s); }

struct Machine {
  HypTrace t;
  Tracefs fs{&t};
  explicit Machine(TracefsFlavor f, int cpus = 2)
      : t(Generation::kA16, cpus, TraceClockKind::kManual, 1 << 22, f) {}

  std::string Read(const std::string& rel) {
    auto r = fs.Read(fs.root() + "/" + rel);
    EXPECT_TRUE(r.ok()) << rel << ": " << r.status();
    return r.ok() ? *r : "<error>";
  }
  int ReadErrno(const std::string& rel) { return Errno(fs.Read(fs.root() + "/" + rel).status()); }
  int Write(const std::string& rel, const std::string& data) {
    return Errno(fs.Write(fs.root() + "/" + rel, data));
  }
  std::vector<std::string> Names(const std::string& rel) {
    std::vector<std::string> out;
    auto l = fs.List(fs.root() + (rel.empty() ? "" : "/" + rel));
    EXPECT_TRUE(l.ok()) << rel;
    if (l.ok())
      for (const auto& e : *l) out.push_back(e.name);
    return out;
  }
  uint32_t Mode(const std::string& rel) {
    auto s = fs.Stat(fs.root() + "/" + rel);
    EXPECT_TRUE(s.ok()) << rel;
    return s.ok() ? s->mode : 0;
  }
  void Hcall(int cpu, uint32_t id) {
    t.AdvanceClock(1000);
    t.EmitHostHcall(cpu, id, false);
  }
};

TEST(TraceRemotes, RootIsRemotesHypervisor) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  EXPECT_EQ(up.fs.root(), "remotes/hypervisor");
  EXPECT_EQ(android.fs.root(), "hypervisor");
  EXPECT_TRUE(up.fs.Read("/sys/kernel/tracing/remotes/hypervisor/tracing_on").ok());
  EXPECT_EQ(Errno(up.fs.Read("hypervisor/tracing_on").status()), ENOENT);
  EXPECT_EQ(Errno(android.fs.Read("remotes/hypervisor/tracing_on").status()), ENOENT);
  auto root = up.fs.Stat("remotes/hypervisor");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->name, "hypervisor");
  EXPECT_TRUE(root->is_dir);
}

TEST(TraceRemotes, FilesAndModes) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  EXPECT_THAT(up.Names(""), ElementsAre("tracing_on", "buffer_size_kb", "trace_clock", "trace",
                                        "trace_pipe", "per_cpu", "events"));
  // Function tracing is Android's.
  EXPECT_THAT(android.Names(""), ::testing::Contains("set_ftrace_filter"));
  // No trace_pipe_raw upstream.
  EXPECT_THAT(up.Names("per_cpu/cpu1"), ElementsAre("trace", "trace_pipe"));
  EXPECT_THAT(android.Names("per_cpu/cpu1"), ElementsAre("trace", "trace_pipe", "trace_pipe_raw"));
  EXPECT_EQ(up.ReadErrno("per_cpu/cpu0/trace_pipe_raw"), ENOENT);
  // events/: enable, header_page, header_event, then the system.
  EXPECT_THAT(up.Names("events"), ElementsAre("enable", "header_page", "header_event", "hypervisor"));
  EXPECT_THAT(android.Names("events"), ElementsAre("header_page", "hypervisor"));
  // trace_remote.c: TRACEFS_MODE_WRITE 0640, TRACEFS_MODE_READ 0440.
  EXPECT_EQ(up.Mode("trace_pipe"), 0440u);
  EXPECT_EQ(android.Mode("trace_pipe"), 0640u);
  EXPECT_EQ(up.Mode("per_cpu/cpu0/trace"), 0640u);
  EXPECT_EQ(up.Mode("events/enable"), 0640u);
  EXPECT_EQ(up.Mode("events/header_event"), 0440u);
  EXPECT_EQ(up.Mode("events/hypervisor/host_hcall/enable"), 0640u);
  EXPECT_EQ(android.Mode("events/hypervisor/host_hcall/enable"), 0700u);
  EXPECT_EQ(up.Mode("events/hypervisor/host_hcall/format"), 0440u);
}

TEST(TraceRemotes, TraceReadDoesNotConsume) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  // Nothing loaded: an empty `trace` (and opening it does not load).
  EXPECT_EQ(up.Read("trace"), "");
  EXPECT_THAT(up.Read("buffer_size_kb"), HasSubstr("(unloaded)"));
  for (Machine* m : {&up, &android}) {
    ASSERT_EQ(m->Write("events/hypervisor/host_hcall/enable", "1\n"), 0);
    ASSERT_EQ(m->Write("tracing_on", "1\n"), 0);
    m->Hcall(0, 1);
    m->Hcall(1, 2);
    m->Hcall(0, 3);
  }
  const std::string want =
      "[000]\t    0.000001: host_hcall id=1 invalid=0\n"
      "[001]\t    0.000002: host_hcall id=2 invalid=0\n"
      "[000]\t    0.000003: host_hcall id=3 invalid=0\n";
  EXPECT_EQ(up.Read("trace"), want);
  EXPECT_EQ(up.Read("trace"), want);  // again: nothing was consumed
  EXPECT_EQ(up.Read("per_cpu/cpu1/trace"), "[001]\t    0.000002: host_hcall id=2 invalid=0\n");
  EXPECT_EQ(android.ReadErrno("trace"), EPERM);
  // The consuming reader still gets everything, then `trace` is empty.
  EXPECT_EQ(up.Read("trace_pipe"), want);
  EXPECT_EQ(up.Read("trace"), "");
}

TEST(TraceRemotes, TraceFollowsPartialReadsAndManyPages) {
  Machine up(TracefsFlavor::kUpstream, 1);
  ASSERT_EQ(up.Write("events/hypervisor/host_hcall/enable", "1"), 0);
  ASSERT_EQ(up.Write("tracing_on", "1"), 0);
  // More than one page of events (16 bytes each), less than the buffer.
  for (uint32_t i = 0; i < 300; ++i) up.Hcall(0, i);
  const std::string all = up.Read("trace");
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 300);
  EXPECT_THAT(all, HasSubstr(": host_hcall id=299 invalid=0\n"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("LOST")));
  // What trace_pipe consumed leaves `trace`; what comes later shows.
  EXPECT_EQ(up.Read("per_cpu/cpu0/trace_pipe"), all);
  up.Hcall(0, 1000);
  EXPECT_EQ(up.Read("trace"), "[000]\t    0.000301: host_hcall id=1000 invalid=0\n");
  EXPECT_EQ(up.Read("trace"), "[000]\t    0.000301: host_hcall id=1000 invalid=0\n");
}

TEST(TraceRemotes, EventsEnableSetsAllAndReadsTheMix) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  EXPECT_EQ(up.Read("events/enable"), "0\n");
  ASSERT_EQ(up.Write("events/enable", "1\n"), 0);
  EXPECT_EQ(up.Read("events/enable"), "1\n");
  for (const EventType& e : up.t.events()) EXPECT_TRUE(up.t.EventEnabled(e)) << e.name;
  ASSERT_EQ(up.Write("events/hypervisor/hyp_enter/enable", "0"), 0);
  EXPECT_EQ(up.Read("events/enable"), "X\n");
  ASSERT_EQ(up.Write("events/enable", "0"), 0);
  EXPECT_EQ(up.Read("events/enable"), "0\n");
  EXPECT_EQ(up.Write("events/enable", "on"), EINVAL);
  EXPECT_EQ(android.ReadErrno("events/enable"), ENOENT);
}

TEST(TraceRemotes, EventEnableTakesAnyU8) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  // kstrtou8: "2" enables upstream; Android accepts only "0"/"1".
  EXPECT_EQ(up.Write("events/hypervisor/host_hcall/enable", "2\n"), 0);
  EXPECT_EQ(up.Read("events/hypervisor/host_hcall/enable"), "1\n");
  EXPECT_EQ(up.Write("events/hypervisor/host_hcall/enable", "256"), ERANGE);
  EXPECT_EQ(up.Write("events/hypervisor/host_hcall/enable", "0"), 0);
  EXPECT_EQ(up.Read("events/hypervisor/host_hcall/enable"), "0\n");
  EXPECT_EQ(android.Write("events/hypervisor/host_hcall/enable", "2\n"), EINVAL);
}

TEST(TraceRemotes, HeaderEvent) {
  Machine up(TracefsFlavor::kUpstream);
  const std::string h = up.Read("events/header_event");
  EXPECT_EQ(h.rfind("# compressed entry header\n", 0), 0u) << h;
  EXPECT_THAT(h, HasSubstr("\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n"));
  EXPECT_THAT(h, HasSubstr("\tpadding     : type == 29\n"));
  EXPECT_THAT(h, HasSubstr("\ttime_extend : type == 30\n"));
  EXPECT_THAT(h, HasSubstr("\tdata max type_len  == 28\n"));
  EXPECT_EQ(up.Read("events/header_page"), up.t.HeaderPageText());
}

TEST(TraceRemotes, UnknownIdText) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  for (Machine* m : {&up, &android}) {
    ASSERT_EQ(m->Write("tracing_on", "1"), 0);
    m->t.AdvanceClock(5000);
    void* p = m->t.Reserve(0, 4);
    ASSERT_NE(p, nullptr);
    const uint16_t rec[2] = {4242, 0};  // an id no event has
    std::memcpy(p, rec, sizeof rec);
    m->t.Commit(0);
  }
  EXPECT_EQ(up.Read("trace_pipe"), "[000]\t    0.000005: UNKNOWN id=4242\n");
  EXPECT_EQ(android.Read("trace_pipe"), "[000]\t    0.000005: Unknown event id 4242\n");
}

TEST(TraceRemotes, BufferSizeIsBusyWhileLoaded) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  EXPECT_EQ(up.Read("buffer_size_kb"), "7 (unloaded)\n");
  EXPECT_EQ(up.Write("buffer_size_kb", "16\n"), 0);
  EXPECT_EQ(up.Write("buffer_size_kb", "0"), EINVAL);
  EXPECT_EQ(up.Write("buffer_size_kb", "18014398509481984"), EINVAL);  // 2^54 KiB: bytes overflow
  for (Machine* m : {&up, &android}) ASSERT_EQ(m->Write("tracing_on", "1"), 0);
  EXPECT_EQ(up.Read("buffer_size_kb"), "16 (loaded)\n");
  EXPECT_EQ(up.Write("buffer_size_kb", "32"), EBUSY);
  EXPECT_EQ(android.Write("buffer_size_kb", "32"), 0);  // Android: applies at the next load
  // Off and empty: unloaded, resizable again.
  ASSERT_EQ(up.Write("tracing_on", "0"), 0);
  EXPECT_EQ(up.Read("buffer_size_kb"), "16 (unloaded)\n");
  EXPECT_EQ(up.Write("buffer_size_kb", "32"), 0);
  // Events left keep it loaded: -EBUSY until they are read or reset.
  ASSERT_EQ(up.Write("events/hypervisor/host_hcall/enable", "1"), 0);
  ASSERT_EQ(up.Write("tracing_on", "1"), 0);
  up.Hcall(0, 9);
  ASSERT_EQ(up.Write("tracing_on", "0"), 0);
  EXPECT_EQ(up.Write("buffer_size_kb", "8"), EBUSY);
  EXPECT_EQ(up.Write("trace", ""), 0);  // reset: nothing left, unloaded
  EXPECT_EQ(up.Write("buffer_size_kb", "8"), 0);
}

TEST(TraceRemotes, TraceWriteResetsEvenWhileTracing) {
  Machine up(TracefsFlavor::kUpstream);
  ASSERT_EQ(up.Write("events/hypervisor/host_hcall/enable", "1"), 0);
  ASSERT_EQ(up.Write("tracing_on", "1"), 0);
  up.Hcall(0, 1);
  up.Hcall(1, 2);
  EXPECT_EQ(up.Write("per_cpu/cpu1/trace", ""), 0);
  EXPECT_EQ(up.Read("trace"), "[000]\t    0.000001: host_hcall id=1 invalid=0\n");
  EXPECT_EQ(up.Write("trace", "\n"), 0);
  EXPECT_EQ(up.Read("trace"), "");
  EXPECT_EQ(up.Read("tracing_on"), "1\n");
}

TEST(TraceRemotes, DumpHasThePagesAndTheTreeWithoutTracePipeRaw) {
  Machine up(TracefsFlavor::kUpstream);
  ASSERT_EQ(up.Write("events/hypervisor/host_hcall/enable", "1"), 0);
  ASSERT_EQ(up.Write("tracing_on", "1"), 0);
  up.Hcall(1, 77);
  const CpuPages pages = up.t.ConsumeAllRaw().value();
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].second.size(), 0u);
  EXPECT_EQ(pages[1].second.size(), 4096u);
  EXPECT_EQ(up.t.FormatRawPages(pages), "[001]\t    0.000001: host_hcall id=77 invalid=0\n");
  EXPECT_EQ(up.Read("trace"), "");  // consumed
  // Buffers that do not fit the machine: the read says so (nothing to dump).
  Machine small(TracefsFlavor::kAndroid);
  ASSERT_EQ(small.Write("buffer_size_kb", "100000"), 0);
  EXPECT_EQ(Errno(small.t.ConsumeAllRaw().status()), ENOMEM);
  EXPECT_EQ(Errno(small.fs.Dump(::testing::TempDir() + "/pkvm_dump_enomem")), ENOMEM);
}

// ---- load descriptors ----------------------------------------------------------

std::vector<CpuBufferVa> TwoCpus() {
  return {CpuBufferVa{0, 0x1000, {0x2000, 0x3000, 0x4000}}, CpuBufferVa{1, 0x5000, {0x6000, 0x7000}}};
}

template <typename T>
T At(const std::vector<uint8_t>& d, size_t off) {
  T v;
  std::memcpy(&v, d.data() + off, sizeof v);
  return v;
}

TEST(TraceDesc, UpstreamCarriesStructLenAndStartsEntriesAt16) {
  const std::vector<uint8_t> d = BuildTraceDesc(TracefsFlavor::kUpstream, TwoCpus());
  // 16-byte header, then {cpu, nr, meta, pages[]} = 16 + 8 * nr per CPU.
  ASSERT_EQ(d.size(), 16u + (16 + 3 * 8) + (16 + 2 * 8));
  EXPECT_EQ(At<int>(d, 0), 2);
  EXPECT_EQ(At<size_t>(d, 8), d.size());  // struct_len
  EXPECT_EQ(At<int>(d, 16), 0);            // first ring_buffer_desc.cpu
  EXPECT_EQ(At<unsigned>(d, 20), 3u);
  EXPECT_EQ(At<unsigned long>(d, 24), 0x1000ul);
  EXPECT_EQ(At<unsigned long>(d, 32), 0x2000ul);
  EXPECT_EQ(At<int>(d, 56), 1);  // second entry right after the first's pages
  auto back = ParseTraceDesc(TracefsFlavor::kUpstream, d.data(), d.size(), 2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, TwoCpus());
}

TEST(TraceDesc, AndroidHasNoStructLenAndStartsEntriesAt8) {
  const std::vector<uint8_t> d = BuildTraceDesc(TracefsFlavor::kAndroid, TwoCpus());
  ASSERT_EQ(d.size(), 8u + (16 + 3 * 8) + (16 + 2 * 8));
  EXPECT_EQ(At<int>(d, 0), 2);
  EXPECT_EQ(At<int>(d, 8), 0);  // first rb_page_desc.cpu
  EXPECT_EQ(At<int>(d, 12), 3);
  auto back = ParseTraceDesc(TracefsFlavor::kAndroid, d.data(), d.size(), 2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, TwoCpus());
  // Read with the other layout, the entries are 8 bytes off: refused.
  EXPECT_EQ(Errno(ParseTraceDesc(TracefsFlavor::kUpstream, d.data(), d.size(), 2).status()), EINVAL);
}

TEST(TraceDesc, TheHypervisorRefusesBadDescriptors) {
  std::vector<uint8_t> d = BuildTraceDesc(TracefsFlavor::kUpstream, TwoCpus());
  auto parse = [&](const std::vector<uint8_t>& x, int cpus = 2) {
    return Errno(ParseTraceDesc(TracefsFlavor::kUpstream, x.data(), x.size(), cpus).status());
  };
  EXPECT_EQ(parse(d), 0);
  EXPECT_EQ(parse(d, 1), EINVAL);  // more CPUs than the machine has
  std::vector<uint8_t> bad = d;
  const size_t len = d.size() - 8;  // struct_len shorter than the entries
  std::memcpy(bad.data() + 8, &len, sizeof len);
  EXPECT_EQ(parse(bad), EINVAL);
  bad = d;
  const size_t big = d.size() + 8;  // struct_len past what was given
  std::memcpy(bad.data() + 8, &big, sizeof big);
  EXPECT_EQ(parse(bad), EINVAL);
  bad = d;
  const int cpu = 0;  // CPU 0 twice
  std::memcpy(bad.data() + 56, &cpu, sizeof cpu);
  EXPECT_EQ(parse(bad), EINVAL);
  bad = d;
  const unsigned one = 1;  // a ring needs a reader page and one more
  std::memcpy(bad.data() + 20, &one, sizeof one);
  EXPECT_EQ(parse(bad), EINVAL);
  bad = d;
  const unsigned long null_page = 0;
  std::memcpy(bad.data() + 40, &null_page, sizeof null_page);
  EXPECT_EQ(parse(bad), EINVAL);
  bad.assign(d.begin(), d.begin() + 12);
  EXPECT_EQ(parse(bad), EINVAL);
}

TEST(TraceDesc, BuffersAreLoadedThroughTheFlavoursDescriptor) {
  Machine up(TracefsFlavor::kUpstream), android(TracefsFlavor::kAndroid);
  for (Machine* m : {&up, &android}) ASSERT_EQ(m->Write("tracing_on", "1"), 0);
  // 7 KiB: 2 data pages + the reader page per CPU, 2 CPUs.
  const std::vector<uint8_t>& u = up.t.last_load_descriptor();
  const std::vector<uint8_t>& a = android.t.last_load_descriptor();
  EXPECT_EQ(u.size(), 16u + 2 * (16 + 3 * 8));
  EXPECT_EQ(At<size_t>(u, 8), u.size());
  EXPECT_EQ(a.size(), 8u + 2 * (16 + 3 * 8));
  EXPECT_EQ(At<unsigned>(u, 20), 3u);
  EXPECT_EQ(At<int>(a, 12), 3);
  // The rings run on the pages the descriptor names: an event lands there.
  ASSERT_EQ(up.Write("events/hypervisor/host_hcall/enable", "1"), 0);
  up.Hcall(1, 5);
  const auto reader_page1 = At<unsigned long>(u, 16 + 40 + 16);  // cpu 1's first page
  const auto ring_page1 = At<unsigned long>(u, 16 + 40 + 24);
  uint64_t commit_reader = 0, commit_ring = 0;
  std::memcpy(&commit_reader, reinterpret_cast<const void*>(reader_page1 + 8), 8);
  std::memcpy(&commit_ring, reinterpret_cast<const void*>(ring_page1 + 8), 8);
  EXPECT_EQ(commit_reader + commit_ring, 16u);  // one 12-byte record, padded, with its header
}

}  // namespace
}  // namespace pkvm::trace

// Hypervisor tracing through the virtual tracefs (spec §5.7, §5.8): every
// file's normal and error behaviour, events from the core and from modules,
// trace_hyp_printk, function tracing, command-line options and panics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backends.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/abi/trace.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a14);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a16);
PKVM_DECLARE_NATIVE_MODULE(hello_hypercall);

namespace pkvm::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr Generation kGens[] = {Generation::kA14, Generation::kA15, Generation::kA16};
constexpr uint64_t kHvc128 = PKVM_HOST_SMCCC_ID(128);
constexpr size_t kPageSize = 4096;

const pkvm_native_module& Driver(Generation g) {
  switch (g) {
    case Generation::kA14: return PKVM_NATIVE_MODULE(pkvm_driver_a14);
    case Generation::kA15: return PKVM_NATIVE_MODULE(pkvm_driver_a15);
    default: return PKVM_NATIVE_MODULE(pkvm_driver_a16);
  }
}

std::string Root(Generation g) { return g == Generation::kA16 ? "hypervisor" : "hyp"; }
std::string Path(Generation g, const std::string& rel) { return Root(g) + "/" + rel; }
std::string EventDir(Generation g, const std::string& ev) {
  return g == Generation::kA16 ? "hypervisor/events/hypervisor/" + ev : "hyp/events/" + ev;
}
// What an `echo 1 > enable` writes is accepted by every generation.
constexpr char kOn[] = "1\n";
constexpr char kOff[] = "0\n";

// A booted machine with the example module and a manual trace clock.
std::unique_ptr<Hypervisor> Boot(BackendKind backend, Generation g, int cpus = 1,
                                 const std::string& extra_cmdline = "",
                                 const pkvm_native_module* mod = nullptr) {
  HypervisorOptions o;
  o.backend = backend;
  o.generation = g;
  o.cpus = cpus;
  o.trace_clock = TraceClockSource::kManual;
  const pkvm_native_module& module = mod != nullptr ? *mod : Driver(g);
  o.cmdline = std::string("kvm-arm.protected_modules=") + module.name +
              (extra_cmdline.empty() ? "" : " " + extra_cmdline);
  auto hv = Hypervisor::Create(o);
  EXPECT_TRUE(hv.ok()) << hv.status().ToString();
  if (!hv.ok()) return nullptr;
  EXPECT_TRUE((*hv)->OfferModule(module).ok());
  const Status s = (*hv)->Boot();
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << (*hv)->boot_log();
  return std::move(hv).value();
}

std::string Read(Hypervisor& hv, const std::string& path) {
  auto r = hv.TracefsRead(path);
  EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  return r.ok() ? *r : "";
}
void Write(Hypervisor& hv, const std::string& path, const std::string& v) {
  const Status s = hv.TracefsWrite(path, v);
  EXPECT_TRUE(s.ok()) << path << " <- '" << v << "': " << s.ToString();
}
int WriteErr(Hypervisor& hv, const std::string& path, const std::string& v) {
  return hv.TracefsWrite(path, v).error();
}
int ReadErr(Hypervisor& hv, const std::string& path) { return hv.TracefsRead(path).status().error(); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

template <typename B>
class TracingTest : public ::testing::Test {};
TYPED_TEST_SUITE(TracingTest, Backends, BackendNames);

TYPED_TEST(TracingTest, TreeHasTheKernelFilesAndModes) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g, 2);
    auto root = hv->TracefsList(Root(g));
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    std::vector<std::string> names;
    for (const TracefsEntry& e : *root) {
      names.push_back(e.name);
      if (e.name == "tracing_on" || e.name == "trace" || e.name == "trace_pipe" ||
          e.name == "buffer_size_kb") {
        EXPECT_EQ(e.mode, 0640u) << e.name;
      }
      if (e.name == "trace_clock") { EXPECT_EQ(e.mode, 0440u); }
      if (e.name == "set_ftrace_filter") { EXPECT_EQ(e.mode, 0600u); }
      if (e.name == "set_ftrace_notrace") { EXPECT_EQ(e.mode, 0200u); }
    }
    std::vector<std::string> want = {"tracing_on", "buffer_size_kb", "trace_clock", "trace",
                                     "trace_pipe", "per_cpu",        "events"};
    if (g == Generation::kA16) {
      want.push_back("set_ftrace_filter");
      want.push_back("set_ftrace_notrace");
    }
    EXPECT_EQ(names, want);
    auto cpus = hv->TracefsList(Path(g, "per_cpu"));
    ASSERT_TRUE(cpus.ok());
    ASSERT_EQ(cpus->size(), 2u);
    EXPECT_EQ((*cpus)[1].name, "cpu1");
    auto cpu1 = hv->TracefsList(Path(g, "per_cpu/cpu1"));
    ASSERT_TRUE(cpu1.ok());
    ASSERT_EQ(cpu1->size(), 3u);
    EXPECT_EQ((*cpu1)[2].name, "trace_pipe_raw");
    EXPECT_EQ((*cpu1)[2].mode, 0440u);
    auto ev = hv->TracefsList(EventDir(g, "host_hcall"));
    ASSERT_TRUE(ev.ok());
    ASSERT_EQ(ev->size(), 3u);
    EXPECT_EQ((*ev)[0].name, "enable");
    EXPECT_EQ((*ev)[0].mode, 0700u);
    EXPECT_EQ((*ev)[1].mode, 0400u);
    // The absolute path works too; the other generation's root does not.
    EXPECT_EQ(Read(*hv, "/sys/kernel/tracing/" + Path(g, "trace_clock")), "[boot]\n");
    EXPECT_EQ(ReadErr(*hv, (g == Generation::kA16 ? "hyp" : "hypervisor") + std::string("/trace_clock")),
              -ENOENT);
    EXPECT_EQ(ReadErr(*hv, Path(g, "per_cpu/cpu2/trace")), -ENOENT);
    EXPECT_EQ(ReadErr(*hv, Path(g, "per_cpu/cpu01/trace_pipe")), -ENOENT);
    EXPECT_EQ(ReadErr(*hv, Path(g, "nope")), -ENOENT);
    EXPECT_EQ(ReadErr(*hv, Path(g, "events")), -EISDIR);
    EXPECT_EQ(hv->TracefsList(Path(g, "tracing_on")).status().error(), -ENOTDIR);
    if (g != Generation::kA16) { EXPECT_EQ(ReadErr(*hv, "hyp/set_ftrace_filter"), -ENOENT); }
  }
}

TYPED_TEST(TracingTest, TracefsAppearsAtBootAndDiesWithTheHypervisor) {
  HypervisorOptions o;
  o.backend = TypeParam::kKind;
  auto hv = Hypervisor::Create(o).value();
  EXPECT_EQ(hv->TracefsRead("hyp/tracing_on").status().error(), -ENODEV);
  ASSERT_TRUE(hv->Boot().ok());
  EXPECT_EQ(Read(*hv, "hyp/tracing_on"), "0\n");
  ASSERT_TRUE(hv->InjectHypPanic("test").ok());
  EXPECT_EQ(hv->TracefsRead("hyp/tracing_on").status().error(), -EIO);
  EXPECT_EQ(hv->TracefsWrite("hyp/tracing_on", "1").error(), -EIO);
}

TYPED_TEST(TracingTest, TracingOnParsesLikeKstrtoul) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    const std::string p = Path(g, "tracing_on");
    EXPECT_EQ(Read(*hv, p), "0\n");
    for (const char* bad : {"", "\n", "on", "1x", "-1", " 1", "0x1", "1\n\n"})
      EXPECT_EQ(WriteErr(*hv, p, bad), -EINVAL) << "'" << bad << "'";
    EXPECT_EQ(WriteErr(*hv, p, "99999999999999999999"), -ERANGE);
    EXPECT_EQ(Read(*hv, p), "0\n");  // unchanged by the failures
    Write(*hv, p, "1\n");
    EXPECT_EQ(Read(*hv, p), "1\n");
    Write(*hv, p, "+42");
    EXPECT_EQ(Read(*hv, p), "1\n");
    Write(*hv, p, "0");
    EXPECT_EQ(Read(*hv, p), "0\n");
  }
}

TYPED_TEST(TracingTest, BufferSizeKb) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g, 2);
    const std::string p = Path(g, "buffer_size_kb");
    const bool a16 = g == Generation::kA16;
    EXPECT_EQ(Read(*hv, p), a16 ? "7 (unloaded)\n" : "7\n");
    EXPECT_EQ(WriteErr(*hv, p, "0"), -EINVAL);
    EXPECT_EQ(WriteErr(*hv, p, "abc"), -EINVAL);
    EXPECT_EQ(WriteErr(*hv, p, "-4"), -EINVAL);
    EXPECT_EQ(WriteErr(*hv, p, "184467440737095516160"), -ERANGE);
    Write(*hv, p, "16\n");
    EXPECT_EQ(Read(*hv, p), a16 ? "16 (unloaded)\n" : "16\n");
    Write(*hv, Path(g, "tracing_on"), "1");
    if (a16) { EXPECT_EQ(Read(*hv, p), "16 (loaded)\n"); }
    // Only used at the next load: ring pages = 16 KiB / 4 KiB + reader.
    Write(*hv, p, "4");
    EXPECT_EQ(Read(*hv, p), a16 ? "4 (loaded)\n" : "4\n");
    Write(*hv, Path(g, "tracing_on"), "0");
    if (a16) {
      EXPECT_EQ(Read(*hv, p), "4 (unloaded)\n");  // off and empty: freed
    }
    // Huge: accepted, but the buffers cannot be allocated.
    Write(*hv, p, "1073741824");
    EXPECT_EQ(WriteErr(*hv, Path(g, "tracing_on"), "1"), -ENOMEM);
    EXPECT_EQ(Read(*hv, Path(g, "tracing_on")), "0\n");
  }
}

TYPED_TEST(TracingTest, TraceClockIsBootAndReadOnly) {
  for (Generation g : kGens) {
    auto hv = Boot(TypeParam::kKind, g);
    EXPECT_EQ(Read(*hv, Path(g, "trace_clock")), "[boot]\n");
    EXPECT_EQ(WriteErr(*hv, Path(g, "trace_clock"), "global"), -EINVAL);
  }
}

TYPED_TEST(TracingTest, TracePipeShowsEventsInTheKernelFormatAndConsumesThem) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    Write(*hv, EventDir(g, "host_hcall") + "/enable", kOn);
    Write(*hv, Path(g, "tracing_on"), "1");
    hv->AdvanceTraceClock(1'500'000'000);  // 1.5 s
    ASSERT_TRUE(hv->HostHvc(kHvc128, {0x42}).ok());
    hv->AdvanceTraceClock(123'456'789'000);  // +123.456789 s (TIME_EXTEND)
    ASSERT_TRUE(hv->HostHvc(0xC6000000u | 200).ok());  // unregistered: invalid
    EXPECT_EQ(Read(*hv, Path(g, "trace_pipe")),
              "[000]\t    1.500000: host_hcall id=128 invalid=0\n"
              "[000]\t  124.956789: host_hcall id=200 invalid=1\n");
    EXPECT_EQ(Read(*hv, Path(g, "trace_pipe")), "");  // consumed
    EXPECT_EQ(WriteErr(*hv, Path(g, "trace_pipe"), "x"), -EINVAL);
  }
}

TYPED_TEST(TracingTest, ModuleEventsGetIdsAfterTheCoreAndPrintTheirFormat) {
  for (Generation g : {Generation::kA15, Generation::kA16}) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    const std::string dir = EventDir(g, "pkvm_driver_event");
    const int id = std::stoi(Read(*hv, dir + "/id"));
    // Core events take the ids before the module's.
    EXPECT_GT(id, std::stoi(Read(*hv, EventDir(g, "host_hcall") + "/id")));
    EXPECT_EQ(Read(*hv, dir + "/format"),
              "name: pkvm_driver_event\nID: " + std::to_string(id) +
                  "\nformat:\n"
                  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
                  "\tfield:u64 id;\toffset:2;\tsize:8;\tsigned:0;\n\n"
                  "print fmt: \"id=0x%08llx\", REC->id\n");
    EXPECT_EQ(Read(*hv, dir + "/enable"), "0\n");
    Write(*hv, Path(g, "tracing_on"), "1");
    ASSERT_TRUE(hv->HostHvc(kHvc128, {0x42}).ok());  // disabled: nothing
    Write(*hv, dir + "/enable", kOn);
    EXPECT_EQ(Read(*hv, dir + "/enable"), "1\n");
    hv->AdvanceTraceClock(2'000'001'000);
    ASSERT_TRUE(hv->HostHvc(kHvc128, {0xabc}).ok());
    EXPECT_EQ(Read(*hv, Path(g, "trace_pipe")), "[000]\t    2.000001: pkvm_driver_event id=0x00000abc\n");
  }
}

TYPED_TEST(TracingTest, EventEnableFileRules) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    const std::string p = EventDir(g, "hyp_enter") + "/enable";
    for (const char* bad : {"2", "x", "", "11\n", "1\n\n", "10", "1 "})
      EXPECT_EQ(WriteErr(*hv, p, bad), -EINVAL) << "'" << bad << "'";
    // A16 takes "1" alone; A14/A15 want exactly two bytes.
    EXPECT_EQ(WriteErr(*hv, p, "1"), g == Generation::kA16 ? 0 : -EINVAL);
    Write(*hv, p, kOff);
    EXPECT_EQ(Read(*hv, p), "0\n");
    Write(*hv, p, kOn);
    EXPECT_EQ(Read(*hv, p), "1\n");
    EXPECT_EQ(ReadErr(*hv, EventDir(g, "no_such_event") + "/enable"), -ENOENT);
    EXPECT_EQ(WriteErr(*hv, EventDir(g, "hyp_enter") + "/id", "3"), -EINVAL);
    EXPECT_EQ(WriteErr(*hv, EventDir(g, "hyp_enter") + "/format", "x"), -EINVAL);
  }
}

TYPED_TEST(TracingTest, CoreFormatFilesAndHeaderPage) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    const std::string id = Read(*hv, EventDir(g, "host_hcall") + "/id");
    EXPECT_EQ(Read(*hv, EventDir(g, "host_hcall") + "/format"),
              "name: host_hcall\nID: " + id.substr(0, id.size() - 1) +
                  "\nformat:\n"
                  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
                  "\tfield:u32 id;\toffset:2;\tsize:4;\tsigned:0;\n"
                  "\tfield:u8 invalid;\toffset:6;\tsize:1;\tsigned:0;\n\n"
                  "print fmt: \"id=%u invalid=%u\", REC->id, REC->invalid\n");
    // No fields: the common field, then the blank line libtraceevent needs.
    EXPECT_THAT(Read(*hv, EventDir(g, "hyp_enter") + "/format"),
                HasSubstr("signed:0;\n\n\nprint fmt: \" \"\n"));
    const std::string header = Read(*hv, Path(g, "events/header_page"));
    if (g == Generation::kA14) {
      EXPECT_EQ(header,
                "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
                "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
                "\tfield: char data;\toffset:16;\tsize:4048;\tsigned:1;\n");
    } else {
      EXPECT_EQ(header,
                "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
                "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
                "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
                "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n");
    }
    EXPECT_EQ(WriteErr(*hv, Path(g, "events/header_page"), "x"), -EINVAL);
    // func/func_ret exist with function tracing only (A16).
    EXPECT_EQ(ReadErr(*hv, EventDir(g, "func") + "/id"), g == Generation::kA16 ? 0 : -ENOENT);
  }
}

TYPED_TEST(TracingTest, EventIdsAreSequentialAndUnique) {
  for (Generation g : kGens) {
    auto hv = Boot(TypeParam::kKind, g);
    auto events = hv->TracefsList(g == Generation::kA16 ? "hypervisor/events/hypervisor" : "hyp/events");
    ASSERT_TRUE(events.ok());
    std::vector<int> ids;
    for (const TracefsEntry& e : *events) {
      if (!e.is_dir) continue;
      ids.push_back(std::stoi(Read(*hv, EventDir(g, e.name) + "/id")));
    }
    ASSERT_GE(ids.size(), 11u);
    for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], ids[i - 1] + 1);
    if (g == Generation::kA16) {
      EXPECT_EQ(ids.front(), 0);  // A16: from 0
    }
  }
}

TYPED_TEST(TracingTest, TraceFileResetsOnWriteAndCannotBeRead) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g, 2);
    Write(*hv, EventDir(g, "host_hcall") + "/enable", kOn);
    Write(*hv, Path(g, "tracing_on"), "1");
    ASSERT_TRUE(hv->HostHvc(kHvc128, {}, 0).ok());
    ASSERT_TRUE(hv->HostHvc(kHvc128, {}, 1).ok());
    if (g == Generation::kA16) {
      EXPECT_EQ(ReadErr(*hv, "hypervisor/trace"), -EPERM);
      EXPECT_EQ(ReadErr(*hv, "hypervisor/per_cpu/cpu0/trace"), -EPERM);
      Write(*hv, "hypervisor/per_cpu/cpu1/trace", "");  // resets CPU 1 only
      EXPECT_THAT(Lines(Read(*hv, "hypervisor/trace_pipe")),
                  ElementsAre("[000]\t    0.000000: host_hcall id=128 invalid=0"));
      ASSERT_TRUE(hv->HostHvc(kHvc128, {}, 1).ok());
      Write(*hv, "hypervisor/trace", "anything");  // resets all, tracing stays on
      EXPECT_EQ(Read(*hv, "hypervisor/trace_pipe"), "");
      EXPECT_EQ(Read(*hv, "hypervisor/tracing_on"), "1\n");
    } else {
      EXPECT_EQ(Read(*hv, "hyp/trace"), "** Reading trace not yet supported **\n");
      EXPECT_EQ(Read(*hv, "hyp/per_cpu/cpu1/trace"), "** Reading trace not yet supported **\n");
      EXPECT_EQ(WriteErr(*hv, "hyp/trace", ""), -EBUSY);  // tracing is on
      Write(*hv, "hyp/tracing_on", "0");
      Write(*hv, "hyp/trace", "");
      EXPECT_EQ(Read(*hv, "hyp/trace_pipe"), "");
    }
  }
}

TYPED_TEST(TracingTest, PerCpuPipesAndMergedOrder) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g, 3);
    Write(*hv, EventDir(g, "host_hcall") + "/enable", kOn);
    Write(*hv, Path(g, "tracing_on"), "1");
    // CPU 2 at t=1s, CPU 0 at t=2s, CPU 1 at t=3s, CPU 2 at t=4s.
    for (int cpu : {2, 0, 1, 2}) {
      hv->AdvanceTraceClock(1'000'000'000);
      ASSERT_TRUE(hv->HostHvc(kHvc128, {}, cpu).ok());
    }
    EXPECT_EQ(Read(*hv, Path(g, "per_cpu/cpu2/trace_pipe")),
              "[002]\t    1.000000: host_hcall id=128 invalid=0\n"
              "[002]\t    4.000000: host_hcall id=128 invalid=0\n");
    EXPECT_EQ(Read(*hv, Path(g, "trace_pipe")),
              "[000]\t    2.000000: host_hcall id=128 invalid=0\n"
              "[001]\t    3.000000: host_hcall id=128 invalid=0\n");
    EXPECT_EQ(WriteErr(*hv, Path(g, "per_cpu/cpu0/trace_pipe"), "1"), -EINVAL);
  }
}

TYPED_TEST(TracingTest, TracePipeRawIsWholePagesInTheRingFormat) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    Write(*hv, EventDir(g, "host_hcall") + "/enable", kOn);
    Write(*hv, Path(g, "tracing_on"), "1");
    hv->AdvanceTraceClock(5'000);
    ASSERT_TRUE(hv->HostHvc(kHvc128, {}).ok());
    const std::string raw = Read(*hv, Path(g, "per_cpu/cpu0/trace_pipe_raw"));
    ASSERT_EQ(raw.size(), kPageSize);
    uint64_t ts = 0, commit = 0;
    std::memcpy(&ts, raw.data(), 8);
    std::memcpy(&commit, raw.data() + 8, 8);
    EXPECT_EQ(ts, 5'000u);
    // One host_hcall: 7-byte record padded to 8, plus the 8-byte header.
    EXPECT_EQ(commit, 16u);
    uint32_t hdr = 0, len = 0;
    uint16_t id = 0;
    std::memcpy(&hdr, raw.data() + 16, 4);
    std::memcpy(&len, raw.data() + 20, 4);
    std::memcpy(&id, raw.data() + 24, 2);
    EXPECT_EQ(hdr, 0u);  // type_len 0, delta 0
    EXPECT_EQ(len, 12u);  // array[0] = payload + 4
    EXPECT_EQ(std::to_string(id) + "\n", Read(*hv, EventDir(g, "host_hcall") + "/id"));
    EXPECT_EQ(Read(*hv, Path(g, "per_cpu/cpu0/trace_pipe_raw")), "");  // consumed
  }
}

TYPED_TEST(TracingTest, OverwrittenEventsAreCountedExactly) {
  for (Generation g : kGens) {
    SCOPED_TRACE(GenerationNumber(g));
    auto hv = Boot(TypeParam::kKind, g);
    Write(*hv, Path(g, "buffer_size_kb"), "1");  // 2 ring pages
    Write(*hv, EventDir(g, "host_hcall") + "/enable", kOn);
    Write(*hv, Path(g, "tracing_on"), "1");
    constexpr int kCalls = 2000;  // 16 bytes each: far more than 2 pages
    for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(hv->HostHvc(kHvc128, {}).ok());
    const std::vector<std::string> lines = Lines(Read(*hv, Path(g, "trace_pipe")));
    ASSERT_FALSE(lines.empty());
    uint64_t lost = 0;
    ASSERT_EQ(std::sscanf(lines[0].c_str(), "CPU:0 [LOST %lu EVENTS]", &lost), 1) << lines[0];
    EXPECT_GT(lost, 0u);
    EXPECT_EQ(lost + (lines.size() - 1), static_cast<uint64_t>(kCalls));
  }
}

TYPED_TEST(TracingTest, HelloWorldThroughTraceHypPrintk) {
  auto hv = Boot(TypeParam::kKind, Generation::kA16, 1, "",
                 &PKVM_NATIVE_MODULE(hello_hypercall));
  Write(*hv, "hypervisor/events/hypervisor/__hyp_printk/enable", "1");
  Write(*hv, "hypervisor/tracing_on", "1");
  ASSERT_TRUE(hv->HostHvc(kHvc128, {77}).ok());
  EXPECT_EQ(Read(*hv, "hypervisor/trace_pipe"),
            "[000]\t    0.000000: __hyp_printk Hello World\n"
            "[000]\t    0.000000: __hyp_printk Hello World from CPU 0, x1=77\n");
  EXPECT_THAT(Read(*hv, "hypervisor/events/hypervisor/__hyp_printk/format"),
              HasSubstr("print fmt: \"Unknown\"\n"));
}

TYPED_TEST(TracingTest, ModulePrintkFormatIdsStartAfterEarlierModules) {
  // hello_hypercall (2 formats) loads first; pkvm_driver's format id is 2.
  HypervisorOptions o;
  o.backend = TypeParam::kKind;
  o.generation = Generation::kA16;
  o.trace_clock = TraceClockSource::kManual;
  o.cmdline = "kvm-arm.protected_modules=hello_hypercall,pkvm_driver";
  auto hv = Hypervisor::Create(o).value();
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(hello_hypercall)).ok());
  ASSERT_TRUE(hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver_a16)).ok());
  ASSERT_TRUE(hv->Boot().ok()) << hv->boot_log();
  Write(*hv, "hypervisor/events/hypervisor/__hyp_printk/enable", "1");
  Write(*hv, "hypervisor/tracing_on", "1");
  ASSERT_TRUE(hv->HostHvc(PKVM_HOST_SMCCC_ID(129), {0x10, static_cast<uint64_t>(-3)}).ok());
  const std::string raw = Read(*hv, "hypervisor/per_cpu/cpu0/trace_pipe_raw");
  ASSERT_EQ(raw.size(), kPageSize);
  // The record: id(2) fmt_id(1) a b c d; fmt_id = pkvm_driver's index 0 + 2.
  EXPECT_EQ(static_cast<uint8_t>(raw[16 + 8 + 2]), 2);
  ASSERT_TRUE(hv->HostHvc(PKVM_HOST_SMCCC_ID(129), {0x10, static_cast<uint64_t>(-3)}).ok());
  EXPECT_EQ(Read(*hv, "hypervisor/trace_pipe"),
            "[000]\t    0.000000: __hyp_printk pkvm_driver: hvc with x1=0x10 x2=-3\n");
}

TYPED_TEST(TracingTest, FunctionTracingWithFilters) {
  auto hv = Boot(TypeParam::kKind, Generation::kA16);
  EXPECT_EQ(Read(*hv, "hypervisor/set_ftrace_filter"), "");
  EXPECT_EQ(WriteErr(*hv, "hypervisor/set_ftrace_filter", "no_such_function*"), -EINVAL);
  EXPECT_EQ(WriteErr(*hv, "hypervisor/set_ftrace_filter", std::string(129, 'a')), -E2BIG);
  // The Android page's example glob, with the prefix; names show without it.
  Write(*hv, "hypervisor/set_ftrace_filter", "__kvm_nvhe_pkvm_driver_hyp_*\n");
  // In address order, as the kernel lists them.
  EXPECT_EQ(Read(*hv, "hypervisor/set_ftrace_filter"), "pkvm_driver_hyp_init\npkvm_driver_hyp_hvc\n");
  Write(*hv, "hypervisor/set_ftrace_notrace", "*init");
  EXPECT_EQ(Read(*hv, "hypervisor/set_ftrace_filter"), "pkvm_driver_hyp_hvc\n");
  EXPECT_EQ(ReadErr(*hv, "hypervisor/set_ftrace_notrace"), -EINVAL);  // write-only
  EXPECT_EQ(WriteErr(*hv, "hypervisor/set_ftrace_notrace", "zzz*"), -EINVAL);
  Write(*hv, "hypervisor/events/hypervisor/func/enable", "1");
  Write(*hv, "hypervisor/events/hypervisor/func_ret/enable", "1");
  Write(*hv, "hypervisor/tracing_on", "1");
  ASSERT_TRUE(hv->HostHvc(kHvc128, {1}).ok());
  const std::vector<std::string> lines = Lines(Read(*hv, "hypervisor/trace_pipe"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("[000]\t    0.000000: func     pkvm_driver_hyp_hvc <- "));
  EXPECT_EQ(lines[1], "[000]\t    0.000000: func_ret pkvm_driver_hyp_hvc");
  Write(*hv, "hypervisor/set_ftrace_filter", "");  // disables all
  ASSERT_TRUE(hv->HostHvc(kHvc128, {1}).ok());
  EXPECT_EQ(Read(*hv, "hypervisor/trace_pipe"), "");
}

TYPED_TEST(TracingTest, CommandLineEnablesEventsMirrorsThemAndFilters) {
  auto hv = Boot(TypeParam::kKind, Generation::kA16, 1,
                 "hyp_event=pkvm_driver_event,host_hcall,bogus hyp_trace_printk "
                 "hyp_ftrace_filter=pkvm_driver_hyp_hvc");
  EXPECT_EQ(Read(*hv, "hypervisor/tracing_on"), "1\n");
  EXPECT_EQ(Read(*hv, "hypervisor/events/hypervisor/pkvm_driver_event/enable"), "1\n");
  EXPECT_EQ(Read(*hv, "hypervisor/set_ftrace_filter"), "pkvm_driver_hyp_hvc\n");
  EXPECT_THAT(hv->boot_log(), HasSubstr("hyp_event=: no event named 'bogus'"));
  ASSERT_TRUE(hv->HostHvc(kHvc128, {0x5}).ok());
  // Mirrored into the kernel log (and so consumed from the buffer).
  EXPECT_THAT(hv->boot_log(), HasSubstr("[000]\t    0.000000: host_hcall id=128 invalid=0\n"
                                        "[000]\t    0.000000: pkvm_driver_event id=0x00000005\n"));
  EXPECT_EQ(Read(*hv, "hypervisor/trace_pipe"), "");

  auto off = Boot(TypeParam::kKind, Generation::kA16, 1, "hyp_trace_printk=off");
  EXPECT_EQ(Read(*off, "hypervisor/tracing_on"), "0\n");
}

TYPED_TEST(TracingTest, HypPanicDumpsTheRemainingEvents) {
  auto hv = Boot(TypeParam::kKind, Generation::kA15, 1, "hyp_event=host_hcall");
  Write(*hv, "hyp/tracing_on", "1");
  ASSERT_TRUE(hv->HostHvc(kHvc128, {}).ok());
  ASSERT_TRUE(hv->InjectHypPanic("test").ok());
  EXPECT_THAT(hv->boot_log(), HasSubstr("HYP panic on CPU0: test\nhyp trace: events before the "
                                        "panic:\n[000]\t    0.000000: host_hcall id=128 invalid=0\n"));
}

TYPED_TEST(TracingTest, A15ModuleEventsNeedRegisterHypEventIds) {
  // pkvm_driver_a15 registers its ids in init: enabling works. (A16 needs no
  // call: the loader registers.) A14 has no module events.
  auto hv = Boot(TypeParam::kKind, Generation::kA15);
  Write(*hv, "hyp/events/pkvm_driver_event/enable", kOn);
  auto a14 = Boot(TypeParam::kKind, Generation::kA14);
  EXPECT_EQ(ReadErr(*a14, "hyp/events/pkvm_driver_event/id"), -ENOENT);
}

TYPED_TEST(TracingTest, EachMachineGetsAFreshModuleImage) {
  // The module's EL2 enable flag lives in its .bss: a second machine in the
  // same process must not inherit the first one's state.
  {
    auto first = Boot(TypeParam::kKind, Generation::kA16, 1, "hyp_event=pkvm_driver_event");
    EXPECT_EQ(Read(*first, EventDir(Generation::kA16, "pkvm_driver_event") + "/enable"), "1\n");
  }
  auto second = Boot(TypeParam::kKind, Generation::kA16);
  EXPECT_EQ(Read(*second, EventDir(Generation::kA16, "pkvm_driver_event") + "/enable"), "0\n");
}

TYPED_TEST(TracingTest, DumpWritesTheTree) {
  auto hv = Boot(TypeParam::kKind, Generation::kA16, 2, "hyp_event=host_hcall");
  Write(*hv, "hypervisor/tracing_on", "1");
  ASSERT_TRUE(hv->HostHvc(kHvc128, {}, 1).ok());
  const std::string dir = ::testing::TempDir() + "/pkvm_dump_" +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  ASSERT_TRUE(hv->TracefsDump(dir).ok());
  auto slurp = [](const std::string& p) {
    FILE* f = std::fopen(p.c_str(), "rb");
    std::string s;
    if (f == nullptr) return std::string("<missing>");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  EXPECT_EQ(slurp(dir + "/hypervisor/trace"), "[001]\t    0.000000: host_hcall id=128 invalid=0\n");
  EXPECT_EQ(slurp(dir + "/hypervisor/per_cpu/cpu1/trace_pipe_raw").size(), kPageSize);
  EXPECT_EQ(slurp(dir + "/hypervisor/per_cpu/cpu0/trace_pipe_raw"), "");
  EXPECT_EQ(slurp(dir + "/hypervisor/trace_clock"), "[boot]\n");
  EXPECT_THAT(slurp(dir + "/hypervisor/events/hypervisor/pkvm_driver_event/format"),
              HasSubstr("name: pkvm_driver_event\n"));
  EXPECT_THAT(slurp(dir + "/hypervisor/events/header_page"), HasSubstr("size:4080"));
  EXPECT_NE(hv->TracefsDump("/proc/self/status/not_a_dir").error(), 0);
}

// The tracefs flavour: A14-A16 default to Android's; either can be chosen.
TYPED_TEST(TracingTest, FlavorDefaultsToAndroidUpToA16) {
  for (Generation g : {Generation::kA14, Generation::kA15, Generation::kA16}) {
    auto hv = Boot(TypeParam::kKind, g);
    ASSERT_NE(hv, nullptr);
    EXPECT_EQ(hv->tracefs_flavor(), TracefsFlavor::kAndroid);
    EXPECT_EQ(hv->tracefs_root(), Root(g));
    EXPECT_EQ(DefaultTracefsFlavor(g), TracefsFlavor::kAndroid);
  }
  EXPECT_EQ(DefaultTracefsFlavor(static_cast<Generation>(17)), TracefsFlavor::kUpstream);
}

// The upstream flavour on a machine with the example module: its event under
// remotes/hypervisor/events/hypervisor/, `trace` read without consuming, and
// one export giving the same events as text and as a dump.
TYPED_TEST(TracingTest, UpstreamFlavorCarriesTheModulesEvents) {
  for (Generation g : {Generation::kA15, Generation::kA16}) {
    SCOPED_TRACE(GenerationNumber(g));
    HypervisorOptions o;
    o.backend = TypeParam::kKind;
    o.generation = g;
    o.cpus = 2;
    o.trace_clock = TraceClockSource::kManual;
    o.tracefs_flavor = TracefsFlavor::kUpstream;
    o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
    auto created = Hypervisor::Create(o);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Hypervisor& hv = **created;
    ASSERT_TRUE(hv.OfferModule(Driver(g)).ok());
    ASSERT_TRUE(hv.Boot().ok()) << hv.boot_log();
    EXPECT_EQ(hv.tracefs_flavor(), TracefsFlavor::kUpstream);
    EXPECT_EQ(hv.tracefs_root(), "remotes/hypervisor");
    EXPECT_EQ(ReadErr(hv, Path(g, "tracing_on")), -ENOENT);
    const std::string ev = "remotes/hypervisor/events/hypervisor/pkvm_driver_event";
    Write(hv, "remotes/hypervisor/events/enable", "0");
    Write(hv, ev + "/enable", "1");
    EXPECT_EQ(Read(hv, "remotes/hypervisor/events/enable"), "X\n");
    Write(hv, "remotes/hypervisor/tracing_on", "1");
    ASSERT_TRUE(hv.HostHvc(kHvc128, {0x42}, 1).ok());
    const std::string line = "[001]\t    0.000000: pkvm_driver_event id=0x00000042\n";
    EXPECT_EQ(Read(hv, "remotes/hypervisor/trace"), line);
    EXPECT_EQ(Read(hv, "remotes/hypervisor/per_cpu/cpu1/trace"), line);
    EXPECT_EQ(WriteErr(hv, "remotes/hypervisor/buffer_size_kb", "14"), -EBUSY);
    auto nothing = hv.ExportTrace(TraceExport{});  // nothing asked: nothing consumed
    ASSERT_TRUE(nothing.ok());
    EXPECT_EQ(*nothing, "");
    EXPECT_EQ(Read(hv, "remotes/hypervisor/trace"), line);
    const std::string dir = ::testing::TempDir() + "/pkvm_upstream_" + TypeParam::kName +
                            std::to_string(GenerationNumber(g));
    TraceExport what;
    what.text = true;
    what.tracefs_dir = dir;
    auto text = hv.ExportTrace(what);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(*text, line);
    std::ifstream f(dir + "/remotes/hypervisor/trace");
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_EQ(ss.str(), line);
    EXPECT_EQ(Read(hv, "remotes/hypervisor/trace"), "");  // the export consumed them
  }
}

}  // namespace
}  // namespace pkvm::testing

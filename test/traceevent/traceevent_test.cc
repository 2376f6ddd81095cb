// The proof against a real reader: a TracefsDump() directory is
// read with libtraceevent exactly as trace-cmd style tools read a kernel's
// tracefs -- header_page with tep_parse_header_page(), every format file
// with tep_parse_format() (system "hypervisor"), the per-CPU
// trace_pipe_raw pages with the kbuffer API, each event printed by
// libtraceevent's own printer -- and the text built from that must equal
// our `trace` file byte for byte.
//
// Nothing of our files is special-cased while parsing. Two events need help
// a kernel reader also needs:
//  * __hyp_printk has print fmt "Unknown": its text comes from the
//    trace_hyp_printk format table (a kernel reader gets it from the hyp's
//    tables, not from the format file). A tep event handler formats it from
//    the fields libtraceevent extracts, with the format strings the module's
//    descriptor carries (pkvm_native_module::printk_fmts, its first id in
//    *printk_fmt_offset).
//  * func / func_ret print with %ps, which needs the hypervisor's symbols:
//    they are registered with tep_register_function() from what
//    set_ftrace_filter lists and the module descriptor's function offsets
//    (only TraceeventFuncTest enables them).
//
// What is not libtraceevent's: the line layout of spec §5.8
// ("[%03d]\t%5llu.%06llu: <name> <info>", microseconds truncated -- tep's
// TEP_PRINT_TIME rounds), the merge across CPUs (smallest timestamp first,
// the lower CPU on ties, as trace-cmd does) and the lost-events line, with
// the kernel's wording for a count the page had no room to store
// ("CPU:N [LOST EVENTS]").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <event-parse.h>
#include <trace-seq.h>
extern "C" {  // kbuffer.h has no C++ guard
#include <kbuffer.h>
}

#include <stdlib.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pkvm/abi/hyp_events.h"
#include "pkvm/hyp_event_desc.h"
#include "pkvm/hypervisor.h"
#include "pkvm/native_module.h"

PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a15);
PKVM_DECLARE_NATIVE_MODULE(pkvm_driver_a16);

// libtraceevent reports what it could not parse through tep_vprint() (a weak
// symbol meant to be overridden): collect warnings and errors so a test
// fails on them instead of only printing them.
namespace {
std::vector<std::string>& TepMessages() {
  static std::vector<std::string> messages;
  return messages;
}
}  // namespace

extern "C" int __tep_vprint(const char* name, enum tep_loglevel level, bool print_err,
                            const char* fmt, va_list ap);
extern "C" int tep_vprint(const char* name, enum tep_loglevel level, bool print_err,
                          const char* fmt, va_list ap) {
  if (level <= TEP_LOG_WARNING) {
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    std::vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    TepMessages().push_back(buf);
  }
  return __tep_vprint(name, level, print_err, fmt, ap);
}

namespace pkvm {
// Test names and ctest listings show "A16" rather than the enum's bytes.
[[maybe_unused]] static void PrintTo(Generation g, std::ostream* os) {
  *os << (g == Generation::kA16 ? "A16" : g == Generation::kA15 ? "A15" : "A14");
}
}  // namespace pkvm

namespace pkvm::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kDriverHvc = 0xC6000080;  // the module's dynamic HVC 128
constexpr uint64_t kNsPerSec = 1000000000;
constexpr size_t kPageSize = 4096;

// ---- files -------------------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "pkvm_tep_XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- what the events are declared as (spec §5.4) ------------------------------

struct FieldSpec {
  const char* type;
  const char* name;
  int size;
  bool is_signed;
};

struct EventSpec {
  const char* name;
  std::vector<FieldSpec> fields;  // packed after the 2-byte id
};

const std::vector<EventSpec>& CoreEventSpecs() {
  static const std::vector<EventSpec> specs = {
      {"func", {{"unsigned long", "ip", 8, false}, {"unsigned long", "parent", 8, false}}},
      {"func_ret", {{"unsigned long", "ip", 8, false}}},
      {"hyp_enter", {}},
      {"hyp_exit", {}},
      {"host_hcall", {{"u32", "id", 4, false}, {"u8", "invalid", 1, false}}},
      {"host_smc", {{"u64", "id", 8, false}, {"u8", "forwarded", 1, false}}},
      {"host_mem_abort", {{"u64", "esr", 8, false}, {"u64", "addr", 8, false}}},
      {"__hyp_printk",
       {{"u8", "fmt_id", 1, false},
        {"u64", "a", 8, false},
        {"u64", "b", 8, false},
        {"u64", "c", 8, false},
        {"u64", "d", 8, false}}},
      {"psci_mem_protect", {{"u64", "count", 8, false}, {"u64", "was", 8, false}}},
      {"vcpu_illegal_trap", {{"u64", "esr", 8, false}}},
      {"iommu_idmap", {{"u64", "from", 8, false}, {"u64", "to", 8, false}, {"int", "prot", 4, true}}},
      {"iommu_idmap_complete", {{"bool", "map", 1, false}}},
      {"power_lock",
       {{"pid_t", "vm", 4, true},
        {"u64", "device", 8, false},
        {"bool", "lock", 1, false},
        {"int", "ret", 4, true}}},
      // The example module's events.h: HE_STRUCT(he_field(u64, id)).
      {"pkvm_driver_event", {{"u64", "id", 8, false}}},
  };
  return specs;
}

const EventSpec* FindSpec(const std::string& name) {
  for (const EventSpec& s : CoreEventSpecs())
    if (name == s.name) return &s;
  return nullptr;
}

// ---- __hyp_printk: the format table ---------------------------------------------

// trace_hyp_printk() formats by fmt id: the module's table from its
// descriptor, placed at the id the loader gave it.
std::map<unsigned, std::string> PrintkFormats(const pkvm_native_module& m) {
  std::map<unsigned, std::string> out;
  const unsigned first = m.printk_fmt_offset != nullptr ? *m.printk_fmt_offset : 0;
  unsigned i = 0;
  for (const hyp_printk_fmt* f = m.printk_fmts; f != nullptr && f < m.printk_fmts_end; ++f, ++i)
    out[first + i] = std::string(f->fmt, strnlen(f->fmt, sizeof f->fmt));
  return out;
}

// printf over the four u64 arguments, each converted to what its length
// modifier asks for (as the kernel's vsnprintf would take them from
// registers). Only integer conversions: anything else fails the test.
std::string FormatPrintk(const std::string& fmt, const std::array<unsigned long long, 4>& args) {
  std::string out;
  size_t next = 0;
  auto take = [&]() -> unsigned long long { return next < args.size() ? args[next++] : 0; };
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out += fmt[i++];
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    size_t j = i + 1;
    while (j < fmt.size() && std::strchr("-+ #0", fmt[j]) != nullptr) ++j;
    while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') ++j;
    if (j < fmt.size() && fmt[j] == '.') {
      ++j;
      while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') ++j;
    }
    const std::string flags_width = fmt.substr(i, j - i);
    std::string length;
    while (j < fmt.size() && std::strchr("hl", fmt[j]) != nullptr) length += fmt[j++];
    if (j >= fmt.size() || std::strchr("diuxXoc", fmt[j]) == nullptr) {
      ADD_FAILURE() << "conversion this test cannot format in '" << fmt << "'";
      return out + fmt.substr(i);
    }
    const char conv = fmt[j++];
    const unsigned long long v = take();
    char buf[256];
    const std::string spec = flags_width + "ll" + conv;
    if (conv == 'c') {
      std::snprintf(buf, sizeof buf, (flags_width + "c").c_str(), static_cast<int>(static_cast<unsigned char>(v)));
    } else if (conv == 'd' || conv == 'i') {
      long long s = length == "hh"  ? static_cast<signed char>(v)
                    : length == "h" ? static_cast<short>(v)
                    : length.empty() ? static_cast<int>(v)
                                     : static_cast<long long>(v);
      std::snprintf(buf, sizeof buf, spec.c_str(), s);
    } else {
      unsigned long long u = length == "hh"  ? static_cast<unsigned char>(v)
                             : length == "h" ? static_cast<unsigned short>(v)
                             : length.empty() ? static_cast<unsigned int>(v)
                                              : v;
      std::snprintf(buf, sizeof buf, spec.c_str(), u);
    }
    out += buf;
    i = j;
  }
  return out;
}

struct PrintkContext {
  std::map<unsigned, std::string> formats;
  int printed = 0;
};

int HypPrintkHandler(trace_seq* s, tep_record* record, tep_event* event, void* context) {
  auto* ctx = static_cast<PrintkContext*>(context);
  unsigned long long fmt_id = 0;
  std::array<unsigned long long, 4> args{};
  if (tep_get_field_val(s, event, "fmt_id", record, &fmt_id, 1) != 0) return 0;
  const char* names[] = {"a", "b", "c", "d"};
  for (int k = 0; k < 4; ++k)
    if (tep_get_field_val(s, event, names[k], record, &args[k], 1) != 0) return 0;
  auto it = ctx->formats.find(static_cast<unsigned>(fmt_id));
  if (it == ctx->formats.end()) {
    ADD_FAILURE() << "__hyp_printk with fmt id " << fmt_id << " that no table has";
    trace_seq_printf(s, "<fmt id %llu>", fmt_id);
    return 0;
  }
  trace_seq_puts(s, FormatPrintk(it->second, args).c_str());
  ++ctx->printed;
  return 0;
}

// ---- the reader -----------------------------------------------------------------

struct LostMark {
  int cpu;
  long long count;  // -1: the page had no room to store it
  bool operator==(const LostMark&) const = default;
};

struct ReadResult {
  std::string text;
  std::vector<LostMark> lost;           // in page order per CPU, CPUs in order
  std::map<std::string, int> per_name;  // events read, by name
  std::vector<uint64_t> events_per_cpu;
  int time_extends = 0;  // TIME_EXTEND headers seen in the raw pages
  size_t pages = 0;
};

class TepReader {
 public:
  TepReader() : tep_(tep_alloc()), kbuf_(kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE)) {
    tep_set_loglevel(TEP_LOG_WARNING);
    tep_set_long_size(tep_, 8);
    tep_set_file_bigendian(tep_, TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(tep_, TEP_LITTLE_ENDIAN);
    tep_set_page_size(tep_, static_cast<int>(kPageSize));
    TepMessages().clear();
  }
  ~TepReader() {
    kbuffer_free(kbuf_);
    tep_free(tep_);
  }
  TepReader(const TepReader&) = delete;
  TepReader& operator=(const TepReader&) = delete;

  tep_handle* tep() const { return tep_; }
  const std::map<std::string, tep_event*>& events() const { return events_; }

  // Parses <root>/events: header_page and every event's format, checking
  // each event's id file against the ID line.
  void Load(const std::string& root, Generation gen) {
    ASSERT_NE(tep_, nullptr);
    ASSERT_NE(kbuf_, nullptr);
    const std::string events = root + "/events";
    std::string header = ReadFile(events + "/header_page");
    ASSERT_FALSE(header.empty()) << events << "/header_page";
    ASSERT_EQ(tep_parse_header_page(tep_, header.data(), header.size(), 8), 0) << header;
    // A16 and the upstream flavour have the system directory.
    (void)gen;
    const std::string dir =
        std::filesystem::is_directory(events + "/hypervisor") ? events + "/hypervisor" : events;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_directory()) names.push_back(e.path().filename().string());
    ASSERT_FALSE(names.empty()) << dir;
    for (const std::string& name : names) {
      SCOPED_TRACE(name);
      const std::string format = ReadFile(dir + "/" + name + "/format");
      tep_event* ev = nullptr;
      const tep_errno rc = tep_parse_format(tep_, &ev, format.data(), format.size(), "hypervisor");
      char err[256] = "";
      tep_strerror(tep_, rc, err, sizeof err);
      ASSERT_EQ(rc, 0) << err << "\n" << format;
      ASSERT_NE(ev, nullptr);
      EXPECT_EQ(ev->flags & TEP_EVENT_FL_FAILED, 0) << format;
      EXPECT_STREQ(ev->name, name.c_str());
      EXPECT_STREQ(ev->system, "hypervisor");
      EXPECT_EQ(ReadFile(dir + "/" + name + "/id"), std::to_string(ev->id) + "\n");
      EXPECT_TRUE(events_.emplace(name, ev).second);
    }
    EXPECT_THAT(TepMessages(), ::testing::IsEmpty());
  }

  // Reads per_cpu/cpuN/trace_pipe_raw of every CPU and prints it.
  ReadResult Read(const std::string& root, int cpus) {
    ReadResult r;
    const size_t messages_before = TepMessages().size();
    struct Line {
      uint64_t ts;
      std::string text;
    };
    std::vector<std::vector<Line>> per_cpu(static_cast<size_t>(cpus));
    r.events_per_cpu.assign(static_cast<size_t>(cpus), 0);
    for (int cpu = 0; cpu < cpus; ++cpu) {
      const std::string raw =
          ReadFile(root + "/per_cpu/cpu" + std::to_string(cpu) + "/trace_pipe_raw");
      EXPECT_EQ(raw.size() % kPageSize, 0u) << "cpu" << cpu << ": not whole pages";
      std::string lost_prefix;
      for (size_t off = 0; off + kPageSize <= raw.size(); off += kPageSize) {
        ++r.pages;
        // kbuffer keeps pointers into the page: an aligned copy of it.
        std::unique_ptr<uint8_t[]> page(new uint8_t[kPageSize]);
        std::memcpy(page.get(), raw.data() + off, kPageSize);
        if (kbuffer_load_subbuffer(kbuf_, page.get()) != 0) {
          ADD_FAILURE() << "kbuffer cannot load page " << off / kPageSize << " of cpu" << cpu;
          continue;
        }
        EXPECT_EQ(kbuffer_start_of_data(kbuf_), 16);
        if (const int missed = kbuffer_missed_events(kbuf_); missed != 0) {
          r.lost.push_back({cpu, missed});
          lost_prefix += missed < 0 ? "CPU:" + std::to_string(cpu) + " [LOST EVENTS]\n"
                                    : "CPU:" + std::to_string(cpu) + " [LOST " +
                                          std::to_string(missed) + " EVENTS]\n";
        }
        // The raw headers, for TIME_EXTEND.
        kbuffer_raw_info info{};
        info.next = page.get() + 16;
        while (kbuffer_raw_get(kbuf_, page.get(), &info) != nullptr)
          r.time_extends += info.type == KBUFFER_TYPE_TIME_EXTEND;

        unsigned long long ts = 0;
        for (void* data = kbuffer_read_event(kbuf_, &ts); data != nullptr;
             data = kbuffer_next_event(kbuf_, &ts)) {
          tep_record rec{};
          rec.ts = ts;
          rec.cpu = cpu;
          rec.data = data;
          rec.size = kbuffer_event_size(kbuf_);
          rec.record_size = kbuffer_curr_size(kbuf_);
          rec.offset = off + static_cast<unsigned long long>(kbuffer_curr_offset(kbuf_));
          tep_event* ev = tep_find_event_by_record(tep_, &rec);
          if (ev != nullptr) {
            ++r.per_name[ev->name];
            // Each record holds the packed fields, padded to 4 bytes.
            int end = 2;
            for (tep_format_field* f = ev->format.fields; f != nullptr; f = f->next)
              end = std::max(end, f->offset + f->size);
            EXPECT_EQ(rec.size, (end + 3) & ~3) << ev->name;
          }
          trace_seq s;
          trace_seq_init(&s);
          tep_print_event(tep_, &s, &rec, "%s %s", TEP_PRINT_NAME, TEP_PRINT_INFO);
          trace_seq_terminate(&s);
          char prefix[64];
          std::snprintf(prefix, sizeof prefix, "[%03d]\t%5llu.%06llu: ", cpu, ts / kNsPerSec,
                        (ts % kNsPerSec) / 1000);
          per_cpu[static_cast<size_t>(cpu)].push_back(
              Line{ts, lost_prefix + prefix + std::string(s.buffer, s.len) + "\n"});
          trace_seq_destroy(&s);
          lost_prefix.clear();
          ++r.events_per_cpu[static_cast<size_t>(cpu)];
        }
      }
      EXPECT_EQ(lost_prefix, "") << "lost events reported after the last event of cpu" << cpu;
    }
    // Merge: the smallest timestamp first, the lower CPU on ties.
    std::vector<size_t> next(static_cast<size_t>(cpus), 0);
    for (;;) {
      int best = -1;
      for (int cpu = 0; cpu < cpus; ++cpu) {
        const auto& q = per_cpu[static_cast<size_t>(cpu)];
        const size_t n = next[static_cast<size_t>(cpu)];
        if (n < q.size() &&
            (best < 0 || q[n].ts < per_cpu[static_cast<size_t>(best)][next[static_cast<size_t>(best)]].ts))
          best = cpu;
      }
      if (best < 0) break;
      r.text += per_cpu[static_cast<size_t>(best)][next[static_cast<size_t>(best)]++].text;
    }
    EXPECT_EQ(TepMessages().size(), messages_before) << TepMessages().back();
    return r;
  }

 private:
  tep_handle* tep_;
  kbuffer* kbuf_;
  std::map<std::string, tep_event*> events_;
};

// ---- the machine ------------------------------------------------------------------

const pkvm_native_module& DriverFor(Generation gen) {
  return gen == Generation::kA16 ? PKVM_NATIVE_MODULE(pkvm_driver_a16)
                                 : PKVM_NATIVE_MODULE(pkvm_driver_a15);
}

// Which machine a test runs: the generation and the tracefs flavour.
struct Config {
  Generation gen;
  TracefsFlavor flavor = TracefsFlavor::kAndroid;
};

[[maybe_unused]] void PrintTo(const Config& c, std::ostream* os) {
  *os << "A" << GenerationNumber(c.gen) << " " << TracefsFlavorName(c.flavor);
}

std::string Root(const Hypervisor& hv) { return hv.tracefs_root(); }

// A16 and upstream: events/hypervisor/<event>; A14/A15: events/<event>.
std::string EventsDir(const Hypervisor& hv) {
  const bool system = hv.generation() == Generation::kA16 ||
                      hv.tracefs_flavor() == TracefsFlavor::kUpstream;
  return Root(hv) + (system ? "/events/hypervisor" : "/events");
}

std::string EnablePath(const Hypervisor& hv, const std::string& event) {
  return EventsDir(hv) + "/" + event + "/enable";
}

std::unique_ptr<Hypervisor> BootMachine(Config c) {
  const Generation gen = c.gen;
  HypervisorOptions o;
  o.tracefs_flavor = c.flavor;
  o.generation = gen;
  o.cpus = 2;
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  o.trace_clock = TraceClockSource::kManual;
  auto hv = Hypervisor::Create(o);
  EXPECT_TRUE(hv.ok()) << hv.status().ToString();
  if (!hv.ok()) return nullptr;
  EXPECT_TRUE((*hv)->OfferModule(DriverFor(gen)).ok());
  const Status boot = (*hv)->Boot();
  EXPECT_TRUE(boot.ok()) << boot.ToString() << "\n" << (*hv)->boot_log();
  if (!boot.ok()) return nullptr;
  return std::move(hv).value();
}

// Enables exactly `events`; every other event is written "0": the example
// module is linked into this binary, and its EL2 enable flag keeps the value
// an earlier machine of the process gave it.
void Enable(Hypervisor& hv, const std::vector<std::string>& events) {
  auto all = hv.TracefsList(EventsDir(hv));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const TracefsEntry& e : *all) {
    if (!e.is_dir) continue;
    const bool on = std::find(events.begin(), events.end(), e.name) != events.end();
    const Status s = hv.TracefsWrite(EnablePath(hv, e.name), on ? "1\n" : "0\n");
    EXPECT_TRUE(s.ok()) << e.name << ": " << s.ToString();
  }
  for (const std::string& e : events) {
    auto r = hv.TracefsRead(EnablePath(hv, e));
    EXPECT_TRUE(r.ok() && *r == "1\n") << e;
  }
}

void Hvc(Hypervisor& hv, uint64_t id, std::initializer_list<uint64_t> args, int cpu) {
  auto r = hv.HostHvc(id, args, cpu);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void Smc(Hypervisor& hv, uint64_t id, int cpu) {
  user_pt_regs regs{};
  regs.regs[0] = id;
  auto r = hv.HostSmc(regs, cpu);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void PermFault(Hypervisor& hv, uint64_t esr, uint64_t addr, int cpu) {
  auto r = hv.InjectHostPermFault(esr, addr, cpu);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// The core scenario: every core event the host can cause, the module's
// event, timestamps that move by small steps, not at all (both CPUs at the
// same time), by more than 2^27 ns (TIME_EXTEND) and by whole seconds.
void RunCoreScenario(Hypervisor& hv) {
  hv.AdvanceTraceClock(1000);
  Hvc(hv, kDriverHvc, {0x1234, 5}, 0);
  hv.AdvanceTraceClock(2501);
  Hvc(hv, kDriverHvc, {0xdeadbeefcafeULL, static_cast<uint64_t>(-7)}, 1);
  hv.AdvanceTraceClock(999);
  Smc(hv, 0x84000000, 0);  // PSCI_VERSION: to EL3
  Smc(hv, 0x84000000, 1);  // same timestamp on the other CPU
  hv.AdvanceTraceClock(333333);
  PermFault(hv, 0x9200004f, 0x80001000, 1);
  hv.AdvanceTraceClock((uint64_t{1} << 27) + 4242);  // delta needs TIME_EXTEND
  Hvc(hv, kDriverHvc, {7, 8}, 0);
  hv.AdvanceTraceClock(3 * kNsPerSec + 123456789);
  Hvc(hv, 0xC60000FE, {}, 1);  // no handler: host_hcall invalid=1
  hv.AdvanceTraceClock(12345 * kNsPerSec + 999999);
  Hvc(hv, kDriverHvc, {UINT64_MAX, 0x7fffffff}, 0);
  Hvc(hv, kDriverHvc, {0, 0}, 1);
  hv.AdvanceTraceClock(1);
  PermFault(hv, 0x92000047, 0xffff800012345678ULL, 0);
  Smc(hv, 0xC2000001, 1);
}

// Dumps the machine's tracefs and reads it back with libtraceevent.
struct Dump {
  std::string ours;  // our `trace`
  ReadResult theirs;
};

void DumpAndRead(Hypervisor& hv, TepReader& reader, PrintkContext* printk, Dump* out,
                 const std::function<void(tep_handle*)>& setup = nullptr) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const Status s = hv.TracefsDump(dir.path());
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string root = dir.path() + "/" + Root(hv);
  ASSERT_NO_FATAL_FAILURE(reader.Load(root, hv.generation()));
  if (printk != nullptr) {
    ASSERT_GE(tep_register_event_handler(reader.tep(), -1, "hypervisor", "__hyp_printk",
                                         &HypPrintkHandler, printk),
              0);
  }
  if (setup) setup(reader.tep());
  out->ours = ReadFile(root + "/trace");
  out->theirs = reader.Read(root, hv.cpus());
}

size_t CountLines(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// ---- tests ----------------------------------------------------------------------------

class TraceeventTest : public ::testing::TestWithParam<Config> {};

std::string GenName(const ::testing::TestParamInfo<Config>& info) {
  return std::string(info.param.gen == Generation::kA16 ? "A16" : "A15") +
         (info.param.flavor == TracefsFlavor::kUpstream ? "Upstream" : "");
}

// Both flavours of tracefs: the upstream one (remotes/hypervisor/) keeps the
// same formats and pages.
INSTANTIATE_TEST_SUITE_P(Generations, TraceeventTest,
                         ::testing::Values(Config{Generation::kA16}, Config{Generation::kA15},
                                           Config{Generation::kA16, TracefsFlavor::kUpstream},
                                           Config{Generation::kA15, TracefsFlavor::kUpstream}),
                         GenName);

// header_page and every format file parse, and each event has exactly the
// fields it is declared with: offsets packed from 2, sizes, signedness, types.
TEST_P(TraceeventTest, FormatFilesParseIntoTheDeclaredLayouts) {
  const Generation gen = GetParam().gen;
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  TepReader reader;
  Dump d;
  ASSERT_NO_FATAL_FAILURE(DumpAndRead(*hv, reader, nullptr, &d));

  tep_handle* tep = reader.tep();
  EXPECT_EQ(tep_get_header_timestamp_size(tep), 8);
  EXPECT_EQ(tep_get_header_page_size(tep), 8);  // local_t commit
  EXPECT_EQ(tep_get_sub_buffer_size(tep), 4096);  // data offset 16 + data size 4080
  EXPECT_FALSE(tep_is_old_format(tep));

  // Every event of the dump is one we know the declaration of, and the
  // ones we rely on are there.
  for (const char* needed : {"hyp_enter", "hyp_exit", "host_hcall", "host_smc", "host_mem_abort",
                             "__hyp_printk", "pkvm_driver_event"})
    EXPECT_TRUE(reader.events().contains(needed)) << needed;
  EXPECT_EQ(reader.events().contains("func"), gen == Generation::kA16);
  EXPECT_EQ(reader.events().contains("func_ret"), gen == Generation::kA16);

  std::map<int, std::string> ids;
  for (const auto& [name, ev] : reader.events()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(ids.emplace(ev->id, name).second) << "id " << ev->id << " used twice";
    const EventSpec* spec = FindSpec(name);
    ASSERT_NE(spec, nullptr) << "an event this test does not know the declaration of";
    tep_format_field* common = tep_find_common_field(ev, "common_type");
    ASSERT_NE(common, nullptr);
    EXPECT_EQ(common->offset, 0);
    EXPECT_EQ(common->size, 2);
    EXPECT_STREQ(common->type, "unsigned short");
    EXPECT_EQ(ev->format.nr_common, 1);
    ASSERT_EQ(ev->format.nr_fields, static_cast<int>(spec->fields.size()));
    int offset = 2;
    tep_format_field* f = ev->format.fields;
    for (const FieldSpec& want : spec->fields) {
      ASSERT_NE(f, nullptr);
      EXPECT_STREQ(f->name, want.name);
      EXPECT_STREQ(f->type, want.type) << want.name;
      EXPECT_EQ(f->offset, offset) << want.name;
      EXPECT_EQ(f->size, want.size) << want.name;
      EXPECT_EQ((f->flags & TEP_FIELD_IS_SIGNED) != 0, want.is_signed) << want.name;
      EXPECT_EQ(f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_STRING | TEP_FIELD_IS_DYNAMIC), 0u)
          << want.name;
      EXPECT_EQ(tep_find_field(ev, want.name), f);
      offset += want.size;
      f = f->next;
    }
    EXPECT_EQ(f, nullptr);
  }
  // Core ids first, from 0 (A16) -- the module's after them.
  if (gen == Generation::kA16) {
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.begin()->first, 0);
    EXPECT_EQ(ids.rbegin()->second, "pkvm_driver_event");
  }

  // The module's event as its descriptor declares it.
  const pkvm_native_module& m = DriverFor(gen);
  ASSERT_NE(m.hyp_events, nullptr);
  ASSERT_EQ(m.hyp_events_end - m.hyp_events, 1);
  const tep_event* ev = reader.events().at("pkvm_driver_event");
  EXPECT_EQ(ev->id, m.hyp_events[0].id->id);
  unsigned nr = 0;
  const pkvm_hyp_event_field* fields = m.hyp_events[0].fields(&nr);
  ASSERT_EQ(static_cast<int>(nr), ev->format.nr_fields);
  tep_format_field* f = ev->format.fields;
  for (unsigned k = 0; k < nr; ++k, f = f->next) {
    ASSERT_NE(f, nullptr);
    EXPECT_STREQ(f->name, fields[k].name);
    EXPECT_STREQ(f->type, fields[k].type);
    EXPECT_EQ(f->offset, fields[k].offset);
    EXPECT_EQ(f->size, fields[k].size);
    EXPECT_EQ((f->flags & TEP_FIELD_IS_SIGNED) != 0, fields[k].is_signed != 0);
  }
  EXPECT_EQ(static_cast<int>(m.hyp_events[0].record_size), 2 + 8);
}

// The core events and the module's, on two CPUs: libtraceevent's reading of
// the raw pages is our `trace`, byte for byte.
TEST_P(TraceeventTest, RawPagesPrintAsOurTrace) {
  const Generation gen = GetParam().gen;
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  Enable(*hv, {"host_hcall", "hyp_enter", "hyp_exit", "host_smc", "host_mem_abort",
               "pkvm_driver_event", "__hyp_printk"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  ASSERT_NO_FATAL_FAILURE(RunCoreScenario(*hv));

  PrintkContext printk{PrintkFormats(DriverFor(gen))};
  TepReader reader;
  Dump d;
  ASSERT_NO_FATAL_FAILURE(DumpAndRead(*hv, reader, &printk, &d));

  EXPECT_EQ(d.theirs.text, d.ours);
  // Not vacuously: everything the scenario caused is there.
  const bool a16 = gen == Generation::kA16;
  EXPECT_EQ(d.theirs.per_name["hyp_enter"], 11);
  EXPECT_EQ(d.theirs.per_name["hyp_exit"], 11);
  EXPECT_EQ(d.theirs.per_name["host_hcall"], 6);
  EXPECT_EQ(d.theirs.per_name["host_smc"], 3);
  EXPECT_EQ(d.theirs.per_name["host_mem_abort"], 2);
  EXPECT_EQ(d.theirs.per_name["pkvm_driver_event"], 5);
  // Only the A16 form of the example calls trace_hyp_printk().
  EXPECT_EQ(d.theirs.per_name["__hyp_printk"], a16 ? 5 : 0);
  EXPECT_EQ(printk.printed, a16 ? 5 : 0);
  EXPECT_GE(d.theirs.time_extends, 1);
  EXPECT_TRUE(d.theirs.lost.empty());
  EXPECT_THAT(d.ours, HasSubstr("[000]\t    0.000001: pkvm_driver_event id=0x00001234\n"));
  EXPECT_THAT(d.ours, HasSubstr(": pkvm_driver_event id=0xdeadbeefcafe\n"));
  EXPECT_THAT(d.ours, HasSubstr(": hyp_enter  \n"));
  EXPECT_THAT(d.ours, HasSubstr("[001]\t    0.000004: host_smc id=2214592512 forwarded=1\n"));
  EXPECT_THAT(d.ours, HasSubstr(": host_mem_abort esr=0x9200004f addr=0x80001000\n"));
  EXPECT_THAT(d.ours, HasSubstr("[001]\t    3.258016: host_hcall id=254 invalid=1\n"));
  EXPECT_THAT(d.ours, HasSubstr("[000]\t12348.259016: pkvm_driver_event id=0xffffffffffffffff\n"));
  if (a16) {
    EXPECT_THAT(d.ours,
                HasSubstr(": __hyp_printk pkvm_driver: hvc with x1=0xdeadbeefcafe x2=-7\n"));
  }
}

// A 1 KiB buffer and many events: pages are overwritten, and the lost-event
// counts kbuffer finds in the raw pages are the LOST lines of our `trace`.
TEST_P(TraceeventTest, LostEventsAgree) {
  const Generation gen = GetParam().gen;
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/buffer_size_kb", "1").ok());
  Enable(*hv, {"host_hcall", "hyp_enter", "hyp_exit", "pkvm_driver_event", "__hyp_printk"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  const bool a16 = gen == Generation::kA16;
  const uint64_t per_hvc = a16 ? 5 : 4;
  std::array<uint64_t, 2> emitted{};
  for (int i = 0; i < 3000; ++i) {
    const int cpu = i % 3 == 0 ? 1 : 0;
    hv->AdvanceTraceClock(700 + static_cast<uint64_t>(i % 13) * 111);
    if (i == 1500) hv->AdvanceTraceClock(uint64_t{1} << 28);
    ASSERT_NO_FATAL_FAILURE(Hvc(*hv, kDriverHvc, {static_cast<uint64_t>(i), 3}, cpu));
    emitted[static_cast<size_t>(cpu)] += per_hvc;
  }
  PrintkContext printk{PrintkFormats(DriverFor(gen))};
  TepReader reader;
  Dump d;
  ASSERT_NO_FATAL_FAILURE(DumpAndRead(*hv, reader, &printk, &d));

  EXPECT_EQ(d.theirs.text, d.ours);
  ASSERT_FALSE(d.theirs.lost.empty());
  // The LOST lines of our text, in order, are kbuffer's missed counts.
  std::vector<LostMark> ours;
  std::istringstream in(d.ours);
  for (std::string line; std::getline(in, line);) {
    int cpu = -1;
    long long n = -1;
    if (std::sscanf(line.c_str(), "CPU:%d [LOST %lld EVENTS]", &cpu, &n) == 2) ours.push_back({cpu, n});
    else if (line.rfind("CPU:", 0) == 0) ours.push_back({std::atoi(line.c_str() + 4), -1});
  }
  std::vector<LostMark> theirs = d.theirs.lost;
  std::stable_sort(ours.begin(), ours.end(), [](auto& a, auto& b) { return a.cpu < b.cpu; });
  EXPECT_EQ(ours, theirs);
  // Every event emitted is either read or counted as lost.
  for (int cpu = 0; cpu < 2; ++cpu) {
    long long lost = 0;
    for (const LostMark& l : theirs)
      if (l.cpu == cpu) lost += l.count;
    EXPECT_EQ(d.theirs.events_per_cpu[static_cast<size_t>(cpu)] + static_cast<uint64_t>(lost),
              emitted[static_cast<size_t>(cpu)])
        << "cpu" << cpu;
  }
  EXPECT_GT(CountLines(d.ours, "[LOST "), 0u);
}

// Only 12-byte events (hyp_enter / hyp_exit): a page is filled to its last
// byte, so a page that lost events before it has no room for the count
// (RB_MISSED_EVENTS without RB_MISSED_STORED; kbuffer_missed_events() -1).
TEST_P(TraceeventTest, LostEventsOnFullPagesAgree) {
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/buffer_size_kb", "8").ok());
  Enable(*hv, {"hyp_enter", "hyp_exit"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  for (int i = 0; i < 2000; ++i) {
    hv->AdvanceTraceClock(100);
    ASSERT_NO_FATAL_FAILURE(Hvc(*hv, kDriverHvc, {static_cast<uint64_t>(i), 0}, i % 5 == 0 ? 1 : 0));
  }
  TepReader reader;
  Dump d;
  ASSERT_NO_FATAL_FAILURE(DumpAndRead(*hv, reader, nullptr, &d));
  EXPECT_EQ(d.theirs.text, d.ours);
  // The scenario does reach the case: a full page after lost events.
  EXPECT_THAT(d.theirs.lost, ::testing::Contains(::testing::Field(&LostMark::count, -1)));
}

// A16 function tracing. func / func_ret print with %ps, so the reader is
// given the hypervisor's symbols as a kernel reader has kallsyms: every
// function set_ftrace_filter lists, at the address the module's descriptor
// gives it (start of its .hyp.text + offset), and the end of .hyp.text so
// the last function has an extent (libtraceevent sizes a function by the
// next symbol).
TEST(TraceeventFuncTest, FuncEventsPrintWithTheHypervisorSymbols) {
  auto hv = BootMachine({Generation::kA16});
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->TracefsWrite("hypervisor/set_ftrace_filter", "*").ok());
  auto filter = hv->TracefsRead("hypervisor/set_ftrace_filter");
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  const pkvm_native_module& m = PKVM_NATIVE_MODULE(pkvm_driver_a16);
  const auto text = reinterpret_cast<uintptr_t>(m.hyp[PKVM_HYP_TEXT].start);
  std::vector<std::pair<std::string, uintptr_t>> symbols;
  std::istringstream names(*filter);
  for (std::string name; std::getline(names, name);) {
    const pkvm_ftrace_sym* s = m.ftrace_syms;
    while (s->name != nullptr && name != s->name) ++s;
    ASSERT_NE(s->name, nullptr) << name << " is not a function of the module";
    symbols.emplace_back(name, text + s->offset);
  }
  ASSERT_THAT(symbols, ::testing::Contains(::testing::Key("pkvm_driver_hyp_hvc")));
  symbols.emplace_back("__hyp_text_end", reinterpret_cast<uintptr_t>(m.hyp[PKVM_HYP_TEXT].end));

  Enable(*hv, {"func", "func_ret", "host_hcall", "pkvm_driver_event"});
  ASSERT_TRUE(hv->TracefsWrite("hypervisor/tracing_on", "1").ok());
  hv->AdvanceTraceClock(1000);
  Hvc(*hv, kDriverHvc, {1, 2}, 0);
  hv->AdvanceTraceClock(1000);
  Hvc(*hv, kDriverHvc, {3, 4}, 1);

  TepReader reader;
  Dump d;
  ASSERT_NO_FATAL_FAILURE(DumpAndRead(*hv, reader, nullptr, &d, [&](tep_handle* tep) {
    for (auto& [name, addr] : symbols)
      ASSERT_EQ(tep_register_function(tep, name.data(), addr, nullptr), 0) << name;
  }));
  EXPECT_EQ(d.theirs.text, d.ours);
  // Per HVC: entries of the handler, tracing_reserve_entry and
  // trace___hyp_printk; returns of tracing_commit_entry, trace___hyp_printk
  // and the handler (between reserve and commit the ring refuses events).
  EXPECT_EQ(d.theirs.per_name["func"], 6);
  EXPECT_EQ(d.theirs.per_name["func_ret"], 6);
  EXPECT_THAT(d.ours, HasSubstr("[000]\t    0.000001: func     pkvm_driver_hyp_hvc <- "));
  EXPECT_THAT(d.ours, HasSubstr("[001]\t    0.000002: func_ret pkvm_driver_hyp_hvc\n"));
}

// ---- standard tools: trace-cmd's trace.dat, Perfetto's JSON -----------------------

// Runs a command, returns its stdout (and exit status in *status).
std::string RunCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

// One line of `trace`: "[CPU]\t<sec>.<usec>: <name> <info>".
struct TraceLine {
  int cpu = -1;
  std::string ts, name, info;
  bool operator==(const TraceLine&) const = default;
};

void PrintTo(const TraceLine& l, std::ostream* os) {
  *os << "[" << l.cpu << "] " << l.ts << " " << l.name << " |" << l.info << "|";
}

std::vector<TraceLine> ParseOurTrace(const std::string& text) {
  std::vector<TraceLine> out;
  static const std::regex re(R"(^\[(\d{3})\]\t *(\d+\.\d{6}): (\S+)(.*)$)");
  static const std::regex lost(R"(^CPU:(\d+) \[LOST (\d+ )?EVENTS\]$)");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::smatch m;
    const std::string l(line);
    if (std::regex_match(l, m, lost)) {  // a "lost" line: CPU and count
      out.push_back(TraceLine{std::stoi(m[1]), "", "LOST", m[2]});
      continue;
    }
    if (!std::regex_match(l, m, re)) {
      ADD_FAILURE() << "not a trace line: " << l;
      continue;
    }
    out.push_back(TraceLine{std::stoi(m[1]), m[2], m[3],
                            std::string(absl::StripAsciiWhitespace(std::string(m[4])))});
  }
  return out;
}

// `trace-cmd report -t` lines, in the `trace` layout. What must differ, and
// why, is normalised here and only here:
//  * "<comm>-<pid>" before the CPU: hypervisor events have no task
//    (their format has only common_type), trace-cmd prints "<...>--1";
//  * the timestamp: -t gives nanoseconds, which are cut to microseconds as
//    the kernel's `trace` does (trace-cmd's default rounds them);
//  * the padding trace-cmd puts after "<name>:", and trailing blanks;
//  * __hyp_printk: its text comes from the hypervisor's format table, which
//    a trace.dat has no place for; trace-cmd prints the format file's print
//    fmt, "Unknown" (as it would for a kernel's hyp trace);
//  * lost events: trace-cmd words them "CPU:N [M EVENTS DROPPED]" where the
//    kernel's `trace` says "CPU:N [LOST M EVENTS]"; CPU and count compared.
std::vector<TraceLine> ParseTraceCmdReport(const std::string& text) {
  std::vector<TraceLine> out;
  static const std::regex re(R"(^\s*\S+?-(-?\d+)\s+\[(\d{3})\]\s+(\d+)\.(\d{9}): ([^:\s]+):(.*)$)");
  static const std::regex dropped(R"(^CPU:(\d+) \[(\d+ )?EVENTS DROPPED\]$)");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const std::string l(line);
    if (l.rfind("cpus=", 0) == 0) continue;
    std::smatch m;
    if (std::regex_match(l, m, dropped)) {
      out.push_back(TraceLine{std::stoi(m[1]), "", "LOST", m[2]});
      continue;
    }
    if (!std::regex_match(l, m, re)) {
      ADD_FAILURE() << "unexpected trace-cmd report line: " << l;
      continue;
    }
    EXPECT_EQ(m[1], "-1") << "no task: " << l;
    out.push_back(TraceLine{std::stoi(m[2]), m[3].str() + "." + m[4].str().substr(0, 6), m[5],
                            std::string(absl::StripAsciiWhitespace(std::string(m[6])))});
  }
  return out;
}

// Our `trace` text and `trace-cmd report -t` of a trace.dat written from the
// same read of the buffers. Skips the test when this build has no
// libtracecmd; callers return when the test is skipped or failed.
void TraceAndReport(Hypervisor& hv, std::string* text, std::string* report) {
  TempDir dir;
  TraceExport what;
  what.text = true;
  what.trace_dat = dir.path() + "/trace.dat";
  auto exported = hv.ExportTrace(what);
  if (!exported.ok() && exported.status().error() == -EOPNOTSUPP)
    GTEST_SKIP() << "this libpkvm has no libtracecmd: " << exported.status().ToString();
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  *text = *std::move(exported);
  int status = 0;
  *report = RunCommand("trace-cmd report -t " + what.trace_dat + " 2>&1", &status);
  ASSERT_EQ(status, 0) << "trace-cmd report failed (Debian package trace-cmd, installed by ./dev):\n"
                       << *report;
}

// trace-cmd report prints the same events as our `trace`, line for line.
TEST_P(TraceeventTest, TraceCmdReportPrintsOurTrace) {
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  Enable(*hv, {"host_hcall", "hyp_enter", "hyp_exit", "host_smc", "host_mem_abort",
               "pkvm_driver_event", "__hyp_printk"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  ASSERT_NO_FATAL_FAILURE(RunCoreScenario(*hv));
  std::string text, report;
  TraceAndReport(*hv, &text, &report);
  if (IsSkipped() || HasFatalFailure()) return;
  std::vector<TraceLine> ours = ParseOurTrace(text);
  for (TraceLine& l : ours)
    if (l.name == "__hyp_printk") l.info = "Unknown";
  const std::vector<TraceLine> theirs = ParseTraceCmdReport(report);
  EXPECT_GE(ours.size(), 38u);  // the whole scenario, not an empty file
  EXPECT_EQ(theirs, ours) << report;
}

// Many events on a small buffer: the lost-event lines agree too.
TEST_P(TraceeventTest, TraceCmdReportShowsTheLostEvents) {
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/buffer_size_kb", "1").ok());
  Enable(*hv, {"host_hcall", "hyp_enter", "hyp_exit", "pkvm_driver_event"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  for (int i = 0; i < 1000; ++i) {
    hv->AdvanceTraceClock(700 + static_cast<uint64_t>(i % 13) * 111);
    ASSERT_NO_FATAL_FAILURE(Hvc(*hv, kDriverHvc, {static_cast<uint64_t>(i), 3}, i % 3 == 0 ? 1 : 0));
  }
  std::string text, report;
  TraceAndReport(*hv, &text, &report);
  if (IsSkipped() || HasFatalFailure()) return;
  const std::vector<TraceLine> ours = ParseOurTrace(text);
  EXPECT_GT(CountLines(text, "[LOST "), 0u);
  EXPECT_EQ(ParseTraceCmdReport(report), ours);
}

// The JSON trace-event format's rules (Chrome's "Trace Event Format"
// document, which Perfetto's JSON importer follows), checked on our output,
// then the duration events and instants against our `trace` of the same events.
TEST_P(TraceeventTest, PerfettoJsonFollowsTheTraceEventFormat) {
  auto hv = BootMachine(GetParam());
  ASSERT_NE(hv, nullptr);
  Enable(*hv, {"host_hcall", "hyp_enter", "hyp_exit", "host_smc", "host_mem_abort",
               "pkvm_driver_event", "__hyp_printk"});
  ASSERT_TRUE(hv->TracefsWrite(Root(*hv) + "/tracing_on", "1").ok());
  ASSERT_NO_FATAL_FAILURE(RunCoreScenario(*hv));
  TempDir dir;
  TraceExport what;
  what.text = true;
  what.perfetto = dir.path() + "/trace.json";
  auto text = hv->ExportTrace(what);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const nlohmann::json doc = nlohmann::json::parse(ReadFile(what.perfetto), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not JSON";
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc.contains("traceEvents") && doc["traceEvents"].is_array());
  if (doc.contains("displayTimeUnit")) {
    EXPECT_TRUE(doc["displayTimeUnit"] == "ms" || doc["displayTimeUnit"] == "ns");
  }
  // Format rules.
  std::map<std::pair<int, int>, double> last_ts;
  std::map<std::pair<int, int>, std::vector<std::string>> open_be;
  std::set<int> named_threads;
  std::multiset<std::tuple<int, std::string, std::string, std::string>> durations, instants;
  const std::set<std::string> phases = {"B", "E", "X", "i", "I", "M", "C", "b", "e", "n", "s", "t", "f"};
  for (const nlohmann::json& ev : doc["traceEvents"]) {
    SCOPED_TRACE(ev.dump());
    ASSERT_TRUE(ev.is_object());
    ASSERT_TRUE(ev.contains("ph") && ev["ph"].is_string());
    const std::string ph = ev["ph"];
    EXPECT_TRUE(phases.contains(ph));
    ASSERT_TRUE(ev.contains("pid") && ev["pid"].is_number_integer());
    ASSERT_TRUE(ev.contains("tid") && ev["tid"].is_number_integer());
    const std::pair<int, int> thread{ev["pid"], ev["tid"]};
    if (ph != "E") {
      ASSERT_TRUE(ev.contains("name") && ev["name"].is_string());
    }
    if (ph == "M") {
      if (ev["name"] == "thread_name") named_threads.insert(thread.second);
      ASSERT_TRUE(ev.contains("args") && ev["args"].is_object());
      continue;
    }
    ASSERT_TRUE(ev.contains("ts") && ev["ts"].is_number());
    const double ts = ev["ts"];
    EXPECT_GE(ts, 0.0);
    // Timestamps never go back on a thread.
    if (last_ts.contains(thread)) {
      EXPECT_GE(ts, last_ts[thread]);
    }
    last_ts[thread] = ts;
    if (ph == "X") {
      ASSERT_TRUE(ev.contains("dur") && ev["dur"].is_number());
      EXPECT_GE(ev["dur"].get<double>(), 0.0);
    }
    if (ph == "B") open_be[thread].push_back(ev["name"]);
    if (ph == "E") {
      ASSERT_FALSE(open_be[thread].empty()) << "E without B";
      open_be[thread].pop_back();
    }
    if (ph == "i" || ph == "I") {
      EXPECT_TRUE(!ev.contains("s") || ev["s"] == "t" || ev["s"] == "p" || ev["s"] == "g");
    }
    const std::string info = ev.contains("args") && ev["args"].contains("info")
                                 ? ev["args"]["info"].get<std::string>()
                                 : "";
    // Back to ns, then `trace`'s seconds with truncated microseconds.
    const auto ns = static_cast<unsigned long long>(std::llround(ts * 1000.0));
    char us[32];
    std::snprintf(us, sizeof us, "%llu.%06llu", ns / kNsPerSec, (ns % kNsPerSec) / 1000);
    if (ph == "X") durations.emplace(thread.second, ev["name"], info, us);
    if (ph == "i") instants.emplace(thread.second, ev["name"], info, us);
  }
  for (const auto& [thread, stack] : open_be) EXPECT_TRUE(stack.empty()) << "B without E";
  EXPECT_EQ(named_threads, (std::set<int>{0, 1}));

  // Against `trace`: one duration event per hyp_enter, named after the call inside
  // it; everything else an instant with the same text at the same time.
  std::multiset<std::tuple<int, std::string, std::string, std::string>> want_durations, want_instants;
  const std::vector<TraceLine> lines = ParseOurTrace(*text);
  std::map<int, std::string> enter_ts;
  for (const TraceLine& l : lines) {
    if (l.name == "hyp_enter") {
      enter_ts[l.cpu] = l.ts;
    } else if (l.name == "host_hcall" || l.name == "host_smc" || l.name == "host_mem_abort") {
      want_durations.emplace(l.cpu, l.name, l.info, enter_ts.at(l.cpu));
    } else if (l.name != "hyp_exit") {
      want_instants.emplace(l.cpu, l.name, l.info, l.ts);
    }
  }
  EXPECT_EQ(durations.size(), 11u);  // every host call of the scenario
  EXPECT_EQ(durations, want_durations);
  EXPECT_EQ(instants, want_instants);
  EXPECT_FALSE(instants.empty());
}

#ifdef PKVM_CLI_PATH
// The command line: --print-trace with --tracefs-dump prints the events and
// dumps a tree from which libtraceevent prints the same events.
TEST(TraceeventCliTest, PrintTraceAndDumpShowTheSameEvents) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string dump = dir.path() + "/dump";
  const std::string cmd =
      std::string(PKVM_CLI_PATH) + " run --generation 15 --cpus 2 --trace-clock manual"
      " --cmdline 'kvm-arm.protected_modules=pkvm_driver hyp_event=host_hcall,pkvm_driver_event'"
      " --module " PKVM_DRIVER_A15_SO " --tracefs-write hyp/tracing_on=1"
      " --hvc 128:0x42 --hvc 128:0x43 --hvc 0xc60000fe --print-trace --tracefs-dump " + dump;
  int status = 0;
  const std::string out = RunCommand(cmd + " 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  const size_t at = out.find("trace_pipe:\n");
  ASSERT_NE(at, std::string::npos) << out;
  std::string printed;
  for (absl::string_view line : absl::StrSplit(out.substr(at + 12), '\n'))
    if (!line.empty() && line[0] == '[') absl::StrAppend(&printed, line, "\n");
  EXPECT_EQ(printed,
            "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
            "[000]\t    0.000000: pkvm_driver_event id=0x00000042\n"
            "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
            "[000]\t    0.000000: pkvm_driver_event id=0x00000043\n"
            "[000]\t    0.000000: host_hcall id=254 invalid=1\n");
  TepReader reader;
  ASSERT_NO_FATAL_FAILURE(reader.Load(dump + "/hyp", Generation::kA15));
  const ReadResult r = reader.Read(dump + "/hyp", 2);
  EXPECT_EQ(r.text, printed);
  EXPECT_EQ(ReadFile(dump + "/hyp/trace"), printed);
}
#endif

}  // namespace
}  // namespace pkvm::testing

// File: lib/trace/perfetto.cc
#include "trace/perfetto.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "status_internal.h"

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;
using Json = nlohmann::ordered_json;

namespace {

constexpr int kPid = 1;

// Trace-event timestamps are microseconds; fractions keep the nanoseconds.
double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

struct Out {
  uint64_t ts;
  int order;  // at equal times a host call's duration event comes before what happens inside it
  size_t seq;
  Json ev;
};

bool IsCallEvent(const std::string& name) {
  return name == "host_hcall" || name == "host_smc" || name == "host_mem_abort";
}

}  // namespace

std::string PerfettoJson(const HypTrace& t, const CpuPages& pages) {
  const std::vector<DecodedEvent> events = t.DecodeRawPages(pages);
  std::vector<std::vector<Out>> per_cpu(static_cast<size_t>(std::max(t.cpus(), 1)));
  struct Open {
    uint64_t start = 0;
    std::string name = "hypervisor", info;
  };
  std::vector<std::optional<Open>> open(per_cpu.size());
  size_t seq = 0;
  auto push = [&](int cpu, uint64_t ts, int order, Json ev) {
    per_cpu[static_cast<size_t>(cpu)].push_back(Out{ts, order, seq++, std::move(ev)});
  };
  auto close = [&](int cpu, uint64_t end) {
    Open& o = *open[static_cast<size_t>(cpu)];
    Json ev = {{"name", o.name}, {"cat", "hypervisor"}, {"ph", "X"}, {"ts", Us(o.start)},
               {"dur", Us(end - o.start)}, {"pid", kPid}, {"tid", cpu}};
    if (!o.info.empty()) ev["args"] = {{"info", o.info}};
    push(cpu, o.start, 0, std::move(ev));
    open[static_cast<size_t>(cpu)].reset();
  };
  uint64_t last_ts = 0;
  for (const DecodedEvent& d : events) {
    if (d.cpu < 0 || static_cast<size_t>(d.cpu) >= per_cpu.size()) continue;
    last_ts = std::max(last_ts, d.ts);
    auto& o = open[static_cast<size_t>(d.cpu)];
    if (!d.lost.empty()) {
      push(d.cpu, d.ts, 1,
           Json{{"name", "lost events"}, {"cat", "hypervisor"}, {"ph", "i"}, {"s", "t"},
                {"ts", Us(d.ts)}, {"pid", kPid}, {"tid", d.cpu},
                {"args", {{"info", d.lost.substr(0, d.lost.size() - 1)}}}});
    }
    const std::string name = d.type != nullptr ? d.type->name : "unknown";
    if (name == "hyp_enter") {
      if (o) close(d.cpu, d.ts);  // its exit was lost
      o = Open{d.ts};
      continue;
    }
    if (name == "hyp_exit") {
      if (o) close(d.cpu, d.ts);  // an exit without its entry starts nothing
      continue;
    }
    if (o && IsCallEvent(name) && o->info.empty()) {
      // What the host called: it names the duration event.
      o->name = name;
      o->info = d.info;
      continue;
    }
    push(d.cpu, d.ts, 1,
         Json{{"name", name}, {"cat", "hypervisor"}, {"ph", "i"}, {"s", "t"}, {"ts", Us(d.ts)},
              {"pid", kPid}, {"tid", d.cpu}, {"args", {{"info", d.info}}}});
  }
  for (size_t cpu = 0; cpu < open.size(); ++cpu)
    if (open[cpu]) close(static_cast<int>(cpu), last_ts);  // still inside at the end

  Json trace_events = Json::array();
  trace_events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", kPid}, {"tid", 0},
                          {"args", {{"name", "pKVM hypervisor"}}}});
  for (size_t cpu = 0; cpu < per_cpu.size(); ++cpu) {
    trace_events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", kPid},
                            {"tid", static_cast<int>(cpu)},
                            {"args", {{"name", absl::StrCat("CPU ", cpu)}}}});
    trace_events.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", kPid},
                            {"tid", static_cast<int>(cpu)},
                            {"args", {{"sort_index", static_cast<int>(cpu)}}}});
  }
  for (auto& list : per_cpu) {
    std::sort(list.begin(), list.end(), [](const Out& a, const Out& b) {
      if (a.ts != b.ts) return a.ts < b.ts;
      if (a.order != b.order) return a.order < b.order;
      return a.seq < b.seq;
    });
    for (Out& o : list) trace_events.push_back(std::move(o.ev));
  }
  Json doc = {{"traceEvents", std::move(trace_events)}, {"displayTimeUnit", "ns"}};
  return doc.dump(1) + "\n";
}

absl::Status WritePerfetto(const HypTrace& t, const CpuPages& pages, const std::string& path) {
  const std::string json = PerfettoJson(t, pages);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(json.data(), static_cast<std::streamsize>(json.size()));
  if (!f) return ErrnoError(EIO, absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace pkvm::trace

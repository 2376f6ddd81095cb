// File: lib/trace/tracefs.h
// The hypervisor's directory of tracefs (spec §5.7): `hypervisor/` on A16,
// `hyp/` on A14/A15, with the kernel's files, modes and results; or, in the
// upstream flavour, mainline's trace remote `remotes/hypervisor/`. Each Read()
// or Write() is one open + read/write + close, so open-time semantics apply
// (writing `trace` resets, reading trace_pipe loads the buffers and, when it
// closes with tracing off and nothing left, frees them).
//
//   Tracefs fs(&hyp_trace);
//   fs.Write("hypervisor/events/hypervisor/host_hcall/enable", "1");
//   fs.Write("hypervisor/tracing_on", "1");
//   std::string text = fs.Read("hypervisor/trace_pipe").value();
#ifndef PKVM_LIB_TRACE_TRACEFS_H_
#define PKVM_LIB_TRACE_TRACEFS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trace/hyp_trace.h"

namespace pkvm::trace {

class Tracefs {
 public:
  explicit Tracefs(HypTrace* trace) : t_(trace) {}

  // "hypervisor" (A16), "hyp" (A14, A15) or "remotes/hypervisor" (upstream).
  std::string root() const;

  struct Entry {
    std::string name;
    bool is_dir = false;
    uint32_t mode = 0;  // permission bits
  };

  // Paths are relative to the tracing mount ("hypervisor/tracing_on") or
  // absolute ("/sys/kernel/tracing/hypervisor/tracing_on").
  absl::StatusOr<std::string> Read(const std::string& path);
  absl::Status Write(const std::string& path, const std::string& data);
  absl::StatusOr<std::vector<Entry>> List(const std::string& dir);
  absl::StatusOr<Entry> Stat(const std::string& path);
  // Writes the whole tree into `dir` (created if needed): every readable
  // file, per-CPU trace_pipe_raw pages (consumed) and, as `trace`, the text
  // of those same pages.
  absl::Status Dump(const std::string& dir);
  // The same from pages already read (HypTrace::ConsumeAllRaw), so that one
  // read gives a dump and other outputs with the same events. The upstream
  // tree has no trace_pipe_raw; the dump still stores the pages under that
  // name, where readers of a tracefs copy look for them.
  absl::Status DumpPages(const std::string& dir, const CpuPages& pages);

 private:
  enum class Kind {
    kDir,
    kTracingOn,
    kBufferSizeKb,
    kTraceClock,
    kTrace,
    kTracePipe,
    kCpuTrace,
    kCpuTracePipe,
    kCpuTracePipeRaw,
    kHeaderPage,
    kHeaderEvent,
    kEventsEnable,
    kEventEnable,
    kEventId,
    kEventFormat,
    kFtraceFilter,
    kFtraceNotrace,
  };
  struct Node {
    Kind kind = Kind::kDir;
    uint32_t mode = 0555;
    int cpu = -1;
    const EventType* event = nullptr;
    std::vector<std::string> components;  // after the root
  };
  absl::StatusOr<Node> Resolve(const std::string& path) const;
  std::vector<Entry> Children(const Node& dir) const;
  std::string EventsDirPrefix() const;  // "events/hypervisor" or "events"
  bool upstream() const { return t_->flavor() == TracefsFlavor::kUpstream; }
  // Android kernels from A16 on: hypervisor/ with events/hypervisor/.
  bool since_a16() const { return GenerationNumber(t_->generation()) >= 16; }
  // A16 and later, and upstream: events under events/hypervisor/.
  bool events_have_system() const { return upstream() || since_a16(); }

  HypTrace* t_;
};

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_TRACEFS_H_

// File: lib/trace/hyp_trace.h
// Hypervisor tracing of one simulated machine (spec §5): the event types
// (core events, then each module's in load order), the per-CPU rings the EL2
// writers fill, the hypervisor side of the tracing hypercalls (load, enable,
// swap, reset, teardown, enable_event), trace_hyp_printk formats, function
// tracing, and the host side that turns pages back into trace_pipe text.
// The tracefs files (tracefs.h) are a thin layer over this class.
//
//   HypTrace t(Generation::kA16, /*cpus=*/2, TraceClockKind::kManual);
//   t.SetTracingOn(true);
//   t.EnableEvent("host_hcall", true);
//   t.EmitHostHcall(/*cpu=*/0, 5, false);
//   std::string text = t.ReadPipeText(-1);   // "[000]\t    0.000000: host_hcall id=5 invalid=0\n"
#ifndef PKVM_LIB_TRACE_HYP_TRACE_H_
#define PKVM_LIB_TRACE_HYP_TRACE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkvm/abi/trace.h"
#include "pkvm/generation.h"
#include "pkvm/hyp_event_desc.h"
#include "pkvm/native_module.h"
#include "pkvm/trace_ring.h"

namespace pkvm::trace {

class RingReader;

// Which tracefs the host kernel shows (docs/tracing.md "Flavours"): the
// Android hyp tracing of A14-A16, or mainline's trace remotes
// (remotes/hypervisor/, Linux 7.1). It decides paths, files, results and the
// load descriptor layout; the rings and events are the same.
enum class TracefsFlavor {
  kAndroid,
  kUpstream,
};

enum class TraceClockKind {
  kHost,    // the CPU counter (rdtsc / CNTVCT), calibrated to boot-clock ns
  kManual,  // ns advanced explicitly (deterministic tests)
};

struct EventField {
  std::string type, name;
  uint16_t offset = 0, size = 0;
  bool is_signed = false;
};

// The core hypervisor events (kvm_hypevents.h), in id order.
enum class CoreEvent : int {
  kFunc,
  kFuncRet,
  kHypEnter,
  kHypExit,
  kHostHcall,
  kHostSmc,
  kHostMemAbort,
  kHypPrintk,
  kPsciMemProtect,
  kVcpuIllegalTrap,
  kIommuIdmap,
  kIommuIdmapComplete,
  kPowerLock,
  kCount,
};

struct EventType;

// One event decoded from raw pages (the dump, trace.dat and Perfetto share
// this view of the buffers).
struct DecodedEvent {
  int cpu = 0;
  uint64_t ts = 0;              // ns
  uint16_t id = 0;
  const EventType* type = nullptr;  // nullptr: an id nobody registered
  std::string info;             // what `trace` prints after "<name> "
  std::string lost;             // a "CPU:N [LOST ...]" line printed before it, or ""
};

// Raw ring-buffer pages (kPageSize each) per CPU.
using CpuPages = std::vector<std::pair<int, std::string>>;

struct EventType {
  std::string name;
  uint16_t id = 0;
  std::vector<EventField> fields;
  uint32_t record_size = 2;  // packed record, id included
  std::string print_fmt;     // the `print fmt:` text of the format file
  // Text after "<name> " for one record (core events).
  std::function<std::string(const uint8_t* rec, uint32_t size)> print;
  // Module events: the generated printer.
  void (*module_print)(pkvm_trace_seq*, const void*) = nullptr;
  int* enabled = nullptr;  // the EL2 enable flag
  int module = -1;         // index in modules(), -1 for core
};

class HypTrace {
 public:
  static constexpr uint64_t kDefaultBufferSizeKb = 7;

  HypTrace(Generation gen, int cpus, TraceClockKind clock, uint64_t max_buffer_bytes,
           TracefsFlavor flavor = TracefsFlavor::kAndroid);
  ~HypTrace();
  HypTrace(const HypTrace&) = delete;
  HypTrace& operator=(const HypTrace&) = delete;

  Generation generation() const { return gen_; }
  TracefsFlavor flavor() const { return flavor_; }
  int cpus() const { return cpus_; }

  // ---- EL2 writer side (any module or core code on `cpu`) ----------------
  void* Reserve(int cpu, unsigned long length);
  void Commit(int cpu);
  bool CoreEnabled(CoreEvent e) const {
    return __atomic_load_n(&core_enabled_[static_cast<int>(e)], __ATOMIC_RELAXED) != 0;
  }
  void EmitHypEnter(int cpu);
  void EmitHypExit(int cpu);
  void EmitHostHcall(int cpu, uint32_t id, bool invalid);
  void EmitHostSmc(int cpu, uint64_t id, bool forwarded);
  void EmitHostMemAbort(int cpu, uint64_t esr, uint64_t addr);
  void EmitPsciMemProtect(int cpu, uint64_t count, uint64_t was);
  // A guest locked or unlocked the power of its assigned device (the
  // device_register_power_lock callback returned `ret`).
  void EmitPowerLock(int cpu, int32_t vm, uint64_t device, bool lock, int32_t ret);
  void EmitHypPrintk(int cpu, uint8_t fmt_id, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
  // -finstrument-functions hooks of A16 module code (func / func_ret).
  void FuncEnter(int cpu, uintptr_t fn, uintptr_t call_site);
  void FuncExit(int cpu, uintptr_t fn);
  bool FtraceActive() const { return __atomic_load_n(&ftrace_active_, __ATOMIC_RELAXED) != 0; }
  // A15 ops->register_hyp_event_ids(start, end): the hyp learns where the
  // enable flags of a module's ids are. 0, -EINVAL, -ENOMEM (128 ranges).
  int RegisterHypEventIds(uintptr_t start, uintptr_t end);
  // Where EL2 addresses stored in EL2 data are in this process (set by the
  // Unicorn backend; natively EL2 addresses are host addresses).
  void SetEl2Translator(std::function<void*(uintptr_t)> fn) { el2_to_host_ = std::move(fn); }
  // Hyp panic with CONFIG_PKVM_DUMP_TRACE_ON_PANIC: every writer stops and
  // the remaining events are returned as text (the kernel prints them).
  std::string PanicDump();

  // ---- module loading (host side, then what __pkvm_init_module does) -----
  // `fields`, when given, holds each event's fields (descriptors of AArch64
  // modules, whose fields() and printers are not host code): those events
  // are printed from their print fmt.
  // Assigns ids to the module's events (host, before init) and, for A16,
  // registers its events, printk formats and functions at the hyp. On
  // failure nothing of the module stays registered.
  absl::Status AddModule(const std::string& name, const pkvm_native_module& d,
                         uintptr_t hyp_text_start,
                         const std::vector<std::vector<EventField>>* fields = nullptr);
  // init() failed: forget the module's events, formats and functions.
  void RemoveLastModule();
  // hyp_event=: enables the named events that exist now; returns the names
  // that matched nothing (yet).
  std::vector<std::string> EnableEventsByName(const std::vector<std::string>& names);

  // ---- host side: the operations behind the tracefs files ----------------
  bool tracing_on() const { return tracing_on_; }
  bool loaded() const { return !buffers_.empty(); }
  uint64_t buffer_size_kb() const { return buffer_size_kb_; }
  absl::Status SetBufferSizeKb(uint64_t kb);
  absl::Status SetTracingOn(bool on);
  // Loads the buffers if needed (opening trace_pipe does).
  absl::Status EnsureLoaded();
  // Teardown when nobody needs the buffers: tracing off and nothing unread.
  void MaybeTeardown();
  void Reset(int cpu);  // -1: all CPUs
  const std::vector<EventType>& events() const { return events_; }
  const EventType* FindEvent(const std::string& name) const;
  bool EventEnabled(const EventType& e) const;
  // __pkvm_enable_event(id, on): -EINVAL when the hyp does not know the id.
  absl::Status EnableEvent(const std::string& name, bool on);
  // Consuming reads. cpu -1 merges every CPU by timestamp.
  std::string ReadPipeText(int cpu);
  // Whole raw pages (kPageSize each) of one CPU, consumed.
  std::string ReadPipeRaw(int cpu);
  // Every CPU's raw pages, consumed (loads the buffers as opening
  // trace_pipe_raw does; -ENOMEM when they do not fit): one read that a
  // dump, a trace.dat and a Perfetto trace can all be written from.
  absl::StatusOr<CpuPages> ConsumeAllRaw();
  // The unread events of `cpu` (-1: every CPU) as raw pages, without
  // consuming them: the upstream non-consuming `trace` iterator. Lost-event
  // counts are only known to consuming reads.
  CpuPages CopyRaw(int cpu);
  // Decodes raw pages into events, merged across CPUs by timestamp (the
  // lower CPU first on ties).
  std::vector<DecodedEvent> DecodeRawPages(const CpuPages& cpu_pages) const;
  // "Unknown event id N" (Android) / "UNKNOWN id=N" (upstream).
  std::string UnknownEventText(uint16_t id) const;
  // Formats the events of raw pages read from `cpu` (what `trace` shows of
  // a dump).
  std::string FormatRawPages(const CpuPages& cpu_pages) const;
  std::string HeaderPageText() const;
  // events/header_event: the kernel's description of the event header.
  std::string HeaderEventText() const;
  std::string FormatFileText(const EventType& e) const;
  uint32_t data_size() const;
  // The load descriptor of the last buffer load, in the flavour's layout
  // (trace_desc.h), as the host handed it to the hypervisor.
  const std::vector<uint8_t>& last_load_descriptor() const { return last_desc_; }

  // ---- function tracing (A16) ---------------------------------------------
  struct ModuleInfo {
    std::string name;
    size_t first_event = 0, nr_events = 0;
    size_t first_fmt = 0, nr_fmts = 0;
    bool hyp_events_registered = false;
  };

  struct Function {
    uintptr_t addr = 0;
    std::string name;  // unprefixed
    bool enabled = false;
    int module = -1;
  };
  const std::vector<Function>& functions() const { return functions_; }
  // set_ftrace_filter (replace) / set_ftrace_notrace: -E2BIG over 128
  // characters, -EINVAL when the glob matches no function.
  absl::Status SetFtraceFilter(const std::string& glob);
  absl::Status SetFtraceNotrace(const std::string& glob);
  std::string SymbolName(uintptr_t addr) const;

  // ---- trace_hyp_printk formats -------------------------------------------
  const std::vector<std::string>& printk_formats() const { return printk_fmts_; }

  // ---- clock --------------------------------------------------------------
  // What a machine snapshot keeps of the tracing state: the settings, the
  // events and functions known, which of them are enabled, the manual
  // clock. Not the buffers' contents: a restore empties them (docs/snapshots.md).
  struct SavedState {
    bool tracing_on = false;
    uint64_t buffer_size_kb = kDefaultBufferSizeKb;
    uint64_t manual_ns = 0;
    std::array<int, static_cast<int>(CoreEvent::kCount)> core_enabled{};
    std::vector<EventType> events;
    absl::flat_hash_map<uint16_t, size_t> by_id;
    absl::flat_hash_map<std::string, size_t> by_name;
    uint16_t next_id = 0;
    absl::flat_hash_map<uint16_t, int*> hyp_event_flags;
    int nr_hyp_id_ranges = 0, nr_modules_with_events = 0;
    std::vector<ModuleInfo> modules;
    std::vector<std::string> printk_fmts;
    std::vector<Function> functions;
  };
  SavedState Save() const;
  // Back to `s`, with empty buffers. Cheap when only enable flags changed.
  absl::Status Restore(const SavedState& s);

  void AdvanceClock(uint64_t ns) { manual_ns_.fetch_add(ns, std::memory_order_relaxed); }
  uint64_t NowNs() const { return clock_.Now(); }

 private:
  struct CpuBuffer;

  void DefineCoreEvents();
  template <typename Rec>
  void EmitCore(int cpu, CoreEvent e, Rec rec);
  std::string EventText(const uint8_t* rec, uint32_t size) const;
  std::string FormatLine(int cpu, uint64_t ts, const uint8_t* rec, uint32_t size) const;
  void UpdateFtraceActive();
  void TeardownBuffers();
  bool BufferEmpty();

  const Generation gen_;
  const TracefsFlavor flavor_;
  const int cpus_;
  const TraceClockKind clock_kind_;
  const uint64_t max_buffer_bytes_;
  std::atomic<uint64_t> manual_ns_{0};
  TraceClock clock_{};

  std::vector<EventType> events_;
  absl::flat_hash_map<uint16_t, size_t> by_id_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  std::array<int, static_cast<int>(CoreEvent::kCount)> core_enabled_{};
  std::array<uint16_t, static_cast<int>(CoreEvent::kCount)> core_id_{};
  uint16_t next_id_ = 0;
  // The hyp's view: id -> enable flag (core, then registered module ids).
  absl::flat_hash_map<uint16_t, int*> hyp_event_flags_;
  std::function<void*(uintptr_t)> el2_to_host_;
  int nr_hyp_id_ranges_ = 0;  // A15 register_hyp_event_ids calls
  int nr_modules_with_events_ = 0;  // A16 register_hyp_mod_events
  std::vector<ModuleInfo> modules_;
  std::vector<std::string> printk_fmts_;  // core formats, then modules'

  std::vector<Function> functions_;  // sorted by addr
  int ftrace_active_ = 0;
  struct ShadowStack {
    std::array<uintptr_t, 32> fn{};
    int depth = 0;
  };
  std::vector<ShadowStack> shadow_;

  bool tracing_on_ = false;
  uint64_t buffer_size_kb_ = kDefaultBufferSizeKb;
  std::vector<std::unique_ptr<CpuBuffer>> buffers_;
  std::vector<uint8_t> last_desc_;
};

}  // namespace pkvm::trace

#endif  // PKVM_LIB_TRACE_HYP_TRACE_H_

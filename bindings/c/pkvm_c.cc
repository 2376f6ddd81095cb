// File: bindings/c/pkvm_c.cc
// The C API (include/pkvm/pkvm.h) over pkvm::Hypervisor. Every entry point
// checks its pointers, converts pkvm::Status into a negative errno plus the
// handle's last-error message and catches every exception.
#include "pkvm/pkvm.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "pkvm/abi/ptrace.h"
#include "pkvm/hypervisor.h"
#include "pkvm/page_state.h"
#include "pkvm/status.h"
#include "trace_line.h"

#ifndef PKVM_VERSION_STRING
#error "PKVM_VERSION_STRING must be defined by the build"
#endif

static_assert(sizeof(pkvm_regs) == sizeof(user_pt_regs), "pkvm_regs mirrors user_pt_regs");
static_assert(offsetof(pkvm_regs, sp) == offsetof(user_pt_regs, sp));
static_assert(offsetof(pkvm_regs, pc) == offsetof(user_pt_regs, pc));
static_assert(offsetof(pkvm_regs, pstate) == offsetof(user_pt_regs, pstate));

struct pkvm_machine {
  std::unique_ptr<pkvm::Hypervisor> hv;
  std::string last_error;
  // Strings handed out by the API: valid until the next call of the same function.
  std::string boot_log, serial_output, panic_report;
  // Content of a tracefs read that did not fit the caller's buffer.
  std::string pending_path, pending_data;
  bool has_pending = false;
  // pkvm_trace_pipe_next(): lines read from trace_pipe not returned yet, and
  // the strings of the event returned last.
  std::deque<std::string> trace_lines;
  std::string event_name, event_text;
};

struct pkvm_snapshot {
  pkvm::Snapshot snapshot;
};

namespace {

thread_local std::string g_create_error;
thread_local std::string g_strerror;

int Fail(pkvm_machine* m, int err, std::string message) {
  if (err > 0) err = -err;
  if (m != nullptr) m->last_error = pkvm::Status(err, std::move(message)).ToString();
  return err;
}

int FromStatus(pkvm_machine* m, const pkvm::Status& s) {
  if (s.ok()) return 0;
  if (m != nullptr) m->last_error = s.ToString();
  return s.error();
}

// Runs `fn` (returning int) with exceptions converted into errors.
template <typename Fn>
int Guard(pkvm_machine* m, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Fail(m, ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    try {
      return Fail(m, EIO, std::string("internal error: ") + e.what());
    } catch (...) {
      return -EIO;
    }
  } catch (...) {
    return Fail(m, EIO, "internal error: unknown exception");
  }
}

int CheckPtr(pkvm_machine* m, const void* p, const char* what) {
  if (p == nullptr) return Fail(m, EINVAL, std::string(what) + " is NULL");
  return 0;
}

// The ERANGE contract of pkvm_tracefs_read()/pkvm_tracefs_list().
int CopyOut(pkvm_machine* m, const std::string& path, std::string data, char* buf, size_t size,
            size_t* len_out) {
  if (len_out != nullptr) *len_out = data.size();
  if (buf == nullptr || size < data.size() + 1) {
    m->pending_path = path;
    m->pending_data = std::move(data);
    m->has_pending = true;
    return Fail(m, ERANGE,
                "buffer of " + std::to_string(size) + " bytes too small for " + path + ": need " +
                    std::to_string(m->pending_data.size() + 1));
  }
  std::memcpy(buf, data.data(), data.size());
  buf[data.size()] = '\0';
  return 0;
}

const char* KeepString(std::string& slot, std::string value) {
  slot = std::move(value);
  return slot.c_str();
}

}  // namespace

extern "C" {

const char* pkvm_version(void) { return PKVM_VERSION_STRING; }
int pkvm_api_version(void) { return PKVM_C_API_VERSION; }

void pkvm_machine_options_init(struct pkvm_machine_options* opts) {
  if (opts == nullptr) return;
  opts->generation = 15;
  opts->cpus = 1;
  opts->cmdline = nullptr;
  opts->backend = nullptr;
  opts->ram_size = 64ull << 20;
  opts->trace_clock = PKVM_TRACE_CLOCK_HOST;
  opts->tracefs_flavor = nullptr;
  opts->gdb_port = -1;
  opts->coverage_lcov = nullptr;
  opts->coverage_drcov = nullptr;
}

const char* pkvm_create_error(void) { return g_create_error.c_str(); }

int pkvm_machine_create(const struct pkvm_machine_options* opts, pkvm_machine** out) {
  try {
    g_create_error.clear();
    auto fail = [](int err, std::string msg) {
      g_create_error = pkvm::Status(-err, std::move(msg)).ToString();
      return -err;
    };
    if (out == nullptr) return fail(EINVAL, "out is NULL");
    *out = nullptr;
    if (opts == nullptr) return fail(EINVAL, "opts is NULL");
    pkvm::HypervisorOptions o;
    if (!pkvm::IsValidGeneration(opts->generation))
      return fail(EINVAL, "unknown generation " + std::to_string(opts->generation) +
                              " (14, 15, 16 or 17)");
    o.generation = static_cast<pkvm::Generation>(opts->generation);
    o.cpus = opts->cpus;
    if (opts->cmdline != nullptr) o.cmdline = opts->cmdline;
    if (opts->backend != nullptr) {
      auto kind = pkvm::ParseBackend(opts->backend);
      if (!kind.ok()) {
        g_create_error = kind.status().ToString();
        return kind.status().error();
      }
      o.backend = *kind;
    }
    o.ram_size = opts->ram_size;
    o.gdb_port = opts->gdb_port;
    if (opts->coverage_lcov != nullptr) o.coverage_lcov = opts->coverage_lcov;
    if (opts->coverage_drcov != nullptr) o.coverage_drcov = opts->coverage_drcov;
    if (opts->trace_clock == PKVM_TRACE_CLOCK_HOST) {
      o.trace_clock = pkvm::TraceClockSource::kHost;
    } else if (opts->trace_clock == PKVM_TRACE_CLOCK_MANUAL) {
      o.trace_clock = pkvm::TraceClockSource::kManual;
    } else {
      return fail(EINVAL, "unknown trace clock " + std::to_string(opts->trace_clock));
    }
    if (opts->tracefs_flavor != nullptr) {
      auto flavor = pkvm::ParseTracefsFlavor(opts->tracefs_flavor);
      if (!flavor.ok()) {
        g_create_error = flavor.status().ToString();
        return flavor.status().error();
      }
      o.tracefs_flavor = *flavor;
    }
    auto hv = pkvm::Hypervisor::Create(o);
    if (!hv.ok()) {
      g_create_error = hv.status().ToString();
      return hv.status().error();
    }
    auto m = std::make_unique<pkvm_machine>();
    m->hv = std::move(hv).value();
    *out = m.release();
    return 0;
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  } catch (...) {
    return -EIO;
  }
}

void pkvm_machine_destroy(pkvm_machine* m) {
  try {
    delete m;
  } catch (...) {
  }
}

const char* pkvm_strerror(int err) {
  if (err < 0) err = -err;
  if (err == 0) return "OK";
  try {
    std::string name = pkvm::ErrnoName(err);
    const char* desc = nullptr;
    if (err == 524) {
      desc = "Operation is not supported (kernel-internal ENOTSUPP)";
    } else {
      if (const char* n = strerrorname_np(err); n != nullptr) name = n;
      desc = strerrordesc_np(err);
    }
    g_strerror = "-" + name + ": " + (desc != nullptr ? desc : "Unknown error");
    return g_strerror.c_str();
  } catch (...) {
    return "unknown error";
  }
}

int pkvm_backend_available(const char* name) {
  if (name == nullptr) return -EINVAL;
  try {
    auto kind = pkvm::ParseBackend(name);
    if (kind.ok()) return 1;
    return kind.status().error() == -EOPNOTSUPP ? 0 : kind.status().error();
  } catch (...) {
    return -ENOMEM;
  }
}

const char* pkvm_machine_backend(const pkvm_machine* m) {
  return m == nullptr ? "" : pkvm::BackendName(m->hv->backend());
}

int pkvm_machine_generation(const pkvm_machine* m) {
  if (m == nullptr) return -EINVAL;
  return pkvm::GenerationNumber(m->hv->generation());
}

const char* pkvm_last_error(const pkvm_machine* m) {
  return m == nullptr ? "" : m->last_error.c_str();
}

int pkvm_offer_module_file(pkvm_machine* m, const char* path) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, path, "path")) return e;
    auto r = m->hv->OfferModuleFile(path);
    return r.ok() ? 0 : FromStatus(m, r.status());
  });
}

int pkvm_boot(pkvm_machine* m) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] { return FromStatus(m, m->hv->Boot()); });
}

int pkvm_machine_state(const pkvm_machine* m) {
  if (m == nullptr) return -EINVAL;
  switch (m->hv->state()) {
    case pkvm::MachineState::kCreated: return PKVM_STATE_CREATED;
    case pkvm::MachineState::kDeprivileged: return PKVM_STATE_DEPRIVILEGED;
    case pkvm::MachineState::kPanicked: return PKVM_STATE_PANICKED;
  }
  return -EIO;
}

int pkvm_protected_vms_enabled(const pkvm_machine* m) {
  if (m == nullptr) return -EINVAL;
  return m->hv->protected_vms_enabled() ? 1 : 0;
}

int pkvm_hvc(pkvm_machine* m, int cpu, struct pkvm_regs* regs) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, regs, "regs")) return e;
    user_pt_regs in;
    std::memcpy(&in, regs, sizeof(in));
    auto r = m->hv->HostHvc(in, cpu);
    if (!r.ok()) return FromStatus(m, r.status());
    std::memcpy(regs, &r->regs, sizeof(*regs));
    return 0;
  });
}

int pkvm_smc(pkvm_machine* m, int cpu, struct pkvm_regs* regs, int* handled_by_module,
             int* forwarded_to_el3) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, regs, "regs")) return e;
    user_pt_regs in;
    std::memcpy(&in, regs, sizeof(in));
    auto r = m->hv->HostSmc(in, cpu);
    if (!r.ok()) return FromStatus(m, r.status());
    std::memcpy(regs, &r->result.regs, sizeof(*regs));
    if (handled_by_module != nullptr) *handled_by_module = r->handled_by_module ? 1 : 0;
    if (forwarded_to_el3 != nullptr) *forwarded_to_el3 = r->forwarded_to_el3 ? 1 : 0;
    return 0;
  });
}

int pkvm_inject_host_perm_fault(pkvm_machine* m, int cpu, uint64_t esr, uint64_t addr,
                                int* result) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    auto r = m->hv->InjectHostPermFault(esr, addr, cpu);
    if (!r.ok()) return FromStatus(m, r.status());
    if (result != nullptr) *result = *r;
    return 0;
  });
}

int pkvm_inject_host_trap(pkvm_machine* m, int cpu, uint64_t esr, int* handled) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    auto r = m->hv->InjectHostTrap(esr, cpu);
    if (!r.ok()) return FromStatus(m, r.status());
    if (handled != nullptr) *handled = *r ? 1 : 0;
    return 0;
  });
}

int pkvm_inject_psci(pkvm_machine* m, int cpu, int what) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (what < PKVM_PSCI_NOTIFY_CPU_SUSPEND || what > PKVM_PSCI_NOTIFY_CPU_ENTRY)
      return Fail(m, EINVAL, "unknown PSCI notification " + std::to_string(what));
    return FromStatus(m, m->hv->InjectPsci(static_cast<pkvm::PsciNotification>(what), cpu));
  });
}

int pkvm_inject_serror(pkvm_machine* m, int cpu, int* unmask) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    auto r = m->hv->InjectSError(cpu);
    if (!r.ok()) return FromStatus(m, r.status());
    if (unmask != nullptr) *unmask = *r ? 1 : 0;
    return 0;
  });
}

int pkvm_inject_hyp_panic(pkvm_machine* m, int cpu, const char* reason) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    return FromStatus(m, m->hv->InjectHypPanic(reason != nullptr ? reason : "", cpu));
  });
}

int pkvm_tracefs_read(pkvm_machine* m, const char* path, char* buf, size_t size,
                      size_t* len_out) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, path, "path")) return e;
    std::string data;
    if (m->has_pending && m->pending_path == path) {
      data = std::move(m->pending_data);
      m->has_pending = false;
    } else {
      m->has_pending = false;
      auto r = m->hv->TracefsRead(path);
      if (!r.ok()) return FromStatus(m, r.status());
      data = std::move(r).value();
    }
    return CopyOut(m, path, std::move(data), buf, size, len_out);
  });
}

int pkvm_tracefs_write(pkvm_machine* m, const char* path, const char* data, size_t len) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, path, "path")) return e;
    if (data == nullptr && len != 0) return Fail(m, EINVAL, "data is NULL");
    return FromStatus(m, m->hv->TracefsWrite(path, std::string(data != nullptr ? data : "", len)));
  });
}

int pkvm_tracefs_list(pkvm_machine* m, const char* dir, char* buf, size_t size, size_t* len_out) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, dir, "dir")) return e;
    std::string key = std::string("\x01list:") + dir;  // never a tracefs path
    std::string data;
    if (m->has_pending && m->pending_path == key) {
      data = std::move(m->pending_data);
      m->has_pending = false;
    } else {
      m->has_pending = false;
      auto r = m->hv->TracefsList(dir);
      if (!r.ok()) return FromStatus(m, r.status());
      for (const pkvm::TracefsEntry& e : *r) data += e.name + (e.is_dir ? "/\n" : "\n");
    }
    int rc = CopyOut(m, key, std::move(data), buf, size, len_out);
    if (rc == -ERANGE) m->last_error = "-ERANGE: buffer too small for the listing of " +
                                       std::string(dir);
    return rc;
  });
}

int pkvm_tracefs_dump(pkvm_machine* m, const char* dir) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, dir, "dir")) return e;
    return FromStatus(m, m->hv->TracefsDump(dir));
  });
}

int pkvm_export_trace(pkvm_machine* m, const char* tracefs_dir, const char* trace_dat,
                      const char* perfetto) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    pkvm::TraceExport what;
    if (tracefs_dir != nullptr) what.tracefs_dir = tracefs_dir;
    if (trace_dat != nullptr) what.trace_dat = trace_dat;
    if (perfetto != nullptr) what.perfetto = perfetto;
    auto r = m->hv->ExportTrace(what);
    return FromStatus(m, r.ok() ? pkvm::Status() : r.status());
  });
}

int pkvm_write_trace_dat(pkvm_machine* m, const char* path) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, path, "path")) return e;
    return FromStatus(m, m->hv->WriteTraceDat(path));
  });
}

int pkvm_write_perfetto(pkvm_machine* m, const char* path) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, path, "path")) return e;
    return FromStatus(m, m->hv->WritePerfetto(path));
  });
}

int pkvm_advance_trace_clock(pkvm_machine* m, uint64_t ns) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    m->hv->AdvanceTraceClock(ns);
    return 0;
  });
}

int pkvm_trace_pipe_next(pkvm_machine* m, struct pkvm_trace_event* ev) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, ev, "ev")) return e;
    if (m->trace_lines.empty()) {
      auto r = m->hv->TracefsRead(m->hv->tracefs_root() + "/trace_pipe");
      if (!r.ok()) return FromStatus(m, r.status());
      const std::string& text = *r;
      size_t i = 0;
      while (i < text.size()) {
        size_t end = text.find('\n', i);
        if (end == std::string::npos) end = text.size();
        if (end > i) m->trace_lines.emplace_back(text, i, end - i);
        i = end + 1;
      }
    }
    if (m->trace_lines.empty()) return 0;
    std::string line = std::move(m->trace_lines.front());
    m->trace_lines.pop_front();
    auto parsed = pkvm::bindings::ParseTraceLine(line);
    if (!parsed) return Fail(m, EIO, "not a trace_pipe line: \"" + line + "\"");
    m->event_name = std::move(parsed->name);
    m->event_text = std::move(parsed->text);
    ev->cpu = parsed->cpu;
    ev->timestamp_ns = parsed->timestamp_ns;
    ev->name = m->event_name.c_str();
    ev->text = m->event_text.c_str();
    return 1;
  });
}

int pkvm_trace_event_field(const struct pkvm_trace_event* ev, const char* key, uint64_t* value) {
  if (ev == nullptr || key == nullptr || value == nullptr || ev->text == nullptr) return -EINVAL;
  try {
    for (const auto& [k, v] : pkvm::bindings::ParseTraceFields(ev->text)) {
      if (k != key) continue;
      return pkvm::bindings::ParseFieldInteger(v, value) ? 0 : -EINVAL;
    }
    return -ENOENT;
  } catch (...) {
    return -ENOMEM;
  }
}

int pkvm_snapshot_take(pkvm_machine* m, pkvm_snapshot** out) {
  if (out != nullptr) *out = nullptr;
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, out, "out")) return e;
    auto r = m->hv->TakeSnapshot();
    if (!r.ok()) return FromStatus(m, r.status());
    *out = new pkvm_snapshot{std::move(r).value()};
    return 0;
  });
}

int pkvm_snapshot_restore(pkvm_machine* m, const pkvm_snapshot* s) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, s, "snapshot")) return e;
    int rc = FromStatus(m, m->hv->RestoreSnapshot(s->snapshot));
    if (rc == 0) {
      // What the handle buffered belongs to the state before the restore.
      m->trace_lines.clear();
      m->has_pending = false;
      m->pending_data.clear();
    }
    return rc;
  });
}

void pkvm_snapshot_free(pkvm_snapshot* s) {
  try {
    delete s;
  } catch (...) {
  }
}

int pkvm_page_state(pkvm_machine* m, uint64_t pfn, struct pkvm_page_state* out) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (int e = CheckPtr(m, out, "out")) return e;
    pkvm::PageState s = m->hv->page_state(pfn);
    std::memset(out, 0, sizeof(*out));
    out->pfn = s.pfn;
    out->kind = static_cast<int>(s.kind);
    std::strncpy(out->region, s.region.c_str(), sizeof(out->region) - 1);
    out->owner = static_cast<int>(s.owner);
    out->guest = s.guest;
    out->host = static_cast<int>(s.host);
    out->hyp = static_cast<int>(s.hyp);
    out->host_prot = s.host_prot;
    out->host_prot_modified = s.host_prot_modified ? 1 : 0;
    out->iommu_prot = s.iommu_prot;
    out->lazy_pte = s.lazy_pte ? 1 : 0;
    out->pins = s.pins;
    out->dma_refs = s.dma_refs;
    out->hyp_prot = s.hyp_prot;
    out->el2_mappings = s.el2_mappings;
    out->hyp_use = static_cast<int>(s.hyp_use);
    return 0;
  });
}

// The C enums follow the C++ enumerators' order.
static_assert(static_cast<int>(pkvm::PageKind::kNone) == PKVM_PAGE_NONE);
static_assert(static_cast<int>(pkvm::PageOwner::kNone) == PKVM_OWNER_NONE);
static_assert(static_cast<int>(pkvm::PageOwner::kProtected) == PKVM_OWNER_PROTECTED);
static_assert(static_cast<int>(pkvm::PkvmPageState::kNoPage) == PKVM_PAGE_NOPAGE);
static_assert(static_cast<int>(pkvm::PkvmPageState::kSharedBorrowed) == PKVM_PAGE_SHARED_BORROWED);
static_assert(static_cast<int>(pkvm::HypUse::kIommuAtomicPool) == PKVM_HYP_USE_IOMMU_ATOMIC_POOL);
static_assert(static_cast<int>(pkvm::PsciNotification::kCpuEntry) == PKVM_PSCI_NOTIFY_CPU_ENTRY);

int pkvm_host_read(pkvm_machine* m, int cpu, uint64_t phys, void* buf, size_t len) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (buf == nullptr && len != 0) return Fail(m, EINVAL, "buf is NULL");
    return FromStatus(m, m->hv->host_read(phys, buf, len, cpu));
  });
}

int pkvm_host_write(pkvm_machine* m, int cpu, uint64_t phys, const void* buf, size_t len) {
  if (m == nullptr) return -EINVAL;
  return Guard(m, [&] {
    if (buf == nullptr && len != 0) return Fail(m, EINVAL, "buf is NULL");
    return FromStatus(m, m->hv->host_write(phys, buf, len, cpu));
  });
}

const char* pkvm_boot_log(pkvm_machine* m) {
  if (m == nullptr) return "";
  try {
    return KeepString(m->boot_log, m->hv->boot_log());
  } catch (...) {
    return "";
  }
}

const char* pkvm_serial_output(pkvm_machine* m) {
  if (m == nullptr) return "";
  try {
    return KeepString(m->serial_output, m->hv->serial_output());
  } catch (...) {
    return "";
  }
}

const char* pkvm_panic_report(pkvm_machine* m) {
  if (m == nullptr) return "";
  try {
    return KeepString(m->panic_report, m->hv->panic_report());
  } catch (...) {
    return "";
  }
}

}  // extern "C"

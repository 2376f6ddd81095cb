// File: lib/hypervisor.cc
// The simulated machine: boot -> module loading -> deprivilege (spec §2-§4),
// the hypervisor's host-hypercall handler and the public Hypervisor API.
#include "pkvm/hypervisor.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "devices/devices.h"
#include "host/module_loader.h"
#include "host/module_param.h"
#include "machine.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"
#include "trace/tracefs.h"

namespace pkvm {

using internal::ErrnoError;

// ---- execution context ------------------------------------------------------

namespace {
thread_local const ExecContext* tls_context = nullptr;
thread_local PanicGuard* tls_guard = nullptr;

std::string Hex(uint64_t v) { return absl::StrFormat("0x%x", v); }
}  // namespace

const ExecContext* CurrentContext() { return tls_context; }

Hypervisor::Impl& OpsMachine() {
  if (tls_context == nullptr) {
    std::fputs("libpkvm: pkvm_module_ops called outside a simulated machine\n", stderr);
    std::abort();
  }
  return *tls_context->machine;
}
const ExecContext*& CurrentContextSlot() { return tls_context; }
PanicGuard*& CurrentPanicGuard() { return tls_guard; }

ScopedContext::ScopedContext(Hypervisor::Impl* m, int cpu, ExceptionLevel el)
    : prev_(tls_context), ctx_{m, cpu, el} {
  tls_context = &ctx_;
}
ScopedContext::~ScopedContext() { tls_context = prev_; }

void PanicUnwind() {
  if (tls_guard != nullptr) std::longjmp(tls_guard->buf, 1);
  // Module code panicked outside any guarded entry: nothing to unwind to.
  std::fputs("libpkvm: panic outside a guarded module call\n", stderr);
  std::abort();
}

// ---- Impl -------------------------------------------------------------------

namespace {
std::atomic<uint64_t> g_next_machine_id{1};
}  // namespace

Hypervisor::Impl::Impl(const HypervisorOptions& o, internal::KernelCmdline c)
    : machine_id(g_next_machine_id.fetch_add(1)),
      opts(o),
      cmdline(std::move(c)),
      gen(o.generation),
      finalize_id(pkvm_prot_finalize_id(GenerationNumber(o.generation))),
      cpus(static_cast<size_t>(o.cpus)) {
  ram_size = o.ram_size;
  void* p = mmap(nullptr, ram_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ram = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  // 4 KiB pages: a host write to one page must not zero (and a snapshot
  // restore split) a 2 MiB transparent huge page.
  if (ram != nullptr) madvise(ram, ram_size, MADV_NOHUGEPAGE);
  // Trace buffers come out of the host's memory: at most half of it.
  trace = std::make_unique<trace::HypTrace>(
      gen, o.cpus,
      o.trace_clock == TraceClockSource::kManual ? trace::TraceClockKind::kManual
                                                 : trace::TraceClockKind::kHost,
      ram_size / 2,
      (o.tracefs_flavor == TracefsFlavor::kDefault ? DefaultTracefsFlavor(o.generation)
                                                   : o.tracefs_flavor) == TracefsFlavor::kUpstream
          ? trace::TracefsFlavor::kUpstream
          : trace::TracefsFlavor::kAndroid);
  tracefs = std::make_unique<trace::Tracefs>(trace.get());
  InitModuleOps(*this);
  // Last: a backend may take over ops members and watch the page model.
  if (ram != nullptr) {
    auto b = CreateBackend(*this, o.backend);
    if (b.ok())
      backend = *std::move(b);
    else
      backend_error = b.status();
  }
}

Hypervisor::Impl::~Impl() {
  backend.reset();  // it may hold mappings of RAM
  if (ram != nullptr) munmap(ram, ram_size);
}

uint64_t Hypervisor::Impl::HostToEl2(const void* p, uint64_t size) {
  const uint64_t v = backend->HostToEl2(p, size);
  if (v == 0 && p != nullptr)
    Log(absl::StrFormat("libpkvm: host object %p cannot be shown to EL2 code", p));
  return v;
}

const void* Hypervisor::Impl::ops_for_generation() const {
  switch (gen) {
    case Generation::kA14: return &ops_a14;
    case Generation::kA15: return &ops_a15;
    case Generation::kA16: return &ops_a16;
    case Generation::kA17: return &ops_a17;
  }
  return nullptr;
}

void Hypervisor::Impl::Log(const std::string& line) { absl::StrAppend(&boot_log, line, "\n"); }

void Hypervisor::Impl::PollTrace() {
  // hyp_trace_printk: the host polls the buffers and prints each event.
  if (!trace_printk_mirror || !trace->loaded()) return;
  absl::StrAppend(&boot_log, trace->ReadPipeText(-1));
}

void Hypervisor::Impl::ReportUnimplemented(const char* op) {
  if (unimplemented_reported.insert(op).second)
    Log(absl::StrCat("hyp: pkvm_module_ops->", op,
                     "() is not implemented by this libpkvm yet; it returned an error"));
}

absl::Status Hypervisor::Impl::CheckRunnable() const {
  if (state == MachineState::kPanicked)
    return ErrnoError(EIO, absl::StrCat("the hypervisor panicked: ", PanicHeadline()));
  return absl::OkStatus();
}

std::string Hypervisor::Impl::PanicHeadline() const {
  const size_t nl = panic_report.find('\n');
  if (nl == std::string::npos) return panic_report;
  return absl::StrCat(panic_report.substr(0, nl), " (the full report is in the boot log)");
}

void Hypervisor::Impl::HypPanic(const std::string& reason, int cpu) {
  if (state == MachineState::kPanicked) return;
  state = MachineState::kPanicked;
  panic_report = absl::StrCat("HYP panic on CPU", cpu, ": ", reason);
  Log(panic_report);
  // CONFIG_PKVM_DUMP_TRACE_ON_PANIC: the last events reach the console.
  if (trace->loaded()) {
    const std::string dump = trace->PanicDump();
    if (!dump.empty()) {
      Log("hyp trace: events before the panic:");
      absl::StrAppend(&boot_log, dump);
    }
  }
  if (panic_notifier != 0 && !panic_notifier_ran) {
    panic_notifier_ran = true;
    kvm_cpu_context* ctx = &cpus[cpu].host_ctxt;
    if (gen == Generation::kA14)
      CallEl2Void(panic_notifier, cpu, ctx);
    else
      CallEl2Void(panic_notifier, cpu, &ctx->regs);
  }
}

uint64_t Hypervisor::Impl::ResolveEl2Code(uint64_t addr) const {
  // A hyp VA of a module page mapped executable.
  if (auto it = hyp_pages.find(addr & kPageMask); it != hyp_pages.end()) {
    if ((it->second.prot & KVM_PGTABLE_PROT_X) == 0) return 0;
    return it->second.host_page + (addr & ~kPageMask);
  }
  // Native EL2 code is not relocated: addresses it takes of its own functions
  // are host addresses of its (mapped) text pages.
  if (auto it = host_to_hyp.find(addr & kPageMask); it != host_to_hyp.end()) {
    const HypPage& page = hyp_pages.at(it->second);
    if ((page.prot & KVM_PGTABLE_PROT_X) == 0) return 0;
    return addr;
  }
  return 0;
}

uint64_t Hypervisor::Impl::ResolveEl2CodeOrPanic(uint64_t addr, int cpu) {
  const uint64_t host = ResolveEl2Code(addr);
  if (host == 0)
    HypPanic(absl::StrCat("EL2 instruction abort: no executable EL2 mapping at ", Hex(addr)), cpu);
  return host;
}

bool Hypervisor::Impl::IsModuleText(uint64_t hyp_va) const {
  auto it = hyp_pages.find(hyp_va & kPageMask);
  return it != hyp_pages.end() && (it->second.prot & KVM_PGTABLE_PROT_X) != 0;
}

int Hypervisor::Impl::RegisterChain(std::vector<HandlerSlot>& chain, uint64_t cb) {
  const size_t limit = gen == Generation::kA14 ? 1 : kMaxHandlers;
  if (chain.size() >= limit) return -EBUSY;
  chain.push_back(cb);
  return 0;
}

int Hypervisor::Impl::RegisterSlot(HandlerSlot& slot, uint64_t cb) {
  if (slot != 0) return -EBUSY;
  slot = cb;
  return 0;
}

// ---- EL2: host hypercalls ---------------------------------------------------

uint64_t Hypervisor::Impl::AllocModuleVa(uint64_t nr_pages) {
  // Carves nr_pages out of the private VA range; 0 when exhausted.
  if (nr_pages == 0 || nr_pages > (kModuleVaEnd - next_module_va) / kPageSize) return 0;
  const uint64_t va = next_module_va;
  next_module_va += nr_pages * kPageSize;
  module_va_ranges.emplace_back(va, next_module_va);
  return va;
}

namespace {
// Size of the static host hypercall table: everything from
// __pkvm_prot_finalize up is the unprivileged set (VM management, tracing...).
constexpr uint32_t kNrStaticHcalls = 64;
}  // namespace

void Hypervisor::Impl::HandleHostHcall(int cpu) {
  kvm_cpu_context* ctx = &cpus[cpu].host_ctxt;
  const bool depriv = protected_mode_initialized;
  // Routing presets x0 (A14 SUCCESS, NOT_SUPPORTED): read the id first.
  const uint32_t w0 = static_cast<uint32_t>(ctx->regs.regs[0]);
  HostHcallTarget t;
  switch (gen) {
    case Generation::kA14:
      t = RouteHostHcall<Generation::kA14>(ctx, registry, depriv, finalize_id, kNrStaticHcalls);
      break;
    case Generation::kA15:
      t = RouteHostHcall<Generation::kA15>(ctx, registry, depriv, finalize_id, kNrStaticHcalls);
      break;
    default:
      t = RouteHostHcall<Generation::kA16>(ctx, registry, depriv, finalize_id, kNrStaticHcalls);
      break;
  }
  trace->EmitHypEnter(cpu);
  trace->EmitHostHcall(cpu, w0 - PKVM_HOST_SMCCC_ID(0), t.route == HcallRoute::kNotSupported);
  switch (t.route) {
    case HcallRoute::kNotSupported:
      break;
    case HcallRoute::kDynamic:
      CallEl2Void(t.handler, cpu, t.arg);
      break;
    case HcallRoute::kStatic:
      RunStaticHcall(t.static_id, ctx, cpu);
      break;
  }
  trace->EmitHypExit(cpu);
}

void Hypervisor::Impl::RunStaticHcall(uint32_t id, kvm_cpu_context* ctx, int cpu) {
  pkvm_u64* x = ctx->regs.regs;
  auto ret = [&](int64_t v) { x[1] = static_cast<uint64_t>(v); };
  switch (id) {
    case PKVM_HCALL_pkvm_alloc_module_va:
      return ret(static_cast<int64_t>(AllocModuleVa(x[1])));
    case PKVM_HCALL_pkvm_map_module_page: {
      // x1 = pfn, x2 = hyp va, x3 = prot. Native "pfns" are host page numbers
      // of the module image (docs/native-backend.md).
      const uint64_t pfn = x[1], va = x[2], prot = x[3];
      bool in_range = false;
      for (const auto& [s, e] : module_va_ranges) in_range |= (va >= s && va < e);
      if ((va & ~kPageMask) != 0 || !in_range) return ret(-EINVAL);
      const uint64_t host = backend->ModulePageHost(pfn);
      if (host == 0) return ret(-EINVAL);
      if (hyp_pages.count(va) != 0 || host_to_hyp.count(host) != 0) return ret(-EEXIST);
      hyp_pages[va] = HypPage{host, prot};
      host_to_hyp[host] = va;
      return ret(0);
    }
    case PKVM_HCALL_pkvm_unmap_module_page: {
      const uint64_t pfn = x[1], va = x[2];
      auto it = hyp_pages.find(va);
      if (it == hyp_pages.end() || it->second.host_page != backend->ModulePageHost(pfn)) return ret(-EINVAL);
      host_to_hyp.erase(it->second.host_page);
      hyp_pages.erase(it);
      backend->HypPageUnmapped(va);
      return ret(0);
    }
    case PKVM_HCALL_pkvm_init_module: {
      // init(&module_ops) at EL2; its return value goes back in x1.
      int rc = 0;
      if (!CallEl2(x[1], cpu, &rc, ops_for_generation())) {
        x[0] = kSmcccNotSupported;
        return;
      }
      return ret(rc);
    }
    case PKVM_HCALL_pkvm_register_hcall: {
      // The CONFIG_NVHE_EL2_DEBUG check is always on here: the handler must
      // be in a module's executable EL2 mapping.
      if (!IsModuleText(x[1])) return ret(-EINVAL);
      const int id_or_err = registry.Register(x[1]);
      if (id_or_err > 0)
        Log(absl::StrFormat("hyp: dynamic hypercall %d (0x%x) -> EL2 %#x", id_or_err,
                            PKVM_HOST_SMCCC_ID(id_or_err), x[1]));
      return ret(id_or_err);
    }
    default:
      break;
  }
  if (id == finalize_id) {
    // __pkvm_prot_finalize: install host stage-2 on this CPU; once only.
    if (cpus[cpu].finalized) return ret(-EPERM);
    // linear_map_early() mappings must be gone first (lib/mem).
    if (int rc = mem::FinalizeCheck(*this); rc != 0) return ret(rc);
    cpus[cpu].finalized = true;
    return ret(0);
  }
  // A static hypercall libpkvm does not model.
  x[0] = kSmcccNotSupported;
}

// ---- EL1: host kernel -------------------------------------------------------

user_pt_regs Hypervisor::Impl::HostHvc(const user_pt_regs& in, int cpu) {
  cpus[cpu].host_ctxt.regs = in;
  HandleHostHcall(cpu);
  return cpus[cpu].host_ctxt.regs;
}

HostSmcResult Hypervisor::Impl::HostSmc(const user_pt_regs& in, int cpu) {
  HostSmcResult out;
  kvm_cpu_context* ctx = &cpus[cpu].host_ctxt;
  ctx->regs = in;
  trace->EmitHypEnter(cpu);
  for (HandlerSlot h : host_smc_handlers) {
    bool handled = false;
    const bool ok = gen == Generation::kA14 ? CallEl2(h, cpu, &handled, ctx)
                                            : CallEl2(h, cpu, &handled, &ctx->regs);
    if (!ok) break;
    if (handled) {
      out.handled_by_module = true;
      break;
    }
  }
  if (!out.handled_by_module && state != MachineState::kPanicked) {
    // Forwarded to EL3: the fake firmware tests program (lib/hyp/el3.cc).
    out.forwarded_to_el3 = true;
    SmcccRegs r;
    for (int i = 0; i < 18; ++i) r.x[i] = ctx->regs.regs[i];
    r = CallEl3(r, cpu, El3Caller::kHost);
    for (int i = 0; i < 18; ++i) ctx->regs.regs[i] = r.x[i];
  }
  trace->EmitHostSmc(cpu, in.regs[0], out.forwarded_to_el3);
  trace->EmitHypExit(cpu);
  out.result.regs = ctx->regs;
  return out;
}

absl::Status Hypervisor::Impl::LoadModule(const std::string& name) {
  const OfferedModule* mod = nullptr;
  for (const OfferedModule& m : offered)
    if (m.name == name) mod = &m;
  if (mod == nullptr)
    return ErrnoError(ENOENT, absl::StrCat("modprobe: FATAL: Module ", name,
                                           " not found (it was not offered to the machine)"));
  if (std::find(loaded_names.begin(), loaded_names.end(), name) != loaded_names.end())
    return absl::OkStatus();  // modprobe of a loaded module succeeds
  // A module using another's exports needs it loaded.
  if (absl::Status s = internal::CheckModuleDepends(*this, *mod); !s.ok()) return s;
  absl::StatusOr<int> init = backend->LoadModule(*mod);
  if (!init.ok()) return init.status();
  const int rc = *init;
  if (rc != 0)
    return ErrnoError(rc, absl::StrCat("module ", name, ": module_init returned ", rc, " (-",
                                       ErrnoName(rc), ")"));
  loaded_names.push_back(name);
  return absl::OkStatus();
}

void Hypervisor::Impl::BootTracing() {
  for (const auto& [key, value] : cmdline.params) {
    if (key == "hyp_event") {
      for (absl::string_view n : absl::StrSplit(value, ',', absl::SkipEmpty()))
        hyp_event_names.emplace_back(n);
    } else if (key == "hyp_trace_printk") {
      trace_printk_mirror = value != "0" && value != "off";
    } else if (key == "hyp_ftrace_filter") {
      if (value.size() > 128)
        Log("hyp trace: hyp_ftrace_filter= longer than 128 characters: ignored");
      else
        hyp_ftrace_filter = value;
    }
  }
  if (!hyp_event_names.empty()) hyp_event_names = trace->EnableEventsByName(hyp_event_names);
  if (trace_printk_mirror) {
    // hyp_trace_printk starts tracing at boot so early events are seen.
    if (absl::Status s = trace->SetTracingOn(true); !s.ok())
      Log(absl::StrCat("hyp trace: cannot start tracing: ", s.message()));
  }
}

absl::Status Hypervisor::Impl::Boot() {
  if (state != MachineState::kCreated)
    return ErrnoError(EBUSY, "the machine has already booted");
  Log(absl::StrFormat("kvm [0]: pKVM %s, %d CPU%s, generation A%d", GenerationBranch(gen),
                      opts.cpus, opts.cpus == 1 ? "" : "s", GenerationNumber(gen)));
  Log(absl::StrCat("Kernel command line: ", opts.cmdline));
  for (const std::string& w : cmdline.warnings) Log(absl::StrCat("kvm [0]: warning: ", w));
  BootTracing();
  // Device-tree nodes bind their device models.
  if (absl::Status s = devices::BindDeviceTree(*this); !s.ok()) return s;

  // finalize_pkvm(): pkvm_load_early_modules(), then deprivilege.
  absl::Status first_failure;
  for (const std::string& name : cmdline.protected_modules) {
    Log(absl::StrCat("kvm [0]: loading pKVM module ", name));
    absl::Status s = LoadModule(name);
    if (state == MachineState::kPanicked) {
      return ErrnoError(EIO, absl::StrCat("hyp panic while loading ", name, ": ", PanicHeadline()));
    }
    if (!s.ok()) {
      Log(absl::StrFormat("kvm [0]: Failed to load pkvm module %s: %d", name,
                          internal::ErrnoOf(s)));
      Log(absl::StrCat("kvm [0]: ", s.message()));
      first_failure = ErrnoError(
          internal::ErrnoOf(s),
          absl::StrCat("protected VMs disabled: pKVM module ", name, " failed to load with -",
                       ErrnoName(internal::ErrnoOf(s)), " (", s.message(), ")"));
      pvm_enabled = false;
      pvm_disabled_reason = std::string(first_failure.message());
      Log("kvm [0]: pvmfw cleared: protected VMs cannot be started");
      break;  // the first failure stops the loop
    }
    Log(absl::StrCat("kvm [0]: pKVM module ", name, " loaded"));
    // hyp_event= again: the module's events can now be named.
    if (!hyp_event_names.empty()) hyp_event_names = trace->EnableEventsByName(hyp_event_names);
    PollTrace();
  }
  {
    // One line per unknown name, each name once, at most 16 lines: the
    // command line can carry a thousand names.
    std::set<std::string_view> seen;
    for (const std::string& n : hyp_event_names)
      if (seen.insert(n).second && seen.size() <= 16)
        Log(absl::StrCat("hyp trace: hyp_event=: no event named '", n, "'"));
    if (seen.size() > 16)
      Log(absl::StrCat("hyp trace: hyp_event=: ", seen.size() - 16, " more unknown names"));
  }
  if (!hyp_ftrace_filter.empty()) {
    if (absl::Status s = trace->SetFtraceFilter(hyp_ftrace_filter); !s.ok())
      Log(absl::StrCat("hyp trace: hyp_ftrace_filter=", hyp_ftrace_filter, ": ", s.message()));
  }

  // Deprivilege: flip the static key, then __pkvm_prot_finalize on each CPU.
  protected_mode_initialized = true;
  absl::Status finalize_failure;
  for (int cpu = 0; cpu < opts.cpus; ++cpu) {
    user_pt_regs r{};
    r.regs[0] = PKVM_HOST_SMCCC_ID(finalize_id);
    ScopedContext scope(this, cpu, ExceptionLevel::kEl1);
    const user_pt_regs out = HostHvc(r, cpu);
    if (out.regs[0] != PKVM_SMCCC_RET_SUCCESS || out.regs[1] != 0) {
      // finalize_pkvm(): deprivilege failed, so pvmfw is cleared.
      const int err = out.regs[0] != PKVM_SMCCC_RET_SUCCESS ? EPERM
                                                             : -static_cast<int>(out.regs[1]);
      Log(absl::StrFormat("kvm [%d]: Failed to finalize Hyp protection: %d", cpu, -err));
      if (finalize_failure.ok()) {
        std::string why = mem::EarlyMappingsLeft(*this);
        finalize_failure = ErrnoError(
            err, absl::StrCat("protected VMs disabled: __pkvm_prot_finalize failed on CPU", cpu,
                              " with -", ErrnoName(err),
                              why.empty() ? "" : " (linear_map_early() mappings left: ", why,
                              why.empty() ? "" : ")"));
      }
    }
  }
  if (!finalize_failure.ok() && pvm_enabled) {
    pvm_enabled = false;
    pvm_disabled_reason = std::string(finalize_failure.message());
    Log("kvm [0]: pvmfw cleared: protected VMs cannot be started");
  }
  if (first_failure.ok()) first_failure = finalize_failure;
  hcr_el2 |= kHcrVm;
  state = MachineState::kDeprivileged;
  Log(absl::StrFormat("kvm [0]: pKVM deprivileged the host on %d CPU%s", opts.cpus,
                      opts.cpus == 1 ? "" : "s"));
  return first_failure;
}

// ---- public API -------------------------------------------------------------

namespace {
absl::Status CheckCpu(const Hypervisor::Impl& m, int cpu) {
  if (cpu < 0 || cpu >= m.opts.cpus)
    return ErrnoError(EINVAL, absl::StrCat("CPU ", cpu, " does not exist (the machine has ",
                                           m.opts.cpus, ")"));
  return absl::OkStatus();
}
absl::Status CheckBooted(const Hypervisor::Impl& m, int cpu) {
  if (absl::Status s = m.CheckRunnable(); !s.ok()) return s;
  if (m.state == MachineState::kCreated)
    return ErrnoError(EPERM, "the machine has not booted yet: call Boot() first");
  return CheckCpu(m, cpu);
}
}  // namespace

const char* BackendName(BackendKind kind) {
  return kind == BackendKind::kUnicorn ? "unicorn" : "native";
}

bool BackendAvailable(BackendKind kind) { return BackendBuilt(kind); }

StatusOr<BackendKind> ParseBackend(const std::string& name) {
  BackendKind kind;
  if (name == "native") {
    kind = BackendKind::kNative;
  } else if (name == "unicorn") {
    kind = BackendKind::kUnicorn;
  } else {
    return Status(-EINVAL, absl::StrCat("unknown backend \"", name,
                                        "\": use \"native\" or \"unicorn\""));
  }
  if (!BackendAvailable(kind))
    return Status(-EOPNOTSUPP, absl::StrCat("this libpkvm was built without the ", name,
                                            " backend (install libunicorn-dev and rebuild)"));
  return kind;
}

StatusOr<std::unique_ptr<Hypervisor>> Hypervisor::Create(const HypervisorOptions& options) {
  if (options.backend != BackendKind::kNative && options.backend != BackendKind::kUnicorn)
    return Status(-EINVAL, "unknown backend");
  if (!BackendAvailable(options.backend))
    return Status(-EOPNOTSUPP, absl::StrCat("this libpkvm was built without the ",
                                            BackendName(options.backend), " backend"));
  if (!IsValidGeneration(GenerationNumber(options.generation)))
    return Status(-EINVAL, absl::StrCat("unknown generation ", GenerationNumber(options.generation),
                                        ": use 14 (android14-6.1), 15 (android15-6.6) or 16 "
                                        "(android16-6.12)"));
  if (options.cpus < 1 || options.cpus > 64)
    return Status(-EINVAL, absl::StrCat("cpus must be 1..64, not ", options.cpus));
  if (options.a16_kmi < 0 || options.a16_kmi > kA16KmiLatest)
    return Status(-EINVAL, absl::StrCat("a16_kmi must be 0..", kA16KmiLatest, ", not ",
                                        options.a16_kmi));
  if (options.a16_kmi != 0 && options.generation != Generation::kA16)
    return Status(-EINVAL, "a16_kmi selects an android16-6.12 KMI level: set it with generation A16");
  if (options.ram_size < kPageSize || options.ram_size % kPageSize != 0 ||
      options.ram_size > (64ull << 30))
    return Status(-EINVAL, "ram_size must be a multiple of 4 KiB between 4 KiB and 64 GiB");
  if (options.gdb_port > 65535)
    return Status(-EINVAL, absl::StrCat("gdb_port must be 0..65535 (or -1: none), not ", options.gdb_port));
  if (options.hyp_stack_size % kPageSize != 0 || options.hyp_stack_size > (1ull << 20))
    return Status(-EINVAL, "hyp_stack_size must be a multiple of 4 KiB up to 1 MiB (0 = the "
                           "generation's NVHE_STACK_SIZE)");
  auto cmdline = internal::ParseKernelCmdline(options.cmdline);
  if (!cmdline.ok()) return internal::ToPublic(cmdline.status());
  auto impl = std::make_unique<Impl>(options, *std::move(cmdline));
  if (impl->ram == nullptr) return Status(-ENOMEM, "cannot reserve the simulated RAM");
  if (impl->backend == nullptr) {
    // A backend refuses options it cannot serve (-EINVAL, its message says
    // what to use instead), or cannot start for want of (address) space
    // (-ENOMEM); anything else is a backend that would not start.
    const int err = internal::ErrnoOf(impl->backend_error);
    if (err == -EINVAL) return internal::ToPublic(impl->backend_error);
    return Status(err == -ENOMEM ? -ENOMEM : -ENODEV,
                  absl::StrCat("cannot start the ", BackendName(options.backend),
                               " backend: ", impl->backend_error.message()));
  }
  return std::unique_ptr<Hypervisor>(new Hypervisor(std::move(impl)));
}

Hypervisor::Hypervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hypervisor::~Hypervisor() = default;

Generation Hypervisor::generation() const { return impl_->gen; }
int Hypervisor::cpus() const { return impl_->opts.cpus; }
MachineState Hypervisor::state() const { return impl_->state; }

Status Hypervisor::OfferModule(const pkvm_native_module& module) {
  return internal::ToPublic(internal::OfferNativeModule(*impl_, module, nullptr, ""));
}

StatusOr<std::string> Hypervisor::OfferModuleFile(const std::string& path) {
  return internal::ToPublic(internal::OfferModuleFile(*impl_, path));
}

Status Hypervisor::Boot() {
  if (absl::Status s = impl_->CheckRunnable(); !s.ok()) return internal::ToPublic(s);
  absl::Status s = impl_->Boot();
  impl_->PollTrace();
  return internal::ToPublic(s);
}

StatusOr<HvcResult> Hypervisor::HostHvc(const user_pt_regs& regs, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  ScopedContext scope(impl_.get(), cpu, ExceptionLevel::kEl1);
  HvcResult r;
  // Unicorn: the host's own `hvc #0` at EL1; natively the same dispatch.
  r.regs = impl_->backend->HostHvc(regs, cpu);
  impl_->PollTrace();
  if (impl_->state == MachineState::kPanicked)
    return Status(-EIO, absl::StrCat("the hypercall panicked the hypervisor: ",
                                     impl_->PanicHeadline()));
  return r;
}

StatusOr<HvcResult> Hypervisor::HostHvc(uint64_t function_id, std::initializer_list<uint64_t> args,
                                        int cpu) {
  if (args.size() > 17)
    return Status(-EINVAL, "at most 17 arguments (x1..x17) fit the SMCCC register file");
  user_pt_regs r{};
  r.regs[0] = function_id;
  int i = 1;
  for (uint64_t a : args) r.regs[i++] = a;
  return HostHvc(r, cpu);
}

StatusOr<HostSmcResult> Hypervisor::HostSmc(const user_pt_regs& regs, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  ScopedContext scope(impl_.get(), cpu, ExceptionLevel::kEl1);
  HostSmcResult r = impl_->HostSmc(regs, cpu);
  impl_->PollTrace();
  if (impl_->state == MachineState::kPanicked)
    return Status(-EIO, absl::StrCat("the SMC panicked the hypervisor: ", impl_->PanicHeadline()));
  return r;
}

Status Hypervisor::RunEl1(const std::function<void()>& fn, int cpu) {
  if (absl::Status s = impl_->CheckRunnable(); !s.ok()) return internal::ToPublic(s);
  if (absl::Status s = CheckCpu(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  ScopedContext scope(impl_.get(), cpu, ExceptionLevel::kEl1);
  const bool ok = RunGuarded(fn);
  impl_->PollTrace();
  if (!ok || impl_->state == MachineState::kPanicked)
    return Status(-EIO, absl::StrCat("EL1 code panicked the machine: ", impl_->PanicHeadline()));
  return Status();
}

namespace {

// The host's exception as EL2 sees it while module handlers run: the host
// context's registers and ELR/SPSR/ESR/FAR/HPFAR_EL2.
class HostExceptionScope {
 public:
  HostExceptionScope(Hypervisor::Impl& m, const HostException& e, int cpu)
      : cpu_(m.cpus[static_cast<size_t>(cpu)]) {
    cpu_.host_ctxt.regs = e.regs;
    entry_elr_ = e.elr != 0 ? e.elr : e.regs.pc;
    cpu_.host_ctxt.regs.pc = entry_elr_;
    cpu_.el2_sysregs[kEl2Elr] = entry_elr_;
    cpu_.el2_sysregs[kEl2Spsr] = e.regs.pstate;
    cpu_.el2_sysregs[kEl2Esr] = e.esr;
    cpu_.el2_sysregs[kEl2Far] = e.far != 0 ? e.far : e.ipa;
    cpu_.el2_sysregs[kEl2Hpfar] = (e.ipa >> 12) << 4;  // FIPA, bits [47:12] at [39:4]
    cpu_.in_exception = true;
  }
  ~HostExceptionScope() { cpu_.in_exception = false; }
  HostExceptionResult Result(int result) const {
    HostExceptionResult r;
    r.result = result;
    r.elr = cpu_.el2_sysregs[kEl2Elr];
    r.emulated = r.elr != entry_elr_;
    r.regs = cpu_.host_ctxt.regs;
    r.regs.pc = r.elr;
    return r;
  }
  kvm_cpu_context* ctx() { return &cpu_.host_ctxt; }

 private:
  CpuState& cpu_;
  uint64_t entry_elr_ = 0;
};

}  // namespace

absl::StatusOr<HostExceptionResult> Hypervisor::Impl::HostPermFault(const HostException& e, int cpu) {
  HostExceptionScope scope(*this, e, cpu);
  kvm_cpu_context* ctx = scope.ctx();
  trace->EmitHypEnter(cpu);
  trace->EmitHostMemAbort(cpu, e.esr, e.ipa);
  int result = -EPERM;  // no handler: the abort goes back to the host
  for (HandlerSlot h : perm_fault_handlers) {
    int rc = 0;
    const bool ok = gen == Generation::kA14 ? CallEl2(h, cpu, &rc, ctx, e.esr, e.ipa)
                                            : CallEl2(h, cpu, &rc, &ctx->regs, e.esr, e.ipa);
    if (!ok) return internal::ErrnoError(EIO, PanicHeadline());
    result = rc;
    if (rc != 0) break;  // the first non-zero result stops the chain
  }
  if (result == -EPERM) {
    if (illegal_abt != 0) {
      const bool ok = gen == Generation::kA14 ? CallEl2Void(illegal_abt, cpu, ctx)
                                              : CallEl2Void(illegal_abt, cpu, &ctx->regs);
      if (!ok) return internal::ErrnoError(EIO, PanicHeadline());
    }
    Log(absl::StrFormat("hyp: host stage-2 permission fault at %#x (esr %#x): abort injected",
                        e.ipa, e.esr));
  } else if (result != 0 && result != -EAGAIN) {
    HypPanic(absl::StrFormat("host permission fault handler returned %d for %#x", result, e.ipa),
             cpu);
    return internal::ErrnoError(EIO, PanicHeadline());
  }
  trace->EmitHypExit(cpu);
  PollTrace();
  return scope.Result(result);
}

absl::StatusOr<HostExceptionResult> Hypervisor::Impl::HostTrap(const HostException& e, int cpu) {
  HostExceptionScope scope(*this, e, cpu);
  kvm_cpu_context* ctx = scope.ctx();
  bool handled = false;
  if (default_trap != 0) {
    const bool ok = gen == Generation::kA14 ? CallEl2(default_trap, cpu, &handled, ctx)
                                            : CallEl2(default_trap, cpu, &handled, &ctx->regs);
    if (!ok) return internal::ErrnoError(EIO, PanicHeadline());
  }
  if (!handled) {
    HypPanic(absl::StrFormat("unhandled host trap, esr_el2 %#x", e.esr), cpu);
    return internal::ErrnoError(EIO, PanicHeadline());
  }
  return scope.Result(1);
}

StatusOr<HostExceptionResult> Hypervisor::InjectHostPermFault(const HostException& e, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  return internal::ToPublic(impl_->HostPermFault(e, cpu));
}

StatusOr<int> Hypervisor::InjectHostPermFault(uint64_t esr, uint64_t addr, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  HostException e;
  e.esr = esr;
  e.ipa = addr;
  e.regs = impl_->cpus[static_cast<size_t>(cpu)].host_ctxt.regs;
  auto r = impl_->HostPermFault(e, cpu);
  if (!r.ok()) return internal::ToPublic(r.status());
  return r->result;
}

StatusOr<HostExceptionResult> Hypervisor::InjectHostTrap(const HostException& e, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  return internal::ToPublic(impl_->HostTrap(e, cpu));
}

StatusOr<bool> Hypervisor::InjectHostTrap(uint64_t esr, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  HostException e;
  e.esr = esr;
  e.regs = impl_->cpus[static_cast<size_t>(cpu)].host_ctxt.regs;
  auto r = impl_->HostTrap(e, cpu);
  if (!r.ok()) return internal::ToPublic(r.status());
  return r->result == 1;
}

Status Hypervisor::InjectPsci(PsciNotification what, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  Impl& m = *impl_;
  if (m.psci_notifier == 0) return Status();
  kvm_cpu_context* ctx = &m.cpus[cpu].host_ctxt;
  const auto n = static_cast<pkvm_psci_notification>(what);
  const bool ok = m.gen == Generation::kA14 ? m.CallEl2Void(m.psci_notifier, cpu, n, ctx)
                                            : m.CallEl2Void(m.psci_notifier, cpu, n, &ctx->regs);
  return ok ? Status() : Status(-EIO, m.PanicHeadline());
}

StatusOr<bool> Hypervisor::InjectSError(int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  Impl& m = *impl_;
  if (m.gen == Generation::kA14)
    return Status(-EOPNOTSUPP, "register_unmask_serror does not exist in A14");
  bool unmask = false;
  if (m.unmask_serror != 0 && !m.CallEl2(m.unmask_serror, cpu, &unmask))
    return Status(-EIO, m.PanicHeadline());
  if (unmask && m.mask_serror != 0 && !m.CallEl2Void(m.mask_serror, cpu))
    return Status(-EIO, m.PanicHeadline());
  return unmask;
}

Status Hypervisor::InjectHypPanic(const std::string& reason, int cpu) {
  if (absl::Status s = CheckBooted(*impl_, cpu); !s.ok()) return internal::ToPublic(s);
  impl_->HypPanic(reason, cpu);
  return Status();
}

namespace {
absl::Status CheckTracefs(const Hypervisor::Impl& m) {
  if (absl::Status s = m.CheckRunnable(); !s.ok()) return s;
  if (m.state == MachineState::kCreated)
    return ErrnoError(ENODEV, "the hypervisor's tracefs appears when pKVM initialises: call "
                              "Boot() first");
  return absl::OkStatus();
}
}  // namespace

StatusOr<std::string> Hypervisor::TracefsRead(const std::string& path) {
  if (absl::Status s = CheckTracefs(*impl_); !s.ok()) return internal::ToPublic(s);
  return internal::ToPublic(impl_->tracefs->Read(path));
}

Status Hypervisor::TracefsWrite(const std::string& path, const std::string& data) {
  if (absl::Status s = CheckTracefs(*impl_); !s.ok()) return internal::ToPublic(s);
  return internal::ToPublic(impl_->tracefs->Write(path, data));
}

StatusOr<std::vector<TracefsEntry>> Hypervisor::TracefsList(const std::string& dir) {
  if (absl::Status s = CheckTracefs(*impl_); !s.ok()) return internal::ToPublic(s);
  auto entries = impl_->tracefs->List(dir);
  if (!entries.ok()) return internal::ToPublic(entries.status());
  std::vector<TracefsEntry> out;
  for (const auto& e : *entries) out.push_back(TracefsEntry{e.name, e.is_dir, e.mode});
  return out;
}

Status Hypervisor::TracefsDump(const std::string& dir) {
  if (absl::Status s = CheckTracefs(*impl_); !s.ok()) return internal::ToPublic(s);
  return internal::ToPublic(impl_->tracefs->Dump(dir));
}

void Hypervisor::AdvanceTraceClock(uint64_t ns) { impl_->trace->AdvanceClock(ns); }

StatusOr<Snapshot> Hypervisor::TakeSnapshot() {
  auto data = impl_->TakeSnapshot();
  if (!data.ok()) return internal::ToPublic(data.status());
  Snapshot snap;
  snap.data_ = *std::move(data);
  return snap;
}

Status Hypervisor::RestoreSnapshot(const Snapshot& snapshot) {
  if (snapshot.data_ == nullptr)
    return Status(-EINVAL, "invalid snapshot (default-constructed or moved from)");
  return internal::ToPublic(impl_->RestoreSnapshot(*snapshot.data_));
}

BackendKind Hypervisor::backend() const { return impl_->opts.backend; }
bool Hypervisor::protected_vms_enabled() const { return impl_->pvm_enabled; }
std::string Hypervisor::protected_vms_disabled_reason() const { return impl_->pvm_disabled_reason; }
std::string Hypervisor::panic_report() const { return impl_->panic_report; }
std::string Hypervisor::boot_log() const { return impl_->boot_log; }
std::string Hypervisor::serial_output() const { return impl_->serial; }
std::vector<std::string> Hypervisor::loaded_modules() const { return impl_->loaded_names; }
uint32_t Hypervisor::dynamic_hcall_count() const { return impl_->registry.size(); }
uint64_t Hypervisor::hcr_el2() const { return impl_->hcr_el2; }
uint64_t Hypervisor::hfgwtr_el2() const { return impl_->hfgwtr_el2; }

}  // namespace pkvm

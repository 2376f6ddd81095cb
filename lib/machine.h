// File: lib/machine.h
// Hypervisor::Impl: the state of one simulated machine, split the way the
// kernel splits it, each part's types and code in its folder:
//   lib/host/      the host kernel at EL1: offered and loaded modules, the
//                  command line, module_param, kmalloc/alloc_pages
//   lib/hyp/       the hypervisor at EL2: module VAs, the hyp page map,
//                  handler slots, per-CPU state, ops tables, the fake EL3
//                  (host hypercalls and handler chains: lib/hypervisor.cc)
//   lib/mem/       page ownership, pools, guests, devices' memory
//   lib/trace/     hypervisor tracing and tracefs
//   lib/devices/   MMIO device models and the device tree
//   lib/backends/  what runs module code (native, Unicorn) behind Backend
// Module code reaches it through the thread-local execution context.
#ifndef PKVM_LIB_MACHINE_H_
#define PKVM_LIB_MACHINE_H_

#include <csetjmp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "host/cmdline.h"
#include "host/host.h"
#include "hyp/hyp.h"
#include "mem/memory.h"
#include "pkvm/abi/module_ops.h"
#include "pkvm/host_hcall.h"
#include "pkvm/hvc_registry.h"
#include "pkvm/hypervisor.h"

namespace pkvm {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);
// Where the simulated RAM sits in the physical address space (QEMU virt).
inline constexpr uint64_t kRamBase = 0x40000000;

}  // namespace pkvm
namespace pkvm::trace {
class HypTrace;
class Tracefs;
}  // namespace pkvm::trace
namespace pkvm {

namespace devices {
struct DeviceState;  // lib/devices/devices.h
}

struct Hypervisor::Impl {
  explicit Impl(const HypervisorOptions& o, internal::KernelCmdline c);
  ~Impl();

  // --- configuration ---
  const uint64_t machine_id;  // unique in the process: snapshots name their machine
  HypervisorOptions opts;
  internal::KernelCmdline cmdline;
  Generation gen;
  uint32_t finalize_id;  // __pkvm_prot_finalize of this generation

  // --- lifecycle ---
  MachineState state = MachineState::kCreated;
  bool protected_mode_initialized = false;  // the static key finalize_pkvm() flips
  bool pvm_enabled = true;
  std::string pvm_disabled_reason;
  std::string panic_report;
  bool panic_notifier_ran = false;

  // --- host kernel (EL1) ---
  std::vector<OfferedModule> offered;
  std::vector<std::string> loaded_names;  // modules whose module_init succeeded
  std::vector<LoadedModule> el2_modules;
  std::string boot_log;

  // --- hypervisor (EL2) ---
  HvcRegistry registry;
  std::vector<CpuState> cpus;
  uint64_t next_module_va = kModuleVaBase;
  std::vector<std::pair<uint64_t, uint64_t>> module_va_ranges;  // [start, end)
  std::map<uint64_t, HypPage> hyp_pages;      // hyp VA page -> page
  std::map<uint64_t, uint64_t> host_to_hyp;   // host page -> hyp VA page
  std::string serial;
  HandlerSlot serial_putc = 0;
  std::vector<HandlerSlot> perm_fault_handlers, host_smc_handlers;
  HandlerSlot default_trap = 0, illegal_abt = 0, psci_notifier = 0, panic_notifier = 0;
  HandlerSlot unmask_serror = 0, mask_serror = 0;
  uint64_t hcr_el2 = kHcrRw | kHcrTsc | kHcrApi | kHcrApk | kHcrAta;
  uint64_t hfgwtr_el2 = 0;
  std::set<std::string> unimplemented_reported;
  // ops->putc/puts/putx64 before a serial driver is registered print nothing
  // (as in the kernel); the boot log says so once.
  bool serial_drop_reported = false;

  // Simulated RAM (hyp_va/hyp_pa arithmetic is over it).
  uint8_t* ram = nullptr;
  uint64_t ram_size = 0;

  // --- tracing (lib/trace/) ---
  std::unique_ptr<trace::HypTrace> trace;
  std::unique_ptr<trace::Tracefs> tracefs;
  bool trace_printk_mirror = false;        // hyp_trace_printk
  std::vector<std::string> hyp_event_names;  // hyp_event=
  std::string hyp_ftrace_filter;           // hyp_ftrace_filter=
  const pkvm_native_module* loading = nullptr;  // module in module_init
  // hyp_trace_printk: the events the host's poll would print to the log.
  void PollTrace();

  // The ops table handed to init(); one per generation, built once.
  pkvm_module_ops_a14 ops_a14{};
  pkvm_module_ops_a15 ops_a15{};
  pkvm_module_ops_a16 ops_a16{};
  pkvm_module_ops_a17 ops_a17{};  // provisional (lib/hyp/hyp_ops_a17.cc)
  const void* ops_for_generation() const;

  // --- memory, guests and devices (lib/mem/) ---
  mem::MemoryState memory{kRamBase, opts.ram_size, opts.cpus};

  // --- emulated MMIO devices and the device tree (lib/devices/) ---
  // Models and DTB: set before Boot(), not part of snapshots.
  std::shared_ptr<devices::DeviceState> devices;

  // --- the backend: what runs module code (lib/backends/backend.h) ---
  // Set by the constructor; nullptr (and backend_error says why) when the
  // backend of opts.backend could not start.
  std::unique_ptr<Backend> backend;
  absl::Status backend_error;
  // A pointer EL2 code stored in its own data (e.g. a member of a struct it
  // registered), as host code can follow it; nullptr when EL2 has nothing
  // mapped there.
  const void* El2Data(const void* el2_ptr) {
    if (el2_ptr == nullptr) return nullptr;
    return backend->El2ToHost(reinterpret_cast<uint64_t>(el2_ptr));
  }
  // A host object [p, p + size) passed to EL2 code, at the address EL2
  // code sees it.
  uint64_t HostToEl2(const void* p, uint64_t size);
  // An argument of a call into EL2 code as an integer register: pointers
  // to data at the address EL2 sees them, function pointers (EL2 code's
  // own) and integers as they are.
  template <typename T>
  uint64_t GuestArg(T v) {
    static_assert(std::is_pointer_v<T> || std::is_integral_v<T> || std::is_enum_v<T>,
                  "EL2 calls take integer-register arguments only");
    if constexpr (std::is_pointer_v<T>) {
      using Pointee = std::remove_cv_t<std::remove_pointer_t<T>>;
      if constexpr (std::is_function_v<Pointee>)
        return reinterpret_cast<uint64_t>(v);
      else if constexpr (requires { sizeof(Pointee); })  // the whole object
        return HostToEl2(v, sizeof(Pointee));
      else  // void or an opaque struct: its first byte
        return HostToEl2(v, 1);
    } else {
      return static_cast<uint64_t>(v);
    }
  }

  // --- the fake EL3 firmware (lib/hyp/el3.cc) ---
  // Programmed services by function id, and every call made (test harness
  // state, not machine state: snapshots leave both alone).
  std::map<uint32_t, El3Handler> el3_handlers;
  std::vector<El3Call> el3_calls;
  // An `smc` that reached EL3 from `caller` on `cpu`: answered and recorded.
  SmcccRegs CallEl3(const SmcccRegs& in, int cpu, El3Caller caller);
  // module_param storage: charp values of native modules (lib/host/module_param.cc).
  std::vector<std::unique_ptr<char[]>> module_param_strings;

  // --- logging ---
  void Log(const std::string& line);
  void ReportUnimplemented(const char* op);

  // --- EL2 ---
  // Handles the host hypercall in cpus[cpu].host_ctxt.
  void HandleHostHcall(int cpu);
  void RunStaticHcall(uint32_t id, kvm_cpu_context* ctx, int cpu);
  // The private VA allocator behind __pkvm_alloc_module_va and ops->alloc_module_va.
  uint64_t AllocModuleVa(uint64_t nr_pages);
  // Translates an EL2 address to a callable host address, or 0 (not mapped
  // as executable at EL2).
  uint64_t ResolveEl2Code(uint64_t el2_addr) const;
  bool IsModuleText(uint64_t hyp_va) const;
  // Registers `cb` in a generation-sized chain (A14: one slot).
  int RegisterChain(std::vector<HandlerSlot>& chain, uint64_t cb);
  static int RegisterSlot(HandlerSlot& slot, uint64_t cb);
  // Hyp panic: notifiers, trace of the report, machine dead. Returns normally;
  // callers inside module code unwind with PanicUnwind().
  void HypPanic(const std::string& reason, int cpu);

  // Calls EL2 code at `el2_addr` with a C signature. Returns false if the
  // call panicked (bad address, BUG()).
  template <typename R, typename... A>
  bool CallEl2(uint64_t el2_addr, int cpu, R* ret, A... args);
  template <typename... A>
  bool CallEl2Void(uint64_t el2_addr, int cpu, A... args) {
    return CallEl2<void>(el2_addr, cpu, static_cast<void*>(nullptr), args...);
  }
  uint64_t ResolveEl2CodeOrPanic(uint64_t el2_addr, int cpu);

  // --- EL1 ---
  absl::Status Boot();
  void BootTracing();  // hyp_event=, hyp_trace_printk, hyp_ftrace_filter=
  absl::Status LoadModule(const std::string& name);
  // kvm_call_hyp_nvhe from EL1 code: returns the registers after the HVC.
  user_pt_regs HostHvc(const user_pt_regs& in, int cpu);
  HostSmcResult HostSmc(const user_pt_regs& in, int cpu);
  // A host exception handed to the modules' handlers (ESR/FAR/HPFAR/ELR as
  // they read them); -EIO once a handler panicked the machine.
  absl::StatusOr<HostExceptionResult> HostPermFault(const HostException& e, int cpu);
  absl::StatusOr<HostExceptionResult> HostTrap(const HostException& e, int cpu);
  absl::Status CheckRunnable() const;
  // The first line of panic_report, for error messages: the whole report
  // (registers, backtrace) is in the boot log once, so the errors of the
  // call that panicked and of every later call name the panic without
  // repeating it.
  std::string PanicHeadline() const;

  // --- snapshots (lib/snapshot.cc) ---
  absl::StatusOr<std::shared_ptr<const Snapshot::Data>> TakeSnapshot();
  absl::Status RestoreSnapshot(const Snapshot::Data& d);
};

// The members of Hypervisor::Impl a snapshot copies and a restore assigns
// back (lib/snapshot.cc). Every member that changes after Boot() belongs
// here, or is handled by name there (registry, trace, RAM, the backend).
#define PKVM_MACHINE_SNAPSHOT_FIELDS(X)                                                   \
  X(state) X(protected_mode_initialized) X(pvm_enabled) X(pvm_disabled_reason)            \
  X(panic_report) X(panic_notifier_ran) X(offered) X(loaded_names) X(el2_modules)         \
  X(boot_log) X(cpus) X(next_module_va) X(module_va_ranges) X(hyp_pages) X(host_to_hyp)   \
  X(serial) X(serial_putc) X(perm_fault_handlers) X(host_smc_handlers) X(default_trap)    \
  X(illegal_abt) X(psci_notifier) X(panic_notifier) X(unmask_serror) X(mask_serror)       \
  X(hcr_el2) X(hfgwtr_el2) X(unimplemented_reported) X(serial_drop_reported)             \
  X(trace_printk_mirror)                                                                  \
  X(hyp_event_names) X(hyp_ftrace_filter) X(memory)

// ---- execution context ------------------------------------------------------

enum class ExceptionLevel { kEl1 = 1, kEl2 = 2 };

struct ExecContext {
  Hypervisor::Impl* machine;
  int cpu;
  ExceptionLevel el;
};

// The machine/CPU/EL the calling thread is executing for (nullptr outside).
const ExecContext* CurrentContext();
// The machine a pkvm_module_ops member is running for; aborts with a message
// when EL2 code calls one outside any machine.
Hypervisor::Impl& OpsMachine();
// The machine module code (EL1 shims: printk, of_*, kmalloc, SMCs...) runs
// for; aborts with a message naming `fn` when called outside any machine.
Hypervisor::Impl& MachineOrDie(const char* fn);

class ScopedContext {
 public:
  ScopedContext(Hypervisor::Impl* m, int cpu, ExceptionLevel el);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  const ExecContext* prev_;
  ExecContext ctx_;
};

// Runs module code so that a BUG()/panic inside it unwinds back here (with
// longjmp: module code is C, and no C++ frame with a destructor may sit
// between this call and the module). Returns false if it panicked.
struct PanicGuard {
  std::jmp_buf buf;
  PanicGuard* prev;
  const ExecContext* ctx;
};
PanicGuard*& CurrentPanicGuard();
const ExecContext*& CurrentContextSlot();
[[noreturn]] void PanicUnwind();

template <typename F>
bool RunGuarded(F&& f) {
  PanicGuard guard;
  guard.prev = CurrentPanicGuard();
  guard.ctx = CurrentContextSlot();
  CurrentPanicGuard() = &guard;
  if (setjmp(guard.buf) == 0) {
    f();
    CurrentPanicGuard() = guard.prev;
    return true;
  }
  CurrentPanicGuard() = guard.prev;
  CurrentContextSlot() = guard.ctx;
  return false;
}

template <typename R, typename... A>
bool Hypervisor::Impl::CallEl2(uint64_t el2_addr, int cpu, R* ret, A... args) {
  static_assert(sizeof...(A) <= 8, "EL2 calls take register arguments only");
  // Marshalled once into x0..x7; the backend makes the call.
  const uint64_t a[] = {GuestArg(args)..., 0};
  uint64_t r = 0;
  if (!backend->CallEl2(el2_addr, cpu, std::span<const uint64_t>(a, sizeof...(A)), &r))
    return false;
  // x0 as the C return type: only its low bits are defined for narrower types.
  if constexpr (std::is_same_v<R, bool>) {
    *ret = (r & 0xff) != 0;
  } else if constexpr (!std::is_void_v<R>) {
    static_assert(std::is_integral_v<R> || std::is_enum_v<R>, "EL2 calls return in x0");
    *ret = static_cast<R>(r);
  }
  return true;
}

// An SMCCC call EL2 code makes (conduit 2 = smc reaches the fake
// EL3; an hvc at EL2 is NOT_SUPPORTED), lib/hyp/el3.cc.
SmcccRegs El2Smccc(Hypervisor::Impl& m, int conduit, const SmcccRegs& in, int cpu);

// Builds the three ops tables (lib/hyp/hyp_ops.cc).
void InitModuleOps(Hypervisor::Impl& m);

}  // namespace pkvm

#endif  // PKVM_LIB_MACHINE_H_

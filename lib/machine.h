// File: lib/machine.h
// Hypervisor::Impl: the state of one simulated machine, split the way the
// kernel splits it -- the hypervisor (EL2: registry, module mappings, ops
// services, handler chains) and the host kernel (EL1: module list, loader).
// Module code reaches it through the thread-local execution context.
#ifndef PKVM_LIB_MACHINE_H_
#define PKVM_LIB_MACHINE_H_

#include <csetjmp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cmdline.h"
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
// Hyp VAs handed out by __pkvm_alloc_module_va (the private VA range). EL2
// runs on TTBR0_EL2 only, so hyp VAs have their top bits clear; libpkvm
// puts the range at 8 TiB, where the Unicorn backend's EL2 CPU (MMU off,
// 44-bit physical addresses) can map it too, so both backends hand out the
// same VAs (docs/backends.md).
inline constexpr uint64_t kModuleVaBase = 0x0000080000000000ull;
inline constexpr uint64_t kModuleVaEnd = 0x0000080040000000ull;  // 1 GiB
inline constexpr int kMaxHandlers = 16;  // MAX_HOST_FAULT_HANDLERS / MAX_MOD_HANDLERS

// HCR_EL2 bits used for the host's initial value (HCR_HOST_NVHE_PROTECTED_FLAGS).
inline constexpr uint64_t kHcrVm = 1ull << 0;
inline constexpr uint64_t kHcrTsc = 1ull << 19;
inline constexpr uint64_t kHcrRw = 1ull << 31;
inline constexpr uint64_t kHcrApk = 1ull << 40;
inline constexpr uint64_t kHcrApi = 1ull << 41;
inline constexpr uint64_t kHcrAta = 1ull << 56;

struct OfferedModule {
  std::string name;  // normalised
  const pkvm_native_module* desc = nullptr;  // native backend
  std::shared_ptr<void> dl_handle;  // set for modules loaded from a file
  std::string path;
  std::vector<uint8_t> ko;  // Unicorn backend: the AArch64 .ko
  // Modules whose exports it uses (loaded first).
  std::vector<std::string> depends;
};

// A page mapped at EL2 by __pkvm_map_module_page.
struct HypPage {
  uint64_t host_page;  // where the bytes are in this process
  uint64_t prot;       // enum kvm_pgtable_prot
};

// A loaded EL2 module as the host kernel keeps it (pkvm_el2_mod_add).
struct LoadedModule {
  std::string name;
  uint64_t hyp_va = 0;     // token
  uint64_t kern_start = 0; // lowest section start
  uint64_t size = 0;       // image span, page multiple
};

// One registered callback: the address EL2 code gave us.
using HandlerSlot = uint64_t;

// The EL2 exception registers (PKVM_EL2_SYSREG_* of pkvm/compat_glue.h).
inline constexpr int kEl2Elr = 0, kEl2Spsr = 1, kEl2Esr = 2, kEl2Far = 3, kEl2Hpfar = 4;
inline constexpr int kNrEl2Sysregs = 5;

// Page-aligned: on the Unicorn backend EL2 code sees host_ctxt through a
// window of whole pages, which then hold nothing but this CPU's state.
struct alignas(4096) CpuState {
  kvm_cpu_context host_ctxt{};
  bool finalized = false;
  // ELR/SPSR/ESR/FAR/HPFAR_EL2 as module handlers read them (natively; the
  // Unicorn EL2 CPU gets them while `in_exception`).
  uint64_t el2_sysregs[kNrEl2Sysregs] = {};
  bool in_exception = false;
};

}  // namespace pkvm
namespace pkvm::trace {
class HypTrace;
class Tracefs;
}  // namespace pkvm::trace
namespace pkvm {

class UnicornBackend;  // lib/backends/unicorn/unicorn_backend.h
namespace devices {
struct DeviceState;  // lib/devices/devices.h
}
struct UnicornBackendDeleter {
  void operator()(UnicornBackend* b) const;
};

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
  const void* ops_for_generation() const;

  // --- memory, guests and devices (lib/mem/) ---
  mem::MemoryState memory{kRamBase, opts.ram_size, opts.cpus};

  // --- emulated MMIO devices and the device tree (lib/devices/) ---
  // Models and DTB: set before Boot(), not part of snapshots.
  std::shared_ptr<devices::DeviceState> devices;

  // --- the Unicorn backend (nullptr on the native backend) ---
  std::unique_ptr<UnicornBackend, UnicornBackendDeleter> uc;
  bool UcCallEl2(uint64_t addr, int cpu, const uint64_t* args, size_t n, uint64_t* ret);
  uint64_t UcHostToEl2(const void* p, size_t size);
  void* UcEl2ToHost(uint64_t va);
  // Hypervisor::HostHvc on the Unicorn backend: a real hvc at EL1.
  user_pt_regs UcHostHvc(const user_pt_regs& in, int cpu);
  // A pointer EL2 code stored in its own data (e.g. a member of a struct it
  // registered), as host code can follow it; nullptr when EL2 has nothing
  // mapped there. Natively EL2 pointers are host pointers.
  const void* El2Data(const void* el2_ptr) {
    if (uc == nullptr || el2_ptr == nullptr) return el2_ptr;
    return UcEl2ToHost(reinterpret_cast<uint64_t>(el2_ptr));
  }
  // An argument of a call into EL2 code as the Unicorn CPU gets it.
  template <typename T>
  uint64_t GuestArg(T v) {
    if constexpr (std::is_pointer_v<T>) {
      if constexpr (std::is_function_v<std::remove_pointer_t<T>>)
        return reinterpret_cast<uint64_t>(v);
      else if constexpr (std::is_void_v<std::remove_pointer_t<T>>)
        return UcHostToEl2(v, 1);
      else
        return UcHostToEl2(v, sizeof(*v));
    } else {
      return static_cast<uint64_t>(v);
    }
  }

  // --- the fake EL3 firmware (lib/el3.cc) ---
  // Programmed services by function id, and every call made (test harness
  // state, not machine state: snapshots leave both alone).
  std::map<uint32_t, El3Handler> el3_handlers;
  std::vector<El3Call> el3_calls;
  // An `smc` that reached EL3 from `caller` on `cpu`: answered and recorded.
  SmcccRegs CallEl3(const SmcccRegs& in, int cpu, El3Caller caller);
  // module_param storage: charp values of native modules (lib/module_param.cc).
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
  absl::Status LoadKoModule(const OfferedModule& mod);  // Unicorn backend
  // The host address of module page `pfn` of __pkvm_map_module_page; 0 when
  // that is no RAM page.
  uint64_t ModulePageHost(uint64_t pfn);
  // Every hyp_pages erase: the Unicorn EL2 CPU drops its mapping.
  void HypPageUnmapped(uint64_t va);
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
  if (uc != nullptr) {
    const uint64_t a[] = {GuestArg(args)..., 0};
    uint64_t r = 0;
    if (!UcCallEl2(el2_addr, cpu, a, sizeof...(A), &r)) return false;
    if constexpr (std::is_same_v<R, bool>) {
      *ret = (r & 0xff) != 0;
    } else if constexpr (!std::is_void_v<R>) {
      *ret = static_cast<R>(r);
    }
    return true;
  }
  const uint64_t host = ResolveEl2CodeOrPanic(el2_addr, cpu);
  if (host == 0) return false;
  auto fn = reinterpret_cast<R (*)(A...)>(host);
  ScopedContext scope(this, cpu, ExceptionLevel::kEl2);
  if constexpr (std::is_void_v<R>) {
    return RunGuarded([&] { fn(args...); });
  } else {
    return RunGuarded([&] { *ret = fn(args...); });
  }
}

// An SMCCC call EL2 code makes (conduit 2 = smc reaches the fake
// EL3; an hvc at EL2 is NOT_SUPPORTED), lib/el3.cc.
SmcccRegs El2Smccc(Hypervisor::Impl& m, int conduit, const SmcccRegs& in, int cpu);

// Builds the three ops tables (lib/hyp_ops.cc).
void InitModuleOps(Hypervisor::Impl& m);

}  // namespace pkvm

#endif  // PKVM_LIB_MACHINE_H_

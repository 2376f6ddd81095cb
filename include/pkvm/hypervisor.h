// File: include/pkvm/hypervisor.h
// One simulated pKVM machine: a kernel generation, N CPUs, a kernel command
// line, the modules offered to it (as an initramfs would hold them) and the
// boot -> module loading -> deprivilege state machine of the kernel.
//
//   pkvm::HypervisorOptions o;
//   o.generation = pkvm::Generation::kA15;
//   o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
//   auto hv = pkvm::Hypervisor::Create(o).value();
//   PKVM_DECLARE_NATIVE_MODULE(pkvm_driver);
//   (void)hv->OfferModule(PKVM_NATIVE_MODULE(pkvm_driver));
//   if (auto s = hv->Boot(); !s.ok()) std::cerr << s.ToString();
//   pkvm::HvcResult r = hv->HostHvc(0xC6000080).value();   // r.x(0) == 0
#ifndef PKVM_HYPERVISOR_H_
#define PKVM_HYPERVISOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "pkvm/abi/ptrace.h"
#include "pkvm/el3.h"  // the fake EL3 firmware
#include "pkvm/generation.h"
#include "pkvm/native_module.h"
#include "pkvm/page_state.h"
#include "pkvm/status.h"

namespace pkvm {

// Where module code runs (docs/backends.md):
//  kNative  -- the module built for this host (NAME.so), EL2 code called directly;
//  kUnicorn -- the module built for AArch64 (NAME.ko), linked like the arm64
//              kernel loads it and run in the Unicorn emulator, EL1 code at EL1
//              issuing real `hvc` instructions into EL2 code at EL2.
enum class BackendKind { kNative, kUnicorn };

// "native" / "unicorn".
const char* BackendName(BackendKind kind);
// Parses "native" or "unicorn"; -EINVAL for anything else, -EOPNOTSUPP for a
// backend this build of libpkvm does not have.
StatusOr<BackendKind> ParseBackend(const std::string& name);
// Whether this build has the backend (the Unicorn backend needs libunicorn).
bool BackendAvailable(BackendKind kind);

enum class MachineState {
  kCreated,       // not booted yet: modules may be offered
  kDeprivileged,  // booted; pKVM finalized (protected VMs may still be disabled)
  kPanicked,      // a hyp panic happened; every further call fails
};

enum class PsciNotification { kCpuSuspend = 0, kSystemSuspend = 1, kCpuEntry = 2 };

// Where hypervisor trace timestamps come from.
enum class TraceClockSource {
  kHost,    // the CPU's counter (rdtsc / CNTVCT) converted to boot-clock ns
  kManual,  // starts at 0 and moves only with AdvanceTraceClock(): exact text in tests
};

// Which hypervisor tracefs the host kernel shows (docs/tracing.md, "Flavours").
enum class TracefsFlavor {
  kDefault,   // the generation's: kAndroid for A14-A16, kUpstream after A16
  kAndroid,   // Android's hyp tracing: hyp/ (A14, A15) or hypervisor/ (A16)
  kUpstream,  // mainline trace remotes (Linux 7.1): remotes/hypervisor/
};

// "default" / "android" / "upstream".
const char* TracefsFlavorName(TracefsFlavor flavor);
// Parses "android", "upstream" or "default"; -EINVAL for anything else.
StatusOr<TracefsFlavor> ParseTracefsFlavor(const std::string& name);
// The flavour kDefault means for `generation`.
TracefsFlavor DefaultTracefsFlavor(Generation generation);

// What one read of the trace buffers is written to (Hypervisor::ExportTrace):
// every requested form comes from the same events.
struct TraceExport {
  bool text = false;            // the text trace_pipe prints, returned
  std::string tracefs_dir;      // a TracefsDump() of those events
  std::string trace_dat;        // a trace-cmd trace.dat (WriteTraceDat)
  std::string perfetto;         // a Chrome JSON trace (WritePerfetto)
};

// One entry of a tracefs directory listing.
struct TracefsEntry {
  std::string name;
  bool is_dir = false;
  uint32_t mode = 0;  // permission bits, e.g. 0640
};

struct HypervisorOptions {
  Generation generation = Generation::kA15;
  int cpus = 1;                     // 1..64
  std::string cmdline;              // kernel command line
  BackendKind backend = BackendKind::kNative;
  uint64_t ram_size = 64ull << 20;  // simulated RAM, multiple of 4 KiB
  TraceClockSource trace_clock = TraceClockSource::kHost;
  TracefsFlavor tracefs_flavor = TracefsFlavor::kDefault;
  // A call into module EL2 code (a hypercall, a callback; on the Unicorn
  // backend module_init too) still running after this long is stopped and
  // reported as a hyp panic (runaway code), on both backends. 0 = no limit.
  uint32_t call_time_limit_ms = 2000;
  // The per-CPU hyp stack module EL2 code runs on, in bytes (a multiple of
  // 4096), with a guard page below it: crossing it is a hyp panic ("hyp
  // stack overflow"). 0 = the generation's NVHE_STACK_SIZE (4 KiB for A14
  // and A15, 8 KiB for A16; docs/debugging.md).
  uint64_t hyp_stack_size = 0;
  // A16 only: the android16-6.12 KMI level of the ops table (module code
  // says the same with -DPKVM_A16_KMI=<n>; docs/abi-decisions.md).
  // kA16KmiVerified: the verified table, KABI slots 1-4 used;
  // kA16KmiPowerLock: + device_register_power_lock (KABI slot 5);
  // kA16KmiLate: + get_time (KABI slot 6) and guest SMC handlers returning
  // enum pkvm_smc_handler_ret, up to 16 of them.
  int a16_kmi = 0;
  // Unicorn backend (docs/debugging.md): serve the GDB remote protocol on
  // 127.0.0.1:gdb_port for gdb-multiarch (0: a free port; the boot log
  // names it and every module's add-symbol-file command). The machine waits
  // for the debugger before its first instruction after Boot(), and calls
  // have no time limit. -1: no debugger.
  int gdb_port = -1;
  // Unicorn backend: when the machine is destroyed, write the module code's
  // coverage (EL1 and EL2 lines run; the .ko needs -g, which
  // pkvm_add_module() gives it) as an lcov tracefile / as drcov basic
  // blocks. "": not written.
  std::string coverage_lcov;
  std::string coverage_drcov;
};
inline constexpr int kA16KmiVerified = 0;
inline constexpr int kA16KmiPowerLock = 1;
inline constexpr int kA16KmiLate = 2;
inline constexpr int kA16KmiLatest = kA16KmiLate;

// The host register file after a hypercall or SMC.
struct HvcResult {
  user_pt_regs regs{};
  uint64_t x(int i) const { return regs.regs[i]; }
};

struct HostSmcResult {
  HvcResult result;
  bool handled_by_module = false;  // a module's host SMC handler returned true
  bool forwarded_to_el3 = false;
};

// A host exception pKVM hands to the modules' handlers: what they read from
// ESR_EL2, FAR_EL2, HPFAR_EL2 and ELR_EL2 (read_sysreg_el2() in EL2 code),
// and the host's registers (the handlers' user_pt_regs / kvm_cpu_context).
struct HostException {
  uint64_t esr = 0;
  uint64_t ipa = 0;     // the faulting IPA: the perm-fault handlers' `addr`
  uint64_t far = 0;     // FAR_EL2; 0 = the IPA (the host's VA == PA)
  uint64_t elr = 0;     // ELR_EL2: the host PC of the instruction; 0 = regs.pc
  user_pt_regs regs{};  // the host's registers at the exception
};

// What the handlers left: their result and the host's state on return.
struct HostExceptionResult {
  int result = 0;       // perm fault: the chain's result; trap: 1 = handled
  uint64_t elr = 0;     // where the host resumes: a handler that emulated
                        // the instruction advanced it past the instruction
  bool emulated = false;  // elr differs from ELR at entry
  user_pt_regs regs{};  // the host's registers (an emulated load wrote Rt)
};

class Hypervisor;
class MmioDevice;  // pkvm/devices.h

// A saved state of a booted machine (Hypervisor::TakeSnapshot): memory, CPU
// registers, module and hypervisor state, trace buffers. Immutable and cheap
// to copy; it can only be restored into the machine that took it.
class Snapshot {
 public:
  struct Data;
  Snapshot() = default;
  bool valid() const { return data_ != nullptr; }

 private:
  friend class Hypervisor;
  std::shared_ptr<const Data> data_;
};

class Hypervisor {
 public:
  static StatusOr<std::unique_ptr<Hypervisor>> Create(const HypervisorOptions& options);
  ~Hypervisor();
  Hypervisor(const Hypervisor&) = delete;
  Hypervisor& operator=(const Hypervisor&) = delete;

  Generation generation() const;
  int cpus() const;
  MachineState state() const;

  // Offers a module to the machine, as if it were in the initramfs. Only the
  // modules named by kvm-arm.protected_modules= are loaded at Boot(). Fails
  // with -ENOEXEC for something that is not a module of this generation and
  // -EEXIST for a second module of the same name.
  Status OfferModule(const pkvm_native_module& module);
  // Loads a module file and offers it: a native shared object (NAME.so from
  // pkvm_add_module) on the native backend, an AArch64 relocatable module
  // (NAME.ko) on the Unicorn backend; the other kind is -ENOEXEC with a
  // message naming the backend to use. Returns the module's name.
  StatusOr<std::string> OfferModuleFile(const std::string& path);

  // Boots: loads the protected modules in command-line order, then
  // deprivileges every CPU. As on a device the machine boots even when a
  // module fails; protected VMs are then disabled and Boot() returns that
  // failure (-ENOENT for a module nobody offered, the module's own error...).
  Status Boot();

  // Issues an HVC from the host on `cpu` with the given register file
  // (x0 = function id) and returns the registers afterwards.
  StatusOr<HvcResult> HostHvc(const user_pt_regs& regs, int cpu = 0);
  StatusOr<HvcResult> HostHvc(uint64_t function_id, std::initializer_list<uint64_t> args = {},
                              int cpu = 0);
  // Issues an SMC from the host: module host SMC handlers, then EL3.
  StatusOr<HostSmcResult> HostSmc(const user_pt_regs& regs, int cpu = 0);

  // Runs `fn` as EL1 kernel code of this machine on `cpu` (e.g. to call a
  // module's EL1 function that issues pkvm_el2_mod_call()).
  Status RunEl1(const std::function<void()>& fn, int cpu = 0);

  // --- events the module callbacks react to -------------------------------
  // A host stage-2 permission fault at `addr`: runs the module fault-handler
  // chain and returns its result (0 resolved, -EPERM abort injected into the
  // host, -EAGAIN retry). Any other result is a hyp panic.
  StatusOr<int> InjectHostPermFault(uint64_t esr, uint64_t addr, int cpu = 0);
  // The same with the whole exception: ESR/FAR/HPFAR/ELR as the handlers
  // read them and the host's registers; returns where the host resumes.
  StatusOr<HostExceptionResult> InjectHostPermFault(const HostException& e, int cpu = 0);
  // An EL1 trap pKVM does not handle itself: returns true if a module's
  // default trap handler handled it; false is a hyp panic.
  StatusOr<bool> InjectHostTrap(uint64_t esr, int cpu = 0);
  StatusOr<HostExceptionResult> InjectHostTrap(const HostException& e, int cpu = 0);
  Status InjectPsci(PsciNotification what, int cpu = 0);
  // An SError reaching EL2: returns whether the module's unmask() asked to
  // unmask (mask() is then called before re-masking).
  StatusOr<bool> InjectSError(int cpu = 0);
  // Panics the hypervisor: panic notifiers run, then the machine is dead.
  Status InjectHypPanic(const std::string& reason, int cpu = 0);

  // --- hypervisor tracing: the virtual tracefs (docs/tracing.md) ----------
  // Paths are relative to the tracing mount: "hypervisor/tracing_on" on A16,
  // "hyp/tracing_on" on A14/A15 ("/sys/kernel/tracing/..." works too). Each
  // call is one open + read/write + close with the kernel's results, e.g.
  // -EINVAL for "2" written to an event's enable file. Reads of trace_pipe
  // return what is there now (they never block). Available after Boot().
  StatusOr<std::string> TracefsRead(const std::string& path);
  Status TracefsWrite(const std::string& path, const std::string& data);
  StatusOr<std::vector<TracefsEntry>> TracefsList(const std::string& dir);
  // Writes the whole tree into a real directory (format files, header_page,
  // ids, per-CPU trace_pipe_raw pages -- consumed -- and their text as
  // `trace`), for libtraceevent / trace-cmd style readers.
  Status TracefsDump(const std::string& dir);
  // The flavour the machine runs (never kDefault) and its tracefs directory:
  // "hyp", "hypervisor" or "remotes/hypervisor".
  TracefsFlavor tracefs_flavor() const;
  std::string tracefs_root() const;
  // Writes the trace as a trace-cmd trace.dat (with libtracecmd): the events
  // in the buffers, consumed, with every event's format, for `trace-cmd
  // report` and KernelShark. -EOPNOTSUPP when this build has no libtracecmd.
  Status WriteTraceDat(const std::string& path);
  // Writes the trace in the Chrome JSON trace-event format, which the
  // Perfetto UI opens: host calls (hyp_enter .. hyp_exit) as duration events per CPU,
  // every other event as an instant. Consumes the events.
  Status WritePerfetto(const std::string& path);
  // Reads the buffers once (consuming) and writes each requested form from
  // those same events; returns the text when `what.text` (else "").
  StatusOr<std::string> ExportTrace(const TraceExport& what);
  // With TraceClockSource::kManual: moves the trace clock forward.
  void AdvanceTraceClock(uint64_t ns);

  // --- snapshot/restore ---------------------------------------------------
  // Saves the whole machine after Boot() (-EPERM before; -EIO once panicked).
  StatusOr<Snapshot> TakeSnapshot();
  // Puts the machine back into the state `snapshot` saved, a panicked machine
  // included; later snapshots stay valid. -EINVAL for an invalid snapshot or
  // one taken on another machine.
  Status RestoreSnapshot(const Snapshot& snapshot);

  // --- the fake EL3 firmware (pkvm/el3.h, docs/smc-filter.md) --
  // Programs the answer to SMCs with function id `function_id` (w0; the SVE
  // hint bit 16 is ignored); an empty handler removes it. Unprogrammed ids
  // get SMCCC_RET_NOT_SUPPORTED in x0, x1..x17 unchanged. Any time, any state.
  void SetEl3Handler(uint32_t function_id, El3Handler handler);
  void ClearEl3Handlers();
  // Every SMC that reached EL3 since Create() or the last ClearEl3Calls(),
  // oldest first: host SMCs pKVM forwarded and SMCs of EL2 code.
  std::vector<El3Call> el3_calls() const;
  void ClearEl3Calls();

  // --- state --------------------------------------------------------------
  BackendKind backend() const;
  bool protected_vms_enabled() const;
  // Why protected VMs are disabled ("" when they are enabled).
  std::string protected_vms_disabled_reason() const;
  std::string panic_report() const;
  std::string boot_log() const;
  std::string serial_output() const;  // what the hyp serial driver was given
  std::vector<std::string> loaded_modules() const;
  uint32_t dynamic_hcall_count() const;
  uint64_t hcr_el2() const;
  uint64_t hfgwtr_el2() const;

  // --- memory, guests and devices (pkvm/page_state.h, docs/memory.md) ----
  // Adds a device's MMIO range to the machine (its device tree): before Boot().
  Status AddMmioRegion(uint64_t phys, uint64_t size, const std::string& name);
  PageState page_state(uint64_t pfn) const;
  // Every page not in its boot state, devices, pools, EL2 mappings, requests.
  std::string DumpPageStates() const;
  // Host (EL1) accesses to physical memory, checked against the host stage-2:
  // a permission fault runs the modules' fault-handler chain (0 and -EAGAIN
  // retry, -EPERM injects the abort: -EPERM here, anything else panics); a
  // page the host does not own gets the abort without asking the modules.
  Status host_read(uint64_t phys, void* buf, size_t len, int cpu = 0);
  Status host_write(uint64_t phys, const void* buf, size_t len, int cpu = 0);
  // The host kernel donates nr_pages of its free RAM (taken from the top) to a
  // hypervisor pool, as its refill hypercalls do.
  Status TopUpHypPool(HypPool pool, uint64_t nr_pages);
  // The host serves the memory request the last hypercall on `cpu` left
  // (iommu_request, request_hyp_alloc, iommu_donate_pages): returns the pages
  // donated (0 when nothing was asked).
  StatusOr<uint64_t> ServeHypRequests(int cpu = 0);
  // What pKVM's IOMMU core does when the host maps pages for DMA (the
  // references pkvm_unuse_dma() drops).
  Status HostUseDma(uint64_t phys, uint64_t size);
  // A guest whose stage-2 maps the given host pages (donated to it).
  StatusOr<uint16_t> CreateGuest(const std::vector<GuestMemory>& memory);
  // An SMC from a guest: pKVM's own services, then the module's handler.
  StatusOr<GuestSmcResult> GuestSmc(uint16_t handle, const SmcccRegs& regs, int cpu = 0);
  // Device assignment: the device's reset callback runs (host_to_guest =
  // true; an error leaves the device with the host), then its MMIO pages go
  // to the guest. ReclaimDevice runs it with false (an error panics).
  Status AssignDevice(uint64_t phys, uint16_t handle, int cpu = 0);
  // A16 with a16_kmi >= 1: guest `handle` asks to lock (keep powered) or
  // unlock the device assigned to it at `phys`: the module's
  // device_register_power_lock() callback runs and its result is returned.
  // -EPERM if the device is not that guest's, -EOPNOTSUPP without a
  // callback (or below KMI level 1).
  StatusOr<int> GuestDevicePowerLock(uint64_t phys, uint16_t handle, bool lock, int cpu = 0);
  // A17 (provisional): the host asks to switch hypervisor power domain
  // `device_id` on or off (the host HVC power request). The module that
  // registered it with init_hvc_pd() gets power_on()/power_off() and its
  // result is returned (the kernel itself ignores it). -E2BIG for an id of
  // 32 or more, -ENOENT when no module drives the domain.
  StatusOr<int> HostPowerDomain(uint64_t device_id, bool on, int cpu = 0);
  Status ReclaimDevice(uint64_t phys, int cpu = 0);

  // --- emulated MMIO devices and the device tree (pkvm/devices.h, docs/devices.md) ---
  // Attaches a device model at [phys, phys + size) before Boot() (-EBUSY
  // after): every access to the range -- EL2 readl/writel, Unicorn EL1/EL2
  // loads and stores, host_read/host_write -- reaches the model. Registers
  // the MMIO region as AddMmioRegion does unless one already covers it;
  // -EEXIST when a model is attached there, -EINVAL for a bad range. A
  // console model (Pl011Device) carries the machine's serial_output().
  Status AttachMmioDevice(uint64_t phys, uint64_t size, std::shared_ptr<MmioDevice> device,
                          const std::string& name);
  // The model attached at `phys` (by the test or bound from the device tree
  // at Boot()); nullptr when none.
  std::shared_ptr<MmioDevice> mmio_device(uint64_t phys) const;
  // Describes the machine with a flattened device tree before Boot() (-EBUSY
  // after); a blob libfdt rejects is -EINVAL. EL1 code reads it with the
  // of_* functions; at Boot() every available "arm,pl011" (or
  // "arm,primecell") node with a `reg` and no model gets a Pl011Device.
  Status SetDeviceTree(std::vector<uint8_t> dtb);

  struct Impl;

 private:
  explicit Hypervisor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pkvm

#endif  // PKVM_HYPERVISOR_H_

// File: lib/hyp/hyp_ops.cc
// The `pkvm_module_ops` tables handed to module init() at EL2, for A14, A15,
// A16 and the provisional A17. One template fills them all, so a member that
// exists in several generations is served by one implementation (the members
// only A17 has are in lib/hyp/hyp_ops_a17.cc), and the compiler checks every
// assignment against that generation's member type. The memory, IOMMU,
// guest and device members come from lib/mem (FillMemoryOps), the tracing
// members from lib/trace. PKVM_UNIMPLEMENTED is kept for members a future
// generation adds: a clear error, logged once per machine, until implemented.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/devices.h"
#include "hyp/hyp_ops_a17.h"
#include "machine.h"
#include "trace/hyp_trace.h"
#include "trace/trace_ops.h"

namespace pkvm {
namespace {

Hypervisor::Impl& M() { return OpsMachine(); }
int Cpu() { return CurrentContext()->cpu; }

template <typename Fp>
struct FirstArg;
template <typename R, typename A0, typename... A>
struct FirstArg<R (*)(A0, A...)> {
  using type = A0;
};
template <typename Fp>
using FirstArgT = typename FirstArg<Fp>::type;

template <size_t N>
struct OpName {
  char s[N];
  constexpr OpName(const char (&str)[N]) {  // NOLINT: implicit for NTTP use
    for (size_t i = 0; i < N; ++i) s[i] = str[i];
  }
};

// An op that is not implemented yet: logs once, returns -EOPNOTSUPP / NULL / 0.
template <OpName kName, typename Fp>
struct Unimplemented;
template <OpName kName, typename R, typename... A>
struct Unimplemented<kName, R (*)(A...)> {
  static R Fn(A...) {
    M().ReportUnimplemented(kName.s);
    if constexpr (std::is_void_v<R>) {
      return;
    } else if constexpr (std::is_pointer_v<R>) {
      return nullptr;
    } else if constexpr (std::is_signed_v<R>) {
      return static_cast<R>(-EOPNOTSUPP);
    } else {
      return R{};
    }
  }
};
#define PKVM_UNIMPLEMENTED(ops, member) \
  (ops).member = &Unimplemented<#member, decltype((ops).member)>::Fn

// ---- serial -----------------------------------------------------------------

// Output with no serial driver is dropped, as in the kernel; a module author
// who expected to see it learns why from the boot log.
bool NoSerialDriver(Hypervisor::Impl& m, const char* op) {
  if (m.serial_putc != 0) return false;
  if (!m.serial_drop_reported) {
    m.serial_drop_reported = true;
    m.Log(absl::StrCat("hyp: ops->", op, "() printed nothing: no serial driver is registered ",
                       "(register_serial_driver()); output before one is registered is dropped"));
  }
  return true;
}

void SerialPutc(Hypervisor::Impl& m, char c) {
  if (m.serial_putc == 0) return;
  // With a console UART attached, serial output is what the UART transmits.
  if (!devices::HasConsole(m)) m.serial.push_back(c);
  // Unwind only if the driver itself panicked: a panic notifier printing on
  // an already panicked machine must get its whole line out.
  const bool was_panicked = m.state == MachineState::kPanicked;
  if (!m.CallEl2Void(m.serial_putc, Cpu(), c) && !was_panicked) PanicUnwind();
}

int RegisterSerialDriver(void (*cb)(char)) {
  if (cb == nullptr) return -EINVAL;
  return Hypervisor::Impl::RegisterSlot(M().serial_putc, reinterpret_cast<uint64_t>(cb));
}
void Putc(char c) {
  Hypervisor::Impl& m = M();
  if (NoSerialDriver(m, "putc")) return;
  SerialPutc(m, c);
}
void Puts(const char* s) {
  Hypervisor::Impl& m = M();
  if (NoSerialDriver(m, "puts")) return;
  while (*s != '\0') SerialPutc(m, *s++);
  SerialPutc(m, '\n');
  SerialPutc(m, '\r');
}
void Putx64(pkvm_u64 x) {
  Hypervisor::Impl& m = M();
  if (NoSerialDriver(m, "putx64")) return;
  SerialPutc(m, '0');
  SerialPutc(m, 'x');
  for (int i = 15; i >= 0; --i) SerialPutc(m, "0123456789abcdef"[(x >> (4 * i)) & 0xf]);
  SerialPutc(m, '\n');
  SerialPutc(m, '\r');
}

// ---- system registers -------------------------------------------------------

void UpdateHcrEl2(unsigned long set, unsigned long clear) {
  Hypervisor::Impl& m = M();
  m.hcr_el2 = (m.hcr_el2 | set) & ~static_cast<uint64_t>(clear);
}
void UpdateHfgwtrEl2(unsigned long set, unsigned long clear) {
  Hypervisor::Impl& m = M();
  m.hfgwtr_el2 = (m.hfgwtr_el2 | set) & ~static_cast<uint64_t>(clear);
}

// ---- handler registration ---------------------------------------------------

template <typename Cb>
int RegisterPermFault(Cb cb) {
  if (cb == nullptr) return -EINVAL;
  return M().RegisterChain(M().perm_fault_handlers, reinterpret_cast<uint64_t>(cb));
}
template <typename Cb>
int RegisterHostSmc(Cb cb) {
  if (cb == nullptr) return -EINVAL;
  return M().RegisterChain(M().host_smc_handlers, reinterpret_cast<uint64_t>(cb));
}
template <typename Cb, HandlerSlot Hypervisor::Impl::*kSlot>
int RegisterSingle(Cb cb) {
  if (cb == nullptr) return -EINVAL;
  return Hypervisor::Impl::RegisterSlot(M().*kSlot, reinterpret_cast<uint64_t>(cb));
}
int RegisterUnmaskSerror(PKVM_ABI_BOOL (*unmask)(void), void (*mask)(void)) {
  if (unmask == nullptr || mask == nullptr) return -EINVAL;
  Hypervisor::Impl& m = M();
  if (m.unmask_serror != 0) return -EBUSY;
  m.unmask_serror = reinterpret_cast<uint64_t>(unmask);
  m.mask_serror = reinterpret_cast<uint64_t>(mask);
  return 0;
}

// ---- memory helpers ---------------------------------------------------------

void* Memcpy(void* to, const void* from, pkvm_size_t n) { return std::memcpy(to, from, n); }
void* Memset(void* dst, int c, pkvm_size_t n) { return std::memset(dst, c, n); }

// hyp_va/hyp_pa are the hypervisor's linear map: pure arithmetic, as in the
// kernel, over the simulated RAM's placement in this process.
pkvm_phys_addr_t HypPa(void* x) {
  Hypervisor::Impl& m = M();
  return reinterpret_cast<uint64_t>(x) - reinterpret_cast<uint64_t>(m.ram) + kRamBase;
}
void* HypVa(pkvm_phys_addr_t phys) {
  Hypervisor::Impl& m = M();
  return reinterpret_cast<void*>(phys - kRamBase + reinterpret_cast<uint64_t>(m.ram));
}
// The host's linear map and the hypervisor's coincide in the native backend.
unsigned long KernHypVa(unsigned long x) { return x; }

void* AllocModuleVa(pkvm_u64 nr_pages) {
  // Not through the host hypercall path: that would clobber the register file
  // of the hypercall this EL2 code is running in.
  return reinterpret_cast<void*>(M().AllocModuleVa(nr_pages));
}

int HypSmpProcessorId(void) { return Cpu(); }

// get_time: "time in us, typically used to track intervals": the
// hypervisor's clock, the one its trace timestamps come from (so
// TraceClockSource::kManual makes it exact in tests).
pkvm_u64 GetTime(void) { return M().trace->NowNs() / 1000; }

int LazyPteDeprecated(pkvm_u64, pkvm_u64) {
  M().Log("WARNING: host_stage2_{enable,disable}_lazy_pte are deprecated in A16: -EPERM");
  return -EPERM;
}

// CONFIG_LIST_HARDENED checks: true when the operation is valid.
bool ListAddValid(struct list_head* new_entry, struct list_head* prev, struct list_head* next) {
  struct Node {
    Node *next, *prev;
  };
  auto* n = reinterpret_cast<Node*>(new_entry);
  auto* p = reinterpret_cast<Node*>(prev);
  auto* x = reinterpret_cast<Node*>(next);
  const bool ok = x->prev == p && p->next == x && n != p && n != x;
  if (!ok) M().Log("hyp: list_add corruption detected");
  return ok;
}
bool ListDelValid(struct list_head* entry) {
  struct Node {
    Node *next, *prev;
  };
  auto* e = reinterpret_cast<Node*>(entry);
  const bool ok = e->prev != nullptr && e->next != nullptr && e->prev->next == e &&
                  e->next->prev == e;
  if (!ok) M().Log("hyp: list_del corruption detected");
  return ok;
}

// ---- the tables ---------------------------------------------------------------

template <typename Ops>
void FillOps(Ops& o) {
  using Impl = Hypervisor::Impl;
  o.alloc_module_va = &AllocModuleVa;
  o.register_serial_driver = &RegisterSerialDriver;
  if constexpr (requires { o.putc; }) o.putc = &Putc;
  o.puts = &Puts;
  o.putx64 = &Putx64;
  o.update_hcr_el2 = &UpdateHcrEl2;
  o.update_hfgwtr_el2 = &UpdateHfgwtrEl2;
  o.register_host_perm_fault_handler =
      &RegisterPermFault<FirstArgT<decltype(o.register_host_perm_fault_handler)>>;
  o.register_host_smc_handler = &RegisterHostSmc<FirstArgT<decltype(o.register_host_smc_handler)>>;
  o.register_default_trap_handler =
      &RegisterSingle<FirstArgT<decltype(o.register_default_trap_handler)>, &Impl::default_trap>;
  o.register_illegal_abt_notifier =
      &RegisterSingle<FirstArgT<decltype(o.register_illegal_abt_notifier)>, &Impl::illegal_abt>;
  o.register_psci_notifier =
      &RegisterSingle<FirstArgT<decltype(o.register_psci_notifier)>, &Impl::psci_notifier>;
  o.register_hyp_panic_notifier =
      &RegisterSingle<FirstArgT<decltype(o.register_hyp_panic_notifier)>, &Impl::panic_notifier>;
  if constexpr (requires { o.register_unmask_serror; }) o.register_unmask_serror = &RegisterUnmaskSerror;
  o.memcpy = &Memcpy;
  o.memset = &Memset;
  if constexpr (requires { o.hyp_pa; }) {  // A14-A16 (A17 dropped them)
    o.hyp_pa = &HypPa;
    o.hyp_va = &HypVa;
    o.kern_hyp_va = &KernHypVa;
  }
  if constexpr (requires { o.hyp_alloc; }) {  // A15+
    o.tracing_reserve_entry = &trace::TracingReserveEntry;
    o.tracing_commit_entry = &trace::TracingCommitEntry;
    o.hyp_smp_processor_id = &HypSmpProcessorId;
  }
  if constexpr (requires { o.register_hyp_event_ids; })
    o.register_hyp_event_ids = &trace::RegisterHypEventIds;
  if constexpr (requires { o.fixblock_map, o.host_stage2_enable_lazy_pte; }) {
    // A16: lazy PTEs are deprecated, -EPERM (A17 removed them)
    o.host_stage2_enable_lazy_pte = &LazyPteDeprecated;
    o.host_stage2_disable_lazy_pte = &LazyPteDeprecated;
  }
  if constexpr (requires { o.tracing_mod_hyp_printk; }) {  // A16
    o.tracing_mod_hyp_printk = &trace::TracingModHypPrintk;
  }
  if constexpr (requires { o.get_time; }) o.get_time = &GetTime;  // A16 KMI >= 2, A17
  if constexpr (requires { o.list_add_valid_or_report; }) {
    o.list_add_valid_or_report = &ListAddValid;
    o.list_del_entry_valid_or_report = &ListDelValid;
  }
  // Memory ownership, IOMMU pools, guests and devices (lib/mem/).
  mem::FillMemoryOps(o);
}

}  // namespace

void InitModuleOps(Hypervisor::Impl& m) {
  FillOps(m.ops_a14);
  FillOps(m.ops_a15);
  FillOps(m.ops_a16);
  FillOps(m.ops_a17);
  FillOpsA17(m.ops_a17);  // the members only A17 has (lib/hyp/hyp_ops_a17.cc)
  // A16 KABI slots above the machine's KMI level stay reserved: zero, as
  // the kernel leaves an unused slot.
  if (m.opts.a16_kmi < kA16KmiPowerLock) m.ops_a16.android_kabi_reserved5 = 0;
  if (m.opts.a16_kmi < kA16KmiLate) m.ops_a16.android_kabi_reserved6 = 0;
}

}  // namespace pkvm

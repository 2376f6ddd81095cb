// File: arch/aarch64/el2/el2_runtime.cc
// The EL2 runtime (see el2_runtime.h). Single CPU; freestanding.
#include "el2_runtime.h"

#include <cstddef>
#include <cstdint>

#include "el2_arch.h"
#include "el2_mmu.h"
#include "pkvm/abi/hyp_events.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/host_hcall.h"
#include "pkvm/hvc_registry.h"
#include "pkvm/trace_ring.h"
#include "pl011.h"

// vectors.S takes its offsets from asm_offsets.cc; these pin the ABI
// layout it relies on (host x0..x30 first, then sp, pc, pstate).
static_assert(offsetof(kvm_cpu_context, regs) == 0);
static_assert(offsetof(user_pt_regs, sp) == 248);
static_assert(offsetof(user_pt_regs, pc) == offsetof(user_pt_regs, sp) + 8);
static_assert(offsetof(user_pt_regs, pstate) == offsetof(user_pt_regs, pc) + 8);

namespace pkvm::el2 {
namespace {

constexpr Generation kGen = static_cast<Generation>(PKVM_EL2_GENERATION);
using CC = CallingConvention<kGen>;
using HostArg = CC::HandlerArg;  // kvm_cpu_context (A14) or user_pt_regs (A15)
using DynHcall = void (*)(HostArg*);
using HostSmcCb = bool (*)(HostArg*);
using PanicCb = void (*)(HostArg*);
constexpr uint32_t kNrStatic = PKVM_DYNAMIC_HCALL_FIRST;  // every id < 128 is static
constexpr int kENoEnt = -2, kEFault = -14, kEBusy = -16, kEInval = -22, kENoMem = -12;
constexpr uint64_t kNotSupported = static_cast<uint64_t>(PKVM_SMCCC_RET_NOT_SUPPORTED);
constexpr int kMaxHandlers = 16;     // MAX_MOD_HANDLERS (spec §1.5)
constexpr int kMaxEventRanges = 16;
constexpr uint32_t kTracePages = 4;  // reader page + 3 ring pages

// ---- state -----------------------------------------------------------------

kvm_cpu_context g_host_ctxt;
HvcRegistry g_registry;
El2Mmu g_mmu;
ModuleOpsTable g_ops;
bool g_deprivileged = false;
uint64_t g_hcr = 0;

pkvm_serial_putc_cb_t g_putc = nullptr;
HostSmcCb g_smc_handlers[kMaxHandlers];
PanicCb g_panic_notifiers[kMaxHandlers];

struct EventRange {
  hyp_event_id* start;
  hyp_event_id* end;
};
EventRange g_event_ranges[kMaxEventRanges];
int g_nr_event_ranges = 0;
bool g_core_event_on[3] = {false, false, false};

trace::TraceClock g_clock;
trace::RingBuffer g_ring;
trace_buffer_meta g_meta __attribute__((aligned(4096)));
// struct pkvm_buffer_data_page is the page header and a flexible array:
// the storage is whole pages.
alignas(4096) unsigned char g_page_mem[kTracePages][trace::kPageSize];
trace::RingPage g_descs[kTracePages];

// ---- console -----------------------------------------------------------------

void PutHexDigits(uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    const unsigned d = (v >> (i * 4)) & 0xF;
    g_putc(static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
  }
}

// ---- pkvm_module_ops members ------------------------------------------------

int OpRegisterSerialDriver(pkvm_serial_putc_cb_t cb) {
  if (cb == nullptr) return kEInval;
  if (g_putc != nullptr) return kEBusy;
  g_putc = cb;
  return 0;
}
[[maybe_unused]] void OpPutc(char c) {
  if (g_putc) g_putc(c);
}
void OpPuts(const char* s) { ConsolePuts(s); }
void OpPutx64(pkvm_u64 v) { ConsolePutHex(v); }

void OpUpdateHcrEl2(unsigned long set, unsigned long clear) {
  g_hcr = (g_hcr & ~clear) | set;
  PKVM_WRITE_SYSREG(hcr_el2, g_hcr);
  Isb();
}

template <typename Cb>
int AddHandler(Cb* table, Cb cb) {
  if (cb == nullptr) return kEInval;
  for (int i = 0; i < kMaxHandlers; ++i) {
    if (table[i] == nullptr) {
      table[i] = cb;
      return 0;
    }
  }
  return kEBusy;
}
int OpRegisterHostSmcHandler(HostSmcCb cb) { return AddHandler(g_smc_handlers, cb); }
int OpRegisterHypPanicNotifier(PanicCb cb) { return AddHandler(g_panic_notifiers, cb); }

void* OpMemcpy(void* to, const void* from, pkvm_size_t n) {
  auto* d = static_cast<unsigned char*>(to);
  const auto* s = static_cast<const unsigned char*>(from);
  for (pkvm_size_t i = 0; i < n; ++i) d[i] = s[i];
  return to;
}
void* OpMemset(void* dst, int c, pkvm_size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  for (pkvm_size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}
[[maybe_unused]] pkvm_phys_addr_t OpHypPa(void* x) {
  return El2Mmu::Translate(reinterpret_cast<uint64_t>(x));
}
// RAM is identity-mapped at EL2, so the hyp VA of a RAM address is itself.
[[maybe_unused]] void* OpHypVa(pkvm_phys_addr_t phys) { return reinterpret_cast<void*>(phys); }
// The host runs with its MMU off: its addresses are physical, hence RAM
// addresses are their own hyp VAs too.
[[maybe_unused]] unsigned long OpKernHypVa(unsigned long x) { return x; }

void* OpAllocModuleVa(pkvm_u64 nr_pages) {
  return reinterpret_cast<void*>(g_mmu.AllocModuleVa(nr_pages));
}
int OpMapModulePage(pkvm_u64 pfn, void* va, enum kvm_pgtable_prot prot, bool) {
  return g_mmu.MapModulePage(reinterpret_cast<uint64_t>(va), pfn * kPageSize, prot);
}

[[maybe_unused]] int OpRegisterHypEventIds(unsigned long start, unsigned long end) {
  if (start > end || (end - start) % sizeof(hyp_event_id) != 0) return kEInval;
  if (g_nr_event_ranges == kMaxEventRanges) return kENoMem;
  g_event_ranges[g_nr_event_ranges++] = {reinterpret_cast<hyp_event_id*>(start),
                                         reinterpret_cast<hyp_event_id*>(end)};
  return 0;
}
[[maybe_unused]] void* OpTracingReserveEntry(unsigned long length) {
  return length > 0xFFFFFFFFul ? nullptr : g_ring.Reserve(static_cast<uint32_t>(length));
}
[[maybe_unused]] void OpTracingCommitEntry() { g_ring.Commit(); }
[[maybe_unused]] int OpHypSmpProcessorId() { return 0; }
// The image has no __hyp_printk event: a module's trace_hyp_printk() record
// is dropped, as the kernel drops it while the event is disabled.
[[maybe_unused]] void OpTracingModHypPrintk(pkvm_u8, pkvm_u64, pkvm_u64, pkvm_u64, pkvm_u64) {}
[[maybe_unused]] pkvm_u64 OpGetTime() {
  const uint64_t freq = PKVM_READ_SYSREG(cntfrq_el0);
  return freq ? ReadCntvct() * 1000000 / freq : 0;
}
[[maybe_unused]] void OpUdelay(unsigned long usecs) {
  const uint64_t freq = PKVM_READ_SYSREG(cntfrq_el0);
  const uint64_t end = ReadCntvct() + usecs * freq / 1000000;
  while (ReadCntvct() < end) {
  }
}

void FillOps() {
  // Members not filled stay NULL: a module calling one takes an instruction
  // abort at EL2, reported as a hyp panic (docs/hardware-backend.md).
  g_ops.alloc_module_va = OpAllocModuleVa;
  g_ops.map_module_page = OpMapModulePage;
  g_ops.register_serial_driver = OpRegisterSerialDriver;
  g_ops.puts = OpPuts;
  g_ops.putx64 = OpPutx64;
  g_ops.update_hcr_el2 = OpUpdateHcrEl2;
  g_ops.register_host_smc_handler = OpRegisterHostSmcHandler;
  g_ops.register_hyp_panic_notifier = OpRegisterHypPanicNotifier;
  g_ops.memcpy = OpMemcpy;
  g_ops.memset = OpMemset;
#if PKVM_EL2_GENERATION <= 16  // A17 dropped hyp_pa, hyp_va, kern_hyp_va and udelay
  g_ops.hyp_pa = OpHypPa;
  g_ops.hyp_va = OpHypVa;
  g_ops.kern_hyp_va = OpKernHypVa;
#endif
#if PKVM_EL2_GENERATION >= 15
  g_ops.putc = OpPutc;
  g_ops.tracing_reserve_entry = OpTracingReserveEntry;
  g_ops.tracing_commit_entry = OpTracingCommitEntry;
  g_ops.hyp_smp_processor_id = OpHypSmpProcessorId;
#endif
#if PKVM_EL2_GENERATION == 15 || PKVM_EL2_GENERATION == 16
  g_ops.udelay = OpUdelay;
#endif
#if PKVM_EL2_GENERATION == 15  // A16 on: the loader registers module events
  g_ops.register_hyp_event_ids = OpRegisterHypEventIds;
#endif
#if PKVM_EL2_GENERATION >= 16
  g_ops.tracing_mod_hyp_printk = OpTracingModHypPrintk;
#endif
#if PKVM_EL2_GENERATION >= 17
  g_ops.get_time = OpGetTime;
#endif
}

// ---- trace ------------------------------------------------------------------

uint64_t CounterRead(void*) { return ReadCntvct(); }

void InitTrace() {
  const uint64_t freq = PKVM_READ_SYSREG(cntfrq_el0);
  // ns = cyc * mult >> shift with mult = 10^9 * 2^shift / freq, kept in 32 bits.
  uint32_t shift = 24;
  uint64_t mult = (1000000000ull << shift) / (freq ? freq : 1);
  while (mult > 0xFFFFFFFFull && shift > 0) {
    --shift;
    mult = (1000000000ull << shift) / (freq ? freq : 1);
  }
  g_clock.Init(CounterRead, nullptr, static_cast<uint32_t>(mult), shift, 0, 0);
  pkvm_buffer_data_page* pages[kTracePages];
  for (uint32_t i = 0; i < kTracePages; ++i)
    pages[i] = reinterpret_cast<pkvm_buffer_data_page*>(g_page_mem[i]);
  // A14 pages end with the rb_ext_page_footer: less room for data.
  (void)g_ring.Init(&g_meta, pages, kTracePages, g_descs, &g_clock,
                    kGen == Generation::kA14 ? trace::kDataSizeA14 : trace::kDataSize);
}

struct __attribute__((packed)) HostHcallRec {
  uint16_t id;
  uint32_t hcall;
  uint8_t invalid;
};
struct __attribute__((packed)) HostSmcRec {
  uint16_t id;
  uint64_t smc;
  uint8_t forwarded;
};

template <typename Rec>
void EmitCore(const Rec& rec) {
  if (!g_core_event_on[rec.id]) return;
  if (void* p = g_ring.Reserve(sizeof(Rec))) {
    __builtin_memcpy(p, &rec, sizeof(Rec));
    g_ring.Commit();
  }
}

hyp_event_id* FindModuleEvent(uint64_t id) {
  for (int r = 0; r < g_nr_event_ranges; ++r)
    for (hyp_event_id* e = g_event_ranges[r].start; e < g_event_ranges[r].end; ++e)
      if (e->id == id) return e;
  return nullptr;
}

int EnableEvent(uint64_t id, bool on) {
  if (id == kEventHostHcall || id == kEventHostSmc) {
    g_core_event_on[id] = on;
    return 0;
  }
  hyp_event_id* e = FindModuleEvent(id);
  if (e == nullptr || e->data == nullptr) return kENoEnt;
  // The flag is module data: after the host applied .hyp.reloc its address
  // is in the module window. An EL1 address here means an unrelocated slot.
  const uint64_t flag = reinterpret_cast<uint64_t>(e->data);
  if (flag < kModuleVaBase || El2Mmu::Translate(flag) == ~0ull) return kEFault;
  __atomic_store_n(static_cast<int*>(e->data), on ? 1 : 0, __ATOMIC_RELAXED);
  return 0;
}

// trace_pipe_raw over the console: each page the reader can take, as
// "TRACE_PAGE <id> <8192 hex digits>" (byte order as in memory).
uint64_t DumpTrace() {
  const trace_buffer_meta* m = g_ring.meta();
  ConsolePuts("TRACE_META entries=");
  ConsolePutDec(m->entries);
  ConsolePuts(" overrun=");
  ConsolePutDec(m->overrun);
  ConsolePuts(" nr_pages=");
  ConsolePutDec(g_ring.nr_pages());
  ConsolePuts("\n");
  uint64_t printed = 0;
  for (uint32_t i = 0; i < 2 * kTracePages; ++i) {
    if (g_ring.SwapReaderPage() != 0) break;
    const auto* page = reinterpret_cast<const unsigned char*>(g_ring.reader_page());
    ConsolePuts("TRACE_PAGE ");
    ConsolePutDec(g_ring.reader_page_id());
    g_putc(' ');
    for (uint32_t b = 0; b < trace::kPageSize; ++b) PutHexDigits(page[b], 2);
    g_putc('\n');
    ++printed;
    if (g_ring.ReaderPageIsTail()) break;
  }
  return printed;
}

// ---- host hypercalls ----------------------------------------------------------

using InitFn = int (*)(const ModuleOpsTable*);

// The static handlers: x0 is SUCCESS already (RouteHostHcall); the result
// goes to x1. False: not a hypercall this hypervisor has.
bool RunStatic(uint32_t id, kvm_cpu_context* ctx) {
  pkvm_u64* r = ctx->regs.regs;
  if (id == pkvm_prot_finalize_id(PKVM_EL2_GENERATION)) {  // __pkvm_prot_finalize
    g_deprivileged = true;
    r[1] = 0;
    return true;
  }
  switch (id) {
    case PKVM_HCALL_kvm_get_mdcr_el2:
      r[1] = PKVM_READ_SYSREG(mdcr_el2);
      return true;
    case PKVM_HCALL_pkvm_alloc_module_va:
      r[1] = g_mmu.AllocModuleVa(r[1]);
      return true;
    case PKVM_HCALL_pkvm_map_module_page:
      r[1] = static_cast<uint64_t>(static_cast<int64_t>(
          g_mmu.MapModulePage(r[2], r[1] * kPageSize, r[3])));
      return true;
    case PKVM_HCALL_pkvm_unmap_module_page:
      r[1] = static_cast<uint64_t>(static_cast<int64_t>(g_mmu.UnmapModulePage(r[2])));
      return true;
    case PKVM_HCALL_pkvm_init_module: {
      // The init function must be mapped executable in a module range.
      if (r[1] < kModuleVaBase || El2Mmu::Translate(r[1]) == ~0ull) {
        r[1] = static_cast<uint64_t>(static_cast<int64_t>(kEInval));
        return true;
      }
#if PKVM_EL2_GENERATION >= 16
      // From A16 the loader, not the module, registers the module's events
      // (register_hyp_mod_events); this image's host passes the EL2 span of
      // .hyp.event_ids in x2/x3 instead of the whole struct pkvm_el2_module.
      if (r[3] > r[2] && OpRegisterHypEventIds(r[2], r[3]) != 0) {
        r[1] = static_cast<uint64_t>(static_cast<int64_t>(kEInval));
        return true;
      }
#endif
      r[1] = static_cast<uint64_t>(static_cast<int64_t>(reinterpret_cast<InitFn>(r[1])(&g_ops)));
      return true;
    }
    case PKVM_HCALL_pkvm_register_hcall:
      // Debug check as CONFIG_NVHE_EL2_DEBUG: the handler lies in a module.
      if (r[1] < kModuleVaBase || El2Mmu::Translate(r[1]) == ~0ull) {
        r[1] = static_cast<uint64_t>(static_cast<int64_t>(kEInval));
        return true;
      }
      r[1] = static_cast<uint64_t>(static_cast<int64_t>(g_registry.Register(r[1])));
      return true;
    case kHwHcallTracingEnable:
      if (r[1]) {
        g_ring.Enable();
      } else {
        g_ring.Disable();
      }
      r[1] = 0;
      return true;
    case kHwHcallEventEnable:
      r[1] = static_cast<uint64_t>(static_cast<int64_t>(EnableEvent(r[1], r[2] != 0)));
      return true;
    case kHwHcallTraceDump:
      r[1] = DumpTrace();
      return true;
    case kHwHcallSystemOff:
      ConsolePuts("EL2: system off\n");
      SystemOff();
    default:
      return false;
  }
}

void HandleHostHcall(kvm_cpu_context* ctx) {
  const uint32_t fid = static_cast<uint32_t>(ctx->regs.regs[0]);
  const HostHcallTarget t = RouteHostHcall<kGen>(ctx, g_registry, g_deprivileged,
                                                 pkvm_prot_finalize_id(PKVM_EL2_GENERATION),
                                                 kNrStatic);
  bool invalid = false;
  switch (t.route) {
    case HcallRoute::kDynamic:
      reinterpret_cast<DynHcall>(t.handler)(static_cast<HostArg*>(t.arg));
      break;
    case HcallRoute::kStatic:
      if (!RunStatic(t.static_id, ctx)) {
        ctx->regs.regs[0] = kNotSupported;
        invalid = true;
      }
      break;
    case HcallRoute::kNotSupported:
      invalid = true;
      break;
  }
  EmitCore(HostHcallRec{kEventHostHcall,
                        static_cast<uint32_t>(fid - static_cast<uint32_t>(PKVM_HOST_SMCCC_BASE)),
                        static_cast<uint8_t>(invalid)});
}

void HandleHostSmc(kvm_cpu_context* ctx) {
  // A trapped SMC returns to the SMC itself (ELR_EL2 = its address).
  ctx->regs.pc += 4;
  const uint64_t id = ctx->regs.regs[0];
  bool handled = false;
  for (int i = 0; i < kMaxHandlers && g_smc_handlers[i] && !handled; ++i)
    handled = g_smc_handlers[i](CC::Arg(ctx));
  // No EL3 firmware is forwarded to on this board: unhandled SMCs fail.
  if (!handled) ctx->regs.regs[0] = kNotSupported;
  EmitCore(HostSmcRec{kEventHostSmc, id, 0});
}

[[noreturn]] void Panic(const char* why, const pkvm_u64* regs, uint64_t esr, uint64_t far,
                        uint64_t elr, uint64_t spsr, uint64_t sp) {
  g_ring.Panic();
  ConsolePuts("HYP_PANIC ");
  ConsolePuts(why);
  ConsolePuts(" ec=");
  ConsolePutHex(EsrClass(esr));
  ConsolePuts(" (");
  ConsolePuts(EsrClassName(EsrClass(esr)));
  ConsolePuts(") esr=");
  ConsolePutHex(esr);
  ConsolePuts(" far=");
  ConsolePutHex(far);
  ConsolePuts(" elr=");
  ConsolePutHex(elr);
  ConsolePuts(" spsr=");
  ConsolePutHex(spsr);
  ConsolePuts(" sp=");
  ConsolePutHex(sp);
  ConsolePuts("\n");
  for (int i = 0; i < 31; ++i) {
    ConsolePuts(i % 4 == 0 ? "HYP_PANIC_REGS" : "");
    ConsolePuts(" x");
    ConsolePutDec(static_cast<uint64_t>(i));
    ConsolePuts("=");
    ConsolePutHex(regs[i]);
    if (i % 4 == 3 || i == 30) ConsolePuts("\n");
  }
  for (int i = 0; i < kMaxHandlers && g_panic_notifiers[i]; ++i)
    g_panic_notifiers[i](CC::Arg(&g_host_ctxt));
  ConsolePuts("HYP_PANIC_END\n");
  SystemOff();
}

}  // namespace

// ---- public ---------------------------------------------------------------------

void ConsolePuts(const char* s) {
  if (g_putc == nullptr) return;
  while (*s) g_putc(*s++);
}
void ConsolePutHex(uint64_t v) {
  if (g_putc == nullptr) return;
  g_putc('0');
  g_putc('x');
  PutHexDigits(v, 16);
}
void ConsolePutDec(uint64_t v) {
  if (g_putc == nullptr) return;
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) g_putc(buf[--n]);
}

const ModuleOpsTable* ModuleOps() { return &g_ops; }

void RuntimeInit(const RuntimeConfig& cfg) {
  g_mmu.Init();
  g_mmu.Enable();
  PKVM_WRITE_SYSREG(vbar_el2, reinterpret_cast<uint64_t>(pkvm_el2_vectors));
  PKVM_WRITE_SYSREG(tpidr_el2, reinterpret_cast<uint64_t>(&g_host_ctxt));
  Isb();
  FillOps();
  InitTrace();

  // EL1: AArch64, host SMCs trapped if asked; no stage 2 (VM = 0).
  g_hcr = kHcrRw | (cfg.trap_smc ? kHcrTsc : 0);
  PKVM_WRITE_SYSREG(hcr_el2, g_hcr);
  // CPTR_EL2: RES1 bits 13:12, 9:0; TFP = 0 (no FP/SIMD traps).
  PKVM_WRITE_SYSREG(cptr_el2, 0x33FFull);
  // CNTHCTL_EL2.EL1PCTEN | EL1PCEN: EL1 reads the counters; no offset.
  PKVM_WRITE_SYSREG(cnthctl_el2, 3ull);
  PKVM_WRITE_SYSREG(cntvoff_el2, 0ull);
  PKVM_WRITE_SYSREG(vttbr_el2, 0ull);
  // PMU: the host may read every counter (HPMN = PMCR_EL0.N, no traps).
  // Event counter 0 counts instructions, the cycle counter cycles, both at
  // EL2 only, so the host can measure a hypercall's EL2 cost from EL1.
  const uint64_t pmcr = PKVM_READ_SYSREG(pmcr_el0);
  PKVM_WRITE_SYSREG(mdcr_el2, (pmcr >> 11) & 0x1F);
  PKVM_WRITE_SYSREG(pmevtyper0_el0, kPmuFilterP | kPmuFilterU | kPmuFilterNsh | kPmuEventInstRetired);
  PKVM_WRITE_SYSREG(pmccfiltr_el0, kPmuFilterP | kPmuFilterU | kPmuFilterNsh);
  PKVM_WRITE_SYSREG(pmcntenset_el0, (1ull << 31) | 1ull);
  PKVM_WRITE_SYSREG(pmcr_el0, (1ull << 6) | (1ull << 2) | (1ull << 1) | 1ull);  // LC, C, P, E
  Isb();

  if (cfg.uart_base) {
    Pl011Init(cfg.uart_base);
    (void)g_ops.register_serial_driver(&Pl011Putc);
  }
  ConsolePuts("EL2: runtime up, pkvm_module_ops (");
  ConsolePuts(GenerationBranch(kGen));
  ConsolePuts(") at ");
  ConsolePutHex(reinterpret_cast<uint64_t>(&g_ops));
  ConsolePuts("\nEVENT host_hcall ");
  ConsolePutDec(kEventHostHcall);
  ConsolePuts("\nEVENT host_smc ");
  ConsolePutDec(kEventHostSmc);
  ConsolePuts("\nPMU pmcr=");
  ConsolePutHex(pmcr);
  ConsolePuts(" pmceid0=");
  ConsolePutHex(PKVM_READ_SYSREG(pmceid0_el0));
  ConsolePuts(" cntfrq=");
  ConsolePutDec(PKVM_READ_SYSREG(cntfrq_el0));
  ConsolePuts("\n");
}

[[noreturn]] void EnterHost(uint64_t pc, uint64_t sp) {
  // SCTLR_EL1: RES1 bits only (MMU, caches and alignment checks off).
  PKVM_WRITE_SYSREG(sctlr_el1, 0x30D00800ull);
  PKVM_WRITE_SYSREG(sp_el1, sp);
  PKVM_WRITE_SYSREG(elr_el2, pc);
  PKVM_WRITE_SYSREG(spsr_el2, kSpsrEl1hMasked);
  asm volatile("isb\n eret" ::: "memory");
  __builtin_unreachable();
}

[[noreturn]] void SystemOff() {
  Pl011Flush();
  register uint64_t x0 asm("x0") = 0x84000008;  // PSCI SYSTEM_OFF
  asm volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
  for (;;) asm volatile("wfi");
}

}  // namespace pkvm::el2

using namespace pkvm::el2;

extern "C" void pkvm_el2_handle_host_trap(kvm_cpu_context* ctxt, uint64_t esr) {
  switch (EsrClass(esr)) {
    case kEcHvc64:
      HandleHostHcall(ctxt);
      return;
    case kEcSmc64:
      HandleHostSmc(ctxt);
      return;
    default:
      // Data/instruction aborts from the host cannot happen without a host
      // stage 2; anything else is unexpected. Both are fatal here.
      Panic("unhandled host trap", ctxt->regs.regs, esr, PKVM_READ_SYSREG(far_el2), ctxt->regs.pc,
            ctxt->regs.pstate, ctxt->regs.sp);
  }
}

extern "C" void pkvm_el2_handle_hyp_fault(pkvm_el2_fault_frame* f, uint64_t kind) {
  static const char* const kKinds[16] = {
      "sync at EL2 (SP_EL0)", "IRQ at EL2 (SP_EL0)", "FIQ at EL2 (SP_EL0)", "SError at EL2 (SP_EL0)",
      "sync at EL2",          "IRQ at EL2",          "FIQ at EL2",          "SError at EL2",
      "sync from EL1",        "IRQ from EL1",        "FIQ from EL1",        "SError from EL1",
      "sync from AArch32",    "IRQ from AArch32",    "FIQ from AArch32",    "SError from AArch32"};
  Panic(kKinds[kind & 15], f->regs, f->esr, f->far, f->elr, f->spsr, f->sp);
}

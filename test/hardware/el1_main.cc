// File: test/hardware/el1_main.cc
// EL1 side of the bare-metal test image: a minimal "host kernel". It loads
// the EL2 halves of two modules the way the kernel's __pkvm_load_el2_module
// does (spec §2.4: __pkvm_alloc_module_va, event ids, .hyp.reloc applied on
// the EL1 copy, __pkvm_map_module_page per page, __pkvm_init_module), then
// issues real HVCs and prints one line per result for the host-side test
// (hardware_test.cc) to check:
//   LOADED <name> ...          RESULT <name> x0=<hex> x1=<hex>
//   EVENT <name> <id>          BENCH <name> insns=<n> cycles=<n> ...
// It ends with a deliberate data abort in module code at EL2.
//
// Runs with the EL1 MMU off (addresses are physical, data accesses Device):
// the image is built with -mstrict-align.
#include <cstdint>

#include "el2_runtime.h"
#include "pkvm/abi/smccc.h"
#include "pkvm/hyp_event_desc.h"

namespace {

// ---- console: the host's own PL011 driver ------------------------------------

volatile uint32_t* const kUart = reinterpret_cast<volatile uint32_t*>(0x09000000);

void Putc(char c) {
  if (c == '\n') Putc('\r');
  while (kUart[0x18 / 4] & (1u << 5)) {
  }
  kUart[0] = static_cast<unsigned char>(c);
}
void Puts(const char* s) {
  while (*s) Putc(*s++);
}
void PutHex(uint64_t v) {
  Puts("0x");
  for (int i = 15; i >= 0; --i) {
    const unsigned d = (v >> (i * 4)) & 0xF;
    Putc(static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
  }
}
void PutDec(uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) Putc(buf[--n]);
}

// ---- SMCCC 1.1 calls ------------------------------------------------------------

struct Res {
  uint64_t a0, a1, a2, a3;
};

Res Hvc(uint64_t fid, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  register uint64_t x0 asm("x0") = fid;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  asm volatile("hvc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                 "x16", "x17", "memory");
  return {x0, x1, x2, x3};
}

Res Smc(uint64_t fid, uint64_t a1 = 0) {
  register uint64_t x0 asm("x0") = fid;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = 0;
  register uint64_t x3 asm("x3") = 0;
  asm volatile("smc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                 "x16", "x17", "memory");
  return {x0, x1, x2, x3};
}

constexpr uint64_t Fid(uint64_t n) { return PKVM_HOST_SMCCC_ID(n); }

Res HostCall(uint64_t n, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  return Hvc(Fid(n), a1, a2, a3);
}

void Result(const char* name, const Res& r) {
  Puts("RESULT ");
  Puts(name);
  Puts(" x0=");
  PutHex(r.a0);
  Puts(" x1=");
  PutHex(r.a1);
  Puts("\n");
}

// ---- module images linked into this image (image.lds) -------------------------

struct ModuleImage {
  const char* name;
  char* image_start;
  char* image_end;
  struct Section {
    char* start;
    char* end;
    uint64_t prot;
  } sections[5];
  const int32_t* reloc_start;
  const int32_t* reloc_end;
  const pkvm_hyp_event_desc* events_start;
  const pkvm_hyp_event_desc* events_end;
  char* init;
  char* hvc;
  uint64_t hyp_va = 0;  // the token
};

constexpr uint64_t kProtR = 4, kProtW = 2, kProtX = 1;

#define PKVM_HW_MODULE_SYMS(tag)                                                              \
  extern "C" char __##tag##_image_start[], __##tag##_image_end[], __##tag##_text_start[],    \
      __##tag##_text_end[], __##tag##_rodata_start[], __##tag##_rodata_end[],                \
      __##tag##_event_ids_start[], __##tag##_event_ids_end[], __##tag##_data_start[],        \
      __##tag##_data_end[], __##tag##_bss_start[], __##tag##_bss_end[];                      \
  extern "C" const int32_t __##tag##_reloc_start[], __##tag##_reloc_end[];                   \
  extern "C" const pkvm_hyp_event_desc __##tag##_events_start[], __##tag##_events_end[];
#define PKVM_HW_MODULE(tag, name, init_sym, hvc_sym)                                         \
  ModuleImage {                                                                               \
    name, __##tag##_image_start, __##tag##_image_end,                                         \
        {{__##tag##_text_start, __##tag##_text_end, kProtR | kProtX},                         \
         {__##tag##_rodata_start, __##tag##_rodata_end, kProtR},                              \
         {__##tag##_event_ids_start, __##tag##_event_ids_end, kProtR},                        \
         {__##tag##_data_start, __##tag##_data_end, kProtR | kProtW},                         \
         {__##tag##_bss_start, __##tag##_bss_end, kProtR | kProtW}},                          \
        __##tag##_reloc_start, __##tag##_reloc_end, __##tag##_events_start,                   \
        __##tag##_events_end, init_sym, hvc_sym                                               \
  }

uint16_t g_next_event_id = pkvm::el2::kFirstModuleEventId;

// __pkvm_load_el2_module (A15), spec §2.4. Returns 0 or a negative errno.
int LoadEl2Module(ModuleImage& m) {
  const uint64_t start = reinterpret_cast<uint64_t>(m.image_start);
  for (const auto& s : m.sections)
    if (reinterpret_cast<uint64_t>(s.start) & 4095) return -22;  // not page-aligned
  const uint64_t nr_pages = (reinterpret_cast<uint64_t>(m.image_end) - start) >> 12;

  Res r = HostCall(PKVM_HCALL_pkvm_alloc_module_va, nr_pages);
  if (r.a0 != 0) return -1;    // -EPERM
  if (r.a1 == 0) return -12;   // -ENOMEM
  m.hyp_va = r.a1;

  // The host numbers the module's events and writes the ids into their
  // .hyp.event_ids slots (hyp_trace_init_mod_events).
  for (const pkvm_hyp_event_desc* d = m.events_start; d < m.events_end; ++d) {
    if (d->magic != PKVM_HYP_EVENT_DESC_MAGIC) return -22;
    d->id->id = g_next_event_id++;
    Puts("EVENT ");
    Puts(d->name);
    Puts(" ");
    PutDec(d->id->id);
    Puts("\n");
  }

  // .hyp.reloc: s32 offsets from each entry to a 64-bit slot holding an EL1
  // address inside the image; rebase it to the EL2 address (spec §2.3).
  uint64_t nr_relocs = 0;
  for (const int32_t* e = m.reloc_start; e < m.reloc_end; ++e) {
    auto* slot = reinterpret_cast<uint64_t*>(reinterpret_cast<uint64_t>(e) + static_cast<int64_t>(*e));
    *slot = *slot - start + m.hyp_va;
    ++nr_relocs;
  }

  // The kernel's module loader hands out zeroed NOBITS sections.
  for (char* p = m.sections[4].start; p < m.sections[4].end; ++p) *p = 0;

  uint64_t nr_mapped = 0;
  for (const auto& s : m.sections) {
    for (char* p = s.start; p < s.end; p += 4096) {
      const uint64_t pa = reinterpret_cast<uint64_t>(p);
      r = HostCall(PKVM_HCALL_pkvm_map_module_page, pa >> 12, m.hyp_va + (pa - start), s.prot);
      if (r.a0 != 0 || r.a1 != 0) return r.a0 != 0 ? -1 : static_cast<int>(r.a1);
      ++nr_mapped;
    }
  }

  // From A16 the hypervisor registers the module's events itself: this
  // image's runtime takes the EL2 span of .hyp.event_ids in x2/x3.
  const auto& ev = m.sections[2];
  const uint64_t ev_start = PKVM_EL2_GENERATION >= 16 && ev.end > ev.start
                                ? m.hyp_va + (reinterpret_cast<uint64_t>(ev.start) - start)
                                : 0;
  const uint64_t ev_end = ev_start ? ev_start + (ev.end - ev.start) : 0;
  r = HostCall(PKVM_HCALL_pkvm_init_module,
               m.hyp_va + (reinterpret_cast<uint64_t>(m.init) - start), ev_start, ev_end);
  Puts("LOADED ");
  Puts(m.name);
  Puts(" hyp_va=");
  PutHex(m.hyp_va);
  Puts(" el1_va=");
  PutHex(start);
  Puts(" pages=");
  PutDec(nr_pages);
  Puts(" mapped=");
  PutDec(nr_mapped);
  Puts(" relocs=");
  PutDec(nr_relocs);
  Puts(" init_x0=");
  PutHex(r.a0);
  Puts(" init_ret=");
  PutHex(r.a1);
  Puts("\n");
  if (r.a0 != 0) return -1;
  return static_cast<int>(static_cast<int64_t>(r.a1));
}

// pkvm_register_el2_mod_call: __pkvm_register_hcall(hyp VA of the handler).
Res RegisterEl2Call(const ModuleImage& m) {
  const uint64_t start = reinterpret_cast<uint64_t>(m.image_start);
  return HostCall(PKVM_HCALL_pkvm_register_hcall,
                  m.hyp_va + (reinterpret_cast<uint64_t>(m.hvc) - start));
}

// ---- benchmark: EL2 instructions and cycles per HVC round trip ----------------
// The EL2 runtime programs PMU event counter 0 (instructions retired) and
// the cycle counter to count at EL2 only, so the difference between two
// reads at EL1 around one HVC is the EL2 cost from vector entry to ERET.

uint64_t ReadInsns() {
  uint64_t v;
  asm volatile("isb; mrs %0, pmevcntr0_el0" : "=r"(v)::"memory");
  return v;
}
uint64_t ReadCycles() {
  uint64_t v;
  asm volatile("isb; mrs %0, pmccntr_el0" : "=r"(v)::"memory");
  return v;
}

void Bench(const char* name, uint64_t fid, uint64_t a1) {
  constexpr int kRuns = 32;
  uint64_t min_i = ~0ull, max_i = 0, min_c = ~0ull, max_c = 0, sum_i = 0;
  for (int i = 0; i < kRuns; ++i) {
    const uint64_t i0 = ReadInsns(), c0 = ReadCycles();
    Hvc(fid, a1);
    const uint64_t i1 = ReadInsns(), c1 = ReadCycles();
    const uint64_t di = i1 - i0, dc = c1 - c0;
    if (di < min_i) min_i = di;
    if (di > max_i) max_i = di;
    if (dc < min_c) min_c = dc;
    if (dc > max_c) max_c = dc;
    sum_i += di;
  }
  Puts("BENCH ");
  Puts(name);
  Puts(" runs=");
  PutDec(kRuns);
  Puts(" insns_min=");
  PutDec(min_i);
  Puts(" insns_max=");
  PutDec(max_i);
  Puts(" insns_sum=");
  PutDec(sum_i);
  Puts(" cycles_min=");
  PutDec(min_c);
  Puts(" cycles_max=");
  PutDec(max_c);
  Puts("\n");
}

}  // namespace

PKVM_HW_MODULE_SYMS(drv)
PKVM_HW_MODULE_SYMS(flt)
extern "C" char drv___kvm_nvhe_pkvm_driver_hyp_init[], drv___kvm_nvhe_pkvm_driver_hyp_hvc[];
extern "C" char flt___kvm_nvhe_hw_fault_hyp_init[], flt___kvm_nvhe_hw_fault_hyp_hvc[];

#if PKVM_EL2_GENERATION >= 15
// The host-side event printer the module's EL1 event descriptors point at
// (tracefs formatting); never called in this image.
extern "C" void drv___kvm_nvhe___pkvm_trace_seq_printf(pkvm_trace_seq*, const char*, ...) {}
#endif

#if PKVM_EL2_GENERATION >= 16
// A16/A17 modules are built with CONFIG_PKVM_FTRACE: every EL2 function calls
// __cyg_profile_func_enter/exit. This image has no function tracer, so each
// module gets a return-only pair placed in its own .hyp.text (a direct branch
// from module code must land inside the module's EL2 mapping).
#define PKVM_HW_FTRACE_STUBS(tag)                                   \
  asm(".pushsection " #tag ".hyp.text, \"ax\"\n"                    \
      ".balign 4\n"                                                 \
      ".globl " #tag "___kvm_nvhe___cyg_profile_func_enter\n"       \
      ".globl " #tag "___kvm_nvhe___cyg_profile_func_exit\n"        \
      #tag "___kvm_nvhe___cyg_profile_func_enter:\n"                \
      #tag "___kvm_nvhe___cyg_profile_func_exit:\n"                 \
      "ret\n"                                                       \
      ".popsection\n");
PKVM_HW_FTRACE_STUBS(drv)
PKVM_HW_FTRACE_STUBS(flt)
#endif

extern "C" [[noreturn]] void pkvm_hw_el1_main() {
  using namespace pkvm::el2;
  uint64_t current_el;
  asm volatile("mrs %0, CurrentEL" : "=r"(current_el));
  Puts("EL1: host kernel running at EL");
  PutDec(current_el >> 2);
  Puts("\nGENERATION ");
  PutDec(PKVM_EL2_GENERATION);
  Puts("\n");

  ModuleImage drv = PKVM_HW_MODULE(drv, "pkvm_driver", drv___kvm_nvhe_pkvm_driver_hyp_init,
                                   drv___kvm_nvhe_pkvm_driver_hyp_hvc);
  ModuleImage flt = PKVM_HW_MODULE(flt, "hw_fault", flt___kvm_nvhe_hw_fault_hyp_init,
                                   flt___kvm_nvhe_hw_fault_hyp_hvc);

  // ---- before deprivilege: load, register ----
  const int load_drv = LoadEl2Module(drv);
  const int load_flt = LoadEl2Module(flt);
  Puts("RESULT load_pkvm_driver ret=");
  PutHex(static_cast<uint64_t>(static_cast<int64_t>(load_drv)));
  Puts("\nRESULT load_hw_fault ret=");
  PutHex(static_cast<uint64_t>(static_cast<int64_t>(load_flt)));
  Puts("\n");
  const Res reg_drv = RegisterEl2Call(drv);
  Result("register_pkvm_driver", reg_drv);
  const Res reg_flt = RegisterEl2Call(flt);
  Result("register_hw_fault", reg_flt);
  const uint64_t drv_id = reg_drv.a1, flt_id = reg_flt.a1;

  // A static call the host may make only before deprivilege.
  Result("static_get_mdcr_before", HostCall(PKVM_HCALL_kvm_get_mdcr_el2));

  // ---- benchmark, tracing off (nothing lands in the ring) ----
  Bench("dynamic_hcall", Fid(drv_id), 0x1);
  Bench("unknown_hcall", Fid(200), 0);
  Bench("static_hcall", Fid(PKVM_HCALL_kvm_get_mdcr_el2), 0);

  // ---- tracing on: host_hcall, host_smc and the module's event ----
  Result("tracing_enable", HostCall(kHwHcallTracingEnable, 1));
  Result("event_enable_host_hcall", HostCall(kHwHcallEventEnable, kEventHostHcall, 1));
  Result("event_enable_host_smc", HostCall(kHwHcallEventEnable, kEventHostSmc, 1));
  Result("event_enable_pkvm_driver_event", HostCall(kHwHcallEventEnable, kFirstModuleEventId, 1));
  Result("event_enable_unknown", HostCall(kHwHcallEventEnable, 999, 1));

  Result("dyn_call", HostCall(drv_id, 0x42));
  // A15 ignores the SVE hint bit (ARM_SMCCC_CALL_HINTS, bit 16).
  Result("dyn_call_sve_hint", Hvc(Fid(drv_id) | PKVM_SMCCC_CALL_HINTS, 0x43));
  // A dynamic id nobody registered, and ids outside the vendor-hyp range.
  Result("unknown_dynamic", HostCall(flt_id + 1, 0x44));
  Result("unknown_static", HostCall(99));
  Result("foreign_fid", Hvc(0x84000000, 0));  // PSCI_VERSION sent to the hypervisor
  // A trapped SMC (HCR_EL2.TSC): no handler, no firmware -> NOT_SUPPORTED.
  Result("smc_trapped", Smc(0xC2000001, 5));

  // ---- deprivilege ----
  Result("prot_finalize", HostCall(pkvm_prot_finalize_id(PKVM_EL2_GENERATION)));
  Result("static_get_mdcr_after", HostCall(PKVM_HCALL_kvm_get_mdcr_el2));
  Result("register_after_finalize", RegisterEl2Call(drv));
  Result("alloc_va_after_finalize", HostCall(PKVM_HCALL_pkvm_alloc_module_va, 1));
  Result("dyn_call_after_finalize", HostCall(drv_id, 0x45));

  Result("trace_dump", HostCall(kHwHcallTraceDump));
  // After the dump (so the checked trace stays exact): the same dynamic call
  // with host_hcall and pkvm_driver_event recorded into the ring.
  Bench("dynamic_hcall_traced", Fid(drv_id), 0x1);

  // ---- a data abort in module code at EL2 ----
  constexpr uint64_t kWild = 0x7F00000040ull;  // no EL2 mapping there
  Puts("FAULT_EXPECT fn=");
  PutHex(flt.hyp_va + (reinterpret_cast<uint64_t>(flt.hvc) - reinterpret_cast<uint64_t>(flt.image_start)));
  Puts(" far=");
  PutHex(kWild);
  Puts("\n");
  Result("fault_call_returned", HostCall(flt_id, kWild));
  HostCall(kHwHcallSystemOff);
  for (;;) asm volatile("wfi");
}

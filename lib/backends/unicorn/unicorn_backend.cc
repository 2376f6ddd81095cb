// File: lib/backends/unicorn/unicorn_backend.cc -- see unicorn_backend.h.
#include "backends/unicorn/unicorn_backend.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_split.h"
#include "debug/symbolize.h"
#include "devices/devices.h"
#include "hyp_stack.h"
#include "glue/pkvm_a64_glue.h"
#include "guest_printk.h"
#include "host/kernel_mem.h"
#include "host/module_loader.h"
#include "host/module_param.h"
#include "mem/memory.h"
#include "module_linker.h"
#include "pkvm/abi/module_param.h"
#include "pkvm/abi/pgtable_prot.h"
#include "pkvm/hyp_event_desc.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"
#include "trace/trace_ops.h"
#include "backends/unicorn/ops_members.h"
#include "backends/unicorn/unicorn_debug.h"
#include "unicorn_cpu.h"

namespace pkvm {

using arm64::CpuFault;
using arm64::El;
using arm64::FaultKind;
using arm64::TrapFrame;
using arm64::UnicornCpu;
using internal::ErrnoError;

namespace {

constexpr uint64_t kPage = kPageSize;

// Whether an op's pointee type has a size here (some ABI structs are only
// declared): only then is the whole object checked.
template <typename U, typename = void>
struct IsComplete : std::false_type {};
template <typename U>
struct IsComplete<U, std::void_t<decltype(sizeof(U))>> : std::true_type {};

uint32_t PermsOf(uint64_t prot) {
  uint32_t p = 0;
  if (prot & KVM_PGTABLE_PROT_R) p |= arm64::kPermRead;
  if (prot & KVM_PGTABLE_PROT_W) p |= arm64::kPermWrite;
  if (prot & KVM_PGTABLE_PROT_X) p |= arm64::kPermExec;
  return p;
}


}  // namespace

// A module loaded from a .ko.
struct KoModule {
  std::string name;
  arm64::LinkedModule linked;
  uint64_t phys = 0;  // where the image is (EL1 VA == PA)
  uint64_t size = 0;
  uint64_t hyp_va = 0;  // EL2 image, once __pkvm_alloc_module_va gave one
  // Host copies of its event descriptors (hyp_trace keeps pointers into RAM).
  std::vector<pkvm_hyp_event_desc> events;
  std::vector<std::vector<trace::EventField>> event_fields;
  bool events_added = false;
  // Its EL2 functions (offset in .hyp.text, unprefixed name), 0-terminated.
  std::vector<std::string> function_names;
  std::vector<pkvm_ftrace_sym> functions;
  // What its EL1 code EXPORT_SYMBOLs (.pkvm_exports).
  std::vector<std::string> exports;
  // Its DWARF, for file:line in reports: read on the first report.
  std::unique_ptr<debug::ObjectDebugInfo> debug_info;
  bool debug_info_read = false;
};

struct UnicornBackend::Impl {
  explicit Impl(Hypervisor::Impl& machine) : m(machine) {}
  ~Impl() {
    m.memory.pages.SetHostChangeListener(nullptr, nullptr);
    {
      std::lock_guard<std::mutex> lock(wd_mu);
      wd_quit = true;
    }
    wd_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
  }

  Hypervisor::Impl& m;
  std::unique_ptr<UnicornCpu> el1, el2;

  // Kernel memory for module images, from the middle of RAM up.
  uint64_t kernel_base = 0, kernel_next = 0, kernel_end = 0;
  // kernel_next moved: the pages below it are the kernel's, not the pools'.
  void KernelGrew() { m.memory.pages.SetKernelPages(kernel_base >> 12, kernel_next >> 12); }
  uint64_t scratch = 0;  // one kernel page for EL1 calls' out-arguments
  uint64_t hvc_stub = 0;  // `hvc #0; ret` in that page

  std::vector<std::unique_ptr<KoModule>> modules;
  KoModule* loading = nullptr;

  // EL2 window: host objects (not RAM, not devices) EL2 code is handed,
  // mapped page by page with an unmapped guard page after each object, so
  // that running past one faults instead of reaching the next. Two kinds:
  //  machine  the ops table and the CPUs' host contexts, mapped for the
  //           machine's life (the hypervisor owns them);
  //  call     anything else handed to EL2 (call arguments on the host
  //           stack, trace entries in host heap): unmapped when the
  //           outermost host -> guest entry returns, so a pointer EL2 code
  //           keeps faults later instead of reaching freed host memory.
  //           Their VAs go round the call half of the window, so a stale
  //           pointer meets a fresh object only after millions of calls.
  static constexpr uint64_t kCallWindowBase = kUcWindowBase + (kUcWindowEnd - kUcWindowBase) / 2;
  std::map<uint64_t, uint64_t> window_by_host;  // host page -> EL2 VA (machine objects)
  uint64_t window_next = kUcWindowBase;
  std::map<uint64_t, uint64_t> call_by_host;  // host page -> EL2 VA (this entry's objects)
  std::vector<std::pair<uint64_t, uint64_t>> call_maps;  // [va, size) to unmap
  uint64_t call_next = kCallWindowBase;
  struct El2Mapping {
    void* host = nullptr;
    uint32_t perms = 0;
    bool linear = false;  // in the hyp linear map (else a module page)
  };
  std::map<uint64_t, El2Mapping> lazy;  // EL2 pages mapped on first touch

  // The pkvm_module_ops table EL2 code gets (in the window).
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> ops_table;
  uint64_t ops_va = 0;
  std::map<std::string, uint64_t> el2_imports;  // hypervisor function -> trampoline

  // Watchdog: a runaway call is stopped after opts.call_time_limit_ms.
  std::thread watchdog;
  std::mutex wd_mu;
  std::condition_variable wd_cv;
  bool wd_quit = false;
  std::atomic<uint64_t> running_entry{0};  // the host -> guest entry running (0: none)
  uint64_t entries = 0;                      // entries numbered so far
  std::atomic<bool> timed_out{false};
  int depth = 0;  // host -> guest entries in progress

  // The gdb stub and coverage (HypervisorOptions::gdb_port, coverage_*);
  // nullptr when none is asked for. Declared after the CPUs: goes first.
  std::unique_ptr<UnicornDebug> debug;
  absl::Status StartDebug();
  // A panic that just happened while CPU `thread` (1 = EL1, 2 = EL2) ran:
  // the debugger stops there (the first report only).
  void DebugPanicked(int thread) {
    if (debug == nullptr || m.state != MachineState::kPanicked) return;
    const CpuFault& f = (thread == 2 ? el2 : el1)->last_fault();
    debug->Panicked(thread, m.panic_report, f.kind != FaultKind::kNone ? &f : nullptr);
  }
  DebugModule DebugInfo(const KoModule& mod) const;

  int Cpu() const {
    const ExecContext* c = CurrentContext();
    return c != nullptr ? c->cpu : 0;
  }

  // ---- memory -----------------------------------------------------------------

  // What EL2 should see at `page` now: the module page at its hyp VA with
  // its permissions; else the hyp linear map -- RAM and devices at their
  // physical address + kUcHypLinearOffset, for the pages the hypervisor
  // owns, borrows or has an EL2 mapping of. Any other page is not in its
  // stage-1: an access is a fault whose report names the page's owner.
  bool WantEl2(uint64_t page, El2Mapping* out) const {
    if (page >= kModuleVaBase && page < kModuleVaEnd) {
      auto it = m.hyp_pages.find(page);
      if (it == m.hyp_pages.end()) return false;
      *out = {reinterpret_cast<void*>(it->second.host_page), PermsOf(it->second.prot), false};
      return true;
    }
    if (page < kUcHypLinearOffset) return false;  // a physical address is no hyp VA
    const uint64_t phys = page - kUcHypLinearOffset;
    uint8_t* p = mem::PhysToPtr(m, phys);
    if (p == nullptr) return false;
    const mem::PageRec r = m.memory.pages.Rec(phys >> 12);
    if (r.owner != PageOwner::kHyp && r.hyp == PkvmPageState::kNoPage && r.el2_mappings == 0)
      return false;
    *out = {p, arm64::kPermRead | arm64::kPermWrite, true};
    return true;
  }

  // EL2 touched an unmapped address: map it if the hypervisor has it mapped.
  bool ResolveEl2(uint64_t addr) {
    const uint64_t page = addr & kPageMask;
    El2Mapping want;
    if (!WantEl2(page, &want)) return false;
    if (want.linear && MapDeviceModel(*el2, page - kUcHypLinearOffset, want.host, kUcHypLinearOffset)) {
      lazy.emplace(page, want);
      return true;
    }
    if (!el2->Map(page, want.host, kPage, want.perms).ok()) return false;
    lazy.emplace(page, want);
    return true;
  }

  // The hypervisor's mappings changed (an op took pages away, a snapshot was
  // restored): every lazy mapping that is no longer what EL2 should see goes,
  // and is made again on next touch if EL2 may still touch the page.
  void RevalidateEl2Mappings(bool linear_only) {
    for (auto it = lazy.begin(); it != lazy.end();) {
      El2Mapping want;
      const El2Mapping& have = it->second;
      if ((linear_only && !have.linear) ||
          (WantEl2(it->first, &want) && want.host == have.host && want.perms == have.perms)) {
        ++it;
        continue;
      }
      el2->Unmap(it->first, kPage).IgnoreError();
      it = lazy.erase(it);
    }
  }
  static bool RevokesHypAccess(const char* op) {
    static constexpr const char* kOps[] = {
        "host_unshare_hyp", "hyp_donate_host", "unpin_shared_mem", "fixmap_unmap",
        "fixblock_unmap", "linear_unmap_early", "iommu_reclaim_pages",
        "iommu_reclaim_pages_atomic", "unmap_module_pages", "unmap_module_page"};
    for (const char* n : kOps)
      if (std::strcmp(n, op) == 0) return true;
    return false;
  }

  // ---- EL1: the host's view of memory (host stage-2) -------------------------
  // EL1 maps RAM and devices lazily, with each page's host stage-2
  // permissions: a page the host does not own is not mapped (an access is
  // pKVM's abort, a kernel panic here); a page a module restricted is mapped
  // with what is left, and an access beyond that runs the modules'
  // permission-fault chain with the decoded syndrome, as on a device. Pages
  // in their boot state are mapped 2 MiB at a time.
  static constexpr uint64_t kEl1Chunk = 2ull << 20;
  static constexpr size_t kMaxEl1Maps = 512;  // Unicorn 2.0.1 aborts past ~2000 regions
  struct El1Map {
    uint64_t size;
    uint32_t perms;
  };
  std::map<uint64_t, El1Map> el1_maps;  // by base
  int el1_retries = 0;                  // permission faults resolved without progress
  std::string el1_note;                 // why the last EL1 fault is one (for the report)

  // -1: the host stage-2 has no entry for the page; else its permissions.
  int El1Perms(uint64_t pfn) const {
    const mem::PageModel& pm = m.memory.pages;
    const mem::HostAccess a = pm.CheckHostAccess(pfn, false);
    if (a == mem::HostAccess::kNoDevice || a == mem::HostAccess::kTranslationFault) return -1;
    const uint64_t prot = pm.Rec(pfn).host_prot;
    int perms = 0;
    if (prot & mem::kProtR) perms |= arm64::kPermRead;
    if (prot & mem::kProtW) perms |= arm64::kPermWrite;
    if (prot & mem::kProtX) perms |= arm64::kPermExec;
    return perms;
  }

  bool El1Overlaps(uint64_t lo, uint64_t hi) const {
    auto it = el1_maps.lower_bound(hi);
    if (it == el1_maps.begin()) return false;
    --it;
    return it->first + it->second.size > lo;
  }

  bool MapEl1(uint64_t base, uint64_t size, uint32_t perms) {
    uint8_t* host = mem::PhysToPtr(m, base);
    if (host == nullptr || !el1->Map(base, host, size, perms).ok()) return false;
    el1_maps[base] = El1Map{size, perms};
    return true;
  }

  // After a restore: keep every EL1 mapping that still matches the host
  // stage-2 (unmapping flushes translated code), drop the others.
  void RevalidateEl1Maps() {
    constexpr int kRwx = arm64::kPermRead | arm64::kPermWrite | arm64::kPermExec;
    for (auto it = el1_maps.begin(); it != el1_maps.end();) {
      const uint64_t pfn = it->first >> 12, nr = it->second.size >> 12;
      const int want = El1Perms(pfn);
      bool ok;
      if (nr == 1) {
        ok = want >= 0 && static_cast<uint32_t>(want) == it->second.perms;
      } else {
        ok = it->second.perms == static_cast<uint32_t>(kRwx) &&
             !m.memory.pages.AnyChangedIn(pfn, nr, [&](uint64_t p) { return El1Perms(p) != kRwx; });
      }
      if (ok) {
        ++it;
        continue;
      }
      el1->Unmap(it->first, it->second.size).IgnoreError();
      it = el1_maps.erase(it);
    }
  }

  void DropEl1Maps() {
    for (const auto& [base, map] : el1_maps) el1->Unmap(base, map.size).IgnoreError();
    el1_maps.clear();
  }

  // The page's host stage-2 entry changed: its EL1 mapping goes (the rest of
  // a chunk stays mapped); the next access maps it with what it is now.
  // A host page with less than RWX: from now on a protection fault at EL1
  // must name its instruction (El1PermFault decodes it). Host stage-2
  // changes come from ops, host calls and the host API -- never while EL1
  // code is suspended mid-block -- so the code translated without PC
  // updates can go at once; a mapping made from the fault path (which
  // should find it enabled already) drops it at the next outermost call.
  void RequirePreciseEl1Pc(bool from_fault_path) {
    if (!el1->precise_fault_pc()) el1->EnablePreciseFaultPc(!from_fault_path).IgnoreError();
  }
  static constexpr int kEl1Rwx = arm64::kPermRead | arm64::kPermWrite | arm64::kPermExec;

  static void HostChanged(void* ctx, uint64_t pfn) {
    Impl& b = *static_cast<Impl*>(ctx);
    if (const int perms = b.El1Perms(pfn); perms >= 0 && perms != kEl1Rwx)
      b.RequirePreciseEl1Pc(/*from_fault_path=*/false);
    const uint64_t page = pfn << 12;
    auto it = b.el1_maps.upper_bound(page);
    if (it == b.el1_maps.begin()) return;
    --it;
    const uint64_t base = it->first, end = base + it->second.size;
    if (page >= end) return;
    const uint32_t perms = it->second.perms;
    b.el1->Unmap(base, end - base).IgnoreError();
    b.el1_maps.erase(it);
    if (b.el1_maps.size() + 2 > kMaxEl1Maps) return;  // the rest is mapped again on touch
    if (page > base) b.MapEl1(base, page - base, perms);
    if (page + kPage < end) b.MapEl1(page + kPage, end - page - kPage, perms);
  }

  bool ResolveEl1(uint64_t addr, FaultKind kind) {
    const uint64_t page = addr & kPageMask;
    const uint64_t pfn = page >> 12;
    if (mem::PhysToPtr(m, page) == nullptr) return false;  // nothing there
    const int perms = El1Perms(pfn);
    const bool unmapped = kind == FaultKind::kReadUnmapped || kind == FaultKind::kWriteUnmapped ||
                          kind == FaultKind::kFetchUnmapped;
    if (unmapped) {
      if (perms < 0) {
        el1_note = absl::StrFormat(
            "the host stage-2 has no entry for pfn %#x (it is not the host's): pKVM injected "
            "the abort into the host",
            pfn);
        return false;
      }
      if (uint8_t* p = mem::PhysToPtr(m, page); MapDeviceModel(*el1, page, p)) {
        el1_models.insert(page);
        return true;
      }
      if (el1_maps.size() >= kMaxEl1Maps) DropEl1Maps();
      constexpr int kRwx = arm64::kPermRead | arm64::kPermWrite | arm64::kPermExec;
      if (perms == kRwx && m.memory.pages.KindOf(pfn) == PageKind::kRam) {
        const uint64_t ram_end = kRamBase + m.ram_size;
        const uint64_t lo = std::max(kRamBase, page & ~(kEl1Chunk - 1));
        const uint64_t hi = std::min(ram_end, lo + kEl1Chunk);
        const bool uniform = !m.memory.pages.AnyChangedIn(
            lo >> 12, (hi - lo) >> 12, [&](uint64_t p) { return El1Perms(p) != kRwx; });
        if (uniform && !El1Overlaps(lo, hi) && MapEl1(lo, hi - lo, kRwx)) return true;
      }
      if (perms != kRwx) RequirePreciseEl1Pc(/*from_fault_path=*/true);
      return MapEl1(page, kPage, static_cast<uint32_t>(perms));
    }
    if (perms < 0) return false;
    return El1PermFault(addr, kind);
  }

  // ESR_EL2 of a host data abort at this instruction: a valid syndrome for
  // single-register loads and stores without writeback (what the
  // architecture reports), none for the rest (pairs, atomics, SIMD...).
  static uint64_t El1AbortEsr(uint32_t insn, bool write, bool fetch) {
    if (fetch) return (0x20ull << 26) | (1ull << 25) | 0x0f;  // IABT_LOW, permission L3
    const uint32_t size = insn >> 30, opc = (insn >> 22) & 3;
    const bool ldst = (insn & 0x3b000000u) == 0x39000000u ||    // unsigned offset
                      (insn & 0x3b200c00u) == 0x38000000u ||    // unscaled (LDUR/STUR)
                      (insn & 0x3b200c00u) == 0x38200800u;      // register offset
    if (!ldst || (size == 3 && opc >= 2) || (size == 2 && opc == 3))  // PRFM, ...
      return mem::HostDabtEsr(write, true);
    mem::AccessSyndrome a;
    a.sas = size;
    a.srt = insn & 31;
    a.sse = opc >= 2;
    a.sf = size == 3 || opc == 2;
    return mem::HostDabtEsr(write, true, &a);
  }

  // EL1 touched a page beyond its host stage-2 permissions: the modules'
  // chain decides, with the host's registers and the syndrome of the access.
  bool El1PermFault(uint64_t addr, FaultKind kind) {
    const uint64_t pc = el1->ReadReg(32);
    uint32_t insn = 0;
    const bool fetch = kind == FaultKind::kFetchProtected;
    if (!fetch) el1->Read(pc, &insn, sizeof insn);
    HostException e;
    e.esr = El1AbortEsr(insn, kind == FaultKind::kWriteProtected, fetch);
    e.ipa = addr;
    e.far = addr;
    e.elr = pc;
    for (int i = 0; i < 31; ++i) e.regs.regs[i] = el1->ReadReg(i);
    e.regs.sp = el1->ReadReg(31);
    e.regs.pc = pc;
    e.regs.pstate = 0x3c5;  // EL1h, DAIF masked
    absl::StatusOr<HostExceptionResult> r = m.HostPermFault(e, Cpu());
    if (!r.ok()) {
      el1_note = std::string(r.status().message());
      return false;
    }
    if (r->result == -EPERM) {
      el1_note = "host stage-2 permission fault: the modules' handlers refused it (-EPERM) and "
                 "pKVM injected the abort into the host";
      return false;
    }
    for (int i = 0; i < 31; ++i) el1->WriteReg(i, r->regs.regs[i]);
    if (r->emulated) {
      el1_retries = 0;
    } else if (++el1_retries > 64) {
      el1_note = "host stage-2 permission fault: still faulting after 64 retries (the handlers "
                 "returned 0 or -EAGAIN without changing the permissions or ELR)";
      el1_retries = 0;
      return false;
    }
    el1->ResumeAt(r->elr);
    return false;
  }

  // A page of a device with a model attached is an MMIO mapping
  // whose loads and stores call the model (docs/devices.md). False when no
  // model answers `page`.
  // The model's registers at physical page `page`, mapped at page + va_offset
  // (EL1: 0; EL2: the hyp linear map's offset).
  bool MapDeviceModel(UnicornCpu& cpu, uint64_t page, void* backing, uint64_t va_offset = 0) {
    uint64_t off = 0;
    MmioDevice* d = devices::ModelAt(m, page, &off);
    if (d == nullptr) return false;
    Hypervisor::Impl* mp = &m;
    return cpu.MapMmio(page + va_offset, kPage,
                       [mp, page](uint64_t o, unsigned n) -> uint64_t {
                         uint64_t v = 0;
                         devices::ModelAccess(*mp, page + o, reinterpret_cast<uint8_t*>(&v), n, false);
                         return v;
                       },
                       [mp, page](uint64_t o, uint64_t v, unsigned n) {
                         devices::ModelAccess(*mp, page + o, reinterpret_cast<uint8_t*>(&v), n, true);
                       },
                       backing)
        .ok();
  }

  // Device-model pages are mapped before guest code can touch
  // them (at every host -> guest entry and after every op), never from the
  // fault path: a load or store retried after a lazy mapping skips the
  // memory hooks, so the model would miss that access.
  std::set<uint64_t> el1_models;
  size_t device_models_synced = 0;  // how many models SyncDeviceModels() has seen at entry
  void SyncDeviceModels() {
    if (m.devices == nullptr) return;
    for (const auto& [base, d] : m.devices->by_phys) {
      for (uint64_t page = d.phys; page < d.phys + d.size; page += kPage) {
        if (el1_models.count(page) == 0) {
          uint8_t* p = mem::PhysToPtr(m, page);
          if (p != nullptr && MapDeviceModel(*el1, page, p)) el1_models.insert(page);
        }
        El2Mapping want;
        const uint64_t va = page + kUcHypLinearOffset;
        if (lazy.count(va) == 0 && WantEl2(va, &want) &&
            MapDeviceModel(*el2, page, want.host, kUcHypLinearOffset))
          lazy.emplace(va, want);
      }
    }
  }

  enum class WindowUse { kNone, kCall };

  // Maps the host object [p, p + size) into the window (see window_by_host);
  // 0 when the window is full or Unicorn refuses.
  uint64_t Window(const void* p, uint64_t size, bool for_call) {
    const auto a = reinterpret_cast<uint64_t>(p);
    if (size == 0) size = 1;
    if (a + size < a) return 0;
    const uint64_t first = a & kPageMask;
    const uint64_t n = (((a + size - 1) & kPageMask) - first) / kPage + 1;
    // Already mapped, contiguously?
    auto lookup = [&](const std::map<uint64_t, uint64_t>& by_host) -> uint64_t {
      auto it = by_host.find(first);
      if (it == by_host.end()) return 0;
      for (uint64_t i = 1; i < n; ++i) {
        auto j = by_host.find(first + i * kPage);
        if (j == by_host.end() || j->second != it->second + i * kPage) return 0;
      }
      return it->second + (a - first);
    };
    if (const uint64_t va = lookup(window_by_host)) return va;
    if (for_call)
      if (const uint64_t va = lookup(call_by_host)) return va;
    uint64_t& next = for_call ? call_next : window_next;
    const uint64_t end = for_call ? kUcWindowEnd : kCallWindowBase;
    if ((n + 1) * kPage > end - next) {
      if (!for_call) return 0;
      next = kCallWindowBase;  // round again (this entry's own objects are below `next`)
      if ((n + 1) * kPage > end - next) return 0;
    }
    const uint64_t va = next;
    next += (n + 1) * kPage;  // + the guard page
    if (!el2->Map(va, reinterpret_cast<void*>(first), n * kPage, arm64::kPermRead | arm64::kPermWrite)
             .ok())
      return 0;
    std::map<uint64_t, uint64_t>& by_host = for_call ? call_by_host : window_by_host;
    for (uint64_t i = 0; i < n; ++i) by_host.insert_or_assign(first + i * kPage, va + i * kPage);
    if (for_call) call_maps.emplace_back(va, n * kPage);
    return va + (a - first);
  }

  // The outermost entry returned: the call objects EL2 was shown go.
  void DropCallWindow() {
    if (call_maps.empty()) return;
    for (const auto& [va, size] : call_maps) el2->Unmap(va, size).IgnoreError();
    call_maps.clear();
    call_by_host.clear();
  }

  // [p, p + size) inside one CPU's state: the hypervisor's own per-CPU
  // object (CpuState is page-aligned, so its pages hold nothing else).
  bool InCpuState(uint64_t a, uint64_t size) const {
    for (const CpuState& c : m.cpus) {
      const auto lo = reinterpret_cast<uint64_t>(&c);
      if (a >= lo && size <= sizeof c && a - lo <= sizeof c - size) return true;
    }
    return false;
  }

  // The EL2 address of host object [p, p + size). `use` says whether an
  // object that is not RAM, a module page, the ops table or a CPU's state
  // may be shown through the call window; kNone: 0 for such objects.
  uint64_t HostToEl2(const void* p, uint64_t size = 1, WindowUse use = WindowUse::kCall) {
    if (p == nullptr) return 0;
    const auto a = reinterpret_cast<uint64_t>(p);
    // Hyp VAs handed out as pointers (alloc_module_va) are what they are.
    if (a >= kModuleVaBase && a < kModuleVaEnd) return a;
    if (a == reinterpret_cast<uint64_t>(m.ops_for_generation())) return ops_va;
    // A module page: the address EL2 code knows it by.
    if (auto it = m.host_to_hyp.find(a & kPageMask); it != m.host_to_hyp.end())
      return it->second + (a & ~kPageMask);
    uint64_t phys = 0;
    if (mem::PtrToPhys(m, p, &phys)) return phys + kUcHypLinearOffset;
    if (InCpuState(a, size)) return Window(p, size, /*for_call=*/false);
    if (use == WindowUse::kNone) return 0;
    return Window(p, size, /*for_call=*/true);
  }

  void* El2ToHost(uint64_t va) {
    if (void* p = el2->HostPointer(va)) return p;
    if (ResolveEl2(va)) return el2->HostPointer(va);
    return nullptr;
  }

  // ---- faults and panics ----------------------------------------------------------

  std::string Symbolize(uint64_t addr) const {
    for (const auto& mod : modules) {
      uint64_t el1 = 0;
      if (mod->hyp_va != 0 && addr >= mod->hyp_va && addr - mod->hyp_va < mod->linked.hyp.image.size())
        el1 = addr - mod->hyp_va + mod->linked.hyp.image.start;
      else if (addr >= mod->phys && addr - mod->phys < mod->size)
        el1 = addr;
      else
        continue;
      std::string s = mod->linked.Symbolize(el1);
      if (s.empty()) s = absl::StrFormat("%s+%#x", mod->name, el1 - mod->phys);
      if (std::string line = SourceLine(*mod, el1); !line.empty()) absl::StrAppend(&s, " (", line, ")");
      return absl::StrCat(s, " [", mod->name, "]");
    }
    return "";
  }

  // "el2.c:42" from the .ko's DWARF (it is linked at its EL1 addresses).
  std::string SourceLine(KoModule& mod, uint64_t el1) const {
    if (!mod.debug_info_read) {
      mod.debug_info_read = true;
      for (const OfferedModule& o : m.offered) {
        if (o.name != mod.name || o.ko.empty()) continue;
        std::vector<uint64_t> addr;
        for (const arm64::LinkedSection& sec : mod.linked.sections) {
          if (sec.index >= addr.size()) addr.resize(sec.index + 1, 0);
          addr[sec.index] = sec.addr;
        }
        mod.debug_info = debug::ObjectDebugInfo::Open(o.ko, std::move(addr));
        break;
      }
    }
    return mod.debug_info != nullptr ? mod.debug_info->SourceLine(el1) : "";
  }

  // The EL2 CPU's stack: [guard page][hyp stack] (CpuOptions layout).
  uint64_t El2StackLo() const { return kUcEl2PrivateBase + 2 * kPage; }
  uint64_t El2StackHi() const { return El2StackLo() + HypStackSize(m.opts); }

  // An EL2 data abort below the hyp stack, or with SP below it: the stack
  // overflowed (a frame larger than the guard page may skip it).
  bool IsHypStackOverflow(const CpuFault& f) const {
    if (f.el != El::kEl2) return false;
    const uint64_t lo = El2StackLo();
    const bool below = f.address < lo && f.address + 16 * kPage >= lo;
    return (below || f.sp < lo) && f.sp >= lo - 16 * kPage;
  }

  // The kernel's nVHE call trace: pc, then the frame records (x29 chain)
  // while they stay on the hyp stack and in module code.
  std::string CallTrace(const CpuFault& f) {
    std::string out = "\n  Call trace:";
    auto frame = [&](uint64_t pc) {
      const std::string sym = Symbolize(pc);
      if (sym.empty()) return false;
      absl::StrAppendFormat(&out, "\n   [<0x%x %s>]", pc, sym);
      return true;
    };
    frame(f.pc);
    uint64_t fp = f.x[29];
    for (int i = 0; i < 16 && fp >= El2StackLo() && fp + 16 <= El2StackHi() && (fp & 7) == 0; ++i) {
      uint64_t rec[2] = {};
      if (!el2->Read(fp, rec, sizeof(rec)) || !frame(rec[1]) || rec[0] <= fp) break;
      fp = rec[0];
    }
    return out;
  }

  std::string FaultReport(const CpuFault& f, const char* el) {
    std::string kind;
    switch (f.kind) {
      case FaultKind::kReadUnmapped:
      case FaultKind::kWriteUnmapped:
      case FaultKind::kReadProtected:
      case FaultKind::kWriteProtected:
        kind = absl::StrCat(el, " data abort");
        break;
      case FaultKind::kFetchUnmapped:
      case FaultKind::kFetchProtected:
        kind = absl::StrCat(el, " instruction abort");
        break;
      case FaultKind::kUndefinedInstruction:
        kind = absl::StrCat(el, " undefined instruction");
        break;
      case FaultKind::kBreakpoint:
        kind = absl::StrCat(el, " BRK");
        break;
      default:
        kind = absl::StrCat(el, " exception");
        break;
    }
    std::string reason = f.reason;
    if (timed_out.load() && (f.kind == FaultKind::kEngine || f.kind == FaultKind::kHostStop))
      reason = absl::StrFormat("runaway code: still running after %u ms (call time limit)",
                               m.opts.call_time_limit_ms);
    const std::string sym = Symbolize(f.pc);
    if (IsHypStackOverflow(f))
      reason = absl::StrFormat(
          "hyp stack overflow: %s reached 0x%x, below the %u-byte hyp stack [0x%x, 0x%x) "
          "(guard page)",
          sym, f.address, El2StackHi() - El2StackLo(), El2StackLo(), El2StackHi());
    const std::string lr = Symbolize(f.x[30]);
    const std::string far_sym = Symbolize(f.address);  // e.g. a store into text
    std::string out = absl::StrFormat(
        "%s: %s\n  pc 0x%x%s%s\n  lr 0x%x%s%s\n  far 0x%x%s%s", kind, reason, f.pc,
        sym.empty() ? "" : " ", sym, f.x[30], lr.empty() ? "" : " ", lr, f.address,
        far_sym.empty() ? "" : " ", far_sym);
    // The state of the faulting page, when it is memory the machine has.
    absl::StrAppend(&out, PageNote(f.address), PhysAsPointerNote(f));
    if (f.el == El::kEl1 && !el1_note.empty()) {
      absl::StrAppend(&out, "\n  ", el1_note);
      el1_note.clear();
    }
    if (f.el == El::kEl2) absl::StrAppend(&out, CallTrace(f));
    for (int i = 0; i < 31; i += 4) {
      absl::StrAppend(&out, "\n ");
      for (int j = i; j < i + 4 && j < 31; ++j) absl::StrAppendFormat(&out, " x%-2d %016x", j, f.x[j]);
    }
    absl::StrAppendFormat(&out, "\n  sp  %016x", f.sp);
    return out;
  }

  // " (pfn 0x40011 ram owner=host host=owned ...)" for memory the machine
  // has; "" for addresses that are no RAM or device.
  std::string PageNote(uint64_t addr) {
    if (addr >= kUcHypLinearOffset) {  // a hyp VA of the linear map
      const uint64_t phys = addr - kUcHypLinearOffset;
      if (mem::PhysToPtr(m, phys & kPageMask) == nullptr) return "";
      return absl::StrFormat(" (hyp linear map of phys 0x%x: %s)", phys,
                             m.memory.pages.State(phys >> 12).ToString());
    }
    if (mem::PhysToPtr(m, addr & kPageMask) == nullptr) return "";
    return absl::StrCat(" (", m.memory.pages.State(addr >> 12).ToString(), ")");
  }

  // An EL2 access to a physical address: EL2 reaches RAM and devices only
  // through its linear map, as on a device.
  std::string PhysAsPointerNote(const CpuFault& f) {
    if (f.el != El::kEl2 || f.address >= kUcHypLinearOffset ||
        mem::PhysToPtr(m, f.address & kPageMask) == nullptr)
      return "";
    const bool ram = f.address >= kRamBase && f.address - kRamBase < m.ram_size;
    return absl::StrFormat(
        "\n  0x%x is a physical address of %s used as a pointer: at EL2 it is hyp_va(0x%x) = "
        "0x%x",
        f.address, ram ? "RAM" : "a device", f.address, f.address + kUcHypLinearOffset);
  }

  // ---- running guest code ---------------------------------------------------------

  // Runs a host -> guest entry under the watchdog.
  template <typename F>
  auto Guarded(F&& f) {
    const bool outer = depth++ == 0;
    // New models (attached before Boot()) get mapped; then ops keep them in sync.
    if (outer && m.devices != nullptr && m.devices->by_phys.size() != device_models_synced) {
      SyncDeviceModels();
      device_models_synced = m.devices->by_phys.size();
    }
    if (outer && m.opts.call_time_limit_ms != 0) {
      if (timed_out.load(std::memory_order_relaxed)) timed_out = false;
      // No clock read per entry: the entry gets a number, and the watchdog
      // times how long it sees the same number running.
      running_entry.store(++entries, std::memory_order_release);
      StartWatchdog();
    }
    const bool was_panicked = m.state == MachineState::kPanicked;
    auto r = f();
    if (!was_panicked && m.state == MachineState::kPanicked) {
      const ExecContext* c = CurrentContext();
      DebugPanicked(c != nullptr && c->el == ExceptionLevel::kEl2 ? 2 : 1);
    }
    if (outer) {
      running_entry.store(0, std::memory_order_release);
      DropCallWindow();
    }
    --depth;
    return r;
  }

  void StartWatchdog() {
    if (watchdog.joinable()) return;
    watchdog = std::thread([this] {
      const auto limit = std::chrono::milliseconds(m.opts.call_time_limit_ms);
      // A call is stopped between the limit and the limit plus one poll
      // (5 % of it, at most 10 ms) after it started -- never before.
      const auto poll = std::clamp<std::chrono::milliseconds>(limit / 20, std::chrono::milliseconds(1),
                                                              std::chrono::milliseconds(10));
      uint64_t seen = 0;
      std::chrono::steady_clock::time_point since;  // when `seen` was first seen
      std::unique_lock<std::mutex> lock(wd_mu);
      while (!wd_quit) {
        wd_cv.wait_for(lock, poll);
        const uint64_t e = running_entry.load(std::memory_order_acquire);
        const auto now = std::chrono::steady_clock::now();
        if (e != seen) {
          seen = e;
          since = now;
          continue;
        }
        if (e == 0 || now - since < limit) continue;
        timed_out = true;
        running_entry.compare_exchange_strong(seen, 0);
        seen = 0;
        el2->RequestStop();
        el1->RequestStop();
      }
    });
  }

  bool CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret) {
    // (Runs on a panicked machine too: that is how panic notifiers are called.)
    ScopedContext scope(&m, cpu, ExceptionLevel::kEl2);
    // Handlers of a host exception read (and may move) its registers.
    CpuState& c = m.cpus[static_cast<size_t>(cpu)];
    using R = arm64::UnicornCpu::El2Sysreg;
    if (c.in_exception)
      for (int i = 0; i < kNrEl2Sysregs; ++i) el2->WriteEl2Sysreg(static_cast<R>(i), c.el2_sysregs[i]);
    absl::StatusOr<uint64_t> r = Guarded([&] { return el2->Call(addr, args); });
    if (c.in_exception)
      for (int i = 0; i < kNrEl2Sysregs; ++i) c.el2_sysregs[i] = el2->ReadEl2Sysreg(static_cast<R>(i));
    if (r.ok() && !timed_out.load()) {
      if (ret != nullptr) *ret = *r;
      return m.state != MachineState::kPanicked;
    }
    // A handler or op may already have panicked the machine (its report wins).
    if (m.state != MachineState::kPanicked) m.HypPanic(FaultReport(el2->last_fault(), "EL2"), cpu);
    DebugPanicked(2);
    return false;
  }

  // EL1 code faulted or BUG()ed: the kernel is dead, so is the machine.
  void KernelPanic(const std::string& what) {
    if (m.state == MachineState::kPanicked) return;
    m.Log(absl::StrCat("Kernel panic - not syncing: ", what));
    m.state = MachineState::kPanicked;
    m.panic_report = absl::StrCat("Kernel panic: ", what);
  }

  // An op (C++) running for EL2 code ended in a hyp panic: stop the EL2 code.
  void StopForPanic(UnicornCpu& cpu) { cpu.Stop(absl::StrCat("hyp panic: ", m.PanicHeadline())); }

  // ---- host calls -------------------------------------------------------------------

  arm64::GuestRead Reader(UnicornCpu* cpu) {
    return [cpu](uint64_t a, void* out, size_t n) { return cpu->Read(a, out, n); };
  }

  // EL2 memory as EL2 code sees it (pages the hypervisor maps on first touch).
  arm64::GuestRead El2Reader() {
    return [this](uint64_t a, void* out, size_t n) {
      auto* o = static_cast<uint8_t*>(out);
      while (n > 0) {
        const auto* p = static_cast<const uint8_t*>(El2ToHost(a));
        if (p == nullptr) return false;
        const size_t chunk = std::min<size_t>(n, kPage - (a & ~kPageMask));
        std::memcpy(o, p, chunk);
        o += chunk;
        a += chunk;
        n -= chunk;
      }
      return true;
    };
  }

  void InstallHostCalls() {
    auto read1 = Reader(el1.get());
    auto read2 = El2Reader();
    el1->SetHostCall(PKVM_A64_HOSTCALL_PRINTK, [this, read1](UnicornCpu&, TrapFrame& f) {
      arm64::GuestArgs args(f.x + 1, 7, f.sp, read1);
      auto s = arm64::FormatGuestPrintf(read1, f.x[0], args);
      std::string line = s.ok() ? *s : std::string(s.status().message());
      f.x[0] = line.size();
      if (line.size() >= 2 && line[0] == '\001') line.erase(0, 2);
      while (!line.empty() && line.back() == '\n') line.pop_back();
      m.Log(line);
    }).IgnoreError();
    auto warn = [this](arm64::GuestRead read) {
      return [this, read](UnicornCpu&, TrapFrame& f) {
        m.Log(absl::StrFormat("WARNING: CPU: %d at %s:%d: WARN_ON(%s)", Cpu(),
                              arm64::ReadGuestString(read, f.x[0]), static_cast<int>(f.x[1]),
                              arm64::ReadGuestString(read, f.x[2])));
      };
    };
    el1->SetHostCall(PKVM_A64_HOSTCALL_WARN, warn(read1)).IgnoreError();
    el2->SetHostCall(PKVM_A64_HOSTCALL_WARN, warn(read2)).IgnoreError();
    el1->SetHostCall(PKVM_A64_HOSTCALL_BUG, [this, read1](UnicornCpu& cpu, TrapFrame& f) {
      const std::string what = absl::StrFormat("BUG at %s:%d: %s", arm64::ReadGuestString(read1, f.x[0]),
                                               static_cast<int>(f.x[1]),
                                               arm64::ReadGuestString(read1, f.x[2]));
      m.Log(absl::StrCat("kernel ", what));
      KernelPanic(what);
      cpu.Stop(what);
    }).IgnoreError();
    el2->SetHostCall(PKVM_A64_HOSTCALL_BUG, [this, read2](UnicornCpu& cpu, TrapFrame& f) {
      // f.pc is in the runtime's __pkvm_bug stub: name its caller.
      const std::string sym = Symbolize(cpu.ReadReg(30) - 4);
      const std::string what = absl::StrFormat(
          "BUG at %s:%d: %s%s%s", arm64::ReadGuestString(read2, f.x[0]), static_cast<int>(f.x[1]),
          arm64::ReadGuestString(read2, f.x[2]), sym.empty() ? "" : " in ", sym);
      m.HypPanic(what, Cpu());
      StopForPanic(cpu);
    }).IgnoreError();
    el1->SetHostCall(PKVM_A64_HOSTCALL_FINALIZED, [this](UnicornCpu&, TrapFrame& f) {
      f.x[0] = m.protected_mode_initialized ? 1 : 0;
    }).IgnoreError();
    el1->SetHostCall(PKVM_A64_HOSTCALL_EL2_MOD_ADD, [this](UnicornCpu&, TrapFrame& f) {
      const std::string name = loading != nullptr ? loading->name : std::string("?");
      m.el2_modules.push_back(LoadedModule{name, f.x[1], f.x[2], f.x[3]});
    }).IgnoreError();
    // of_* from EL1 module code (linux/of.h), x7 says which.
    el1->SetHostCall(PKVM_A64_HOSTCALL_OF, [this, read1](UnicornCpu& cpu, TrapFrame& f) {
      auto str = [&](uint64_t a) { return a == 0 ? std::string() : arm64::ReadGuestString(read1, a); };
      int64_t r = -EINVAL;
      switch (f.x[7]) {
        case devices::kOfFindCompatible: {
          const std::string type = str(f.x[1]), compat = str(f.x[2]);
          f.x[0] = devices::OfFindCompatible(m, f.x[0], f.x[1] == 0 ? nullptr : type.c_str(),
                                             compat.c_str());
          return;
        }
        case devices::kOfReadU32: {
          uint32_t v = 0;
          r = devices::OfReadU32(m, f.x[0], str(f.x[1]).c_str(), &v);
          if (r == 0 && !cpu.Write(f.x[2], &v, sizeof v)) r = -EFAULT;
          break;
        }
        case devices::kOfReadU64: {
          uint64_t v = 0;
          r = devices::OfReadU64(m, f.x[0], str(f.x[1]).c_str(), &v);
          if (r == 0 && !cpu.Write(f.x[2], &v, sizeof v)) r = -EFAULT;
          break;
        }
        case devices::kOfAddressToResource: {
          devices::KernelResource res{};
          r = devices::OfAddressToResource(m, f.x[0], static_cast<int>(f.x[1]), &res);
          if (r == 0 && !cpu.Write(f.x[2], &res, sizeof res)) r = -EFAULT;
          break;
        }
        case devices::kOfDeviceIsAvailable:
          r = devices::OfDeviceIsAvailable(m, f.x[0]) ? 1 : 0;
          break;
        case devices::kOfNodePut:
          r = 0;
          break;
      }
      f.x[0] = static_cast<uint64_t>(r);
    }).IgnoreError();
    el1->SetHostCall(PKVM_A64_HOSTCALL_EL2_IMPORTS, [this](UnicornCpu&, TrapFrame& f) {
      f.x[0] = static_cast<uint64_t>(static_cast<int64_t>(PrepareEl2(f.x[1])));
    }).IgnoreError();
    InstallKernelMemHostCalls(m, *el1);  // kmalloc & co.

    // hvc/smc from EL1: the host interface, handled as on a device.
    el1->SetHvcHandler([this](UnicornCpu& cpu, TrapFrame& f) {
      El1Hvc(f.x);
      if (m.state == MachineState::kPanicked) StopForPanic(cpu);
    });
    el1->SetSmcHandler([this](UnicornCpu& cpu, TrapFrame& f) {
      user_pt_regs in{};
      for (int i = 0; i < 18; ++i) in.regs[i] = f.x[i];
      const user_pt_regs out = m.HostSmc(in, Cpu()).result.regs;
      for (int i = 0; i < 18; ++i) f.x[i] = out.regs[i];
      if (m.state == MachineState::kPanicked) StopForPanic(cpu);
    });
    // EL2 code's `smc #0` reaches the fake EL3 (lib/hyp/el3.cc) with
    // x0..x17; an `hvc` at EL2 is not a service pKVM offers.
    el2->SetSmcHandler([this](UnicornCpu&, TrapFrame& f) {
      SmcccRegs in;
      for (int i = 0; i < 18; ++i) in.x[i] = f.x[i];
      const SmcccRegs out = El2Smccc(m, 2, in, Cpu());
      for (int i = 0; i < 18; ++i) f.x[i] = out.x[i];
    });
    el2->SetHvcHandler([](UnicornCpu&, TrapFrame& f) { f.x[0] = kSmcccNotSupported; });
  }

  // An `hvc #0` at EL1 with x0..x17: what pKVM's host interface does with
  // them (the registers come back changed).
  void El1Hvc(uint64_t (&x)[18]) {
    user_pt_regs in{};
    std::copy(x, x + 18, in.regs);
    const user_pt_regs out = m.HostHvc(in, Cpu());
    std::copy(out.regs, out.regs + 18, x);
  }

  // Host call 5, between __pkvm_alloc_module_va and the page mappings: the
  // EL2 imports are patched and the module's events get their ids (what
  // hyp_trace_init_mod_events does on the host before __pkvm_init_module).
  int PrepareEl2(uint64_t hyp_va) {
    if (loading == nullptr) return -EINVAL;
    KoModule& mod = *loading;
    mod.hyp_va = hyp_va;
    arm64::GuestRegion region{mod.phys, {m.ram + (mod.phys - kRamBase), mod.size}};
    absl::Status s = arm64::PatchEl2Imports(mod.linked, region, hyp_va,
                                            [this](absl::string_view n) { return El2Import(n); });
    if (!s.ok()) {
      m.Log(absl::StrCat(mod.name, ": ", s.message()));
      return -ENOEXEC;
    }
    el1->InvalidateCode(mod.phys, mod.size);
    if (debug != nullptr) debug->ModuleLoaded(DebugInfo(mod));
    if (absl::Status e = AddEvents(mod); !e.ok()) {
      m.Log(absl::StrCat(mod.name, ": ", e.message()));
      return internal::ErrnoOf(e);
    }
    return 0;
  }

  // An EL2 function a module loaded earlier exports
  // (EXPORT_SYMBOL(kvm_nvhe_sym(fn))), at its hyp VA; 0 when none does.
  uint64_t ModuleExportEl2(absl::string_view name) const {
    for (const auto& mod : modules) {
      if (mod.get() == loading || mod->hyp_va == 0) continue;
      if (std::find(mod->exports.begin(), mod->exports.end(), name) == mod->exports.end()) continue;
      const arm64::LinkedSymbol* sym = mod->linked.FindSymbol(name);
      if (sym == nullptr || !sym->defined || sym->addr < mod->linked.hyp.text.start ||
          sym->addr >= mod->linked.hyp.text.end)
        continue;
      return mod->linked.HypVa(sym->addr, mod->hyp_va);
    }
    return 0;
  }

  // Hypervisor functions EL2 code may call directly (libpkvm's EL2 helpers).
  absl::StatusOr<uint64_t> El2Import(absl::string_view name) {
    if (const uint64_t va = ModuleExportEl2(name); va != 0) return va;
    if (auto it = el2_imports.find(std::string(name)); it != el2_imports.end()) return it->second;
    arm64::TrapHandler fn;
    if (name == "__kvm_nvhe_tracing_reserve_entry") {
      fn = [this](UnicornCpu&, TrapFrame& f) {
        f.x[0] = HostToEl2(trace::TracingReserveEntry(f.x[0]), std::max<uint64_t>(f.x[0], 1));
      };
    } else if (name == "__kvm_nvhe_tracing_commit_entry") {
      fn = [](UnicornCpu&, TrapFrame&) { trace::TracingCommitEntry(); };
    } else if (name == "__kvm_nvhe_trace___hyp_printk") {
      fn = [](UnicornCpu&, TrapFrame& f) {
        trace::TracingModHypPrintk(static_cast<pkvm_u8>(f.x[0]), f.x[1], f.x[2], f.x[3], f.x[4]);
      };
    } else if (name == "__kvm_nvhe___cyg_profile_func_enter") {
      // CONFIG_PKVM_FTRACE: A16 EL2 code is built with -finstrument-functions.
      fn = [this](UnicornCpu&, TrapFrame& f) {
        if (m.trace->FtraceActive()) m.trace->FuncEnter(Cpu(), f.x[0], f.x[1]);
      };
    } else if (name == "__kvm_nvhe___cyg_profile_func_exit") {
      fn = [this](UnicornCpu&, TrapFrame& f) {
        if (m.trace->FtraceActive()) m.trace->FuncExit(Cpu(), f.x[0]);
      };
    } else if (name == "__kvm_nvhe___pkvm_trace_seq_printf") {
      // Event printers run on the host (libpkvm formats from the event's
      // print fmt); reaching this from EL2 is a module bug.
      fn = [this](UnicornCpu& cpu, TrapFrame&) {
        m.HypPanic("__pkvm_trace_seq_printf() called at EL2: event printers run on the host", Cpu());
        StopForPanic(cpu);
      };
    } else {
      return absl::NotFoundError(absl::StrCat(
          "EL2 code calls ", name, ", which the hypervisor does not export to modules"));
    }
    auto t = el2->AddTrampoline(std::move(fn));
    if (!t.ok()) return t.status();
    el2_imports.emplace(std::string(name), *t);
    return *t;
  }

  // ---- events of a .ko -----------------------------------------------------------------

  uint8_t* Ram(uint64_t phys) { return mem::PhysToPtr(m, phys); }

  absl::Status AddEvents(KoModule& mod) {
    const arm64::HypLayout& h = mod.linked.hyp;
    const size_t n = h.hyp_events.size() / sizeof(pkvm_hyp_event_desc);
    mod.events.resize(n);
    mod.event_fields.assign(n, {});
    for (size_t i = 0; i < n; ++i) {
      pkvm_hyp_event_desc& d = mod.events[i];
      std::memcpy(&d, Ram(h.hyp_events.start + i * sizeof d), sizeof d);
      // Guest (EL1 == physical) addresses -> host pointers into RAM.
      auto host = [&](const void* g) -> uint8_t* {
        return g == nullptr ? nullptr : Ram(reinterpret_cast<uint64_t>(g));
      };
      d.name = reinterpret_cast<const char*>(host(d.name));
      d.printk = reinterpret_cast<const char*>(host(d.printk));
      d.id = reinterpret_cast<hyp_event_id*>(host(d.id));
      d.enabled = reinterpret_cast<int*>(host(d.enabled));
      if (d.fields != nullptr) {
        // fields() is AArch64 code: run it at EL1 (*nr into the scratch page).
        auto r = el1->Call(reinterpret_cast<uint64_t>(d.fields), {scratch});
        if (!r.ok()) return ErrnoError(ENOEXEC, absl::StrCat("event descriptor ", i, ": ", r.status().message()));
        uint32_t nr = 0;
        std::memcpy(&nr, Ram(scratch), sizeof nr);
        for (uint32_t k = 0; k < nr && *r != 0; ++k) {
          pkvm_hyp_event_field f;
          const uint8_t* p = Ram(*r + k * sizeof f);
          if (p == nullptr) break;
          std::memcpy(&f, p, sizeof f);
          auto str = [&](const char* g) {
            const uint8_t* s = g == nullptr ? nullptr : Ram(reinterpret_cast<uint64_t>(g));
            return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
          };
          mod.event_fields[i].push_back(
              trace::EventField{str(f.type), str(f.name), f.offset, f.size, f.is_signed != 0});
        }
      }
      d.fields = nullptr;
      d.print = nullptr;  // formatted from the print fmt on the host
    }
    pkvm_native_module desc{};
    desc.magic = PKVM_NATIVE_MODULE_MAGIC;
    desc.name = mod.name.c_str();
    desc.generation = static_cast<pkvm_u32>(GenerationNumber(m.gen));
    if (n > 0) {
      desc.hyp_events = mod.events.data();
      desc.hyp_events_end = mod.events.data() + n;
    }
    // The formats (not the section: it is padded to a page end).
    const arm64::LinkedSymbol* fs = mod.linked.FindSymbol("__kvm_nvhe___hyp_printk_fmts_start");
    const arm64::LinkedSymbol* fe = mod.linked.FindSymbol("__kvm_nvhe___hyp_printk_fmts_end");
    if (fs != nullptr && fe != nullptr && fe->addr > fs->addr) {
      desc.printk_fmts = reinterpret_cast<const hyp_printk_fmt*>(Ram(fs->addr));
      desc.printk_fmts_end = reinterpret_cast<const hyp_printk_fmt*>(Ram(fs->addr) + (fe->addr - fs->addr));
    }
    if (const arm64::LinkedSymbol* s = mod.linked.FindSymbol("__kvm_nvhe___hyp_printk_fmt_offset"))
      desc.printk_fmt_offset = Ram(s->addr);
    // Function tracing and symbols: the EL2 functions at their hyp VAs.
    constexpr absl::string_view kPrefix = "__kvm_nvhe_";
    mod.function_names.clear();
    mod.functions.clear();
    for (const arm64::LinkedSymbol& sym : mod.linked.symbols) {
      if (!sym.defined || sym.type != 2 /* STT_FUNC */ || !h.text.contains(sym.addr)) continue;
      absl::string_view n = sym.name;
      if (!absl::ConsumePrefix(&n, kPrefix)) continue;
      mod.function_names.emplace_back(n);
    }
    size_t k = 0;
    for (const arm64::LinkedSymbol& sym : mod.linked.symbols) {
      if (!sym.defined || sym.type != 2 || !h.text.contains(sym.addr)) continue;
      if (!absl::StartsWith(sym.name, kPrefix)) continue;
      mod.functions.push_back(pkvm_ftrace_sym{sym.addr - h.text.start, mod.function_names[k++].c_str()});
    }
    mod.functions.push_back(pkvm_ftrace_sym{0, nullptr});
    desc.ftrace_syms = mod.functions.data();
    const uint64_t text_va = mod.linked.HypVa(h.text.start, mod.hyp_va);
    absl::Status s = m.trace->AddModule(mod.name, desc, text_va, &mod.event_fields);
    if (s.ok()) mod.events_added = true;
    return s;
  }

  // ---- the ops table -----------------------------------------------------------------

  // Ops whose `void *` arguments are hyp VAs to map or unmap, not memory the
  // op touches: they are passed as they are.
  // How an op's data-pointer arguments reach C++:
  //  kAccess      the op reads or writes through them: EL2 must have the
  //               memory mapped (else a hyp panic);
  //  kRawVa       hyp VAs to map or unmap: passed as they are;
  //  kArithmetic  addresses the op only computes with or checks itself
  //               (hyp_pa, pin/unpin, cache maintenance): translated by the
  //               linear map's arithmetic, whoever owns the page.
  enum class ArgMode { kAccess, kRawVa, kArithmetic };
  static ArgMode ArgModeOf(const char* op) {
    static constexpr const char* kVaOps[] = {"map_module_page", "map_module_pages",
                                             "unmap_module_page", "unmap_module_pages"};
    static constexpr const char* kArithOps[] = {"hyp_pa", "pin_shared_mem", "unpin_shared_mem",
                                                "flush_dcache_to_poc"};
    for (const char* n : kVaOps)
      if (std::strcmp(n, op) == 0) return ArgMode::kRawVa;
    for (const char* n : kArithOps)
      if (std::strcmp(n, op) == 0) return ArgMode::kArithmetic;
    return ArgMode::kAccess;
  }

  // kArithmetic: a module VA through the module page map, else the linear
  // map (RAM and devices at their physical address + kUcHypLinearOffset).
  // An address one past the end of a range (pin_shared_mem's `to`) is taken
  // as the byte after the range's last one.
  void* LinearToHost(uint64_t x) {
    auto at = [this](uint64_t a) -> uint8_t* {
      if (auto it = m.hyp_pages.find(a & kPageMask); it != m.hyp_pages.end())
        return reinterpret_cast<uint8_t*>(it->second.host_page) + (a & ~kPageMask);
      return a >= kUcHypLinearOffset ? mem::PhysToPtr(m, a - kUcHypLinearOffset) : nullptr;
    };
    if (uint8_t* p = at(x)) return p;
    if ((x & ~kPageMask) == 0)
      if (uint8_t* p = at(x - 1)) return p + 1;
    return El2ToHost(x);
  }

  template <typename T>
  bool FromGuest(uint64_t x, T* out, ArgMode mode) {
    const bool raw_va = mode == ArgMode::kRawVa;
    if constexpr (std::is_pointer_v<T>) {
      if constexpr (std::is_function_v<std::remove_pointer_t<T>>) {
        *out = reinterpret_cast<T>(x);  // an EL2 code address: kept as such
      } else {
        if (x == 0 || raw_va) {
          *out = reinterpret_cast<T>(static_cast<uintptr_t>(x));
          return true;
        }
        void* p = mode == ArgMode::kArithmetic ? LinearToHost(x) : El2ToHost(x);
        if (p == nullptr) return false;
        // The whole object must be there, and be one piece of host memory
        // (the op reads or writes it as one).
        using Pointee = std::remove_cv_t<std::remove_pointer_t<T>>;
        if constexpr (IsComplete<Pointee>::value) {
          if (mode == ArgMode::kAccess && sizeof(Pointee) > 1) {
            const uint64_t last = x + sizeof(Pointee) - 1;
            if (last < x || El2ToHost(last) != static_cast<uint8_t*>(p) + sizeof(Pointee) - 1)
              return false;
          }
        }
        *out = static_cast<T>(p);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      *out = (x & 0xff) != 0;
    } else {
      *out = static_cast<T>(x);
    }
    return true;
  }

  // " called from 0x... fn+0x.. [module]": where the EL2 code that called
  // the op is (the trampoline was reached with `bl`/`blr`, so x30 - 4).
  std::string CallerNote(UnicornCpu& cpu) {
    const uint64_t pc = cpu.ReadReg(30) - 4;
    const std::string sym = Symbolize(pc);
    return absl::StrFormat("; called from pc %#x%s%s", pc, sym.empty() ? "" : " ", sym);
  }
  // An op's arguments cannot be what it needs: a hyp panic naming the op,
  // the argument and the calling code; the EL2 code stops.
  void OpPanic(UnicornCpu& cpu, const std::string& what) {
    m.HypPanic(what + CallerNote(cpu), Cpu());
    StopForPanic(cpu);
  }

  template <typename T>
  void InvalidateIfCode(uint64_t x) {
    if constexpr (std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>> &&
                  !std::is_const_v<std::remove_pointer_t<T>>) {
      if (x < kModuleVaBase || x >= kModuleVaEnd) return;
      auto it = m.hyp_pages.find(x & kPageMask);
      if (it != m.hyp_pages.end() && (it->second.prot & KVM_PGTABLE_PROT_X))
        el2->InvalidateCode(x & kPageMask, 2 * kPage);
    }
  }

  // The host memory behind EL2 byte `va` when EL2 may read it (write: and
  // write it) -- checked against what EL2 has mapped and with which
  // permissions: module pages by their protection, the linear map and the
  // window read-write, the EL2 stack read-write, its code page read-only.
  uint8_t* El2Byte(uint64_t va, bool write) {
    const uint64_t page = va & kPageMask;
    if (page >= kModuleVaBase && page < kModuleVaEnd) {
      auto it = m.hyp_pages.find(page);
      if (it == m.hyp_pages.end()) return nullptr;
      if (!(it->second.prot & (write ? KVM_PGTABLE_PROT_W : KVM_PGTABLE_PROT_R))) return nullptr;
      return reinterpret_cast<uint8_t*>(it->second.host_page) + (va & ~kPageMask);
    }
    if (page >= kUcEl2PrivateBase && page < kModuleVaBase) {
      if (write && page < kUcEl2PrivateBase + 2 * kPage) return nullptr;  // code, guard
      return static_cast<uint8_t*>(el2->HostPointer(va));
    }
    return static_cast<uint8_t*>(El2ToHost(va));
  }
  // Checks EL2 bytes [va, va + n) page by page; the first byte EL2 may not
  // touch so into *bad. (n > 0)
  bool El2RangeOk(uint64_t va, uint64_t n, bool write, uint64_t* bad) {
    if (va + n < va) {
      *bad = va;
      return false;
    }
    for (uint64_t a = va; a < va + n; a = (a & kPageMask) + kPage) {
      if (El2Byte(a, write) == nullptr) {
        *bad = a;
        return false;
      }
      if ((a & kPageMask) + kPage < a) break;
    }
    return true;
  }
  std::string RangeNote(const char* op, int arg, const char* arg_name, uint64_t va, uint64_t n,
                        uint64_t bad, bool write) {
    return absl::StrFormat(
        "EL2 data abort: pkvm_module_ops->%s() argument %d (%s) [0x%x, 0x%x + 0x%x) reaches 0x%x, which "
        "EL2 has not mapped %s%s",
        op, arg, arg_name, va, va, n, bad, write ? "writable" : "readable", PageNote(bad));
  }

  // memcpy/memset for EL2 code: every byte of every buffer checked, then
  // copied page piece by page piece (pages adjacent at EL2 need not be
  // adjacent in the host); code written this way is retranslated.
  void OpMemcpy(UnicornCpu& cpu, TrapFrame& f) {
    const uint64_t to = f.x[0], from = f.x[1], n = f.x[2];
    if (n == 0) return;  // x0 stays `to`
    uint64_t bad = 0;
    if (!El2RangeOk(to, n, true, &bad)) return OpPanic(cpu, RangeNote("memcpy", 0, "to", to, n, bad, true));
    if (!El2RangeOk(from, n, false, &bad))
      return OpPanic(cpu, RangeNote("memcpy", 1, "from", from, n, bad, false));
    for (uint64_t done = 0; done < n;) {
      const uint64_t d = to + done, s = from + done;
      const uint64_t chunk =
          std::min({n - done, kPage - (d & ~kPageMask), kPage - (s & ~kPageMask)});
      std::memmove(El2Byte(d, true), El2Byte(s, false), chunk);
      done += chunk;
    }
    el2->InvalidateCode(to & kPageMask, ((to + n - 1) & kPageMask) - (to & kPageMask) + kPage);
  }
  void OpMemset(UnicornCpu& cpu, TrapFrame& f) {
    const uint64_t dst = f.x[0], n = f.x[2];
    if (n == 0) return;
    uint64_t bad = 0;
    if (!El2RangeOk(dst, n, true, &bad)) return OpPanic(cpu, RangeNote("memset", 0, "dst", dst, n, bad, true));
    for (uint64_t done = 0; done < n;) {
      const uint64_t d = dst + done;
      const uint64_t chunk = std::min(n - done, kPage - (d & ~kPageMask));
      std::memset(El2Byte(d, true), static_cast<int>(f.x[1] & 0xff), chunk);
      done += chunk;
    }
    el2->InvalidateCode(dst & kPageMask, ((dst + n - 1) & kPageMask) - (dst & kPageMask) + kPage);
  }

  template <typename R>
  uint64_t ToGuest(R v) {
    if constexpr (std::is_pointer_v<R>) {
      if constexpr (std::is_function_v<std::remove_pointer_t<R>>)
        return reinterpret_cast<uint64_t>(v);
      else
        return HostToEl2(v);
    } else if constexpr (std::is_signed_v<R> && std::is_integral_v<R>) {
      return static_cast<uint64_t>(static_cast<int64_t>(v));
    } else {
      return static_cast<uint64_t>(v);
    }
  }

  template <typename Fp>
  struct Op;
  template <typename R, typename... A>
  struct Op<R (*)(A...)> {
    static_assert(sizeof...(A) <= 8, "ops members take register arguments only");
    template <size_t... I>
    static void Run(Impl& b, const char* name, R (*fn)(A...), UnicornCpu& cpu, TrapFrame& f,
                    std::index_sequence<I...>) {
      std::tuple<A...> args;
      bool ok = true;
      int bad = -1;
      [[maybe_unused]] const ArgMode mode = ArgModeOf(name);
      ((ok && !b.FromGuest(f.x[I], &std::get<I>(args), mode) ? (ok = false, bad = static_cast<int>(I)) : 0), ...);
      if (!ok) {
        b.OpPanic(cpu, absl::StrFormat("EL2 data abort: pkvm_module_ops->%s() argument %d is %#x, "
                                       "an address the hypervisor has not mapped%s",
                                       name, bad, f.x[bad], b.PageNote(f.x[bad])));
        return;
      }
      // Stop the EL2 code if this op panicked the machine (a panic notifier
      // runs ops on a machine that was already panicked: those go on).
      const bool was_panicked = b.m.state == MachineState::kPanicked;
      auto panicked = [&] { return !was_panicked && b.m.state == MachineState::kPanicked; };
      struct Revoke {
        Impl& b;
        bool on;
        ~Revoke() {
          if (on) b.RevalidateEl2Mappings(/*linear_only=*/true);
          b.SyncDeviceModels();
        }
      } revoke{b, RevokesHypAccess(name)};
      // An op may write through a pointer into module code (an out-argument
      // in text): Unicorn must not keep running what it translated before.
      struct Retranslate {
        Impl& b;
        const TrapFrame& f;
        ~Retranslate() {
          (b.InvalidateIfCode<A>(f.x[I]), ...);
        }
      } retranslate{b, f};
      if constexpr (std::is_void_v<R>) {
        const bool done = RunGuarded([&] { std::apply(fn, args); });
        if (!done || panicked()) return b.StopForPanic(cpu);
      } else {
        R r{};
        const bool done = RunGuarded([&] { r = std::apply(fn, args); });
        if (!done || panicked()) return b.StopForPanic(cpu);
        if constexpr (std::is_pointer_v<R> && !std::is_function_v<std::remove_pointer_t<R>>) {
          // Host objects an op returns are shown to EL2 only when EL2 is
          // meant to write them (a trace entry of the length it asked for).
          const bool entry = std::strcmp(name, "tracing_reserve_entry") == 0;
          const uint64_t v = b.HostToEl2(r, entry ? std::max<uint64_t>(f.x[0], 1) : 1,
                                         entry ? WindowUse::kCall : WindowUse::kNone);
          if (v == 0 && r != nullptr)
            return b.OpPanic(cpu, absl::StrFormat("pkvm_module_ops->%s() returned host memory "
                                                  "EL2 has no mapping of", name));
          f.x[0] = v;
        } else {
          f.x[0] = b.ToGuest(r);
        }
      }
    }
  };

  template <typename Fp>
  absl::Status AddOp(size_t offset, const char* name, Fp fn) {
    if (fn == nullptr) return absl::OkStatus();
    auto t = el2->AddTrampoline([this, name, fn](UnicornCpu& cpu, TrapFrame& f) {
      Op<Fp>::Run(*this, name, fn, cpu, f, std::make_index_sequence<std::tuple_size_v<ArgsOf<Fp>>>{});
    });
    if (!t.ok()) return t.status();
    std::memcpy(ops_table.get() + offset, &*t, sizeof(uint64_t));
    return absl::OkStatus();
  }
  // ops->puts is a loop of putc in the kernel: with a serial driver
  // registered (EL2 code), the loop runs at EL2 in the same run as its
  // caller -- each character through the driver's callback, in order --
  // instead of one host round trip per character. The host takes the line
  // for serial_output() when the loop starts. Without a driver, or with a
  // string EL2 cannot read, the op's C++ (which logs or panics) runs.
  template <typename Fp>
  absl::Status AddPutsLoop(size_t offset, Fp fn) {
    auto begin = el2->AddTrampoline([this, fn](UnicornCpu& cpu, TrapFrame& f) {
      const auto* s = static_cast<const char*>(f.x[0] != 0 ? El2ToHost(f.x[0]) : nullptr);
      if (m.serial_putc == 0 || s == nullptr) {
        Op<Fp>::Run(*this, "puts", fn, cpu, f, std::make_index_sequence<1>{});
        f.x[0] = 0;  // done: the loop does not run
        return;
      }
      // What the C++ op records per character (the console UART, when
      // attached, records what the driver transmits instead).
      if (!devices::HasConsole(m)) absl::StrAppend(&m.serial, s, "\n\r");
      f.x[0] = m.serial_putc;
    });
    if (!begin.ok()) return begin.status();
    const uint32_t loop[] = {
        0xa9be7bfd,  // stp x29, x30, [sp, #-32]!
        0xa90153f3,  // stp x19, x20, [sp, #16]
        0xaa0003f3,  // mov x19, x0              the string
        0x580001e9,  // ldr x9, begin            (the literal below)
        0xd63f0120,  // blr x9                   x0 = the driver's putc, or 0: done
        0xb4000140,  // cbz x0, done
        0xaa0003f4,  // mov x20, x0
        0x38401660,  // loop: ldrb w0, [x19], #1
        0x34000060,  // cbz w0, eol
        0xd63f0280,  // blr x20
        0x17fffffd,  // b loop
        0x52800140,  // eol: mov w0, #'\n'
        0xd63f0280,  // blr x20
        0x528001a0,  // mov w0, #'\r'
        0xd63f0280,  // blr x20
        0xa94153f3,  // done: ldp x19, x20, [sp, #16]
        0xa8c27bfd,  // ldp x29, x30, [sp], #32
        0xd65f03c0,  // ret
        static_cast<uint32_t>(*begin), static_cast<uint32_t>(*begin >> 32),  // begin
    };
    auto at = el2->AddCode(loop);
    if (!at.ok()) return at.status();
    std::memcpy(ops_table.get() + offset, &*at, sizeof(uint64_t));
    return absl::OkStatus();
  }

  template <typename Fp>
  struct ArgsOfT;
  template <typename R, typename... A>
  struct ArgsOfT<R (*)(A...)> {
    using type = std::tuple<A...>;
  };
  template <typename Fp>
  using ArgsOf = typename ArgsOfT<Fp>::type;

  template <typename Ops>
  absl::Status BuildOps(const Ops& host) {
    static_assert(sizeof(Ops) <= 2 * kPage);
    ops_table.reset(static_cast<uint8_t*>(std::aligned_alloc(kPage, 2 * kPage)));
    if (ops_table == nullptr) return absl::ResourceExhaustedError("ops table");
    std::memset(ops_table.get(), 0, 2 * kPage);
#define PKVM_UC_OP(member)                                                                   \
  if constexpr (requires { host.member; }) {                                                 \
    if (absl::Status s = AddOp(offsetof(Ops, member), #member, host.member); !s.ok()) return s; \
  }
    PKVM_OPS_MEMBERS(PKVM_UC_OP)
#undef PKVM_UC_OP
    // kern_hyp_va(): the kernel's linear map is VA == PA here, the
    // hypervisor's is offset.
    if constexpr (requires { host.kern_hyp_va; }) {
      auto t = el2->AddTrampoline([this](UnicornCpu&, TrapFrame& f) {
        if (mem::PhysToPtr(m, f.x[0]) != nullptr) f.x[0] += kUcHypLinearOffset;
      });
      if (!t.ok()) return t.status();
      std::memcpy(ops_table.get() + offsetof(Ops, kern_hyp_va), &*t, 8);
    }
    if constexpr (requires { host.puts; }) {
      if (absl::Status s = AddPutsLoop(offsetof(Ops, puts), host.puts); !s.ok()) return s;
    }
    // register_hyp_event_ids(start, end) takes EL2 addresses as integers.
    if constexpr (requires { host.register_hyp_event_ids; }) {
      auto t = el2->AddTrampoline([this](UnicornCpu&, TrapFrame& f) {
        const auto start = reinterpret_cast<uint64_t>(El2ToHost(f.x[0]));
        const auto end = f.x[1] > f.x[0] ? start + (f.x[1] - f.x[0]) : start;
        f.x[0] = static_cast<uint64_t>(static_cast<int64_t>(
            start == 0 ? -EINVAL : trace::RegisterHypEventIds(start, end)));
      });
      if (!t.ok()) return t.status();
      std::memcpy(ops_table.get() + offsetof(Ops, register_hyp_event_ids), &*t, 8);
    }
    // Ops whose arguments are EL2 memory ranges or EL2 addresses, done
    // here rather than by the C++ op on host pointers.
    auto override_op = [&](size_t offset, arm64::TrapHandler fn) -> absl::Status {
      auto t = el2->AddTrampoline(std::move(fn));
      if (!t.ok()) return t.status();
      std::memcpy(ops_table.get() + offset, &*t, 8);
      return absl::OkStatus();
    };
    absl::Status s = override_op(offsetof(Ops, memcpy), [this](UnicornCpu& c, TrapFrame& f) {
      OpMemcpy(c, f);
    });
    if (s.ok())
      s = override_op(offsetof(Ops, memset), [this](UnicornCpu& c, TrapFrame& f) { OpMemset(c, f); });
    // hyp_va(): the hyp linear map is PA + kUcHypLinearOffset. What is not
    // RAM or a device is simply not mapped there: EL2's access faults, it
    // does not reach the host memory the native arithmetic would point at.
    if constexpr (requires { host.hyp_va; }) {  // not in A17's table
      if (s.ok())
        s = override_op(offsetof(Ops, hyp_va),
                        [](UnicornCpu&, TrapFrame& f) { f.x[0] += kUcHypLinearOffset; });
    }
    if (!s.ok()) return s;
    ops_va = Window(ops_table.get(), 2 * kPage, /*for_call=*/false);
    if (ops_va == 0) return absl::ResourceExhaustedError("no EL2 window for the ops table");
    return absl::OkStatus();
  }
};

// ---- UnicornBackend ---------------------------------------------------------------

absl::Status UnicornBackend::Impl::StartDebug() {
  const HypervisorOptions& o = m.opts;
  if (o.gdb_port < 0 && o.coverage_lcov.empty() && o.coverage_drcov.empty()) return absl::OkStatus();
  // A debugger stop is no runaway code.
  if (o.gdb_port >= 0) m.opts.call_time_limit_ms = 0;
  UnicornDebug::Machine dm;
  dm.el1 = el1.get();
  dm.el2 = el2.get();
  dm.host_pointer = [this](int thread, uint64_t addr) -> void* {
    if (thread == 2) return El2ToHost(addr);
    if (void* p = el1->HostPointer(addr)) return p;
    uint8_t* page = mem::PhysToPtr(m, addr & kPageMask);  // EL1: VA == PA
    return page != nullptr ? page + (addr & ~kPageMask) : nullptr;
  };
  dm.booted = [this] { return m.state == MachineState::kDeprivileged; };
  dm.kill = [this](int thread) {
    if (m.state != MachineState::kPanicked) m.HypPanic("killed by the debugger", Cpu());
    StopForPanic(thread == 2 ? *el2 : *el1);
  };
  dm.log = [this](const std::string& line) { m.Log(line); };
  auto d = UnicornDebug::Create({o.gdb_port, o.coverage_lcov, o.coverage_drcov}, std::move(dm));
  if (!d.ok()) return d.status();
  debug = std::move(d).value();
  return absl::OkStatus();
}

// EL1 sections where the module was linked; .hyp.* at their hyp VA.
DebugModule UnicornBackend::Impl::DebugInfo(const KoModule& mod) const {
  DebugModule d;
  d.name = mod.name;
  for (const OfferedModule& o : m.offered)
    if (o.name == mod.name && !o.path.empty())
      d.path = std::filesystem::absolute(o.path).lexically_normal();  // gdb may run elsewhere
  for (const arm64::LinkedSection& s : mod.linked.sections) {
    const bool el2 = absl::StartsWith(s.name, ".hyp.");
    // (.hyp.reloc and the like are not mapped at EL2.)
    if (s.size == 0 || (el2 && (mod.hyp_va == 0 || s.addr < mod.linked.hyp.image.start ||
                                s.addr >= mod.linked.hyp.image.end)))
      continue;
    d.sections.push_back({s.name, el2 ? mod.linked.HypVa(s.addr, mod.hyp_va) : s.addr, s.size, el2});
  }
  return d;
}

UnicornBackend::UnicornBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UnicornBackend::~UnicornBackend() = default;

absl::StatusOr<std::unique_ptr<UnicornBackend>> UnicornBackend::Create(Hypervisor::Impl& m) {
  auto impl = std::make_unique<Impl>(m);
  arm64::CpuOptions o;
  o.el = El::kEl1;
  o.private_base = kUcEl1PrivateBase;
  auto el1 = UnicornCpu::Create(o);
  if (!el1.ok()) return el1.status();
  o.el = El::kEl2;
  o.private_base = kUcEl2PrivateBase;
  o.stack_size = HypStackSize(m.opts);  // the device's, with the guard page below
  auto el2 = UnicornCpu::Create(o);
  if (!el2.ok()) return el2.status();
  impl->el1 = std::move(el1).value();
  impl->el2 = std::move(el2).value();
  if (m.ram_size > 0x80000000ull - 0x40000000ull + (64ull << 30))
    return absl::InvalidArgumentError("RAM too large for the Unicorn backend");
  // EL1: RAM and devices at their physical address (the kernel's linear
  // map, VA == PA, MMU off), mapped on first touch as the host stage-2 allows.
  Impl* p = impl.get();
  m.memory.pages.SetHostChangeListener(&Impl::HostChanged, p);
  // EL1's PC is made exact for protection faults when the first page
  // gets restricted (RequirePreciseEl1Pc): most machines never restrict
  // one, and their EL1 code runs without a memory hook.
  impl->el1->SetFaultResolver([p](uint64_t a, FaultKind k) { return p->ResolveEl1(a, k); });
  impl->el2->SetFaultResolver([p](uint64_t a, FaultKind k) {
    const bool unmapped = k == FaultKind::kReadUnmapped || k == FaultKind::kWriteUnmapped ||
                          k == FaultKind::kFetchUnmapped;
    return unmapped && p->ResolveEl2(a);
  });
  // Module images live in the upper half of RAM, away from the pages tests
  // and pools use first (pools come from the top, so leave the top quarter).
  impl->kernel_next = kRamBase + (m.ram_size / 2 & kPageMask);
  impl->kernel_end = kRamBase + (m.ram_size / 4 * 3 & kPageMask);
  impl->kernel_base = impl->scratch = impl->kernel_next;
  impl->kernel_next += kPage;
  impl->KernelGrew();
  // The host kernel's hypercall instruction: `hvc #0; ret` (kvm_call_hyp).
  const uint32_t hvc_stub[2] = {0xd4000002u, 0xd65f03c0u};
  impl->hvc_stub = impl->scratch + kPage / 2;
  std::memcpy(impl->Ram(impl->hvc_stub), hvc_stub, sizeof hvc_stub);
  impl->InstallHostCalls();
  if (absl::Status s = impl->StartDebug(); !s.ok()) return s;
  m.trace->SetEl2Translator([p](uintptr_t a) { return p->El2ToHost(a); });
  absl::Status s;
  switch (m.gen) {
    case Generation::kA14: s = impl->BuildOps(m.ops_a14); break;
    case Generation::kA15: s = impl->BuildOps(m.ops_a15); break;
    case Generation::kA16: s = impl->BuildOps(m.ops_a16); break;
    case Generation::kA17: s = impl->BuildOps(m.ops_a17); break;
  }
  if (!s.ok()) return s;
  return std::unique_ptr<UnicornBackend>(new UnicornBackend(std::move(impl)));
}

absl::StatusOr<std::string> UnicornBackend::ProbeModule(std::span<const uint8_t> ko,
                                                        const std::string& path) {
  auto image = arm64::KoImage::Parse(ko);
  if (!image.ok())
    return ErrnoError(ENOEXEC, absl::StrCat(path, ": not a loadable AArch64 module: ",
                                            image.status().message()));
  // The image must fit the machine's module memory (a quarter of RAM, from
  // the middle up) before anything is allocated for it: a small .ko can
  // declare gigabytes of NOBITS sections.
  const uint64_t room = impl_->kernel_end - impl_->kernel_next;
  if (image->size() > room)
    return ErrnoError(ENOMEM, absl::StrFormat(
        "%s: the module's image needs %u KiB but the machine has %u KiB of module memory (a "
        "quarter of HypervisorOptions::ram_size)",
        path, image->size() >> 10, room >> 10));
  std::vector<uint8_t> scratch(image->size());
  arm64::GuestRegion region{kRamBase, {scratch.data(), scratch.size()}};
  auto linked = arm64::LinkModule(*image, region, [](absl::string_view n) -> absl::StatusOr<uint64_t> {
    return absl::NotFoundError(absl::StrCat("unknown symbol ", n));
  });
  if (!linked.ok())
    return ErrnoError(ENOEXEC, absl::StrCat(path, ": ", linked.status().message()));
  if (linked->name.empty())
    return ErrnoError(ENOEXEC, absl::StrCat(path, ": no module name in __this_module"));
  // .modinfo "pkvm_generation=N" (cmake/module.ko.mod.c.in).
  if (const arm64::ElfSection* mi = image->elf().FindSection(".modinfo")) {
    const std::span<const uint8_t> c = image->elf().contents(*mi);
    const std::string info(c.begin(), c.end());
    const std::string key = "pkvm_generation=";
    if (size_t at = info.find(key); at != std::string::npos) {
      const int g = std::atoi(info.c_str() + at + key.size());
      if (g != GenerationNumber(impl_->m.gen))
        return ErrnoError(ENOEXEC, absl::StrCat("module ", linked->name, " was built for A", g,
                                                " (PKVM_GENERATION=", g,
                                                ") but the machine runs A",
                                                GenerationNumber(impl_->m.gen)));
    }
  }
  return linked->name;
}

// The module's __pkvm_param descriptors (pkvm/abi/module_param.h),
// relocated at EL1 addresses (== physical: EL1 runs with the MMU off), applied
// from the command line; charp values are copied into kernel memory after
// the module image.
static absl::Status ApplyKoModuleParams(UnicornBackend::Impl& b, const KoModule& mod) {
  Hypervisor::Impl& m = b.m;
  const arm64::LinkedSection* sec = nullptr;
  for (const arm64::LinkedSection& s : mod.linked.sections)
    if (s.name == PKVM_PARAM_SECTION) sec = &s;
  auto in_ram = [&](uint64_t addr, uint64_t len) {
    return addr >= kRamBase && len <= m.ram_size && addr - kRamBase <= m.ram_size - len;
  };
  auto in_image = [&](uint64_t addr, uint64_t len) {
    return addr >= mod.phys && len <= mod.size && addr - mod.phys <= mod.size - len;
  };
  std::vector<internal::ModuleParam> params;
  if (sec != nullptr) {
    if (sec->size % sizeof(pkvm_module_param) != 0 || !in_image(sec->addr, sec->size))
      return ErrnoError(ENOEXEC, absl::StrCat(mod.name, ": malformed " PKVM_PARAM_SECTION
                                              " section (", sec->size, " bytes)"));
    for (uint64_t off = 0; off < sec->size; off += sizeof(pkvm_module_param)) {
      uint64_t name = 0, arg = 0;
      uint32_t type = 0;
      const uint8_t* e = m.ram + (sec->addr + off - kRamBase);
      std::memcpy(&name, e, 8);
      std::memcpy(&arg, e + 8, 8);
      std::memcpy(&type, e + 16, 4);
      std::string n;
      for (uint64_t a = name; in_image(a, 1) && m.ram[a - kRamBase] != 0 && n.size() < 256; ++a)
        n += static_cast<char>(m.ram[a - kRamBase]);
      if (n.empty() || !in_image(arg, 1))
        return ErrnoError(ENOEXEC, absl::StrCat(mod.name, ": module_param descriptor ",
                                                off / sizeof(pkvm_module_param),
                                                " points outside the module"));
      params.push_back(internal::ModuleParam{n, arg, type});
    }
  }
  internal::ModuleParamSink sink;
  sink.write = [&](uint64_t arg, const void* bytes, size_t len) {
    if (in_image(arg, len)) std::memcpy(m.ram + (arg - kRamBase), bytes, len);
  };
  sink.place_string = [&](const std::string& value) -> uint64_t {
    const uint64_t len = (value.size() + 1 + 15) & ~uint64_t{15};
    if (len > b.kernel_end - b.kernel_next || !in_ram(b.kernel_next, len)) return 0;
    const uint64_t at = b.kernel_next;
    std::memcpy(m.ram + (at - kRamBase), value.c_str(), value.size() + 1);
    b.kernel_next += len;
    b.KernelGrew();
    return at;
  };
  return internal::ApplyModuleParams(m, mod.name, params, sink);
}

absl::StatusOr<int> UnicornBackend::LoadModule(const OfferedModule& offered) {
  Impl& b = *impl_;
  Hypervisor::Impl& m = b.m;
  const std::string& name = offered.name;
  const std::span<const uint8_t> ko = offered.ko;
  if (ko.empty()) return ErrnoError(ENOEXEC, absl::StrCat(offered.path, ": not an AArch64 module"));
  ScopedContext scope(&m, 0, ExceptionLevel::kEl1);
  auto image = arm64::KoImage::Parse(ko);
  if (!image.ok()) return ErrnoError(ENOEXEC, std::string(image.status().message()));
  const uint64_t size = image->size();
  if (size > b.kernel_end - b.kernel_next)
    return ErrnoError(ENOMEM, absl::StrCat("module ", name, ": no kernel memory left for its ",
                                           size, "-byte image"));
  auto mod = std::make_unique<KoModule>();
  mod->name = name;
  mod->phys = b.kernel_next;
  mod->size = size;
  b.kernel_next += size;
  b.KernelGrew();
  arm64::GuestRegion region{mod->phys, {m.ram + (mod->phys - kRamBase), size}};
  auto linked = arm64::LinkModule(*image, region, [](absl::string_view n) -> absl::StatusOr<uint64_t> {
    return absl::NotFoundError(absl::StrCat("unknown symbol ", n));
  });
  if (!linked.ok()) return ErrnoError(ENOEXEC, absl::StrCat(name, ": ", linked.status().message()));
  mod->linked = std::move(linked).value();
  // The names its EL1 code exports, NUL-separated.
  if (const arm64::ElfSection* ex = image->elf().FindSection(".pkvm_exports")) {
    const std::span<const uint8_t> c = image->elf().contents(*ex);
    for (absl::string_view n : absl::StrSplit(
             absl::string_view(reinterpret_cast<const char*>(c.data()), c.size()), '\0',
             absl::SkipEmpty()))
      mod->exports.emplace_back(n);
  }
  if (absl::Status s = arm64::InitModuleHyp(mod->linked, region, GenerationNumber(m.gen)); !s.ok())
    return ErrnoError(ENOEXEC, absl::StrCat(name, ": ", s.message()));
  // module_param() values from the command line, before module_init.
  if (absl::Status s = ApplyKoModuleParams(b, *mod); !s.ok()) return s;
  b.el1->InvalidateCode(mod->phys, size);
  const uint64_t init = mod->linked.init;
  b.modules.push_back(std::move(mod));
  KoModule* loading = b.modules.back().get();
  if (b.debug != nullptr && !loading->linked.has_el2) b.debug->ModuleLoaded(b.DebugInfo(*loading));
  if (init == 0) return 0;
  b.loading = loading;
  absl::StatusOr<uint64_t> r = b.Guarded([&] { return b.el1->Call(init, {}); });
  b.loading = nullptr;
  if (!r.ok() || b.timed_out.load()) {
    if (m.state != MachineState::kPanicked)
      b.KernelPanic(b.FaultReport(b.el1->last_fault(), "EL1"));
    return ErrnoError(EIO, absl::StrCat("module ", name, " crashed in module_init: ", m.PanicHeadline()));
  }
  const int rc = static_cast<int32_t>(*r);
  if (rc != 0 && loading->events_added && loading->hyp_va != 0 &&
      std::none_of(m.el2_modules.begin(), m.el2_modules.end(),
                   [&](const LoadedModule& l) { return l.hyp_va == loading->hyp_va; })) {
    // init failed after the events were added and before the EL2 part was
    // kept: forget them (the native loader does the same).
    m.trace->RemoveLastModule();
    loading->events_added = false;
  }
  return rc;
}

user_pt_regs UnicornBackend::HostHvc(const user_pt_regs& in, int cpu) {
  Impl& b = *impl_;
  ScopedContext scope(&b.m, cpu, ExceptionLevel::kEl1);
  // The host's `hvc #0` (kvm_call_hyp) runs at EL1, as on a device: EL1's
  // registers hold the call while EL2 handles it (a debugger sees them), and
  // the trap takes the path an EL1 module's `hvc` takes. The whole register
  // file goes in and comes back in one batch each way.
  uint64_t x[18];
  std::copy(in.regs, in.regs + 18, x);
  absl::Status r = b.Guarded([&] { return b.el1->CallWithRegisters(b.hvc_stub, x); });
  if (!r.ok() || b.timed_out.load() || b.m.state == MachineState::kPanicked) {
    if (b.m.state != MachineState::kPanicked)
      b.m.HypPanic(b.FaultReport(b.el1->last_fault(), "EL1"), cpu);
    b.DebugPanicked(1);
    return in;  // the machine panicked: the caller reports it
  }
  user_pt_regs out = in;
  std::copy(x, x + 18, out.regs);
  return out;
}

bool UnicornBackend::CallEl2(uint64_t addr, int cpu, std::span<const uint64_t> args, uint64_t* ret) {
  return impl_->CallEl2(addr, cpu, args, ret);
}
uint64_t UnicornBackend::HostToEl2(const void* p, uint64_t size) {
  return impl_->HostToEl2(p, size);
}
const void* UnicornBackend::El2ToHost(uint64_t va) { return impl_->El2ToHost(va); }

uint64_t UnicornBackend::PhysToEl2(uint64_t phys, const void*) { return phys + kUcHypLinearOffset; }

uint64_t UnicornBackend::ModulePageHost(uint64_t pfn) {
  Hypervisor::Impl& m = impl_->m;
  void* host = mem::PhysToPtr(m, pfn << 12);
  if (host == nullptr || m.memory.pages.KindOf(pfn) != PageKind::kRam) return 0;
  return reinterpret_cast<uint64_t>(host);
}

void UnicornBackend::HypPageUnmapped(uint64_t va) {
  Impl& b = *impl_;
  auto it = b.lazy.find(va);
  if (it == b.lazy.end()) return;
  b.el2->Unmap(va, kPage).IgnoreError();
  b.lazy.erase(it);
}

void UnicornBackend::Restored(std::span<const std::pair<uint64_t, uint64_t>> changed_phys) {
  Impl& b = *impl_;
  b.RevalidateEl2Mappings(/*linear_only=*/false);
  b.RevalidateEl1Maps();  // the host stage-2 is what the snapshot says
  for (const auto& [base, map] : b.el1_maps)
    if (map.perms != static_cast<uint32_t>(Impl::kEl1Rwx)) b.RequirePreciseEl1Pc(/*from_fault_path=*/false);
  b.el1_retries = 0;
  b.SyncDeviceModels();
  for (const auto& [first, end] : changed_phys) {
    b.el1->InvalidateCode(first, end - first);
    b.el2->InvalidateCode(first, end - first);
  }
  b.timed_out = false;
}

// ---- offering modules ----------------------------------------------------------

namespace {

absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return ErrnoError(ENOENT, absl::StrCat("cannot load module ", path, ": no such file or directory"));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return ErrnoError(EIO, absl::StrCat("cannot read module ", path));
  return bytes;
}

}  // namespace

absl::StatusOr<std::string> UnicornBackend::OfferKoFile(const std::string& path) {
  Hypervisor::Impl& m = impl_->m;
  if (m.state != MachineState::kCreated) return internal::CheckOfferable(m, "");
  auto bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  auto name = ProbeModule(*bytes, path);
  if (!name.ok()) return name.status();
  const std::string n = internal::NormalizeModuleName(*name);
  if (absl::Status s = internal::CheckOfferable(m, n); !s.ok()) return s;
  OfferedModule o;
  o.name = n;
  o.path = path;
  o.ko = std::move(bytes).value();
  o.depends = internal::KoDepends(o.ko);
  m.offered.push_back(std::move(o));
  return n;
}

absl::StatusOr<std::string> UnicornBackend::OfferModuleFile(const std::string& path, bool ko) {
  if (!ko)
    return ErrnoError(ENOEXEC, absl::StrCat(path, " is not an AArch64 module (.ko): the unicorn "
                                                  "backend runs the NAME.ko pkvm_add_module() "
                                                  "builds next to NAME.so"));
  return OfferKoFile(path);
}

absl::Status UnicornBackend::OfferNativeModule(const pkvm_native_module& d, const std::string&,
                                               std::shared_ptr<void>, const std::string&) {
  // The Unicorn backend runs the AArch64 build of the same module.
  if (d.ko_path == nullptr)
    return ErrnoError(ENOEXEC, absl::StrCat("module ", d.name, " has no AArch64 build (", d.name,
                                            ".ko): install gcc-aarch64-linux-gnu and rebuild it "
                                            "for the unicorn backend"));
  auto n = OfferKoFile(d.ko_path);
  if (!n.ok()) return n.status();
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::unique_ptr<Backend>> CreateUnicornBackend(Hypervisor::Impl& m) {
  auto b = UnicornBackend::Create(m);
  if (!b.ok()) return b.status();
  return std::unique_ptr<Backend>(*std::move(b));
}

[[maybe_unused]] const bool kRegistered =
    RegisterBackend(BackendKind::kUnicorn, &CreateUnicornBackend);

}  // namespace

}  // namespace pkvm

// File: lib/trace/hyp_trace.cc
#include "trace/hyp_trace.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "status_internal.h"
#include "trace/host_clock.h"
#include "trace/ring_reader.h"
#include "trace/text_format.h"
#include "trace/trace_desc.h"

namespace pkvm::trace {

using ::pkvm::internal::ErrnoError;

namespace {

constexpr uint16_t kA14EventIdBase = 1000;  // docs/tracing.md: A14 ids
constexpr int kMaxHypIdRanges = 128;        // MAX_EVENT_ID_MOD (A15)
constexpr int kMaxModulesWithEvents = 16;   // MAX_MOD_EVENTS (A16)
constexpr size_t kMaxGlob = 128;

// ---- core event records (packed, 2-byte id first) --------------------------
#pragma pack(push, 1)
struct HdrRec {
  uint16_t id;
};
struct FuncRec {
  uint16_t id;
  uint64_t ip, parent;
};
struct FuncRetRec {
  uint16_t id;
  uint64_t ip;
};
struct HostHcallRec {
  uint16_t id;
  uint32_t hcall;
  uint8_t invalid;
};
struct HostSmcRec {
  uint16_t id;
  uint64_t smc;
  uint8_t forwarded;
};
struct HostMemAbortRec {
  uint16_t id;
  uint64_t esr, addr;
};
struct HypPrintkRec {
  uint16_t id;
  uint8_t fmt_id;
  uint64_t a, b, c, d;
};
struct PsciMemProtectRec {
  uint16_t id;
  uint64_t count, was;
};
struct VcpuIllegalTrapRec {
  uint16_t id;
  uint64_t esr;
};
struct IommuIdmapRec {
  uint16_t id;
  uint64_t from, to;
  int32_t prot;
};
struct IommuIdmapCompleteRec {
  uint16_t id;
  uint8_t map;
};
struct PowerLockRec {
  uint16_t id;
  int32_t vm;
  uint64_t device;
  uint8_t lock;
  int32_t ret;
};
#pragma pack(pop)

template <typename Rec>
Rec Load(const uint8_t* p) {
  Rec r;
  std::memcpy(&r, p, sizeof r);
  return r;
}

// "HE_PRINTK("id=%u", __entry->id)" -> "\"id=%u\", REC->id"
std::string PrintFmtFromHePrintk(const char* text) {
  std::string s = text != nullptr ? text : "";
  for (const char* wrapper : {"HE_PRINTK_UNKNOWN_FMT(", "HE_PRINTK("}) {
    if (s.rfind(wrapper, 0) == 0 && !s.empty() && s.back() == ')') {
      s = s.substr(std::strlen(wrapper), s.size() - std::strlen(wrapper) - 1);
      break;
    }
  }
  return absl::StrReplaceAll(s, {{"__entry->", "REC->"}});
}

// Formats a record from its print fmt (`"id=%u", REC->id`) when every
// argument is a plain field: the kernel's print fmt evaluation, for events
// whose printer is not host code (AArch64 modules).
std::string FormatRecord(const std::string& print_fmt, const std::vector<EventField>& fields,
                         const uint8_t* rec) {
  std::string fmt;
  size_t i = 0;
  if (print_fmt.empty() || print_fmt[0] != '"') return print_fmt;
  for (i = 1; i < print_fmt.size() && print_fmt[i] != '"'; ++i) {
    char c = print_fmt[i];
    if (c == '\\' && i + 1 < print_fmt.size()) {
      const char e = print_fmt[++i];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
    }
    fmt.push_back(c);
  }
  std::vector<uint64_t> args;
  std::vector<std::string> bad;
  for (absl::string_view a : absl::StrSplit(absl::string_view(print_fmt).substr(std::min(i + 1, print_fmt.size())), ',', absl::SkipWhitespace())) {
    a = absl::StripAsciiWhitespace(a);
    const EventField* f = nullptr;
    if (absl::ConsumePrefix(&a, "REC->"))
      for (const EventField& x : fields)
        if (x.name == a) f = &x;
    if (f == nullptr || f->size == 0 || f->size > 8) {
      args.push_back(0);
      bad.emplace_back(a);
      continue;
    }
    uint64_t v = 0;
    std::memcpy(&v, rec + f->offset, f->size);
    if (f->is_signed && f->size < 8 && (v >> (8 * f->size - 1)) != 0) v |= ~uint64_t{0} << (8 * f->size);
    args.push_back(v);
  }
  std::string out;
  size_t next = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') {
      out.push_back(fmt[k]);
      continue;
    }
    if (k + 1 < fmt.size() && fmt[k + 1] == '%') {
      out.push_back('%');
      ++k;
      continue;
    }
    size_t e = k + 1;
    while (e < fmt.size() && std::strchr("diouxXcspn", fmt[e]) == nullptr) ++e;
    if (e < fmt.size() && fmt[e] == 'p')  // %pS, %ps...: the letters after p belong to it
      while (e + 1 < fmt.size() && std::isalpha(static_cast<unsigned char>(fmt[e + 1]))) ++e;
    const std::string spec = fmt.substr(k, e - k + 1);
    out += next < args.size() ? FormatHypPrintk(spec, {args[next], 0, 0, 0}) : spec;
    ++next;
    k = e;
  }
  if (!bad.empty()) absl::StrAppend(&out, " [unsupported print fmt arguments: ", absl::StrJoin(bad, ", "), "]");
  return out;
}

}  // namespace

// One CPU's buffer: meta page + data pages allocated by the host and handed
// to the hypervisor's ring, and the host's reader of it.
struct HypTrace::CpuBuffer {
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> mem;  // meta page, then data pages
  std::vector<pkvm_buffer_data_page*> pages;
  std::unique_ptr<RingPage[]> descs;
  RingBuffer ring;
  std::unique_ptr<RingReader> reader;
  uint64_t lost_pending = 0;  // reported by swaps, not printed yet

  // The host's allocation: the meta page, then the data pages.
  absl::Status Alloc(int cpu, uint32_t nr_pages, CpuBufferVa* va) {
    const size_t bytes = static_cast<size_t>(nr_pages + 1) * kPageSize;
    mem.reset(static_cast<uint8_t*>(std::aligned_alloc(kPageSize, bytes)));
    if (mem == nullptr) return ErrnoError(ENOMEM, "cannot allocate the trace buffer");
    std::memset(mem.get(), 0, bytes);
    va->cpu = cpu;
    va->meta = reinterpret_cast<uintptr_t>(mem.get());
    for (uint32_t i = 0; i < nr_pages; ++i)
      va->pages.push_back(reinterpret_cast<uintptr_t>(mem.get() + (i + 1) * kPageSize));
    return absl::OkStatus();
  }

  // The hypervisor's side: the ring over the pages the descriptor named.
  absl::Status Start(const CpuBufferVa& va, const TraceClock* clock, uint32_t data_size) {
    for (uintptr_t p : va.pages) pages.push_back(reinterpret_cast<pkvm_buffer_data_page*>(p));
    const auto nr_pages = static_cast<uint32_t>(pages.size());
    descs = std::make_unique<RingPage[]>(nr_pages);
    const int rc = ring.Init(reinterpret_cast<trace_buffer_meta*>(va.meta), pages.data(), nr_pages,
                             descs.get(), clock, data_size);
    if (rc != 0) return ErrnoError(-rc, "the hypervisor refused the trace buffer");
    reader = std::make_unique<RingReader>(&ring);
    return absl::OkStatus();
  }
};

HypTrace::HypTrace(Generation gen, int cpus, TraceClockKind clock, uint64_t max_buffer_bytes,
                   TracefsFlavor flavor)
    : gen_(gen),
      flavor_(flavor),
      cpus_(cpus),
      clock_kind_(clock),
      max_buffer_bytes_(max_buffer_bytes),
      shadow_(static_cast<size_t>(cpus)) {
  if (gen_ == Generation::kA14) next_id_ = kA14EventIdBase;
  if (clock_kind_ == TraceClockKind::kManual) {
    clock_.Init([](void* ctx) { return static_cast<HypTrace*>(ctx)->manual_ns_.load(); }, this, 1, 0,
                0, 0);
  } else {
    const ClockCalibration c = CalibrateHostClock();
    clock_.Init(&HostCounter, nullptr, c.mult, c.shift, c.epoch_ns, c.epoch_cyc);
  }
  DefineCoreEvents();
}

HypTrace::~HypTrace() = default;

uint32_t HypTrace::data_size() const {
  // A14 pages end with the rb_ext_page_footer.
  return gen_ == Generation::kA14 ? kDataSizeA14 : kDataSize;
}

// ---- events ------------------------------------------------------------------

void HypTrace::DefineCoreEvents() {
  struct Def {
    CoreEvent e;
    const char* name;
    std::vector<EventField> fields;
    const char* print_fmt;
    uint32_t size;
    std::function<std::string(const uint8_t*, uint32_t)> print;
  };
  auto f = [](const char* type, const char* name, uint16_t off, uint16_t size, bool sgn = false) {
    return EventField{type, name, off, size, sgn};
  };
  std::vector<Def> defs;
  if (GenerationNumber(gen_) >= 16) {
    defs.push_back({CoreEvent::kFunc, "func",
                    {f("unsigned long", "ip", 2, 8), f("unsigned long", "parent", 10, 8)},
                    "\"    %ps <- %ps\", REC->ip, REC->parent", sizeof(FuncRec),
                    [this](const uint8_t* p, uint32_t) {
                      const auto r = Load<FuncRec>(p);
                      return absl::StrCat("    ", SymbolName(r.ip), " <- ", SymbolName(r.parent));
                    }});
    defs.push_back({CoreEvent::kFuncRet, "func_ret", {f("unsigned long", "ip", 2, 8)},
                    "\"%ps\", REC->ip", sizeof(FuncRetRec), [this](const uint8_t* p, uint32_t) {
                      return SymbolName(Load<FuncRetRec>(p).ip);
                    }});
  }
  auto blank = [](const uint8_t*, uint32_t) { return std::string(" "); };
  defs.push_back({CoreEvent::kHypEnter, "hyp_enter", {}, "\" \"", sizeof(HdrRec), blank});
  defs.push_back({CoreEvent::kHypExit, "hyp_exit", {}, "\" \"", sizeof(HdrRec), blank});
  defs.push_back({CoreEvent::kHostHcall, "host_hcall",
                  {f("u32", "id", 2, 4), f("u8", "invalid", 6, 1)},
                  "\"id=%u invalid=%u\", REC->id, REC->invalid", sizeof(HostHcallRec),
                  [](const uint8_t* p, uint32_t) {
                    const auto r = Load<HostHcallRec>(p);
                    return absl::StrFormat("id=%u invalid=%u", +r.hcall, +r.invalid);
                  }});
  defs.push_back({CoreEvent::kHostSmc, "host_smc",
                  {f("u64", "id", 2, 8), f("u8", "forwarded", 10, 1)},
                  "\"id=%llu forwarded=%u\", REC->id, REC->forwarded", sizeof(HostSmcRec),
                  [](const uint8_t* p, uint32_t) {
                    const auto r = Load<HostSmcRec>(p);
                    return absl::StrFormat("id=%u forwarded=%u", +r.smc, +r.forwarded);
                  }});
  defs.push_back({CoreEvent::kHostMemAbort, "host_mem_abort",
                  {f("u64", "esr", 2, 8), f("u64", "addr", 10, 8)},
                  "\"esr=0x%llx addr=0x%llx\", REC->esr, REC->addr", sizeof(HostMemAbortRec),
                  [](const uint8_t* p, uint32_t) {
                    const auto r = Load<HostMemAbortRec>(p);
                    return absl::StrFormat("esr=0x%x addr=0x%x", +r.esr, +r.addr);
                  }});
  defs.push_back({CoreEvent::kHypPrintk, "__hyp_printk",
                  {f("u8", "fmt_id", 2, 1), f("u64", "a", 3, 8), f("u64", "b", 11, 8),
                   f("u64", "c", 19, 8), f("u64", "d", 27, 8)},
                  "\"Unknown\"", sizeof(HypPrintkRec), [this](const uint8_t* p, uint32_t) {
                    const auto r = Load<HypPrintkRec>(p);
                    if (r.fmt_id >= printk_fmts_.size())
                      return absl::StrFormat("Unknown fmt id %u", +r.fmt_id);
                    return FormatHypPrintk(printk_fmts_[r.fmt_id], {r.a, r.b, r.c, r.d});
                  }});
  defs.push_back({CoreEvent::kPsciMemProtect, "psci_mem_protect",
                  {f("u64", "count", 2, 8), f("u64", "was", 10, 8)},
                  "\"count=%llu was=%llu\", REC->count, REC->was", sizeof(PsciMemProtectRec),
                  [](const uint8_t* p, uint32_t) {
                    const auto r = Load<PsciMemProtectRec>(p);
                    return absl::StrFormat("count=%u was=%u", +r.count, +r.was);
                  }});
  defs.push_back({CoreEvent::kVcpuIllegalTrap, "vcpu_illegal_trap", {f("u64", "esr", 2, 8)},
                  "\"esr_el2=%llx\", REC->esr", sizeof(VcpuIllegalTrapRec),
                  [](const uint8_t* p, uint32_t) {
                    return absl::StrFormat("esr_el2=%x", +Load<VcpuIllegalTrapRec>(p).esr);
                  }});
  defs.push_back({CoreEvent::kIommuIdmap, "iommu_idmap",
                  {f("u64", "from", 2, 8), f("u64", "to", 10, 8), f("int", "prot", 18, 4, true)},
                  "\"from=0x%llx to=0x%llx prot=0x%x\", REC->from, REC->to, REC->prot",
                  sizeof(IommuIdmapRec), [](const uint8_t* p, uint32_t) {
                    const auto r = Load<IommuIdmapRec>(p);
                    return absl::StrFormat("from=0x%x to=0x%x prot=0x%x", +r.from, +r.to,
                                           static_cast<uint32_t>(r.prot));
                  }});
  defs.push_back({CoreEvent::kIommuIdmapComplete, "iommu_idmap_complete",
                  {f("bool", "map", 2, 1)}, "\"map=%d\", REC->map", sizeof(IommuIdmapCompleteRec),
                  [](const uint8_t* p, uint32_t) {
                    return absl::StrFormat("map=%d", +Load<IommuIdmapCompleteRec>(p).map);
                  }});
  defs.push_back({CoreEvent::kPowerLock, "power_lock",
                  {f("pid_t", "vm", 2, 4, true), f("u64", "device", 6, 8), f("bool", "lock", 14, 1),
                   f("int", "ret", 15, 4, true)},
                  "\"vm=%d device=0x%llx lock=%d ret=%d\", REC->vm, REC->device, REC->lock, REC->ret",
                  sizeof(PowerLockRec), [](const uint8_t* p, uint32_t) {
                    const auto r = Load<PowerLockRec>(p);
                    return absl::StrFormat("vm=%d device=0x%x lock=%d ret=%d", +r.vm, +r.device,
                                           +r.lock, +r.ret);
                  }});
  for (Def& d : defs) {
    EventType t;
    t.name = d.name;
    t.id = next_id_++;
    t.fields = std::move(d.fields);
    t.record_size = d.size;
    t.print_fmt = d.print_fmt;
    t.print = std::move(d.print);
    t.enabled = &core_enabled_[static_cast<int>(d.e)];
    core_id_[static_cast<int>(d.e)] = t.id;
    hyp_event_flags_[t.id] = t.enabled;
    by_id_[t.id] = events_.size();
    by_name_[t.name] = events_.size();
    events_.push_back(std::move(t));
  }
}

const EventType* HypTrace::FindEvent(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &events_[it->second];
}

bool HypTrace::EventEnabled(const EventType& e) const {
  return e.enabled != nullptr && __atomic_load_n(e.enabled, __ATOMIC_RELAXED) != 0;
}

absl::Status HypTrace::EnableEvent(const std::string& name, bool on) {
  const EventType* e = FindEvent(name);
  if (e == nullptr) return ErrnoError(ENOENT, absl::StrCat("no hypervisor event named ", name));
  // __pkvm_enable_event(id, on) at the hyp.
  auto it = hyp_event_flags_.find(e->id);
  if (it == hyp_event_flags_.end())
    return ErrnoError(EINVAL, absl::StrCat("the hypervisor does not know event ", name, " (id ",
                                           e->id, "): its module did not call "
                                           "register_hyp_event_ids()"));
  __atomic_store_n(it->second, on ? 1 : 0, __ATOMIC_RELAXED);
  UpdateFtraceActive();
  return absl::OkStatus();
}

std::vector<std::string> HypTrace::EnableEventsByName(const std::vector<std::string>& names) {
  std::vector<std::string> missing;
  for (const std::string& n : names) {
    if (FindEvent(n) == nullptr || !EnableEvent(n, true).ok()) missing.push_back(n);
  }
  return missing;
}

absl::Status HypTrace::AddModule(const std::string& name, const pkvm_native_module& d,
                                 uintptr_t hyp_text_start,
                                 const std::vector<std::vector<EventField>>* fields_of) {
  ModuleInfo mi;
  mi.name = name;
  // Host: walk the module's event descriptors and assign ids.
  std::vector<EventType> added;
  const pkvm_hyp_event_desc* begin = d.hyp_events;
  const pkvm_hyp_event_desc* end = d.hyp_events_end;
  const size_t nr_events = begin != nullptr && end > begin ? static_cast<size_t>(end - begin) : 0;
  if (nr_events > 0 && gen_ == Generation::kA14)
    return ErrnoError(EINVAL, absl::StrCat(name, ": hypervisor events need A15 or later"));
  if (static_cast<size_t>(next_id_) + nr_events > 0xffff)
    return ErrnoError(ENOSPC, absl::StrCat(name, ": no event ids left"));
  for (size_t i = 0; i < nr_events; ++i) {
    const pkvm_hyp_event_desc& desc = begin[i];
    if (desc.magic != PKVM_HYP_EVENT_DESC_MAGIC || desc.name == nullptr || desc.id == nullptr)
      return ErrnoError(ENOEXEC, absl::StrCat(name, ": corrupt event descriptor ", i));
    if (std::strlen(desc.name) >= HYP_EVENT_NAME_MAX)
      return ErrnoError(EINVAL, absl::StrCat(name, ": event name ", desc.name,
                                             " is longer than 31 characters"));
    if (by_name_.contains(desc.name))
      return ErrnoError(EEXIST, absl::StrCat(name, ": event ", desc.name, " already exists"));
    EventType t;
    t.name = desc.name;
    t.id = static_cast<uint16_t>(next_id_ + i);
    t.record_size = desc.record_size;
    t.print_fmt = PrintFmtFromHePrintk(desc.printk);
    t.module_print = desc.print;
    t.enabled = desc.enabled;
    t.module = static_cast<int>(modules_.size());
    if (fields_of != nullptr) {
      if (i < fields_of->size()) t.fields = (*fields_of)[i];
      if (t.module_print == nullptr) {
        t.print = [fmt = t.print_fmt, fields = t.fields](const uint8_t* rec, uint32_t) {
          return FormatRecord(fmt, fields, rec);
        };
      }
    } else {
      unsigned int nr = 0;
      const pkvm_hyp_event_field* fields = desc.fields != nullptr ? desc.fields(&nr) : nullptr;
      for (unsigned int k = 0; k < nr; ++k)
        t.fields.push_back(EventField{fields[k].type, fields[k].name, fields[k].offset,
                                      fields[k].size, fields[k].is_signed != 0});
    }
    added.push_back(std::move(t));
  }
  // trace_hyp_printk formats (A16): appended after core's and earlier modules'.
  std::vector<std::string> fmts;
  for (const hyp_printk_fmt* f = d.printk_fmts; f != nullptr && f < d.printk_fmts_end; ++f)
    fmts.emplace_back(f->fmt, strnlen(f->fmt, sizeof f->fmt));
  if (printk_fmts_.size() + fmts.size() > HYP_PRINTK_MAX_FMTS)
    return ErrnoError(E2BIG, absl::StrCat(name, ": ", fmts.size(),
                                          " trace_hyp_printk formats would exceed the 255 "
                                          "format ids (", printk_fmts_.size(), " in use)"));
  if (GenerationNumber(gen_) >= 16 && !added.empty() &&
      nr_modules_with_events_ >= kMaxModulesWithEvents)
    return ErrnoError(ENOMEM, absl::StrCat(name, ": at most ", kMaxModulesWithEvents,
                                           " modules may register hypervisor events"));

  // Commit: ids written into the module's .hyp.event_ids slots.
  mi.first_event = events_.size();
  mi.nr_events = added.size();
  for (size_t i = 0; i < added.size(); ++i) {
    begin[i].id->id = added[i].id;
    by_id_[added[i].id] = events_.size();
    by_name_[added[i].name] = events_.size();
    if (GenerationNumber(gen_) >= 16) hyp_event_flags_[added[i].id] = added[i].enabled;
    events_.push_back(std::move(added[i]));
  }
  next_id_ = static_cast<uint16_t>(next_id_ + mi.nr_events);
  if (GenerationNumber(gen_) >= 16 && mi.nr_events > 0) {
    ++nr_modules_with_events_;
    mi.hyp_events_registered = true;
  }
  mi.first_fmt = printk_fmts_.size();
  mi.nr_fmts = fmts.size();
  if (d.printk_fmt_offset != nullptr)
    *d.printk_fmt_offset = static_cast<uint8_t>(printk_fmts_.size());
  for (std::string& s : fmts) printk_fmts_.push_back(std::move(s));
  // Functions (symbolisation everywhere; func/func_ret on A16).
  for (const pkvm_ftrace_sym* s = d.ftrace_syms; s != nullptr && s->name != nullptr; ++s) {
    functions_.push_back(Function{hyp_text_start + s->offset, s->name, false,
                                  static_cast<int>(modules_.size())});
  }
  std::sort(functions_.begin(), functions_.end(),
            [](const Function& a, const Function& b) { return a.addr < b.addr; });
  modules_.push_back(std::move(mi));
  return absl::OkStatus();
}

void HypTrace::RemoveLastModule() {
  if (modules_.empty()) return;
  const ModuleInfo mi = modules_.back();
  const int index = static_cast<int>(modules_.size()) - 1;
  for (size_t i = mi.first_event; i < mi.first_event + mi.nr_events; ++i) {
    by_id_.erase(events_[i].id);
    by_name_.erase(events_[i].name);
    hyp_event_flags_.erase(events_[i].id);
  }
  events_.resize(mi.first_event);
  next_id_ = static_cast<uint16_t>(next_id_ - mi.nr_events);
  if (mi.hyp_events_registered) --nr_modules_with_events_;
  printk_fmts_.resize(mi.first_fmt);
  std::erase_if(functions_, [index](const Function& f) { return f.module == index; });
  modules_.pop_back();
  UpdateFtraceActive();
}

int HypTrace::RegisterHypEventIds(uintptr_t start, uintptr_t end) {
  if (end < start || (end - start) % sizeof(hyp_event_id) != 0) return -EINVAL;
  if (nr_hyp_id_ranges_ >= kMaxHypIdRanges) return -ENOMEM;
  ++nr_hyp_id_ranges_;
  for (uintptr_t p = start; p < end; p += sizeof(hyp_event_id)) {
    const auto* slot = reinterpret_cast<const hyp_event_id*>(p);
    // The flag pointer is an EL2 address; where EL2 code is not host code
    // (the Unicorn backend) it is translated to where the flag is here.
    int* flag = el2_to_host_ ? static_cast<int*>(el2_to_host_(reinterpret_cast<uintptr_t>(slot->data)))
                             : static_cast<int*>(slot->data);
    if (flag != nullptr) hyp_event_flags_[slot->id] = flag;
  }
  return 0;
}

// ---- writer side ------------------------------------------------------------------

void* HypTrace::Reserve(int cpu, unsigned long length) {
  if (cpu < 0 || static_cast<size_t>(cpu) >= buffers_.size()) return nullptr;
  if (length > 0xffffffffUL) return nullptr;
  return buffers_[static_cast<size_t>(cpu)]->ring.Reserve(static_cast<uint32_t>(length));
}

void HypTrace::Commit(int cpu) {
  if (cpu < 0 || static_cast<size_t>(cpu) >= buffers_.size()) return;
  // A module calling tracing_commit_entry() without a successful reserve
  // must not publish a half-written record.
  CpuBuffer& b = *buffers_[static_cast<size_t>(cpu)];
  if (b.ring.status() == WriterStatus::kWriting) b.ring.Commit();
}

template <typename Rec>
void HypTrace::EmitCore(int cpu, CoreEvent e, Rec rec) {
  if (!CoreEnabled(e)) return;
  void* p = Reserve(cpu, sizeof(Rec));
  if (p == nullptr) return;
  rec.id = core_id_[static_cast<int>(e)];
  std::memcpy(p, &rec, sizeof rec);
  Commit(cpu);
}

void HypTrace::EmitHypEnter(int cpu) { EmitCore(cpu, CoreEvent::kHypEnter, HdrRec{}); }
void HypTrace::EmitHypExit(int cpu) { EmitCore(cpu, CoreEvent::kHypExit, HdrRec{}); }
void HypTrace::EmitHostHcall(int cpu, uint32_t id, bool invalid) {
  EmitCore(cpu, CoreEvent::kHostHcall, HostHcallRec{0, id, static_cast<uint8_t>(invalid)});
}
void HypTrace::EmitHostSmc(int cpu, uint64_t id, bool forwarded) {
  EmitCore(cpu, CoreEvent::kHostSmc, HostSmcRec{0, id, static_cast<uint8_t>(forwarded)});
}
void HypTrace::EmitHostMemAbort(int cpu, uint64_t esr, uint64_t addr) {
  EmitCore(cpu, CoreEvent::kHostMemAbort, HostMemAbortRec{0, esr, addr});
}
void HypTrace::EmitPsciMemProtect(int cpu, uint64_t count, uint64_t was) {
  EmitCore(cpu, CoreEvent::kPsciMemProtect, PsciMemProtectRec{0, count, was});
}
void HypTrace::EmitPowerLock(int cpu, int32_t vm, uint64_t device, bool lock, int32_t ret) {
  EmitCore(cpu, CoreEvent::kPowerLock,
           PowerLockRec{0, vm, device, static_cast<uint8_t>(lock ? 1 : 0), ret});
}
void HypTrace::EmitHypPrintk(int cpu, uint8_t fmt_id, uint64_t a, uint64_t b, uint64_t c,
                             uint64_t d) {
  EmitCore(cpu, CoreEvent::kHypPrintk, HypPrintkRec{0, fmt_id, a, b, c, d});
}

void HypTrace::UpdateFtraceActive() {
  bool any = false;
  for (const Function& f : functions_) any |= f.enabled;
  const bool on = any && (CoreEnabled(CoreEvent::kFunc) || CoreEnabled(CoreEvent::kFuncRet));
  __atomic_store_n(&ftrace_active_, on ? 1 : 0, __ATOMIC_RELAXED);
}

void HypTrace::FuncEnter(int cpu, uintptr_t fn, uintptr_t call_site) {
  if (cpu < 0 || cpu >= cpus_) return;
  ShadowStack& s = shadow_[static_cast<size_t>(cpu)];
  auto it = std::lower_bound(functions_.begin(), functions_.end(), fn,
                             [](const Function& f, uintptr_t a) { return f.addr < a; });
  const bool traced = it != functions_.end() && it->addr == fn && it->enabled;
  // The shadow stack (MAX_DEPTH 32) remembers which returns to report.
  if (s.depth < static_cast<int>(s.fn.size())) s.fn[static_cast<size_t>(s.depth)] = traced ? fn : 0;
  ++s.depth;
  if (traced) EmitCore(cpu, CoreEvent::kFunc, FuncRec{0, fn, call_site});
}

void HypTrace::FuncExit(int cpu, uintptr_t fn) {
  if (cpu < 0 || cpu >= cpus_) return;
  ShadowStack& s = shadow_[static_cast<size_t>(cpu)];
  if (s.depth == 0) return;
  --s.depth;
  if (s.depth < static_cast<int>(s.fn.size()) && s.fn[static_cast<size_t>(s.depth)] == fn)
    EmitCore(cpu, CoreEvent::kFuncRet, FuncRetRec{0, fn});
}

absl::Status HypTrace::SetFtraceFilter(const std::string& glob_in) {
  std::string glob = glob_in;
  while (!glob.empty() && (glob.back() == '\n' || glob.back() == ' ')) glob.pop_back();
  if (glob.size() > kMaxGlob)
    return ErrnoError(E2BIG, absl::StrCat("ftrace filter longer than ", kMaxGlob, " characters"));
  if (glob.empty()) {  // __pkvm_disable_ftrace()
    for (Function& f : functions_) f.enabled = false;
    UpdateFtraceActive();
    return absl::OkStatus();
  }
  // Names match with or without the __kvm_nvhe_ prefix.
  bool matched = false;
  std::vector<bool> enable(functions_.size());
  for (size_t i = 0; i < functions_.size(); ++i) {
    enable[i] = GlobMatch(glob, functions_[i].name) ||
                GlobMatch(glob, "__kvm_nvhe_" + functions_[i].name);
    matched |= enable[i];
  }
  if (!matched) return ErrnoError(EINVAL, absl::StrCat("no hypervisor function matches '", glob, "'"));
  for (size_t i = 0; i < functions_.size(); ++i) functions_[i].enabled = enable[i];
  UpdateFtraceActive();
  return absl::OkStatus();
}

absl::Status HypTrace::SetFtraceNotrace(const std::string& glob_in) {
  std::string glob = glob_in;
  while (!glob.empty() && (glob.back() == '\n' || glob.back() == ' ')) glob.pop_back();
  if (glob.size() > kMaxGlob)
    return ErrnoError(E2BIG, absl::StrCat("ftrace filter longer than ", kMaxGlob, " characters"));
  if (glob.empty()) return absl::OkStatus();
  bool matched = false;
  for (Function& f : functions_) {
    if (GlobMatch(glob, f.name) || GlobMatch(glob, "__kvm_nvhe_" + f.name)) {
      f.enabled = false;
      matched = true;
    }
  }
  if (!matched) return ErrnoError(EINVAL, absl::StrCat("no hypervisor function matches '", glob, "'"));
  UpdateFtraceActive();
  return absl::OkStatus();
}

std::string HypTrace::SymbolName(uintptr_t addr) const {
  auto it = std::upper_bound(functions_.begin(), functions_.end(), addr,
                             [](uintptr_t a, const Function& f) { return a < f.addr; });
  if (it != functions_.begin()) {
    --it;
    // %ps: the function containing addr, without offset. A function's extent
    // is up to the next symbol (the last one: 64 KiB at most).
    const auto next = it + 1;
    const uintptr_t end = next != functions_.end() ? next->addr : it->addr + 0x10000;
    if (addr < end) return it->name;
  }
  return absl::StrFormat("0x%x", addr);
}

// ---- buffers -------------------------------------------------------------------

absl::Status HypTrace::SetBufferSizeKb(uint64_t kb) {
  if (kb == 0) return ErrnoError(EINVAL, "buffer_size_kb must be at least 1");
  if (flavor_ == TracefsFlavor::kUpstream) {
    // trace_remote.c: the size in bytes must fit an unsigned long, and the
    // loaded buffer cannot be resized.
    if (kb > (~uint64_t{0} >> 10))
      return ErrnoError(EINVAL, "buffer_size_kb overflows when converted to bytes");
    if (loaded())
      return ErrnoError(EBUSY, "buffer_size_kb cannot change while the buffer is loaded: stop "
                               "tracing (tracing_on = 0) and read or reset what is left first");
  }
  buffer_size_kb_ = kb;  // used at the next load
  return absl::OkStatus();
}

absl::Status HypTrace::EnsureLoaded() {
  if (loaded()) return absl::OkStatus();
  const uint64_t data_pages = (buffer_size_kb_ * 1024 + kPageSize - 1) / kPageSize;
  const uint64_t per_cpu = data_pages + 1 /*reader*/ + 1 /*meta*/;
  if (buffer_size_kb_ > (1ull << 40) || per_cpu * kPageSize * static_cast<uint64_t>(cpus_) > max_buffer_bytes_)
    return ErrnoError(ENOMEM, absl::StrFormat("a %u KiB trace buffer on %d %s does not fit the "
                                              "machine's memory (limit %u KiB in total)",
                                              buffer_size_kb_, cpus_, cpus_ == 1 ? "CPU" : "CPUs",
                                              max_buffer_bytes_ / 1024));
  // The host allocates every CPU's pages and describes them in the
  // flavour's descriptor layout; the hypervisor checks the descriptor and
  // builds its rings from what it names.
  std::vector<std::unique_ptr<CpuBuffer>> bufs;
  std::vector<CpuBufferVa> vas(static_cast<size_t>(cpus_));
  for (int cpu = 0; cpu < cpus_; ++cpu) {
    auto b = std::make_unique<CpuBuffer>();
    if (absl::Status s = b->Alloc(cpu, static_cast<uint32_t>(data_pages + 1), &vas[static_cast<size_t>(cpu)]);
        !s.ok())
      return s;
    bufs.push_back(std::move(b));
  }
  last_desc_ = BuildTraceDesc(flavor_, vas);
  absl::StatusOr<std::vector<CpuBufferVa>> loaded_vas =
      ParseTraceDesc(flavor_, last_desc_.data(), last_desc_.size(), cpus_);
  if (!loaded_vas.ok()) return loaded_vas.status();
  for (const CpuBufferVa& va : *loaded_vas) {
    if (absl::Status s = bufs[static_cast<size_t>(va.cpu)]->Start(va, &clock_, data_size()); !s.ok())
      return s;
  }
  buffers_ = std::move(bufs);
  return absl::OkStatus();
}

void HypTrace::TeardownBuffers() { buffers_.clear(); }

bool HypTrace::BufferEmpty() {
  for (auto& b : buffers_)
    if (b->reader->Peek() != nullptr) return false;
  return true;
}

void HypTrace::MaybeTeardown() {
  if (loaded() && !tracing_on_ && BufferEmpty()) TeardownBuffers();
}

absl::Status HypTrace::SetTracingOn(bool on) {
  if (on == tracing_on_) return absl::OkStatus();
  if (on) {
    if (absl::Status s = EnsureLoaded(); !s.ok()) return s;
    if (clock_kind_ == TraceClockKind::kHost) {
      const ClockCalibration c = CalibrateHostClock();
      clock_.Update(c.mult, c.shift, c.epoch_ns, c.epoch_cyc);
    }
    for (auto& b : buffers_) b->ring.Enable();
    tracing_on_ = true;
    return absl::OkStatus();
  }
  for (auto& b : buffers_) b->ring.Disable();
  tracing_on_ = false;
  MaybeTeardown();
  return absl::OkStatus();
}

void HypTrace::Reset(int cpu) {
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (cpu >= 0 && static_cast<size_t>(cpu) != i) continue;
    buffers_[i]->ring.Reset();
    buffers_[i]->reader = std::make_unique<RingReader>(&buffers_[i]->ring);
    buffers_[i]->lost_pending = 0;
  }
}

// ---- snapshots -----------------------------------------------------------------

HypTrace::SavedState HypTrace::Save() const {
  SavedState s;
  s.tracing_on = tracing_on_;
  s.buffer_size_kb = buffer_size_kb_;
  s.manual_ns = manual_ns_.load();
  s.core_enabled = core_enabled_;
  s.events = events_;
  s.by_id = by_id_;
  s.by_name = by_name_;
  s.next_id = next_id_;
  s.hyp_event_flags = hyp_event_flags_;
  s.nr_hyp_id_ranges = nr_hyp_id_ranges_;
  s.nr_modules_with_events = nr_modules_with_events_;
  s.modules = modules_;
  s.printk_fmts = printk_fmts_;
  s.functions = functions_;
  return s;
}

absl::Status HypTrace::Restore(const SavedState& s) {
  // Events, modules and formats only ever grow: copy them back only when
  // something was added since the snapshot.
  if (events_.size() != s.events.size()) {
    events_ = s.events;
    by_id_ = s.by_id;
    by_name_ = s.by_name;
  }
  next_id_ = s.next_id;
  if (hyp_event_flags_.size() != s.hyp_event_flags.size()) hyp_event_flags_ = s.hyp_event_flags;
  nr_hyp_id_ranges_ = s.nr_hyp_id_ranges;
  nr_modules_with_events_ = s.nr_modules_with_events;
  if (modules_.size() != s.modules.size()) modules_ = s.modules;
  if (printk_fmts_.size() != s.printk_fmts.size()) printk_fmts_ = s.printk_fmts;
  if (functions_.size() != s.functions.size()) {
    functions_ = s.functions;
  } else {
    for (size_t i = 0; i < functions_.size(); ++i) functions_[i].enabled = s.functions[i].enabled;
  }
  for (size_t i = 0; i < core_enabled_.size(); ++i)
    __atomic_store_n(&core_enabled_[i], s.core_enabled[i], __ATOMIC_RELAXED);
  UpdateFtraceActive();
  for (ShadowStack& st : shadow_) st.depth = 0;
  manual_ns_.store(s.manual_ns);
  buffer_size_kb_ = s.buffer_size_kb;

  // The buffers: emptied in place, or made anew where a ring panicked (only
  // Init() leaves that state) or is gone.
  bool reinit = false;
  for (auto& b : buffers_) reinit |= b->ring.status() == WriterStatus::kPanic;
  if (reinit) TeardownBuffers();
  for (auto& b : buffers_) b->ring.Disable();
  Reset(-1);
  tracing_on_ = false;
  if (s.tracing_on) return SetTracingOn(true);
  MaybeTeardown();
  return absl::OkStatus();
}

// ---- reading -------------------------------------------------------------------

std::string HypTrace::UnknownEventText(uint16_t id) const {
  return flavor_ == TracefsFlavor::kUpstream ? absl::StrCat("UNKNOWN id=", id)
                                              : absl::StrCat("Unknown event id ", id);
}

std::string HypTrace::EventText(const uint8_t* rec, uint32_t size) const {
  if (size < 2) return UnknownEventText(0);
  uint16_t id;
  std::memcpy(&id, rec, 2);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return UnknownEventText(id);
  const EventType& e = events_[it->second];
  if (size < e.record_size) return UnknownEventText(id);
  std::string text;
  if (e.module_print != nullptr) {
    char buf[1024];
    pkvm_trace_seq seq{buf, sizeof buf, 0};
    buf[0] = '\0';
    e.module_print(&seq, rec);
    text.assign(buf, std::min<unsigned long>(seq.len, sizeof buf - 1));
  } else if (e.print) {
    text = e.print(rec, size);
  }
  return absl::StrCat(e.name, " ", text);
}

std::string HypTrace::FormatLine(int cpu, uint64_t ts, const uint8_t* rec, uint32_t size) const {
  return absl::StrFormat("[%03d]\t%5u.%06u: %s\n", cpu, ts / 1000000000u, (ts % 1000000000u) / 1000u,
                         EventText(rec, size));
}

std::string HypTrace::ReadPipeText(int cpu) {
  std::string out;
  if (!loaded()) return out;
  for (;;) {
    int best = -1;
    uint64_t best_ts = 0;
    for (int c = 0; c < cpus_; ++c) {
      if (cpu >= 0 && c != cpu) continue;
      CpuBuffer& b = *buffers_[static_cast<size_t>(c)];
      const Event* ev = b.reader->Peek();
      b.lost_pending += b.reader->TakeLost();
      if (ev == nullptr) continue;
      if (best < 0 || ev->timestamp_ns < best_ts) {
        best = c;
        best_ts = ev->timestamp_ns;
      }
    }
    if (best < 0) break;
    CpuBuffer& b = *buffers_[static_cast<size_t>(best)];
    if (b.lost_pending != 0) {
      absl::StrAppend(&out, "CPU:", best, " [LOST ", b.lost_pending, " EVENTS]\n");
      b.lost_pending = 0;
    }
    const Event* ev = b.reader->Peek();
    out += FormatLine(best, ev->timestamp_ns, ev->data, ev->size);
    b.reader->Consume();
  }
  return out;
}

std::string HypTrace::ReadPipeRaw(int cpu) {
  std::string out;
  if (!loaded() || cpu < 0 || cpu >= cpus_) return out;
  CpuBuffer& b = *buffers_[static_cast<size_t>(cpu)];
  uint8_t page[kPageSize];
  while (b.reader->ReadRawPage(page)) out.append(reinterpret_cast<const char*>(page), kPageSize);
  return out;
}

absl::StatusOr<CpuPages> HypTrace::ConsumeAllRaw() {
  CpuPages out;
  if (absl::Status s = EnsureLoaded(); !s.ok()) return s;
  for (int cpu = 0; cpu < cpus_; ++cpu) out.emplace_back(cpu, ReadPipeRaw(cpu));
  return out;
}

CpuPages HypTrace::CopyRaw(int cpu) {
  CpuPages out;
  if (!loaded()) return out;
  for (int c = 0; c < cpus_; ++c) {
    if (cpu >= 0 && c != cpu) continue;
    std::string pages;
    buffers_[static_cast<size_t>(c)]->reader->CopyUnread(&pages);
    out.emplace_back(c, std::move(pages));
  }
  return out;
}

std::vector<DecodedEvent> HypTrace::DecodeRawPages(const CpuPages& cpu_pages) const {
  struct Keyed {
    DecodedEvent ev;
    size_t seq;
  };
  std::vector<Keyed> all;
  for (const auto& [cpu, pages] : cpu_pages) {
    for (size_t off = 0; off + kPageSize <= pages.size(); off += kPageSize) {
      const auto* page = reinterpret_cast<const uint8_t*>(pages.data() + off);
      uint64_t commit;
      std::memcpy(&commit, page + 8, 8);
      PageCursor cursor(page, data_size());
      Event ev;
      bool first = true;
      while (cursor.Next(&ev)) {
        DecodedEvent d;
        d.cpu = cpu;
        d.ts = ev.timestamp_ns;
        if (first && (commit & PKVM_RB_MISSED_EVENTS) != 0) {
          const uint64_t len = commit & ~(uint64_t{PKVM_RB_MISSED_EVENTS} | PKVM_RB_MISSED_STORED);
          if ((commit & PKVM_RB_MISSED_STORED) != 0 && 16 + len + 8 <= kPageSize) {
            uint64_t missed = 0;
            std::memcpy(&missed, page + 16 + len, 8);
            d.lost = absl::StrCat("CPU:", cpu, " [LOST ", missed, " EVENTS]\n");
          } else {  // the page had no room for the count: as the kernel prints it
            d.lost = absl::StrCat("CPU:", cpu, " [LOST EVENTS]\n");
          }
        }
        first = false;
        if (ev.size >= 2) {
          std::memcpy(&d.id, ev.data, 2);
          auto it = by_id_.find(d.id);
          if (it != by_id_.end() && ev.size >= events_[it->second].record_size)
            d.type = &events_[it->second];
        }
        // EventText() is "<name> <info>", or the unknown-id text alone.
        std::string text = EventText(ev.data, ev.size);
        d.info = d.type != nullptr ? text.substr(d.type->name.size() + 1) : std::move(text);
        all.push_back(Keyed{std::move(d), all.size()});
      }
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Keyed& a, const Keyed& b) {
    return a.ev.ts != b.ev.ts ? a.ev.ts < b.ev.ts : a.ev.cpu < b.ev.cpu;
  });
  std::vector<DecodedEvent> out;
  out.reserve(all.size());
  for (Keyed& k : all) out.push_back(std::move(k.ev));
  return out;
}

std::string HypTrace::FormatRawPages(const CpuPages& cpu_pages) const {
  std::string out;
  for (const DecodedEvent& d : DecodeRawPages(cpu_pages)) {
    const std::string text = d.type != nullptr ? absl::StrCat(d.type->name, " ", d.info) : d.info;
    absl::StrAppend(&out, d.lost,
                    absl::StrFormat("[%03d]\t%5u.%06u: %s\n", d.cpu, d.ts / 1000000000u,
                                    (d.ts % 1000000000u) / 1000u, text));
  }
  return out;
}

std::string HypTrace::PanicDump() {
  for (auto& b : buffers_) b->ring.Panic();
  std::string out = ReadPipeText(-1);
  tracing_on_ = false;
  return out;
}

// ---- tracefs text ---------------------------------------------------------------

std::string HypTrace::HeaderPageText() const {
  std::string s;
  absl::StrAppend(&s, "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n");
  absl::StrAppend(&s, "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n");
  if (gen_ != Generation::kA14)
    absl::StrAppend(&s, "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n");
  absl::StrAppend(&s, "\tfield: char data;\toffset:16;\tsize:", data_size(), ";\tsigned:1;\n");
  return s;
}

std::string HypTrace::HeaderEventText() const {
  return absl::StrCat("# compressed entry header\n", "\ttype_len    :    5 bits\n",
                      "\ttime_delta  :   27 bits\n", "\tarray       :   32 bits\n", "\n",
                      "\tpadding     : type == ", PKVM_RINGBUF_TYPE_PADDING, "\n",
                      "\ttime_extend : type == ", PKVM_RINGBUF_TYPE_TIME_EXTEND, "\n",
                      "\ttime_stamp : type == ", PKVM_RINGBUF_TYPE_TIME_STAMP, "\n",
                      "\tdata max type_len  == ", PKVM_RINGBUF_TYPE_PADDING - 1, "\n");
}

std::string HypTrace::FormatFileText(const EventType& e) const {
  std::string s = absl::StrCat("name: ", e.name, "\nID: ", e.id, "\nformat:\n");
  absl::StrAppend(&s, "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n");
  for (const EventField& f : e.fields)
    absl::StrAppend(&s, "\tfield:", f.type, " ", f.name, ";\toffset:", f.offset, ";\tsize:", f.size,
                    ";\tsigned:", f.is_signed ? 1 : 0, ";\n");
  // The Android kernel adds this blank line only after fields; libtraceevent
  // needs it before `print fmt` in every case (docs/tracing.md).
  s += "\n";
  absl::StrAppend(&s, "print fmt: ", e.print_fmt, "\n");
  return s;
}

}  // namespace pkvm::trace

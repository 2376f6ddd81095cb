// File: lib/host/kernel_native.cc
// The simulated host kernel's side of the module ABI for native modules: the
// functions EL1 module code links against (__pkvm_load_el2_module,
// __pkvm_register_el2_call, SMCCC calls, printk, WARN/BUG) and the few hyp
// runtime symbols compiler-generated EL2 code may need. Each finds its
// machine through the calling thread's execution context.
#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "machine.h"
#include "pkvm/kmodule.h"
#include "status_internal.h"
#include "trace/hyp_trace.h"

namespace pkvm {

Hypervisor::Impl& MachineOrDie(const char* fn) {
  const ExecContext* ctx = CurrentContext();
  if (ctx == nullptr) {
    std::fprintf(stderr,
                 "libpkvm: module code called %s() outside a simulated machine; call module "
                 "functions through pkvm::Hypervisor (Boot(), HostHvc(), RunEl1())\n",
                 fn);
    std::abort();
  }
  return *ctx->machine;
}

namespace {

int CurrentCpu() { return CurrentContext()->cpu; }

// kvm_call_hyp_nvhe(): an HVC to a static host hypercall from EL1.
user_pt_regs CallHyp(Hypervisor::Impl& m, uint32_t id, uint64_t a1 = 0, uint64_t a2 = 0,
                     uint64_t a3 = 0) {
  user_pt_regs r{};
  r.regs[0] = PKVM_HOST_SMCCC_ID(id);
  r.regs[1] = a1;
  r.regs[2] = a2;
  r.regs[3] = a3;
  return m.HostHvc(r, CurrentCpu());
}

struct Section {
  uint64_t start, end, prot;
};

template <typename KModule>
int LoadEl2Module(Hypervisor::Impl& m, KModule* mod, unsigned long* token) {
  auto& hyp = mod->hyp;
  const std::string name(mod->name, strnlen(mod->name, sizeof mod->name));
  if (m.protected_mode_initialized) {
    m.Log(absl::StrCat(name, ": pKVM is finalized: EL2 modules can no longer be loaded"));
    return -EOPNOTSUPP;
  }
  std::vector<Section> secs;
  auto add = [&](const pkvm_module_section& s, uint64_t prot) {
    secs.push_back({reinterpret_cast<uint64_t>(s.start), reinterpret_cast<uint64_t>(s.end), prot});
  };
  add(hyp.text, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X);
  add(hyp.bss, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W);
  add(hyp.rodata, KVM_PGTABLE_PROT_R);
  add(hyp.data, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W);
  if constexpr (requires { hyp.event_ids; }) add(hyp.event_ids, KVM_PGTABLE_PROT_R);
  for (const Section& s : secs) {
    if (s.start % kPageSize != 0) {
      m.Log(absl::StrCat(name, ": EL2 sections are not page-aligned"));
      return -EINVAL;
    }
  }
  std::erase_if(secs, [](const Section& s) { return s.start == 0 || s.end <= s.start; });
  if (secs.empty() || hyp.text.start == nullptr) {
    m.Log(absl::StrCat(name, ": no EL2 image (.hyp.text is empty)"));
    return -ENOEXEC;
  }
  std::sort(secs.begin(), secs.end(), [](const Section& a, const Section& b) {
    return a.start < b.start;
  });
  const uint64_t start = secs.front().start;
  uint64_t end = 0;
  for (const Section& s : secs) end = std::max(end, (s.end + kPageSize - 1) & kPageMask);
  const uint64_t nr_pages = (end - start) / kPageSize;

  user_pt_regs r = CallHyp(m, PKVM_HCALL_pkvm_alloc_module_va, nr_pages);
  if (r.regs[0] != PKVM_SMCCC_RET_SUCCESS) return -EPERM;
  const uint64_t hyp_va = r.regs[1];
  if (hyp_va == 0) {
    // The EL2 image is mapped as one range from its first section to its
    // last: whatever lies between them (another object of the .so) counts.
    m.Log(absl::StrFormat(
        "%s: no module VA for its EL2 image: its sections span %u KiB (%#x..%#x), more than the "
        "%u KiB of module VA left%s",
        name, (end - start) >> 10, start, end, (kModuleVaEnd - m.next_module_va) >> 10,
        nr_pages > (kModuleVaEnd - kModuleVaBase) / kPageSize
            ? ": something large lies between them in the .so; keep the .hyp.* sections "
              "together (link them with hyp-native.lds, as pkvm_add_module() does)"
            : ""));
    return -ENOMEM;
  }
  if (token != nullptr) *token = hyp_va;
  if constexpr (requires { hyp.token; }) hyp.token = hyp_va;
  if constexpr (requires { hyp.sections; })
    hyp.sections = {reinterpret_cast<void*>(start), reinterpret_cast<void*>(end)};
  if constexpr (requires { hyp.hyp_va; }) hyp.hyp_va = reinterpret_cast<void*>(hyp_va);

  std::vector<std::pair<uint64_t, uint64_t>> mapped;  // (pfn, va)
  auto unmap_all = [&] {
    for (const auto& [pfn, va] : mapped) CallHyp(m, PKVM_HCALL_pkvm_unmap_module_page, pfn, va);
  };
  for (const Section& s : secs) {
    for (uint64_t page = s.start; page < s.end; page += kPageSize) {
      const uint64_t pfn = page / kPageSize, va = hyp_va + (page - start);
      r = CallHyp(m, PKVM_HCALL_pkvm_map_module_page, pfn, va, s.prot);
      const int64_t rc = r.regs[0] == PKVM_SMCCC_RET_SUCCESS ? static_cast<int64_t>(r.regs[1])
                                                             : -EPERM;
      if (rc != 0) {
        unmap_all();
        return static_cast<int>(rc);
      }
      mapped.emplace_back(pfn, va);
    }
  }
  // Events, trace_hyp_printk formats and functions: ids assigned by the host
  // (hyp_trace_init_mod_events), then on A16 registered at the hyp by
  // __pkvm_init_module before init() runs.
  if (m.loading != nullptr) {
    if (absl::Status s = m.trace->AddModule(name, *m.loading, reinterpret_cast<uintptr_t>(hyp.text.start));
        !s.ok()) {
      m.Log(absl::StrCat(name, ": ", s.message()));
      unmap_all();
      return internal::ErrnoOf(s);
    }
  }
  const uint64_t init_va = hyp_va + (reinterpret_cast<uint64_t>(hyp.init) - start);
  r = CallHyp(m, PKVM_HCALL_pkvm_init_module, init_va);
  if (m.state == MachineState::kPanicked) return -EIO;
  const int rc = r.regs[0] == PKVM_SMCCC_RET_SUCCESS ? static_cast<int>(r.regs[1]) : -EPERM;
  if (rc != 0) {
    m.Log(absl::StrFormat("%s: Failed to init EL2 module: %d", name, rc));
    if (m.loading != nullptr) m.trace->RemoveLastModule();
    unmap_all();
    return rc;
  }
  m.el2_modules.push_back(LoadedModule{name, hyp_va, start, end - start});
  m.Log(absl::StrFormat("%s: EL2 image mapped at hyp VA %#x (%d page%s), init returned 0", name,
                        hyp_va, nr_pages, nr_pages == 1 ? "" : "s"));
  return 0;
}

void LogLine(Hypervisor::Impl& m, const char* text) {
  std::string s(text);
  // Strip a KERN_<LEVEL> prefix; keep what dmesg would show.
  if (s.size() >= 2 && s[0] == '\001') s.erase(0, 2);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  m.Log(s);
}

}  // namespace
}  // namespace pkvm

using pkvm::Hypervisor;
using pkvm::MachineOrDie;

struct arm_smccc_res {  // as <linux/arm-smccc.h> defines it
  unsigned long a0, a1, a2, a3;
};

extern "C" {

int __pkvm_load_el2_module(void* this_module, unsigned long* token) {
  Hypervisor::Impl& m = MachineOrDie("__pkvm_load_el2_module");
  if (this_module == nullptr) return -EINVAL;
  switch (m.gen) {
    case pkvm::Generation::kA14:
      return pkvm::LoadEl2Module(m, static_cast<pkvm_kmodule_a14*>(this_module), token);
    case pkvm::Generation::kA15:
      return pkvm::LoadEl2Module(m, static_cast<pkvm_kmodule_a15*>(this_module), token);
    case pkvm::Generation::kA16:
      return pkvm::LoadEl2Module(m, static_cast<pkvm_kmodule_a16*>(this_module), token);
    case pkvm::Generation::kA17:
      // A17 modules call __pkvm_load_el2_module(THIS_MODULE): no token
      // argument, so whatever the second register holds is not one.
      return pkvm::LoadEl2Module(m, static_cast<pkvm_kmodule_a17*>(this_module), nullptr);
  }
  return -EINVAL;
}

int __pkvm_register_el2_call(unsigned long hfn_hyp_va) {
  Hypervisor::Impl& m = MachineOrDie("__pkvm_register_el2_call");
  const user_pt_regs r = pkvm::CallHyp(m, PKVM_HCALL_pkvm_register_hcall, hfn_hyp_va);
  if (r.regs[0] != PKVM_SMCCC_RET_SUCCESS)
    m.Log("WARNING: __pkvm_register_el2_call: the hypervisor refused __pkvm_register_hcall "
          "(pKVM is finalized)");
  // Like the kernel: x1 whatever the outcome (the argument when refused).
  return static_cast<int>(r.regs[1]);
}

int pkvm_load_early_modules(void) {
  Hypervisor::Impl& m = MachineOrDie("pkvm_load_early_modules");
  return m.protected_mode_initialized ? -EACCES : 0;
}

unsigned long pkvm_el2_mod_kern_va(unsigned long addr) {
  Hypervisor::Impl& m = MachineOrDie("pkvm_el2_mod_kern_va");
  for (const pkvm::LoadedModule& mod : m.el2_modules)
    if (addr >= mod.hyp_va && addr < mod.hyp_va + mod.size)
      return mod.kern_start + (addr - mod.hyp_va);
  return 0;
}

void __pkvm_smccc_call(int conduit, unsigned long a0, unsigned long a1, unsigned long a2,
                       unsigned long a3, unsigned long a4, unsigned long a5, unsigned long a6,
                       unsigned long a7, struct arm_smccc_res* res) {
  Hypervisor::Impl& m = MachineOrDie("arm_smccc_1_1_hvc/smc");
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  user_pt_regs in{};
  const unsigned long a[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
  for (int i = 0; i < 8; ++i) in.regs[i] = a[i];
  user_pt_regs out = in;
  if (ctx->el == pkvm::ExceptionLevel::kEl2) {
    // EL2 code issuing an SMC reaches the fake EL3 (lib/hyp/el3.cc).
    pkvm::SmcccRegs r;
    for (int i = 0; i < 8; ++i) r.x[i] = in.regs[i];
    r = pkvm::El2Smccc(m, conduit, r, ctx->cpu);
    for (int i = 0; i < 18; ++i) out.regs[i] = r.x[i];
  } else if (conduit == 1 /* HVC */) {
    out = m.HostHvc(in, ctx->cpu);
  } else {
    out = m.HostSmc(in, ctx->cpu).result.regs;
  }
  if (m.state == pkvm::MachineState::kPanicked) pkvm::PanicUnwind();
  if (res != nullptr) {
    res->a0 = out.regs[0];
    res->a1 = out.regs[1];
    res->a2 = out.regs[2];
    res->a3 = out.regs[3];
  }
}

int _printk(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (const pkvm::ExecContext* ctx = pkvm::CurrentContext(); ctx != nullptr)
    pkvm::LogLine(*ctx->machine, buf);
  else
    std::fprintf(stderr, "%s", buf);
  return n;
}

void __pkvm_warn(const char* file, int line, const char* cond) {
  Hypervisor::Impl& m = MachineOrDie("WARN_ON");
  m.Log(absl::StrFormat("WARNING: CPU: %d at %s:%d: WARN_ON(%s)", pkvm::CurrentContext()->cpu,
                        file, line, cond));
}

[[noreturn]] void __pkvm_bug(const char* file, int line, const char* cond) {
  Hypervisor::Impl& m = MachineOrDie("BUG_ON");
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  {  // No C++ object may be alive at the longjmp below.
    const std::string what = absl::StrFormat("BUG at %s:%d: %s", file, line, cond);
    if (ctx->el == pkvm::ExceptionLevel::kEl2) {
      m.HypPanic(what, ctx->cpu);
    } else {
      m.Log(absl::StrCat("kernel ", what));
      m.state = pkvm::MachineState::kPanicked;
      m.panic_report = absl::StrCat("Kernel panic: ", what);
    }
  }
  pkvm::PanicUnwind();
}

// BUG()/WARN() in EL2 code: the same entry points under their hyp names
// (on a device BUG is a `brk` that panics the hypervisor).
[[noreturn]] void __kvm_nvhe___pkvm_bug(const char* file, int line, const char* cond) {
  __pkvm_bug(file, line, cond);
}
void __kvm_nvhe___pkvm_warn(const char* file, int line, const char* cond) {
  __pkvm_warn(file, line, cond);
}

// read_sysreg_el2()/write_sysreg_el2() in EL2 code (asm/kvm_hyp.h): the
// simulated CPU's exception registers. EL1 code has no access to them: on a
// device the mrs/msr is an undefined instruction, here a kernel panic.
unsigned long long __kvm_nvhe___pkvm_read_sysreg(int id) {
  Hypervisor::Impl& m = MachineOrDie("read_sysreg_el2");
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  if (id < 0 || id >= pkvm::kNrEl2Sysregs) {
    m.HypPanic(absl::StrFormat("read of unknown EL2 system register %d", id), ctx->cpu);
    pkvm::PanicUnwind();
  }
  return m.cpus[static_cast<size_t>(ctx->cpu)].el2_sysregs[id];
}
void __kvm_nvhe___pkvm_write_sysreg(int id, unsigned long long v) {
  Hypervisor::Impl& m = MachineOrDie("write_sysreg_el2");
  const pkvm::ExecContext* ctx = pkvm::CurrentContext();
  if (id < 0 || id >= pkvm::kNrEl2Sysregs) {
    m.HypPanic(absl::StrFormat("write of unknown EL2 system register %d", id), ctx->cpu);
    pkvm::PanicUnwind();
  }
  m.cpus[static_cast<size_t>(ctx->cpu)].el2_sysregs[id] = v;
}
unsigned long long __pkvm_read_sysreg(int) {
  __pkvm_bug("<EL1>", 0, "read of an EL2 system register at EL1 (undefined instruction)");
}
void __pkvm_write_sysreg(int, unsigned long long) {
  __pkvm_bug("<EL1>", 0, "write of an EL2 system register at EL1 (undefined instruction)");
}

// The hypervisor's own string routines, for calls the compiler emits in EL2
// code (their names carry the __kvm_nvhe_ prefix after objcopy).
void* __kvm_nvhe_memcpy(void* d, const void* s, size_t n) { return std::memcpy(d, s, n); }
void* __kvm_nvhe_memmove(void* d, const void* s, size_t n) { return std::memmove(d, s, n); }
void* __kvm_nvhe_memset(void* d, int c, size_t n) { return std::memset(d, c, n); }
int __kvm_nvhe_memcmp(const void* a, const void* b, size_t n) { return std::memcmp(a, b, n); }

}  // extern "C"

// File: lib/backends/unicorn/unicorn_cpu.cc -- see unicorn_cpu.h. The only file of
// libpkvm that includes <unicorn/unicorn.h>.
#include "unicorn_cpu.h"

#include <unicorn/unicorn.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glue/pkvm_a64_glue.h"

namespace pkvm::arm64 {
namespace {

// Unicorn 2.0.1 reserves a 1 GiB translation buffer the first time an
// engine maps memory, and exit(1)s the whole process when the address space
// cannot hold it ("Could not allocate dynamic translator buffer"; there is
// no control for its size). Under an address-space limit (RLIMIT_AS), a CPU
// is refused up front instead, while the process can still say why.
constexpr uint64_t kTranslatorReserve = (1ull << 30) + (64ull << 20);

absl::Status CheckTranslatorHeadroom() {
  rlimit lim{};
  if (getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return absl::OkStatus();
  uint64_t pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%" SCNu64, &pages) != 1) pages = 0;
    std::fclose(f);
  }
  const uint64_t used = pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t limit = lim.rlim_cur;
  if (used <= limit && limit - used >= kTranslatorReserve) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "not enough address space for a Unicorn CPU: it reserves about %u MiB for translated code, "
      "and the process uses %u MiB of its %u MiB limit (RLIMIT_AS, ulimit -v): raise the limit "
      "or destroy machines first",
      kTranslatorReserve >> 20, used >> 20, limit >> 20));
}

constexpr uint64_t kPage = 4096;
constexpr uint64_t kTrampolineStart = 64;  // code page: [0] eret, trampolines from here
constexpr uint32_t kEret = 0xd69f03e0;
constexpr uint32_t kRet = 0xd65f03c0;
constexpr uint32_t kBrk = 0xd4200000;  // | imm16 << 5
// The return sentinel: `brk #kBrkReturn` in the code page. Reaching it stops
// the run from the interrupt hook. Unicorn's own stop address (`until`)
// costs more per call: after every run it invalidates translated code at
// until-1, which for an address in an unmapped page is a full TLB refill
// (measured: 285 ns per empty call against 197 ns with the brk).
constexpr uint16_t kBrkReturn = 0xef00;
constexpr uint64_t kSentinelOffset = 8;  // [0] eret, [4] the EL entry target

// Unicorn 2.0.1 interrupt numbers (QEMU EXCP_*), see the notes §2.
constexpr uint32_t kIntUdef = 1, kIntSwi = 2, kIntPrefetchAbort = 3, kIntDataAbort = 4,
                   kIntBkpt = 7, kIntHvc = 11, kIntSmc = 13;

// CP_REG encodings {crn, crm, op0, op1, op2} of the EL2/EL3 registers the
// enum does not expose.
struct CpReg {
  uint32_t crn, crm, op0, op1, op2;
};
constexpr CpReg kScrEl3{1, 1, 3, 6, 0};
constexpr CpReg kHcrEl2{1, 1, 3, 4, 0};
constexpr CpReg kSpsrEl3{4, 0, 3, 6, 0};

constexpr uint64_t kScrNsHceRw = 0x501;  // SCR_EL3.{NS, HCE, RW}
constexpr uint64_t kHcrRw = 1ull << 31;
constexpr uint64_t kPstateEl3h = 0x3cd;  // DAIF masked, EL3, SP_EL3
constexpr uint64_t kSpsrEl2h = 0x3c9;
constexpr uint64_t kSpsrEl1h = 0x3c5;

// One CHECKED()-style conversion: uc_err -> Status with Unicorn's text.
absl::Status Checked(uc_err err, absl::string_view what) {
  if (err == UC_ERR_OK) return absl::OkStatus();
  return absl::InternalError(
      absl::StrFormat("unicorn: %s: %s (uc_err %d)", what, uc_strerror(err), static_cast<int>(err)));
}

// Register ids for the batched transfers: x0..x17 (the SMCCC 1.2 register
// file), then the ones a call or a trap also moves.
constexpr int kNrArgRegs = 18;
enum : int { kSlotX30 = kNrArgRegs, kSlotSp, kSlotPc, kNrSlots };
std::array<int, kNrSlots> SlotRegs() {
  std::array<int, kNrSlots> r{};
  for (int i = 0; i < kNrArgRegs; ++i) r[i] = UC_ARM64_REG_X0 + i;
  r[kSlotX30] = UC_ARM64_REG_X30;
  r[kSlotSp] = UC_ARM64_REG_SP;
  r[kSlotPc] = UC_ARM64_REG_PC;
  return r;
}
std::array<int, kNrSlots> kSlotRegs = SlotRegs();

// One uc_reg_read_batch / uc_reg_write_batch of the slots in `ids`.
template <size_t N>
void ReadBatch(uc_engine* uc, int* ids, uint64_t (&vals)[N]) {
  void* ptrs[N];
  for (size_t i = 0; i < N; ++i) ptrs[i] = &vals[i];
  uc_reg_read_batch(uc, ids, ptrs, static_cast<int>(N));
}
template <size_t N>
void WriteBatch(uc_engine* uc, int* ids, const uint64_t (&vals)[N]) {
  void* ptrs[N];
  for (size_t i = 0; i < N; ++i) ptrs[i] = const_cast<uint64_t*>(&vals[i]);
  uc_reg_write_batch(uc, ids, ptrs, static_cast<int>(N));
}

int RegId(int n) {
  if (n >= 0 && n <= 28) return UC_ARM64_REG_X0 + n;
  if (n == 29) return UC_ARM64_REG_X29;
  if (n == 30) return UC_ARM64_REG_X30;
  if (n == 31) return UC_ARM64_REG_SP;
  if (n == 33) return UC_ARM64_REG_PSTATE;
  return UC_ARM64_REG_PC;
}

const char* BrkMeaning(uint16_t imm) {
  switch (imm) {
    case 0x800: return " (BUG)";
    case 0x3e8: return " (__builtin_trap)";
    default: return "";
  }
}

}  // namespace

const char* FaultKindName(FaultKind k) {
  switch (k) {
    case FaultKind::kNone: return "none";
    case FaultKind::kReadUnmapped: return "read of unmapped memory";
    case FaultKind::kWriteUnmapped: return "write to unmapped memory";
    case FaultKind::kFetchUnmapped: return "instruction fetch from unmapped memory";
    case FaultKind::kReadProtected: return "read of non-readable memory";
    case FaultKind::kWriteProtected: return "write to read-only memory";
    case FaultKind::kFetchProtected: return "instruction fetch from non-executable memory";
    case FaultKind::kUndefinedInstruction: return "undefined instruction";
    case FaultKind::kBreakpoint: return "breakpoint";
    case FaultKind::kException: return "exception";
    case FaultKind::kNoHandler: return "unhandled trap";
    case FaultKind::kHostStop: return "stopped by the host";
    case FaultKind::kInstructionLimit: return "instruction limit";
    case FaultKind::kTimeout: return "time limit";
    case FaultKind::kEngine: return "emulator error";
  }
  return "?";
}

struct UnicornCpu::Impl {
  UnicornCpu* self = nullptr;
  uc_engine* uc = nullptr;
  CpuOptions opts;
  uint8_t* priv = nullptr;  // code page + stack (the guard page is not backed)
  uint64_t code_va = 0, stack_va = 0, stack_top = 0, sentinel = 0;
  std::vector<TrapHandler> host_calls = std::vector<TrapHandler>(PKVM_A64_HOSTCALL_COUNT);
  uint32_t next_dynamic = PKVM_A64_HOSTCALL_FIRST_DYNAMIC;
  uint64_t next_trampoline = kTrampolineStart;
  TrapHandler hvc, smc;
  CpuFault fault;
  bool faulted = false;  // `fault` belongs to the current Call
  int depth = 0;         // nested Call()s in progress
  std::vector<uc_context*> saved;  // per nesting level
  uint64_t traps = 0;
  struct Mapping {
    uint64_t addr, size;
    uint32_t perms;
    uint8_t* host;
  };
  std::vector<Mapping> mappings;
  mutable size_t last_hit = 0;  // index into mappings of the last HostPointer() hit
  bool precise_pc = false;      // EnablePreciseFaultPc() was called
  bool flush_pending = false;   // ... with drop_code = false: at the next outermost call
  FaultResolver resolver;
  // ResumeAt(): the access that faulted is not made; the call goes on at pc.
  bool resume_pending = false;
  uint64_t resume_pc = 0;
  // MMIO mappings' callbacks, by address (stable for Unicorn).
  struct MmioHooks {
    MmioRead read;
    MmioWrite write;
    uint64_t addr = 0;
    uint8_t* backing = nullptr;
    uc_hook hook = 0;
  };
  std::map<uint64_t, std::unique_ptr<MmioHooks>> mmio;
  InstructionHook insn_hook;
  BlockHook block_hook;
  uc_hook insn_hook_h = 0, block_hook_h = 0;

  static void CodeHook(uc_engine*, uint64_t addr, uint32_t, void* user) {
    static_cast<Impl*>(user)->insn_hook(addr);
  }
  static void BlockHookFn(uc_engine*, uint64_t addr, uint32_t size, void* user) {
    static_cast<Impl*>(user)->block_hook(addr, size);
  }

  ~Impl() {
    for (uc_context* c : saved)
      if (c != nullptr) uc_context_free(c);
    if (uc != nullptr) uc_close(uc);
    std::free(priv);
  }

  absl::Status CpWrite(const CpReg& r, uint64_t v) {
    uc_arm64_cp_reg reg{r.crn, r.crm, r.op0, r.op1, r.op2, v};
    return Checked(uc_reg_write(uc, UC_ARM64_REG_CP_REG, &reg), "write system register");
  }
  uint64_t CpRead(const CpReg& r) {
    uc_arm64_cp_reg reg{r.crn, r.crm, r.op0, r.op1, r.op2, 0};
    if (uc_reg_read(uc, UC_ARM64_REG_CP_REG, &reg) != UC_ERR_OK) return 0;
    return reg.val;
  }
  uint64_t Reg(int id) {
    uint64_t v = 0;
    uc_reg_read(uc, id, &v);
    return v;
  }
  void SetReg(int id, uint64_t v) { uc_reg_write(uc, id, &v); }

  // The registers a handler changed go back, in one batch (a hypercall
  // changes x0..x3 of eighteen; each register written costs).
  void WriteFrame(const TrapFrame& f, const uint64_t* before) {
    int ids[kNrArgRegs];
    void* ptrs[kNrArgRegs];
    int n = 0;
    for (int i = 0; i < kNrArgRegs; ++i) {
      if (f.x[i] == before[i]) continue;
      ids[n] = kSlotRegs[i];
      ptrs[n++] = const_cast<uint64_t*>(&f.x[i]);
    }
    if (n > 0) uc_reg_write_batch(uc, ids, ptrs, n);
  }

  // Records the first fault of the current Call (with the registers).
  void RecordFault(FaultKind kind, uint64_t pc, uint64_t address, std::string reason) {
    if (faulted) return;
    faulted = true;
    fault = CpuFault{};
    fault.kind = kind;
    fault.el = opts.el;
    fault.pc = pc;
    fault.address = address;
    fault.reason = std::move(reason);
    for (int i = 0; i < 31; ++i) fault.x[i] = Reg(RegId(i));
    fault.sp = Reg(UC_ARM64_REG_SP);
  }
  void Fault(FaultKind kind, uint64_t pc, uint64_t address, std::string reason) {
    RecordFault(kind, pc, address, std::move(reason));
    uc_emu_stop(uc);
  }

  // The instruction at `pc`: straight from host memory when the page is
  // mapped from it (no Unicorn call), else through Unicorn.
  uint32_t InsnAt(uint64_t pc) {
    uint32_t insn = 0;
    if (const void* p = self->HostPointer(pc); p != nullptr && (pc & (kPage - 1)) <= kPage - 4)
      std::memcpy(&insn, p, 4);
    else
      uc_mem_read(uc, pc, &insn, 4);
    return insn;
  }

  void RunTrap(const TrapHandler& h, uint64_t pc, uint16_t imm) {
    TrapFrame f;
    f.pc = pc;
    f.imm = imm;
    // x0..x17 and SP in one batch (the slots are contiguous up to SP).
    uint64_t regs[kSlotSp + 1];
    {
      int ids[kSlotSp + 1];
      std::copy(kSlotRegs.begin(), kSlotRegs.begin() + kSlotSp + 1, ids);
      ReadBatch(uc, ids, regs);
    }
    std::memcpy(f.x, regs, sizeof f.x);
    f.sp = regs[kSlotSp];
    f.el = opts.el;
    ++traps;
    h(*self, f);
    WriteFrame(f, regs);
  }

  void OnInterrupt(uint32_t intno) {
    // Only PC first: a return to the sentinel needs nothing else.
    const uint64_t pc = Reg(UC_ARM64_REG_PC);
    const char* el = opts.el == El::kEl2 ? "EL2" : "EL1";
    switch (intno) {
      case kIntHvc:
      case kIntSmc: {  // PC is already past the instruction
        const uint64_t at = pc - 4;
        const uint16_t imm = static_cast<uint16_t>((InsnAt(at) >> 5) & 0xffff);
        const TrapHandler& h = intno == kIntHvc ? hvc : smc;
        const char* what = intno == kIntHvc ? "hvc" : "smc";
        if (!h) {
          Fault(FaultKind::kNoHandler, at, imm,
                absl::StrFormat("%s #%#x at %s with no handler", what, imm, el));
          return;
        }
        RunTrap(h, at, imm);
        return;
      }
      case kIntBkpt: {  // PC is the brk itself
        if (pc == sentinel) {  // the called function returned
          uc_emu_stop(uc);
          return;
        }
        const uint16_t imm = static_cast<uint16_t>((InsnAt(pc) >> 5) & 0xffff);
        const uint32_t nr = static_cast<uint32_t>(imm) - PKVM_A64_BRK_HOSTCALL;
        if (imm >= PKVM_A64_BRK_HOSTCALL && nr < host_calls.size()) {
          if (!host_calls[nr]) {
            Fault(FaultKind::kNoHandler, pc, imm,
                  absl::StrFormat("host call %d (brk #%#x) at %s, which nobody provides", nr, imm, el));
            return;
          }
          RunTrap(host_calls[nr], pc, imm);
          if (!faulted) SetReg(UC_ARM64_REG_PC, pc + 4);
          return;
        }
        Fault(FaultKind::kBreakpoint, pc, imm,
              absl::StrFormat("brk #%#x%s at %s", imm, BrkMeaning(imm), el));
        return;
      }
      case kIntUdef:
        Fault(FaultKind::kUndefinedInstruction, pc, InsnAt(pc),
              absl::StrFormat("undefined instruction %#010x at %s (UDF, or a system register "
                              "this EL cannot access)",
                              InsnAt(pc), el));
        return;
      default:
        Fault(FaultKind::kException, pc, intno,
              absl::StrFormat("exception %d (%s) at %s", intno,
                              intno == kIntSwi             ? "svc"
                              : intno == kIntPrefetchAbort ? "prefetch abort"
                              : intno == kIntDataAbort     ? "data abort"
                                                           : "unexpected",
                              el));
        return;
    }
  }

  bool OnInvalid(uc_mem_type type, uint64_t address, int size) {
    const uint64_t pc = Reg(UC_ARM64_REG_PC);
    FaultKind k = FaultKind::kEngine;
    switch (type) {
      case UC_MEM_READ_UNMAPPED: k = FaultKind::kReadUnmapped; break;
      case UC_MEM_WRITE_UNMAPPED: k = FaultKind::kWriteUnmapped; break;
      case UC_MEM_FETCH_UNMAPPED: k = FaultKind::kFetchUnmapped; break;
      case UC_MEM_READ_PROT: k = FaultKind::kReadProtected; break;
      case UC_MEM_WRITE_PROT: k = FaultKind::kWriteProtected; break;
      case UC_MEM_FETCH_PROT: k = FaultKind::kFetchProtected; break;
      default: break;
    }
    if (resolver && k != FaultKind::kEngine && resolver(address, k))
      return true;  // mapped (or permitted) now: Unicorn retries the access
    if (resume_pending) return false;  // the resolver redirected the CPU
    std::string extra;
    if (k == FaultKind::kWriteProtected) {
      for (const Mapping& m : mappings)
        if (address >= m.addr && address < m.addr + m.size && (m.perms & kPermExec) != 0)
          extra = " (a store into code)";
    }
    RecordFault(k, k == FaultKind::kFetchUnmapped || k == FaultKind::kFetchProtected ? address : pc,
                address,
                absl::StrFormat("%s at %#x (%d bytes)%s at %s", FaultKindName(k), address, size,
                                extra, opts.el == El::kEl2 ? "EL2" : "EL1"));
    return false;  // uc_emu_start returns the matching UC_ERR_*
  }

  static void IntrHook(uc_engine*, uint32_t intno, void* user) {
    static_cast<Impl*>(user)->OnInterrupt(intno);
  }
  static bool InvalidHook(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t,
                          void* user) {
    return static_cast<Impl*>(user)->OnInvalid(type, address, size);
  }

  absl::Status EnterEl() {
    // The ERET recipe (notes §1): from EL3 with a stale EL1 translation
    // context, ERET takes ELR from ELR_EL1 and SPSR from SPSR_EL3.
    const uint64_t target = code_va + 4;  // never executed: `until` stops before it
    if (auto s = CpWrite(kScrEl3, kScrNsHceRw); !s.ok()) return s;
    if (auto s = CpWrite(kHcrEl2, kHcrRw); !s.ok()) return s;
    SetReg(UC_ARM64_REG_PSTATE, kPstateEl3h);
    if (auto s = CpWrite(kSpsrEl3, opts.el == El::kEl2 ? kSpsrEl2h : kSpsrEl1h); !s.ok()) return s;
    SetReg(UC_ARM64_REG_ELR_EL3, target);
    SetReg(UC_ARM64_REG_ELR_EL1, target);
    if (auto s = Checked(uc_emu_start(uc, code_va, target, 0, 0), "ERET to the target EL"); !s.ok())
      return s;
    const uint64_t pstate = Reg(UC_ARM64_REG_PSTATE);
    const uint64_t want = static_cast<uint64_t>(opts.el) << 2;
    if ((pstate & 0xc) != want || Reg(UC_ARM64_REG_PC) != target) {
      return absl::InternalError(absl::StrFormat(
          "unicorn: the ERET recipe did not reach EL%d (PSTATE %#x, PC %#x)",
          static_cast<int>(opts.el), pstate, Reg(UC_ARM64_REG_PC)));
    }
    SetReg(UC_ARM64_REG_SP, stack_top);
    // From now on no `until`: calls return to the brk sentinel, which stops
    // the run (an empty exit set: Unicorn invalidates nothing per run).
    return Checked(uc_ctl_exits_enable(uc), "enable exits");
  }

  absl::Status Run(uint64_t addr, uint64_t* x, size_t n, size_t n_out, const CallOptions& options);

  // Drops the code translated from every mapping, range by range: a whole
  // translation-cache flush (uc_ctl_flush_tlb) from a trap handler left the
  // resumed CPU hanging in Unicorn 2.0.1; ranged invalidation does not.
  void DropMappedCode() {
    for (const Mapping& r : mappings) uc_ctl_remove_cache(uc, r.addr, r.addr + r.size);
    uc_ctl_remove_cache(uc, code_va, code_va + kPage);
  }

  bool OverlapsPrivate(uint64_t addr, uint64_t size) const {
    const uint64_t lo = opts.private_base, hi = stack_va + opts.stack_size;
    return addr < hi && lo < addr + size;
  }
};

UnicornCpu::UnicornCpu(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->self = this; }
UnicornCpu::~UnicornCpu() = default;

absl::StatusOr<std::unique_ptr<UnicornCpu>> UnicornCpu::Create(const CpuOptions& o) {
  if (o.el != El::kEl1 && o.el != El::kEl2) return absl::InvalidArgumentError("EL must be 1 or 2");
  if (o.private_base % kPage != 0 || o.stack_size % kPage != 0 || o.stack_size == 0)
    return absl::InvalidArgumentError("private_base and stack_size must be 4 KiB multiples");
  if (o.private_base + 2 * kPage + o.stack_size > kMaxGuestAddress)
    return absl::InvalidArgumentError("private_base is beyond the 44-bit guest address space");
  auto impl = std::make_unique<Impl>();
  impl->opts = o;
  impl->code_va = o.private_base;
  impl->sentinel = o.private_base + kSentinelOffset;
  impl->stack_va = o.private_base + 2 * kPage;
  impl->stack_top = impl->stack_va + o.stack_size;
  impl->priv = static_cast<uint8_t*>(std::aligned_alloc(kPage, kPage + o.stack_size));
  if (impl->priv == nullptr) return absl::ResourceExhaustedError("no memory for the CPU's stack");
  std::memset(impl->priv, 0, kPage + o.stack_size);
  std::memcpy(impl->priv, &kEret, 4);
  const uint32_t ret_brk = kBrk | (static_cast<uint32_t>(kBrkReturn) << 5);
  std::memcpy(impl->priv + kSentinelOffset, &ret_brk, 4);

  if (absl::Status s = CheckTranslatorHeadroom(); !s.ok()) return s;
  if (auto s = Checked(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &impl->uc), "uc_open"); !s.ok())
    return s;
  uc_hook h;
  if (auto s = Checked(uc_hook_add(impl->uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Impl::IntrHook),
                                   impl.get(), 1, 0),
                       "add the interrupt hook");
      !s.ok())
    return s;
  if (auto s = Checked(uc_hook_add(impl->uc, &h, UC_HOOK_MEM_INVALID,
                                   reinterpret_cast<void*>(&Impl::InvalidHook), impl.get(), 1, 0),
                       "add the invalid-memory hook");
      !s.ok())
    return s;
  if (auto s = Checked(uc_mem_map_ptr(impl->uc, impl->code_va, kPage, UC_PROT_READ | UC_PROT_EXEC,
                                      impl->priv),
                       "map the CPU's code page");
      !s.ok())
    return s;
  if (auto s = Checked(uc_mem_map_ptr(impl->uc, impl->stack_va, o.stack_size,
                                      UC_PROT_READ | UC_PROT_WRITE, impl->priv + kPage),
                       "map the CPU's stack");
      !s.ok())
    return s;
  if (auto s = impl->EnterEl(); !s.ok()) return s;
  return std::unique_ptr<UnicornCpu>(new UnicornCpu(std::move(impl)));
}

El UnicornCpu::el() const { return impl_->opts.el; }

absl::Status UnicornCpu::Map(uint64_t addr, void* host, uint64_t size, uint32_t perms) {
  if (addr % kPage != 0 || size % kPage != 0 || size == 0 || host == nullptr)
    return absl::InvalidArgumentError(absl::StrFormat(
        "Map(%#x, %#x): address and size must be non-zero 4 KiB multiples", addr, size));
  if (addr >= kMaxGuestAddress || size > kMaxGuestAddress - addr)
    return absl::InvalidArgumentError(absl::StrFormat(
        "Map(%#x, %#x): beyond the 44-bit guest address space (the MMU is off: guest addresses "
        "are physical)",
        addr, size));
  if (impl_->OverlapsPrivate(addr, size))
    return absl::InvalidArgumentError(absl::StrFormat(
        "Map(%#x, %#x) overlaps the CPU's own pages at %#x", addr, size, impl_->opts.private_base));
  if (auto s = Checked(uc_mem_map_ptr(impl_->uc, addr, size, perms & 7, host),
                       absl::StrFormat("uc_mem_map_ptr(%#x, %#x)", addr, size));
      !s.ok())
    return s;
  impl_->mappings.push_back({addr, size, perms, static_cast<uint8_t*>(host)});
  InvalidateCode(addr, size);
  return absl::OkStatus();
}

absl::Status UnicornCpu::Protect(uint64_t addr, uint64_t size, uint32_t perms) {
  if (auto s = Checked(uc_mem_protect(impl_->uc, addr, size, perms & 7),
                       absl::StrFormat("uc_mem_protect(%#x, %#x)", addr, size));
      !s.ok())
    return s;
  for (auto& m : impl_->mappings)
    if (m.addr == addr && m.size == size) m.perms = perms;
  InvalidateCode(addr, size);
  return absl::OkStatus();
}

absl::Status UnicornCpu::MapMmio(uint64_t addr, uint64_t size, MmioRead read, MmioWrite write,
                                 void* backing) {
  if (addr % kPage != 0 || size % kPage != 0 || size == 0)
    return absl::InvalidArgumentError(absl::StrFormat(
        "MapMmio(%#x, %#x): address and size must be non-zero 4 KiB multiples", addr, size));
  if (addr >= kMaxGuestAddress || size > kMaxGuestAddress - addr || impl_->OverlapsPrivate(addr, size))
    return absl::InvalidArgumentError(
        absl::StrFormat("MapMmio(%#x, %#x): outside the guest address space", addr, size));
  if (backing == nullptr)
    return absl::InvalidArgumentError(absl::StrFormat("MapMmio(%#x): no backing memory", addr));
  // Unicorn 2.0.1's uc_mmio_map splits a 64-bit access into two 32-bit
  // callbacks; a device sees each access whole through memory hooks on an
  // ordinary mapping instead: a read hook runs before the load and puts the
  // model's value where the load reads it; a write hook gets the stored
  // value and its width.
  auto hooks = std::make_unique<Impl::MmioHooks>();
  hooks->read = std::move(read);
  hooks->write = std::move(write);
  hooks->addr = addr;
  hooks->backing = static_cast<uint8_t*>(backing);
  auto cb = [](uc_engine*, uc_mem_type type, uint64_t a, int n, int64_t value, void* user) {
    auto* h = static_cast<Impl::MmioHooks*>(user);
    const uint64_t off = a - h->addr;
    if (type == UC_MEM_READ) {
      const uint64_t v = h->read(off, static_cast<unsigned>(n));
      std::memcpy(h->backing + off, &v, static_cast<size_t>(n));
    } else if (type == UC_MEM_WRITE) {
      h->write(off, static_cast<uint64_t>(value), static_cast<unsigned>(n));
    }
  };
  if (auto s = Checked(uc_mem_map_ptr(impl_->uc, addr, size, UC_PROT_READ | UC_PROT_WRITE, backing),
                       absl::StrFormat("uc_mem_map_ptr(%#x, %#x)", addr, size));
      !s.ok())
    return s;
  if (auto s = Checked(uc_hook_add(impl_->uc, &hooks->hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                                   reinterpret_cast<void*>(+cb), hooks.get(), addr,
                                   addr + size - 1),
                       absl::StrFormat("hook MMIO at %#x", addr));
      !s.ok()) {
    uc_mem_unmap(impl_->uc, addr, size);
    return s;
  }
  impl_->mmio[addr] = std::move(hooks);
  impl_->mappings.push_back({addr, size, kPermRead | kPermWrite, static_cast<uint8_t*>(backing)});
  return absl::OkStatus();
}

absl::Status UnicornCpu::Unmap(uint64_t addr, uint64_t size) {
  if (auto s = Checked(uc_mem_unmap(impl_->uc, addr, size),
                       absl::StrFormat("uc_mem_unmap(%#x, %#x)", addr, size));
      !s.ok())
    return s;
  // MMIO callbacks of the range go with it.
  for (auto it = impl_->mmio.lower_bound(addr); it != impl_->mmio.end() && it->first < addr + size;) {
    uc_hook_del(impl_->uc, it->second->hook);
    it = impl_->mmio.erase(it);
  }
  std::erase_if(impl_->mappings, [&](const Impl::Mapping& m) {
    return m.addr >= addr && m.addr + m.size <= addr + size;
  });
  InvalidateCode(addr, size);
  return absl::OkStatus();
}

void* UnicornCpu::HostPointer(uint64_t addr) const {
  const Impl& m = *impl_;
  // Lookups come in runs on the same mapping (a trap's instruction, an op's
  // arguments): try the last hit before the scan.
  if (m.last_hit < m.mappings.size()) {
    const Impl::Mapping& r = m.mappings[m.last_hit];
    if (addr >= r.addr && addr - r.addr < r.size) return r.host + (addr - r.addr);
  }
  for (size_t i = 0; i < m.mappings.size(); ++i) {
    const Impl::Mapping& r = m.mappings[i];
    if (addr >= r.addr && addr - r.addr < r.size) {
      m.last_hit = i;
      return r.host + (addr - r.addr);
    }
  }
  if (addr >= m.code_va && addr < m.code_va + kPage) return m.priv + (addr - m.code_va);
  if (addr >= m.stack_va && addr < m.stack_va + m.opts.stack_size)
    return m.priv + kPage + (addr - m.stack_va);
  return nullptr;
}

void UnicornCpu::SetFaultResolver(FaultResolver resolver) { impl_->resolver = std::move(resolver); }

void UnicornCpu::RequestStop() { uc_emu_stop(impl_->uc); }

bool UnicornCpu::Read(uint64_t addr, void* out, size_t n) {
  return uc_mem_read(impl_->uc, addr, out, n) == UC_ERR_OK;
}

bool UnicornCpu::Write(uint64_t addr, const void* in, size_t n) {
  if (uc_mem_write(impl_->uc, addr, in, n) != UC_ERR_OK) return false;
  InvalidateCode(addr, n);  // uc_mem_write does not drop translated code
  return true;
}

void UnicornCpu::InvalidateCode(uint64_t addr, uint64_t size) {
  const uint64_t end = addr + size;
  uc_ctl_remove_cache(impl_->uc, addr, end);
}

void UnicornCpu::InvalidateAllCode() { uc_ctl_flush_tlb(impl_->uc); }

namespace {
// A hook over all addresses, set once. Code translated before it was added
// does not call it: all of it is dropped (once per hook; about 0.1 s).
template <typename Fn>
absl::Status AddWholeRangeHook(UnicornCpu& cpu, uc_engine* uc, uc_hook* handle, int type, Fn* cb,
                               void* user, const char* what) {
  if (*handle != 0) return absl::FailedPreconditionError(absl::StrCat(what, " already set"));
  absl::Status s = Checked(uc_hook_add(uc, handle, type, reinterpret_cast<void*>(cb), user, 1, 0),
                           absl::StrCat("add the ", what));
  cpu.InvalidateAllCode();
  return s;
}
}  // namespace

absl::Status UnicornCpu::SetInstructionHook(InstructionHook hook) {
  absl::Status s = AddWholeRangeHook(*this, impl_->uc, &impl_->insn_hook_h, UC_HOOK_CODE,
                                     &Impl::CodeHook, impl_.get(), "instruction hook");
  if (s.ok()) impl_->insn_hook = std::move(hook);
  return s;
}

absl::Status UnicornCpu::SetBlockHook(BlockHook hook) {
  absl::Status s = AddWholeRangeHook(*this, impl_->uc, &impl_->block_hook_h, UC_HOOK_BLOCK,
                                     &Impl::BlockHookFn, impl_.get(), "block hook");
  if (s.ok()) impl_->block_hook = std::move(hook);
  return s;
}

void UnicornCpu::SetHvcHandler(TrapHandler handler) { impl_->hvc = std::move(handler); }
void UnicornCpu::SetSmcHandler(TrapHandler handler) { impl_->smc = std::move(handler); }

absl::Status UnicornCpu::SetHostCall(uint32_t nr, TrapHandler fn) {
  if (nr >= impl_->host_calls.size())
    return absl::InvalidArgumentError(absl::StrFormat("host call %d is out of range", nr));
  impl_->host_calls[nr] = std::move(fn);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> UnicornCpu::AddTrampoline(TrapHandler fn) {
  Impl& m = *impl_;
  if (m.next_trampoline + 8 > kPage || m.next_dynamic >= m.host_calls.size())
    return absl::ResourceExhaustedError("the CPU's trampoline page is full");
  const uint32_t nr = m.next_dynamic++;
  const uint64_t off = m.next_trampoline;
  m.next_trampoline += 8;
  const uint32_t code[2] = {kBrk | ((PKVM_A64_BRK_HOSTCALL + nr) << 5), kRet};
  std::memcpy(m.priv + off, code, sizeof code);
  m.host_calls[nr] = std::move(fn);
  InvalidateCode(m.code_va + off, 8);
  return m.code_va + off;
}

absl::StatusOr<uint64_t> UnicornCpu::AddCode(std::span<const uint32_t> words) {
  Impl& m = *impl_;
  const uint64_t bytes = (words.size() * 4 + 7) & ~uint64_t{7};
  if (m.next_trampoline + bytes > kPage)
    return absl::ResourceExhaustedError("the CPU's code page is full");
  const uint64_t off = m.next_trampoline;
  m.next_trampoline += bytes;
  std::memcpy(m.priv + off, words.data(), words.size() * 4);
  InvalidateCode(m.code_va + off, bytes);
  return m.code_va + off;
}

absl::StatusOr<uint64_t> UnicornCpu::Call(uint64_t addr, std::initializer_list<uint64_t> args,
                                          const CallOptions& options) {
  return Call(addr, std::span<const uint64_t>(args.begin(), args.size()), options);
}

absl::StatusOr<uint64_t> UnicornCpu::Call(uint64_t addr, std::span<const uint64_t> args,
                                          const CallOptions& options) {
  if (args.size() > 8) return absl::InvalidArgumentError("at most 8 register arguments");
  uint64_t x[kNrArgRegs] = {};
  std::copy(args.begin(), args.end(), x);
  if (absl::Status s = impl_->Run(addr, x, 8, 1, options); !s.ok()) return s;
  return x[0];
}

absl::Status UnicornCpu::CallWithRegisters(uint64_t addr, std::span<uint64_t, 18> x,
                                           const CallOptions& options) {
  return impl_->Run(addr, x.data(), kNrArgRegs, kNrArgRegs, options);
}

// Runs the function at `addr` with x0..x(n-1) from `x`; x0..x(n_out-1)
// are written back to `x` when it returns. Each way is one register batch.
absl::Status UnicornCpu::Impl::Run(uint64_t addr, uint64_t* x, size_t n, size_t n_out,
                                   const CallOptions& options) {
  Impl& m = *this;
  const int level = m.depth;
  uint64_t sp = m.stack_top;
  if (level > 0) {
    // Re-entered from a handler: keep the interrupted state and run below
    // its stack pointer.
    if (static_cast<int>(m.saved.size()) < level) m.saved.resize(level, nullptr);
    uc_context*& ctx = m.saved[level - 1];
    if (ctx == nullptr) {
      if (auto s = Checked(uc_context_alloc(m.uc, &ctx), "uc_context_alloc"); !s.ok()) return s;
    }
    if (auto s = Checked(uc_context_save(m.uc, ctx), "uc_context_save"); !s.ok()) return s;
    sp = (m.Reg(UC_ARM64_REG_SP) - 256) & ~uint64_t{15};
    if (sp < m.stack_va + 1024)
      return absl::ResourceExhaustedError("the CPU's stack is exhausted by nested calls");
  }
  if (!options.stack_args.empty()) {
    const uint64_t bytes = (options.stack_args.size() * 8 + 15) & ~uint64_t{15};
    if (sp - m.stack_va < bytes + 1024)
      return absl::ResourceExhaustedError("no room on the CPU's stack for the stack arguments");
    sp -= bytes;
    if (uc_mem_write(m.uc, sp, options.stack_args.data(), options.stack_args.size() * 8) != UC_ERR_OK)
      return absl::InternalError("cannot write the stack arguments");
  }
  // x0..x(n-1), LR = the sentinel, SP: one batch.
  {
    int ids[kNrSlots];
    uint64_t in[kNrSlots];
    void* ptrs[kNrSlots];
    for (size_t i = 0; i < n; ++i) {
      ids[i] = kSlotRegs[i];
      in[i] = x[i];
    }
    ids[n] = UC_ARM64_REG_X30;
    in[n] = m.sentinel;
    ids[n + 1] = UC_ARM64_REG_SP;
    in[n + 1] = sp;
    for (size_t i = 0; i < n + 2; ++i) ptrs[i] = &in[i];
    uc_reg_write_batch(m.uc, ids, ptrs, static_cast<int>(n + 2));
  }

  // `faulted` belongs to the innermost running call; the outer one (when
  // re-entered from a handler) goes on unless that handler calls Stop().
  if (m.flush_pending && level == 0) {
    m.flush_pending = false;
    m.DropMappedCode();
  }
  const bool outer_faulted = m.faulted;
  m.faulted = false;
  ++m.depth;
  uc_err err = uc_emu_start(m.uc, addr, 0, options.timeout_us, options.max_instructions);
  while (m.resume_pending && !m.faulted) {
    m.resume_pending = false;
    err = uc_emu_start(m.uc, m.resume_pc, 0, options.timeout_us, options.max_instructions);
  }
  m.resume_pending = false;
  --m.depth;
  // x0..x(n_out-1) and PC back: one batch.
  uint64_t pc = 0;
  {
    int ids[kNrArgRegs + 1];
    void* ptrs[kNrArgRegs + 1];
    for (size_t i = 0; i < n_out; ++i) {
      ids[i] = kSlotRegs[i];
      ptrs[i] = &x[i];
    }
    ids[n_out] = UC_ARM64_REG_PC;
    ptrs[n_out] = &pc;
    uc_reg_read_batch(m.uc, ids, ptrs, static_cast<int>(n_out + 1));
  }
  if (!m.faulted && err != UC_ERR_OK) {
    m.RecordFault(FaultKind::kEngine, pc, 0,
                  absl::StrFormat("unicorn stopped at pc %#x: %s", pc, uc_strerror(err)));
  } else if (!m.faulted && pc != m.sentinel) {
    const FaultKind k = options.max_instructions != 0 ? FaultKind::kInstructionLimit
                        : options.timeout_us != 0     ? FaultKind::kTimeout
                                                      : FaultKind::kEngine;
    m.RecordFault(k, pc, 0,
                  absl::StrFormat("%s: the call of %#x stopped at pc %#x before returning",
                                  FaultKindName(k), addr, pc));
  }
  const bool failed = m.faulted;
  m.faulted = outer_faulted;
  if (level > 0) uc_context_restore(m.uc, m.saved[level - 1]);
  if (failed) return absl::AbortedError(absl::StrFormat("%s (pc %#x)", m.fault.reason, m.fault.pc));
  return absl::OkStatus();
}

namespace {
void NoMemHook(uc_engine*, uc_mem_type, uint64_t, int, int64_t, void*) {}
}  // namespace

absl::Status UnicornCpu::EnablePreciseFaultPc(bool drop_code) {
  Impl& m = *impl_;
  if (m.precise_pc) return absl::OkStatus();
  uc_hook h;
  if (absl::Status s = Checked(uc_hook_add(m.uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                                           reinterpret_cast<void*>(&NoMemHook), nullptr, 1, 0),
                               "add the memory hook");
      !s.ok())
    return s;
  m.precise_pc = true;
  if (drop_code)
    m.DropMappedCode();
  else
    m.flush_pending = true;
  return absl::OkStatus();
}

bool UnicornCpu::precise_fault_pc() const { return impl_->precise_pc; }

void UnicornCpu::ResumeAt(uint64_t pc) {
  impl_->resume_pending = true;
  impl_->resume_pc = pc;
}

void UnicornCpu::Stop(std::string reason) {
  const uint64_t pc = impl_->Reg(UC_ARM64_REG_PC);
  impl_->Fault(FaultKind::kHostStop, pc, 0, std::move(reason));
}

const CpuFault& UnicornCpu::last_fault() const { return impl_->fault; }

namespace {
// ELR, SPSR, ESR, FAR, HPFAR _EL2 ({crn, crm, op0, op1, op2}).
constexpr CpReg kEl2Sysregs[] = {
    {4, 0, 3, 4, 1}, {4, 0, 3, 4, 0}, {5, 2, 3, 4, 0}, {6, 0, 3, 4, 0}, {6, 0, 3, 4, 4}};
}  // namespace

uint64_t UnicornCpu::ReadEl2Sysreg(El2Sysreg r) {
  return impl_->CpRead(kEl2Sysregs[static_cast<int>(r)]);
}
void UnicornCpu::WriteEl2Sysreg(El2Sysreg r, uint64_t v) {
  impl_->CpWrite(kEl2Sysregs[static_cast<int>(r)], v).IgnoreError();
}

uint64_t UnicornCpu::ReadReg(int n) { return impl_->Reg(RegId(n)); }
void UnicornCpu::WriteReg(int n, uint64_t v) { impl_->SetReg(RegId(n), v); }
uint64_t UnicornCpu::return_sentinel() const { return impl_->sentinel; }
uint64_t UnicornCpu::traps_handled() const { return impl_->traps; }

}  // namespace pkvm::arm64

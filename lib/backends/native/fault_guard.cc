// File: lib/backends/native/fault_guard.cc
// Contained module EL2 code on the native backend (fault_guard.h).
//
// A signal handler (on a per-thread alternate stack) decides, from the
// faulting PC, whether module code raised the fault. If so it records the
// fault and longjmps to the innermost PanicGuard, as a BUG() in module code
// does; the outermost call then reports it as a hyp panic, back on the
// caller's stack. Anything else goes to the handler that was there before
// (ASan's under the sanitizers) or the default action: a fault in library
// code is a bug of libpkvm, and unwinding through C++ frames would hide it
// and leave the library's state half-updated.
#include "backends/native/fault_guard.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "debug/symbolize.h"
#include "hyp_stack.h"
#include "machine.h"
#include "mem/memory.h"
#include "pkvm/native_module.h"

#if defined(__SANITIZE_ADDRESS__)
#define PKVM_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PKVM_ASAN_FIBERS 1
#endif
#endif
#ifdef PKVM_ASAN_FIBERS
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" void pkvm_call_on_stack(void* arg, void (*fn)(void*), void* stack_top);

namespace pkvm::native {
namespace {

constexpr size_t kPage = 4096;
// Guard pages between the device-sized stack and the reserve below: a
// frame larger than one page may skip the first of them.
constexpr size_t kGuardZone = 16 * kPage;
// Library code (the ops) module code calls runs on the same stack; the
// device's hypervisor is far leaner than a hosted C++ runtime (under the
// sanitizers even more so), so it gets room of its own below the guard.
constexpr size_t kLibraryReserve = 1024 * 1024;
constexpr size_t kAltStackSize = 64 * 1024;
constexpr int kMaxFrames = 16;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};

// Monotonic nanoseconds (clock_gettime: async-signal-safe).
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class FaultKind { kSignal, kStackOverflow, kTimeout };

struct Fault {
  FaultKind kind = FaultKind::kSignal;
  int sig = 0, code = 0;
  uintptr_t pc = 0, sp = 0, fp = 0, far = 0, lr = 0;
  int write = -1;  // 1 write, 0 read, -1 unknown
  uint64_t regs[34] = {};
  int nregs = 0;
  uintptr_t frames[kMaxFrames] = {};
  int nframes = 0;
};

// One per thread that ran module code: its hyp stack and what the handler
// found. Reached from the handler through a plain pointer (no lazy TLS
// initialisation in a signal handler).
struct ThreadState {
  uint8_t* map = nullptr;
  size_t map_size = 0;
  uintptr_t reserve_lo = 0;              // above the bottom guard page
  uintptr_t guard_lo = 0, guard_hi = 0;  // below the device-sized stack
  uintptr_t stack_lo = 0, stack_hi = 0;  // the device-sized stack
  size_t device_size = 0;
  int depth = 0;
  volatile sig_atomic_t guard_lowered = 0;
  volatile sig_atomic_t pending = 0;
  Fault fault;
  void* altstack = nullptr;
  // The watchdog's view of this thread: registered once, armed per call.
  std::atomic<int64_t> deadline_ns{0};  // 0 = no call under a limit
  pthread_t thread{};
  bool watched = false;

  ~ThreadState();
  bool Readable(uintptr_t a, size_t n) const {
    if (a < reserve_lo || a + n > stack_hi) return false;
    if (!guard_lowered && a + n > guard_lo && a < guard_hi) return false;
    return true;
  }
};

thread_local ThreadState* tls_state = nullptr;
thread_local std::unique_ptr<ThreadState> tls_owner;

struct sigaction g_prev[NSIG];
int g_watchdog_signal = 0;

// ---- module code ----------------------------------------------------------------

bool InModuleText(const Hypervisor::Impl& m, uintptr_t pc) {
  for (const OfferedModule& o : m.offered) {
    if (o.desc == nullptr) continue;
    const pkvm_module_section& t = o.desc->hyp[PKVM_HYP_TEXT];
    if (pc >= reinterpret_cast<uintptr_t>(t.start) && pc < reinterpret_cast<uintptr_t>(t.end))
      return true;
  }
  return false;
}

const char* ModuleOfText(const Hypervisor::Impl& m, uintptr_t addr) {
  for (const OfferedModule& o : m.offered) {
    if (o.desc == nullptr) continue;
    const pkvm_module_section& t = o.desc->hyp[PKVM_HYP_TEXT];
    if (addr >= reinterpret_cast<uintptr_t>(t.start) && addr < reinterpret_cast<uintptr_t>(t.end))
      return o.name.c_str();
  }
  return nullptr;
}

// ---- the signal handler -----------------------------------------------------------

void Capture(ThreadState& t, int sig, const siginfo_t* si, const ucontext_t* uc, Fault& f) {
  f.sig = sig;
  f.code = si->si_code;
  f.far = reinterpret_cast<uintptr_t>(si->si_addr);
#if defined(__x86_64__)
  const greg_t* g = uc->uc_mcontext.gregs;
  f.pc = static_cast<uintptr_t>(g[REG_RIP]);
  f.sp = static_cast<uintptr_t>(g[REG_RSP]);
  f.fp = static_cast<uintptr_t>(g[REG_RBP]);
  if (sig == SIGSEGV) f.write = (g[REG_ERR] & 2) != 0 ? 1 : 0;
  static constexpr int kOrder[] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                   REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                   REG_R12, REG_R13, REG_R14, REG_R15, REG_EFL};
  f.nregs = 0;
  for (int r : kOrder) f.regs[f.nregs++] = static_cast<uint64_t>(g[r]);
  // The return address of the faulting function's frame (x86-64 has no
  // link register).
  f.lr = t.Readable(f.fp, 16) ? reinterpret_cast<const uintptr_t*>(f.fp)[1] : 0;
#elif defined(__aarch64__)
  f.pc = uc->uc_mcontext.pc;
  f.sp = uc->uc_mcontext.sp;
  f.fp = uc->uc_mcontext.regs[29];
  f.lr = uc->uc_mcontext.regs[30];
  f.nregs = 31;
  for (int i = 0; i < 31; ++i) f.regs[i] = uc->uc_mcontext.regs[i];
#endif
  // The frame-pointer chain, while it stays on the hyp stack.
  f.nframes = 0;
  f.frames[f.nframes++] = f.pc;
  uintptr_t fp = f.fp;
  while (f.nframes < kMaxFrames && (fp & 7) == 0 && t.Readable(fp, 16)) {
    const uintptr_t* rec = reinterpret_cast<const uintptr_t*>(fp);
    if (rec[1] == 0) break;
    f.frames[f.nframes++] = rec[1];
    if (rec[0] <= fp) break;
    fp = rec[0];
  }
}

// Right after a call to a bad target, where it was called from: x86-64's
// call pushed it, AArch64's BL left it in x30.
uintptr_t CallerOfBranchTarget(const ThreadState& t, const ucontext_t* uc) {
#if defined(__x86_64__)
  const auto sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
  return t.Readable(sp, 8) ? *reinterpret_cast<const uintptr_t*>(sp) : 0;
#elif defined(__aarch64__)
  (void)t;
  return uc->uc_mcontext.regs[30];
#endif
}

[[noreturn]] void UnwindFromHandler(int sig) {
  // longjmp does not restore the signal mask: unblock the signal we are in.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  std::longjmp(CurrentPanicGuard()->buf, 1);
}

void Chain(int sig, siginfo_t* si, void* uc) {
  const struct sigaction& prev = g_prev[sig];
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, si, uc);
    return;
  }
  if (prev.sa_handler == SIG_IGN) return;
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // The default action: a synchronous fault re-executes and kills the
  // process with the right signal (and core); anything else is re-raised.
  signal(sig, SIG_DFL);
  if (si->si_code <= 0 || sig == SIGTRAP) raise(sig);
}

void OnSignal(int sig, siginfo_t* si, void* uc_void) {
  const int saved_errno = errno;
  ThreadState* t = tls_state;
  const ExecContext* ctx = CurrentContext();
  auto* uc = static_cast<ucontext_t*>(uc_void);
  const bool in_call = t != nullptr && t->depth > 0 && ctx != nullptr &&
                       ctx->el == ExceptionLevel::kEl2 && CurrentPanicGuard() != nullptr;
  if (sig == g_watchdog_signal) {
    // (The deadline, not the signal, says whether this call ran out: a
    // signal meant for an earlier call may arrive late.)
    const int64_t deadline = in_call ? t->deadline_ns.load(std::memory_order_acquire) : 0;
    if (deadline != 0 && NowNs() >= deadline) {
      Fault f;
      Capture(*t, sig, si, uc, f);
      if (InModuleText(*ctx->machine, f.pc)) {
        f.kind = FaultKind::kTimeout;
        t->fault = f;
        t->pending = 1;
        UnwindFromHandler(sig);
      }
    }
    errno = saved_errno;
    return;  // not in module code: the watchdog tries again
  }
  if (in_call) {
    Fault f;
    Capture(*t, sig, si, uc, f);
    bool module = InModuleText(*ctx->machine, f.pc);
    if (!module && sig == SIGSEGV && f.far == f.pc) {
      // A branch out of module code to where no code is: the fault's PC is
      // the target; the caller is in module code.
      const uintptr_t caller = CallerOfBranchTarget(*t, uc);
      if (InModuleText(*ctx->machine, caller)) {
        module = true;
        f.lr = caller;
        if (f.nframes < kMaxFrames) {
          f.frames[1] = caller;
          f.nframes = 2;
        }
      }
    }
    const bool below_stack = (sig == SIGSEGV || sig == SIGBUS) && f.far >= t->reserve_lo - kPage &&
                             f.far < t->stack_lo;
    if (below_stack && !module && f.far >= t->guard_lo && f.far < t->guard_hi) {
      // Library code module code called needs more than the device's
      // stack: give it the reserve (restored at the next call).
      if (mprotect(reinterpret_cast<void*>(t->guard_lo), kGuardZone, PROT_READ | PROT_WRITE) == 0) {
        t->guard_lowered = 1;
        errno = saved_errno;
        return;
      }
    }
    if (module) {
      f.kind = below_stack ? FaultKind::kStackOverflow : FaultKind::kSignal;
      t->fault = f;
      t->pending = 1;
      UnwindFromHandler(sig);
    }
  }
  errno = saved_errno;
  Chain(sig, si, uc_void);
}

void InstallHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_watchdog_signal = SIGRTMIN + 4;
    struct sigaction sa{};
    sa.sa_sigaction = OnSignal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : kSignals) sigaction(sig, &sa, &g_prev[sig]);
    sigaction(g_watchdog_signal, &sa, &g_prev[g_watchdog_signal]);
  });
}

// ---- per-thread state -------------------------------------------------------------

ThreadState& ThisThread() {
  if (tls_state != nullptr) return *tls_state;
  tls_owner = std::make_unique<ThreadState>();
  ThreadState& t = *tls_owner;
  // The handler needs a stack of its own to report a stack overflow. Keep
  // one the thread already has (ASan installs its own).
  stack_t cur{};
  if (sigaltstack(nullptr, &cur) == 0 && (cur.ss_flags & SS_DISABLE) != 0) {
    void* p = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      stack_t ss{};
      ss.ss_sp = p;
      ss.ss_size = kAltStackSize;
      if (sigaltstack(&ss, nullptr) == 0)
        t.altstack = p;
      else
        munmap(p, kAltStackSize);
    }
  }
  tls_state = &t;
  return t;
}

// [guard page][library reserve][guard zone][device-sized stack]
bool MapStack(ThreadState& t, size_t device_size) {
  if (t.map != nullptr && t.device_size == device_size) {
    if (t.guard_lowered) {
      mprotect(reinterpret_cast<void*>(t.guard_lo), kGuardZone, PROT_NONE);
      t.guard_lowered = 0;
    }
    return true;
  }
  if (t.map != nullptr) munmap(t.map, t.map_size);
  t.map = nullptr;
  const size_t size = kPage + kLibraryReserve + kGuardZone + device_size;
  void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  auto* base = static_cast<uint8_t*>(p);
  if (mprotect(base + kPage, kLibraryReserve, PROT_READ | PROT_WRITE) != 0 ||
      mprotect(base + kPage + kLibraryReserve + kGuardZone, device_size, PROT_READ | PROT_WRITE) != 0) {
    munmap(p, size);
    return false;
  }
  t.map = base;
  t.map_size = size;
  t.device_size = device_size;
  t.reserve_lo = reinterpret_cast<uintptr_t>(base + kPage);
  t.guard_lo = t.reserve_lo + kLibraryReserve;
  t.guard_hi = t.guard_lo + kGuardZone;
  t.stack_lo = t.guard_hi;
  t.stack_hi = t.stack_lo + device_size;
  t.guard_lowered = 0;
  return true;
}

// ---- the watchdog -------------------------------------------------------------------

struct Watchdog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ThreadState*> watches;
  bool started = false;

  void Add(ThreadState* w) {
    std::lock_guard<std::mutex> lock(mu);
    watches.push_back(w);
    if (!started) {
      started = true;
      std::thread([this] { Run(); }).detach();
    }
  }
  void Remove(ThreadState* w) {
    std::lock_guard<std::mutex> lock(mu);
    watches.erase(std::remove(watches.begin(), watches.end(), w), watches.end());
  }
  void Run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait_for(lock, std::chrono::milliseconds(10));
      const int64_t now = NowNs();
      for (ThreadState* w : watches) {
        const int64_t d = w->deadline_ns.load(std::memory_order_acquire);
        if (d == 0 || now < d) continue;
        // Signalled until it is caught in module code or the call ends
        // (a thread leaves the list, under the lock, before it exits).
        pthread_kill(w->thread, g_watchdog_signal);
      }
    }
  }
};

Watchdog& TheWatchdog() {
  static Watchdog* w = new Watchdog();  // runs for the life of the process
  return *w;
}

ThreadState::~ThreadState() {
  if (watched) TheWatchdog().Remove(this);
  if (map != nullptr) munmap(map, map_size);
  if (altstack != nullptr) {
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, nullptr);
    munmap(altstack, kAltStackSize);
  }
}

// ---- the report --------------------------------------------------------------------

std::string Where(uintptr_t addr) {
  const std::string s = debug::SymbolizeHost(addr);
  return s.empty() ? absl::StrFormat("0x%x", addr) : absl::StrFormat("0x%x %s", addr, s);
}

const char* kRegNames[] = {
#if defined(__x86_64__)
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
    "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "eflags",
#else
    "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
    "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
    "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
#endif
};

std::string Report(Hypervisor::Impl& m, const ThreadState& t, const Fault& f) {
  std::string head;
  const bool data = f.sig == SIGSEGV || f.sig == SIGBUS;
  if (f.kind == FaultKind::kTimeout) {
    head = absl::StrFormat("EL2 exception: runaway code: still running after %u ms (call time limit)",
                           m.opts.call_time_limit_ms);
  } else if (f.kind == FaultKind::kStackOverflow) {
    head = absl::StrFormat(
        "EL2 data abort: hyp stack overflow: %s reached 0x%x, below the %u-byte hyp stack "
        "[0x%x, 0x%x) (guard page)",
        debug::SymbolizeHost(f.pc), f.far, t.device_size, t.stack_lo, t.stack_hi);
  } else if (data && f.far == f.pc) {
    head = absl::StrFormat("EL2 instruction abort: no executable code at 0x%x", f.far);
  } else if (data) {
    const char* access = f.write == 1 ? "write" : f.write == 0 ? "read" : "access";
    const bool mapped = f.sig == SIGSEGV && f.code == SEGV_ACCERR;
    head = absl::StrFormat("EL2 data abort: %s of %s address 0x%x", access,
                           mapped ? "a protected" : "an unmapped", f.far);
    if (const char* mod = ModuleOfText(m, f.far); mod != nullptr)
      absl::StrAppendFormat(&head, ": a store into code (.hyp.text of %s)", mod);
  } else if (f.sig == SIGILL) {
    head = "EL2 undefined instruction";
  } else if (f.sig == SIGTRAP) {
    head = "EL2 BRK: breakpoint trap";
  } else if (f.sig == SIGFPE) {
    head = "EL2 exception: arithmetic fault (SIGFPE: an integer division by zero traps on this "
           "host; on AArch64 it does not)";
  } else {
    head = absl::StrFormat("EL2 exception: signal %d", f.sig);
  }
  std::string out = absl::StrCat(head, "\n  pc ", Where(f.pc));
  // Named in module code; a bare address in the hypervisor (its call into
  // the module), as on the Unicorn backend.
  absl::StrAppend(&out, "\n  lr ",
                  InModuleText(m, f.lr) ? Where(f.lr) : absl::StrFormat("0x%x", f.lr));
  if (data) {
    // (A FAR in module code, e.g. a store into text, is named too.)
    absl::StrAppend(&out, "\n  far ",
                    InModuleText(m, f.far) ? Where(f.far) : absl::StrFormat("0x%x", f.far));
    // A physical address used as a pointer: EL2 reaches RAM through its
    // linear map (hyp_va()), never at the physical address itself.
    if (f.far >= kRamBase && f.far - kRamBase < m.ram_size) {
      const uint8_t* lm = mem::PhysToPtr(m, f.far);
      absl::StrAppendFormat(&out,
                            " (a physical address of RAM used as a pointer: at EL2 it is "
                            "hyp_va(0x%x) = %p)",
                            f.far, lm);
    }
  }
  // Module frames, as the kernel's nVHE call trace has hyp frames only.
  absl::StrAppend(&out, "\n  Call trace:");
  for (int i = 0; i < f.nframes && (i == 0 || InModuleText(m, f.frames[i])); ++i)
    absl::StrAppend(&out, "\n   [<", Where(f.frames[i]), ">]");
  for (int i = 0; i < f.nregs; i += 4) {
    absl::StrAppend(&out, "\n ");
    for (int j = i; j < i + 4 && j < f.nregs; ++j)
      absl::StrAppendFormat(&out, " %-3s %016x", kRegNames[j], f.regs[j]);
  }
  absl::StrAppendFormat(&out, "\n  sp  %016x", f.sp);
  return out;
}

struct Trampoline {
  absl::FunctionRef<void()>* fn;
  bool ok = false;
#ifdef PKVM_ASAN_FIBERS
  const void* caller_bottom = nullptr;
  size_t caller_size = 0;
#endif
};

void OnHypStack(void* arg) {
  auto* c = static_cast<Trampoline*>(arg);
#ifdef PKVM_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(nullptr, &c->caller_bottom, &c->caller_size);
#endif
  c->ok = RunGuarded([&] { (*c->fn)(); });
#ifdef PKVM_ASAN_FIBERS
  __sanitizer_start_switch_fiber(nullptr, c->caller_bottom, c->caller_size);
#endif
}

}  // namespace

bool RunEl2(Hypervisor::Impl& m, int cpu, absl::FunctionRef<void()> fn) {
  InstallHandlers();
  ThreadState& t = ThisThread();
  if (t.depth > 0) {
    // EL2 code called back from an op of EL2 code: same stack, same watch.
    ++t.depth;
    const bool ok = RunGuarded([&] { fn(); });
    --t.depth;
    // A fault is reported by the outermost call, on the caller's stack.
    if (t.pending) PanicUnwind();
    return ok;
  }
  if (!MapStack(t, HypStackSize(m.opts))) {
    m.HypPanic("cannot map the hyp stack (mmap failed)", cpu);
    return false;
  }
  t.depth = 1;
  t.pending = 0;
  if (m.opts.call_time_limit_ms != 0) {
    if (!t.watched) {
      t.thread = pthread_self();
      t.watched = true;
      TheWatchdog().Add(&t);
    }
    t.deadline_ns.store(NowNs() + int64_t{m.opts.call_time_limit_ms} * 1000000,
                        std::memory_order_release);
  }
  Trampoline c{&fn};
#ifdef PKVM_ASAN_FIBERS
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, reinterpret_cast<void*>(t.reserve_lo),
                                 t.stack_hi - t.reserve_lo);
#endif
  pkvm_call_on_stack(&c, &OnHypStack, reinterpret_cast<void*>(t.stack_hi));
#ifdef PKVM_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  t.deadline_ns.store(0, std::memory_order_release);
  t.depth = 0;
  if (t.pending) {
    t.pending = 0;
#ifdef PKVM_ASAN_FIBERS
    // The frames left with longjmp from the signal handler (on the
    // alternate stack, where ASan cannot tell which stack is unwound) may
    // have left redzones poisoned.
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(t.reserve_lo), t.stack_hi - t.reserve_lo);
#endif
    const std::string report = Report(m, t, t.fault);
    if (m.state == MachineState::kPanicked)
      m.Log(absl::StrCat("hyp: a fault while panicking: ", report));
    else
      m.HypPanic(report, cpu);
    return false;
  }
  return c.ok;
}

}  // namespace pkvm::native

// File: lib/backends/unicorn/unicorn_cpu.h
// One AArch64 CPU held at one exception level (EL1 or EL2), emulated by
// Unicorn 2.0.1: the only libpkvm code that talks to Unicorn (the header
// keeps <unicorn/unicorn.h> out of its users). Internal API.
//
// The design follows the measurements in shared/notes/unicorn-2.0.1.md:
//  * the EL is reached once, at creation, with the ERET recipe (Unicorn
//    never performs exception entry and ignores PSTATE.EL writes);
//  * a guest `hvc`/`smc` is caught in the interrupt hook (intno 11/13,
//    PC already past it) and handed to a C++ handler with x0..x17; the
//    guest resumes after the instruction with the registers the handler
//    left -- no exception vectors, no context switch;
//  * host calls: `brk #(0xf000 + n)` runs host function n (pkvm_a64_glue.h);
//    AddTrampoline() writes `brk; ret` stubs into the CPU's own code page,
//    so EL2 code can call C++ through an ordinary function pointer (what
//    pkvm_module_ops members will point at);
//  * Call() runs a guest function with LR = a `brk` sentinel in the code
//    page whose trap stops the run (no `until`: Unicorn would invalidate
//    code at that address after every run), from the host or re-entrantly
//    from a handler; registers move in batches;
//  * guest memory is host memory mapped with uc_mem_map_ptr, so two CPUs (an
//    EL1 one and an EL2 one) can share pages, each at its own address; code
//    written by the host is invalidated explicitly (Unicorn does not notice);
//  * faults (unmapped or protected access, undefined instruction, stray
//    BRK, a host function calling Stop()) end the Call with a CpuFault that
//    has the PC, address, reason and registers -- never a crash.
// The MMU is off: guest addresses are physical and must be below 2^44.
//
//   auto cpu = UnicornCpu::Create({.el = El::kEl2}).value();
//   cpu->Map(0x40000000, page, 4096, kPermRead | kPermExec);
//   cpu->SetHvcHandler([](UnicornCpu&, TrapFrame& f) { f.x[0] = 0; });
//   uint64_t ret = cpu->Call(0x40000000, {1, 2}).value();
#ifndef PKVM_ARCH_AARCH64_UNICORN_CPU_H_
#define PKVM_ARCH_AARCH64_UNICORN_CPU_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pkvm::arm64 {

enum class El : uint8_t { kEl1 = 1, kEl2 = 2 };

// Mapping permissions (the values of UC_PROT_*).
inline constexpr uint32_t kPermRead = 1, kPermWrite = 2, kPermExec = 4;

// Guest-physical addresses the CPU can reach with the MMU off (A72 PARange).
inline constexpr uint64_t kMaxGuestAddress = 1ull << 44;

enum class FaultKind {
  kNone,
  kReadUnmapped,
  kWriteUnmapped,
  kFetchUnmapped,  // includes a branch to nowhere
  kReadProtected,
  kWriteProtected,  // e.g. a store into text
  kFetchProtected,  // executing a non-executable page
  kUndefinedInstruction,  // UDF, unknown or inaccessible system register
  kBreakpoint,            // BRK outside the host-call range (BUG, __builtin_trap)
  kException,             // another exception Unicorn reported (SVC, aborts)
  kNoHandler,             // HVC/SMC/host call nobody handles
  kHostStop,              // a handler or host function called Stop()
  kInstructionLimit,      // CallOptions::max_instructions ran out
  kTimeout,               // CallOptions::timeout_us ran out
  kEngine,                // Unicorn failed otherwise
};
const char* FaultKindName(FaultKind k);

struct CpuFault {
  FaultKind kind = FaultKind::kNone;
  El el = El::kEl1;
  uint64_t pc = 0;       // the faulting instruction
  uint64_t address = 0;  // data or fetch address; the BRK immediate; the intno
  std::string reason;    // "write to read-only address 0x... (store into text?)"
  uint64_t x[31] = {};
  uint64_t sp = 0;
};

// Registers handed to a trap handler or host function. x[] is written back
// when the handler returns; the guest resumes after the trapping instruction.
struct TrapFrame {
  El el = El::kEl1;
  uint64_t pc = 0;   // address of the hvc/smc/brk
  uint16_t imm = 0;  // its immediate
  uint64_t x[18] = {};  // x0..x17 (SMCCC 1.2 uses all of them)
  uint64_t sp = 0;      // stack arguments of variadic host calls start here
};

class UnicornCpu;
using TrapHandler = std::function<void(UnicornCpu& cpu, TrapFrame& frame)>;

struct CpuOptions {
  El el = El::kEl1;
  // The CPU's own pages: [code page (ERET stub, return sentinel,
  // trampolines)][guard page, unmapped][stack]. Must not overlap
  // anything mapped later.
  uint64_t private_base = 0x7ff00000;
  uint64_t stack_size = 64 * 1024;
};

struct CallOptions {
  // 0: unlimited. Otherwise Unicorn counts instructions (a code hook: ~6x
  // slower) and the call fails with kInstructionLimit when they run out.
  // Costly to mix: the first uncounted call after a counted one makes
  // Unicorn 2.0.1 drop all translated code (measured 0.1 to 1.8 s). Give a
  // CPU a budget on every call or on none.
  uint64_t max_instructions = 0;
  // 0: none. Otherwise a timer (about 100 us per call) stops a runaway call.
  uint64_t timeout_us = 0;
  // Arguments after the eighth, at [sp], [sp + 8], ... (AAPCS64).
  std::span<const uint64_t> stack_args;
};

class UnicornCpu {
 public:
  static absl::StatusOr<std::unique_ptr<UnicornCpu>> Create(const CpuOptions& options);
  ~UnicornCpu();
  UnicornCpu(const UnicornCpu&) = delete;
  UnicornCpu& operator=(const UnicornCpu&) = delete;

  El el() const;

  // ---- memory -------------------------------------------------------------
  // Maps `size` bytes of host memory at guest address `addr` (both 4 KiB
  // aligned). The host memory must outlive the mapping. Executable ranges
  // are invalidated in the translation cache.
  absl::Status Map(uint64_t addr, void* host, uint64_t size, uint32_t perms);
  absl::Status Protect(uint64_t addr, uint64_t size, uint32_t perms);
  // Maps `size` bytes at `addr` as device memory: every load and
  // store calls `read`/`write` with the offset in the range and the access
  // size (uc_mmio_map). `backing` (may be null) is what HostPointer() gives
  // for the range. Removed with Unmap().
  using MmioRead = std::function<uint64_t(uint64_t offset, unsigned size)>;
  using MmioWrite = std::function<void(uint64_t offset, uint64_t value, unsigned size)>;
  absl::Status MapMmio(uint64_t addr, uint64_t size, MmioRead read, MmioWrite write,
                       void* backing);
  absl::Status Unmap(uint64_t addr, uint64_t size);
  // Where guest address `addr` is in this process (a Map()ped range or the
  // CPU's own code page and stack); nullptr when nothing is mapped there.
  void* HostPointer(uint64_t addr) const;
  // Called when guest code touches an unmapped address, before that becomes
  // a fault: returning true says the resolver mapped it and the access is
  // retried (how a backend maps pages lazily).
  // Called for unmapped and protected accesses alike; returning false with
  // ResumeAt() called skips the access: the call goes on at that pc.
  using FaultResolver = std::function<bool(uint64_t addr, FaultKind kind)>;
  void SetFaultResolver(FaultResolver resolver);
  // Guest memory access from the host (mapping checked, not permissions).
  bool Read(uint64_t addr, void* out, size_t n);
  bool Write(uint64_t addr, const void* in, size_t n);
  // Drops translated code for [addr, addr+size): needed after the host (or
  // another CPU sharing the memory) wrote instructions there.
  void InvalidateCode(uint64_t addr, uint64_t size);
  // All of it: about 0.1 s in Unicorn 2.0.1; prefer InvalidateCode().
  void InvalidateAllCode();

  // ---- traps ----------------------------------------------------------------
  void SetHvcHandler(TrapHandler handler);
  void SetSmcHandler(TrapHandler handler);
  // Host call `nr` (pkvm_a64_glue.h: PKVM_A64_HOSTCALL_*), reached by
  // `brk #(0xf000 + nr)`; x0 is the result.
  absl::Status SetHostCall(uint32_t nr, TrapHandler fn);
  // A new host call with a stub in the CPU's code page; returns the stub's
  // guest address (a function pointer guest code can call).
  absl::StatusOr<uint64_t> AddTrampoline(TrapHandler fn);
  // Guest code of the CPU's own (e.g. a loop that calls back into guest
  // code without leaving the run), copied into the code page at an 8-byte
  // aligned address, which is returned.
  absl::StatusOr<uint64_t> AddCode(std::span<const uint32_t> words);

  // ---- execution ------------------------------------------------------------
  // Calls the guest function at `addr` with up to 8 arguments (x0..x7) and
  // returns x0. Re-entrant: a handler may Call() again on the same CPU (the
  // interrupted state is saved and restored). A fault is an Aborted status
  // whose message is the fault's reason; details in last_fault().
  absl::StatusOr<uint64_t> Call(uint64_t addr, std::initializer_list<uint64_t> args,
                                const CallOptions& options = {});
  absl::StatusOr<uint64_t> Call(uint64_t addr, std::span<const uint64_t> args,
                                const CallOptions& options = {});
  // The same with the whole SMCCC register file: x0..x17 in, and out when
  // the function returned (what a hypercall moves). One batch each way.
  absl::Status CallWithRegisters(uint64_t addr, std::span<uint64_t, 18> x,
                                 const CallOptions& options = {});
  // From a trap handler or host function: end the current Call with a
  // kHostStop fault carrying `reason` (e.g. a BUG at EL2 -> hyp panic).
  void Stop(std::string reason);
  // From a fault resolver: do not make the faulting access, go on at `pc`
  // (the instruction again, or past it when a handler emulated it).
  void ResumeAt(uint64_t pc);
  // Makes the PC a fault resolver reads the faulting instruction for
  // protection faults too: a memory hook (every access takes the slow path,
  // ~15 % of a loop of hypercalls) and code translated with PC updates, so
  // code translated before from the mapped ranges is dropped -- call it
  // only where no code of this CPU is suspended mid-block (between calls,
  // from a trap handler or a host call, not from a fault resolver), or pass
  // drop_code = false to drop it when the next outermost call starts.
  absl::Status EnablePreciseFaultPc(bool drop_code = true);
  bool precise_fault_pc() const;
  // From any thread: stops the running emulation as soon as possible (a
  // watchdog's way out of a runaway loop). The Call ends with a kEngine
  // fault "stopped before returning" unless a handler recorded another.
  void RequestStop();
  const CpuFault& last_fault() const;

  // ---- debugging and coverage ---------------------------------------------
  // Called before every instruction with its address (a UC_HOOK_CODE over
  // all addresses: several times slower, so only with a debugger attached).
  // The hook may read and write registers and memory and block (a debugger
  // stop); the instruction runs when it returns.
  using InstructionHook = std::function<void(uint64_t pc)>;
  absl::Status SetInstructionHook(InstructionHook hook);
  // Called when a basic block starts, with its address and size in bytes
  // (UC_HOOK_BLOCK: cheap enough for coverage).
  using BlockHook = std::function<void(uint64_t addr, uint32_t size)>;
  absl::Status SetBlockHook(BlockHook hook);

  // x0..x30; 31 = SP; 32 = PC; 33 = PSTATE (NZCV, DAIF, EL, SP).
  // The EL2 exception registers (an EL2 CPU's handlers read them).
  enum class El2Sysreg { kElr = 0, kSpsr, kEsr, kFar, kHpfar };
  uint64_t ReadEl2Sysreg(El2Sysreg r);
  void WriteEl2Sysreg(El2Sysreg r, uint64_t v);
  uint64_t ReadReg(int n);
  void WriteReg(int n, uint64_t v);
  // The address Call() uses as the return address (a `brk` that ends the call).
  uint64_t return_sentinel() const;
  // HVC/SMC traps and host calls handled so far (tests, benchmarks).
  uint64_t traps_handled() const;

  struct Impl;

 private:
  explicit UnicornCpu(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pkvm::arm64

#endif  // PKVM_ARCH_AARCH64_UNICORN_CPU_H_

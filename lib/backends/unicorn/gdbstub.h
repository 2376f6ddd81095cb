// File: lib/backends/unicorn/gdbstub.h
// A GDB remote serial protocol server (docs/debugging.md, "Debugging with
// gdb") for a machine whose CPUs run emulated code: gdb-multiarch connects
// over TCP on 127.0.0.1 and sees every CPU as a thread (the Unicorn backend:
// thread 1 = the EL1 CPU, thread 2 = the EL2 CPU), with AArch64 registers
// (x0-x30, sp, pc, cpsr), memory, software breakpoints, single-step and
// continue. A machine is stopped by blocking in the CPU's instruction hook
// while the debugger is served, so no guest code runs meanwhile and nothing
// else needs locking.
//
// The wire format is lib/debug/gdb_packet.h. The debugger is an outside
// input: a malformed request is answered E01 (or "" when unknown), an
// oversized or garbled packet is refused, and a connection that closes or
// errors leaves the machine running on without a debugger. Internal API.
//
//   auto stub = GdbStub::Listen(0, target).value();   // port 0: any free one
//   ... stub->port() ...
//   stub->Attach(1);               // waits for gdb; serves until it resumes
//   // in the CPU's instruction hook:
//   stub->OnInstruction(thread, pc);
#ifndef PKVM_LIB_BACKENDS_UNICORN_GDBSTUB_H_
#define PKVM_LIB_BACKENDS_UNICORN_GDBSTUB_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "debug/gdb_packet.h"

namespace pkvm {

// What the stub debugs. Threads are numbered 1..threads().
class GdbTarget {
 public:
  // Register numbers of gdb's aarch64 core feature.
  static constexpr int kSp = 31, kPc = 32, kCpsr = 33, kNumRegs = 34;

  virtual ~GdbTarget() = default;
  virtual int threads() const = 0;
  virtual std::string ThreadName(int thread) = 0;
  virtual uint64_t ReadRegister(int thread, int reg) = 0;
  virtual void WriteRegister(int thread, int reg, uint64_t value) = 0;
  // Returns how many bytes from `addr` on could be read (0: none).
  virtual size_t ReadMemory(int thread, uint64_t addr, uint8_t* out, size_t n) = 0;
  virtual bool WriteMemory(int thread, uint64_t addr, const uint8_t* in, size_t n) = 0;
  // `monitor <command>`: the text gdb prints.
  virtual std::string Monitor(const std::string& command) = 0;
  // `kill`: the machine stops for good.
  virtual void Kill() = 0;
};

class GdbStub {
 public:
  static constexpr int kSigTrap = 5, kSigSegv = 11;
  static constexpr size_t kMaxBreakpoints = 256;

  // Listens on 127.0.0.1:`port` (0: a free port; see port()).
  static absl::StatusOr<std::unique_ptr<GdbStub>> Listen(int port, GdbTarget& target);
  // Serves a socket that is already connected (one end of a socketpair in
  // tests). Takes ownership of `fd`.
  static std::unique_ptr<GdbStub> OverFd(int fd, GdbTarget& target);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  int port() const { return port_; }
  // A debugger is connected (it may have detached since: then false).
  bool connected() const { return fd_ >= 0; }
  // Attach() ran: a debugger came (and may have gone).
  bool attached() const { return attached_; }

  // Waits for the debugger to connect, then serves it with the machine
  // stopped on `thread` until it resumes (or goes).
  void Attach(int thread);
  // Before each instruction of `thread`: stops (and serves the debugger)
  // at a breakpoint, at the end of a step, or on ^C.
  void OnInstruction(int thread, uint64_t pc);
  // The machine panicked on `thread`: the report goes to gdb's console, then
  // a SIGSEGV stop. Returns when the debugger resumes.
  void OnPanic(int thread, const std::string& report);
  // The machine is going away: gdb is told the program exited (W00), or was
  // killed by a signal (X0b) when it panicked. The connection closes.
  void OnExit(bool panicked);

 private:
  GdbStub(int listen_fd, int fd, int port, GdbTarget& target);
  // Serves packets until the debugger resumes or disconnects. With
  // `announce`, first sends the stop reply (a resume request is waiting).
  void Serve(int thread, int signal, bool announce);
  // Handles one request; returns true when it resumes the machine.
  bool Handle(const std::string& payload);
  std::string StopReply() const;
  std::string ReadRegisters(int thread);
  bool Send(const std::string& frame);
  void SendPacket(const std::string& payload);
  void Disconnect();
  int Thread(gdb::ThreadId t) const;  // 0/-1 -> the stopped thread

  GdbTarget& target_;
  int listen_fd_ = -1, fd_ = -1, port_ = 0;
  bool attached_ = false;
  bool no_ack_ = false;
  gdb::PacketReader reader_;
  std::string pending_;  // received bytes not yet fed to reader_
  std::string last_reply_;
  std::set<uint64_t> breakpoints_;
  int stop_thread_ = 1, stop_signal_ = kSigTrap;
  int reg_thread_ = 0;   // Hg: registers and memory of this thread (0 = stopped one)
  int step_thread_ = 0;  // resumed with a step of this thread (0: continue)
  bool interrupted_ = false;
  uint32_t poll_countdown_ = 0;
};

}  // namespace pkvm

#endif  // PKVM_LIB_BACKENDS_UNICORN_GDBSTUB_H_

// File: lib/backends/unicorn/gdbstub.cc -- see gdbstub.h.
#include "backends/unicorn/gdbstub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pkvm {
namespace {

using gdb::Request;

// gdb's aarch64 core feature: what its aarch64 target needs to accept a
// remote target (no FP/SIMD registers: EL2 code is built -mgeneral-regs-only).
std::string TargetXml() {
  std::string regs;
  for (int i = 0; i < 31; ++i) absl::StrAppendFormat(&regs, "<reg name=\"x%d\" bitsize=\"64\"/>", i);
  return absl::StrCat(
      "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
      "<target version=\"1.0\"><architecture>aarch64</architecture>"
      "<feature name=\"org.gnu.gdb.aarch64.core\">",
      regs,
      "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>"
      "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>"
      "<reg name=\"cpsr\" bitsize=\"32\"/></feature></target>");
}

int RegSize(int reg) { return reg == GdbTarget::kCpsr ? 4 : 8; }

// How often (in instructions) a running machine looks for a ^C.
constexpr uint32_t kPollInterval = 4096;

}  // namespace

GdbStub::GdbStub(int listen_fd, int fd, int port, GdbTarget& target)
    : target_(target), listen_fd_(listen_fd), fd_(fd), port_(port) {}

GdbStub::~GdbStub() {
  Disconnect();
  if (listen_fd_ >= 0) close(listen_fd_);
}

absl::StatusOr<std::unique_ptr<GdbStub>> GdbStub::Listen(int port, GdbTarget& target) {
  if (port < 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("bad port ", port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrFormat("gdb stub: cannot listen on 127.0.0.1:%d: %s", port, strerror(e)));
  }
  return std::unique_ptr<GdbStub>(new GdbStub(fd, -1, ntohs(a.sin_port), target));
}

std::unique_ptr<GdbStub> GdbStub::OverFd(int fd, GdbTarget& target) {
  return std::unique_ptr<GdbStub>(new GdbStub(-1, fd, 0, target));
}

void GdbStub::Disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  // Without a debugger nothing may stop the machine.
  breakpoints_.clear();
  step_thread_ = 0;
  pending_.clear();
  reader_ = gdb::PacketReader();
}

bool GdbStub::Send(const std::string& bytes) {
  size_t off = 0;
  while (fd_ >= 0 && off < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Disconnect();
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

void GdbStub::SendPacket(const std::string& payload) {
  last_reply_ = gdb::Frame(payload);
  Send(last_reply_);
}

int GdbStub::Thread(gdb::ThreadId t) const {
  return t <= 0 || t > target_.threads() ? stop_thread_ : static_cast<int>(t);
}

std::string GdbStub::StopReply() const {
  return absl::StrFormat("T%02xthread:%x;", stop_signal_, stop_thread_);
}

std::string GdbStub::ReadRegisters(int thread) {
  std::string out;
  for (int r = 0; r < GdbTarget::kNumRegs; ++r)
    out += gdb::HexLe(target_.ReadRegister(thread, r), RegSize(r));
  return out;
}

void GdbStub::Attach(int thread) {
  if (attached_) return;
  attached_ = true;
  if (fd_ < 0 && listen_fd_ >= 0) {
    int fd;
    do fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    close(listen_fd_);  // one debugger per machine
    listen_fd_ = -1;
    if (fd < 0) return;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
  }
  Serve(thread, kSigTrap, /*announce=*/false);
}

void GdbStub::OnInstruction(int thread, uint64_t pc) {
  if (fd_ < 0) return;
  bool stop = step_thread_ == thread || breakpoints_.count(pc) != 0;
  if (!stop && ++poll_countdown_ >= kPollInterval) {
    // Running: only a ^C (or the connection closing) matters; it may have
    // come with the request that resumed the machine.
    poll_countdown_ = 0;
    pollfd p{fd_, POLLIN, 0};
    if (pending_.empty() && poll(&p, 1, 0) > 0) {
      char buf[256];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return Disconnect();
      pending_.assign(buf, static_cast<size_t>(n));
    }
    for (char c : pending_) {
      auto ev = reader_.Feed(c);
      if (ev && ev->kind == gdb::WireEvent::kInterrupt) stop = true;
    }
    pending_.clear();
  }
  if (stop) Serve(thread, kSigTrap, /*announce=*/true);
}

void GdbStub::OnPanic(int thread, const std::string& report) {
  if (fd_ < 0) return;
  // Console output, in pieces that fit a packet.
  const std::string text = absl::StrCat("hyp panic: ", report, "\n");
  for (size_t i = 0; i < text.size() && fd_ >= 0; i += gdb::kMaxPacket / 2 - 1)
    SendPacket(absl::StrCat("O", gdb::HexEncode(text.substr(i, gdb::kMaxPacket / 2 - 1))));
  Serve(thread, kSigSegv, /*announce=*/true);
}

void GdbStub::OnExit(bool panicked) {
  if (fd_ < 0) return;
  SendPacket(panicked ? absl::StrFormat("X%02x", kSigSegv) : "W00");
  Disconnect();
}

void GdbStub::Serve(int thread, int signal, bool announce) {
  stop_thread_ = thread;
  stop_signal_ = signal;
  reg_thread_ = 0;
  step_thread_ = 0;
  poll_countdown_ = 0;
  if (announce) SendPacket(StopReply());
  while (fd_ >= 0) {
    if (pending_.empty()) {
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Disconnect();
      pending_.assign(buf, static_cast<size_t>(n));
    }
    size_t used = 0;
    bool resumed = false;
    while (used < pending_.size() && !resumed && fd_ >= 0) {
      auto ev = reader_.Feed(pending_[used++]);
      if (!ev) continue;
      switch (ev->kind) {
        case gdb::WireEvent::kPacket:
          if (!no_ack_) Send("+");
          resumed = Handle(ev->payload);
          break;
        case gdb::WireEvent::kBadChecksum:
          Send("-");
          break;
        case gdb::WireEvent::kOverflow:
          // Longer than the PacketSize we offered: not a debugger speaking.
          Disconnect();
          break;
        case gdb::WireEvent::kNack:
          Send(last_reply_);
          break;
        case gdb::WireEvent::kInterrupt:  // already stopped
        case gdb::WireEvent::kAck:
          break;
      }
    }
    if (fd_ >= 0) pending_.erase(0, used);
    if (resumed) return;
  }
}

bool GdbStub::Handle(const std::string& payload) {
  const Request q = gdb::ParseRequest(payload);
  const int rt = reg_thread_ != 0 ? reg_thread_ : stop_thread_;
  switch (q.kind) {
    case Request::kUnknown:
      SendPacket("");
      return false;
    case Request::kMalformed:
      SendPacket("E01");
      return false;
    case Request::kSupported:
      SendPacket(absl::StrFormat("PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+",
                                 gdb::kMaxPacket));
      return false;
    case Request::kStartNoAck:
      SendPacket("OK");
      no_ack_ = true;
      return false;
    case Request::kXferFeatures: {
      if (q.annex != "target.xml") {
        SendPacket("E00");
        return false;
      }
      const std::string xml = TargetXml();
      const size_t off = std::min<uint64_t>(q.addr, xml.size());
      const size_t len = std::min<uint64_t>(q.length, gdb::kMaxPacket / 2);
      const std::string part = xml.substr(off, len);
      SendPacket(absl::StrCat(off + part.size() < xml.size() ? "m" : "l", part));
      return false;
    }
    case Request::kXferLibraries:
      SendPacket("");
      return false;
    case Request::kThreadInfoFirst: {
      std::string list = "m";
      for (int t = 1; t <= target_.threads(); ++t) absl::StrAppendFormat(&list, "%s%x", t > 1 ? "," : "", t);
      SendPacket(list);
      return false;
    }
    case Request::kThreadInfoNext:
      SendPacket("l");
      return false;
    case Request::kCurrentThread:
      SendPacket(absl::StrFormat("QC%x", stop_thread_));
      return false;
    case Request::kAttached:
      SendPacket("1");
      return false;
    case Request::kThreadExtraInfo:
      if (q.thread < 1 || q.thread > target_.threads()) {
        SendPacket("E01");
      } else {
        SendPacket(gdb::HexEncode(target_.ThreadName(static_cast<int>(q.thread))));
      }
      return false;
    case Request::kMonitor: {
      const std::string out = target_.Monitor(q.data);
      SendPacket(out.empty() ? "OK" : gdb::HexEncode(out.substr(0, gdb::kMaxPacket / 2)));
      return false;
    }
    case Request::kStopReason:
      SendPacket(StopReply());
      return false;
    case Request::kReadRegisters:
      SendPacket(ReadRegisters(rt));
      return false;
    case Request::kWriteRegisters: {
      if (q.data.size() != 33 * 8 + 4) {
        SendPacket("E01");
        return false;
      }
      for (int r = 0, off = 0; r < GdbTarget::kNumRegs; off += RegSize(r), ++r) {
        uint64_t v = 0;
        for (int i = 0; i < RegSize(r); ++i)
          v |= uint64_t{static_cast<unsigned char>(q.data[static_cast<size_t>(off + i)])} << (8 * i);
        target_.WriteRegister(rt, r, v);
      }
      SendPacket("OK");
      return false;
    }
    case Request::kReadRegister:
      if (q.reg >= GdbTarget::kNumRegs) {
        SendPacket("E01");
      } else {
        SendPacket(gdb::HexLe(target_.ReadRegister(rt, q.reg), RegSize(q.reg)));
      }
      return false;
    case Request::kWriteRegister: {
      if (q.reg >= GdbTarget::kNumRegs || q.data.size() != static_cast<size_t>(RegSize(q.reg))) {
        SendPacket("E01");
        return false;
      }
      uint64_t v = 0;
      for (size_t i = 0; i < q.data.size(); ++i)
        v |= uint64_t{static_cast<unsigned char>(q.data[i])} << (8 * i);
      target_.WriteRegister(rt, q.reg, v);
      SendPacket("OK");
      return false;
    }
    case Request::kReadMemory: {
      std::vector<uint8_t> buf(std::min<uint64_t>(q.length, gdb::kMaxPacket / 2));
      const size_t got = buf.empty() ? 0 : target_.ReadMemory(rt, q.addr, buf.data(), buf.size());
      if (got == 0 && !buf.empty()) {
        SendPacket("E01");
      } else {
        SendPacket(gdb::HexEncode(std::string(reinterpret_cast<const char*>(buf.data()), got)));
      }
      return false;
    }
    case Request::kWriteMemory:
      SendPacket(q.data.empty() ||
                         target_.WriteMemory(rt, q.addr, reinterpret_cast<const uint8_t*>(q.data.data()),
                                             q.data.size())
                     ? "OK"
                     : "E01");
      return false;
    case Request::kSetThread:
      if (q.thread > target_.threads()) {
        SendPacket("E01");
        return false;
      }
      if (q.op == 'g') reg_thread_ = q.thread > 0 ? static_cast<int>(q.thread) : 0;
      SendPacket("OK");
      return false;
    case Request::kThreadAlive:
      SendPacket(q.thread >= 1 && q.thread <= target_.threads() ? "OK" : "E01");
      return false;
    case Request::kInsertBreakpoint:
    case Request::kRemoveBreakpoint:
      if (q.type > 1) {  // watchpoints: not offered
        SendPacket("");
        return false;
      }
      if (q.kind == Request::kRemoveBreakpoint) {
        breakpoints_.erase(q.addr);
      } else if (breakpoints_.size() >= kMaxBreakpoints) {
        SendPacket("E01");
        return false;
      } else {
        breakpoints_.insert(q.addr);
      }
      SendPacket("OK");
      return false;
    case Request::kContinue:
    case Request::kStep:
      if (q.has_addr) target_.WriteRegister(stop_thread_, GdbTarget::kPc, q.addr);
      step_thread_ = q.kind == Request::kStep ? stop_thread_ : 0;
      return true;
    case Request::kVContQuery:
      SendPacket("vCont;c;C;s;S");
      return false;
    case Request::kVCont:
      step_thread_ = 0;
      for (const Request::Action& a : q.actions) {
        if (a.action != 's') continue;
        step_thread_ = Thread(a.thread);
        break;
      }
      return true;
    case Request::kKill:
      Disconnect();
      target_.Kill();
      return true;
    case Request::kDetach:
      SendPacket("OK");
      Disconnect();
      return true;
  }
  return false;
}

}  // namespace pkvm

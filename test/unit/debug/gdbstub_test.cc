// File: test/unit/debug/gdbstub_test.cc
// The gdb stub against a scripted client over a socketpair: a fake two-CPU
// target "runs" instructions on one thread while the test speaks the
// protocol on the other, as gdb would.
#include "backends/unicorn/gdbstub.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "debug/gdb_packet.h"

namespace pkvm {
namespace {

class FakeTarget : public GdbTarget {
 public:
  FakeTarget() {
    for (int t = 1; t <= 2; ++t)
      for (int r = 0; r < kNumRegs; ++r) regs[t][r] = t * 0x100 + r;
  }
  int threads() const override { return 2; }
  std::string ThreadName(int thread) override { return thread == 2 ? "EL2 CPU" : "EL1 CPU"; }
  uint64_t ReadRegister(int thread, int reg) override { return regs[thread][reg]; }
  void WriteRegister(int thread, int reg, uint64_t value) override { regs[thread][reg] = value; }
  size_t ReadMemory(int, uint64_t addr, uint8_t* out, size_t n) override {
    if (addr < kBase || addr >= kBase + sizeof mem) return 0;
    const size_t k = std::min<size_t>(n, kBase + sizeof mem - addr);
    std::memcpy(out, mem + (addr - kBase), k);
    return k;
  }
  bool WriteMemory(int, uint64_t addr, const uint8_t* in, size_t n) override {
    if (addr < kBase || addr + n > kBase + sizeof mem) return false;
    std::memcpy(mem + (addr - kBase), in, n);
    return true;
  }
  std::string Monitor(const std::string& command) override { return "ran " + command + "\n"; }
  void Kill() override { killed = true; }

  static constexpr uint64_t kBase = 0x1000;
  uint64_t regs[3][kNumRegs] = {};
  uint8_t mem[64] = {1, 2, 3, 4};
  bool killed = false;
};

// gdb's side of the connection.
class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}
  ~Client() { close(fd_); }
  // (The stub may have hung up: no SIGPIPE, the test reads the EOF.)
  void SendRaw(const std::string& bytes) { (void)send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // The next packet from the stub (acked); "<eof>" when the stub closed.
  std::string Next() {
    char c;
    while (read(fd_, &c, 1) == 1) {
      auto ev = reader_.Feed(c);
      if (!ev || ev->kind != gdb::WireEvent::kPacket) continue;
      SendRaw("+");
      return ev->payload;
    }
    return "<eof>";
  }
  std::string Ask(const std::string& payload) {
    SendRaw(gdb::Frame(payload));
    return Next();
  }

 private:
  int fd_;
  gdb::PacketReader reader_;
};

struct Session {
  FakeTarget target;
  std::unique_ptr<GdbStub> stub;
  std::unique_ptr<Client> client;
  Session() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    stub = GdbStub::OverFd(sv[0], target);
    client = std::make_unique<Client>(sv[1]);
  }
};

TEST(GdbStub, BreakStepPanicAndExit) {
  Session s;
  std::thread machine([&] {
    s.stub->Attach(1);
    for (uint64_t pc = 0x1000; pc < 0x1010; pc += 4) {
      s.target.regs[2][GdbTarget::kPc] = pc;
      s.stub->OnInstruction(2, pc);
    }
    s.stub->OnPanic(2, "EL2 data abort: boom");
    s.stub->OnExit(true);
  });
  Client& c = *s.client;
  EXPECT_EQ(c.Ask("?"), "T05thread:1;");
  EXPECT_NE(c.Ask("qSupported:swbreak+").find("PacketSize=1000"), std::string::npos);
  EXPECT_EQ(c.Ask("qfThreadInfo"), "m1,2");
  EXPECT_EQ(c.Ask("qsThreadInfo"), "l");
  EXPECT_EQ(c.Ask("qC"), "QC1");
  EXPECT_EQ(c.Ask("qThreadExtraInfo,2"), gdb::HexEncode("EL2 CPU"));
  const std::string xml = c.Ask("qXfer:features:read:target.xml:0,ffb");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("org.gnu.gdb.aarch64.core"), std::string::npos);
  EXPECT_NE(xml.find("<reg name=\"cpsr\" bitsize=\"32\"/>"), std::string::npos);
  // g: x0..x30, sp, pc as 8 bytes, cpsr as 4, little-endian.
  const std::string g = c.Ask("g");
  ASSERT_EQ(g.size(), 33u * 16 + 8);
  EXPECT_EQ(g.substr(0, 16), gdb::HexLe(0x100, 8));
  EXPECT_EQ(g.substr(32 * 16, 16), gdb::HexLe(0x120, 8));  // pc of thread 1
  EXPECT_EQ(g.substr(33 * 16), gdb::HexLe(0x121, 4));
  EXPECT_EQ(c.Ask("Hg2"), "OK");
  EXPECT_EQ(c.Ask("p1"), gdb::HexLe(0x201, 8));
  EXPECT_EQ(c.Ask("P1=efbeadde00000000"), "OK");
  EXPECT_EQ(s.target.regs[2][1], 0xdeadbeefu);
  EXPECT_EQ(c.Ask("p99"), "E01");
  EXPECT_EQ(c.Ask("Hg9"), "E01");
  EXPECT_EQ(c.Ask("m1000,4"), "01020304");
  EXPECT_EQ(c.Ask("m103e,8"), "0000");  // a partial read: what there is
  EXPECT_EQ(c.Ask("m0,4"), "E01");
  EXPECT_EQ(c.Ask("M1002,2:abcd"), "OK");
  EXPECT_EQ(s.target.mem[2], 0xab);
  EXPECT_EQ(c.Ask("M0,1:00"), "E01");
  EXPECT_EQ(c.Ask("m1,"), "E01");
  EXPECT_EQ(c.Ask("vMustReplyEmpty"), "");
  EXPECT_EQ(c.Ask("qRcmd,6d6f64756c6573"), gdb::HexEncode("ran modules\n"));
  EXPECT_EQ(c.Ask("Z2,1000,4"), "");  // watchpoints are not offered
  // Break at 0x1008 on the EL2 CPU, then one step, then the panic.
  EXPECT_EQ(c.Ask("Z0,1008,4"), "OK");
  EXPECT_EQ(c.Ask("vCont;c"), "T05thread:2;");
  EXPECT_EQ(c.Ask("p20"), gdb::HexLe(0x1008, 8));  // Hg is reset by a stop
  EXPECT_EQ(c.Ask("z0,1008,4"), "OK");
  EXPECT_EQ(c.Ask("vCont;s:2;c"), "T05thread:2;");
  EXPECT_EQ(c.Ask("p20"), gdb::HexLe(0x100c, 8));
  // Continue: the panic report as console output, then a SIGSEGV stop.
  c.SendRaw(gdb::Frame("c"));
  std::string console;
  std::string reply;
  while ((reply = c.Next())[0] == 'O') console += gdb::HexDecode(reply.substr(1)).value();
  EXPECT_EQ(console, "hyp panic: EL2 data abort: boom\n");
  EXPECT_EQ(reply, "T0bthread:2;");
  EXPECT_EQ(c.Ask("c"), "X0b");
  EXPECT_EQ(c.Next(), "<eof>");
  machine.join();
  EXPECT_FALSE(s.target.killed);
}

// ^C while the machine runs: it stops within a poll interval; after a
// detach it runs on (the loop only ends when the test says so).
TEST(GdbStub, InterruptStopsARunningMachine) {
  Session s;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> executed{0};
  std::thread machine([&] {
    s.stub->Attach(1);
    for (uint64_t pc = 0; !done.load(); pc = (pc + 4) & 0xffff) {
      s.target.regs[1][GdbTarget::kPc] = pc;
      s.stub->OnInstruction(1, pc);
      ++executed;
    }
  });
  Client& c = *s.client;
  EXPECT_EQ(c.Ask("?"), "T05thread:1;");
  c.SendRaw(gdb::Frame("c"));
  c.SendRaw("\x03");
  EXPECT_EQ(c.Next(), "T05thread:1;");
  const uint64_t stopped_at = executed.load();
  EXPECT_EQ(c.Ask("D"), "OK");
  while (executed.load() < stopped_at + 100000) std::this_thread::yield();  // runs on
  done = true;
  machine.join();
}

TEST(GdbStub, NoAckModeAndKill) {
  Session s;
  std::thread machine([&] { s.stub->Attach(1); });
  Client& c = *s.client;
  EXPECT_EQ(c.Ask("QStartNoAckMode"), "OK");
  // From now on no '+' comes back; replies still do.
  EXPECT_EQ(c.Ask("?"), "T05thread:1;");
  c.SendRaw(gdb::Frame("k"));
  EXPECT_EQ(c.Next(), "<eof>");
  machine.join();
  EXPECT_TRUE(s.target.killed);
  EXPECT_FALSE(s.stub->connected());
}

TEST(GdbStub, HostileInputNeverStopsTheMachine) {
  Session s;
  std::thread machine([&] {
    s.stub->Attach(1);
    // The debugger is gone: breakpoints are forgotten, nothing stops.
    for (uint64_t pc = 0x1000; pc < 0x1000 + 4 * 10000; pc += 4) s.stub->OnInstruction(1, pc);
    s.stub->OnPanic(1, "after");
    s.stub->OnExit(false);
  });
  Client& c = *s.client;
  EXPECT_EQ(c.Ask("Z0,1004,4"), "OK");
  c.SendRaw("garbage\x01\x02$bad#zz");
  EXPECT_EQ(c.Ask("?"), "T05thread:1;");
  // A packet longer than the PacketSize offered: the stub hangs up.
  c.SendRaw(gdb::Frame(std::string(gdb::kMaxPacket + 1, 'm')));
  EXPECT_EQ(c.Next(), "<eof>");
  machine.join();
  EXPECT_FALSE(s.stub->connected());
}

TEST(GdbStub, BreakpointsAreBounded) {
  Session s;
  std::thread machine([&] { s.stub->Attach(1); });
  Client& c = *s.client;
  for (size_t i = 0; i < GdbStub::kMaxBreakpoints; ++i)
    ASSERT_EQ(c.Ask(absl::StrFormat("Z0,%x,4", 0x1000 + i)), "OK");
  EXPECT_EQ(c.Ask("Z0,ffff0,4"), "E01");
  EXPECT_EQ(c.Ask("D"), "OK");
  machine.join();
  EXPECT_FALSE(s.stub->connected());
}

TEST(GdbStub, ListensOnLoopback) {
  FakeTarget t;
  auto stub = GdbStub::Listen(0, t);
  ASSERT_TRUE(stub.ok()) << stub.status();
  EXPECT_GT((*stub)->port(), 0);
  EXPECT_FALSE(GdbStub::Listen(70000, t).ok());
}

}  // namespace
}  // namespace pkvm

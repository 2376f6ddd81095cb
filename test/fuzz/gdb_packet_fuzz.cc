// File: test/fuzz/gdb_packet_fuzz.cc
// Fuzz target for the gdb stub's input: the bytes a debugger sends go
// through the packet reader, every packet through ParseRequest, and the
// whole stream through a GdbStub serving a fake target over a socketpair.
// Whatever arrives, the stub answers or hangs up -- no crash, no hang, no
// unbounded buffer (ASan/UBSan builds run this in ctest).
//
// Two ways to run it:
//  * libFuzzer (clang, -DPKVM_LIBFUZZER=ON): gdb_packet_fuzz -max_total_time=60 DIR
//  * as a plain program (every build): each seed file (a recorded gdb
//    session) and with --mutate=N also N deterministic mutations of each --
//    byte flips, truncations, spliced packets with correct checksums.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/unicorn/gdbstub.h"
#include "debug/gdb_packet.h"
#include "seed_driver.h"

namespace {

using pkvm::GdbTarget;

struct Stats {
  uint64_t inputs = 0, packets = 0;
} stats;

class FakeTarget : public GdbTarget {
 public:
  int threads() const override { return 2; }
  std::string ThreadName(int) override { return "cpu"; }
  uint64_t ReadRegister(int thread, int reg) override { return regs[thread & 3][reg % kNumRegs]; }
  void WriteRegister(int thread, int reg, uint64_t v) override { regs[thread & 3][reg % kNumRegs] = v; }
  size_t ReadMemory(int, uint64_t addr, uint8_t* out, size_t n) override {
    if (addr >= sizeof mem) return 0;
    const size_t k = std::min<size_t>(n, sizeof mem - addr);
    std::memcpy(out, mem + addr, k);
    return k;
  }
  bool WriteMemory(int, uint64_t addr, const uint8_t* in, size_t n) override {
    if (addr >= sizeof mem || n > sizeof mem - addr) return false;
    std::memcpy(mem + addr, in, n);
    return true;
  }
  std::string Monitor(const std::string& c) override { return c; }
  void Kill() override {}
  uint64_t regs[4][kNumRegs] = {};
  uint8_t mem[256] = {};
};

void RunOne(const uint8_t* data, size_t size) {
  ++stats.inputs;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  pkvm::gdb::PacketReader reader;
  for (char c : bytes) {
    auto ev = reader.Feed(c);
    if (!ev) continue;
    if (ev->payload.size() > pkvm::gdb::kMaxPacket) std::abort();  // the bound
    if (ev->kind == pkvm::gdb::WireEvent::kPacket) {
      ++stats.packets;
      (void)pkvm::gdb::ParseRequest(ev->payload);
    }
  }
  // The stub itself: the machine runs a few instructions (stopping where the
  // input says) while the input is written and the connection then closed.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  FakeTarget target;
  auto stub = pkvm::GdbStub::OverFd(sv[0], target);
  std::thread machine([&] {
    stub->Attach(1);
    for (uint64_t pc = 0; pc < 64; pc += 4) stub->OnInstruction(1 + (pc & 4) / 4, pc);
    stub->OnPanic(2, "fuzz");
    stub->OnExit(true);
  });
  // Write in a thread too: the stub's replies must be drained meanwhile.
  std::thread writer([&] {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = send(sv[1], bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    shutdown(sv[1], SHUT_WR);  // EOF: the stub lets the machine run on
  });
  char buf[4096];
  while (read(sv[1], buf, sizeof buf) > 0) {
  }
  writer.join();
  machine.join();
  close(sv[1]);
}

void Mutate(const std::vector<uint8_t>& seed, int rounds, uint64_t salt) {
  static const char* kPackets[] = {"g", "G00", "p20", "P20=00", "m0,ffffffff", "M0,1:00", "X0,1:}",
                                   "Z0,4,4", "z0,4,4", "c", "s", "vCont;s:2;c", "vCont;c",
                                   "Hg2", "Hc-1", "T2", "qRcmd,", "qXfer:features:read:target.xml:ffff,ffff",
                                   "?", "D", "qC", "qfThreadInfo", "QStartNoAckMode"};
  std::mt19937_64 rng(0x9db ^ salt);
  for (int i = 0; i < rounds; ++i) {
    std::string b(seed.begin(), seed.end());
    switch (rng() % 4) {
      case 0:  // flip bytes
        for (int k = 0; k < 4 && !b.empty(); ++k) b[rng() % b.size()] = static_cast<char>(rng());
        break;
      case 1:  // truncate
        if (!b.empty()) b.resize(rng() % b.size());
        break;
      case 2: {  // splice in a well-formed packet, argument bytes mangled
        std::string p = kPackets[rng() % std::size(kPackets)];
        if (!p.empty() && rng() % 2) p[rng() % p.size()] = "0123456789abcdef,:;-}"[rng() % 21];
        b.insert(b.empty() ? 0 : rng() % b.size(), pkvm::gdb::Frame(p));
        break;
      }
      default:  // a ^C in the middle, or a long run of one byte
        b.insert(b.empty() ? 0 : rng() % b.size(), rng() % 2 ? std::string("\x03") : std::string(rng() % 6000, '$'));
        break;
    }
    RunOne(reinterpret_cast<const uint8_t*>(b.data()), b.size());
  }
}

}  // namespace

#ifdef PKVM_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RunOne(data, size);
  return 0;
}
#else
int main(int argc, char** argv) {
  const int rc = pkvm::fuzz::RunSeeds(argc, argv, "gdb_packet_fuzz", RunOne, Mutate);
  if (rc != 0) return rc;
  std::printf("gdb_packet_fuzz: %llu inputs, %llu well-formed packets\n",
              static_cast<unsigned long long>(stats.inputs), static_cast<unsigned long long>(stats.packets));
  return stats.packets == 0 ? 1 : 0;  // the seeds must reach the parser
}
#endif

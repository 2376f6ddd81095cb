// File: lib/debug/gdb_packet.h
// The GDB remote serial protocol's wire format, as pure functions: framing
// ($payload#cs, acks, ^C), escaping, and the decoding of the requests a
// debugger sends into a Request. No I/O and no machine state, so the fuzz
// target (test/fuzz/gdb_packet_fuzz.cc) and unit tests drive it directly.
// Every buffer is bounded: a packet longer than kMaxPacket is dropped whole
// and reported as an overflow as soon as it is too long, never grown. Internal API.
//
//   gdb::PacketReader r;
//   for (char c : bytes) if (auto ev = r.Feed(c)) { ... ev->kind, ev->payload ... }
//   gdb::Request q = gdb::ParseRequest("m40001000,10");  // q.kind == kReadMemory
//   std::string wire = gdb::Frame("OK");                  // "$OK#9a"
#ifndef PKVM_LIB_DEBUG_GDB_PACKET_H_
#define PKVM_LIB_DEBUG_GDB_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pkvm::gdb {

// The largest payload accepted (and offered as PacketSize): enough for a
// whole register file or a 2 KiB memory read in hex.
inline constexpr size_t kMaxPacket = 4096;

struct WireEvent {
  enum Kind {
    kPacket,       // a well-formed packet: ack it with '+', then handle `payload`
    kBadChecksum,  // answer '-' (the debugger sends it again)
    kOverflow,     // longer than kMaxPacket (said at its first byte too many): close
    kInterrupt,    // ^C outside a packet: stop the target
    kAck,          // '+'
    kNack,         // '-': send the last reply again
  } kind;
  std::string payload;  // kPacket: the bytes between '$' and '#', escapes kept
};

// Splits a byte stream into events. Bytes outside a packet other than '+',
// '-' and ^C are ignored (as gdb's own stubs do).
class PacketReader {
 public:
  std::optional<WireEvent> Feed(char c);

 private:
  enum class State { kIdle, kBody, kCsum1, kCsum2 } state_ = State::kIdle;
  std::string body_;
  uint8_t sum_ = 0;
  int csum_ = 0;
};

// "$<payload with $ # } * escaped>#<checksum>".
std::string Frame(std::string_view payload);
// The binary data of an X packet: "}x" is x ^ 0x20. nullopt for a trailing '}'.
std::optional<std::string> Unescape(std::string_view data);

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
// A hex number of at most 16 digits; nullopt for an empty, too long or non-hex string.
std::optional<uint64_t> ParseHex(std::string_view s);
// Little-endian hex of `n` bytes of `v` (registers in 'g'/'p' replies).
std::string HexLe(uint64_t v, int n);
std::optional<uint64_t> ParseHexLe(std::string_view s);

// A thread id of H/T/vCont: -1 = all, 0 = any, else the thread.
using ThreadId = int64_t;

struct Request {
  enum Kind {
    kUnknown,         // answer "" (not supported)
    kMalformed,       // a known request with bad arguments: answer E01
    kSupported,       // qSupported
    kXferFeatures,    // qXfer:features:read:<annex>:<offset>,<length>
    kXferLibraries,   // qXfer:libraries:read::<offset>,<length>
    kThreadInfoFirst, // qfThreadInfo
    kThreadInfoNext,  // qsThreadInfo
    kCurrentThread,   // qC
    kAttached,        // qAttached
    kThreadExtraInfo, // qThreadExtraInfo,<thread>
    kMonitor,         // qRcmd,<hex command>: `text`
    kStartNoAck,      // QStartNoAckMode
    kStopReason,      // ?
    kReadRegisters,   // g
    kWriteRegisters,  // G<hex>: `data`
    kReadRegister,    // p<n>: `reg`
    kWriteRegister,   // P<n>=<hex>: `reg`, `data`
    kReadMemory,      // m<addr>,<len>
    kWriteMemory,     // M<addr>,<len>:<hex> and X<addr>,<len>:<binary>: `data`
    kSetThread,       // H<op><thread>: `op` ('g' or 'c'), `thread`
    kThreadAlive,     // T<thread>
    kInsertBreakpoint,  // Z<type>,<addr>,<kind>: `type`
    kRemoveBreakpoint,  // z<type>,<addr>,<kind>
    kContinue,        // c[addr]
    kStep,            // s[addr]
    kVContQuery,      // vCont?
    kVCont,           // vCont;<action>[:thread]...: `actions`
    kKill,            // k, vKill
    kDetach,          // D
  } kind = kUnknown;
  uint64_t addr = 0, length = 0;  // memory, Xfer offset/length, breakpoint address
  bool has_addr = false;          // c/s with a resume address
  int reg = 0;
  int type = 0;
  char op = 0;
  ThreadId thread = 0;
  std::string annex;  // qXfer annex
  std::string data;   // decoded bytes (G, P, M, X) or the monitor command text
  struct Action {
    char action = 0;       // 'c' or 's' (C/S: the signal is ignored)
    ThreadId thread = -1;  // -1: every thread without its own action
  };
  std::vector<Action> actions;
};

// Decodes one packet payload. Never fails: bad input is kMalformed or kUnknown.
Request ParseRequest(std::string_view payload);

}  // namespace pkvm::gdb

#endif  // PKVM_LIB_DEBUG_GDB_PACKET_H_

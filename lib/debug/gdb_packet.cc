// File: lib/debug/gdb_packet.cc -- see gdb_packet.h.
#include "debug/gdb_packet.h"

#include <cstdio>

namespace pkvm::gdb {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "<addr>,<len>" (the rest after the length, from `sep`, goes to *rest).
bool ParseAddrLen(std::string_view s, char sep, uint64_t* addr, uint64_t* len,
                  std::string_view* rest) {
  const size_t comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  const size_t end = sep != 0 ? s.find(sep, comma + 1) : s.size();
  if (end == std::string_view::npos) return false;
  auto a = ParseHex(s.substr(0, comma));
  auto l = ParseHex(s.substr(comma + 1, end - comma - 1));
  if (!a || !l) return false;
  *addr = *a;
  *len = *l;
  if (rest != nullptr) *rest = end < s.size() ? s.substr(end + 1) : std::string_view();
  return true;
}

// A thread id: "-1", "0" or hex; the multiprocess form "p<pid>.<tid>" is
// reduced to its tid.
std::optional<ThreadId> ParseThread(std::string_view s) {
  if (!s.empty() && s[0] == 'p') {
    const size_t dot = s.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    s = s.substr(dot + 1);
  }
  if (s == "-1") return -1;
  auto v = ParseHex(s);
  if (!v || *v > 0x7fffffff) return std::nullopt;
  return static_cast<ThreadId>(*v);
}

Request Malformed() {
  Request r;
  r.kind = Request::kMalformed;
  return r;
}

}  // namespace

std::optional<WireEvent> PacketReader::Feed(char c) {
  switch (state_) {
    case State::kIdle:
      if (c == '$') {
        state_ = State::kBody;
        body_.clear();
        sum_ = 0;
        return std::nullopt;
      }
      if (c == '+') return WireEvent{WireEvent::kAck, {}};
      if (c == '-') return WireEvent{WireEvent::kNack, {}};
      if (c == '\x03') return WireEvent{WireEvent::kInterrupt, {}};
      return std::nullopt;
    case State::kBody:
      if (c == '#') {
        state_ = State::kCsum1;
        return std::nullopt;
      }
      if (c == '$') {  // a new packet without the old one's end: start over
        body_.clear();
        sum_ = 0;
        return std::nullopt;
      }
      sum_ = static_cast<uint8_t>(sum_ + static_cast<uint8_t>(c));
      if (body_.size() == kMaxPacket) {
        // Said at once, not at the '#' that may never come.
        state_ = State::kIdle;
        body_.clear();
        return WireEvent{WireEvent::kOverflow, {}};
      }
      body_.push_back(c);
      return std::nullopt;
    case State::kCsum1:
      csum_ = HexDigit(c);
      state_ = State::kCsum2;
      if (csum_ < 0) csum_ = 0x1000;  // poisoned: never matches
      return std::nullopt;
    case State::kCsum2: {
      state_ = State::kIdle;
      const int lo = HexDigit(c);
      if (lo < 0 || csum_ * 16 + lo != sum_) return WireEvent{WireEvent::kBadChecksum, {}};
      WireEvent ev{WireEvent::kPacket, std::move(body_)};
      body_.clear();
      return ev;
    }
  }
  return std::nullopt;
}

std::string Frame(std::string_view payload) {
  std::string out = "$";
  uint8_t sum = 0;
  for (char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out.push_back('}');
      sum = static_cast<uint8_t>(sum + '}');
      c = static_cast<char>(c ^ 0x20);
    }
    out.push_back(c);
    sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  }
  char tail[4];
  std::snprintf(tail, sizeof tail, "#%02x", sum);
  return out + tail;
}

std::optional<std::string> Unescape(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '}') {
      out.push_back(data[i]);
      continue;
    }
    if (++i == data.size()) return std::nullopt;
    out.push_back(static_cast<char>(data[i] ^ 0x20));
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::optional<uint64_t> ParseHex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    const int d = HexDigit(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::string HexLe(uint64_t v, int n) {
  std::string bytes;
  for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(v >> (8 * i)));
  return HexEncode(bytes);
}

std::optional<uint64_t> ParseHexLe(std::string_view s) {
  auto bytes = HexDecode(s);
  if (!bytes || bytes->empty() || bytes->size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < bytes->size(); ++i)
    v |= uint64_t{static_cast<unsigned char>((*bytes)[i])} << (8 * i);
  return v;
}

Request ParseRequest(std::string_view p) {
  Request r;
  if (p.empty()) return r;
  const std::string_view args = p.substr(1);
  switch (p[0]) {
    case '?':
      r.kind = Request::kStopReason;
      return r;
    case 'g':
      r.kind = args.empty() ? Request::kReadRegisters : Request::kMalformed;
      return r;
    case 'G': {
      auto bytes = HexDecode(args);
      if (!bytes) return Malformed();
      r.kind = Request::kWriteRegisters;
      r.data = std::move(*bytes);
      return r;
    }
    case 'p': {
      auto n = ParseHex(args);
      if (!n || *n > 0xffff) return Malformed();
      r.kind = Request::kReadRegister;
      r.reg = static_cast<int>(*n);
      return r;
    }
    case 'P': {
      const size_t eq = args.find('=');
      if (eq == std::string_view::npos) return Malformed();
      auto n = ParseHex(args.substr(0, eq));
      auto bytes = HexDecode(args.substr(eq + 1));
      if (!n || *n > 0xffff || !bytes) return Malformed();
      r.kind = Request::kWriteRegister;
      r.reg = static_cast<int>(*n);
      r.data = std::move(*bytes);
      return r;
    }
    case 'm':
      if (!ParseAddrLen(args, 0, &r.addr, &r.length, nullptr)) return Malformed();
      r.kind = Request::kReadMemory;
      return r;
    case 'M':
    case 'X': {
      std::string_view rest;
      if (!ParseAddrLen(args, ':', &r.addr, &r.length, &rest)) return Malformed();
      auto bytes = p[0] == 'M' ? HexDecode(rest) : Unescape(rest);
      if (!bytes || bytes->size() != r.length) return Malformed();
      r.kind = Request::kWriteMemory;
      r.data = std::move(*bytes);
      return r;
    }
    case 'H': {
      if (args.empty() || (args[0] != 'g' && args[0] != 'c')) return Malformed();
      auto t = ParseThread(args.substr(1));
      if (!t) return Malformed();
      r.kind = Request::kSetThread;
      r.op = args[0];
      r.thread = *t;
      return r;
    }
    case 'T': {
      auto t = ParseThread(args);
      if (!t) return Malformed();
      r.kind = Request::kThreadAlive;
      r.thread = *t;
      return r;
    }
    case 'Z':
    case 'z': {
      // <type>,<addr>,<kind>[;cond...]: conditions are not offered, so not parsed.
      const size_t c1 = args.find(',');
      if (c1 == std::string_view::npos) return Malformed();
      auto type = ParseHex(args.substr(0, c1));
      std::string_view rest = args.substr(c1 + 1);
      const size_t semi = rest.find(';');
      if (semi != std::string_view::npos) rest = rest.substr(0, semi);
      uint64_t kind = 0;
      if (!type || *type > 4 || !ParseAddrLen(rest, 0, &r.addr, &kind, nullptr)) return Malformed();
      r.kind = p[0] == 'Z' ? Request::kInsertBreakpoint : Request::kRemoveBreakpoint;
      r.type = static_cast<int>(*type);
      r.length = kind;
      return r;
    }
    case 'c':
    case 's': {
      if (!args.empty()) {
        auto a = ParseHex(args);
        if (!a) return Malformed();
        r.addr = *a;
        r.has_addr = true;
      }
      r.kind = p[0] == 'c' ? Request::kContinue : Request::kStep;
      return r;
    }
    case 'k':
      r.kind = Request::kKill;
      return r;
    case 'D':
      r.kind = Request::kDetach;
      return r;
    default:
      break;
  }
  if (p == "qSupported" || StartsWith(p, "qSupported:")) {
    r.kind = Request::kSupported;
  } else if (p == "qfThreadInfo") {
    r.kind = Request::kThreadInfoFirst;
  } else if (p == "qsThreadInfo") {
    r.kind = Request::kThreadInfoNext;
  } else if (p == "qC") {
    r.kind = Request::kCurrentThread;
  } else if (p == "qAttached" || StartsWith(p, "qAttached:")) {
    r.kind = Request::kAttached;
  } else if (StartsWith(p, "qThreadExtraInfo,")) {
    auto t = ParseThread(p.substr(17));
    if (!t) return Malformed();
    r.kind = Request::kThreadExtraInfo;
    r.thread = *t;
  } else if (p == "QStartNoAckMode") {
    r.kind = Request::kStartNoAck;
  } else if (StartsWith(p, "qRcmd,")) {
    auto text = HexDecode(p.substr(6));
    if (!text) return Malformed();
    r.kind = Request::kMonitor;
    r.data = std::move(*text);
  } else if (StartsWith(p, "qXfer:features:read:") || StartsWith(p, "qXfer:libraries:read:")) {
    const bool features = StartsWith(p, "qXfer:features:");
    std::string_view rest = p.substr(features ? 20 : 21);
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return Malformed();
    r.annex = std::string(rest.substr(0, colon));
    if (!ParseAddrLen(rest.substr(colon + 1), 0, &r.addr, &r.length, nullptr)) return Malformed();
    r.kind = features ? Request::kXferFeatures : Request::kXferLibraries;
  } else if (p == "vCont?") {
    r.kind = Request::kVContQuery;
  } else if (StartsWith(p, "vCont;")) {
    std::string_view rest = p.substr(6);
    while (true) {
      const size_t semi = rest.find(';');
      std::string_view item = rest.substr(0, semi);
      if (item.empty()) return Malformed();
      Request::Action a;
      const char act = item[0];
      size_t next = 1;
      if (act == 'C' || act == 'S') {  // a signal number follows
        while (next < item.size() && item[next] != ':') ++next;
      } else if (act != 'c' && act != 's') {
        return Malformed();  // t, r (range stepping): not offered in vCont?
      }
      a.action = act == 'C' ? 'c' : act == 'S' ? 's' : act;
      if (next < item.size()) {
        if (item[next] != ':') return Malformed();
        auto t = ParseThread(item.substr(next + 1));
        if (!t) return Malformed();
        a.thread = *t;
      }
      if (r.actions.size() >= 16) return Malformed();
      r.actions.push_back(a);
      if (semi == std::string_view::npos) break;
      rest = rest.substr(semi + 1);
    }
    r.kind = Request::kVCont;
  } else if (p == "vKill" || StartsWith(p, "vKill;")) {
    r.kind = Request::kKill;
  }
  return r;
}

}  // namespace pkvm::gdb

// File: test/unit/debug/gdb_packet_test.cc -- the GDB remote protocol wire format.
#include "debug/gdb_packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pkvm::gdb {
namespace {

std::vector<WireEvent> FeedAll(PacketReader& r, const std::string& bytes) {
  std::vector<WireEvent> out;
  for (char c : bytes)
    if (auto ev = r.Feed(c)) out.push_back(*ev);
  return out;
}

TEST(GdbPacket, FrameAndReadBack) {
  EXPECT_EQ(Frame("OK"), "$OK#9a");
  // '$', '#', '}' and '*' are escaped as '}' + (c ^ 0x20), and counted escaped.
  const std::string framed = Frame("a$b#c}d*");
  EXPECT_EQ(framed.substr(0, 13), "$a}\x04" "b}\x03" "c}]d}\x0a");
  PacketReader r;
  auto evs = FeedAll(r, framed);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, WireEvent::kPacket);
  EXPECT_EQ(Unescape(evs[0].payload).value(), "a$b#c}d*");
}

TEST(GdbPacket, AcksInterruptsAndBadChecksums) {
  PacketReader r;
  auto evs = FeedAll(r, "+-\x03junk$g#00$g#67");
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_EQ(evs[0].kind, WireEvent::kAck);
  EXPECT_EQ(evs[1].kind, WireEvent::kNack);
  EXPECT_EQ(evs[2].kind, WireEvent::kInterrupt);
  EXPECT_EQ(evs[3].kind, WireEvent::kBadChecksum);
  EXPECT_EQ(evs[4].kind, WireEvent::kPacket);
  EXPECT_EQ(evs[4].payload, "g");
  // A non-hex checksum digit never matches.
  EXPECT_EQ(FeedAll(r, "$g#6z")[0].kind, WireEvent::kBadChecksum);
}

TEST(GdbPacket, OversizedPacketIsDroppedWhole) {
  PacketReader r;
  // Reported at its first byte too many: a packet that never ends cannot hold the reader.
  std::vector<WireEvent> evs = FeedAll(r, "$" + std::string(kMaxPacket, 'a'));
  EXPECT_TRUE(evs.empty());
  ASSERT_EQ(r.Feed('a')->kind, WireEvent::kOverflow);
  // The rest of it is ignored up to the next packet.
  evs = FeedAll(r, std::string(100, 'a') + "#00" + Frame("?"));
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kind, WireEvent::kPacket);
  EXPECT_EQ(evs[0].payload, "?");
}

TEST(GdbPacket, Hex) {
  EXPECT_EQ(HexEncode(std::string("\x01\xab", 2)), "01ab");
  EXPECT_EQ(HexDecode("01AB").value(), std::string("\x01\xab", 2));
  EXPECT_FALSE(HexDecode("1").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_EQ(ParseHex("ffffffffffffffff").value(), ~0ull);
  EXPECT_FALSE(ParseHex("10000000000000000").has_value());  // 17 digits
  EXPECT_FALSE(ParseHex("").has_value());
  EXPECT_EQ(HexLe(0x1122334455667788, 8), "8877665544332211");
  EXPECT_EQ(HexLe(0x60000005, 4), "05000060");
  EXPECT_EQ(ParseHexLe("8877665544332211").value(), 0x1122334455667788u);
  EXPECT_FALSE(ParseHexLe("001122334455667788").has_value());  // 9 bytes
}

TEST(GdbPacket, Requests) {
  Request q = ParseRequest("m80000000020,4");
  EXPECT_EQ(q.kind, Request::kReadMemory);
  EXPECT_EQ(q.addr, 0x80000000020u);
  EXPECT_EQ(q.length, 4u);

  q = ParseRequest("M1000,2:beef");
  EXPECT_EQ(q.kind, Request::kWriteMemory);
  EXPECT_EQ(q.data, "\xbe\xef");
  EXPECT_EQ(ParseRequest("M1000,3:beef").kind, Request::kMalformed);  // length mismatch
  q = ParseRequest("X1000,2:}\x03" "a");
  EXPECT_EQ(q.kind, Request::kWriteMemory);
  EXPECT_EQ(q.data, "#a");

  q = ParseRequest("P20=2000000000080000");
  EXPECT_EQ(q.kind, Request::kWriteRegister);
  EXPECT_EQ(q.reg, 32);
  EXPECT_EQ(q.data.size(), 8u);
  EXPECT_EQ(ParseRequest("p21").reg, 33);

  q = ParseRequest("Z0,80000000020,4");
  EXPECT_EQ(q.kind, Request::kInsertBreakpoint);
  EXPECT_EQ(q.type, 0);
  EXPECT_EQ(q.addr, 0x80000000020u);
  EXPECT_EQ(ParseRequest("z1,10,4;X1,0").kind, Request::kRemoveBreakpoint);
  EXPECT_EQ(ParseRequest("Z9,10,4").kind, Request::kMalformed);

  q = ParseRequest("Hg2");
  EXPECT_EQ(q.kind, Request::kSetThread);
  EXPECT_EQ(q.op, 'g');
  EXPECT_EQ(q.thread, 2);
  EXPECT_EQ(ParseRequest("Hc-1").thread, -1);
  EXPECT_EQ(ParseRequest("Hgp1.2").thread, 2);
  EXPECT_EQ(ParseRequest("Hx1").kind, Request::kMalformed);

  q = ParseRequest("vCont;s:2;c");
  ASSERT_EQ(q.kind, Request::kVCont);
  ASSERT_EQ(q.actions.size(), 2u);
  EXPECT_EQ(q.actions[0].action, 's');
  EXPECT_EQ(q.actions[0].thread, 2);
  EXPECT_EQ(q.actions[1].action, 'c');
  EXPECT_EQ(q.actions[1].thread, -1);
  EXPECT_EQ(ParseRequest("vCont;C0b:1").actions[0].action, 'c');
  EXPECT_EQ(ParseRequest("vCont;r1,2").kind, Request::kMalformed);
  EXPECT_EQ(ParseRequest("vCont;").kind, Request::kMalformed);

  q = ParseRequest("qXfer:features:read:target.xml:0,ffb");
  EXPECT_EQ(q.kind, Request::kXferFeatures);
  EXPECT_EQ(q.annex, "target.xml");
  EXPECT_EQ(q.length, 0xffbu);
  q = ParseRequest("qRcmd,6d6f64756c6573");
  EXPECT_EQ(q.kind, Request::kMonitor);
  EXPECT_EQ(q.data, "modules");
  EXPECT_EQ(ParseRequest("qRcmd,6").kind, Request::kMalformed);

  EXPECT_EQ(ParseRequest("qSupported:multiprocess+;swbreak+").kind, Request::kSupported);
  EXPECT_EQ(ParseRequest("c").kind, Request::kContinue);
  q = ParseRequest("s4000");
  EXPECT_EQ(q.kind, Request::kStep);
  EXPECT_TRUE(q.has_addr);
  EXPECT_EQ(ParseRequest("cxyz").kind, Request::kMalformed);
  EXPECT_EQ(ParseRequest("vKill;1").kind, Request::kKill);
  EXPECT_EQ(ParseRequest("qThreadExtraInfo,2").thread, 2);
  EXPECT_EQ(ParseRequest("vMustReplyEmpty").kind, Request::kUnknown);
  EXPECT_EQ(ParseRequest("").kind, Request::kUnknown);
  EXPECT_EQ(ParseRequest("m1,").kind, Request::kMalformed);
  EXPECT_EQ(ParseRequest("gx").kind, Request::kMalformed);
}

}  // namespace
}  // namespace pkvm::gdb

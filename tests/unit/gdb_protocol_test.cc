// SPDX-License-Identifier: MIT
// gdb remote protocol framing: checksums, acks, NAK and resend, no-ack mode, interrupts, garbage,
// chunking, RLE and binary escapes. kGdbSession is the byte stream a real gdb 13.1 sent to a stub
// advertising our qSupported features (target remote, info registers, x/2gx, a 4-byte store of
// "$#}*" as an X packet, break, watch, continue, stepi, reverse-stepi, reverse-continue,
// monitor info checkpoints, detach).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "debug/protocol.h"

namespace rwd::gdb {
namespace {

constexpr std::string_view kGdbSession =
    "+"
    "$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
    "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;"
    "xmlRegisters=i386#77+"
    "$vMustReplyEmpty#3a+$QStartNoAckMode#b0+$Hg0#df$qXfer:features:read:target.xml:0,1000#0c"
    "$qXfer:features:read:target.xml:1000,1000#9d$qXfer:features:read:target.xml:2000,1000#9e"
    "$qTStatus#49$?#3f$qfThreadInfo#bb$qsThreadInfo#c8$qAttached#8f$Hc-1#09$g#67"
    "$qfThreadInfo#bb$qsThreadInfo#c8$m1000,1#8b$m1000,1#8b$m1000,8#92$m1008,8#9a$X2000,0:#b0"
    "$X2000,4:}\x04"
    "}\x03"
    "}]}\n#16$g#67$m1000,1#8b$m1000,1#8b$m1010,1#8c$m3000,4#90"
    "$m3000,4#90$m3000,4#90$Z0,1010,1#d5$Z2,3000,4#db$vCont?#49$vCont;c#a8$g#67"
    "$qfThreadInfo#bb$qsThreadInfo#c8$z0,1010,1#f5$z2,3000,4#fb$m1010,1#8c$m1010,1#8c"
    "$m3000,4#90$Z2,3000,4#db$vCont;s:1#23$g#67$m1011,1#8d$m1011,1#8d$qfThreadInfo#bb"
    "$qsThreadInfo#c8$z2,3000,4#fb$m1011,1#8d$m1011,1#8d$m3000,4#90$Z0,1010,1#d5$Z2,3000,4#db"
    "$Hc0#db$bs#d5$g#67$qfThreadInfo#bb$qsThreadInfo#c8$z0,1010,1#f5$z2,3000,4#fb$m1010,1#8c"
    "$m1010,1#8c$m3000,4#90$Z0,1010,1#d5$Z2,3000,4#db$bc#c5$g#67$qfThreadInfo#bb"
    "$qsThreadInfo#c8$z0,1010,1#f5$z2,3000,4#fb$m1000,1#8b$m1000,1#8b"
    "$qRcmd,696e666f20636865636b706f696e7473#bc$D#44";

std::vector<FrameEvent> drain(PacketReader& reader) {
  std::vector<FrameEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  return events;
}

std::vector<FrameEvent> feed(PacketReader& reader, std::string_view bytes) {
  reader.feed(bytes);
  return drain(reader);
}

std::vector<FrameEventKind> kinds(const std::vector<FrameEvent>& events) {
  std::vector<FrameEventKind> out;
  for (const FrameEvent& e : events) out.push_back(e.kind);
  return out;
}

TEST(GdbProtocolFraming, ChecksumsOfRealPackets) {
  EXPECT_EQ(checksum("g"), 0x67);
  EXPECT_EQ(frame_packet("g"), "$g#67");
  EXPECT_EQ(frame_packet("OK"), "$OK#9a");
  EXPECT_EQ(frame_packet(""), "$#00");
  EXPECT_EQ(frame_packet("QStartNoAckMode"), "$QStartNoAckMode#b0");
  EXPECT_EQ(frame_packet("vMustReplyEmpty"), "$vMustReplyEmpty#3a");
}

TEST(GdbProtocolFraming, PacketAndAcks) {
  PacketReader reader;
  auto events = feed(reader, "+$g#67-");
  ASSERT_EQ(kinds(events),
            (std::vector{FrameEventKind::kAck, FrameEventKind::kPacket, FrameEventKind::kNak}));
  EXPECT_EQ(events[1].payload, "g");
  EXPECT_EQ(reader.ack_for(events[0]), "");
  EXPECT_EQ(reader.ack_for(events[1]), "+");
}

TEST(GdbProtocolFraming, UppercaseChecksumAccepted) {
  PacketReader reader;
  auto events = feed(reader, "$QStartNoAckMode#B0");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kPacket);
}

TEST(GdbProtocolFraming, BadChecksumNaksAndTheResendIsAccepted) {
  PacketReader reader;
  auto events = feed(reader, "$g#66");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kSendNak);
  EXPECT_EQ(reader.ack_for(events[0]), "-");
  events = feed(reader, "$g#67");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kPacket);
  EXPECT_EQ(events[0].payload, "g");
  // Non-hex checksum characters fail the same way.
  events = feed(reader, "$g#zz");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kSendNak);
}

TEST(GdbProtocolFraming, WriterKeepsLastFrameForNak) {
  PacketWriter writer;
  EXPECT_EQ(writer.frame("OK"), "$OK#9a");
  PacketReader reader;
  auto events = feed(reader, "-");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kNak);
  EXPECT_EQ(writer.last_frame(), "$OK#9a");
}

TEST(GdbProtocolFraming, NoAckModeHandshake) {
  PacketReader reader;
  auto events = feed(reader, "$QStartNoAckMode#b0");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(reader.ack_for(events[0]), "+");  // the request itself is still acked
  EXPECT_TRUE(std::holds_alternative<StartNoAckMode>(parse_request(events[0].payload)));
  reader.set_no_ack(true);          // after sending $OK#9a
  events = feed(reader, "+$g#67");  // gdb acks our OK, then stops acking
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(reader.ack_for(events[1]), "");
  // No retransmission in no-ack mode, so a bad checksum is not NAKed (as gdbserver does).
  events = feed(reader, "$g#00");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kPacket);
  EXPECT_EQ(events[0].payload, "g");
}

TEST(GdbProtocolFraming, InterruptOutsidePacketsOnly) {
  PacketReader reader;
  auto events = feed(reader, "\x03");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kInterrupt);
  // Inside an X packet 0x03 is data.
  std::string x = frame_packet(std::string("X10,1:\x03", 7));
  events = feed(reader, x);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].kind, FrameEventKind::kPacket);
  Request request = parse_request(events[0].payload);
  auto* write = std::get_if<WriteMemory>(&request);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->data, std::vector<uint8_t>{3});
}

TEST(GdbProtocolFraming, GarbageAndRestartedPacketsAreSkipped) {
  PacketReader reader;
  auto events = feed(reader, "junk\r\n#12$m10$g#67xyz$?#3f");
  ASSERT_EQ(kinds(events), (std::vector{FrameEventKind::kPacket, FrameEventKind::kPacket}));
  EXPECT_EQ(events[0].payload, "g");  // "$m10" was cut short by the next '$'
  EXPECT_EQ(events[1].payload, "?");
}

TEST(GdbProtocolFraming, RealSessionInOneChunkAndByteByByte) {
  PacketReader whole;
  auto events = feed(whole, kGdbSession);
  PacketReader bytewise;
  std::vector<FrameEvent> split;
  for (char c : kGdbSession) {
    bytewise.feed(std::string_view(&c, 1));
    for (auto& e : drain(bytewise)) split.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), split.size());
  size_t packets = 0;
  for (size_t i = 0; i < events.size(); i++) {
    EXPECT_EQ(events[i].kind, split[i].kind);
    EXPECT_EQ(events[i].payload, split[i].payload);
    ASSERT_TRUE(events[i].kind == FrameEventKind::kPacket ||
                events[i].kind == FrameEventKind::kAck);
    if (events[i].kind != FrameEventKind::kPacket) continue;
    packets++;
    Request request = parse_request(events[i].payload);
    EXPECT_FALSE(std::holds_alternative<Malformed>(request)) << events[i].payload;
    EXPECT_FALSE(std::holds_alternative<Unsupported>(request)) << events[i].payload;
  }
  EXPECT_EQ(packets, 76u);
  EXPECT_EQ(events[1].payload.substr(0, 11), "qSupported:");
  EXPECT_EQ(events.back().payload, "D");
}

TEST(GdbProtocolFraming, EscapedBinaryFromRealX) {
  // gdb's X packet for the bytes 24 23 7d 2a ('$' '#' '}' '*').
  std::vector<uint8_t> bytes = {0x24, 0x23, 0x7d, 0x2a};
  EXPECT_EQ(escape_binary(bytes), "}\x04}\x03}]}\n");
  Request request = parse_request("X2000,4:}\x04}\x03}]}\n");
  auto* write = std::get_if<WriteMemory>(&request);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->address, 0x2000u);
  EXPECT_EQ(write->data, bytes);
  std::vector<uint8_t> out;
  EXPECT_FALSE(unescape_binary("ab}", out));  // dangling escape
}

TEST(GdbProtocolFraming, RleDecode) {
  std::string out;
  ASSERT_TRUE(rle_decode("0* ", out));  // the manual's example: four zeros
  EXPECT_EQ(out, "0000");
  ASSERT_TRUE(rle_decode("x0*\"y", out));
  EXPECT_EQ(out, "x000000y");
  EXPECT_FALSE(rle_decode("*!", out));           // nothing to repeat
  EXPECT_FALSE(rle_decode("0*", out));           // no count
  EXPECT_FALSE(rle_decode("0*\x1d", out));       // count 0
  EXPECT_FALSE(rle_decode("0*~0*~", out, 100));  // expands past the cap
  PacketReader reader;
  auto events = feed(reader, frame_packet("0* "));  // raw RLE on the wire
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "0000");
}

TEST(GdbProtocolFraming, RleEncodeAvoidsHashAndDollar) {
  // The table from the gdb-patches thread clarifying the manual's RLE example.
  EXPECT_EQ(rle_encode("000"), "000");
  EXPECT_EQ(rle_encode("0000"), "0* ");
  EXPECT_EQ(rle_encode("00000"), "0*!");
  EXPECT_EQ(rle_encode("000000"), "0*\"");
  EXPECT_EQ(rle_encode("0000000"), "0*\"0");
  EXPECT_EQ(rle_encode("00000000"), "0*\"00");
  EXPECT_EQ(rle_encode("000000000"), "0*%");
  for (size_t n : {1, 5, 97, 98, 99, 200, 1000}) {
    std::string text = "ab" + std::string(n, 'c') + "d";
    std::string encoded = rle_encode(text);
    EXPECT_EQ(encoded.find_first_of("#$"), std::string::npos);
    std::string decoded;
    ASSERT_TRUE(rle_decode(encoded, decoded));
    EXPECT_EQ(decoded, text);
    PacketWriter writer;
    writer.set_rle(true);
    PacketReader reader;
    auto events = feed(reader, writer.frame(text));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].payload, text);
  }
}

TEST(GdbProtocolFraming, OversizedPacketIsAnErrorAndTheStreamRecovers) {
  std::string huge = frame_packet(std::string(kMaxPacketBytes + 10, 'a'));
  PacketReader reader;
  auto events = feed(reader, huge + "$g#67");
  ASSERT_EQ(kinds(events), (std::vector{FrameEventKind::kBadPacket, FrameEventKind::kPacket}));
  EXPECT_EQ(reader.ack_for(events[0]), "+");
  EXPECT_EQ(events[1].payload, "g");
  // A small frame whose RLE would expand past the cap is rejected too.
  std::string bomb = "a";
  for (int i = 0; i < 700; i++) bomb += "*~";
  events = feed(reader, frame_packet(bomb));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, FrameEventKind::kBadPacket);
}

}  // namespace
}  // namespace rwd::gdb

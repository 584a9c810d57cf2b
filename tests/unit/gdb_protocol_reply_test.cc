// SPDX-License-Identifier: MIT
// gdb remote protocol: reply payloads, hex helpers, qXfer chunking, and the x86-64 register table
// and target description, which real gdb must load with the same numbers and g-packet offsets.
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debug/protocol.h"
#include "debug/protocol_target.h"

namespace rwd::gdb {
namespace {

TEST(GdbProtocolReply, HexHelpers) {
  EXPECT_EQ(to_hex(std::vector<uint8_t>{0x00, 0xab, 0x7f}), "00ab7f");
  EXPECT_EQ(hex_le(0x1234, 4), "34120000");
  EXPECT_EQ(hex_le(0x0102030405060708, 10), "08070605040302010000");
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(from_hex("ABcd", bytes));
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0xab, 0xcd}));
  EXPECT_FALSE(from_hex("abc", bytes));
  EXPECT_FALSE(from_hex("0x", bytes));
  uint64_t value = 0;
  EXPECT_TRUE(parse_hex_u64("ffffffffffffffff", value));
  EXPECT_EQ(value, ~uint64_t{0});
  EXPECT_TRUE(parse_hex_u64("000000000000000000001", value));  // leading zeros are not overflow
  EXPECT_EQ(value, 1u);
  EXPECT_FALSE(parse_hex_u64("10000000000000000", value));
  EXPECT_FALSE(parse_hex_u64("", value));
  EXPECT_FALSE(parse_hex_u64("-1", value));
  EXPECT_FALSE(parse_hex_u64(" 1", value));
  EXPECT_EQ(format_hex(0), "0");
  EXPECT_EQ(format_hex(0xffffffff81000000), "ffffffff81000000");
}

TEST(GdbProtocolReply, SimpleReplies) {
  EXPECT_EQ(format_error(1), "E01");
  EXPECT_EQ(format_exited(0), "W00");
  EXPECT_EQ(format_terminated(9), "X09");
  EXPECT_EQ(format_current_thread({0, 1}), "QC01");
  std::vector<ThreadId> threads = {{0, 1}, {0, 2}, {0, 0x1a}};
  EXPECT_EQ(format_thread_list(threads), "m01,02,1a");
  EXPECT_EQ(format_thread_list({}), "l");
  EXPECT_EQ(format_thread_id({0, ThreadId::kAll}), "-1");
  EXPECT_EQ(format_thread_id({1, 2}), "p01.02");
  EXPECT_EQ(format_console_output("hello\n"), "O68656c6c6f0a");
  EXPECT_EQ(format_supported(default_supported_features()),
            "PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+;"
            "ReverseStep+;ReverseContinue+;vContSupported+");
  EXPECT_EQ(format_resume_actions(false), "vCont;c;C;s;S;t");
  EXPECT_EQ(format_resume_actions(true), "vCont;c;C;s;S;t;r");
}

TEST(GdbProtocolReply, StopReplies) {
  StopReply stop;
  stop.thread = ThreadId{0, 1};
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;");
  stop.reason = StopReason::kSwBreak;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;swbreak:;");
  stop.reason = StopReason::kHwBreak;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;hwbreak:;");
  stop.watch_address = 0x3000;
  stop.reason = StopReason::kWatch;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;watch:3000;");
  stop.reason = StopReason::kReadWatch;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;rwatch:3000;");
  stop.reason = StopReason::kAccessWatch;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;awatch:3000;");
  stop.reason = StopReason::kReplayBegin;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;replaylog:begin;");
  stop.reason = StopReason::kReplayEnd;
  EXPECT_EQ(format_stop_reply(stop), "T05thread:01;replaylog:end;");
  StopReply with_registers;
  with_registers.signal = 2;  // after an interrupt
  with_registers.thread = ThreadId{0, 2};
  with_registers.registers.push_back({reg::kRip, {0x00, 0x10, 0, 0, 0, 0, 0, 0}});
  with_registers.registers.push_back({reg::kRsp, {0xf0, 0xff, 0, 0, 0, 0, 0, 0}});
  EXPECT_EQ(format_stop_reply(with_registers),
            "T0210:0010000000000000;07:f0ff000000000000;thread:02;");
  EXPECT_EQ(format_stop_reply(StopReply{}), "T05");
}

TEST(GdbProtocolReply, XferChunking) {
  std::string doc = "abcdefghij";
  EXPECT_EQ(format_xfer_chunk(doc, 0, 4), "mabcd");
  EXPECT_EQ(format_xfer_chunk(doc, 4, 4), "mefgh");
  EXPECT_EQ(format_xfer_chunk(doc, 8, 4), "lij");
  EXPECT_EQ(format_xfer_chunk(doc, 6, 4), "lghij");  // ends exactly at the end
  EXPECT_EQ(format_xfer_chunk(doc, 10, 4), "l");
  EXPECT_EQ(format_xfer_chunk(doc, ~uint64_t{0}, ~uint64_t{0}), "l");
  EXPECT_EQ(format_xfer_chunk(doc, 2, ~uint64_t{0}), "lcdefghij");
  EXPECT_EQ(format_xfer_chunk("a$b}", 0, 100),
            "la}\x04"
            "b}]");  // binary-escaped
  // gdb's reads of 0x1000 at a time reassemble the target description.
  std::string xml = target_xml(), joined;
  for (uint64_t offset = 0;; offset += 0x1000) {
    std::string chunk = format_xfer_chunk(xml, offset, 0x1000);
    std::vector<uint8_t> data;
    ASSERT_TRUE(unescape_binary(std::string_view(chunk).substr(1), data));
    joined.append(data.begin(), data.end());
    if (chunk[0] == 'l') break;
    ASSERT_EQ(chunk[0], 'm');
  }
  EXPECT_EQ(joined, xml);
}

TEST(GdbProtocolTarget, RegisterTable) {
  auto regs = x86_64_registers();
  ASSERT_EQ(regs.size(), size_t(reg::kCount));
  uint32_t offset = 0;
  for (size_t i = 0; i < regs.size(); i++) {
    EXPECT_EQ(regs[i].regnum, i);
    EXPECT_EQ(regs[i].offset, offset) << regs[i].name;
    EXPECT_EQ(find_register(regs[i].name), &regs[i]);
    EXPECT_EQ(find_register(uint32_t(i)), &regs[i]);
    offset += regs[i].size();
  }
  EXPECT_EQ(register_packet_size(), offset);
  EXPECT_EQ(register_packet_size(), 608u);
  EXPECT_EQ(find_register("rip")->regnum, 16u);
  EXPECT_EQ(find_register("rbx")->regnum, 1u);  // gdb order, not the x86 encoding order
  EXPECT_EQ(find_register("st0")->size(), 10u);
  EXPECT_EQ(find_register("xmm0")->regnum, 40u);
  EXPECT_EQ(find_register("fs_base")->regnum, 57u);
  EXPECT_EQ(find_register("k_gs_base")->regnum, 65u);
  EXPECT_EQ(find_register(reg::kCount), nullptr);
  EXPECT_EQ(find_register("orig_rax"), nullptr);
}

TEST(GdbProtocolTarget, XmlNamesEveryRegister) {
  std::string xml = target_xml();
  EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
  for (auto feature : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments",
                       "org.rewind.x86.system"})
    EXPECT_NE(xml.find("<feature name=\"" + std::string(feature) + "\">"), std::string::npos);
  for (const RegisterInfo& info : x86_64_registers()) {
    std::string tag = "<reg name=\"" + std::string(info.name) + "\" bitsize=\"" +
                      std::to_string(info.bitsize) + "\"";
    EXPECT_NE(xml.find(tag), std::string::npos) << info.name;
  }
  EXPECT_EQ(xml.find_first_of("$#*}"), std::string::npos);  // escapes are possible, not needed
}

// Loads the description into the real gdb (offline) and compares gdb's remote register numbers
// and g-packet offsets ("maint print remote-registers") with the table.
TEST(GdbProtocolTarget, RealGdbAgreesWithTheTable) {
  if (system("command -v gdb >/dev/null 2>&1") != 0) GTEST_SKIP() << "gdb not installed";
  std::string path = testing::TempDir() + "rewind_target_" + std::to_string(getpid()) + ".xml";
  std::ofstream(path) << target_xml();
  std::string command = "gdb -nx -batch -ex 'set tdesc filename " + path +
                        "' -ex 'maint print remote-registers' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  pclose(pipe);
  unlink(path.c_str());
  EXPECT_EQ(output.find("warning"), std::string::npos) << output;
  size_t found = 0;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    if (words.size() < 3) continue;
    const RegisterInfo* info = find_register(words[0]);
    if (!info) continue;
    // ... Type  Rmt-Nr  g/G-Offset
    EXPECT_EQ(words[words.size() - 2], std::to_string(info->regnum)) << line;
    EXPECT_EQ(words.back(), std::to_string(info->offset)) << line;
    found++;
  }
  EXPECT_EQ(found, x86_64_registers().size()) << output;
}

}  // namespace
}  // namespace rwd::gdb

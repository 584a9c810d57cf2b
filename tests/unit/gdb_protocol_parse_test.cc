// SPDX-License-Identifier: MIT
// gdb remote protocol: every request kind parsed with its fields, and malformed variants of each
// (bad hex, missing separators, overflowing numbers, lengths past the cap) → Malformed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "debug/protocol.h"

namespace rwd::gdb {
namespace {

template <typename T>
T parsed(std::string_view payload) {
  Request request = parse_request(payload);
  const T* value = std::get_if<T>(&request);
  EXPECT_NE(value, nullptr) << payload << " parsed as " << request_name(request);
  return value ? *value : T{};
}

bool malformed(std::string_view payload) {
  return std::holds_alternative<Malformed>(parse_request(payload));
}

bool unsupported(std::string_view payload) {
  return std::holds_alternative<Unsupported>(parse_request(payload));
}

TEST(GdbProtocolParse, RegistersAndHaltReason) {
  parsed<QueryHaltReason>("?");
  parsed<ReadRegisters>("g");
  EXPECT_EQ(parsed<WriteRegisters>("G0011ff").data, (std::vector<uint8_t>{0x00, 0x11, 0xff}));
  EXPECT_EQ(parsed<ReadRegister>("p10").regnum, 16u);
  WriteRegister p = parsed<WriteRegister>("P10=0010000000000000");
  EXPECT_EQ(p.regnum, 16u);
  EXPECT_EQ(p.value, (std::vector<uint8_t>{0, 0x10, 0, 0, 0, 0, 0, 0}));
  for (auto bad : {"?x", "gg", "G", "G0", "G0g", "p", "px", "p100000000", "P10", "P=00",
                   "P10=", "P10=0", "P10=zz", "Pz=00"})
    EXPECT_TRUE(malformed(bad)) << bad;
}

TEST(GdbProtocolParse, Memory) {
  ReadMemory m = parsed<ReadMemory>("mffffffff81000000,40");
  EXPECT_EQ(m.address, 0xffffffff81000000u);
  EXPECT_EQ(m.length, 0x40u);
  EXPECT_EQ(parsed<ReadMemory>("mffffffffffffffff,1").length, 1u);  // ends exactly at 2^64
  WriteMemory hex = parsed<WriteMemory>("M2000,3:0a0b0c");
  EXPECT_EQ(hex.address, 0x2000u);
  EXPECT_EQ(hex.data, (std::vector<uint8_t>{10, 11, 12}));
  EXPECT_TRUE(parsed<WriteMemory>("X2000,0:").data.empty());  // gdb's probe for X support
  WriteMemory bin = parsed<WriteMemory>(std::string_view("X10,3:a:\0", 9));
  EXPECT_EQ(bin.data, (std::vector<uint8_t>{'a', ':', 0}));  // ':' and NUL are plain data
  for (auto bad : {"m",
                   "m10",
                   "m10,",
                   "m,4",
                   "mzz,4",
                   "m10,zz",
                   "m10;4",
                   "m10,4,",
                   "m10000000000000000,1",   // address needs 65 bits
                   "m0,ffffffffffffffffff",  // length overflows
                   "m0,100000",              // length past the cap
                   "mffffffffffffffff,2",    // wraps past the top of memory
                   "M10,2:00",
                   "M10,1:0",
                   "M10,1:zz",
                   "M10,1",
                   "M10:00",
                   "X10,1:",
                   "X10,1:ab",
                   "X10,1:}",
                   "X10,1"})
    EXPECT_TRUE(malformed(bad)) << bad;
}

TEST(GdbProtocolParse, LegacyAndReverseResume) {
  Resume c = parsed<Resume>("c");
  ASSERT_EQ(c.actions.size(), 1u);
  EXPECT_EQ(c.actions[0].kind, ResumeKind::kContinue);
  EXPECT_FALSE(c.actions[0].thread);
  EXPECT_FALSE(c.address);
  EXPECT_FALSE(c.reverse);
  Resume s = parsed<Resume>("s401000");
  EXPECT_EQ(s.actions[0].kind, ResumeKind::kStep);
  EXPECT_EQ(s.address, 0x401000u);
  Resume sig = parsed<Resume>("C0b;1234");
  EXPECT_EQ(sig.actions[0].signal, 11);
  EXPECT_EQ(sig.address, 0x1234u);
  EXPECT_EQ(parsed<Resume>("S05").actions[0].signal, 5);
  Resume bc = parsed<Resume>("bc");
  EXPECT_TRUE(bc.reverse);
  EXPECT_EQ(bc.actions[0].kind, ResumeKind::kContinue);
  Resume bs = parsed<Resume>("bs");
  EXPECT_TRUE(bs.reverse);
  EXPECT_EQ(bs.actions[0].kind, ResumeKind::kStep);
  for (auto bad : {"cz", "s12345678901234567", "C", "Cxyz", "C123", "S05;", "S05;zz"})
    EXPECT_TRUE(malformed(bad)) << bad;
  EXPECT_TRUE(unsupported("bx"));
}

TEST(GdbProtocolParse, VCont) {
  parsed<QueryResumeActions>("vCont?");
  Resume r = parsed<Resume>("vCont;s:1;c");
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_EQ(r.actions[0].kind, ResumeKind::kStep);
  EXPECT_EQ(r.actions[0].thread, (ThreadId{0, 1}));
  EXPECT_EQ(r.actions[1].kind, ResumeKind::kContinue);
  EXPECT_FALSE(r.actions[1].thread);
  Resume all = parsed<Resume>("vCont;C05:p1.-1;S0b:2;t:3;r1000,1010:p1.2");
  ASSERT_EQ(all.actions.size(), 4u);
  EXPECT_EQ(all.actions[0].signal, 5);
  EXPECT_EQ(all.actions[0].thread, (ThreadId{1, ThreadId::kAll}));
  EXPECT_EQ(all.actions[1].kind, ResumeKind::kStep);
  EXPECT_EQ(all.actions[1].signal, 11);
  EXPECT_EQ(all.actions[2].kind, ResumeKind::kStop);
  EXPECT_EQ(all.actions[3].kind, ResumeKind::kRangeStep);
  EXPECT_EQ(all.actions[3].range_start, 0x1000u);
  EXPECT_EQ(all.actions[3].range_end, 0x1010u);
  EXPECT_EQ(all.actions[3].thread, (ThreadId{1, 2}));
  for (auto bad : {"vCont", "vCont;", "vCont;c;", "vCont;;c", "vCont;x", "vCont;cs", "vCont;C",
                   "vCont;Czz", "vCont;r1000", "vCont;r1000,", "vCont;rz,1",
                   "vCont;c:", "vCont;c:zz", "vCont;s:p", "vCont;c:1.2"})
    EXPECT_TRUE(malformed(bad)) << bad;
  EXPECT_TRUE(unsupported("vContX"));
}

TEST(GdbProtocolParse, Breakpoints) {
  Breakpoint z0 = parsed<Breakpoint>("Z0,1010,1");
  EXPECT_TRUE(z0.insert);
  EXPECT_EQ(z0.type, BreakpointType::kSoftware);
  EXPECT_EQ(z0.address, 0x1010u);
  EXPECT_EQ(z0.kind, 1u);
  Breakpoint z2 = parsed<Breakpoint>("z2,3000,4");
  EXPECT_FALSE(z2.insert);
  EXPECT_EQ(z2.type, BreakpointType::kWriteWatch);
  EXPECT_EQ(parsed<Breakpoint>("Z1,0,1").type, BreakpointType::kHardware);
  EXPECT_EQ(parsed<Breakpoint>("Z3,0,8").type, BreakpointType::kReadWatch);
  EXPECT_EQ(parsed<Breakpoint>("z4,0,2").type, BreakpointType::kAccessWatch);
  EXPECT_EQ(parsed<Breakpoint>("Z0,1010,1;X2,0a0b").address, 0x1010u);  // condition ignored
  EXPECT_TRUE(unsupported("Z5,1000,1"));
  for (auto bad : {"Z", "Z0", "Z0,1010", "Z0,,1", "Z0,1010,", "Zx,1,1", "Z0,x,1", "Z0,1,x",
                   "Z0,10000000000000000,1"})
    EXPECT_TRUE(malformed(bad)) << bad;
}

TEST(GdbProtocolParse, Queries) {
  QuerySupported q = parsed<QuerySupported>("qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
  EXPECT_EQ(q.features,
            (std::vector<std::string>{"multiprocess+", "swbreak+", "xmlRegisters=i386"}));
  EXPECT_TRUE(parsed<QuerySupported>("qSupported").features.empty());
  ReadXfer x = parsed<ReadXfer>("qXfer:features:read:target.xml:1000,ffb");
  EXPECT_EQ(x.object, "features");
  EXPECT_EQ(x.annex, "target.xml");
  EXPECT_EQ(x.offset, 0x1000u);
  EXPECT_EQ(x.length, 0xffbu);
  EXPECT_EQ(parsed<ReadXfer>("qXfer:auxv:read::0,100").annex, "");
  parsed<QueryCurrentThread>("qC");
  EXPECT_TRUE(parsed<QueryThreadList>("qfThreadInfo").first);
  EXPECT_FALSE(parsed<QueryThreadList>("qsThreadInfo").first);
  EXPECT_EQ(parsed<QueryThreadExtraInfo>("qThreadExtraInfo,2").thread, (ThreadId{0, 2}));
  EXPECT_FALSE(parsed<QueryAttached>("qAttached").pid);
  EXPECT_EQ(parsed<QueryAttached>("qAttached:a").pid, 10);
  EXPECT_EQ(parsed<MonitorCommand>("qRcmd,696e666f20636865636b706f696e7473").command,
            "info checkpoints");
  EXPECT_EQ(parsed<MonitorCommand>("qRcmd,").command, "");
  parsed<QueryOffsets>("qOffsets");
  EXPECT_EQ(parsed<QuerySymbol>("qSymbol::").arguments, ":");
  parsed<QueryTraceStatus>("qTStatus");
  parsed<StartNoAckMode>("QStartNoAckMode");
  parsed<MustReplyEmpty>("vMustReplyEmpty");
  for (auto bad :
       {"qXfer:features:read:target.xml", "qXfer:features:read:target.xml:0",
        "qXfer:features:read:target.xml:z,1", "qXfer:features:read:target.xml:0,",
        "qXfer:features:read:target.xml:0,100000", "qXfer:features", "qRcmd,6", "qRcmd,zz",
        "qThreadExtraInfo,", "qThreadExtraInfo,q", "qAttached:", "qAttached:-2"})
    EXPECT_TRUE(malformed(bad)) << bad;
  for (auto other : {"qXfer:features:write:target.xml:0:abc", "qCRC:0,4", "qL1200", "qTfV",
                     "qSearch:memory:0;4;00", "QNonStop:1", "QThreadEvents:1", "qCx", "qTStatusX",
                     "vFile:open:2f,0,0", "vRun;", "!", "i", "A", "r", "R00", "Hm1", "H"})
    EXPECT_TRUE(unsupported(other)) << other;
  EXPECT_EQ(parsed<Unsupported>("qL1200").name, "qL1200");
  EXPECT_EQ(parsed<Unsupported>("vFile:open:2f,0,0").name, "vFile");
  EXPECT_TRUE(unsupported(""));
}

TEST(GdbProtocolParse, ThreadsAndLifecycle) {
  SetThread hg = parsed<SetThread>("Hg0");
  EXPECT_EQ(hg.operation, 'g');
  EXPECT_EQ(hg.thread, (ThreadId{0, ThreadId::kAny}));
  SetThread hc = parsed<SetThread>("Hc-1");
  EXPECT_EQ(hc.operation, 'c');
  EXPECT_EQ(hc.thread, (ThreadId{0, ThreadId::kAll}));
  EXPECT_EQ(parsed<SetThread>("Hgp1.2").thread, (ThreadId{1, 2}));
  EXPECT_EQ(parsed<SetThread>("Hgp2").thread, (ThreadId{2, ThreadId::kAll}));
  EXPECT_EQ(parsed<ThreadAlive>("T1f").thread, (ThreadId{0, 0x1f}));
  parsed<Kill>("k");
  EXPECT_EQ(parsed<VKill>("vKill;1").pid, 1);
  EXPECT_FALSE(parsed<Detach>("D").pid);
  EXPECT_EQ(parsed<Detach>("D;2a").pid, 0x2a);
  for (auto bad : {"Hg", "Hgx", "Hg-2", "Hgp", "Hgp1.", "Hgp1.x", "Hg8000000000000000", "T", "Tz",
                   "kk", "vKill;", "vKill;z", "D;", "D1", "D;zz"})
    EXPECT_TRUE(malformed(bad)) << bad;
}

TEST(GdbProtocolParse, RequestNamesCoverEveryKind) {
  EXPECT_EQ(request_name(parse_request("m0,1")), "ReadMemory");
  EXPECT_EQ(request_name(parse_request("qC")), "QueryCurrentThread");
  EXPECT_EQ(request_name(Request(Malformed{})), "Malformed");
  EXPECT_EQ(request_name(Request(Unsupported{})), "Unsupported");
}

}  // namespace
}  // namespace rwd::gdb

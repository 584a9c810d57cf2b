// SPDX-License-Identifier: MIT
// The core's contract: exact instruction counting, modes and mode switches, exception delivery
// with error codes, paging permissions and A/D bits, self-modifying code.
#include <gtest/gtest.h>

#include "tests/unit/cpu_harness.h"

namespace rwd::test {
namespace {

using Mode = CpuHarness::Mode;

TEST(CpuCore, RunUntilStopsExactly) {
  CpuHarness h(Mode::kLong64);
  // inc rax; jmp back (an endless loop of 2-instruction blocks).
  h.load_code({0x48, 0xff, 0xc0, 0xeb, 0xfb});
  h.run(1001);
  EXPECT_EQ(h.cpu().position(), 1001u);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 501u);
  h.step(6);
  EXPECT_EQ(h.cpu().position(), 1007u);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 504u);
}

TEST(CpuCore, RepIterationsAreSteps) {
  CpuHarness h(Mode::kLong64);
  // mov ecx, 10; mov edi, 0x300000; rep stosb
  h.load_code({0xb9, 10, 0, 0, 0, 0xbf, 0x00, 0x00, 0x30, 0x00, 0xf3, 0xaa});
  h.state().gpr[kRax] = 0x5a;
  h.run(2 + 4);  // stop in the middle of the REP: 4 of 10 iterations done
  EXPECT_EQ(h.cpu().state.gpr[kRcx], 6u);
  EXPECT_EQ(h.read<uint8_t>(0x300003), 0x5a);
  EXPECT_EQ(h.read<uint8_t>(0x300004), 0);
  h.step(6);
  EXPECT_EQ(h.cpu().state.gpr[kRcx], 0u);
  EXPECT_EQ(h.read<uint8_t>(0x300009), 0x5a);
}

TEST(CpuCore, RealModeArithmeticAndSegments) {
  CpuHarness h(Mode::kReal);
  // mov ax, 0x1234; mov bx, 0x1000; mov ds, bx; mov [0x10], ax ; → physical 0x10010
  h.load_code({0xb8, 0x34, 0x12, 0xbb, 0x00, 0x10, 0x8e, 0xdb, 0xa3, 0x10, 0x00});
  h.run(4);
  EXPECT_EQ(h.read<uint16_t>(0x10010), 0x1234);
  EXPECT_EQ(h.cpu().state.seg[kDs].base, 0x10000u);
}

TEST(CpuCore, RealModeInterruptThroughIvt) {
  CpuHarness h(Mode::kReal);
  h.load_code({0xcd, 0x05});  // int 5 → IVT entry 5 → handler stub 5
  h.run(1);
  EXPECT_EQ(h.delivered_vector(), 5);
  // FLAGS, CS, IP pushed (IP = next instruction).
  uint64_t sp = h.cpu().state.gpr[kRsp] & 0xffff;
  EXPECT_EQ(h.read<uint16_t>(sp), 0x7c02);
}

TEST(CpuCore, RealToProtectedToLongMode) {
  // Walk through the transitions an OS makes: real → 32-bit protected (far jump) → long mode.
  CpuHarness h(Mode::kLong64);  // builds GDT and page tables; then start in real mode
  CpuState& s = h.state();
  s.cr0 = cr0::kEt;
  s.cr4 = 0;
  s.efer = 0;
  for (unsigned seg = 0; seg < kNumSegs; seg++) s.seg[seg] = Segment{0, 0xffff, 0, 0x93};
  s.seg[kCs] = Segment{0, 0xffff, 0, 0x9b};
  s.rip = 0x7c00;
  std::vector<uint8_t> code = {
      // 16-bit: lgdt [0x7d00]; mov eax, cr0; or al, 1; mov cr0, eax; jmp 0x18:0x7c20
      0x0f, 0x01, 0x16, 0x00, 0x7d, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0,
      0x66, 0xea, 0x20, 0x7c, 0x00, 0x00, 0x18, 0x00};
  code.resize(0x20, 0x90);
  std::vector<uint8_t> code32 = {
      // 32-bit: mov eax, cr4; or eax, 0x20 (PAE); mov cr4, eax; mov eax, 0x10000; mov cr3, eax
      0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x00, 0x01, 0x00,
      0x0f, 0x22, 0xd8,
      // mov ecx, 0xc0000080; rdmsr; or eax, 0x100 (LME); wrmsr
      0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30,
      // mov eax, cr0; or eax, 0x80000000; mov cr0, eax; jmp 0x08:0x7c60
      0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea, 0x60, 0x7c,
      0x00, 0x00, 0x08, 0x00};
  code.insert(code.end(), code32.begin(), code32.end());
  code.resize(0x60, 0x90);
  // 64-bit: mov rax, 0x123456789; hlt
  std::vector<uint8_t> code64 = {0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0xf4};
  code.insert(code.end(), code64.begin(), code64.end());
  std::memcpy(h.ram() + 0x7c00, code.data(), code.size());
  // GDT pointer at 0x7d00: limit, base = the harness GDT.
  h.write<uint16_t>(0x7d00, 6 * 8 - 1);
  h.write<uint32_t>(0x7d02, CpuHarness::kGdtAddress);
  EXPECT_EQ(h.run(100), StopReason::kHalted);
  const CpuState& r = h.cpu().state;
  EXPECT_TRUE(r.efer & efer::kLma);
  EXPECT_EQ(h.cpu().code_size(), CodeSize::k64);
  EXPECT_EQ(r.gpr[kRax], 0x123456789u);
  EXPECT_EQ(r.seg[kCs].selector, 0x08);
}

TEST(CpuCore, DivideErrorIsPreciseAndReportsTheInstruction) {
  CpuHarness h(Mode::kLong64);
  // mov rax, 7; xor ecx, ecx; div rcx
  h.load_code({0x48, 0xc7, 0xc0, 7, 0, 0, 0, 0x31, 0xc9, 0x48, 0xf7, 0xf1});
  h.run(3);
  EXPECT_EQ(h.delivered_vector(), 0);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 7u);  // unchanged
  // The frame's RIP is the DIV itself.
  uint64_t rsp = h.cpu().state.gpr[kRsp];
  EXPECT_EQ(h.read<uint64_t>(rsp), CpuHarness::kCodeAddress + 9);
}

TEST(CpuCore, PageFaultErrorCodeAndCr2) {
  CpuHarness h(Mode::kLong64);
  // Make the 2 MiB page at 0x400000 read-only and not user; write to it from ring 0 with WP=1.
  h.write<uint64_t>(CpuHarness::kPageTables + 0x2000 + 2 * 8, (2ull << 21) | 0x81);
  h.state().cr0 |= cr0::kWp;
  // mov dword [0x400010], 1
  h.load_code({0xc7, 0x04, 0x25, 0x10, 0x00, 0x40, 0x00, 1, 0, 0, 0});
  h.run(1);
  EXPECT_EQ(h.delivered_vector(), 14);
  EXPECT_EQ(h.cpu().state.cr2, 0x400010u);
  uint64_t rsp = h.cpu().state.gpr[kRsp];
  EXPECT_EQ(h.read<uint64_t>(rsp), 0x3u);  // error: present | write
  // Not-present page: error code 0x2 for a write.
  CpuHarness g(Mode::kLong64);
  g.write<uint64_t>(CpuHarness::kPageTables + 0x2000 + 2 * 8, 0);
  g.load_code({0xc7, 0x04, 0x25, 0x10, 0x00, 0x40, 0x00, 1, 0, 0, 0});
  g.run(1);
  EXPECT_EQ(g.delivered_vector(), 14);
  EXPECT_EQ(g.read<uint64_t>(g.cpu().state.gpr[kRsp]), 0x2u);
}

TEST(CpuCore, AccessedAndDirtyBits) {
  CpuHarness h(Mode::kLong64);
  const uint64_t pde = CpuHarness::kPageTables + 0x2000 + 3 * 8;  // 0x600000
  h.write<uint64_t>(pde, (3ull << 21) | 0x83);
  h.load_code({0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,    // mov eax, [0x600000]
               0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00});  // mov [0x600000], eax
  h.run(1);
  EXPECT_TRUE(h.read<uint64_t>(pde) & 0x20);
  EXPECT_FALSE(h.read<uint64_t>(pde) & 0x40);
  h.step(1);
  EXPECT_TRUE(h.read<uint64_t>(pde) & 0x40);
}

TEST(CpuCore, NoExecuteFaultsOnFetch) {
  CpuHarness h(Mode::kLong64);
  h.write<uint64_t>(CpuHarness::kPageTables + 0x2000 + 4 * 8, (4ull << 21) | 0x83 | (1ull << 63));
  h.write<uint8_t>(0x800000, 0x90);
  h.load_code({0xe9, 0xfb, 0xff, 0x6f, 0x00});  // jmp 0x800000
  h.run(2);
  EXPECT_EQ(h.delivered_vector(), 14);
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), 0x11u);  // present | instruction fetch
}

TEST(CpuCore, SelfModifyingCodeIsSeen) {
  CpuHarness h(Mode::kLong64);
  // L: mov byte [rip + (imm - next)], 0x42  ; patch the immediate of the following mov
  //    mov eax, 0x00000001                  ; becomes mov eax, 0x42 after the patch
  h.load_code({0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x42,  // mov byte [rip+1], 0x42
               0xb8, 0x01, 0x00, 0x00, 0x00});
  h.run(2);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 0x42u);
}

TEST(CpuCore, TranslatedCodeInvalidatedAcrossRuns) {
  CpuHarness h(Mode::kLong64);
  h.load_code({0xb8, 0x01, 0x00, 0x00, 0x00});  // mov eax, 1
  h.run(1);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 1u);
  // A device-style write (DMA) to the code must drop the cached block.
  h.ram()[CpuHarness::kCodeAddress + 1] = 0x07;
  h.cpu().invalidate_code(CpuHarness::kCodeAddress + 1, 1);
  h.cpu().state.rip = CpuHarness::kCodeAddress;
  h.step(1);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 7u);
}

TEST(CpuCore, TripleFaultIsReportedNotFatal) {
  CpuHarness h(Mode::kLong64);
  h.state().idtr.limit = 0;  // no IDT at all
  h.load_code({0x0f, 0x0b});  // ud2
  h.run(10);
  EXPECT_EQ(h.triple_faults, 1);
}

TEST(CpuCore, UnimplementedOrUnadvertisedInstructionRaisesUd) {
  CpuHarness h(Mode::kLong64, "core2duo");
  h.load_code({0xf3, 0x0f, 0xb8, 0xc1});  // popcnt eax, ecx: not on a Core 2
  h.run(1);
  EXPECT_EQ(h.delivered_vector(), 6);
}

TEST(CpuCore, CpuidIsTheModelNotTheHost) {
  CpuHarness h(Mode::kLong64, "core2duo");
  h.state().gpr[kRax] = 1;
  h.load_code({0x0f, 0xa2});
  h.run(1);
  const CpuState& s = h.cpu().state;
  EXPECT_EQ((s.gpr[kRax] >> 8) & 0xf, 6u);           // family 6
  EXPECT_EQ(s.gpr[kRcx] & (1u << 19), 0u);           // no SSE4.1 on core2duo
  EXPECT_NE(s.gpr[kRcx] & (1u << 9), 0u);            // SSSE3
  EXPECT_EQ(s.gpr[kRcx] & (1u << 3), 0u);            // no MONITOR/MWAIT
  EXPECT_EQ(s.gpr[kRcx] & (1u << 28), 0u);           // no AVX
}

TEST(CpuCore, RdtscFollowsPositionNotHostTime) {
  CpuHarness h(Mode::kLong64);
  h.load_code({0x90, 0x90, 0x90, 0x0f, 0x31});
  h.run(4);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 3u);  // three instructions retired before RDTSC
}

TEST(CpuCore, UnknownMsrFaultsUnlessIgnored) {
  CpuHarness h(Mode::kLong64, "core2duo");
  h.state().gpr[kRcx] = 0x199;
  h.load_code({0x0f, 0x32});  // rdmsr
  h.run(1);
  EXPECT_EQ(h.delivered_vector(), 13);
  CpuHarness g(Mode::kLong64, "core2duo,ignore-msrs");
  g.state().gpr[kRcx] = 0x199;
  g.state().gpr[kRax] = 0x55;
  g.load_code({0x0f, 0x32});
  g.run(1);
  EXPECT_EQ(g.delivered_vector(), -1);
  EXPECT_EQ(g.cpu().state.gpr[kRax], 0u);
}

TEST(CpuCore, SyscallAndSysretSwitchPrivilege) {
  CpuHarness h(Mode::kLong64);
  CpuState& s = h.state();
  s.star = (0x13ull << 48) | (0x08ull << 32);
  s.lstar = CpuHarness::kCodeAddress + 0x100;
  s.sfmask = flags::kIf;
  s.rflags |= flags::kIf;
  h.load_code({0x0f, 0x05});  // syscall
  h.write<uint8_t>(CpuHarness::kCodeAddress + 0x100, 0x90);
  h.run(1);
  const CpuState& r = h.cpu().state;
  EXPECT_EQ(r.rip, CpuHarness::kCodeAddress + 0x100);
  EXPECT_EQ(r.gpr[kRcx], CpuHarness::kCodeAddress + 2);
  EXPECT_FALSE(r.rflags & flags::kIf);
  EXPECT_EQ(r.cpl, 0);
  // sysretq back to ring 3.
  CpuHarness g(Mode::kLong64);
  g.state().star = (0x13ull << 48) | (0x08ull << 32);
  g.state().gpr[kRcx] = 0x400000;
  g.state().gpr[kR11] = 0x202;
  g.load_code({0x48, 0x0f, 0x07});
  g.run(1);
  EXPECT_EQ(g.cpu().state.cpl, 3);
  EXPECT_EQ(g.cpu().state.seg[kCs].selector, 0x23);
  EXPECT_EQ(g.cpu().state.seg[kSs].selector, 0x1b);
  EXPECT_EQ(g.cpu().state.rip, 0x400000u);
}

TEST(CpuCore, InterruptShadowAfterSti) {
  // An interrupt pending while IF=0 is taken only after the instruction following STI.
  struct Host : CpuHarness {
    using CpuHarness::CpuHarness;
    int acknowledge_interrupt() override {
      cpu().set_interrupt_line(false);
      return 0x20;
    }
  } h(Mode::kLong64);
  // Vector 0x20 handler: extend the IDT.
  h.state().idtr.limit = 0x21 * 16 - 1;
  uint64_t handler = CpuHarness::kHandlerBase + 0x200;
  h.write<uint8_t>(handler, 0xf4);
  h.write<uint64_t>(CpuHarness::kIdtAddress + 0x20 * 16,
                    (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40));
  h.write<uint64_t>(CpuHarness::kIdtAddress + 0x20 * 16 + 8, 0);
  h.load_code({0xfb, 0x90, 0x90});  // sti; nop; nop
  h.cpu().load_state(h.state());
  h.cpu().set_interrupt_line(true);
  h.cpu().run_until(h.cpu().position() + 2);  // sti + nop retire first
  EXPECT_EQ(h.cpu().state.rip, CpuHarness::kCodeAddress + 2);
  h.cpu().run_until(h.cpu().position() + 1);  // then the interrupt is delivered
  EXPECT_EQ(h.cpu().state.rip, handler);
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), CpuHarness::kCodeAddress + 2);
}

}  // namespace
}  // namespace rwd::test

namespace rwd::test {
namespace {

TEST(CpuCore, TrapFlagSingleSteps) {
  CpuHarness h(CpuHarness::Mode::kLong64);
  h.state().rflags |= flags::kTf;
  h.load_code({0x90, 0x90});  // nop; nop
  h.run(2);                   // the nop, then the #DB delivery
  EXPECT_EQ(h.delivered_vector(), 1);
  EXPECT_TRUE(h.cpu().state.dr[6] & 0x4000);
  EXPECT_FALSE(h.cpu().state.rflags & flags::kTf);  // cleared on delivery
  // The frame's RIP is the instruction after the nop (a trap).
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), CpuHarness::kCodeAddress + 1);
  // The saved RFLAGS still has TF, so IRET resumes stepping.
  EXPECT_TRUE(h.read<uint64_t>(h.cpu().state.gpr[kRsp] + 16) & flags::kTf);
}

}  // namespace
}  // namespace rwd::test

namespace rwd::test {
namespace {

TEST(CpuCore, EndbrIsANopWithoutCet) {
  CpuHarness h(CpuHarness::Mode::kLong64, "core2duo");
  h.load_code({0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x07, 0, 0, 0});  // endbr64; mov eax, 7
  h.run(2);
  EXPECT_EQ(h.delivered_vector(), -1);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 7u);
}

}  // namespace
}  // namespace rwd::test

namespace rwd::test {
namespace {

TEST(CpuDebug, BreakpointStopsBeforeTheInstructionAndCanBeContinuedFrom) {
  CpuHarness h(CpuHarness::Mode::kLong64);
  // inc rax ×4 (one block)
  h.load_code({0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0});
  h.cpu().load_state(h.state());
  h.cpu().set_breakpoints({CpuHarness::kCodeAddress + 6});
  EXPECT_EQ(h.cpu().run_until(100), StopReason::kDebug);
  EXPECT_EQ(h.cpu().debug_stop().kind, DebugStop::Kind::kBreakpoint);
  EXPECT_EQ(h.cpu().state.rip, CpuHarness::kCodeAddress + 6);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 2u);
  EXPECT_EQ(h.cpu().position(), 2u);
  h.cpu().ignore_breakpoint_here();
  h.cpu().run_until(h.cpu().position() + 2);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 4u);
}

TEST(CpuDebug, WriteWatchpointStopsAfterTheWritingInstruction) {
  CpuHarness h(CpuHarness::Mode::kLong64);
  // mov eax, [0x300000]; mov [0x300008], eax; inc rax; mov [0x300010], rax
  h.load_code({0x8b, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, 0x89, 0x04, 0x25, 0x08, 0x00, 0x30,
               0x00, 0x48, 0xff, 0xc0, 0x48, 0x89, 0x04, 0x25, 0x10, 0x00, 0x30, 0x00});
  h.cpu().load_state(h.state());
  h.cpu().set_watchpoints({{0x300010, 8, WatchKind::kWrite}});
  EXPECT_EQ(h.cpu().run_until(100), StopReason::kDebug);
  const DebugStop& stop = h.cpu().debug_stop();
  EXPECT_EQ(stop.kind, DebugStop::Kind::kWatchpoint);
  EXPECT_EQ(stop.address, 0x300010u);
  EXPECT_EQ(stop.insn_position, 3u);    // the fourth instruction wrote
  EXPECT_EQ(h.cpu().position(), 4u);    // and it has retired
  EXPECT_EQ(h.read<uint64_t>(0x300010), 1u);
  // Reads do not trigger a write watchpoint; a read watchpoint catches the first load.
  CpuHarness g(CpuHarness::Mode::kLong64);
  g.load_code({0x8b, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, 0x90});
  g.cpu().load_state(g.state());
  g.cpu().set_watchpoints({{0x300000, 4, WatchKind::kRead}});
  EXPECT_EQ(g.cpu().run_until(100), StopReason::kDebug);
  EXPECT_EQ(g.cpu().debug_stop().insn_position, 0u);
}

}  // namespace
}  // namespace rwd::test

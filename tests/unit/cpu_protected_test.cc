// SPDX-License-Identifier: MIT
// 32-bit protected mode and compatibility mode: privilege checks on segment loads, far
// transfers, interrupts with a stack switch through the 32-bit TSS, IRET back to ring 3.
#include <gtest/gtest.h>

#include "tests/unit/cpu_harness.h"

namespace rwd::test {
namespace {

using Mode = CpuHarness::Mode;

// Adds ring-3 32-bit segments and a 32-bit TSS to the harness GDT (selectors 0x33, 0x3b, 0x40).
void add_ring3_and_tss(CpuHarness& h, uint32_t tss_base) {
  const uint64_t gdt = CpuHarness::kGdtAddress;
  h.write<uint64_t>(gdt + 6 * 8, 0x00cffb000000ffffull);  // 0x30: user code32 (RPL3 → 0x33)
  h.write<uint64_t>(gdt + 7 * 8, 0x00cff3000000ffffull);  // 0x38: user data (0x3b)
  uint64_t tss = 0x67 | (uint64_t(tss_base & 0xffffff) << 16) | (0x89ull << 40) |
                 (uint64_t(tss_base >> 24) << 56);
  h.write<uint64_t>(gdt + 8 * 8, tss);                    // 0x40: available 32-bit TSS
  h.state().gdtr.limit = 9 * 8 - 1;
  h.write<uint32_t>(tss_base + 4, 0x1ff000);  // ESP0
  h.write<uint32_t>(tss_base + 8, 0x10);      // SS0
}

TEST(CpuProtected, LtrMarksTheTssBusy) {
  CpuHarness h(Mode::kProtected32);
  add_ring3_and_tss(h, 0x5000);
  h.load_code({0x66, 0xb8, 0x40, 0x00, 0x0f, 0x00, 0xd8});  // mov ax, 0x40; ltr ax
  h.run(2);
  EXPECT_EQ(h.cpu().state.tr.selector, 0x40);
  EXPECT_EQ(h.cpu().state.tr.base, 0x5000u);
  EXPECT_EQ((h.read<uint64_t>(CpuHarness::kGdtAddress + 0x40) >> 40) & 0xf, 0xbu);
}

TEST(CpuProtected, LoadingAMoreprivilegedDataSegmentFromRing3Faults) {
  CpuHarness h(Mode::kProtected32);
  add_ring3_and_tss(h, 0x5000);
  CpuState& s = h.state();
  // Run at CPL 3: CS = 0x33, SS = 0x3b; the IDT gates are DPL 0 but exceptions don't check DPL.
  s.seg[kCs] = Segment{0, 0xffffffff, 0x33, 0xc0fb};
  s.seg[kSs] = Segment{0, 0xffffffff, 0x3b, 0xc0f3};
  s.cpl = 3;
  s.tr = Segment{0x5000, 0x67, 0x40, 0x8b};
  // Make the code and stack pages reachable: paging is off in this harness mode.
  h.load_code({0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8});  // mov ax, 0x10; mov ds, ax → #GP(0x10)
  h.run(3);
  EXPECT_EQ(h.delivered_vector(), 13);
  EXPECT_EQ(h.cpu().state.cpl, 0);
  // Stack switched to SS0:ESP0 from the TSS; frame: error, EIP, CS, EFLAGS, ESP, SS.
  const uint64_t esp = h.cpu().state.gpr[kRsp];
  EXPECT_EQ(esp, 0x1ff000u - 6 * 4);
  EXPECT_EQ(h.read<uint32_t>(esp), 0x10u);                                 // error = selector
  EXPECT_EQ(h.read<uint32_t>(esp + 4), CpuHarness::kCodeAddress + 4);     // the MOV DS
  EXPECT_EQ(h.read<uint32_t>(esp + 8), 0x33u);
  EXPECT_EQ(h.read<uint32_t>(esp + 20), 0x3bu);
}

TEST(CpuProtected, IretReturnsToRing3AndNullsPrivilegedDataSegments) {
  CpuHarness h(Mode::kProtected32);
  add_ring3_and_tss(h, 0x5000);
  // Build an IRET frame: EIP, CS, EFLAGS, ESP, SS.
  const uint32_t frame = 0x1fe000;
  h.write<uint32_t>(frame, 0x300000);
  h.write<uint32_t>(frame + 4, 0x33);
  h.write<uint32_t>(frame + 8, 0x202);
  h.write<uint32_t>(frame + 12, 0x380000);
  h.write<uint32_t>(frame + 16, 0x3b);
  h.state().gpr[kRsp] = frame;
  h.load_code({0xcf});  // iretd
  h.run(1);
  const CpuState& s = h.cpu().state;
  EXPECT_EQ(s.cpl, 3);
  EXPECT_EQ(s.rip, 0x300000u);
  EXPECT_EQ(s.gpr[kRsp] & 0xffffffff, 0x380000u);
  EXPECT_EQ(s.seg[kSs].selector, 0x3b);
  EXPECT_TRUE(s.rflags & flags::kIf);
  EXPECT_EQ(s.seg[kDs].selector, 0);  // DPL 0 data segment nulled on the way out
}

TEST(CpuProtected, FarCallAndReturnThroughCodeSegment) {
  CpuHarness h(Mode::kProtected32);
  // call far 0x18:0x100100 ; at 0x100100: retf
  h.load_code({0x9a, 0x00, 0x01, 0x10, 0x00, 0x18, 0x00});
  h.write<uint8_t>(0x100100, 0xcb);
  h.run(1);
  EXPECT_EQ(h.cpu().state.rip, 0x100100u);
  const uint64_t esp = h.cpu().state.gpr[kRsp];
  EXPECT_EQ(h.read<uint32_t>(esp), CpuHarness::kCodeAddress + 7);
  EXPECT_EQ(h.read<uint32_t>(esp + 4), 0x18u);
  h.step(1);
  EXPECT_EQ(h.cpu().state.rip, CpuHarness::kCodeAddress + 7);
  EXPECT_EQ(h.cpu().state.gpr[kRsp], CpuHarness::kStackTop);
}

TEST(CpuProtected, SixteenBitCodeSegmentUsesSixteenBitOperands) {
  CpuHarness h(Mode::kProtected32);
  h.write<uint64_t>(CpuHarness::kGdtAddress + 6 * 8, 0x00009b000000ffffull);  // 16-bit code
  h.state().gdtr.limit = 7 * 8 - 1;
  h.state().seg[kCs] = Segment{0, 0xffff, 0x30, 0x009b};
  h.state().gpr[kRax] = 0xffff0000;
  // In a 16-bit segment, b8 xx xx is mov ax, imm16 (upper half of EAX kept).
  h.state().rip = 0x7c00;
  h.write<uint8_t>(0x7c00, 0xb8);
  h.write<uint16_t>(0x7c01, 0x1234);
  h.write<uint8_t>(0x7c03, 0xf4);
  h.run(1);
  EXPECT_EQ(h.cpu().state.gpr[kRax], 0xffff1234u);
}

TEST(CpuProtected, CompatibilityModeRunsThirtyTwoBitCodeUnderLongMode) {
  CpuHarness h(Mode::kLong64);
  // 0x18 is a 32-bit code segment: far return into it from 64-bit code.
  // push 0x18; push target; retfq (48 cb)
  const uint64_t target = CpuHarness::kCodeAddress + 0x40;
  std::vector<uint8_t> code = {0x6a, 0x18, 0x68, uint8_t(target), uint8_t(target >> 8),
                               uint8_t(target >> 16), 0x00, 0x48, 0xcb};
  h.load_code(code);
  // In compatibility mode, 0x48 is DEC EAX (not a REX prefix).
  h.write<uint8_t>(target, 0x48);
  h.write<uint8_t>(target + 1, 0xf4);
  h.state().gpr[kRax] = 0x100000005ull;
  h.run(4);
  EXPECT_EQ(h.cpu().code_size(), CodeSize::k32);
  EXPECT_TRUE(h.cpu().long_mode());
  EXPECT_EQ(h.cpu().state.gpr[kRax], 4u);  // 32-bit result zero-extends
}

}  // namespace
}  // namespace rwd::test

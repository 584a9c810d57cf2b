// SPDX-License-Identifier: MIT
// Architectural state of one x86-64 vCPU as plain data: what a checkpoint saves, what the state
// hash covers, what gdb and Lua read. Nothing here points anywhere, so a State can be copied,
// compared and serialised byte for byte (keep it free of padding surprises: fixed-width fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace rwd {

// General-purpose register numbers in hardware encoding order.
enum Gpr : uint8_t { kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi, kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15 };

// Segment register numbers in hardware encoding order.
enum SegReg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs, kNumSegs };

// RFLAGS bits (SDM Vol. 1 §3.4.3).
namespace flags {
constexpr uint64_t kCf = 1u << 0, kPf = 1u << 2, kAf = 1u << 4, kZf = 1u << 6, kSf = 1u << 7,
                   kTf = 1u << 8, kIf = 1u << 9, kDf = 1u << 10, kOf = 1u << 11,
                   kIopl = 3u << 12, kNt = 1u << 14, kRf = 1u << 16, kVm = 1u << 17,
                   kAc = 1u << 18, kVif = 1u << 19, kVip = 1u << 20, kId = 1u << 21;
constexpr uint64_t kArith = kCf | kPf | kAf | kZf | kSf | kOf;
constexpr uint64_t kFixed1 = 1u << 1;  // bit 1 always reads as 1
}  // namespace flags

// Control register and EFER bits used by the core.
namespace cr0 {
constexpr uint64_t kPe = 1u << 0, kMp = 1u << 1, kEm = 1u << 2, kTs = 1u << 3, kEt = 1u << 4,
                   kNe = 1u << 5, kWp = 1u << 16, kAm = 1u << 18, kNw = 1u << 29, kCd = 1u << 30,
                   kPg = 1u << 31;
}
namespace cr4 {
constexpr uint64_t kVme = 1u << 0, kPvi = 1u << 1, kTsd = 1u << 2, kDe = 1u << 3, kPse = 1u << 4,
                   kPae = 1u << 5, kMce = 1u << 6, kPge = 1u << 7, kPce = 1u << 8,
                   kOsfxsr = 1u << 9, kOsxmmexcpt = 1u << 10;
}
namespace efer {
constexpr uint64_t kSce = 1u << 0, kLme = 1u << 8, kLma = 1u << 10, kNxe = 1u << 11;
}

// A segment register's hidden part. `attributes` uses the layout of descriptor bytes 5..6
// (SDM Vol. 3 §3.4.5): bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G.
struct Segment {
  uint64_t base = 0;
  uint32_t limit = 0xffff;
  uint16_t selector = 0;
  uint16_t attributes = 0;

  bool present() const { return attributes & 0x80; }
  unsigned dpl() const { return (attributes >> 5) & 3; }
  bool long_mode() const { return attributes & 0x2000; }
  bool default_big() const { return attributes & 0x4000; }
  unsigned type() const { return attributes & 0xf; }
  bool is_code() const { return (attributes & 0x18) == 0x18; }
};

struct DescriptorTable {
  uint64_t base = 0;
  uint32_t limit = 0xffff;
  uint32_t pad_ = 0;
};

struct alignas(16) Xmm {
  uint64_t lo = 0, hi = 0;
};

// x87 and SSE state in the FXSAVE image layout's terms (SDM Vol. 1 §10.5.1). st[] is indexed by
// physical register number (not by stack position); each holds an 80-bit extended value.
struct FpuState {
  uint8_t st[8][16] = {};  // 10 significant bytes each, padded to 16 like FXSAVE
  uint16_t fcw = 0x037f;
  uint16_t fsw = 0;
  uint16_t ftw = 0xffff;  // full tag word: 2 bits per register, 11 = empty
  uint16_t fop = 0;
  uint64_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0;
  uint32_t mxcsr = 0x1f80;
  Xmm xmm[16];
};

struct CpuState {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = flags::kFixed1;
  Segment seg[kNumSegs];
  Segment ldtr, tr;
  DescriptorTable gdtr, idtr;
  uint64_t cr0 = 0x60000010, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  uint64_t dr[8] = {0, 0, 0, 0, 0xffff0ff0, 0x400, 0xffff0ff0, 0x400};  // dr4/5 alias dr6/7
  uint64_t efer = 0;
  uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0, kernel_gs_base = 0;
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t apic_base = 0xfee00900;  // BSP, xAPIC enabled
  uint64_t pat = 0x0007040600070406ull;
  uint64_t misc_enable = 1;          // fast strings
  uint64_t mtrr_def_type = 0;
  uint64_t mtrr_fixed[11] = {};
  uint64_t mtrr_var[16] = {};        // base/mask pairs for 8 variable ranges
  uint64_t tsc_adjust = 0;           // TSC = virtual-time ticks + tsc_adjust
  uint64_t tsc_aux = 0;
  uint64_t reserved_ = 0;  // keeps `fpu` 16-byte aligned without hidden padding
  FpuState fpu;
  uint8_t cpl = 0;
  uint8_t halted = 0;
  // Set by MOV SS / POP SS / STI: interrupts are inhibited until after the next instruction.
  uint8_t interrupt_shadow = 0;
  uint8_t pad_[13] = {};
};
// Hashes and snapshots take the state's bytes as they are: there must be no padding in it.
static_assert(std::has_unique_object_representations_v<CpuState>);

}  // namespace rwd

// SPDX-License-Identifier: MIT
// Operand access and flag arithmetic shared by every semantic definition. Semantics are plain
// C++ over (Cpu&, const Insn&): the interpreter instantiates them directly; the LLVM tier
// compiles these same headers to bitcode and calls/inlines them (DESIGN §3), so no instruction
// is described twice.
#pragma once

#include <cstdint>

#include "jit/cpu.h"
#include "jit/decode/insn.h"

namespace rwd::sem {

// The operand helpers sit on every instruction's path: make sure the interpreter inlines them.
#define REWIND_INLINE inline __attribute__((always_inline))

constexpr uint64_t size_mask(unsigned size) {
  return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
constexpr uint64_t sign_bit(unsigned size) { return 1ull << (size * 8 - 1); }
inline int64_t sign_extend(uint64_t v, unsigned size) {
  unsigned shift = 64 - size * 8;
  return int64_t(v << shift) >> shift;
}

REWIND_INLINE uint64_t effective_address(const Cpu& c, const Insn& i, const Operand& o) {
  uint64_t ea = uint64_t(o.value);
  if (o.base == kRipBase)
    ea += c.state.rip;  // RIP already points at the next instruction
  else if (o.base != kNoReg)
    ea += c.state.gpr[o.base];
  if (o.index != kNoReg) ea += c.state.gpr[o.index] * o.scale;
  if (i.addr_size == 4) return ea & 0xffffffff;
  if (i.addr_size == 2) return ea & 0xffff;
  return ea;
}

REWIND_INLINE uint64_t read_reg(const Cpu& c, const Operand& o, unsigned size) {
  switch (o.reg_class) {
    case RegClass::kGpr: return c.gpr(o.reg, size);
    case RegClass::kGpr8High: return (c.state.gpr[o.reg] >> 8) & 0xff;
    case RegClass::kSeg: return c.state.seg[o.reg].selector;
    default: return 0;
  }
}

REWIND_INLINE void write_reg(Cpu& c, const Operand& o, unsigned size, uint64_t v) {
  if (o.reg_class == RegClass::kGpr8High) {
    uint64_t& r = c.state.gpr[o.reg];
    r = (r & ~0xff00ull) | ((v & 0xff) << 8);
  } else {
    c.set_gpr(o.reg, size, v);
  }
}

// Reads operand n at `size` bytes (immediates are sign-extended by the decoder, then masked).
REWIND_INLINE uint64_t read_op(Cpu& c, const Insn& i, unsigned n, unsigned size) {
  const Operand& o = i.op[n];
  switch (o.kind) {
    case OperandKind::kReg: return read_reg(c, o, size);
    case OperandKind::kMem: return c.read(o.seg, effective_address(c, i, o), size);
    case OperandKind::kImm: return uint64_t(o.value) & size_mask(size);
    default: return 0;
  }
}
inline uint64_t read_op(Cpu& c, const Insn& i, unsigned n) { return read_op(c, i, n, i.op[n].size); }

REWIND_INLINE void write_op(Cpu& c, const Insn& i, unsigned n, unsigned size, uint64_t v) {
  const Operand& o = i.op[n];
  if (o.kind == OperandKind::kReg)
    write_reg(c, o, size, v);
  else
    c.write(o.seg, effective_address(c, i, o), size, v);
}
inline void write_op(Cpu& c, const Insn& i, unsigned n, uint64_t v) {
  write_op(c, i, n, i.op[n].size, v);
}

// --- Flags --------------------------------------------------------------------------------

inline uint64_t parity_flag(uint64_t r) { return __builtin_parity(uint8_t(r)) ? 0 : flags::kPf; }

// ZF, SF, PF of a result.
REWIND_INLINE uint64_t szp(uint64_t r, unsigned size) {
  r &= size_mask(size);
  return (r == 0 ? flags::kZf : 0) | ((r & sign_bit(size)) ? flags::kSf : 0) | parity_flag(r);
}

REWIND_INLINE uint64_t flags_add(uint64_t a, uint64_t b, uint64_t r, uint64_t carry, unsigned size) {
  const uint64_t m = size_mask(size);
  a &= m, b &= m, r &= m;
  uint64_t cf = size == 8 ? (r < a || (carry && r == a)) : ((a + b + carry) >> (size * 8)) & 1;
  uint64_t of = ((a ^ r) & (b ^ r) & sign_bit(size)) ? flags::kOf : 0;
  return szp(r, size) | (cf ? flags::kCf : 0) | of | ((a ^ b ^ r) & flags::kAf);
}

REWIND_INLINE uint64_t flags_sub(uint64_t a, uint64_t b, uint64_t r, uint64_t borrow, unsigned size) {
  const uint64_t m = size_mask(size);
  a &= m, b &= m, r &= m;
  uint64_t cf = a < b || (borrow && a == b);
  uint64_t of = ((a ^ b) & (a ^ r) & sign_bit(size)) ? flags::kOf : 0;
  return szp(r, size) | (cf ? flags::kCf : 0) | of | ((a ^ b ^ r) & flags::kAf);
}

REWIND_INLINE uint64_t flags_logic(uint64_t r, unsigned size) { return szp(r, size); }

// Replaces the bits in `which` with `value`.
REWIND_INLINE void set_flags(Cpu& c, uint64_t which, uint64_t value) {
  c.state.rflags = (c.state.rflags & ~which) | (value & which);
}
inline bool flag(const Cpu& c, uint64_t f) { return c.state.rflags & f; }

// Condition codes (SDM Vol. 1 Appendix B), by the low nibble of the Jcc/SETcc/CMOVcc opcode.
REWIND_INLINE bool condition(const Cpu& c, unsigned cc) {
  const uint64_t f = c.state.rflags;
  bool r;
  switch (cc >> 1) {
    case 0: r = f & flags::kOf; break;
    case 1: r = f & flags::kCf; break;
    case 2: r = f & flags::kZf; break;
    case 3: r = f & (flags::kCf | flags::kZf); break;
    case 4: r = f & flags::kSf; break;
    case 5: r = f & flags::kPf; break;
    case 6: r = bool(f & flags::kSf) != bool(f & flags::kOf); break;
    default: r = (f & flags::kZf) || (bool(f & flags::kSf) != bool(f & flags::kOf)); break;
  }
  return (cc & 1) ? !r : r;
}

// Branch target of a near transfer, truncated to the operand size (SDM Vol. 2 JMP).
inline uint64_t branch_target(const Cpu& c, const Insn& i, uint64_t target) {
  if (i.op_size == 2) return target & 0xffff;
  if (i.op_size == 4) return target & 0xffffffff;
  (void)c;
  return target;
}

// Canonical-address check for 64-bit branch targets.
inline void check_canonical_target(Cpu& c, uint64_t target) {
  if (c.in_64bit_code() && uint64_t(int64_t(target << 16) >> 16) != target) c.raise(vec::kGp, 0);
}

}  // namespace rwd::sem

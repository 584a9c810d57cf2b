// SPDX-License-Identifier: MIT
// Control transfers and the stack (SDM Vol. 2: Jcc, JMP, CALL, RET, LOOP, INT, IRET, ENTER,
// LEAVE, PUSH, POP). Near targets are truncated to the operand size; far transfers go through
// Cpu::far_transfer / far_return for the protected-mode checks.
#pragma once

#include "jit/semantics/operands.h"

namespace rwd::sem {

template <unsigned kCc>
void jcc(Cpu& c, const Insn& i) {
  if (condition(c, kCc)) {
    uint64_t target = branch_target(c, i, c.state.rip + uint64_t(i.op[0].value));
    check_canonical_target(c, target);
    c.state.rip = target;
  }
}

// JCXZ/JECXZ/JRCXZ: the counter width is the address size.
inline void jrcxz(Cpu& c, const Insn& i) {
  if (c.gpr(kRcx, i.addr_size) == 0)
    c.state.rip = branch_target(c, i, c.state.rip + uint64_t(i.op[0].value));
}

// LOOP/LOOPE/LOOPNE: kKind 0 = plain, 1 = while ZF, 2 = while !ZF.
template <unsigned kKind>
void loop(Cpu& c, const Insn& i) {
  const unsigned n = i.addr_size;
  const uint64_t count = (c.gpr(kRcx, n) - 1) & size_mask(n);
  c.set_gpr(kRcx, n, count);
  bool take = count != 0;
  if (kKind == 1) take = take && flag(c, flags::kZf);
  if (kKind == 2) take = take && !flag(c, flags::kZf);
  if (take) c.state.rip = branch_target(c, i, c.state.rip + uint64_t(i.op[0].value));
}

inline void jmp(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  if (i.flags & insn_flags::kFar) {
    if (o.kind == OperandKind::kPtr) {
      c.far_transfer(o.ptr_selector, uint64_t(o.value), i.op_size, false, 0);
    } else {  // m16:16/32/64
      uint64_t ea = effective_address(c, i, o);
      unsigned off_size = o.size - 2;
      uint64_t offset = c.read(o.seg, ea, off_size);
      uint16_t sel = uint16_t(c.read(o.seg, ea + off_size, 2));
      c.far_transfer(sel, offset, off_size, false, 0);
    }
    return;
  }
  uint64_t target = o.kind == OperandKind::kImm ? c.state.rip + uint64_t(o.value)
                                                : read_op(c, i, 0, i.op_size);
  target = branch_target(c, i, target);
  check_canonical_target(c, target);
  c.state.rip = target;
}

inline void call(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  const uint64_t ret = c.state.rip;
  if (i.flags & insn_flags::kFar) {
    if (o.kind == OperandKind::kPtr) {
      c.far_transfer(o.ptr_selector, uint64_t(o.value), i.op_size, true, ret);
    } else {
      uint64_t ea = effective_address(c, i, o);
      unsigned off_size = o.size - 2;
      uint64_t offset = c.read(o.seg, ea, off_size);
      uint16_t sel = uint16_t(c.read(o.seg, ea + off_size, 2));
      c.far_transfer(sel, offset, off_size, true, ret);
    }
    return;
  }
  uint64_t target = o.kind == OperandKind::kImm ? ret + uint64_t(o.value)
                                                : read_op(c, i, 0, i.op_size);
  target = branch_target(c, i, target);
  check_canonical_target(c, target);
  c.push(ret, i.op_size);
  c.state.rip = target;
}

inline void ret(Cpu& c, const Insn& i) {
  const uint16_t extra = i.num_ops ? uint16_t(i.op[0].value) : 0;
  if (i.flags & insn_flags::kFar) {
    c.far_return(i.op_size, extra, false);
    return;
  }
  const uint64_t sp = c.stack_pointer();
  uint64_t target = branch_target(c, i, c.read(kSs, sp, i.op_size));
  check_canonical_target(c, target);
  c.set_stack_pointer(sp + i.op_size + extra);
  c.state.rip = target;
}

inline void iret(Cpu& c, const Insn& i) { c.far_return(i.op_size, 0, true); }

inline void int_n(Cpu& c, const Insn& i) {
  c.software_interrupt(uint8_t(i.op[0].value), c.state.rip);
}
inline void int3(Cpu& c, const Insn&) { c.deliver(vec::kBp, false, 0, true, c.state.rip); }
inline void into(Cpu& c, const Insn&) {
  if (flag(c, flags::kOf)) c.deliver(vec::kOf, false, 0, true, c.state.rip);
}
inline void int1(Cpu& c, const Insn&) { c.deliver(vec::kDb, false, 0, false, c.state.rip); }

// --- Stack ---------------------------------------------------------------------------------

inline void push(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  if (o.kind == OperandKind::kReg && o.reg_class == RegClass::kSeg) {
    c.push(c.state.seg[o.reg].selector, i.op_size);
    return;
  }
  // PUSH imm8/imm16/imm32 is sign-extended to the operand size by the decoder.
  uint64_t v = read_op(c, i, 0, i.op_size);
  if (o.kind == OperandKind::kReg && o.reg == kRsp && o.reg_class == RegClass::kGpr)
    v = c.gpr(kRsp, i.op_size);  // pushes the value before the decrement
  c.push(v, i.op_size);
}

inline void pop(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  const uint64_t sp = c.stack_pointer();
  const uint64_t v = c.read(kSs, sp, i.op_size);
  if (o.kind == OperandKind::kReg && o.reg_class == RegClass::kSeg) {
    c.load_segment(o.reg, uint16_t(v));
    c.set_stack_pointer(sp + i.op_size);
    return;
  }
  // POP into memory computes the address after incrementing rSP (SDM Vol. 2 POP).
  c.set_stack_pointer(sp + i.op_size);
  try {
    write_op(c, i, 0, i.op_size, v);
  } catch (...) {
    c.set_stack_pointer(sp);
    throw;
  }
}

inline void pusha(Cpu& c, const Insn& i) {
  const unsigned n = i.op_size;
  const uint64_t sp = c.gpr(kRsp, n);
  for (unsigned r = 0; r < 8; r++) c.push(r == kRsp ? sp : c.gpr(r, n), n);
}
inline void popa(Cpu& c, const Insn& i) {
  const unsigned n = i.op_size;
  for (int r = 7; r >= 0; r--) {
    uint64_t v = c.pop(n);
    if (r != kRsp) c.set_gpr(unsigned(r), n, v);
  }
}

inline void pushf(Cpu& c, const Insn& i) {
  if (c.v86_mode() && ((c.state.rflags >> 12) & 3) < 3) c.raise(vec::kGp, 0);
  // VM and RF are never pushed as set.
  c.push(c.state.rflags & ~(flags::kVm | flags::kRf), i.op_size);
}

inline void popf(Cpu& c, const Insn& i) {
  if (c.v86_mode() && ((c.state.rflags >> 12) & 3) < 3) c.raise(vec::kGp, 0);
  const uint64_t v = c.pop(i.op_size);
  const unsigned cpl = c.state.cpl, iopl = (c.state.rflags >> 12) & 3;
  uint64_t changeable = flags::kArith | flags::kTf | flags::kDf | flags::kNt | flags::kAc |
                        flags::kId;
  if (!c.protected_mode() || cpl == 0) changeable |= flags::kIopl;
  if (!c.protected_mode() || cpl <= iopl) changeable |= flags::kIf;
  if (i.op_size == 2) changeable &= 0xffff;
  c.set_rflags((c.state.rflags & ~changeable) | (v & changeable));
}

inline void enter(Cpu& c, const Insn& i) {
  const unsigned n = i.op_size;
  const uint64_t alloc = uint64_t(i.op[0].value) & 0xffff;
  const unsigned level = unsigned(i.op[1].value) & 31;
  const unsigned ss = c.stack_size();
  const uint64_t mask = size_mask(ss);
  c.push(c.gpr(kRbp, n), n);
  const uint64_t frame = c.stack_pointer();
  if (level > 0) {
    uint64_t bp = c.gpr(kRbp, ss);
    for (unsigned l = 1; l < level; l++) {
      bp = (bp - n) & mask;
      c.push(c.read(kSs, bp, n), n);
    }
    c.push(frame, n);
  }
  const uint64_t new_sp = (c.stack_pointer() - alloc) & mask;
  // Touch the lowest byte so a stack fault happens before any register changes.
  c.read(kSs, new_sp, 1);
  c.set_gpr(kRbp, n, frame);
  c.set_stack_pointer(new_sp);
}

inline void leave(Cpu& c, const Insn& i) {
  const unsigned ss = c.stack_size();
  const uint64_t bp = c.gpr(kRbp, ss);
  const uint64_t v = c.read(kSs, bp, i.op_size);
  c.set_stack_pointer(bp + i.op_size);
  c.set_gpr(kRbp, i.op_size, v);
}

}  // namespace rwd::sem

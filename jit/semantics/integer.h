// SPDX-License-Identifier: MIT
// General-purpose integer instructions (SDM Vol. 2): arithmetic, logic, shifts and rotates,
// multiply/divide, bit operations, data movement. Templates on the operand size N (bytes).
// Memory destinations are written before flags are committed, so a faulting write leaves the
// flags untouched (precise exceptions).
#pragma once

#include "jit/semantics/operands.h"

namespace rwd::sem {

// --- ADD ADC SUB SBB CMP AND OR XOR TEST --------------------------------------------------

enum class AluOp { kAdd, kAdc, kSub, kSbb, kCmp, kAnd, kOr, kXor, kTest };

// Result and flags of an ALU operation.
template <AluOp kOp, unsigned N>
REWIND_INLINE uint64_t alu_compute(uint64_t a, uint64_t b, uint64_t carry, uint64_t* f) {
  uint64_t r;
  switch (kOp) {
    case AluOp::kAdd: r = a + b; *f = flags_add(a, b, r, 0, N); break;
    case AluOp::kAdc: r = a + b + carry; *f = flags_add(a, b, r, carry, N); break;
    case AluOp::kSub:
    case AluOp::kCmp: r = a - b; *f = flags_sub(a, b, r, 0, N); break;
    case AluOp::kSbb: r = a - b - carry; *f = flags_sub(a, b, r, carry, N); break;
    case AluOp::kAnd:
    case AluOp::kTest: r = a & b; *f = flags_logic(r, N); break;
    case AluOp::kOr: r = a | b; *f = flags_logic(r, N); break;
    default: r = a ^ b; *f = flags_logic(r, N); break;
  }
  // Logic ops clear OF and CF; AF is undefined there and we clear it like current CPUs.
  return r;
}

template <AluOp kOp, unsigned N>
void alu(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N);
  const uint64_t b = read_op(c, i, 1, N);
  uint64_t f;
  const uint64_t r = alu_compute<kOp, N>(a, b, c.state.rflags & flags::kCf, &f);
  if (kOp != AluOp::kCmp && kOp != AluOp::kTest) write_op(c, i, 0, N, r);
  set_flags(c, flags::kArith, f);
}

// Operand-kind specialisations of the hottest instructions: the decoder picks one per
// (destination kind, source kind), so the interpreter's path has no kind dispatch and a
// read-modify-write memory destination computes its address once.
template <OperandKind K, unsigned N>
REWIND_INLINE uint64_t read_k(Cpu& c, const Insn& i, unsigned n) {
  const Operand& o = i.op[n];
  if constexpr (K == OperandKind::kReg) {
    if constexpr (N == 1)
      return read_reg(c, o, 1);  // may be AH..BH
    else
      return c.gpr(o.reg, N);
  } else if constexpr (K == OperandKind::kImm) {
    return uint64_t(o.value) & size_mask(N);
  } else {
    return c.read(o.seg, effective_address(c, i, o), N);
  }
}

template <unsigned N>
REWIND_INLINE void write_reg_k(Cpu& c, const Operand& o, uint64_t v) {
  if constexpr (N == 1)
    write_reg(c, o, 1, v);
  else
    c.set_gpr(o.reg, N, v);
}

template <AluOp kOp, unsigned N, OperandKind K0, OperandKind K1>
void alu_k(Cpu& c, const Insn& i) {
  const Operand& d = i.op[0];
  uint64_t a, ea = 0;
  if constexpr (K0 == OperandKind::kMem) {
    ea = effective_address(c, i, d);
    a = c.read(d.seg, ea, N);
  } else {
    a = read_k<K0, N>(c, i, 0);
  }
  const uint64_t b = read_k<K1, N>(c, i, 1);
  uint64_t f;
  const uint64_t r = alu_compute<kOp, N>(a, b, c.state.rflags & flags::kCf, &f);
  if constexpr (kOp != AluOp::kCmp && kOp != AluOp::kTest) {
    if constexpr (K0 == OperandKind::kMem)
      c.write(d.seg, ea, N, r);
    else
      write_reg_k<N>(c, d, r);
  }
  set_flags(c, flags::kArith, f);
}

template <unsigned N, OperandKind K0, OperandKind K1>
void mov_k(Cpu& c, const Insn& i) {
  const uint64_t v = read_k<K1, N>(c, i, 1);
  const Operand& d = i.op[0];
  if constexpr (K0 == OperandKind::kMem)
    c.write(d.seg, effective_address(c, i, d), N, v);
  else
    write_reg_k<N>(c, d, v);
}

template <unsigned N> void add(Cpu& c, const Insn& i) { alu<AluOp::kAdd, N>(c, i); }
template <unsigned N> void adc(Cpu& c, const Insn& i) { alu<AluOp::kAdc, N>(c, i); }
template <unsigned N> void sub(Cpu& c, const Insn& i) { alu<AluOp::kSub, N>(c, i); }
template <unsigned N> void sbb(Cpu& c, const Insn& i) { alu<AluOp::kSbb, N>(c, i); }
template <unsigned N> void cmp(Cpu& c, const Insn& i) { alu<AluOp::kCmp, N>(c, i); }
template <unsigned N> void and_(Cpu& c, const Insn& i) { alu<AluOp::kAnd, N>(c, i); }
template <unsigned N> void or_(Cpu& c, const Insn& i) { alu<AluOp::kOr, N>(c, i); }
template <unsigned N> void xor_(Cpu& c, const Insn& i) { alu<AluOp::kXor, N>(c, i); }
template <unsigned N> void test(Cpu& c, const Insn& i) { alu<AluOp::kTest, N>(c, i); }

template <unsigned N>
void inc(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N), r = a + 1;
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kArith & ~flags::kCf, flags_add(a, 1, r, 0, N));
}
template <unsigned N>
void dec(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N), r = a - 1;
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kArith & ~flags::kCf, flags_sub(a, 1, r, 0, N));
}
template <unsigned N>
void neg(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N), r = 0 - a;
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kArith, flags_sub(0, a, r, 0, N));
}
template <unsigned N>
void not_(Cpu& c, const Insn& i) {
  write_op(c, i, 0, N, ~read_op(c, i, 0, N));
}

// --- Shifts and rotates (SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR) -----------------------

enum class ShiftOp { kShl, kShr, kSar, kRol, kRor, kRcl, kRcr };

template <ShiftOp kOp, unsigned N>
void shift(Cpu& c, const Insn& i) {
  constexpr unsigned kBits = N * 8;
  const uint64_t m = size_mask(N);
  const uint64_t a = read_op(c, i, 0, N);
  // Count: CL or imm8 (or 1 when the form has no second operand), masked to 5 or 6 bits.
  uint64_t count = i.num_ops > 1 ? read_op(c, i, 1, 1) : 1;
  count &= N == 8 ? 0x3f : 0x1f;
  if (count == 0) {
    // Flags unchanged. A 32-bit register destination is still written, which clears bits
    // 63:32 (SDM Vol. 1 §3.4.1.1; hardware does it even for a masked count of 0).
    if (N == 4 && i.op[0].kind == OperandKind::kReg) write_op(c, i, 0, 4, a);
    return;
  }
  uint64_t r = 0, f = c.state.rflags;
  const bool cf_in = f & flags::kCf;
  bool cf = false, of = false;
  switch (kOp) {
    case ShiftOp::kShl:
      r = count < 64 ? (a << count) & m : 0;
      cf = count <= kBits ? (a >> (kBits - count)) & 1 : 0;
      of = bool(r & sign_bit(N)) != cf;
      f = (f & ~flags::kArith) | szp(r, N);
      break;
    case ShiftOp::kShr:
      r = count < 64 ? a >> count : 0;
      cf = (a >> (count - 1)) & 1;
      of = a & sign_bit(N);
      f = (f & ~flags::kArith) | szp(r, N);
      break;
    case ShiftOp::kSar: {
      int64_t sa = sign_extend(a, N);
      r = uint64_t(sa >> (count > 63 ? 63 : count)) & m;
      cf = (sa >> (count - 1 > 63 ? 63 : count - 1)) & 1;
      of = false;
      f = (f & ~flags::kArith) | szp(r, N);
      break;
    }
    case ShiftOp::kRol: {
      unsigned k = count % kBits;
      r = k ? ((a << k) | (a >> (kBits - k))) & m : a;
      cf = r & 1;
      of = bool(r & sign_bit(N)) != cf;
      f &= ~(flags::kCf | flags::kOf);
      break;
    }
    case ShiftOp::kRor: {
      unsigned k = count % kBits;
      r = k ? ((a >> k) | (a << (kBits - k))) & m : a;
      cf = r & sign_bit(N);
      of = bool(r & sign_bit(N)) != bool(r & (sign_bit(N) >> 1));
      f &= ~(flags::kCf | flags::kOf);
      break;
    }
    case ShiftOp::kRcl: {
      unsigned k = count % (kBits + 1);
      r = a;
      cf = cf_in;
      for (unsigned s = 0; s < k; s++) {
        bool out = r & sign_bit(N);
        r = ((r << 1) | (cf ? 1 : 0)) & m;
        cf = out;
      }
      of = bool(r & sign_bit(N)) != cf;
      f &= ~(flags::kCf | flags::kOf);
      break;
    }
    case ShiftOp::kRcr: {
      unsigned k = count % (kBits + 1);
      r = a;
      cf = cf_in;
      of = bool(a & sign_bit(N)) != cf_in;
      for (unsigned s = 0; s < k; s++) {
        bool out = r & 1;
        r = (r >> 1) | (cf ? sign_bit(N) : 0);
        cf = out;
      }
      f &= ~(flags::kCf | flags::kOf);
      break;
    }
  }
  write_op(c, i, 0, N, r);
  if (cf) f |= flags::kCf;
  else f &= ~flags::kCf;
  // OF is defined only for 1-bit shifts; for larger counts we produce what Intel CPUs do for
  // the common cases (the differential tests mask it).
  if (of) f |= flags::kOf;
  else f &= ~flags::kOf;
  c.state.rflags = f;
}

template <unsigned N> void shl(Cpu& c, const Insn& i) { shift<ShiftOp::kShl, N>(c, i); }
template <unsigned N> void shr(Cpu& c, const Insn& i) { shift<ShiftOp::kShr, N>(c, i); }
template <unsigned N> void sar(Cpu& c, const Insn& i) { shift<ShiftOp::kSar, N>(c, i); }
template <unsigned N> void rol(Cpu& c, const Insn& i) { shift<ShiftOp::kRol, N>(c, i); }
template <unsigned N> void ror(Cpu& c, const Insn& i) { shift<ShiftOp::kRor, N>(c, i); }
template <unsigned N> void rcl(Cpu& c, const Insn& i) { shift<ShiftOp::kRcl, N>(c, i); }
template <unsigned N> void rcr(Cpu& c, const Insn& i) { shift<ShiftOp::kRcr, N>(c, i); }

// SHLD/SHRD: op0 = dest, op1 = source of the bits shifted in, op2 = count (CL or imm8).
template <bool kLeft, unsigned N>
void shift_double(Cpu& c, const Insn& i) {
  constexpr unsigned kBits = N * 8;
  const uint64_t m = size_mask(N);
  const uint64_t a = read_op(c, i, 0, N), b = read_op(c, i, 1, N);
  unsigned count = read_op(c, i, 2, 1) & (N == 8 ? 0x3f : 0x1f);
  if (count == 0) {
    if (N == 4 && i.op[0].kind == OperandKind::kReg) write_op(c, i, 0, 4, a);  // see shift()
    return;
  }
  uint64_t r;
  bool cf;
  if (count > kBits) {
    // Undefined for 16-bit operands with count > 16; emulate a 32-bit-wide funnel like Intel.
    count %= kBits;
    if (count == 0) count = kBits;
  }
  if (kLeft) {
    // (a:b) << count, take the high half.
    r = count == kBits ? b : ((a << count) | (b >> (kBits - count))) & m;
    cf = (a >> (kBits - count)) & 1;
  } else {
    r = count == kBits ? b : ((a >> count) | (b << (kBits - count))) & m;
    cf = (a >> (count - 1)) & 1;
  }
  write_op(c, i, 0, N, r);
  uint64_t f = (c.state.rflags & ~flags::kArith) | szp(r, N);
  if (cf) f |= flags::kCf;
  if (bool(r & sign_bit(N)) != bool(a & sign_bit(N))) f |= flags::kOf;
  c.state.rflags = f;
}
template <unsigned N> void shld(Cpu& c, const Insn& i) { shift_double<true, N>(c, i); }
template <unsigned N> void shrd(Cpu& c, const Insn& i) { shift_double<false, N>(c, i); }

// --- MUL IMUL DIV IDIV -----------------------------------------------------------------------

// Writes the double-width result of a one-operand multiply/divide to AX, DX:AX, EDX:EAX or
// RDX:RAX.
template <unsigned N>
inline void set_acc_pair(Cpu& c, uint64_t lo, uint64_t hi) {
  if (N == 1) {
    c.set_gpr(kRax, 2, (lo & 0xff) | ((hi & 0xff) << 8));
  } else {
    c.set_gpr(kRax, N, lo);
    c.set_gpr(kRdx, N, hi);
  }
}

template <bool kSigned, unsigned N>
void mul1(Cpu& c, const Insn& i) {
  const uint64_t src = read_op(c, i, 0, N);
  const uint64_t acc = c.gpr(kRax, N);
  uint64_t lo, hi;
  bool overflow;
  if (kSigned) {
    __int128 p = __int128(sign_extend(acc, N)) * __int128(sign_extend(src, N));
    lo = uint64_t(p) & size_mask(N);
    hi = N == 8 ? uint64_t(p >> 64) : uint64_t(p >> (N * 8)) & size_mask(N);
    overflow = p != __int128(sign_extend(lo, N));
  } else {
    unsigned __int128 p = (unsigned __int128)acc * src;
    lo = uint64_t(p) & size_mask(N);
    hi = N == 8 ? uint64_t(p >> 64) : uint64_t(p >> (N * 8)) & size_mask(N);
    overflow = hi != 0;
  }
  set_acc_pair<N>(c, lo, hi);
  // SF, ZF, AF, PF are undefined; we compute SF/ZF/PF from the low half and clear AF, as
  // Intel's recent cores do.
  uint64_t f = szp(lo, N) | (overflow ? flags::kCf | flags::kOf : 0);
  set_flags(c, flags::kArith, f);
}
template <unsigned N> void mul(Cpu& c, const Insn& i) { mul1<false, N>(c, i); }

// IMUL in its three forms: 1 operand (like MUL), 2 operands (r *= r/m), 3 operands (r = r/m*imm).
template <unsigned N>
void imul(Cpu& c, const Insn& i) {
  if (i.num_ops == 1) {
    mul1<true, N>(c, i);
    return;
  }
  const int64_t a = sign_extend(read_op(c, i, i.num_ops == 3 ? 1 : 0, N), N);
  const int64_t b = sign_extend(read_op(c, i, i.num_ops == 3 ? 2 : 1, N), N);
  __int128 p = __int128(a) * __int128(b);
  uint64_t r = uint64_t(p) & size_mask(N);
  bool overflow = p != __int128(sign_extend(r, N));
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kArith, szp(r, N) | (overflow ? flags::kCf | flags::kOf : 0));
}

template <bool kSigned, unsigned N>
void div1(Cpu& c, const Insn& i) {
  const uint64_t divisor = read_op(c, i, 0, N);
  if (divisor == 0) c.raise(vec::kDe);
  unsigned __int128 dividend;
  if (N == 1)
    dividend = c.gpr(kRax, 2);
  else
    dividend = ((unsigned __int128)c.gpr(kRdx, N) << (N * 8)) | c.gpr(kRax, N);
  uint64_t q, r;
  if (kSigned) {
    __int128 sd;
    if (N == 8)
      sd = __int128(dividend);
    else {
      unsigned shift = 128 - N * 16;
      sd = __int128(dividend << shift) >> shift;
    }
    __int128 sv = sign_extend(divisor, N);
    __int128 sq = sd / sv;
    __int128 sr = sd % sv;
    __int128 lo = -(__int128(1) << (N * 8 - 1)), hi = (__int128(1) << (N * 8 - 1)) - 1;
    if (sq < lo || sq > hi) c.raise(vec::kDe);
    q = uint64_t(sq) & size_mask(N);
    r = uint64_t(sr) & size_mask(N);
  } else {
    unsigned __int128 uq = dividend / divisor;
    if (uq > size_mask(N)) c.raise(vec::kDe);
    q = uint64_t(uq);
    r = uint64_t(dividend % divisor);
  }
  set_acc_pair<N>(c, q, r);
  // All arithmetic flags are undefined after DIV/IDIV; leave them unchanged.
}
template <unsigned N> void div(Cpu& c, const Insn& i) { div1<false, N>(c, i); }
template <unsigned N> void idiv(Cpu& c, const Insn& i) { div1<true, N>(c, i); }

// --- Bit operations ------------------------------------------------------------------------

enum class BitOp { kTest, kSet, kReset, kComplement };

template <BitOp kOp, unsigned N>
void bit(Cpu& c, const Insn& i) {
  const Operand& dst = i.op[0];
  uint64_t offset = read_op(c, i, 1, N);
  uint64_t value, ea = 0;
  unsigned bitpos;
  if (dst.kind == OperandKind::kMem && i.op[1].kind == OperandKind::kReg) {
    // Register bit offsets address memory beyond the operand (signed, SDM Vol. 2 BT).
    int64_t soff = sign_extend(offset, N);
    int64_t byte_disp = (soff >> (N == 8 ? 6 : N == 4 ? 5 : 4)) * int64_t(N);
    ea = effective_address(c, i, dst) + uint64_t(byte_disp);
    if (i.addr_size == 4) ea &= 0xffffffff;
    if (i.addr_size == 2) ea &= 0xffff;
    bitpos = unsigned(soff & (N * 8 - 1));
    value = c.read(dst.seg, ea, N);
  } else {
    bitpos = unsigned(offset & (N * 8 - 1));
    value = read_op(c, i, 0, N);
    if (dst.kind == OperandKind::kMem) ea = effective_address(c, i, dst);
  }
  const bool old = (value >> bitpos) & 1;
  uint64_t r = value;
  switch (kOp) {
    case BitOp::kTest: break;
    case BitOp::kSet: r |= 1ull << bitpos; break;
    case BitOp::kReset: r &= ~(1ull << bitpos); break;
    case BitOp::kComplement: r ^= 1ull << bitpos; break;
  }
  if (kOp != BitOp::kTest) {
    if (dst.kind == OperandKind::kMem)
      c.write(dst.seg, ea, N, r);
    else
      write_op(c, i, 0, N, r);
  }
  set_flags(c, flags::kCf, old ? flags::kCf : 0);
}
template <unsigned N> void bt(Cpu& c, const Insn& i) { bit<BitOp::kTest, N>(c, i); }
template <unsigned N> void bts(Cpu& c, const Insn& i) { bit<BitOp::kSet, N>(c, i); }
template <unsigned N> void btr(Cpu& c, const Insn& i) { bit<BitOp::kReset, N>(c, i); }
template <unsigned N> void btc(Cpu& c, const Insn& i) { bit<BitOp::kComplement, N>(c, i); }

template <unsigned N>
void bsf(Cpu& c, const Insn& i) {
  const uint64_t v = read_op(c, i, 1, N);
  if (v == 0) {
    // Destination unchanged (what every Intel/AMD CPU does), ZF set.
    set_flags(c, flags::kArith, flags::kZf);
    return;
  }
  write_op(c, i, 0, N, uint64_t(__builtin_ctzll(v)));
  set_flags(c, flags::kArith, parity_flag(0) & 0);
}
template <unsigned N>
void bsr(Cpu& c, const Insn& i) {
  const uint64_t v = read_op(c, i, 1, N);
  if (v == 0) {
    set_flags(c, flags::kArith, flags::kZf);
    return;
  }
  write_op(c, i, 0, N, uint64_t(63 - __builtin_clzll(v)));
  set_flags(c, flags::kArith, 0);
}
template <unsigned N>
void tzcnt(Cpu& c, const Insn& i) {
  const uint64_t v = read_op(c, i, 1, N);
  uint64_t r = v ? uint64_t(__builtin_ctzll(v)) : N * 8;
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kCf | flags::kZf, (v == 0 ? flags::kCf : 0) | (r == 0 ? flags::kZf : 0));
}
template <unsigned N>
void lzcnt(Cpu& c, const Insn& i) {
  const uint64_t v = read_op(c, i, 1, N);
  uint64_t r = v ? uint64_t(__builtin_clzll(v) - (64 - N * 8)) : N * 8;
  write_op(c, i, 0, N, r);
  set_flags(c, flags::kCf | flags::kZf, (v == 0 ? flags::kCf : 0) | (r == 0 ? flags::kZf : 0));
}
template <unsigned N>
void popcnt(Cpu& c, const Insn& i) {
  const uint64_t v = read_op(c, i, 1, N);
  write_op(c, i, 0, N, uint64_t(__builtin_popcountll(v)));
  set_flags(c, flags::kArith, v == 0 ? flags::kZf : 0);
}

template <unsigned N>
void bswap(Cpu& c, const Insn& i) {
  uint64_t v = read_op(c, i, 0, N);
  // BSWAP with a 16-bit operand is undefined; real CPUs zero the register's low word.
  uint64_t r = N == 8 ? __builtin_bswap64(v) : N == 4 ? __builtin_bswap32(uint32_t(v)) : 0;
  write_op(c, i, 0, N, r);
}

// --- Data movement -------------------------------------------------------------------------

template <unsigned N>
void mov(Cpu& c, const Insn& i) {
  write_op(c, i, 0, N, read_op(c, i, 1, N));
}

inline void movzx(Cpu& c, const Insn& i) {
  write_op(c, i, 0, read_op(c, i, 1));
}
inline void movsx(Cpu& c, const Insn& i) {
  write_op(c, i, 0, uint64_t(sign_extend(read_op(c, i, 1), i.op[1].size)));
}

template <unsigned N>
void xchg(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N), b = read_op(c, i, 1, N);
  // Write the memory operand (if any) first: it is the one that can fault.
  if (i.op[1].kind == OperandKind::kMem) {
    write_op(c, i, 1, N, a);
    write_op(c, i, 0, N, b);
  } else {
    write_op(c, i, 0, N, b);
    write_op(c, i, 1, N, a);
  }
}

template <unsigned N>
void xadd(Cpu& c, const Insn& i) {
  const uint64_t a = read_op(c, i, 0, N), b = read_op(c, i, 1, N), r = a + b;
  // SDM XADD: SRC := DEST, then DEST := SUM — with one register as both, the sum wins. A
  // memory destination is written first (it is the one that can fault).
  if (i.op[0].kind == OperandKind::kMem) {
    write_op(c, i, 0, N, r);
    write_op(c, i, 1, N, a);
  } else {
    write_op(c, i, 1, N, a);
    write_op(c, i, 0, N, r);
  }
  set_flags(c, flags::kArith, flags_add(a, b, r, 0, N));
}

template <unsigned N>
void cmpxchg(Cpu& c, const Insn& i) {
  const uint64_t dst = read_op(c, i, 0, N), acc = c.gpr(kRax, N);
  const uint64_t f = flags_sub(acc, dst, acc - dst, 0, N);
  if (acc == dst) {
    write_op(c, i, 0, N, read_op(c, i, 1, N));
  } else {
    // A memory destination is written back unchanged (the locked cycle always writes); a
    // register destination is left alone — no zero-extension of a 32-bit register — as
    // hardware does despite the SDM's pseudo-code.
    if (i.op[0].kind == OperandKind::kMem) write_op(c, i, 0, N, dst);
    c.set_gpr(kRax, N, dst);
  }
  set_flags(c, flags::kArith, f);
}

// CMPXCHG8B / CMPXCHG16B m64/m128.
inline void cmpxchg_wide(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  const unsigned half = o.size / 2;
  const uint64_t ea = effective_address(c, i, o);
  if (half == 8 && (ea & 15)) c.raise(vec::kGp, 0);
  const uint64_t lo = c.read(o.seg, ea, half), hi = c.read(o.seg, ea + half, half);
  if (lo == c.gpr(kRax, half) && hi == c.gpr(kRdx, half)) {
    c.write(o.seg, ea, half, c.gpr(kRbx, half));
    c.write(o.seg, ea + half, half, c.gpr(kRcx, half));
    set_flags(c, flags::kZf, flags::kZf);
  } else {
    c.write(o.seg, ea, half, lo);
    c.write(o.seg, ea + half, half, hi);
    c.set_gpr(kRax, half, lo);
    c.set_gpr(kRdx, half, hi);
    set_flags(c, flags::kZf, 0);
  }
}

inline void lea(Cpu& c, const Insn& i) {
  write_op(c, i, 0, i.op_size, effective_address(c, i, i.op[1]));
}

template <unsigned kCc>
void cmovcc(Cpu& c, const Insn& i) {
  const unsigned n = i.op[0].size;
  const uint64_t v = read_op(c, i, 1, n);  // the source is read (and may fault) either way
  if (condition(c, kCc))
    write_op(c, i, 0, n, v);
  else if (n == 4)
    write_op(c, i, 0, 4, read_op(c, i, 0, 4));  // 32-bit CMOV zero-extends even when false
}
template <unsigned kCc>
void setcc(Cpu& c, const Insn& i) {
  write_op(c, i, 0, 1, condition(c, kCc) ? 1 : 0);
}

// CBW/CWDE/CDQE: sign-extend the low half of the accumulator.
inline void convert_acc(Cpu& c, const Insn& i) {
  const unsigned n = i.op_size;
  c.set_gpr(kRax, n, uint64_t(sign_extend(c.gpr(kRax, n / 2), n / 2)));
}
// CWD/CDQ/CQO: sign of the accumulator into rDX.
inline void convert_acc_pair(Cpu& c, const Insn& i) {
  const unsigned n = i.op_size;
  c.set_gpr(kRdx, n, (c.gpr(kRax, n) & sign_bit(n)) ? ~0ull : 0);
}

// --- Flags instructions --------------------------------------------------------------------

inline void clc(Cpu& c, const Insn&) { c.state.rflags &= ~flags::kCf; }
inline void stc(Cpu& c, const Insn&) { c.state.rflags |= flags::kCf; }
inline void cmc(Cpu& c, const Insn&) { c.state.rflags ^= flags::kCf; }
inline void cld(Cpu& c, const Insn&) { c.state.rflags &= ~flags::kDf; }
inline void std_(Cpu& c, const Insn&) { c.state.rflags |= flags::kDf; }
inline void lahf(Cpu& c, const Insn&) {
  uint64_t& rax = c.state.gpr[kRax];
  rax = (rax & ~0xff00ull) | ((c.state.rflags & 0xd5) | 2) << 8;
}
inline void sahf(Cpu& c, const Insn&) {
  set_flags(c, 0xd5, (c.state.gpr[kRax] >> 8) & 0xd5);
}

// --- BCD (legacy modes only; #UD in 64-bit mode is the decoder's job) -----------------------

inline void daa(Cpu& c, const Insn&) {
  uint8_t al = uint8_t(c.state.gpr[kRax]);
  const uint8_t old_al = al;
  const bool old_cf = flag(c, flags::kCf);
  bool cf = false, af = false;
  if ((al & 0xf) > 9 || flag(c, flags::kAf)) {
    al += 6;
    cf = old_cf || old_al > 0xf9;
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al += 0x60;
    cf = true;
  }
  c.set_gpr(kRax, 1, al);
  set_flags(c, flags::kArith, szp(al, 1) | (cf ? flags::kCf : 0) | (af ? flags::kAf : 0));
}
inline void das(Cpu& c, const Insn&) {
  uint8_t al = uint8_t(c.state.gpr[kRax]);
  const uint8_t old_al = al;
  const bool old_cf = flag(c, flags::kCf);
  bool cf = false, af = false;
  if ((al & 0xf) > 9 || flag(c, flags::kAf)) {
    cf = old_cf || al < 6;
    al -= 6;
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al -= 0x60;
    cf = true;
  }
  c.set_gpr(kRax, 1, al);
  set_flags(c, flags::kArith, szp(al, 1) | (cf ? flags::kCf : 0) | (af ? flags::kAf : 0));
}
inline void aaa(Cpu& c, const Insn&) {
  uint16_t ax = uint16_t(c.state.gpr[kRax]);
  bool adjust = (ax & 0xf) > 9 || flag(c, flags::kAf);
  if (adjust) ax = uint16_t(ax + 0x106);
  c.set_gpr(kRax, 2, ax & 0xff0f);
  set_flags(c, flags::kAf | flags::kCf, adjust ? flags::kAf | flags::kCf : 0);
}
inline void aas(Cpu& c, const Insn&) {
  uint16_t ax = uint16_t(c.state.gpr[kRax]);
  bool adjust = (ax & 0xf) > 9 || flag(c, flags::kAf);
  if (adjust) ax = uint16_t(((ax - 6) & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8));
  c.set_gpr(kRax, 2, ax & 0xff0f);
  set_flags(c, flags::kAf | flags::kCf, adjust ? flags::kAf | flags::kCf : 0);
}
inline void aam(Cpu& c, const Insn& i) {
  uint8_t base = uint8_t(i.op[0].value);
  if (base == 0) c.raise(vec::kDe);
  uint8_t al = uint8_t(c.state.gpr[kRax]);
  uint8_t r = al % base;
  c.set_gpr(kRax, 2, uint16_t((al / base) << 8 | r));
  set_flags(c, flags::kArith, szp(r, 1));
}
inline void aad(Cpu& c, const Insn& i) {
  uint8_t base = uint8_t(i.op[0].value);
  uint16_t ax = uint16_t(c.state.gpr[kRax]);
  uint8_t r = uint8_t((ax & 0xff) + (ax >> 8) * base);
  c.set_gpr(kRax, 2, r);
  set_flags(c, flags::kArith, szp(r, 1));
}

inline void xlat(Cpu& c, const Insn& i) {
  uint64_t ea = c.gpr(kRbx, i.addr_size) + (c.state.gpr[kRax] & 0xff);
  if (i.addr_size != 8) ea &= size_mask(i.addr_size);
  c.set_gpr(kRax, 1, c.read(i.string_seg, ea, 1));
}

inline void nop(Cpu&, const Insn&) {}

}  // namespace rwd::sem

// SPDX-License-Identifier: MIT
// The x87 FPU (SDM Vol. 1 ch. 8, Vol. 2 "F..." pages) and FXSAVE/FXRSTOR (Vol. 1 §10.5).
//
// Numerics run on the host's own x87 unit: the host is x86-64, so this is the arithmetic the
// guest would get from silicon. Each operation loads its operands into the host FPU under the
// guest's precision and rounding control, executes the guest's own opcode byte with the ModRM
// rewritten to fixed operands (register operand → ST(1), memory operand → [RAX]) and folds the
// host status word back into the guest's. That reproduces rounding, C1, NaN propagation,
// denormal handling, FPREM's partial remainders and the transcendental instructions bit for bit
// without a soft-float library, and stays deterministic: the result is a function of the operands
// and of an explicit control word, never of host state.
//
// Everything architectural around the numerics is modelled here in plain C++: the register
// stack and its tags, stack faults, masked and unmasked exception responses, the deferred #MF of
// waiting instructions, FIP/FDP/FOP and the environment and save images.
#pragma once

#include <cstring>

#include "base/log.h"
#include "jit/semantics/operands.h"

namespace rwd::sem::x87 {

// --- Status and control word bits (SDM Vol. 1 §8.1.3, §8.1.5) -------------------------------

constexpr uint16_t kIe = 1 << 0, kDe = 1 << 1, kZe = 1 << 2, kOe = 1 << 3, kUe = 1 << 4,
                   kPe = 1 << 5, kSf = 1 << 6, kEs = 1 << 7, kC0 = 1 << 8, kC1 = 1 << 9,
                   kC2 = 1 << 10, kC3 = 1 << 14, kB = 1 << 15;
constexpr uint16_t kExceptions = 0x3f;        // the six flags, also the six FCW mask bits
constexpr uint16_t kCcAll = kC0 | kC1 | kC2 | kC3;
constexpr uint16_t kTopMask = 7 << 11;
// FCW bits 6 and 13-15 are reserved; bit 6 always reads as 1 (SDM Vol. 1 §8.1.5).
constexpr uint16_t kFcwReserved = 0xe0c0;

enum Tag : unsigned { kTagValid = 0, kTagZero = 1, kTagSpecial = 2, kTagEmpty = 3 };

// One 80-bit register value in memory layout: 64-bit significand (explicit integer bit), then
// sign and 15-bit exponent. Padded to 16 bytes like the FXSAVE image.
struct alignas(16) F80 {
  uint64_t mant = 0;
  uint16_t se = 0;
  uint16_t pad[3] = {};
};

// The real indefinite: the QNaN every masked invalid operation produces (SDM Vol. 1 §4.8.3.7).
constexpr F80 kIndefinite{0xc000000000000000ull, 0xffff};

// Reads a 10-byte value as stored in registers and memory images.
inline F80 f80_from(const uint8_t* p) {
  F80 v;
  std::memcpy(&v.mant, p, 8);
  std::memcpy(&v.se, p + 8, 2);
  return v;
}

inline unsigned tag_of(const F80& v) {
  const unsigned exp = v.se & 0x7fff;
  if (exp == 0) return v.mant ? kTagSpecial : kTagZero;  // denormals and pseudo-denormals
  if (exp == 0x7fff || !(v.mant >> 63)) return kTagSpecial;  // inf, NaN, unsupported formats
  return kTagValid;
}

// --- Register stack -------------------------------------------------------------------------

inline unsigned top(const Cpu& c) { return (c.state.fpu.fsw >> 11) & 7; }
inline void set_top(Cpu& c, unsigned t) {
  c.state.fpu.fsw = uint16_t((c.state.fpu.fsw & ~kTopMask) | ((t & 7) << 11));
}
inline unsigned phys(const Cpu& c, unsigned i) { return (top(c) + i) & 7; }
inline unsigned tag(const Cpu& c, unsigned p) { return (c.state.fpu.ftw >> (2 * p)) & 3; }
inline void set_tag(Cpu& c, unsigned p, unsigned t) {
  c.state.fpu.ftw = uint16_t((c.state.fpu.ftw & ~(3u << (2 * p))) | (t << (2 * p)));
}
inline bool empty(const Cpu& c, unsigned i) { return tag(c, phys(c, i)) == kTagEmpty; }

inline F80 reg(const Cpu& c, unsigned p) { return f80_from(c.state.fpu.st[p]); }
inline void set_reg(Cpu& c, unsigned p, const F80& v) {
  std::memcpy(c.state.fpu.st[p], &v, 10);
  std::memset(c.state.fpu.st[p] + 10, 0, 6);
  set_tag(c, p, tag_of(v));
}
inline F80 st(const Cpu& c, unsigned i) { return reg(c, phys(c, i)); }
inline void set_st(Cpu& c, unsigned i, const F80& v) { set_reg(c, phys(c, i), v); }
inline void push(Cpu& c, const F80& v) {
  set_top(c, top(c) - 1);
  set_st(c, 0, v);
}
inline void pop(Cpu& c) {
  set_tag(c, phys(c, 0), kTagEmpty);
  set_top(c, top(c) + 1);
}

// Full tag word with every non-empty tag recomputed from the register contents, which is what
// FNSTENV/FNSAVE store (SDM Vol. 1 §8.1.7).
inline uint16_t full_tags(const Cpu& c) {
  uint16_t w = 0;
  for (unsigned p = 0; p < 8; p++)
    w |= uint16_t((tag(c, p) == kTagEmpty ? kTagEmpty : tag_of(reg(c, p))) << (2 * p));
  return w;
}

// --- Status word ----------------------------------------------------------------------------

inline void set_cc(Cpu& c, uint16_t which, uint16_t value) {
  c.state.fpu.fsw = uint16_t((c.state.fpu.fsw & ~which) | (value & which));
}

// Records exception flags (sticky). Returns true if one of them is unmasked: ES and B are then
// set and the next waiting instruction delivers it (SDM Vol. 1 §8.5, §8.6).
inline bool signal(Cpu& c, uint16_t ex) {
  FpuState& f = c.state.fpu;
  f.fsw |= ex;
  if (ex & ~f.fcw & kExceptions) {
    f.fsw |= kEs | kB;
    return true;
  }
  return false;
}

// ES and B summarise "some unmasked exception flag is set"; FLDCW and FLDENV re-derive them.
inline void update_summary(Cpu& c) {
  FpuState& f = c.state.fpu;
  if (f.fsw & ~f.fcw & kExceptions)
    f.fsw |= kEs | kB;
  else
    f.fsw &= uint16_t(~(kEs | kB));
}

// Stack overflow (push onto a full register, C1 = 1) or underflow (read of an empty register,
// C1 = 0): an invalid-operation exception with SF set (SDM Vol. 1 §8.5.1.1). Returns true when
// IE is masked, i.e. the instruction goes on with the indefinite QNaN.
inline bool stack_fault(Cpu& c, bool overflow) {
  set_cc(c, kC1, overflow ? kC1 : 0);
  return !signal(c, kIe | kSf);
}

// Folds the host's status word after an operation into the guest's. `cc` selects the condition
// codes the instruction defines (the others are "undefined" and, as on hardware, kept). Returns
// false when an unmasked pre-computation exception (IE, DE, ZE) means the instruction must leave
// its destination and the stack untouched (SDM Vol. 1 §8.5: only OE, UE and PE deliver a result
// before the handler runs).
inline bool fold(Cpu& c, uint16_t host_sw, uint16_t cc) {
  const uint16_t ex = host_sw & kExceptions;
  const uint16_t pre = ex & (kIe | kDe | kZe);
  if (pre & ~c.state.fpu.fcw) {
    signal(c, pre);
    return false;
  }
  set_cc(c, cc, host_sw);
  signal(c, ex);
  return true;
}

// --- Instruction framing --------------------------------------------------------------------

// Checks every x87 instruction makes before anything else: #NM when CR0.EM or CR0.TS is set
// (SDM Vol. 3 §2.5 Table 2-2), then for waiting instructions a pending unmasked exception.
// With CR0.NE = 1 that is #MF; with NE = 0 hardware would signal FERR# to the interrupt
// controller as IRQ 13, which is not modelled: the exception stays pending and is ignored.
inline void prologue(Cpu& c, bool waiting) {
  if (c.state.cr0 & (cr0::kEm | cr0::kTs)) c.raise(vec::kNm);
  if (waiting && (c.state.fpu.fsw & kEs)) {
    if (c.state.cr0 & cr0::kNe) c.raise(vec::kMf);
    REWIND_LOG(kDebug, "cpu", "x87 exception pending with CR0.NE=0 (IRQ 13 not modelled)");
  }
}

// FIP, FCS, FOP and (for memory operands) FDP, FDS: the last non-control instruction, which is
// what an #MF handler inspects (SDM Vol. 1 §8.1.8, §8.1.9). Called once the memory accesses can
// no longer fault, so a faulting instruction leaves them alone.
inline void note(Cpu& c, const Insn& i) {
  FpuState& f = c.state.fpu;
  f.fop = uint16_t(((i.opcode & 7) << 8) | i.modrm);
  uint64_t ip = c.state.rip - i.length;  // RIP already points past the instruction
  if (c.code_size() == CodeSize::k32) ip &= 0xffffffff;
  if (c.code_size() == CodeSize::k16) ip &= 0xffff;
  f.fip = ip;
  f.fcs = c.state.seg[kCs].selector;
  if (i.op[0].kind == OperandKind::kMem) {
    f.fdp = effective_address(c, i, i.op[0]);
    f.fds = c.state.seg[i.op[0].seg].selector;
  }
}

// Memory operands: 2/4/8-byte accesses go through the sized path, the rest as byte strings
// (both ends are checked before anything happens).
inline void read_mem(Cpu& c, const Insn& i, void* out, unsigned n) {
  const Operand& o = i.op[0];
  const uint64_t ea = effective_address(c, i, o);
  if (n == 2 || n == 4 || n == 8) {
    const uint64_t v = c.read(o.seg, ea, n);
    std::memcpy(out, &v, n);
  } else {
    c.read_bytes(o.seg, ea, out, n);
  }
}
inline void write_mem(Cpu& c, const Insn& i, const void* in, unsigned n) {
  const Operand& o = i.op[0];
  const uint64_t ea = effective_address(c, i, o);
  if (n == 2 || n == 4 || n == 8) {
    uint64_t v = 0;
    std::memcpy(&v, in, n);
    c.write(o.seg, ea, n, v);
  } else {
    c.write_bytes(o.seg, ea, in, n);
  }
}

inline void put16(uint8_t* p, uint64_t v) { uint16_t x = uint16_t(v); std::memcpy(p, &x, 2); }
inline void put32(uint8_t* p, uint64_t v) { uint32_t x = uint32_t(v); std::memcpy(p, &x, 4); }
inline void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint16_t get16(const uint8_t* p) { uint16_t x; std::memcpy(&x, p, 2); return x; }
inline uint32_t get32(const uint8_t* p) { uint32_t x; std::memcpy(&x, p, 4); return x; }
inline uint64_t get64(const uint8_t* p) { uint64_t x; std::memcpy(&x, p, 8); return x; }

// --- The host FPU ---------------------------------------------------------------------------

// Puts the host x87 under the guest's precision and rounding control for the lifetime of the
// object. Pre-computation exceptions (IE, DE, ZE) and PE stay masked on the host, so the host
// always completes the instruction and its stack depth is predictable; the guest's response to
// them is derived afterwards from the flags (fold). OE and UE may take the guest's masks
// (`guest_oe_ue`) for instructions whose unmasked response still writes a register result: the
// host then produces the exponent-biased result itself (SDM Vol. 1 §4.9.1.4, §4.9.1.5). The
// executors below read the status word and clear the host's flags right after the instruction,
// before any waiting instruction could turn them into a host #MF.
class HostFpu {
 public:
  HostFpu(uint16_t guest_fcw, bool guest_oe_ue) {
    asm volatile("fnstcw %0" : "=m"(saved_));
    uint16_t cw = uint16_t((guest_fcw & 0x0f00) | 0x7f);
    if (guest_oe_ue) cw = uint16_t(cw & ~(~guest_fcw & (kOe | kUe)));
    asm volatile("fnclex\n\tfldcw %0" : : "m"(cw) : "memory");
  }
  ~HostFpu() { asm volatile("fnclex\n\tfldcw %0" : : "m"(saved_) : "memory"); }
  HostFpu(const HostFpu&) = delete;
  HostFpu& operator=(const HostFpu&) = delete;

 private:
  uint16_t saved_;
};

#define RWD_X87_CLOBBERS \
  "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

// Executes `kOpc kModrm` on the host with ST(0) = s0, ST(1) = s1 and a memory operand at
// [RAX] = mem, for instructions that keep the stack depth; returns the host status word. The
// stack is empty before and after (the ABI's state between functions).
template <uint8_t kOpc, uint8_t kModrm>
inline uint16_t host_op(F80& s0, F80& s1, void* mem) {
  uint16_t sw;
  asm volatile(
      "fldt %[s1]\n\t"
      "fldt %[s0]\n\t"
      ".byte %c[opc], %c[modrm]\n\t"
      "fnstsw %[sw]\n\t"
      "fnclex\n\t"
      "fstpt %[s0]\n\t"
      "fstpt %[s1]"
      : [s0] "+m"(s0), [s1] "+m"(s1), [sw] "=m"(sw)
      : [opc] "i"(kOpc), [modrm] "i"(kModrm), "a"(mem)
      : RWD_X87_CLOBBERS);
  return sw;
}

// Same for instructions that pop once (FPATAN, FSTP m80, FISTP m64, ...): the remaining ST(0)
// comes back in s0.
template <uint8_t kOpc, uint8_t kModrm>
inline uint16_t host_op_pop(F80& s0, F80& s1, void* mem) {
  uint16_t sw;
  asm volatile(
      "fldt %[s1]\n\t"
      "fldt %[s0]\n\t"
      ".byte %c[opc], %c[modrm]\n\t"
      "fnstsw %[sw]\n\t"
      "fnclex\n\t"
      "fstpt %[s0]"
      : [s0] "+m"(s0), [sw] "=m"(sw)
      : [s1] "m"(s1), [opc] "i"(kOpc), [modrm] "i"(kModrm), "a"(mem)
      : RWD_X87_CLOBBERS);
  return sw;
}

// Same for instructions that may push (loads, FXTRACT, and FPTAN/FSINCOS, which push only when
// the operand is in range): s0 is ST(0) on entry; on return s0 is the new ST(0) and, if a push
// happened (*pushed, seen from TOP), s1 the new ST(1).
template <uint8_t kOpc, uint8_t kModrm>
inline uint16_t host_op_push(F80& s0, F80& s1, void* mem, bool* pushed) {
  uint16_t sw, sw_before;
  uint32_t moved;
  asm volatile(
      "fldt %[s0]\n\t"
      "fnstsw %[swb]\n\t"
      ".byte %c[opc], %c[modrm]\n\t"
      "fnstsw %[sw]\n\t"
      "fnclex\n\t"
      "movzwl %[swb], %[mv]\n\t"
      "xorw %[sw], %w[mv]\n\t"
      "andl $0x3800, %[mv]\n\t"
      "jz 1f\n\t"
      "fstpt %[s0]\n\t"
      "fstpt %[s1]\n\t"
      "jmp 2f\n"
      "1:\n\t"
      "fstpt %[s0]\n"
      "2:"
      : [s0] "+m"(s0), [s1] "+m"(s1), [sw] "=m"(sw), [swb] "=m"(sw_before), [mv] "=&r"(moved)
      : [opc] "i"(kOpc), [modrm] "i"(kModrm), "a"(mem)
      : "cc", RWD_X87_CLOBBERS);
  *pushed = moved != 0;
  return sw;
}

// ModRM bytes for the host: a memory operand at [RAX] (mod 00, r/m 000) or ST(1) (mod 11, r/m 1).
constexpr uint8_t mem_modrm(unsigned reg) { return uint8_t(reg << 3); }
constexpr uint8_t st1_modrm(unsigned reg) { return uint8_t(0xc1 | reg << 3); }

// --- Loads ----------------------------------------------------------------------------------

// FLD m32fp/m64fp/m80fp, FILD m16/m32/m64int, FBLD m80bcd and the constants FLD1 ... FLDZ
// (N = 0: no memory operand; the constants are rounded by RC, SDM Vol. 1 §8.3.8).
template <uint8_t kOpc, uint8_t kModrm, unsigned N>
void load(Cpu& c, const Insn& i) {
  prologue(c, true);
  alignas(16) uint8_t buf[16] = {};
  if (N) read_mem(c, i, buf, N);
  note(c, i);
  set_cc(c, kC1, 0);
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
    return;
  }
  F80 s0, s1;
  bool pushed;
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, false);
    sw = host_op_push<kOpc, kModrm>(s0, s1, buf, &pushed);
  }
  if (!fold(c, sw, 0)) return;  // SNaN (IE) or denormal (DE) source, unmasked
  push(c, s0);
}

// FLD ST(i): pushes a copy of ST(i); no numeric exceptions for 80-bit sources.
inline void fld_st(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  set_cc(c, kC1, 0);
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
    return;
  }
  const unsigned n = i.modrm & 7;
  F80 v = kIndefinite;
  if (empty(c, n)) {
    if (!stack_fault(c, false)) return;
  } else {
    v = st(c, n);
  }
  push(c, v);
}

// --- Stores ---------------------------------------------------------------------------------

// FST/FSTP m32fp/m64fp/m80fp, FIST/FISTP m16/m32/m64int, FISTTP, FBSTP. The host runs
// `kOpc /kHostReg`: the non-popping FST/FIST where one exists (kHostPops = false), so that even
// an unmasked overflow/underflow (no store, no pop) keeps the host stack balanced.
template <uint8_t kOpc, unsigned kHostReg, unsigned N, bool kHostPops, bool kPop>
void store(Cpu& c, const Insn& i) {
  prologue(c, true);
  FpuState& f = c.state.fpu;
  const bool underflow = empty(c, 0);
  // FST m32/m64 can overflow or underflow; their unmasked response depends on it.
  constexpr bool kOeUe = !kHostPops && (kOpc == 0xd9 || kOpc == 0xdd);
  F80 s0 = underflow ? kIndefinite : st(c, 0), s1;
  alignas(16) uint8_t buf[16] = {};
  uint16_t sw;
  {
    HostFpu h(f.fcw, kOeUe);
    if (kHostPops)
      sw = host_op_pop<kOpc, mem_modrm(kHostReg)>(s0, s1, buf);
    else
      sw = host_op<kOpc, mem_modrm(kHostReg)>(s0, s1, buf);
  }
  // Storing the indefinite gives the destination format's indefinite (QNaN, integer or BCD
  // indefinite): exactly the masked stack-underflow response.
  const uint16_t unmasked = sw & ~f.fcw & kExceptions;
  bool write;
  if (underflow)
    write = f.fcw & kIe;
  else
    write = !(unmasked & (kIe | kDe | kZe | kOe | kUe));  // memory destination unchanged
  if (write) write_mem(c, i, buf, N);
  note(c, i);
  if (underflow) {
    if (stack_fault(c, false) && kPop) pop(c);
    return;
  }
  if (!fold(c, sw, kC1)) return;
  if (unmasked & (kOe | kUe)) return;  // nothing stored, nothing popped (SDM Vol. 1 §4.9.1.4)
  if (kPop) pop(c);
}

// FST ST(i) / FSTP ST(i) (and the FSTP1/FSTP8/FSTP9 aliases): register copy, no numeric
// exceptions.
template <bool kPop>
void fst_st(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  const unsigned n = i.modrm & 7;
  set_cc(c, kC1, 0);
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return;
    set_st(c, n, kIndefinite);
  } else {
    set_st(c, n, st(c, 0));
  }
  if (kPop) pop(c);
}

// --- Arithmetic -----------------------------------------------------------------------------

// FADD FMUL FSUB FSUBR FDIV FDIVR with a register operand. kOpc 0xd8: ST(0) ← ST(0) op ST(i);
// 0xdc/0xde: ST(i) ← ST(i) op ST(0) (the DE forms pop). The host runs D8 or DC with the same
// ModRM.reg, which selects the same operation in both opcode maps.
template <uint8_t kOpc, unsigned kReg>
void arith_reg(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  const unsigned n = i.modrm & 7;
  constexpr bool kToSt0 = kOpc == 0xd8;
  constexpr bool kPop = kOpc == 0xde;
  const unsigned dst = kToSt0 ? 0 : n;
  if (empty(c, 0) || empty(c, n)) {
    if (!stack_fault(c, false)) return;
    set_st(c, dst, kIndefinite);
    if (kPop) pop(c);
    return;
  }
  F80 s0 = st(c, 0), s1 = st(c, n);
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op<kToSt0 ? 0xd8 : 0xdc, st1_modrm(kReg)>(s0, s1, nullptr);
  }
  if (!fold(c, sw, kC1)) return;
  set_st(c, dst, kToSt0 ? s0 : s1);
  if (kPop) pop(c);
}

// The same with a memory operand: D8 m32fp, DC m64fp, DA m32int, DE m16int. ST(0) ← ST(0) op m.
template <uint8_t kOpc, unsigned kReg, unsigned N>
void arith_mem(Cpu& c, const Insn& i) {
  prologue(c, true);
  alignas(16) uint8_t buf[16] = {};
  read_mem(c, i, buf, N);
  note(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  F80 s0 = st(c, 0), s1;
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op<kOpc, mem_modrm(kReg)>(s0, s1, buf);
  }
  if (!fold(c, sw, kC1)) return;
  set_st(c, 0, s0);
}

// --- Comparisons ----------------------------------------------------------------------------

enum class CmpSrc { kStI, kSt1, kMem, kNone };

// FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP, FTST, and with kEflags the
// FCOMI/FCOMIP/FUCOMI/FUCOMIP forms, which report in ZF/PF/CF what the others put in C3/C2/C0
// and clear OF, SF and AF (as the silicon does). The host runs the non-popping FCOM/FUCOM/FTST
// encoding (kOpc kModrm); the guest pops kPops times afterwards.
template <uint8_t kOpc, uint8_t kModrm, CmpSrc kSrc, unsigned N, unsigned kPops, bool kEflags>
void compare(Cpu& c, const Insn& i) {
  prologue(c, true);
  alignas(16) uint8_t buf[16] = {};
  if (kSrc == CmpSrc::kMem) read_mem(c, i, buf, N);
  note(c, i);
  const unsigned n = kSrc == CmpSrc::kStI ? (i.modrm & 7) : 1;
  constexpr uint16_t kCc = kC0 | kC2 | kC3;
  auto report = [&c](uint16_t cc) {
    if (kEflags) {
      set_flags(c, flags::kArith,
                ((cc & kC3) ? flags::kZf : 0) | ((cc & kC2) ? flags::kPf : 0) |
                    ((cc & kC0) ? flags::kCf : 0));
    } else {
      set_cc(c, kCc, cc);
    }
  };
  const bool two = kSrc == CmpSrc::kStI || kSrc == CmpSrc::kSt1;
  if (empty(c, 0) || (two && empty(c, n))) {
    if (!stack_fault(c, false)) return;
    report(kCc);  // unordered
    for (unsigned k = 0; k < kPops; k++) pop(c);
    return;
  }
  F80 s0 = st(c, 0), s1 = two ? st(c, n) : F80{};
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, false);
    sw = host_op<kOpc, kModrm>(s0, s1, buf);
  }
  if (!fold(c, sw, 0)) return;  // unmasked IE/DE: no flags, no pop
  set_cc(c, kC1, 0);
  report(sw);
  for (unsigned k = 0; k < kPops; k++) pop(c);
}

// FXAM: classifies ST(0) into C3 C2 C0 with the sign in C1; empty registers are a class of
// their own (SDM Vol. 2 FXAM).
inline void fxam(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  const F80 v = st(c, 0);
  const unsigned exp = v.se & 0x7fff;
  const bool integer_bit = v.mant >> 63;
  uint16_t cc;
  if (empty(c, 0))
    cc = kC3 | kC0;
  else if (exp == 0)
    cc = v.mant ? (kC3 | kC2) : kC3;  // denormal (also pseudo-denormal) : zero
  else if (!integer_bit)
    cc = 0;  // unnormal, pseudo-infinity, pseudo-NaN: unsupported
  else if (exp == 0x7fff)
    cc = (v.mant << 1) ? kC0 : (kC2 | kC0);  // NaN : infinity
  else
    cc = kC2;  // normal
  set_cc(c, kCcAll, cc | ((v.se & 0x8000) ? kC1 : 0));
}

// --- Other register operations --------------------------------------------------------------

// One-operand operations on ST(0) (D9 E0..FF): FCHS FABS FSQRT FRNDINT F2XM1 FSIN FCOS.
// kCc: the condition codes the instruction defines (FSIN/FCOS report "out of range" in C2 and
// leave ST(0) as it is, which the host does too).
template <uint8_t kModrm, uint16_t kCc>
void unary(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  F80 s0 = st(c, 0), s1;
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op<0xd9, kModrm>(s0, s1, nullptr);
  }
  if (!fold(c, sw, kCc)) return;
  set_st(c, 0, s0);
}

// ST(0) ← f(ST(0), ST(1)): FPREM, FPREM1 (quotient bits in C0 C3 C1, C2 = incomplete), FSCALE.
template <uint8_t kModrm, uint16_t kCc>
void binary(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  F80 s0 = st(c, 0), s1 = st(c, 1);
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op<0xd9, kModrm>(s0, s1, nullptr);
  }
  if (!fold(c, sw, kCc)) return;
  set_st(c, 0, s0);
}

// ST(1) ← f(ST(0), ST(1)), then pop: FPATAN, FYL2X, FYL2XP1.
template <uint8_t kModrm>
void binary_pop(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  if (empty(c, 0) || empty(c, 1)) {
    if (!stack_fault(c, false)) return;
    set_st(c, 1, kIndefinite);
    pop(c);
    return;
  }
  F80 s0 = st(c, 0), s1 = st(c, 1);
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op_pop<0xd9, kModrm>(s0, s1, nullptr);
  }
  if (!fold(c, sw, kC1)) return;
  set_st(c, 1, s0);
  pop(c);
}

// ST(0) ← a, push b: FXTRACT (exponent, significand), FPTAN (tan, 1.0), FSINCOS (sin, cos).
// FPTAN and FSINCOS leave ST(0) alone and push nothing when the operand is out of range (C2).
template <uint8_t kModrm, uint16_t kCc>
void push_pair(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  if (empty(c, 0) || !empty(c, 7)) {
    // Masked response: both results are the indefinite (SDM Vol. 2 FXTRACT, FPTAN, FSINCOS).
    if (!stack_fault(c, !empty(c, 0))) return;
    set_st(c, 0, kIndefinite);
    push(c, kIndefinite);
    return;
  }
  F80 s0 = st(c, 0), s1;
  bool pushed;
  uint16_t sw;
  {
    HostFpu h(c.state.fpu.fcw, true);
    sw = host_op_push<0xd9, kModrm>(s0, s1, nullptr, &pushed);
  }
  if (!fold(c, sw, kCc)) return;
  if (!pushed) {
    set_st(c, 0, s0);
    return;
  }
  set_st(c, 0, s1);
  push(c, s0);
}

// FXCH ST(i) (and its DD/DF aliases). Empty operands become the indefinite when IE is masked.
inline void fxch(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  const unsigned n = i.modrm & 7;
  set_cc(c, kC1, 0);
  F80 a = kIndefinite, b = kIndefinite;
  if (empty(c, 0) || empty(c, n)) {
    if (!stack_fault(c, false)) return;
  }
  if (!empty(c, 0)) a = st(c, 0);
  if (!empty(c, n)) b = st(c, n);
  set_st(c, 0, b);
  set_st(c, n, a);
}

// FCMOVcc ST(0), ST(i): kCc is the Jcc condition number (B E BE U and their negations).
template <unsigned kCc>
void fcmov(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  const unsigned n = i.modrm & 7;
  if (empty(c, 0) || empty(c, n)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  if (condition(c, kCc)) set_st(c, 0, st(c, n));
}

// FINCSTP / FDECSTP rotate TOP without touching tags; C1 = 0.
template <int kDelta>
void rotate(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  set_top(c, top(c) + kDelta);
  set_cc(c, kC1, 0);
}

// FFREE ST(i) marks the register empty; FFREEP (DF C0+i) also pops.
template <bool kPop>
void ffree(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
  set_tag(c, phys(c, i.modrm & 7), kTagEmpty);
  if (kPop) pop(c);
}

inline void fnop(Cpu& c, const Insn& i) {
  prologue(c, true);
  note(c, i);
}

// FENI, FDISI, FSETPM: 8087/287 controls that later FPUs execute as non-waiting no-ops.
inline void legacy_nop(Cpu& c, const Insn&) { prologue(c, false); }

// --- Control instructions (no FIP/FOP update) -----------------------------------------------

inline void init_state(Cpu& c) {
  FpuState& f = c.state.fpu;
  f.fcw = 0x037f;
  f.fsw = 0;
  f.ftw = 0xffff;
  f.fop = 0;
  f.fip = f.fdp = 0;
  f.fcs = f.fds = 0;
}

inline void fninit(Cpu& c, const Insn&) {
  prologue(c, false);
  init_state(c);
}

inline void fnclex(Cpu& c, const Insn&) {
  prologue(c, false);
  c.state.fpu.fsw &= uint16_t(~(kB | kEs | kSf | kExceptions));
}

inline void fwait(Cpu& c, const Insn&) {
  // WAIT is the one x87 instruction governed by MP: #NM only if MP and TS are both set.
  if ((c.state.cr0 & cr0::kMp) && (c.state.cr0 & cr0::kTs)) c.raise(vec::kNm);
  if (c.state.fpu.fsw & kEs) {
    if (c.state.cr0 & cr0::kNe) c.raise(vec::kMf);
    REWIND_LOG(kDebug, "cpu", "x87 exception pending with CR0.NE=0 (IRQ 13 not modelled)");
  }
}

inline void set_fcw(Cpu& c, uint16_t v) {
  c.state.fpu.fcw = uint16_t((v & ~kFcwReserved) | 0x40);
}

inline void fldcw(Cpu& c, const Insn& i) {
  prologue(c, true);
  uint8_t buf[2];
  read_mem(c, i, buf, 2);
  set_fcw(c, get16(buf));
  update_summary(c);  // unmasking a raised flag makes it pending (SDM Vol. 2 FLDCW)
}

inline void fnstcw(Cpu& c, const Insn& i) {
  prologue(c, false);
  uint8_t buf[2];
  put16(buf, c.state.fpu.fcw);
  write_mem(c, i, buf, 2);
}

// FNSTSW m16 / FNSTSW AX.
inline void fnstsw(Cpu& c, const Insn& i) {
  prologue(c, false);
  if (i.op[0].kind == OperandKind::kReg) {
    c.set_gpr(kRax, 2, c.state.fpu.fsw);
    return;
  }
  uint8_t buf[2];
  put16(buf, c.state.fpu.fsw);
  write_mem(c, i, buf, 2);
}

// The FNSTENV/FNSAVE environment: 14 bytes with a 16-bit operand size, else 28; real-address
// and virtual-8086 mode store 20-bit linear pointers instead of selector:offset (SDM Vol. 1
// §8.1.10, Figures 8-9 to 8-12). Reserved halves read as ones, as on hardware.
inline unsigned store_env(const Cpu& c, const Insn& i, uint8_t* out) {
  const FpuState& f = c.state.fpu;
  const bool real = !c.protected_mode() || c.v86_mode();
  const uint16_t ftw = full_tags(c);
  const uint32_t ip = uint32_t((uint32_t(f.fcs) << 4) + f.fip);
  const uint32_t dp = uint32_t((uint32_t(f.fds) << 4) + f.fdp);
  if (i.op_size == 2) {
    put16(out + 0, f.fcw);
    put16(out + 2, f.fsw);
    put16(out + 4, ftw);
    if (real) {
      put16(out + 6, ip);
      put16(out + 8, ((ip >> 4) & 0xf000) | f.fop);
      put16(out + 10, dp);
      put16(out + 12, (dp >> 4) & 0xf000);
    } else {
      put16(out + 6, f.fip);
      put16(out + 8, f.fcs);
      put16(out + 10, f.fdp);
      put16(out + 12, f.fds);
    }
    return 14;
  }
  put32(out + 0, 0xffff0000u | f.fcw);
  put32(out + 4, 0xffff0000u | f.fsw);
  put32(out + 8, 0xffff0000u | ftw);
  if (real) {
    put32(out + 12, 0xffff0000u | (ip & 0xffff));
    put32(out + 16, ((ip & 0xffff0000u) >> 4) | f.fop);
    put32(out + 20, 0xffff0000u | (dp & 0xffff));
    put32(out + 24, (dp & 0xffff0000u) >> 4);
  } else {
    put32(out + 12, f.fip);
    put32(out + 16, f.fcs | uint32_t(f.fop) << 16);
    put32(out + 20, f.fdp);
    put32(out + 24, 0xffff0000u | f.fds);
  }
  return 28;
}

// Inverse of store_env. Tags that are not "empty" are recomputed from the register contents;
// ES and B are re-derived from the loaded flags and masks.
inline unsigned load_env(Cpu& c, const Insn& i, const uint8_t* in) {
  FpuState& f = c.state.fpu;
  const bool real = !c.protected_mode() || c.v86_mode();
  unsigned size;
  uint16_t ftw;
  if (i.op_size == 2) {
    set_fcw(c, get16(in + 0));
    f.fsw = get16(in + 2);
    ftw = get16(in + 4);
    if (real) {
      f.fip = get16(in + 6) | uint32_t(get16(in + 8) & 0xf000) << 4;
      f.fop = get16(in + 8) & 0x7ff;
      f.fdp = get16(in + 10) | uint32_t(get16(in + 12) & 0xf000) << 4;
      f.fcs = f.fds = 0;
    } else {
      f.fip = get16(in + 6);
      f.fcs = get16(in + 8);
      f.fdp = get16(in + 10);
      f.fds = get16(in + 12);
      f.fop = 0;
    }
    size = 14;
  } else {
    set_fcw(c, get16(in + 0));
    f.fsw = get16(in + 4);
    ftw = get16(in + 8);
    if (real) {
      f.fip = (get32(in + 12) & 0xffff) | (get32(in + 16) & 0x0ffff000u) << 4;
      f.fop = get32(in + 16) & 0x7ff;
      f.fdp = (get32(in + 20) & 0xffff) | (get32(in + 24) & 0x0ffff000u) << 4;
      f.fcs = f.fds = 0;
    } else {
      f.fip = get32(in + 12);
      f.fcs = get16(in + 16);
      f.fop = (get32(in + 16) >> 16) & 0x7ff;
      f.fdp = get32(in + 20);
      f.fds = get16(in + 24);
    }
    size = 28;
  }
  f.ftw = ftw;
  f.ftw = full_tags(c);
  update_summary(c);
  return size;
}

inline void fnstenv(Cpu& c, const Insn& i) {
  prologue(c, false);
  uint8_t buf[28];
  const unsigned n = store_env(c, i, buf);
  write_mem(c, i, buf, n);
  // FNSTENV then masks every exception (SDM Vol. 2 FSTENV), so a handler can run FP code.
  c.state.fpu.fcw |= kExceptions;
  c.state.fpu.fsw &= uint16_t(~(kEs | kB));
}

inline void fldenv(Cpu& c, const Insn& i) {
  prologue(c, true);
  uint8_t buf[28];
  read_mem(c, i, buf, i.op_size == 2 ? 14 : 28);
  load_env(c, i, buf);
}

// FNSAVE: the environment, then ST(0)..ST(7) as 10-byte values in stack order; then FNINIT.
inline void fnsave(Cpu& c, const Insn& i) {
  prologue(c, false);
  uint8_t buf[108];
  const unsigned n = store_env(c, i, buf);
  for (unsigned k = 0; k < 8; k++) std::memcpy(buf + n + 10 * k, c.state.fpu.st[phys(c, k)], 10);
  write_mem(c, i, buf, n + 80);
  init_state(c);
}

inline void frstor(Cpu& c, const Insn& i) {
  prologue(c, true);
  uint8_t buf[108];
  const unsigned n = i.op_size == 2 ? 14 : 28;
  read_mem(c, i, buf, n + 80);
  FpuState& f = c.state.fpu;
  load_env(c, i, buf);
  const uint16_t loaded_tags = f.ftw;
  for (unsigned k = 0; k < 8; k++) {
    set_st(c, k, f80_from(buf + n + 10 * k));
  }
  f.ftw = loaded_tags;
  f.ftw = full_tags(c);
}

// --- FXSAVE / FXRSTOR (SDM Vol. 1 §10.5.1 Table 10-2; Vol. 2 FXSAVE, FXRSTOR) ----------------

// MXCSR bits this CPU implements (DAZ included); FXSAVE reports it as MXCSR_MASK.
constexpr uint32_t kMxcsrMask = 0x0000ffff;

// Shared checks: #NM on CR0.TS or CR0.EM, #GP(0) unless the 512-byte area is 16-byte aligned.
// The whole area is limit-checked as one access. Returns the effective address.
inline uint64_t fx_area(Cpu& c, const Insn& i, Access access) {
  if (c.state.cr0 & (cr0::kEm | cr0::kTs)) c.raise(vec::kNm);
  const Operand& o = i.op[0];
  const uint64_t ea = effective_address(c, i, o);
  const uint64_t linear = c.linear_address(o.seg, ea, 512, access);
  if (linear & 15) c.raise(vec::kGp, 0);
  return ea;
}

// The XMM registers in the image: all 16 in 64-bit mode, XMM0-7 elsewhere.
inline unsigned fx_xmm_count(const Cpu& c) { return c.in_64bit_code() ? 16 : 8; }

// FXSAVE / FXSAVE64 (kRexW: 64-bit FIP and FDP instead of offset + selector). Stores exactly
// the bytes the image defines; the reserved and software-available tail is not written.
template <bool kRexW>
void fxsave(Cpu& c, const Insn& i) {
  const uint64_t ea = fx_area(c, i, Access::kWrite);
  const FpuState& f = c.state.fpu;
  uint8_t img[512] = {};
  put16(img + 0, f.fcw);
  put16(img + 2, f.fsw);
  uint8_t abridged = 0;  // one bit per physical register: 1 = not empty
  for (unsigned p = 0; p < 8; p++)
    if (tag(c, p) != kTagEmpty) abridged |= uint8_t(1u << p);
  img[4] = abridged;
  put16(img + 6, f.fop & 0x7ff);
  if (kRexW) {
    put64(img + 8, f.fip);
    put64(img + 16, f.fdp);
  } else {
    put32(img + 8, f.fip);
    put16(img + 12, f.fcs);
    put32(img + 16, f.fdp);
    put16(img + 20, f.fds);
  }
  put32(img + 24, f.mxcsr);
  put32(img + 28, kMxcsrMask);
  for (unsigned k = 0; k < 8; k++) std::memcpy(img + 32 + 16 * k, f.st[phys(c, k)], 10);
  const unsigned nxmm = fx_xmm_count(c);
  for (unsigned k = 0; k < nxmm; k++) {
    put64(img + 160 + 16 * k, f.xmm[k].lo);
    put64(img + 168 + 16 * k, f.xmm[k].hi);
  }
  c.write_bytes(i.op[0].seg, ea, img, 160 + 16 * nxmm);
}

template <bool kRexW>
void fxrstor(Cpu& c, const Insn& i) {
  const uint64_t ea = fx_area(c, i, Access::kRead);
  uint8_t img[512];
  c.read_bytes(i.op[0].seg, ea, img, 512);
  const uint32_t mxcsr = get32(img + 24);
  if (mxcsr & ~kMxcsrMask) c.raise(vec::kGp, 0);
  FpuState& f = c.state.fpu;
  set_fcw(c, get16(img + 0));
  f.fsw = get16(img + 2);
  const uint8_t abridged = img[4];
  f.fop = get16(img + 6) & 0x7ff;
  if (kRexW) {
    f.fip = get64(img + 8);
    f.fdp = get64(img + 16);
    f.fcs = f.fds = 0;
  } else {
    f.fip = get32(img + 8);
    f.fcs = get16(img + 12);
    f.fdp = get32(img + 16);
    f.fds = get16(img + 20);
  }
  f.mxcsr = mxcsr;
  for (unsigned k = 0; k < 8; k++) {
    set_st(c, k, f80_from(img + 32 + 16 * k));
  }
  // The abridged tag says only empty / not empty; the full tags follow from the contents.
  uint16_t ftw = 0;
  for (unsigned p = 0; p < 8; p++)
    ftw |= uint16_t(((abridged >> p) & 1 ? tag_of(reg(c, p)) : kTagEmpty) << (2 * p));
  f.ftw = ftw;
  const unsigned nxmm = fx_xmm_count(c);
  for (unsigned k = 0; k < nxmm; k++) {
    f.xmm[k].lo = get64(img + 160 + 16 * k);
    f.xmm[k].hi = get64(img + 168 + 16 * k);
  }
}

#undef RWD_X87_CLOBBERS

}  // namespace rwd::sem::x87

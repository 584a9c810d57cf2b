// SPDX-License-Identifier: MIT
// SSE, SSE2, SSE3, SSSE3, SSE4.1 and MMX instructions (SDM Vol. 2; Vol. 1 chapters 9–12).
//
// Everything works on `Vec`, a 16-byte value: an XMM register, an MMX register (low 8 bytes) or a
// memory/GPR operand, read zero-extended. Instruction semantics are small operation types
// (`Lanes<uint8_t, Add>`, `Pack<int16_t, uint8_t>`, `FpLanes<float, kPacked, FAdd>`, ...) whose
// `run<W>` maps (dest, source, imm8) to the new dest value for a register width W (16 = XMM,
// 8 = MMX); the generic handlers below do the checks and the operand traffic, and sse.cc picks
// the instantiation by mnemonic and register class.
//
// Order inside a handler (precise exceptions): availability checks, memory reads, the
// computation (which may raise #XM/#UD for unmasked SIMD floating-point exceptions), then the
// one write of the destination.
#pragma once

#include <emmintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "jit/semantics/operands.h"

namespace rwd::sem {

// --- Values -------------------------------------------------------------------------------

struct Vec {
  uint8_t b[16] = {};

  template <typename T>
  T get(unsigned k) const {
    T v;
    std::memcpy(&v, b + k * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void set(unsigned k, T v) {
    std::memcpy(b + k * sizeof(T), &v, sizeof(T));
  }
  uint64_t q(unsigned k) const { return get<uint64_t>(k); }
};

template <typename T>
using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;

template <typename T>
Bits<T> to_bits(T v) {
  Bits<T> b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
template <typename T>
T from_bits(Bits<T> b) {
  T v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// IEEE field layout of float/double.
template <typename T>
struct FpFormat {
  static constexpr unsigned kMantBits = sizeof(T) == 4 ? 23 : 52;
  static constexpr unsigned kExpBits = sizeof(T) == 4 ? 8 : 11;
  static constexpr Bits<T> kSign = Bits<T>(1) << (sizeof(T) * 8 - 1);
  static constexpr Bits<T> kExpMask = ((Bits<T>(1) << kExpBits) - 1) << kMantBits;
  static constexpr Bits<T> kMantMask = (Bits<T>(1) << kMantBits) - 1;
  static constexpr Bits<T> kQuiet = Bits<T>(1) << (kMantBits - 1);
  static constexpr unsigned kBias = (1u << (kExpBits - 1)) - 1;
};
template <typename T>
bool is_nan(T v) {
  const Bits<T> b = to_bits(v);
  return (b & FpFormat<T>::kExpMask) == FpFormat<T>::kExpMask && (b & FpFormat<T>::kMantMask);
}
template <typename T>
bool is_denormal(T v) {
  const Bits<T> b = to_bits(v);
  return !(b & FpFormat<T>::kExpMask) && (b & FpFormat<T>::kMantMask);
}

template <typename T>
T saturate(int64_t v) {
  return T(std::clamp<int64_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

// --- Registers and operands ---------------------------------------------------------------

inline Vec xmm(const Cpu& c, unsigned r) {
  Vec v;
  std::memcpy(v.b, &c.state.fpu.xmm[r], 16);
  return v;
}
inline void set_xmm(Cpu& c, unsigned r, const Vec& v) { std::memcpy(&c.state.fpu.xmm[r], v.b, 16); }

// MMX register mmN is the significand of physical x87 register N (SDM Vol. 1 §9.5); writing it
// sets that register's exponent/sign word to all ones.
inline uint64_t mm(const Cpu& c, unsigned r) {
  uint64_t v;
  std::memcpy(&v, c.state.fpu.st[r], 8);
  return v;
}
inline void set_mm(Cpu& c, unsigned r, uint64_t v) {
  std::memcpy(c.state.fpu.st[r], &v, 8);
  c.state.fpu.st[r][8] = c.state.fpu.st[r][9] = 0xff;
}

// Which availability rules apply (SDM Vol. 3 §22.25 and Vol. 2 §2.5 exception classes):
// kSse: XMM-only; kMmx: MMX registers only; kMixed: XMM and MMX registers (CVTPI2PS xmm, mm...).
enum class Unit : uint8_t { kSse, kMmx, kMixed };
constexpr Unit unit_of(unsigned w) { return w == 8 ? Unit::kMmx : Unit::kSse; }

template <Unit U>
void enter(Cpu& c) {
  const uint64_t cr0v = c.state.cr0;
  if (cr0v & cr0::kEm) c.raise(vec::kUd);
  if (U != Unit::kMmx && !(c.state.cr4 & cr4::kOsfxsr)) c.raise(vec::kUd);
  if (cr0v & cr0::kTs) c.raise(vec::kNm);
  // An instruction touching MMX registers first takes a pending unmasked x87 exception
  // (FSW.ES). With CR0.NE=0 that would go through FERR#/IGNNE#, which is not modelled.
  if (U != Unit::kSse && (c.state.fpu.fsw & 0x80) && (cr0v & cr0::kNe)) c.raise(vec::kMf);
}

// After an instruction that used MMX registers: x87 TOP=0 and all tags valid (SDM Vol. 1
// §9.5.1, Table 9-3).
template <Unit U>
void leave(Cpu& c) {
  if (U != Unit::kSse) {
    c.state.fpu.fsw &= ~uint16_t(0x3800);
    c.state.fpu.ftw = 0;
  }
}

inline Vec read_mem(Cpu& c, const Insn& i, const Operand& o, bool aligned) {
  Vec v;
  const uint64_t ea = effective_address(c, i, o);
  if (o.size == 16) {
    // Legacy-SSE 128-bit operands must be 16-byte aligned except for the explicitly unaligned
    // forms (SDM Vol. 1 §11.6.8): #GP(0), whatever the segment.
    if (aligned && (ea & 15)) c.raise(vec::kGp, 0);
    const uint64_t lin = c.linear_address(o.seg, ea, 16, Access::kRead);
    if ((lin & 0xfff) <= 0xff0) {
      const bool user = c.user_mode();
      v.set<uint64_t>(0, c.read_linear(lin, 8, user));
      v.set<uint64_t>(1, c.read_linear(lin + 8, 8, user));
    } else {
      c.read_bytes(o.seg, ea, v.b, 16);
    }
  } else {
    v.set<uint64_t>(0, c.read(o.seg, ea, o.size));
  }
  return v;
}

inline void write_mem(Cpu& c, const Insn& i, const Operand& o, const Vec& v, bool aligned) {
  const uint64_t ea = effective_address(c, i, o);
  if (o.size == 16) {
    if (aligned && (ea & 15)) c.raise(vec::kGp, 0);
    const uint64_t lin = c.linear_address(o.seg, ea, 16, Access::kWrite);
    if ((lin & 0xfff) <= 0xff0) {
      // Both halves are in one page: the second write cannot fault once the first succeeded.
      const bool user = c.user_mode();
      c.write_linear(lin, 8, v.q(0), user);
      c.write_linear(lin + 8, 8, v.q(1), user);
    } else {
      c.write_bytes(o.seg, ea, v.b, 16);
    }
  } else {
    c.write(o.seg, ea, o.size, v.q(0) & size_mask(o.size));
  }
}

// Operand n as a zero-extended 16-byte value.
inline Vec read_vec(Cpu& c, const Insn& i, unsigned n, bool aligned = true) {
  const Operand& o = i.op[n];
  Vec v;
  switch (o.kind) {
    case OperandKind::kMem: return read_mem(c, i, o, aligned);
    case OperandKind::kImm: v.set<uint64_t>(0, uint64_t(o.value) & size_mask(o.size)); return v;
    case OperandKind::kReg:
      if (o.reg_class == RegClass::kXmm) return xmm(c, o.reg);
      if (o.reg_class == RegClass::kMmx) {
        v.set<uint64_t>(0, mm(c, o.reg));
        return v;
      }
      v.set<uint64_t>(0, read_reg(c, o, o.size));
      return v;
    default: return v;
  }
}

// Writes operand n: the whole XMM/MMX register, a GPR at its size (32-bit writes zero-extend),
// or memory at the operand's size.
inline void write_vec(Cpu& c, const Insn& i, unsigned n, const Vec& v, bool aligned = true) {
  const Operand& o = i.op[n];
  if (o.kind == OperandKind::kMem) return write_mem(c, i, o, v, aligned);
  if (o.reg_class == RegClass::kXmm)
    set_xmm(c, o.reg, v);
  else if (o.reg_class == RegClass::kMmx)
    set_mm(c, o.reg, v.q(0));
  else
    write_reg(c, o, o.size, v.q(0));
}

inline unsigned imm8(const Insn& i) {
  return i.num_ops > 2 && i.op[2].kind == OperandKind::kImm ? unsigned(i.op[2].value) & 0xff : 0;
}
inline bool has_mmx(const Insn& i) {
  for (unsigned k = 0; k < i.num_ops; k++)
    if (i.op[k].kind == OperandKind::kReg && i.op[k].reg_class == RegClass::kMmx) return true;
  return false;
}

// --- Deterministic SIMD floating point (SDM Vol. 1 §11.5, §4.8–4.9) --------------------------
//
// Guest float arithmetic executes on the host's own SSE unit: the host is x86-64 too, so an
// ADDSS on the host gives bit for bit the result a guest ADDSS gives — rounding, denormals,
// NaN propagation (first-operand QNaN wins, SNaNs quieted, default NaN 0xffc00000) and the
// exception flags. The only input the result depends on besides the operands is the MXCSR
// control state, and FpEnv makes that explicit: it loads the guest's RC/FTZ/DAZ with every
// exception masked and every flag clear, lets the operation run, reads back the flags it
// raised, and restores the host's MXCSR. So results never depend on the emulator's own MXCSR.
//
// The compiler knows nothing of that dependency (GCC does not model MXCSR as an input of
// floating-point instructions), so every operand passes through fp_opaque() after LDMXCSR and
// every result through fp_opaque() before STMXCSR: empty volatile asm statements, which the
// compiler keeps in order with the (volatile) LDMXCSR/STMXCSR and cannot fold through. The
// LLVM tier compiles the same code; LLVM treats the asm the same way.
namespace mxcsr {
constexpr uint32_t kIe = 1, kDe = 2, kZe = 4, kOe = 8, kUe = 16, kPe = 32, kFlags = 0x3f;
constexpr uint32_t kDaz = 1u << 6, kMasks = 0x3fu << 7, kUm = kUe << 7, kRc = 3u << 13,
                   kFtz = 1u << 15;
constexpr uint32_t kPreComputation = kIe | kDe | kZe;
constexpr uint32_t kValid = 0xffff;  // MXCSR_MASK as FXSAVE reports it (DAZ supported)
}  // namespace mxcsr

inline uint32_t host_stmxcsr() {
  uint32_t v;
  asm volatile("stmxcsr %0" : "=m"(v));
  return v;
}
inline void host_ldmxcsr(uint32_t v) { asm volatile("ldmxcsr %0" : : "m"(v)); }

template <typename T>
T fp_opaque(T v) {
  if constexpr (std::is_floating_point_v<T>)
    asm volatile("" : "+x"(v));
  else
    asm volatile("" : "+r"(v));
  return v;
}

class FpEnv {
 public:
  explicit FpEnv(uint32_t control)
      : saved_(host_stmxcsr()),
        loaded_((control & (mxcsr::kDaz | mxcsr::kRc | mxcsr::kFtz)) | mxcsr::kMasks) {
    host_ldmxcsr(loaded_);
  }
  ~FpEnv() { host_ldmxcsr(saved_); }
  FpEnv(const FpEnv&) = delete;
  FpEnv& operator=(const FpEnv&) = delete;
  uint32_t flags() const { return host_stmxcsr() & mxcsr::kFlags; }
  void clear_flags() const { host_ldmxcsr(loaded_); }

 private:
  uint32_t saved_, loaded_;
};

// The controls a guest operation runs under. FTZ only acts while underflow is masked (SDM Vol. 1
// §10.2.3.3); with UE unmasked the denormal result must be seen so it can be reported.
inline uint32_t guest_control(const Cpu& c) {
  const uint32_t m = c.state.fpu.mxcsr;
  return (m & mxcsr::kUm) ? m : m & ~mxcsr::kFtz;
}

// The raised flags whose exceptions are unmasked.
inline uint32_t unmasked(const Cpu& c, uint32_t raised) {
  return raised & ~(c.state.fpu.mxcsr >> 7) & mxcsr::kFlags;
}

// Merges the flags an instruction raised into the guest MXCSR. If one is unmasked the
// instruction faults with the destination unchanged: #XM, or #UD when CR4.OSXMMEXCPT=0.
// Unmasked pre-computation exceptions (IE, DE, ZE) suppress the post-computation ones (OE, UE,
// PE) (SDM Vol. 1 §11.5.1).
inline void fp_commit(Cpu& c, uint32_t raised) {
  uint32_t& m = c.state.fpu.mxcsr;
  if (const uint32_t u = unmasked(c, raised)) {
    m |= (u & mxcsr::kPreComputation) ? raised & mxcsr::kPreComputation : raised;
    c.raise(c.state.cr4 & cr4::kOsxmmexcpt ? vec::kXm : vec::kUd);
  }
  m |= raised;
}

template <typename F, typename T>
auto fp_lane(T a, T b) {
  return fp_opaque(F::f(fp_opaque(a), fp_opaque(b)));
}

// What an operation is, for the exact flags of the unmasked-overflow/underflow path below.
// kExact: cannot overflow or underflow (square root, min/max, compares, most conversions).
enum class FpKind { kAdd, kSub, kMul, kDiv, kNarrow, kExact };

// x = ±m · 2^e, m the integer significand (with the implicit bit for normal numbers).
template <typename T>
Bits<T> significand(T x, int* e) {
  using Fmt = FpFormat<T>;
  const Bits<T> b = to_bits(x);
  const int field = int((b & Fmt::kExpMask) >> Fmt::kMantBits);
  *e = (field ? field : 1) - int(Fmt::kBias) - int(Fmt::kMantBits);
  return (b & Fmt::kMantMask) | (field ? Bits<T>(1) << Fmt::kMantBits : 0);
}
// A finite nonzero x scaled by a power of two into [1, 2), sign kept (exact).
template <typename T>
T normalized(T x) {
  using Fmt = FpFormat<T>;
  int e;
  Bits<T> m = significand(x, &e);
  while (!(m >> Fmt::kMantBits)) m <<= 1;
  return from_bits<T>((to_bits(x) & Fmt::kSign) | (Bits<T>(Fmt::kBias) << Fmt::kMantBits) |
                      (m & Fmt::kMantMask));
}

// With OE or UE unmasked, PE reports whether the result rounded to the destination precision
// with an *unbounded exponent* is inexact (SDM Vol. 1 §11.5.2.4-5), not whether the overflowed or
// denormalized value a masked computation produces is. Runs inside `env`; `over`: the operation
// overflowed (else it underflowed).
template <FpKind K, typename F, typename T>
bool inexact_unbounded(const FpEnv& env, T a, T b, bool over) {
  using Fmt = FpFormat<T>;
  if constexpr (K == FpKind::kMul || K == FpKind::kDiv) {
    // With both operands scaled into [1, 2) the result is in range: the host's PE is the answer.
    env.clear_flags();
    fp_lane<F>(normalized(a), normalized(b));
    return env.flags() & mxcsr::kPe;
  } else if constexpr (K == FpKind::kAdd || K == FpKind::kSub) {
    if (!over) return false;  // a tiny sum of representable values is always exact
    // The larger operand is near the top of the range; scale both down by the same power of two
    // (exactly) unless the smaller one is too small to be more than a sticky bit.
    const int ea = int((to_bits(a) & Fmt::kExpMask) >> Fmt::kMantBits);
    const int eb = int((to_bits(b) & Fmt::kExpMask) >> Fmt::kMantBits);
    if (ea - eb > int(Fmt::kMantBits) + 2 || eb - ea > int(Fmt::kMantBits) + 2) return true;
    constexpr Bits<T> kScale = Bits<T>(Fmt::kBias / 2) << Fmt::kMantBits;
    env.clear_flags();
    fp_lane<F>(from_bits<T>(to_bits(a) - kScale), from_bits<T>(to_bits(b) - kScale));
    return env.flags() & mxcsr::kPe;
  } else if constexpr (K == FpKind::kNarrow) {
    // b (a double) fits a float significand iff it has at most 24 significant bits.
    int e;
    uint64_t m = significand(b, &e);
    return (m >> __builtin_ctzll(m)) >> 24;
  } else {
    return false;
  }
}

// The floating-point work of one instruction. Normally all its operations share one FpEnv and
// the flags are OR-ed together. If OE or UE is unmasked (practically only numerical-analysis
// code does that), each operation runs on its own so its flags can be made exact: UE for exact
// tiny results (SDM Vol. 1 §4.9.1.5) and PE per inexact_unbounded().
class FpBatch {
 public:
  explicit FpBatch(const Cpu& c) : FpBatch(c, guest_control(c)) {}
  FpBatch(const Cpu& c, uint32_t control)
      : env_(control),
        unmasked_(~(c.state.fpu.mxcsr >> 7) & (mxcsr::kOe | mxcsr::kUe)),
        precise_(unmasked_ != 0) {}

  template <typename F, typename T>
  auto op(T a, T b) {
    if (!precise_) return fp_lane<F>(a, b);
    env_.clear_flags();
    const auto r = fp_lane<F>(a, b);
    uint32_t f = env_.flags();
    if constexpr (F::kKind != FpKind::kExact) {
      if ((unmasked_ & mxcsr::kUe) && is_denormal(r)) f |= mxcsr::kUe;
      if (f & unmasked_)
        f = (f & ~mxcsr::kPe) |
            (inexact_unbounded<F::kKind, F>(env_, a, b, f & mxcsr::kOe) ? mxcsr::kPe : 0);
    }
    raised_ |= f;
    return r;
  }
  // The flags raised so far.
  uint32_t flags() const { return precise_ ? raised_ : env_.flags(); }

 private:
  FpEnv env_;
  uint32_t unmasked_;  // OE and/or UE
  bool precise_;
  uint32_t raised_ = 0;
};

// Scalar primitives. Each is exactly one host instruction of the same name, with the guest's
// operand order: that order decides which NaN propagates (SDM Vol. 1 Table 4-7, the first
// operand's). Compilers treat floating-point + and * as commutative and may swap the operands,
// so ADD and MUL are pinned with asm; SUB/DIV are not commutative, and the MIN/MAX/CMP
// intrinsics are kept in order by the compiler.
struct FAdd {
  static constexpr FpKind kKind = FpKind::kAdd;
  static float f(float a, float b) {
    asm("addss %1, %0" : "+x"(a) : "x"(b));
    return a;
  }
  static double f(double a, double b) {
    asm("addsd %1, %0" : "+x"(a) : "x"(b));
    return a;
  }
};
struct FSub {
  static constexpr FpKind kKind = FpKind::kSub;
  template <typename T> static T f(T a, T b) { return a - b; }
};
struct FMul {
  static constexpr FpKind kKind = FpKind::kMul;
  static float f(float a, float b) {
    asm("mulss %1, %0" : "+x"(a) : "x"(b));
    return a;
  }
  static double f(double a, double b) {
    asm("mulsd %1, %0" : "+x"(a) : "x"(b));
    return a;
  }
};
struct FDiv {
  static constexpr FpKind kKind = FpKind::kDiv;
  template <typename T> static T f(T a, T b) { return a / b; }
};
struct FSqrt {  // of the source operand; never overflows or underflows
  static constexpr FpKind kKind = FpKind::kExact;
  static float f(float, float b) { return _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(b))); }
  static double f(double, double b) {
    return _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(b)));
  }
};
// MIN/MAX return the second operand if either is a NaN or both are zero (SDM Vol. 2 MINPS).
struct FMin {
  static constexpr FpKind kKind = FpKind::kExact;
  static float f(float a, float b) {
    return _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(a), _mm_set_ss(b)));
  }
  static double f(double a, double b) {
    return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(a), _mm_set_sd(b)));
  }
};
struct FMax {
  static constexpr FpKind kKind = FpKind::kExact;
  static float f(float a, float b) {
    return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b)));
  }
  static double f(double a, double b) {
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b)));
  }
};
// CMPPS predicates 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD); LT/LE/NLT/NLE signal on QNaNs, the
// others only on SNaNs (SDM Vol. 2 CMPPS, Table 3-1). Result: all ones or all zeros.
template <unsigned P>
struct FCmp {
  static constexpr FpKind kKind = FpKind::kExact;
  static uint32_t f(float a, float b) {
    const __m128 x = _mm_set_ss(a), y = _mm_set_ss(b);
    __m128 r;
    if constexpr (P == 0) r = _mm_cmpeq_ss(x, y);
    else if constexpr (P == 1) r = _mm_cmplt_ss(x, y);
    else if constexpr (P == 2) r = _mm_cmple_ss(x, y);
    else if constexpr (P == 3) r = _mm_cmpunord_ss(x, y);
    else if constexpr (P == 4) r = _mm_cmpneq_ss(x, y);
    else if constexpr (P == 5) r = _mm_cmpnlt_ss(x, y);
    else if constexpr (P == 6) r = _mm_cmpnle_ss(x, y);
    else r = _mm_cmpord_ss(x, y);
    return uint32_t(_mm_cvtsi128_si32(_mm_castps_si128(r)));
  }
  static uint64_t f(double a, double b) {
    const __m128d x = _mm_set_sd(a), y = _mm_set_sd(b);
    __m128d r;
    if constexpr (P == 0) r = _mm_cmpeq_sd(x, y);
    else if constexpr (P == 1) r = _mm_cmplt_sd(x, y);
    else if constexpr (P == 2) r = _mm_cmple_sd(x, y);
    else if constexpr (P == 3) r = _mm_cmpunord_sd(x, y);
    else if constexpr (P == 4) r = _mm_cmpneq_sd(x, y);
    else if constexpr (P == 5) r = _mm_cmpnlt_sd(x, y);
    else if constexpr (P == 6) r = _mm_cmpnle_sd(x, y);
    else r = _mm_cmpord_sd(x, y);
    return uint64_t(_mm_cvtsi128_si64(_mm_castpd_si128(r)));
  }
};

// Numeric conversions: CVTSI2SS/SD (int → float, rounded per RC), CVTSS2SD/CVTSD2SS, and
// float → int32/int64 rounding (CVT*) or truncating (CVTT*); out of range or NaN gives the
// integer indefinite value 0x80000000 / 0x8000000000000000 with IE.
template <typename D, bool kTrunc, typename S>
D convert(S v) {
  if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_same_v<S, float>) {
    const __m128 x = _mm_set_ss(v);
    if constexpr (sizeof(D) == 4) return kTrunc ? _mm_cvttss_si32(x) : _mm_cvtss_si32(x);
    else return kTrunc ? _mm_cvttss_si64(x) : _mm_cvtss_si64(x);
  } else {
    const __m128d x = _mm_set_sd(v);
    if constexpr (sizeof(D) == 4) return kTrunc ? _mm_cvttsd_si32(x) : _mm_cvtsd_si32(x);
    else return kTrunc ? _mm_cvttsd_si64(x) : _mm_cvtsd_si64(x);
  }
}

template <typename S, typename D, bool kTrunc>
struct Convert {  // as a lane operation (of its second operand)
  static constexpr FpKind kKind =
      std::is_floating_point_v<D> && sizeof(D) < sizeof(S) ? FpKind::kNarrow : FpKind::kExact;
  static D f(S, S b) { return convert<D, kTrunc>(b); }
};

// --- Integer lane operations (functors over one lane type T) --------------------------------

struct Add { template <typename T> static T f(T a, T b) { return T(a + b); } };
struct Sub { template <typename T> static T f(T a, T b) { return T(a - b); } };
struct AddSat {
  template <typename T> static T f(T a, T b) { return saturate<T>(int64_t(a) + int64_t(b)); }
};
struct SubSat {
  template <typename T> static T f(T a, T b) { return saturate<T>(int64_t(a) - int64_t(b)); }
};
struct MulLo {
  template <typename T> static T f(T a, T b) { return T(uint64_t(a) * uint64_t(b)); }
};
struct MulHi {  // 16-bit lanes; signedness from T: PMULHW (int16_t), PMULHUW (uint16_t)
  // Widened to 32 bits on purpose: GCC 12 at -O3 vectorizes the int64_t-widened signed form
  // into PMULHUW (unsigned), a miscompile this formulation does not trigger.
  template <typename T> static T f(T a, T b) {
    using Wide = std::conditional_t<std::is_signed_v<T>, int32_t, uint32_t>;
    return T((Wide(a) * Wide(b)) >> 16);
  }
};
struct MulHrs {  // PMULHRSW: round((a*b) >> 15)
  template <typename T> static T f(T a, T b) {
    return T((((int32_t(a) * int32_t(b)) >> 14) + 1) >> 1);
  }
};
struct And { template <typename T> static T f(T a, T b) { return a & b; } };
struct AndNot { template <typename T> static T f(T a, T b) { return ~a & b; } };
struct Or { template <typename T> static T f(T a, T b) { return a | b; } };
struct Xor { template <typename T> static T f(T a, T b) { return a ^ b; } };
struct CmpEq { template <typename T> static T f(T a, T b) { return T(a == b ? -1 : 0); } };
struct CmpGt { template <typename T> static T f(T a, T b) { return T(a > b ? -1 : 0); } };
struct Min { template <typename T> static T f(T a, T b) { return std::min(a, b); } };
struct Max { template <typename T> static T f(T a, T b) { return std::max(a, b); } };
struct Avg {
  template <typename T> static T f(T a, T b) { return T((uint32_t(a) + uint32_t(b) + 1) >> 1); }
};
struct Sign {  // PSIGN: negate, zero or keep a by the sign of b
  template <typename T> static T f(T a, T b) { return b < 0 ? T(-a) : b == 0 ? T(0) : a; }
};
struct Abs {  // PABS: |source|, and |-128| = 0x80
  template <typename T> static T f(T, T b) { return b < 0 ? T(-b) : b; }
};

// dest[k] = F(dest[k], src[k]) for every lane.
template <typename T, typename F>
struct Lanes {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < W / sizeof(T); k++) r.set<T>(k, F::f(a.get<T>(k), b.get<T>(k)));
    return r;
  }
};

// PHADD/PHSUB: pairs of the destination, then pairs of the source.
template <typename T, typename F>
struct Horizontal {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kHalf = W / sizeof(T) / 2;
    Vec r;
    for (unsigned k = 0; k < kHalf; k++) {
      r.set<T>(k, F::f(a.get<T>(2 * k), a.get<T>(2 * k + 1)));
      r.set<T>(kHalf + k, F::f(b.get<T>(2 * k), b.get<T>(2 * k + 1)));
    }
    return r;
  }
};

enum class ShiftKind { kLeft, kRightLogical, kRightArith };

// PSLL/PSRL/PSRA: the count is imm8 or the low 64 bits of the source; logical shifts by more
// than the lane width give 0, arithmetic ones fill with the sign.
template <typename T, ShiftKind K>
struct Shift {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kBits = 8 * sizeof(T);
    const uint64_t count = b.q(0);
    Vec r;
    for (unsigned k = 0; k < W / sizeof(T); k++) {
      const T v = a.get<T>(k);
      T x;
      if (K == ShiftKind::kRightArith) {
        using S = std::make_signed_t<T>;
        x = T(S(v) >> std::min<uint64_t>(count, kBits - 1));
      } else if (count >= kBits) {
        x = 0;
      } else {
        x = K == ShiftKind::kLeft ? T(v << count) : T(v >> count);
      }
      r.set<T>(k, x);
    }
    return r;
  }
};

// PSLLDQ/PSRLDQ: whole-register byte shifts by imm8.
template <bool kLeft>
struct ByteShift {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    const uint64_t n = b.q(0);
    Vec r;
    for (unsigned k = 0; k < 16; k++) {
      const uint64_t from = kLeft ? k - n : k + n;  // wraps to a huge value when out of range
      r.b[k] = from < 16 ? a.b[from] : 0;
    }
    return r;
  }
};

template <typename T, bool kHigh>
struct Unpack {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kHalf = W / sizeof(T) / 2;
    const unsigned from = kHigh ? kHalf : 0;
    Vec r;
    for (unsigned k = 0; k < kHalf; k++) {
      r.set<T>(2 * k, a.get<T>(from + k));
      r.set<T>(2 * k + 1, b.get<T>(from + k));
    }
    return r;
  }
};

// PACKSSWB/PACKSSDW/PACKUSWB/PACKUSDW: saturate S lanes of dest, then of source, to D.
template <typename S, typename D>
struct Pack {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kN = W / sizeof(S);
    Vec r;
    for (unsigned k = 0; k < kN; k++) {
      r.set<D>(k, saturate<D>(a.get<S>(k)));
      r.set<D>(kN + k, saturate<D>(b.get<S>(k)));
    }
    return r;
  }
};

struct MaddWd {  // PMADDWD
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < W / 4; k++) {
      const int64_t s = int64_t(a.get<int16_t>(2 * k)) * b.get<int16_t>(2 * k) +
                        int64_t(a.get<int16_t>(2 * k + 1)) * b.get<int16_t>(2 * k + 1);
      r.set<uint32_t>(k, uint32_t(s));  // only -32768² · 2 wraps, to 0x80000000
    }
    return r;
  }
};

struct MaddUbsw {  // PMADDUBSW: unsigned dest bytes × signed source bytes
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < W / 2; k++) {
      const int32_t s = int32_t(a.get<uint8_t>(2 * k)) * b.get<int8_t>(2 * k) +
                        int32_t(a.get<uint8_t>(2 * k + 1)) * b.get<int8_t>(2 * k + 1);
      r.set<int16_t>(k, saturate<int16_t>(s));
    }
    return r;
  }
};

template <typename T>  // PMULUDQ (uint32_t), PMULDQ (int32_t): even dwords to qwords
struct MulWide {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < W / 8; k++)
      r.set<uint64_t>(k, uint64_t(int64_t(a.get<T>(2 * k)) * int64_t(b.get<T>(2 * k))));
    return r;
  }
};

struct Sadbw {  // PSADBW
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned g = 0; g < W / 8; g++) {
      uint64_t sum = 0;
      for (unsigned k = 8 * g; k < 8 * g + 8; k++)
        sum += a.b[k] > b.b[k] ? a.b[k] - b.b[k] : b.b[k] - a.b[k];
      r.set<uint64_t>(g, sum);
    }
    return r;
  }
};

struct Mpsadbw {  // MPSADBW: eight 4-byte SADs at sliding dest offsets (SDM Vol. 2 MPSADBW)
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    const unsigned src = (imm & 3) * 4, dst = imm & 4;
    Vec r;
    for (unsigned j = 0; j < 8; j++) {
      unsigned sum = 0;
      for (unsigned k = 0; k < 4; k++) {
        const int d = int(a.b[dst + j + k]) - int(b.b[src + k]);
        sum += d < 0 ? -d : d;
      }
      r.set<uint16_t>(j, uint16_t(sum));
    }
    return r;
  }
};

struct Phminposuw {
  template <unsigned W>
  static Vec run(Cpu&, const Vec&, const Vec& b, unsigned) {
    unsigned best = 0;
    for (unsigned k = 1; k < 8; k++)
      if (b.get<uint16_t>(k) < b.get<uint16_t>(best)) best = k;
    Vec r;
    r.set<uint16_t>(0, b.get<uint16_t>(best));
    r.set<uint16_t>(1, uint16_t(best));
    return r;
  }
};

struct Pshufb {  // index bit 7 set → 0; else dest byte (index mod width)
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < W; k++) r.b[k] = (b.b[k] & 0x80) ? 0 : a.b[b.b[k] & (W - 1)];
    return r;
  }
};

struct Palignr {  // (dest:source) >> (imm8 bytes), low W bytes
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    Vec r;
    for (unsigned k = 0; k < W; k++) {
      const unsigned from = k + imm;
      r.b[k] = from < W ? b.b[from] : from < 2 * W ? a.b[from - W] : 0;
    }
    return r;
  }
};

struct Pshufd {
  template <unsigned W>
  static Vec run(Cpu&, const Vec&, const Vec& b, unsigned imm) {
    Vec r;
    for (unsigned k = 0; k < 4; k++) r.set<uint32_t>(k, b.get<uint32_t>((imm >> (2 * k)) & 3));
    return r;
  }
};

// PSHUFLW (W=16) and PSHUFW (W=8): shuffle the low four words; PSHUFHW: the high four.
template <bool kHigh>
struct ShuffleWords {
  template <unsigned W>
  static Vec run(Cpu&, const Vec&, const Vec& b, unsigned imm) {
    Vec r = b;
    const unsigned base = kHigh ? 4 : 0;
    for (unsigned k = 0; k < 4; k++)
      r.set<uint16_t>(base + k, b.get<uint16_t>(base + ((imm >> (2 * k)) & 3)));
    return r;
  }
};

struct Shufps {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    Vec r;
    r.set<uint32_t>(0, a.get<uint32_t>(imm & 3));
    r.set<uint32_t>(1, a.get<uint32_t>((imm >> 2) & 3));
    r.set<uint32_t>(2, b.get<uint32_t>((imm >> 4) & 3));
    r.set<uint32_t>(3, b.get<uint32_t>((imm >> 6) & 3));
    return r;
  }
};
struct Shufpd {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    Vec r;
    r.set<uint64_t>(0, a.q(imm & 1));
    r.set<uint64_t>(1, b.q((imm >> 1) & 1));
    return r;
  }
};

// MOVSLDUP (lane 0), MOVSHDUP (lane 1) on dwords; MOVDDUP on qwords (lane 0).
template <typename T, unsigned kLane>
struct Duplicate {
  template <unsigned W>
  static Vec run(Cpu&, const Vec&, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < 16 / sizeof(T); k += 2) {
      r.set<T>(k, b.get<T>(k + kLane));
      r.set<T>(k + 1, b.get<T>(k + kLane));
    }
    return r;
  }
};

template <typename S, typename D>  // PMOVSX (signed S, D) / PMOVZX (unsigned)
struct Extend {
  template <unsigned W>
  static Vec run(Cpu&, const Vec&, const Vec& b, unsigned) {
    Vec r;
    for (unsigned k = 0; k < 16 / sizeof(D); k++) r.set<D>(k, D(b.get<S>(k)));
    return r;
  }
};

template <typename T>  // PBLENDW, BLENDPS, BLENDPD: imm8 bit k picks source lane k
struct BlendImm {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    Vec r;
    for (unsigned k = 0; k < 16 / sizeof(T); k++)
      r.set<T>(k, ((imm >> k) & 1) ? b.get<T>(k) : a.get<T>(k));
    return r;
  }
};

template <typename T>  // PBLENDVB, BLENDVPS, BLENDVPD: the sign of XMM0's lane k picks
struct BlendVar {
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned) {
    const Vec m = xmm(c, 0);
    Vec r;
    for (unsigned k = 0; k < 16 / sizeof(T); k++)
      r.set<T>(k, (m.get<T>(k) >> (8 * sizeof(T) - 1)) ? b.get<T>(k) : a.get<T>(k));
    return r;
  }
};

template <typename T>  // PINSRB/W/D/Q: source (GPR or memory) into lane imm8
struct Insert {
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned imm) {
    Vec r = a;
    r.set<T>(imm & (W / sizeof(T) - 1), b.get<T>(0));
    return r;
  }
};

// --- Floating-point operations ------------------------------------------------------------

constexpr unsigned kPacked = 0;  // lane count meaning "the whole register"

// dest[k] = F(dest[k], src[k]) for the low kN lanes (1: scalar, upper lanes kept).
template <typename T, unsigned kN, typename F>
struct FpLanes {
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kLanes = kN ? kN : 16 / sizeof(T);
    Vec r = a;
    uint32_t raised;
    {
      FpBatch fp(c);
      for (unsigned k = 0; k < kLanes; k++) r.set(k, fp.op<F>(a.get<T>(k), b.get<T>(k)));
      raised = fp.flags();
    }
    fp_commit(c, raised);
    return r;
  }
};

template <typename T, typename F>  // HADDPS/HADDPD/HSUBPS/HSUBPD
struct FpHorizontal {
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kHalf = 16 / sizeof(T) / 2;
    Vec r;
    uint32_t raised;
    {
      FpBatch fp(c);
      for (unsigned k = 0; k < kHalf; k++) {
        r.set<T>(k, fp.op<F>(a.get<T>(2 * k), a.get<T>(2 * k + 1)));
        r.set<T>(kHalf + k, fp.op<F>(b.get<T>(2 * k), b.get<T>(2 * k + 1)));
      }
      raised = fp.flags();
    }
    fp_commit(c, raised);
    return r;
  }
};

template <typename T>  // ADDSUBPS/ADDSUBPD: even lanes subtract, odd lanes add
struct AddSub {
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned) {
    constexpr unsigned kLanes = 16 / sizeof(T);
    Vec r;
    uint32_t raised;
    {
      FpBatch fp(c);
      for (unsigned k = 0; k < kLanes; k++)
        r.set<T>(k, (k & 1) ? fp.op<FAdd>(a.get<T>(k), b.get<T>(k))
                            : fp.op<FSub>(a.get<T>(k), b.get<T>(k)));
      raised = fp.flags();
    }
    fp_commit(c, raised);
    return r;
  }
};

// DPPS/DPPD: products of the lanes selected by imm8[7:4], summed pairwise in the order of the
// SDM pseudocode (each step rounded), stored into the lanes selected by imm8[3:0], +0.0 elsewhere.
// Exceptions are taken per step: the flags of completed steps stay set even when a later step
// faults (on a denormal intermediate, say), and a fault stops the steps after it.
template <typename T>
struct DotProduct {
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned imm) {
    constexpr unsigned kLanes = 16 / sizeof(T);
    Vec r;
    uint32_t done = 0, last;  // flags of the completed steps; cumulative flags at the last one
    {
      FpBatch fp(c);
      T p[kLanes], sum = 0;
      for (unsigned k = 0; k < kLanes; k++)
        p[k] = ((imm >> (4 + k)) & 1) ? fp.op<FMul>(a.get<T>(k), b.get<T>(k)) : T(0);
      last = fp.flags();
      if (!unmasked(c, last)) {
        done = last;
        if constexpr (kLanes == 4) {
          const T t1 = fp.op<FAdd>(p[0], p[1]), t2 = fp.op<FAdd>(p[2], p[3]);
          last = fp.flags();
          if (!unmasked(c, last)) {
            done = last;
            sum = fp.op<FAdd>(t1, t2);
            last = fp.flags();
          }
        } else {
          sum = fp.op<FAdd>(p[0], p[1]);
          last = fp.flags();
        }
      }
      for (unsigned k = 0; k < kLanes; k++) r.set<T>(k, ((imm >> k) & 1) ? sum : T(0));
    }
    c.state.fpu.mxcsr |= done;
    fp_commit(c, last);
    return r;
  }
};

// ROUNDSS/SD/PS/PD: to an integral value, mode imm8[1:0] or MXCSR.RC when imm8[2]; imm8[3]
// suppresses the precision exception; only IE (SNaN) and PE are signalled (SDM Vol. 2 ROUNDPS).
template <typename T, unsigned kN>
struct Round {
  static T lane(T x) {
    using Fmt = FpFormat<T>;
    const Bits<T> bits = to_bits(x);
    if (is_nan(x)) return fp_opaque(fp_opaque(x) + fp_opaque(x));  // quiets an SNaN, with IE
    // |x| >= 2^mantissa bits (or infinite) is integral already.
    if (((bits & Fmt::kExpMask) >> Fmt::kMantBits) >= Fmt::kBias + Fmt::kMantBits) return x;
    // Now |x| < 2^52: CVTSx2SI rounds in the current mode (PE if inexact; DAZ applies), the
    // conversion back is exact, and the sign is put back for results of zero.
    int64_t n;
    if constexpr (sizeof(T) == 4)
      n = fp_opaque(_mm_cvtss_si64(_mm_set_ss(fp_opaque(x))));
    else
      n = fp_opaque(_mm_cvtsd_si64(_mm_set_sd(fp_opaque(x))));
    const T y = fp_opaque(static_cast<T>(n));
    return from_bits<T>(to_bits(y) | (bits & Fmt::kSign));
  }
  template <unsigned W>
  static Vec run(Cpu& c, const Vec& a, const Vec& b, unsigned imm) {
    constexpr unsigned kLanes = kN ? kN : 16 / sizeof(T);
    const uint32_t m = c.state.fpu.mxcsr;
    const uint32_t control = (imm & 4) ? m : (m & ~mxcsr::kRc) | ((imm & 3) << 13);
    Vec r = a;
    uint32_t raised;
    {
      FpEnv env(control);
      for (unsigned k = 0; k < kLanes; k++) r.set<T>(k, lane(b.get<T>(k)));
      raised = env.flags() & (mxcsr::kIe | mxcsr::kPe);
    }
    if (imm & 8) raised &= ~mxcsr::kPe;
    fp_commit(c, raised);
    return r;
  }
};

// RCPSS/RCPPS/RSQRTSS/RSQRTPS. Hardware only promises |relative error| <= 1.5 * 2^-12 and the
// exact bits differ between CPU generations and vendors; to stay deterministic on any host the
// approximation is computed here: the exact value rounded to nearest to 12 significant bits.
// Denormal inputs count as zero and tiny results flush to zero; no MXCSR flags are raised.
template <bool kRsqrt, unsigned kN>
struct Approx {
  static uint32_t lane(float x) {
    using Fmt = FpFormat<float>;
    const uint32_t bits = to_bits(x), sign = bits & Fmt::kSign;
    if (is_nan(x)) return bits | Fmt::kQuiet;
    if (!(bits & Fmt::kExpMask)) return sign | Fmt::kExpMask;  // ±0, denormal → ±∞
    if ((bits & ~Fmt::kSign) == Fmt::kExpMask) return kRsqrt && sign ? 0xffc00000 : sign;  // ±∞
    if (kRsqrt && sign) return 0xffc00000;  // negative → default NaN
    double d;
    {
      FpEnv env(0);  // round to nearest, nothing flushed; the host flags are not the guest's
      const double v = fp_opaque(double(x));
      d = fp_opaque(kRsqrt ? 1.0 / _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(v)))
                           : 1.0 / v);
    }
    uint64_t db = to_bits(d);
    if (int((db >> 52) & 0x7ff) - 1023 + 127 <= 0) return sign;  // tiny (before rounding): 0
    db = (db + (uint64_t(1) << 40)) & ~((uint64_t(1) << 41) - 1);  // keep 11 fraction bits
    const int exp = int((db >> 52) & 0x7ff) - 1023 + 127;
    return uint32_t(db >> 63) << 31 | uint32_t(exp) << 23 | uint32_t((db >> 29) & Fmt::kMantMask);
  }
  template <unsigned W>
  static Vec run(Cpu&, const Vec& a, const Vec& b, unsigned) {
    Vec r = a;
    for (unsigned k = 0; k < (kN ? kN : 4); k++) r.set<uint32_t>(k, lane(b.get<float>(k)));
    return r;
  }
};

// --- Handlers -----------------------------------------------------------------------------

// op0 (a register) = Op(op0, op1, imm8): the shape of most SIMD instructions.
template <unsigned W, typename Op>
void simd(Cpu& c, const Insn& i) {
  constexpr Unit kUnit = unit_of(W);
  enter<kUnit>(c);
  const Vec b = read_vec(c, i, 1);
  const Vec a = read_vec(c, i, 0);
  write_vec(c, i, 0, Op::template run<W>(c, a, b, imm8(i)));
  leave<kUnit>(c);
}

// MOVAPS/MOVAPD/MOVDQA/MOVNTPS/MOVNTPD/MOVNTDQ/MOVNTDQA (aligned), MOVUPS/MOVUPD/MOVDQU/LDDQU.
template <bool kAligned>
void mov_full(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  write_vec(c, i, 0, read_vec(c, i, 1, kAligned), kAligned);
}

// MOVD/MOVQ in all their forms (and MOVNTQ, MOVQ2DQ, MOVDQ2Q): the low N bytes of the source,
// zero-extended into a register destination.
template <Unit U, unsigned N>
void mov_int(Cpu& c, const Insn& i) {
  enter<U>(c);
  Vec v;
  v.set<uint64_t>(0, read_vec(c, i, 1).q(0) & size_mask(N));
  write_vec(c, i, 0, v);
  leave<U>(c);
}

// MOVSS/MOVSD: register to register moves the low lane only; a load zeroes the rest.
template <typename T>
void mov_scalar(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const Vec b = read_vec(c, i, 1);
  if (i.op[0].kind == OperandKind::kMem || i.op[1].kind == OperandKind::kMem)
    return write_vec(c, i, 0, b);
  Vec r = xmm(c, i.op[0].reg);
  r.set<T>(0, b.get<T>(0));
  set_xmm(c, i.op[0].reg, r);
}

// MOVLPS/MOVLPD/MOVHPS/MOVHPD/MOVHLPS/MOVLHPS: one qword, from source qword kSrc to
// destination qword kDst (memory operands are a single qword).
template <unsigned kDst, unsigned kSrc>
void mov_half(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const Vec b = read_vec(c, i, 1);
  Vec r;
  if (i.op[0].kind == OperandKind::kMem) {
    r.set<uint64_t>(0, b.q(kSrc));
  } else {
    r = xmm(c, i.op[0].reg);
    r.set<uint64_t>(kDst, b.q(i.op[1].kind == OperandKind::kMem ? 0 : kSrc));
  }
  write_vec(c, i, 0, r);
}

// MOVMSKPS/MOVMSKPD/PMOVMSKB: the lanes' sign bits into a GPR.
template <unsigned W, typename T>
void movmsk(Cpu& c, const Insn& i) {
  enter<unit_of(W)>(c);
  const Vec s = read_vec(c, i, 1);
  uint64_t m = 0;
  for (unsigned k = 0; k < W / sizeof(T); k++)
    m |= uint64_t(s.get<T>(k) >> (8 * sizeof(T) - 1)) << k;
  write_reg(c, i.op[0], i.op[0].size, m);
  leave<unit_of(W)>(c);
}

// PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS: lane imm8 to a GPR (zero-extended) or memory.
template <unsigned W, typename T>
void extract(Cpu& c, const Insn& i) {
  enter<unit_of(W)>(c);
  const Vec s = read_vec(c, i, 1);
  const uint64_t v = s.get<T>(imm8(i) & (W / sizeof(T) - 1));
  write_op(c, i, 0, i.op[0].size, v);
  leave<unit_of(W)>(c);
}

// INSERTPS: source dword imm8[7:6] (a memory source is the dword itself) into dest lane
// imm8[5:4], then zero the lanes in imm8[3:0].
inline void insertps(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const unsigned imm = imm8(i);
  const Vec b = read_vec(c, i, 1);
  Vec r = xmm(c, i.op[0].reg);
  const unsigned from = i.op[1].kind == OperandKind::kMem ? 0 : imm >> 6;
  r.set<uint32_t>((imm >> 4) & 3, b.get<uint32_t>(from));
  for (unsigned k = 0; k < 4; k++)
    if ((imm >> k) & 1) r.set<uint32_t>(k, 0);
  set_xmm(c, i.op[0].reg, r);
}

// PTEST: ZF = (dest & src) == 0, CF = (~dest & src) == 0; AF OF PF SF cleared.
inline void ptest(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const Vec b = read_vec(c, i, 1);
  const Vec a = xmm(c, i.op[0].reg);
  const bool z = !((a.q(0) & b.q(0)) | (a.q(1) & b.q(1)));
  const bool cf = !((~a.q(0) & b.q(0)) | (~a.q(1) & b.q(1)));
  set_flags(c, flags::kArith, (z ? flags::kZf : 0) | (cf ? flags::kCf : 0));
}

// MASKMOVDQU/MASKMOVQ: store the bytes of op0 whose op1 byte has bit 7 set, at (E/R)DI through
// DS (or the override). Bytes are stored one at a time, so a fault part way leaves the
// earlier ones written — hardware gives no atomicity guarantee here either.
template <unsigned W>
void maskmov(Cpu& c, const Insn& i) {
  enter<unit_of(W)>(c);
  const Vec data = read_vec(c, i, 0), mask = read_vec(c, i, 1);
  const uint64_t base = c.state.gpr[kRdi] & size_mask(i.addr_size);
  for (unsigned k = 0; k < W; k++)
    if (mask.b[k] & 0x80) c.write(i.string_seg, (base + k) & size_mask(i.addr_size), 1, data.b[k]);
  leave<unit_of(W)>(c);
}

// Conversions: kN lanes of S from op1 become lanes of D in op0. kZero: the destination's other
// lanes are zeroed (CVTPD2PS, CVTPD2DQ, GPR results) rather than kept (scalar and CVTPI2PS).
template <Unit U, typename S, typename D, unsigned kN, bool kTrunc, bool kZero>
void cvt(Cpu& c, const Insn& i) {
  enter<U>(c);
  const Vec s = read_vec(c, i, 1);
  Vec r = kZero ? Vec{} : read_vec(c, i, 0);
  uint32_t raised;
  {
    FpBatch fp(c);
    for (unsigned k = 0; k < kN; k++)
      r.set<D>(k, fp.op<Convert<S, D, kTrunc>>(s.get<S>(k), s.get<S>(k)));
    raised = fp.flags();
  }
  fp_commit(c, raised);
  write_vec(c, i, 0, r);
  leave<U>(c);
}

// COMISS/COMISD (signal on any NaN) and UCOMISS/UCOMISD (only on SNaN): ZF PF CF = 111
// unordered, 000 greater, 001 less, 100 equal; OF SF AF cleared.
template <typename T, bool kQuiet>
void comis(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const T y = read_vec(c, i, 1).get<T>(0);
  const T x = xmm(c, i.op[0].reg).get<T>(0);
  uint64_t f;
  uint32_t raised;
  {
    FpEnv env(guest_control(c));
    int eq, lt;
    if constexpr (sizeof(T) == 4) {
      const __m128 a = _mm_set_ss(fp_opaque(x)), b = _mm_set_ss(fp_opaque(y));
      eq = kQuiet ? _mm_ucomieq_ss(a, b) : _mm_comieq_ss(a, b);
      lt = kQuiet ? _mm_ucomilt_ss(a, b) : _mm_comilt_ss(a, b);
    } else {
      const __m128d a = _mm_set_sd(fp_opaque(x)), b = _mm_set_sd(fp_opaque(y));
      eq = kQuiet ? _mm_ucomieq_sd(a, b) : _mm_comieq_sd(a, b);
      lt = kQuiet ? _mm_ucomilt_sd(a, b) : _mm_comilt_sd(a, b);
    }
    eq = fp_opaque(eq), lt = fp_opaque(lt);
    // The NaN test is on the bits: the intrinsics' results for unordered inputs vary.
    if (is_nan(x) || is_nan(y))
      f = flags::kZf | flags::kPf | flags::kCf;
    else
      f = eq ? flags::kZf : lt ? flags::kCf : 0;
    raised = env.flags();
  }
  fp_commit(c, raised);
  set_flags(c, flags::kArith, f);
}

inline void ldmxcsr(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  const uint64_t v = read_op(c, i, 0, 4);
  if (v & ~uint64_t(mxcsr::kValid)) c.raise(vec::kGp, 0);
  c.state.fpu.mxcsr = uint32_t(v);
}
inline void stmxcsr(Cpu& c, const Insn& i) {
  enter<Unit::kSse>(c);
  write_op(c, i, 0, 4, c.state.fpu.mxcsr);
}

inline void emms(Cpu& c, const Insn&) {
  enter<Unit::kMmx>(c);
  c.state.fpu.ftw = 0xffff;
}

// MOVNTI: a GPR store; no SSE state involved, so no CR0/CR4 checks.
inline void movnti(Cpu& c, const Insn& i) { write_op(c, i, 0, read_op(c, i, 1)); }

}  // namespace rwd::sem

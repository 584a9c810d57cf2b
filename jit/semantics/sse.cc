// SPDX-License-Identifier: MIT
// Mnemonic → handler for the SSE, SSE2, SSE3, SSSE3, SSE4.1 and MMX instructions (semantics in
// sse.h). Instructions that exist for both MMX and XMM registers pick the 64- or 128-bit
// instantiation by the register class of their operands. nullptr: not an SSE/MMX instruction.
#include <Zydis/Zydis.h>

#include "jit/semantics/sse.h"
#include "jit/semantics/table.h"

namespace rwd {
namespace {

using namespace sem;

template <typename T, unsigned kN>
Handler fp_compare(const Insn& i) {
  switch (imm8(i) & 7) {  // legacy encodings only use imm8[2:0]
    case 0: return &simd<16, FpLanes<T, kN, FCmp<0>>>;
    case 1: return &simd<16, FpLanes<T, kN, FCmp<1>>>;
    case 2: return &simd<16, FpLanes<T, kN, FCmp<2>>>;
    case 3: return &simd<16, FpLanes<T, kN, FCmp<3>>>;
    case 4: return &simd<16, FpLanes<T, kN, FCmp<4>>>;
    case 5: return &simd<16, FpLanes<T, kN, FCmp<5>>>;
    case 6: return &simd<16, FpLanes<T, kN, FCmp<6>>>;
    default: return &simd<16, FpLanes<T, kN, FCmp<7>>>;
  }
}

// Float→int conversions into a GPR: the result width is the destination's.
template <typename S, bool kTrunc>
Handler to_gpr(const Insn& i) {
  return i.op[0].size == 8 ? &cvt<Unit::kSse, S, int64_t, 1, kTrunc, true>
                           : &cvt<Unit::kSse, S, int32_t, 1, kTrunc, true>;
}
// Int→float conversions from a GPR or memory: the source width is the operand's.
template <typename D>
Handler from_gpr(const Insn& i) {
  return i.op[1].size == 8 ? &cvt<Unit::kSse, int64_t, D, 1, false, false>
                           : &cvt<Unit::kSse, int32_t, D, 1, false, false>;
}

}  // namespace

Handler select_sse_handler(const Insn& i) {
  const bool mmx = has_mmx(i);
// Both widths (MMX and XMM forms), XMM only, and a whole float family.
#define BOTH(...) (mmx ? &simd<8, __VA_ARGS__> : &simd<16, __VA_ARGS__>)
#define XMM(...) &simd<16, __VA_ARGS__>
#define FP_FAMILY(NAME, F)                                           \
  case ZYDIS_MNEMONIC_##NAME##SS: return XMM(FpLanes<float, 1, F>);  \
  case ZYDIS_MNEMONIC_##NAME##SD: return XMM(FpLanes<double, 1, F>); \
  case ZYDIS_MNEMONIC_##NAME##PS: return XMM(FpLanes<float, kPacked, F>); \
  case ZYDIS_MNEMONIC_##NAME##PD: return XMM(FpLanes<double, kPacked, F>);
  using L = ShiftKind;
  switch (ZydisMnemonic(i.mnemonic)) {
    // --- Moves
    case ZYDIS_MNEMONIC_MOVAPS:
    case ZYDIS_MNEMONIC_MOVAPD:
    case ZYDIS_MNEMONIC_MOVDQA:
    case ZYDIS_MNEMONIC_MOVNTPS:
    case ZYDIS_MNEMONIC_MOVNTPD:
    case ZYDIS_MNEMONIC_MOVNTDQ:
    case ZYDIS_MNEMONIC_MOVNTDQA: return &mov_full<true>;
    case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_LDDQU: return &mov_full<false>;
    case ZYDIS_MNEMONIC_MOVSS: return &mov_scalar<uint32_t>;
    case ZYDIS_MNEMONIC_MOVSD: return &mov_scalar<uint64_t>;  // string MOVSD is taken earlier
    case ZYDIS_MNEMONIC_MOVD: return mmx ? &mov_int<Unit::kMmx, 4> : &mov_int<Unit::kSse, 4>;
    case ZYDIS_MNEMONIC_MOVQ: return mmx ? &mov_int<Unit::kMmx, 8> : &mov_int<Unit::kSse, 8>;
    case ZYDIS_MNEMONIC_MOVNTQ: return &mov_int<Unit::kMmx, 8>;
    case ZYDIS_MNEMONIC_MOVQ2DQ:
    case ZYDIS_MNEMONIC_MOVDQ2Q: return &mov_int<Unit::kMixed, 8>;
    case ZYDIS_MNEMONIC_MOVLPS:
    case ZYDIS_MNEMONIC_MOVLPD: return &mov_half<0, 0>;
    case ZYDIS_MNEMONIC_MOVHPS:
    case ZYDIS_MNEMONIC_MOVHPD:
      return i.op[0].kind == OperandKind::kMem ? &mov_half<0, 1> : &mov_half<1, 0>;
    case ZYDIS_MNEMONIC_MOVHLPS: return &mov_half<0, 1>;
    case ZYDIS_MNEMONIC_MOVLHPS: return &mov_half<1, 0>;
    case ZYDIS_MNEMONIC_MOVMSKPS: return &movmsk<16, uint32_t>;
    case ZYDIS_MNEMONIC_MOVMSKPD: return &movmsk<16, uint64_t>;
    case ZYDIS_MNEMONIC_PMOVMSKB: return mmx ? &movmsk<8, uint8_t> : &movmsk<16, uint8_t>;
    case ZYDIS_MNEMONIC_MOVNTI: return &movnti;
    case ZYDIS_MNEMONIC_MASKMOVDQU: return &maskmov<16>;
    case ZYDIS_MNEMONIC_MASKMOVQ: return &maskmov<8>;
    case ZYDIS_MNEMONIC_MOVSLDUP: return XMM(Duplicate<uint32_t, 0>);
    case ZYDIS_MNEMONIC_MOVSHDUP: return XMM(Duplicate<uint32_t, 1>);
    case ZYDIS_MNEMONIC_MOVDDUP: return XMM(Duplicate<uint64_t, 0>);
    case ZYDIS_MNEMONIC_LDMXCSR: return &ldmxcsr;
    case ZYDIS_MNEMONIC_STMXCSR: return &stmxcsr;
    case ZYDIS_MNEMONIC_EMMS: return &emms;

    // --- Integer arithmetic
    case ZYDIS_MNEMONIC_PADDB: return BOTH(Lanes<uint8_t, Add>);
    case ZYDIS_MNEMONIC_PADDW: return BOTH(Lanes<uint16_t, Add>);
    case ZYDIS_MNEMONIC_PADDD: return BOTH(Lanes<uint32_t, Add>);
    case ZYDIS_MNEMONIC_PADDQ: return BOTH(Lanes<uint64_t, Add>);
    case ZYDIS_MNEMONIC_PSUBB: return BOTH(Lanes<uint8_t, Sub>);
    case ZYDIS_MNEMONIC_PSUBW: return BOTH(Lanes<uint16_t, Sub>);
    case ZYDIS_MNEMONIC_PSUBD: return BOTH(Lanes<uint32_t, Sub>);
    case ZYDIS_MNEMONIC_PSUBQ: return BOTH(Lanes<uint64_t, Sub>);
    case ZYDIS_MNEMONIC_PADDSB: return BOTH(Lanes<int8_t, AddSat>);
    case ZYDIS_MNEMONIC_PADDSW: return BOTH(Lanes<int16_t, AddSat>);
    case ZYDIS_MNEMONIC_PADDUSB: return BOTH(Lanes<uint8_t, AddSat>);
    case ZYDIS_MNEMONIC_PADDUSW: return BOTH(Lanes<uint16_t, AddSat>);
    case ZYDIS_MNEMONIC_PSUBSB: return BOTH(Lanes<int8_t, SubSat>);
    case ZYDIS_MNEMONIC_PSUBSW: return BOTH(Lanes<int16_t, SubSat>);
    case ZYDIS_MNEMONIC_PSUBUSB: return BOTH(Lanes<uint8_t, SubSat>);
    case ZYDIS_MNEMONIC_PSUBUSW: return BOTH(Lanes<uint16_t, SubSat>);
    case ZYDIS_MNEMONIC_PMULLW: return BOTH(Lanes<uint16_t, MulLo>);
    case ZYDIS_MNEMONIC_PMULLD: return XMM(Lanes<uint32_t, MulLo>);
    case ZYDIS_MNEMONIC_PMULHW: return BOTH(Lanes<int16_t, MulHi>);
    case ZYDIS_MNEMONIC_PMULHUW: return BOTH(Lanes<uint16_t, MulHi>);
    case ZYDIS_MNEMONIC_PMULHRSW: return BOTH(Lanes<int16_t, MulHrs>);
    case ZYDIS_MNEMONIC_PMULUDQ: return BOTH(MulWide<uint32_t>);
    case ZYDIS_MNEMONIC_PMULDQ: return XMM(MulWide<int32_t>);
    case ZYDIS_MNEMONIC_PMADDWD: return BOTH(MaddWd);
    case ZYDIS_MNEMONIC_PMADDUBSW: return BOTH(MaddUbsw);
    case ZYDIS_MNEMONIC_PAVGB: return BOTH(Lanes<uint8_t, Avg>);
    case ZYDIS_MNEMONIC_PAVGW: return BOTH(Lanes<uint16_t, Avg>);
    case ZYDIS_MNEMONIC_PSADBW: return BOTH(Sadbw);
    case ZYDIS_MNEMONIC_MPSADBW: return XMM(Mpsadbw);
    case ZYDIS_MNEMONIC_PHMINPOSUW: return XMM(Phminposuw);
    case ZYDIS_MNEMONIC_PMINUB: return BOTH(Lanes<uint8_t, Min>);
    case ZYDIS_MNEMONIC_PMINUW: return XMM(Lanes<uint16_t, Min>);
    case ZYDIS_MNEMONIC_PMINUD: return XMM(Lanes<uint32_t, Min>);
    case ZYDIS_MNEMONIC_PMINSB: return XMM(Lanes<int8_t, Min>);
    case ZYDIS_MNEMONIC_PMINSW: return BOTH(Lanes<int16_t, Min>);
    case ZYDIS_MNEMONIC_PMINSD: return XMM(Lanes<int32_t, Min>);
    case ZYDIS_MNEMONIC_PMAXUB: return BOTH(Lanes<uint8_t, Max>);
    case ZYDIS_MNEMONIC_PMAXUW: return XMM(Lanes<uint16_t, Max>);
    case ZYDIS_MNEMONIC_PMAXUD: return XMM(Lanes<uint32_t, Max>);
    case ZYDIS_MNEMONIC_PMAXSB: return XMM(Lanes<int8_t, Max>);
    case ZYDIS_MNEMONIC_PMAXSW: return BOTH(Lanes<int16_t, Max>);
    case ZYDIS_MNEMONIC_PMAXSD: return XMM(Lanes<int32_t, Max>);
    case ZYDIS_MNEMONIC_PABSB: return BOTH(Lanes<int8_t, Abs>);
    case ZYDIS_MNEMONIC_PABSW: return BOTH(Lanes<int16_t, Abs>);
    case ZYDIS_MNEMONIC_PABSD: return BOTH(Lanes<int32_t, Abs>);
    case ZYDIS_MNEMONIC_PSIGNB: return BOTH(Lanes<int8_t, Sign>);
    case ZYDIS_MNEMONIC_PSIGNW: return BOTH(Lanes<int16_t, Sign>);
    case ZYDIS_MNEMONIC_PSIGND: return BOTH(Lanes<int32_t, Sign>);
    case ZYDIS_MNEMONIC_PHADDW: return BOTH(Horizontal<uint16_t, Add>);
    case ZYDIS_MNEMONIC_PHADDD: return BOTH(Horizontal<uint32_t, Add>);
    case ZYDIS_MNEMONIC_PHADDSW: return BOTH(Horizontal<int16_t, AddSat>);
    case ZYDIS_MNEMONIC_PHSUBW: return BOTH(Horizontal<uint16_t, Sub>);
    case ZYDIS_MNEMONIC_PHSUBD: return BOTH(Horizontal<uint32_t, Sub>);
    case ZYDIS_MNEMONIC_PHSUBSW: return BOTH(Horizontal<int16_t, SubSat>);

    // --- Logic and comparisons
    case ZYDIS_MNEMONIC_PAND:
    case ZYDIS_MNEMONIC_ANDPS:
    case ZYDIS_MNEMONIC_ANDPD: return BOTH(Lanes<uint64_t, And>);
    case ZYDIS_MNEMONIC_PANDN:
    case ZYDIS_MNEMONIC_ANDNPS:
    case ZYDIS_MNEMONIC_ANDNPD: return BOTH(Lanes<uint64_t, AndNot>);
    case ZYDIS_MNEMONIC_POR:
    case ZYDIS_MNEMONIC_ORPS:
    case ZYDIS_MNEMONIC_ORPD: return BOTH(Lanes<uint64_t, Or>);
    case ZYDIS_MNEMONIC_PXOR:
    case ZYDIS_MNEMONIC_XORPS:
    case ZYDIS_MNEMONIC_XORPD: return BOTH(Lanes<uint64_t, Xor>);
    case ZYDIS_MNEMONIC_PCMPEQB: return BOTH(Lanes<uint8_t, CmpEq>);
    case ZYDIS_MNEMONIC_PCMPEQW: return BOTH(Lanes<uint16_t, CmpEq>);
    case ZYDIS_MNEMONIC_PCMPEQD: return BOTH(Lanes<uint32_t, CmpEq>);
    case ZYDIS_MNEMONIC_PCMPEQQ: return XMM(Lanes<uint64_t, CmpEq>);
    case ZYDIS_MNEMONIC_PCMPGTB: return BOTH(Lanes<int8_t, CmpGt>);
    case ZYDIS_MNEMONIC_PCMPGTW: return BOTH(Lanes<int16_t, CmpGt>);
    case ZYDIS_MNEMONIC_PCMPGTD: return BOTH(Lanes<int32_t, CmpGt>);
    case ZYDIS_MNEMONIC_PTEST: return &ptest;

    // --- Shifts
    case ZYDIS_MNEMONIC_PSLLW: return BOTH(Shift<uint16_t, L::kLeft>);
    case ZYDIS_MNEMONIC_PSLLD: return BOTH(Shift<uint32_t, L::kLeft>);
    case ZYDIS_MNEMONIC_PSLLQ: return BOTH(Shift<uint64_t, L::kLeft>);
    case ZYDIS_MNEMONIC_PSRLW: return BOTH(Shift<uint16_t, L::kRightLogical>);
    case ZYDIS_MNEMONIC_PSRLD: return BOTH(Shift<uint32_t, L::kRightLogical>);
    case ZYDIS_MNEMONIC_PSRLQ: return BOTH(Shift<uint64_t, L::kRightLogical>);
    case ZYDIS_MNEMONIC_PSRAW: return BOTH(Shift<uint16_t, L::kRightArith>);
    case ZYDIS_MNEMONIC_PSRAD: return BOTH(Shift<uint32_t, L::kRightArith>);
    case ZYDIS_MNEMONIC_PSLLDQ: return XMM(ByteShift<true>);
    case ZYDIS_MNEMONIC_PSRLDQ: return XMM(ByteShift<false>);

    // --- Shuffles, unpacks, packs, blends, inserts and extracts
    case ZYDIS_MNEMONIC_PSHUFB: return BOTH(Pshufb);
    case ZYDIS_MNEMONIC_PALIGNR: return BOTH(Palignr);
    case ZYDIS_MNEMONIC_PSHUFD: return XMM(Pshufd);
    case ZYDIS_MNEMONIC_PSHUFW: return &simd<8, ShuffleWords<false>>;
    case ZYDIS_MNEMONIC_PSHUFLW: return XMM(ShuffleWords<false>);
    case ZYDIS_MNEMONIC_PSHUFHW: return XMM(ShuffleWords<true>);
    case ZYDIS_MNEMONIC_SHUFPS: return XMM(Shufps);
    case ZYDIS_MNEMONIC_SHUFPD: return XMM(Shufpd);
    case ZYDIS_MNEMONIC_PUNPCKLBW: return BOTH(Unpack<uint8_t, false>);
    case ZYDIS_MNEMONIC_PUNPCKLWD: return BOTH(Unpack<uint16_t, false>);
    case ZYDIS_MNEMONIC_PUNPCKLDQ:
    case ZYDIS_MNEMONIC_UNPCKLPS: return BOTH(Unpack<uint32_t, false>);
    case ZYDIS_MNEMONIC_PUNPCKLQDQ:
    case ZYDIS_MNEMONIC_UNPCKLPD: return XMM(Unpack<uint64_t, false>);
    case ZYDIS_MNEMONIC_PUNPCKHBW: return BOTH(Unpack<uint8_t, true>);
    case ZYDIS_MNEMONIC_PUNPCKHWD: return BOTH(Unpack<uint16_t, true>);
    case ZYDIS_MNEMONIC_PUNPCKHDQ:
    case ZYDIS_MNEMONIC_UNPCKHPS: return BOTH(Unpack<uint32_t, true>);
    case ZYDIS_MNEMONIC_PUNPCKHQDQ:
    case ZYDIS_MNEMONIC_UNPCKHPD: return XMM(Unpack<uint64_t, true>);
    case ZYDIS_MNEMONIC_PACKSSWB: return BOTH(Pack<int16_t, int8_t>);
    case ZYDIS_MNEMONIC_PACKSSDW: return BOTH(Pack<int32_t, int16_t>);
    case ZYDIS_MNEMONIC_PACKUSWB: return BOTH(Pack<int16_t, uint8_t>);
    case ZYDIS_MNEMONIC_PACKUSDW: return XMM(Pack<int32_t, uint16_t>);
    case ZYDIS_MNEMONIC_PMOVSXBW: return XMM(Extend<int8_t, int16_t>);
    case ZYDIS_MNEMONIC_PMOVSXBD: return XMM(Extend<int8_t, int32_t>);
    case ZYDIS_MNEMONIC_PMOVSXBQ: return XMM(Extend<int8_t, int64_t>);
    case ZYDIS_MNEMONIC_PMOVSXWD: return XMM(Extend<int16_t, int32_t>);
    case ZYDIS_MNEMONIC_PMOVSXWQ: return XMM(Extend<int16_t, int64_t>);
    case ZYDIS_MNEMONIC_PMOVSXDQ: return XMM(Extend<int32_t, int64_t>);
    case ZYDIS_MNEMONIC_PMOVZXBW: return XMM(Extend<uint8_t, uint16_t>);
    case ZYDIS_MNEMONIC_PMOVZXBD: return XMM(Extend<uint8_t, uint32_t>);
    case ZYDIS_MNEMONIC_PMOVZXBQ: return XMM(Extend<uint8_t, uint64_t>);
    case ZYDIS_MNEMONIC_PMOVZXWD: return XMM(Extend<uint16_t, uint32_t>);
    case ZYDIS_MNEMONIC_PMOVZXWQ: return XMM(Extend<uint16_t, uint64_t>);
    case ZYDIS_MNEMONIC_PMOVZXDQ: return XMM(Extend<uint32_t, uint64_t>);
    case ZYDIS_MNEMONIC_PBLENDW: return XMM(BlendImm<uint16_t>);
    case ZYDIS_MNEMONIC_BLENDPS: return XMM(BlendImm<uint32_t>);
    case ZYDIS_MNEMONIC_BLENDPD: return XMM(BlendImm<uint64_t>);
    case ZYDIS_MNEMONIC_PBLENDVB: return XMM(BlendVar<uint8_t>);
    case ZYDIS_MNEMONIC_BLENDVPS: return XMM(BlendVar<uint32_t>);
    case ZYDIS_MNEMONIC_BLENDVPD: return XMM(BlendVar<uint64_t>);
    case ZYDIS_MNEMONIC_PINSRB: return XMM(Insert<uint8_t>);
    case ZYDIS_MNEMONIC_PINSRW: return BOTH(Insert<uint16_t>);
    case ZYDIS_MNEMONIC_PINSRD: return XMM(Insert<uint32_t>);
    case ZYDIS_MNEMONIC_PINSRQ: return XMM(Insert<uint64_t>);
    case ZYDIS_MNEMONIC_INSERTPS: return &insertps;
    case ZYDIS_MNEMONIC_PEXTRB: return &extract<16, uint8_t>;
    case ZYDIS_MNEMONIC_PEXTRW: return mmx ? &extract<8, uint16_t> : &extract<16, uint16_t>;
    case ZYDIS_MNEMONIC_PEXTRD:
    case ZYDIS_MNEMONIC_EXTRACTPS: return &extract<16, uint32_t>;
    case ZYDIS_MNEMONIC_PEXTRQ: return &extract<16, uint64_t>;

    // --- Floating point
    FP_FAMILY(ADD, FAdd)
    FP_FAMILY(SUB, FSub)
    FP_FAMILY(MUL, FMul)
    FP_FAMILY(DIV, FDiv)
    FP_FAMILY(MIN, FMin)
    FP_FAMILY(MAX, FMax)
    FP_FAMILY(SQRT, FSqrt)
    case ZYDIS_MNEMONIC_CMPSS: return fp_compare<float, 1>(i);
    case ZYDIS_MNEMONIC_CMPSD: return fp_compare<double, 1>(i);  // string CMPSD is taken earlier
    case ZYDIS_MNEMONIC_CMPPS: return fp_compare<float, kPacked>(i);
    case ZYDIS_MNEMONIC_CMPPD: return fp_compare<double, kPacked>(i);
    case ZYDIS_MNEMONIC_COMISS: return &comis<float, false>;
    case ZYDIS_MNEMONIC_UCOMISS: return &comis<float, true>;
    case ZYDIS_MNEMONIC_COMISD: return &comis<double, false>;
    case ZYDIS_MNEMONIC_UCOMISD: return &comis<double, true>;
    case ZYDIS_MNEMONIC_RCPSS: return XMM(Approx<false, 1>);
    case ZYDIS_MNEMONIC_RCPPS: return XMM(Approx<false, kPacked>);
    case ZYDIS_MNEMONIC_RSQRTSS: return XMM(Approx<true, 1>);
    case ZYDIS_MNEMONIC_RSQRTPS: return XMM(Approx<true, kPacked>);
    case ZYDIS_MNEMONIC_ROUNDSS: return XMM(Round<float, 1>);
    case ZYDIS_MNEMONIC_ROUNDSD: return XMM(Round<double, 1>);
    case ZYDIS_MNEMONIC_ROUNDPS: return XMM(Round<float, kPacked>);
    case ZYDIS_MNEMONIC_ROUNDPD: return XMM(Round<double, kPacked>);
    case ZYDIS_MNEMONIC_ADDSUBPS: return XMM(AddSub<float>);
    case ZYDIS_MNEMONIC_ADDSUBPD: return XMM(AddSub<double>);
    case ZYDIS_MNEMONIC_HADDPS: return XMM(FpHorizontal<float, FAdd>);
    case ZYDIS_MNEMONIC_HADDPD: return XMM(FpHorizontal<double, FAdd>);
    case ZYDIS_MNEMONIC_HSUBPS: return XMM(FpHorizontal<float, FSub>);
    case ZYDIS_MNEMONIC_HSUBPD: return XMM(FpHorizontal<double, FSub>);
    case ZYDIS_MNEMONIC_DPPS: return XMM(DotProduct<float>);
    case ZYDIS_MNEMONIC_DPPD: return XMM(DotProduct<double>);

    // --- Conversions (SDM Vol. 1 §11.4.4)
    case ZYDIS_MNEMONIC_CVTDQ2PS: return &cvt<Unit::kSse, int32_t, float, 4, false, true>;
    case ZYDIS_MNEMONIC_CVTPS2DQ: return &cvt<Unit::kSse, float, int32_t, 4, false, true>;
    case ZYDIS_MNEMONIC_CVTTPS2DQ: return &cvt<Unit::kSse, float, int32_t, 4, true, true>;
    case ZYDIS_MNEMONIC_CVTDQ2PD: return &cvt<Unit::kSse, int32_t, double, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTPD2DQ: return &cvt<Unit::kSse, double, int32_t, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTTPD2DQ: return &cvt<Unit::kSse, double, int32_t, 2, true, true>;
    case ZYDIS_MNEMONIC_CVTPS2PD: return &cvt<Unit::kSse, float, double, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTPD2PS: return &cvt<Unit::kSse, double, float, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTSS2SD: return &cvt<Unit::kSse, float, double, 1, false, false>;
    case ZYDIS_MNEMONIC_CVTSD2SS: return &cvt<Unit::kSse, double, float, 1, false, false>;
    // The MMX-register forms switch the x87 unit to MMX mode; the memory-source ones do not.
    case ZYDIS_MNEMONIC_CVTPI2PS:
      return mmx ? &cvt<Unit::kMixed, int32_t, float, 2, false, false>
                 : &cvt<Unit::kSse, int32_t, float, 2, false, false>;
    case ZYDIS_MNEMONIC_CVTPI2PD:
      return mmx ? &cvt<Unit::kMixed, int32_t, double, 2, false, true>
                 : &cvt<Unit::kSse, int32_t, double, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTPS2PI: return &cvt<Unit::kMixed, float, int32_t, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTTPS2PI: return &cvt<Unit::kMixed, float, int32_t, 2, true, true>;
    case ZYDIS_MNEMONIC_CVTPD2PI: return &cvt<Unit::kMixed, double, int32_t, 2, false, true>;
    case ZYDIS_MNEMONIC_CVTTPD2PI: return &cvt<Unit::kMixed, double, int32_t, 2, true, true>;
    case ZYDIS_MNEMONIC_CVTSI2SS: return from_gpr<float>(i);
    case ZYDIS_MNEMONIC_CVTSI2SD: return from_gpr<double>(i);
    case ZYDIS_MNEMONIC_CVTSS2SI: return to_gpr<float, false>(i);
    case ZYDIS_MNEMONIC_CVTTSS2SI: return to_gpr<float, true>(i);
    case ZYDIS_MNEMONIC_CVTSD2SI: return to_gpr<double, false>(i);
    case ZYDIS_MNEMONIC_CVTTSD2SI: return to_gpr<double, true>(i);
    default: return nullptr;
  }
#undef BOTH
#undef XMM
#undef FP_FAMILY
}

}  // namespace rwd

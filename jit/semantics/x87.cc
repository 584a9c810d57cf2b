// SPDX-License-Identifier: MIT
// x87 dispatch: the escape opcodes D8-DF by ModRM (SDM Vol. 2 Appendix A.4, Tables A-7 to
// A-22), plus FWAIT and FXSAVE/FXRSTOR. The ModRM map is used rather than Zydis' mnemonics
// because it is the architecture's own table: it fixes operand roles (FSUB ST(i),ST(0) versus
// FSUBR) and covers the reserved aliases (FCOM2, FXCH4, FSTP1, ...) that real code executes.
#include "jit/semantics/x87.h"

#include <Zydis/Zydis.h>

#include "jit/semantics/table.h"

namespace rwd {
namespace {

using namespace sem::x87;

// Arithmetic rows of D8/DC/DE (register forms) by ModRM.reg; /2 and /3 are compares.
template <uint8_t kOpc>
Handler arith_reg_row(unsigned reg) {
  switch (reg) {
    case 0: return arith_reg<kOpc, 0>;
    case 1: return arith_reg<kOpc, 1>;
    case 4: return arith_reg<kOpc, 4>;
    case 5: return arith_reg<kOpc, 5>;
    case 6: return arith_reg<kOpc, 6>;
    case 7: return arith_reg<kOpc, 7>;
    default: return nullptr;
  }
}

// D8 m32fp, DC m64fp, DA m32int, DE m16int: the same eight operations.
template <uint8_t kOpc, unsigned N>
Handler arith_mem_row(unsigned reg) {
  switch (reg) {
    case 0: return arith_mem<kOpc, 0, N>;
    case 1: return arith_mem<kOpc, 1, N>;
    case 2: return compare<kOpc, mem_modrm(2), CmpSrc::kMem, N, 0, false>;  // FCOM / FICOM
    case 3: return compare<kOpc, mem_modrm(2), CmpSrc::kMem, N, 1, false>;  // FCOMP / FICOMP
    case 4: return arith_mem<kOpc, 4, N>;
    case 5: return arith_mem<kOpc, 5, N>;
    case 6: return arith_mem<kOpc, 6, N>;
    default: return arith_mem<kOpc, 7, N>;
  }
}

// Host encodings for register compares: FCOM ST(1) (D8 D1), FUCOM ST(1) (DD E1).
constexpr uint8_t kFcomSt1 = 0xd1, kFucomSt1 = 0xe1;

Handler select_memory(uint8_t opc, unsigned reg) {
  switch (opc) {
    case 0xd8: return arith_mem_row<0xd8, 4>(reg);
    case 0xdc: return arith_mem_row<0xdc, 8>(reg);
    case 0xda: return arith_mem_row<0xda, 4>(reg);
    case 0xde: return arith_mem_row<0xde, 2>(reg);
    case 0xd9:
      switch (reg) {
        case 0: return load<0xd9, mem_modrm(0), 4>;        // FLD m32fp
        case 2: return store<0xd9, 2, 4, false, false>;    // FST m32fp
        case 3: return store<0xd9, 2, 4, false, true>;     // FSTP m32fp
        case 4: return fldenv;
        case 5: return fldcw;
        case 6: return fnstenv;
        case 7: return fnstcw;
        default: return nullptr;
      }
    case 0xdb:
      switch (reg) {
        case 0: return load<0xdb, mem_modrm(0), 4>;        // FILD m32int
        case 1: return store<0xdb, 1, 4, true, true>;      // FISTTP m32int
        case 2: return store<0xdb, 2, 4, false, false>;    // FIST m32int
        case 3: return store<0xdb, 2, 4, false, true>;     // FISTP m32int
        case 5: return load<0xdb, mem_modrm(5), 10>;       // FLD m80fp
        case 7: return store<0xdb, 7, 10, true, true>;     // FSTP m80fp
        default: return nullptr;
      }
    case 0xdd:
      switch (reg) {
        case 0: return load<0xdd, mem_modrm(0), 8>;        // FLD m64fp
        case 1: return store<0xdd, 1, 8, true, true>;      // FISTTP m64int
        case 2: return store<0xdd, 2, 8, false, false>;    // FST m64fp
        case 3: return store<0xdd, 2, 8, false, true>;     // FSTP m64fp
        case 4: return frstor;
        case 6: return fnsave;
        case 7: return fnstsw;
        default: return nullptr;
      }
    case 0xdf:
      switch (reg) {
        case 0: return load<0xdf, mem_modrm(0), 2>;        // FILD m16int
        case 1: return store<0xdf, 1, 2, true, true>;      // FISTTP m16int
        case 2: return store<0xdf, 2, 2, false, false>;    // FIST m16int
        case 3: return store<0xdf, 2, 2, false, true>;     // FISTP m16int
        case 4: return load<0xdf, mem_modrm(4), 10>;       // FBLD m80bcd
        case 5: return load<0xdf, mem_modrm(5), 8>;        // FILD m64int
        case 6: return store<0xdf, 6, 10, true, true>;     // FBSTP m80bcd
        default: return store<0xdf, 7, 8, true, true>;     // FISTP m64int
      }
    default: return nullptr;
  }
}

// D9 E0-FF: operations without explicit operands.
Handler select_d9_group(uint8_t modrm) {
  switch (modrm) {
    case 0xe0: return unary<0xe0, kC1>;               // FCHS
    case 0xe1: return unary<0xe1, kC1>;               // FABS
    case 0xe4: return compare<0xd9, 0xe4, CmpSrc::kNone, 0, 0, false>;  // FTST
    case 0xe5: return fxam;
    case 0xe8:                                        // FLD1 FLDL2T FLDL2E FLDPI FLDLG2
    case 0xe9:                                        // FLDLN2 FLDZ
    case 0xea:
    case 0xeb:
    case 0xec:
    case 0xed:
    case 0xee: {
      static constexpr Handler kConst[7] = {load<0xd9, 0xe8, 0>, load<0xd9, 0xe9, 0>,
                                            load<0xd9, 0xea, 0>, load<0xd9, 0xeb, 0>,
                                            load<0xd9, 0xec, 0>, load<0xd9, 0xed, 0>,
                                            load<0xd9, 0xee, 0>};
      return kConst[modrm - 0xe8];
    }
    case 0xf0: return unary<0xf0, kC1>;               // F2XM1
    case 0xf1: return binary_pop<0xf1>;               // FYL2X
    case 0xf2: return push_pair<0xf2, kC1 | kC2>;     // FPTAN
    case 0xf3: return binary_pop<0xf3>;               // FPATAN
    case 0xf4: return push_pair<0xf4, kC1>;           // FXTRACT
    case 0xf5: return binary<0xf5, kCcAll>;           // FPREM1
    case 0xf6: return rotate<-1>;                     // FDECSTP
    case 0xf7: return rotate<1>;                      // FINCSTP
    case 0xf8: return binary<0xf8, kCcAll>;           // FPREM
    case 0xf9: return binary_pop<0xf9>;               // FYL2XP1
    case 0xfa: return unary<0xfa, kC1>;               // FSQRT
    case 0xfb: return push_pair<0xfb, kC1 | kC2>;     // FSINCOS
    case 0xfc: return unary<0xfc, kC1>;               // FRNDINT
    case 0xfd: return binary<0xfd, kC1>;              // FSCALE
    case 0xfe: return unary<0xfe, kC1 | kC2>;         // FSIN
    case 0xff: return unary<0xff, kC1 | kC2>;         // FCOS
    default: return nullptr;
  }
}

// FCMOVcc rows /0../3 of DA (B E BE U) and DB (NB NE NBE NU) as Jcc condition numbers.
Handler select_fcmov(bool negate, unsigned reg) {
  static constexpr Handler kTable[8] = {fcmov<2>,  fcmov<4>, fcmov<6>, fcmov<10>,
                                        fcmov<3>,  fcmov<5>, fcmov<7>, fcmov<11>};
  return kTable[(negate ? 4 : 0) + reg];
}

Handler select_register(uint8_t opc, uint8_t modrm) {
  const unsigned reg = (modrm >> 3) & 7;
  switch (opc) {
    case 0xd8:
      if (reg == 2) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 0, false>;  // FCOM
      if (reg == 3) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 1, false>;  // FCOMP
      return arith_reg_row<0xd8>(reg);
    case 0xdc:
      if (reg == 2) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 0, false>;  // FCOM2
      if (reg == 3) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 1, false>;  // FCOMP3
      return arith_reg_row<0xdc>(reg);
    case 0xde:
      if (reg == 2) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 1, false>;  // FCOMP5
      if (modrm == 0xd9) return compare<0xd8, kFcomSt1, CmpSrc::kSt1, 0, 2, false>;  // FCOMPP
      if (reg == 3) return nullptr;
      return arith_reg_row<0xde>(reg);
    case 0xd9:
      switch (reg) {
        case 0: return fld_st;
        case 1: return fxch;
        case 2: return modrm == 0xd0 ? fnop : nullptr;
        case 3: return fst_st<true>;  // FSTP1
        default: return select_d9_group(modrm);
      }
    case 0xda:
      if (reg < 4) return select_fcmov(false, reg);
      if (modrm == 0xe9) return compare<0xdd, kFucomSt1, CmpSrc::kSt1, 0, 2, false>;  // FUCOMPP
      return nullptr;
    case 0xdb:
      if (reg < 4) return select_fcmov(true, reg);
      switch (modrm) {
        case 0xe0:                              // FENI
        case 0xe1:                              // FDISI
        case 0xe4: return legacy_nop;           // FSETPM
        case 0xe2: return fnclex;
        case 0xe3: return fninit;
        default: break;
      }
      if (reg == 5) return compare<0xdd, kFucomSt1, CmpSrc::kStI, 0, 0, true>;  // FUCOMI
      if (reg == 6) return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 0, true>;   // FCOMI
      return nullptr;
    case 0xdd:
      switch (reg) {
        case 0: return ffree<false>;
        case 1: return fxch;  // FXCH4
        case 2: return fst_st<false>;
        case 3: return fst_st<true>;
        case 4: return compare<0xdd, kFucomSt1, CmpSrc::kStI, 0, 0, false>;  // FUCOM
        case 5: return compare<0xdd, kFucomSt1, CmpSrc::kStI, 0, 1, false>;  // FUCOMP
        default: return nullptr;
      }
    case 0xdf:
      switch (reg) {
        case 0: return ffree<true>;  // FFREEP
        case 1: return fxch;         // FXCH7
        case 2:                      // FSTP8
        case 3: return fst_st<true>; // FSTP9
        case 4: return modrm == 0xe0 ? fnstsw : nullptr;  // FNSTSW AX
        case 5: return compare<0xdd, kFucomSt1, CmpSrc::kStI, 0, 1, true>;  // FUCOMIP
        case 6: return compare<0xd8, kFcomSt1, CmpSrc::kStI, 0, 1, true>;   // FCOMIP
        default: return nullptr;
      }
    default: return nullptr;
  }
}

}  // namespace

Handler select_x87_handler(const Insn& i) {
  const ZydisMnemonic m = ZydisMnemonic(i.mnemonic);
  switch (m) {
    case ZYDIS_MNEMONIC_FWAIT: return fwait;
    case ZYDIS_MNEMONIC_FXSAVE: return fxsave<false>;
    case ZYDIS_MNEMONIC_FXSAVE64: return fxsave<true>;
    case ZYDIS_MNEMONIC_FXRSTOR: return fxrstor<false>;
    case ZYDIS_MNEMONIC_FXRSTOR64: return fxrstor<true>;
    default: break;
  }
  // An escape opcode D8-DF decoded as an F... mnemonic (Zydis' enum is alphabetical, and no
  // other instruction ends in those bytes with such a name: 0F D8-DF are MMX/SSE, 0F 38 DC-DF
  // are AES).
  if (i.opcode < 0xd8 || i.opcode > 0xdf) return nullptr;
  if (m < ZYDIS_MNEMONIC_F2XM1 || m > ZYDIS_MNEMONIC_FYL2XP1) return nullptr;
  if ((i.modrm >> 6) != 3) return select_memory(i.opcode, (i.modrm >> 3) & 7);
  return select_register(i.opcode, i.modrm);
}

}  // namespace rwd

// SPDX-License-Identifier: MIT
//
// SSE2 integer instructions: arithmetic (wrapping and saturating), logic,
// compares, multiplies, shifts by immediate and by register, shuffles,
// unpacks, packs, min/max, averages, psadbw, pmovmskb, pextrw/pinsrw.
#include <cstring>

#include "tests/diff/gen_sse.h"

namespace rwd::diff {
namespace {

using F = Fill;

Bytes op(uint8_t b) {
  return {0x0f, b};
}

// psrl/psra/psll by imm8: 66 0f 71/72/73 /digit ib on a register.
void build_shift_imm(CaseBuilder& b, uint8_t opcode, int digit, Fill fill) {
  const int x = b.xmm();
  fill_xmm(b, x, fill);
  Insn insn;
  insn.prefixes = {0x66};
  insn.opcode = op(opcode);
  insn.reg = digit;
  insn.rm = reg_rm(x);
  insn.imm = imm8(b.count(fill == F::kI16 ? 16 : fill == F::kI32 ? 32 : 64));
  b.emit(insn);
}

// psrl/psra/psll by xmm/m128: the count is the whole low quadword.
void build_shift_xmm(CaseBuilder& b, uint8_t opcode, Fill fill, bool mem) {
  const int dst = b.xmm();
  fill_xmm(b, dst, fill);
  uint64_t count = b.count(64);
  if (b.rng.chance(15)) count |= 1ull << (8 + b.rng.below(56));  // huge: all shifted out
  Insn insn;
  insn.prefixes = {0x66};
  insn.opcode = op(opcode);
  insn.reg = dst;
  if (mem) {
    insn.rm = mem_rm(b.mem(16, 16));
    b.put_data(b.data_offset(), count, 8);
  } else {
    const int src = b.xmm();
    if (src != dst) std::memcpy(b.s.input.xmm[src], &count, 8);
    insn.rm = reg_rm(src);
  }
  b.emit(insn);
}

}  // namespace

void register_sse_int(std::vector<Category>* out) {
  const std::string g = "sse_int";
  std::vector<SseOp> padd = {op66("paddb", op(0xfc), F::kI8), op66("paddw", op(0xfd), F::kI16),
                             op66("paddd", op(0xfe), F::kI32), op66("paddq", op(0xd4), F::kI64)};
  padd[0].misaligned = true;
  add_category(out, "sse_padd", g, "", 450, sse_forms(padd));
  add_category(out, "sse_psub", g, "", 450,
               sse_forms({op66("psubb", op(0xf8), F::kI8), op66("psubw", op(0xf9), F::kI16),
                          op66("psubd", op(0xfa), F::kI32), op66("psubq", op(0xfb), F::kI64)}));
  add_category(out, "sse_padds_psubs", g, "", 300,
               sse_forms({op66("paddsb", op(0xec), F::kI8), op66("paddsw", op(0xed), F::kI16),
                          op66("paddusb", op(0xdc), F::kI8), op66("paddusw", op(0xdd), F::kI16),
                          op66("psubsb", op(0xe8), F::kI8), op66("psubsw", op(0xe9), F::kI16),
                          op66("psubusb", op(0xd8), F::kI8), op66("psubusw", op(0xd9), F::kI16)}));
  add_category(out, "sse_logic", g, "", 300,
               sse_forms({op66("pand", op(0xdb), F::kAny), op66("pandn", op(0xdf), F::kAny),
                          op66("por", op(0xeb), F::kAny), op66("pxor", op(0xef), F::kAny)}));
  add_category(out, "sse_pcmp", g, "", 300,
               sse_forms({op66("pcmpeqb", op(0x74), F::kI8), op66("pcmpeqw", op(0x75), F::kI16),
                          op66("pcmpeqd", op(0x76), F::kI32), op66("pcmpgtb", op(0x64), F::kI8),
                          op66("pcmpgtw", op(0x65), F::kI16), op66("pcmpgtd", op(0x66), F::kI32)}));
  add_category(out, "sse_pmul", g, "", 300,
               sse_forms({op66("pmullw", op(0xd5), F::kI16), op66("pmulhw", op(0xe5), F::kI16),
                          op66("pmulhuw", op(0xe4), F::kI16), op66("pmuludq", op(0xf4), F::kI32),
                          op66("pmaddwd", op(0xf5), F::kI16)}));

  std::vector<Form> shift_imm;
  struct ShiftImm {
    const char* name;
    uint8_t opcode;
    int digit;
    Fill fill;
  };
  static const ShiftImm kShiftImm[] = {{"psrlw", 0x71, 2, F::kI16},  {"psraw", 0x71, 4, F::kI16},
                                       {"psllw", 0x71, 6, F::kI16},  {"psrld", 0x72, 2, F::kI32},
                                       {"psrad", 0x72, 4, F::kI32},  {"pslld", 0x72, 6, F::kI32},
                                       {"psrlq", 0x73, 2, F::kI64},  {"psllq", 0x73, 6, F::kI64},
                                       {"psrldq", 0x73, 3, F::kAny}, {"pslldq", 0x73, 7, F::kAny}};
  for (const ShiftImm& s : kShiftImm) {
    shift_imm.push_back({std::string(s.name) + " xmm, imm8",
                         [s](CaseBuilder& b) { build_shift_imm(b, s.opcode, s.digit, s.fill); }});
  }
  add_category(out, "sse_shift_imm", g, "", 300, std::move(shift_imm));

  std::vector<Form> shift_xmm;
  struct ShiftXmm {
    const char* name;
    uint8_t opcode;
    Fill fill;
  };
  static const ShiftXmm kShiftXmm[] = {{"psrlw", 0xd1, F::kI16}, {"psrld", 0xd2, F::kI32},
                                       {"psrlq", 0xd3, F::kI64}, {"psraw", 0xe1, F::kI16},
                                       {"psrad", 0xe2, F::kI32}, {"psllw", 0xf1, F::kI16},
                                       {"pslld", 0xf2, F::kI32}, {"psllq", 0xf3, F::kI64}};
  for (const ShiftXmm& s : kShiftXmm) {
    for (bool mem : {false, true}) {
      shift_xmm.push_back(
          {std::string(s.name) + (mem ? " xmm, m128" : " xmm, xmm"),
           [s, mem](CaseBuilder& b) { build_shift_xmm(b, s.opcode, s.fill, mem); }});
    }
  }
  add_category(out, "sse_shift_xmm", g, "", 240, std::move(shift_xmm));

  add_category(out, "sse_pshuf", g, "", 450,
               sse_forms({op66("pshufd", op(0x70), F::kI32, 0xff),
                          SseOp{"pshuflw", {0xf2}, op(0x70), F::kI16, 16, 0xff},
                          SseOp{"pshufhw", {0xf3}, op(0x70), F::kI16, 16, 0xff}}));
  add_category(
      out, "sse_punpck", g, "", 240,
      sse_forms({op66("punpcklbw", op(0x60), F::kI8), op66("punpcklwd", op(0x61), F::kI16),
                 op66("punpckldq", op(0x62), F::kI32), op66("punpcklqdq", op(0x6c), F::kI64),
                 op66("punpckhbw", op(0x68), F::kI8), op66("punpckhwd", op(0x69), F::kI16),
                 op66("punpckhdq", op(0x6a), F::kI32), op66("punpckhqdq", op(0x6d), F::kI64)}));
  add_category(out, "sse_pack", g, "", 450,
               sse_forms({op66("packsswb", op(0x63), F::kI16), op66("packuswb", op(0x67), F::kI16),
                          op66("packssdw", op(0x6b), F::kI32)}));
  add_category(out, "sse_pminmax", g, "", 300,
               sse_forms({op66("pminub", op(0xda), F::kI8), op66("pmaxub", op(0xde), F::kI8),
                          op66("pminsw", op(0xea), F::kI16), op66("pmaxsw", op(0xee), F::kI16)}));
  add_category(out, "sse_pavg_psadbw", g, "", 450,
               sse_forms({op66("pavgb", op(0xe0), F::kI8), op66("pavgw", op(0xe3), F::kI16),
                          op66("psadbw", op(0xf6), F::kI8)}));
  add_category(
      out, "sse_pmovmskb_pextrw", g, "", 450,
      mixed_forms({MixedOp{"pmovmskb", {0x66}, op(0xd7), false, false, true, 0, F::kI8},
                   MixedOp{"pextrw", {0x66}, op(0xc5), false, false, true, 0, F::kI16, 0xff},
                   MixedOp{"pinsrw", {0x66}, op(0xc4), false, true, false, 2, F::kI16, 0xff}}));
}

}  // namespace rwd::diff

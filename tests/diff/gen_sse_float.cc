// SPDX-License-Identifier: MIT
//
// SSE/SSE2 floating point: arithmetic, sqrt, min/max, compares, (u)comis,
// logic, shuffles/unpacks, movmsk and the data moves.  Inputs cover every
// value class (zeros, denormals, infinities, QNaN/SNaN) under random
// rounding modes, FZ/DAZ and sticky MXCSR flags.
#include "tests/diff/gen_sse.h"

namespace rwd::diff {
namespace {

using F = Fill;

Bytes op(uint8_t b) {
  return {0x0f, b};
}

// The four precisions of a 0f xx arithmetic op: ss (f3), sd (f2), ps, pd (66).
std::vector<SseOp> four(const std::string& stem, uint8_t opcode, int imm_mask = -1,
                        bool scalar_too = true) {
  std::vector<SseOp> ops;
  if (scalar_too) {
    ops.push_back(SseOp{stem + "ss", {0xf3}, op(opcode), F::kF32, 4, imm_mask});
    ops.push_back(SseOp{stem + "sd", {0xf2}, op(opcode), F::kF64, 8, imm_mask});
  }
  ops.push_back(SseOp{stem + "ps", {}, op(opcode), F::kF32, 16, imm_mask});
  ops.push_back(SseOp{stem + "pd", {0x66}, op(opcode), F::kF64, 16, imm_mask});
  return ops;
}

MixedOp xmm_move(const std::string& name, Bytes prefix, uint8_t opcode, Fill fill,
                 unsigned mem_size, unsigned align, bool reg_form = true) {
  MixedOp m{name, std::move(prefix), op(opcode), false, true, true, mem_size, fill};
  m.mem_align = align;
  m.reg_form = reg_form;
  return m;
}

// Unmasks some MXCSR exceptions after the case is built: an instruction
// that detects one raises #XM (vector 19) with its destination untouched
// and the flag recorded in MXCSR.  Whether it happens depends on the
// values, so the generator does not predict it.
Builder unmasked(Builder build) {
  return [build](CaseBuilder& b) {
    build(b);
    b.s.input.mxcsr &= ~uint32_t((b.rng.next() & 0x3f) << 7);
    if (b.rng.chance(50)) b.s.input.mxcsr &= ~0x3fu;  // no stale flags
    b.expect_vector(kVectorAny);
  };
}

}  // namespace

void register_sse_float(std::vector<Category>* out) {
  const std::string g = "sse_fp";
  static const std::pair<const char*, uint8_t> kArith[] = {
      {"add", 0x58}, {"mul", 0x59}, {"sub", 0x5c}, {"min", 0x5d},
      {"div", 0x5e}, {"max", 0x5f}, {"sqrt", 0x51}};
  for (const auto& [stem, opcode] : kArith) {
    std::vector<SseOp> ops = four(stem, opcode);
    ops[2].misaligned = opcode == 0x58;
    add_category(out, "sse_" + std::string(stem), g, "", 450, sse_forms(ops));
  }
  add_category(out, "sse_cmp", g, "", 600, sse_forms(four("cmp", 0xc2, 7)));
  add_category(out, "sse_comis", g, "", 600,
               sse_forms({SseOp{"comiss", {}, op(0x2f), F::kF32, 4},
                          SseOp{"comisd", {0x66}, op(0x2f), F::kF64, 8},
                          SseOp{"ucomiss", {}, op(0x2e), F::kF32, 4},
                          SseOp{"ucomisd", {0x66}, op(0x2e), F::kF64, 8}}));
  std::vector<SseOp> logic;
  static const std::pair<const char*, uint8_t> kLogic[] = {
      {"and", 0x54}, {"andn", 0x55}, {"or", 0x56}, {"xor", 0x57}};
  for (const auto& [stem, opcode] : kLogic) {
    for (const SseOp& o : four(stem, opcode, -1, false)) logic.push_back(o);
  }
  add_category(out, "sse_fp_logic", g, "", 200, sse_forms(logic));
  add_category(
      out, "sse_shuf_unpck", g, "", 300,
      sse_forms({op_np("shufps", op(0xc6), F::kF32, 0xff), op66("shufpd", op(0xc6), F::kF64, 0xff),
                 op_np("unpcklps", op(0x14), F::kF32), op_np("unpckhps", op(0x15), F::kF32),
                 op66("unpcklpd", op(0x14), F::kF64), op66("unpckhpd", op(0x15), F::kF64)}));
  add_category(
      out, "sse_movmsk", g, "", 600,
      mixed_forms({MixedOp{"movmskps", {}, op(0x50), false, false, true, 0, F::kF32},
                   MixedOp{"movmskpd", {0x66}, op(0x50), false, false, true, 0, F::kF64}}));

  std::vector<Form> unmasked_forms;
  const std::vector<SseOp> unmasked_ops = {
      SseOp{"addps", {}, op(0x58), F::kF32},         SseOp{"mulss", {0xf3}, op(0x59), F::kF32, 4},
      SseOp{"divsd", {0xf2}, op(0x5e), F::kF64, 8},  SseOp{"sqrtpd", {0x66}, op(0x51), F::kF64},
      SseOp{"maxps", {}, op(0x5f), F::kF32},         SseOp{"cmpps", {}, op(0xc2), F::kF32, 16, 7},
      SseOp{"comisd", {0x66}, op(0x2f), F::kF64, 8}, SseOp{"cvtpd2ps", {0x66}, op(0x5a), F::kF64},
      SseOp{"cvttps2dq", {0xf3}, op(0x5b), F::kF32}};
  for (const Form& f : sse_forms(unmasked_ops))
    unmasked_forms.push_back({f.name + " (unmasked)", unmasked(f.build)});
  const MixedOp cvt{"cvtsd2si", {0xf2}, op(0x2d), true, false, true, 8, F::kF64};
  for (const Form& f : mixed_forms({cvt}))
    unmasked_forms.push_back({f.name + " (unmasked)", unmasked(f.build)});
  add_category(out, "sse_fp_unmasked", g, "", 200, std::move(unmasked_forms));

  // Loads (reg <- r/m) and stores (r/m <- reg): ModRM.reg is the XMM
  // register either way; stores simply use the store opcode.
  std::vector<MixedOp> moves = {
      xmm_move("movaps", {}, 0x28, F::kF32, 16, 16),
      xmm_move("movaps(st)", {}, 0x29, F::kF32, 16, 16),
      xmm_move("movups", {}, 0x10, F::kF32, 16, 1),
      xmm_move("movups(st)", {}, 0x11, F::kF32, 16, 1),
      xmm_move("movapd", {0x66}, 0x28, F::kF64, 16, 16),
      xmm_move("movupd", {0x66}, 0x10, F::kF64, 16, 1),
      xmm_move("movdqa", {0x66}, 0x6f, F::kAny, 16, 16),
      xmm_move("movdqa(st)", {0x66}, 0x7f, F::kAny, 16, 16),
      xmm_move("movdqu", {0xf3}, 0x6f, F::kAny, 16, 1),
      xmm_move("movdqu(st)", {0xf3}, 0x7f, F::kAny, 16, 1),
      xmm_move("movss", {0xf3}, 0x10, F::kF32, 4, 1),
      xmm_move("movss(st)", {0xf3}, 0x11, F::kF32, 4, 1),
      xmm_move("movsd", {0xf2}, 0x10, F::kF64, 8, 1),
      xmm_move("movsd(st)", {0xf2}, 0x11, F::kF64, 8, 1),
      xmm_move("movhps", {}, 0x16, F::kF32, 8, 1, false),
      xmm_move("movhps(st)", {}, 0x17, F::kF32, 8, 1, false),
      xmm_move("movlps", {}, 0x12, F::kF32, 8, 1, false),
      xmm_move("movlps(st)", {}, 0x13, F::kF32, 8, 1, false),
      xmm_move("movhpd", {0x66}, 0x16, F::kF64, 8, 1, false),
      xmm_move("movlpd", {0x66}, 0x12, F::kF64, 8, 1, false),
      xmm_move("movhlps", {}, 0x12, F::kF32, 0, 1),
      xmm_move("movlhps", {}, 0x16, F::kF32, 0, 1),
      xmm_move("movq(f3 7e)", {0xf3}, 0x7e, F::kAny, 8, 1),
      xmm_move("movq(st d6)", {0x66}, 0xd6, F::kAny, 8, 1),
  };
  MixedOp movd{"movd", {0x66}, op(0x6e), false, true, false, 4, F::kAny};
  MixedOp movq = movd;
  movq.name = "movq";
  movq.rex_w = true;
  movq.mem_size = 8;
  MixedOp movd_st = movd, movq_st = movq;
  movd_st.name = "movd(st)";
  movq_st.name = "movq(st)";
  movd_st.opcode = movq_st.opcode = op(0x7e);
  for (const MixedOp& m : {movd, movq, movd_st, movq_st}) moves.push_back(m);
  std::vector<Form> move_forms = mixed_forms(moves);
  // movaps with a misaligned operand must fault; movups must not.
  SseOp movaps_bad = op_np("movaps", op(0x28), F::kF32);
  movaps_bad.misaligned = true;
  move_forms.push_back(
      {"movaps xmm, m128 misaligned (#GP)", [=](CaseBuilder& b) { build_sse(b, movaps_bad, 2); }});
  add_category(out, "sse_mov", g, "", 200, std::move(move_forms));
}

}  // namespace rwd::diff

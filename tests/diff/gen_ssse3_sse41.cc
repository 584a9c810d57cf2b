// SPDX-License-Identifier: MIT
//
// SSE3, SSSE3 and SSE4.1.  Each category names the CPUID feature it needs;
// the "max" model advertises all three.
#include "tests/diff/gen_sse.h"

namespace rwd::diff {
namespace {

using F = Fill;

Bytes op(uint8_t b) { return {0x0f, b}; }
Bytes op38(uint8_t b) { return {0x0f, 0x38, b}; }
Bytes op3a(uint8_t b) { return {0x0f, 0x3a, b}; }

SseOp s38(const std::string& name, uint8_t b, Fill fill, unsigned mem = 16) {
  return SseOp{name, {0x66}, op38(b), fill, mem};
}
SseOp s3a(const std::string& name, uint8_t b, Fill fill, int imm_mask, unsigned mem = 16) {
  return SseOp{name, {0x66}, op3a(b), fill, mem, imm_mask};
}

// pextr*/pinsr*/extractps: 66 [REX.W] 0f 3a xx /r ib with a GPR or memory
// r/m and the XMM register in ModRM.reg.
MixedOp gpr_xmm(const std::string& name, uint8_t b, bool wide, unsigned mem, Fill fill) {
  return MixedOp{name, {0x66}, op3a(b), wide, true, false, mem, fill, 0xff};
}

}  // namespace

void register_ssse3_sse41(std::vector<Category>* out) {
  // ---- SSE3
  add_category(out, "sse3_hadd_addsub", "sse3", "sse3", 450,
               sse_forms({SseOp{"haddps", {0xf2}, op(0x7c), F::kF32},
                          SseOp{"hsubps", {0xf2}, op(0x7d), F::kF32},
                          SseOp{"haddpd", {0x66}, op(0x7c), F::kF64},
                          SseOp{"hsubpd", {0x66}, op(0x7d), F::kF64},
                          SseOp{"addsubps", {0xf2}, op(0xd0), F::kF32},
                          SseOp{"addsubpd", {0x66}, op(0xd0), F::kF64}}));
  std::vector<Form> sse3_moves = sse_forms({SseOp{"movsldup", {0xf3}, op(0x12), F::kF32},
                                            SseOp{"movshdup", {0xf3}, op(0x16), F::kF32},
                                            SseOp{"movddup", {0xf2}, op(0x12), F::kF64, 8}});
  // lddqu: memory only, and unaligned by design.
  MixedOp lddqu{"lddqu", {0xf2}, op(0xf0), false, true, true, 16, F::kAny};
  lddqu.reg_form = false;
  for (Form& f : mixed_forms({lddqu})) sse3_moves.push_back(std::move(f));
  add_category(out, "sse3_moves", "sse3", "sse3", 450, std::move(sse3_moves));

  // ---- SSSE3
  add_category(out, "ssse3_pshufb_palignr", "ssse3", "ssse3", 600,
               sse_forms({s38("pshufb", 0x00, F::kI8), s3a("palignr", 0x0f, F::kAny, 0xff)}));
  add_category(out, "ssse3_phadd", "ssse3", "ssse3", 300,
               sse_forms({s38("phaddw", 0x01, F::kI16), s38("phaddd", 0x02, F::kI32),
                          s38("phaddsw", 0x03, F::kI16), s38("phsubw", 0x05, F::kI16),
                          s38("phsubd", 0x06, F::kI32), s38("phsubsw", 0x07, F::kI16)}));
  add_category(out, "ssse3_pabs_psign", "ssse3", "ssse3", 300,
               sse_forms({s38("pabsb", 0x1c, F::kI8), s38("pabsw", 0x1d, F::kI16),
                          s38("pabsd", 0x1e, F::kI32), s38("psignb", 0x08, F::kI8),
                          s38("psignw", 0x09, F::kI16), s38("psignd", 0x0a, F::kI32)}));
  add_category(out, "ssse3_pmul", "ssse3", "ssse3", 600,
               sse_forms({s38("pmulhrsw", 0x0b, F::kI16), s38("pmaddubsw", 0x04, F::kI8)}));

  // ---- SSE4.1
  const std::string f41 = "sse4_1";
  add_category(out, "sse41_pminmax", "sse41", f41, 200,
               sse_forms({s38("pminsb", 0x38, F::kI8), s38("pminsd", 0x39, F::kI32),
                          s38("pminuw", 0x3a, F::kI16), s38("pminud", 0x3b, F::kI32),
                          s38("pmaxsb", 0x3c, F::kI8), s38("pmaxsd", 0x3d, F::kI32),
                          s38("pmaxuw", 0x3e, F::kI16), s38("pmaxud", 0x3f, F::kI32)}));
  add_category(out, "sse41_pmul_pcmpeqq", "sse41", f41, 300,
               sse_forms({s38("pmulld", 0x40, F::kI32), s38("pmuldq", 0x28, F::kI32),
                          s38("pcmpeqq", 0x29, F::kI64), s38("packusdw", 0x2b, F::kI32),
                          s38("phminposuw", 0x41, F::kI16)}));
  std::vector<SseOp> pmov;
  static const char* const kExt[] = {"bw", "bd", "bq", "wd", "wq", "dq"};
  static const unsigned kMem[] = {8, 4, 2, 8, 4, 8};
  static const Fill kFill[] = {F::kI8, F::kI8, F::kI8, F::kI16, F::kI16, F::kI32};
  for (int i = 0; i < 6; ++i) {
    pmov.push_back(s38(std::string("pmovsx") + kExt[i], uint8_t(0x20 + i), kFill[i], kMem[i]));
    pmov.push_back(s38(std::string("pmovzx") + kExt[i], uint8_t(0x30 + i), kFill[i], kMem[i]));
  }
  add_category(out, "sse41_pmovx", "sse41", f41, 200, sse_forms(pmov));
  add_category(out, "sse41_blend", "sse41", f41, 300,
               sse_forms({s3a("pblendw", 0x0e, F::kI16, 0xff), s3a("blendps", 0x0c, F::kF32, 0x0f),
                          s3a("blendpd", 0x0d, F::kF64, 0x03), s38("pblendvb", 0x10, F::kI8),
                          s38("blendvps", 0x14, F::kF32), s38("blendvpd", 0x15, F::kF64)}));
  std::vector<Form> extract_insert =
      mixed_forms({gpr_xmm("pextrb", 0x14, false, 1, F::kI8),
                   gpr_xmm("pextrw", 0x15, false, 2, F::kI16),
                   gpr_xmm("pextrd", 0x16, false, 4, F::kI32),
                   gpr_xmm("pextrq", 0x16, true, 8, F::kI64),
                   gpr_xmm("extractps", 0x17, false, 4, F::kF32),
                   gpr_xmm("pinsrb", 0x20, false, 1, F::kI8),
                   gpr_xmm("pinsrd", 0x22, false, 4, F::kI32),
                   gpr_xmm("pinsrq", 0x22, true, 8, F::kI64)});
  for (Form& f : sse_forms({s3a("insertps", 0x21, F::kF32, 0xff, 4)}))
    extract_insert.push_back(std::move(f));
  add_category(out, "sse41_extract_insert", "sse41", f41, 200, std::move(extract_insert));
  add_category(out, "sse41_ptest", "sse41", f41, 900, sse_forms({s38("ptest", 0x17, F::kAny)}));
  add_category(out, "sse41_round", "sse41", f41, 450,
               sse_forms({s3a("roundps", 0x08, F::kF32, 0x0f), s3a("roundpd", 0x09, F::kF64, 0x0f),
                          s3a("roundss", 0x0a, F::kF32, 0x0f, 4),
                          s3a("roundsd", 0x0b, F::kF64, 0x0f, 8)}));
  add_category(out, "sse41_dp_mpsadbw", "sse41", f41, 450,
               sse_forms({s3a("dpps", 0x40, F::kF32, 0xff), s3a("dppd", 0x41, F::kF64, 0x33),
                          s3a("mpsadbw", 0x42, F::kI8, 0x07)}));
}

}  // namespace rwd::diff

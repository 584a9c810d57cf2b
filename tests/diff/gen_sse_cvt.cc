// SPDX-License-Identifier: MIT
//
// SSE/SSE2 conversions: integer <-> scalar (cvtsi2ss/sd, cvt(t)ss/sd2si in
// 32 and 64 bits, where out-of-range inputs give the "integer indefinite"),
// scalar <-> scalar and the packed forms, under random rounding modes.
#include "tests/diff/gen_sse.h"

namespace rwd::diff {
namespace {

using F = Fill;

Bytes op(uint8_t b) { return {0x0f, b}; }

// cvtsi2ss/sd xmm, r/m32|64: ModRM.reg is the XMM destination.
MixedOp from_int(const std::string& name, uint8_t prefix, bool wide) {
  MixedOp m{name, {prefix}, op(0x2a), wide, true, false, wide ? 8u : 4u,
            prefix == 0xf3 ? F::kF32 : F::kF64};
  return m;
}

// cvt(t)ss/sd2si r32|64, xmm/m: ModRM.reg is the GPR destination.
MixedOp to_int(const std::string& name, uint8_t prefix, uint8_t opcode, bool wide) {
  const bool single = prefix == 0xf3;
  MixedOp m{name, {prefix}, op(opcode), wide, false, true, single ? 4u : 8u,
            single ? F::kF32 : F::kF64};
  return m;
}

}  // namespace

void register_sse_cvt(std::vector<Category>* out) {
  const std::string g = "sse_cvt";
  add_category(out, "sse_cvtsi2s", g, "", 600,
               mixed_forms({from_int("cvtsi2ss", 0xf3, false), from_int("cvtsi2ss", 0xf3, true),
                            from_int("cvtsi2sd", 0xf2, false), from_int("cvtsi2sd", 0xf2, true)}));
  add_category(out, "sse_cvts2si", g, "", 360,
               mixed_forms({to_int("cvttss2si", 0xf3, 0x2c, false),
                            to_int("cvttss2si", 0xf3, 0x2c, true),
                            to_int("cvtss2si", 0xf3, 0x2d, false),
                            to_int("cvtss2si", 0xf3, 0x2d, true),
                            to_int("cvttsd2si", 0xf2, 0x2c, false),
                            to_int("cvttsd2si", 0xf2, 0x2c, true),
                            to_int("cvtsd2si", 0xf2, 0x2d, false),
                            to_int("cvtsd2si", 0xf2, 0x2d, true)}));
  add_category(out, "sse_cvt_scalar", g, "", 600,
               sse_forms({SseOp{"cvtsd2ss", {0xf2}, op(0x5a), F::kF64, 8},
                          SseOp{"cvtss2sd", {0xf3}, op(0x5a), F::kF32, 4}}));
  add_category(out, "sse_cvt_packed", g, "", 300,
               sse_forms({SseOp{"cvtdq2ps", {}, op(0x5b), F::kI32, 16},
                          SseOp{"cvtps2dq", {0x66}, op(0x5b), F::kF32, 16},
                          SseOp{"cvttps2dq", {0xf3}, op(0x5b), F::kF32, 16},
                          SseOp{"cvtdq2pd", {0xf3}, op(0xe6), F::kI32, 8},
                          SseOp{"cvtpd2dq", {0xf2}, op(0xe6), F::kF64, 16},
                          SseOp{"cvttpd2dq", {0x66}, op(0xe6), F::kF64, 16},
                          SseOp{"cvtps2pd", {}, op(0x5a), F::kF32, 8},
                          SseOp{"cvtpd2ps", {0x66}, op(0x5a), F::kF64, 16}}));
}

}  // namespace rwd::diff

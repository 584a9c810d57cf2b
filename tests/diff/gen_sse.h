// SPDX-License-Identifier: MIT
//
// Shared shape of SSE test cases: `op xmm, xmm/mem [, imm8]` with inputs of
// a chosen lane type.  Instructions that do not fit (GPR operands, implicit
// operands, flag results) build their cases by hand on top of fill_xmm().
#ifndef REWIND_TESTS_DIFF_GEN_SSE_H_
#define REWIND_TESTS_DIFF_GEN_SSE_H_

#include <string>
#include <vector>

#include "tests/diff/gen_internal.h"

namespace rwd::diff {

// What the input lanes hold: integers of a width (interesting values per
// lane), any mix of widths, or floating-point values of every class.
enum class Fill { kAny, kI8, kI16, kI32, kI64, kF32, kF64 };

struct SseOp {
  std::string name;       // mnemonic for the form names
  Bytes prefix;           // mandatory prefix (66, f2, f3) or none
  Bytes opcode;           // 0f ..., 0f 38 ..., 0f 3a ...
  Fill fill = Fill::kAny;
  unsigned mem_size = 16; // bytes the memory form reads; 0 = no memory form
  int imm_mask = -1;      // >= 0: an imm8 (random & imm_mask) follows
  bool misaligned = false;  // also a misaligned 16-byte memory form (#GP)
};

inline bool is_fp(Fill fill) { return fill == Fill::kF32 || fill == Fill::kF64; }

void fill_xmm(CaseBuilder& b, int reg, Fill fill);
void fill_data(CaseBuilder& b, uint64_t offset, unsigned size, Fill fill);

// kind: 0 register source, 1 memory source, 2 misaligned memory (#GP).
void build_sse(CaseBuilder& b, const SseOp& op, int kind);

// The forms of a list of ops: "name xmm, xmm", "name xmm, m<size>" and, if
// asked, "name xmm, m128 misaligned".
std::vector<Form> sse_forms(const std::vector<SseOp>& ops);

// Instructions with one XMM and one GPR operand (movd, pextr*, pinsr*,
// pmovmskb, movmsk*, cvt*2si, cvtsi2*), or with r/m as the destination
// (stores).  `reg_xmm`/`rm_xmm` say which register file ModRM.reg and a
// register r/m name.
struct MixedOp {
  std::string name;
  Bytes prefix;
  Bytes opcode;
  bool rex_w = false;
  bool reg_xmm = true;
  bool rm_xmm = false;
  unsigned mem_size = 0;  // 0 = register form only
  Fill fill = Fill::kAny; // for the XMM operand(s)
  int imm_mask = -1;
  bool reg_form = true;   // false: memory form only (movhps, lddqu, ...)
  unsigned mem_align = 1;
};

void build_mixed(CaseBuilder& b, const MixedOp& op, bool mem);
// "name reg, reg" and/or "name ..., m<size>" forms.
std::vector<Form> mixed_forms(const std::vector<MixedOp>& ops);

// Shorthands for the common encodings.
inline SseOp op66(const std::string& name, Bytes opcode, Fill fill, int imm_mask = -1) {
  return SseOp{name, {0x66}, std::move(opcode), fill, 16, imm_mask};
}
inline SseOp op_np(const std::string& name, Bytes opcode, Fill fill, int imm_mask = -1) {
  return SseOp{name, {}, std::move(opcode), fill, 16, imm_mask};
}

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_GEN_SSE_H_

// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cstring>

#include "tests/diff/gen_sse.h"

namespace rwd::diff {
namespace {

unsigned lane_bits(Fill fill) {
  switch (fill) {
    case Fill::kI8: return 8;
    case Fill::kI16: return 16;
    case Fill::kI32: case Fill::kF32: return 32;
    case Fill::kI64: case Fill::kF64: return 64;
    case Fill::kAny: break;
  }
  return 0;
}

uint64_t lane_value(CaseBuilder& b, Fill fill, unsigned bits) {
  if (fill == Fill::kF32) return b.f32();
  if (fill == Fill::kF64) return b.f64();
  return b.pure(bits);
}

}  // namespace

void fill_xmm(CaseBuilder& b, int reg, Fill fill) {
  if (fill == Fill::kAny) {
    b.xmm_int(reg);
    return;
  }
  const unsigned bits = lane_bits(fill);
  for (unsigned i = 0; i < 16; i += bits / 8) {
    const uint64_t v = lane_value(b, fill, bits);
    std::memcpy(b.s.input.xmm[reg] + i, &v, bits / 8);
  }
}

void fill_data(CaseBuilder& b, uint64_t offset, unsigned size, Fill fill) {
  if (fill == Fill::kAny) {
    b.data_int(offset, size);
    return;
  }
  const unsigned bits = std::min(lane_bits(fill), size * 8);
  for (unsigned i = 0; i < size; i += bits / 8)
    b.put_data(offset + i, lane_value(b, fill, bits), bits / 8);
}

void build_sse(CaseBuilder& b, const SseOp& op, int kind) {
  // Always: conversions from integers round too, and integer ops must
  // leave MXCSR alone whatever it holds.
  b.fp_mxcsr();
  const int dst = b.xmm();
  fill_xmm(b, dst, op.fill);
  Insn insn;
  insn.prefixes = op.prefix;
  insn.opcode = op.opcode;
  insn.reg = dst;
  if (kind == 0) {
    const int src = b.xmm();
    if (src != dst) fill_xmm(b, src, op.fill);
    // Equal lanes make compares, min/max and subtractions interesting.
    if (src != dst && b.rng.chance(15)) {
      for (int i = 0; i < 16; i += 4)
        if (b.rng.chance(50)) std::memcpy(b.s.input.xmm[src] + i, b.s.input.xmm[dst] + i, 4);
    }
    insn.rm = reg_rm(src);
  } else {
    const unsigned align = op.mem_size == 16 ? 16 : 1;
    Mem m = b.mem(op.mem_size, align);
    fill_data(b, b.data_offset(), op.mem_size, op.fill);
    if (kind == 2) {
      b.in(m.base) += 1 + b.rng.below(15);
      b.expect_vector(kVectorGp);
    }
    insn.rm = mem_rm(m);
  }
  if (op.imm_mask >= 0) insn.imm = imm8(b.rng.next() & uint64_t(op.imm_mask));
  b.emit(insn);
}

std::vector<Form> sse_forms(const std::vector<SseOp>& ops) {
  std::vector<Form> forms;
  for (const SseOp& op : ops) {
    forms.push_back({op.name + " xmm, xmm", [=](CaseBuilder& b) { build_sse(b, op, 0); }});
    if (op.mem_size != 0) {
      forms.push_back({op.name + " xmm, m" + std::to_string(op.mem_size * 8),
                       [=](CaseBuilder& b) { build_sse(b, op, 1); }});
    }
    if (op.misaligned) {
      forms.push_back({op.name + " xmm, m128 misaligned (#GP)",
                       [=](CaseBuilder& b) { build_sse(b, op, 2); }});
    }
  }
  return forms;
}

}  // namespace rwd::diff

namespace rwd::diff {

void build_mixed(CaseBuilder& b, const MixedOp& op, bool mem) {
  b.fp_mxcsr();
  Insn insn;
  insn.prefixes = op.prefix;
  insn.rex_w = op.rex_w;
  insn.opcode = op.opcode;
  const unsigned gpr_bits = op.rex_w ? 64 : 32;
  if (mem) {
    Mem m = b.mem(op.mem_size, op.mem_align);
    fill_data(b, b.data_offset(), op.mem_size, op.fill);
    insn.rm = mem_rm(m);
  } else if (op.rm_xmm) {
    const int x = b.xmm();
    fill_xmm(b, x, op.fill);
    insn.rm = reg_rm(x);
  } else {
    const int r = b.gpr();
    b.in(r) = b.value(gpr_bits);
    insn.rm = reg_rm(r);
  }
  if (op.reg_xmm) {
    insn.reg = b.xmm();
    if (insn.rm.is_mem || !op.rm_xmm || insn.reg != insn.rm.reg) fill_xmm(b, insn.reg, op.fill);
  } else {
    insn.reg = b.gpr();
  }
  if (op.imm_mask >= 0) insn.imm = imm8(b.rng.next() & uint64_t(op.imm_mask));
  b.emit(insn);
}

std::vector<Form> mixed_forms(const std::vector<MixedOp>& ops) {
  std::vector<Form> forms;
  for (const MixedOp& op : ops) {
    const std::string reg = op.reg_xmm ? "xmm" : (op.rex_w ? "r64" : "r32");
    const std::string rm = op.rm_xmm ? "xmm" : (op.rex_w ? "r64" : "r32");
    if (op.reg_form) {
      forms.push_back({op.name + " " + reg + ", " + rm,
                       [=](CaseBuilder& b) { build_mixed(b, op, false); }});
    }
    if (op.mem_size != 0) {
      forms.push_back({op.name + " " + reg + ", m" + std::to_string(op.mem_size * 8),
                       [=](CaseBuilder& b) { build_mixed(b, op, true); }});
    }
  }
  return forms;
}

}  // namespace rwd::diff

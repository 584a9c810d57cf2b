// SPDX-License-Identifier: MIT
#include <cstring>

#include "tests/diff/gen_internal.h"

namespace rwd::diff {

CaseBuilder::CaseBuilder(Snippet* snippet, uint64_t seed) : s(*snippet), rng(seed) {
  s.code.clear();
  s.input = MachineState{};
  for (int r = 0; r < 16; ++r) in(r) = pure(64);
  // A valid, not quite page-aligned stack: pushes and pops stay in the page.
  in(kRsp) = kStackAddress + 0x800;
  s.input.rflags = kFlagFixed1 | kFlagIf | (rng.next() & kFlagsArith) |
                   (rng.chance(20) ? kFlagDf : 0);
  for (int x = 0; x < 16; ++x) xmm_int(x);
  s.input.mxcsr = kMxcsrDefault;
}

uint64_t CaseBuilder::pure(unsigned bits) {
  const uint64_t m = low_mask(bits);
  const uint64_t sb = sign_bit(bits);
  switch (rng.below(16)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return sb;
    case 4: return sb - 1;
    case 5: return (sb + 1) & m;
    case 6: return 2;
    case 7: return m - 1;
    case 8: return rng.below(256) & m;
    case 9: return 1ull << rng.below(bits);
    case 10: return low_mask(unsigned(rng.below(bits)) + 1);
    case 11: return (0 - (rng.below(256) + 1)) & m;
    default: return rng.next() & m;
  }
}

uint64_t CaseBuilder::value(unsigned bits) {
  uint64_t v = pure(bits);
  if (bits < 64 && rng.chance(75)) v |= rng.next() & ~low_mask(bits);
  return v;
}

uint64_t CaseBuilder::count(unsigned bits) {
  static const std::vector<uint64_t> kEdges = {0,  1,  2,  3,  7,  8,  9,   15,  16, 17,
                                               31, 32, 33, 63, 64, 65, 127, 128, 255};
  switch (rng.below(4)) {
    case 0: return rng.below(256);
    case 1: return rng.below(bits + 1);
    default: return rng.pick(kEdges);
  }
}

int CaseBuilder::gpr() {
  for (;;) {
    int r = int(rng.below(16));
    if (!(reserved_ & (1u << r))) return r;
  }
}

int CaseBuilder::gpr8() {
  const uint32_t blocked = reserved_ & ~(1u << kRsp);
  for (;;) {
    int r = int(rng.below(16));
    if (!(blocked & (1u << r))) return r;
  }
}

Mem CaseBuilder::mem(unsigned size, unsigned align) {
  ensure_data();
  uint64_t offset = 0x100 + rng.below(0xe00 - size);
  offset &= ~uint64_t(align - 1);
  data_offset_ = offset;
  const uint64_t address = kDataAddress + offset;

  Mem m;
  m.base = gpr();
  reserve(m.base);
  uint64_t index_part = 0;
  if (rng.chance(30)) {
    m.index = gpr();
    reserve(m.index);
    static const std::vector<int> kScales = {1, 2, 4, 8};
    m.scale = rng.pick(kScales);
    const int64_t index_value = int64_t(rng.below(129)) - 64;
    in(m.index) = uint64_t(index_value);
    index_part = uint64_t(index_value) * uint64_t(m.scale);
  }
  switch (rng.below(4)) {
    case 0: m.disp = 0; break;
    case 1: m.disp = int32_t(rng.next()); break;  // base wraps around: still exact
    default: m.disp = int32_t(int8_t(rng.next())); break;
  }
  m.force_disp32 = rng.chance(10);
  m.force_sib = rng.chance(10);
  in(m.base) = address - uint64_t(int64_t(m.disp)) - index_part;
  return m;
}

void CaseBuilder::ensure_data() {
  if (!s.data_init.empty()) return;
  s.data_init.resize(kDataSize);
  for (size_t i = 0; i < kDataSize; i += 8) {
    const uint64_t v = rng.next();
    std::memcpy(&s.data_init[i], &v, 8);
  }
}

void CaseBuilder::put_data(uint64_t offset, uint64_t value, unsigned size) {
  ensure_data();
  for (unsigned i = 0; i < size; ++i) s.data_init[offset + i] = uint8_t(value >> (8 * i));
}

uint64_t CaseBuilder::get_data(uint64_t offset, unsigned size) const {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t(s.data_init[offset + i]) << (8 * i);
  return v;
}

void CaseBuilder::emit_sized(unsigned bits, const Bytes& op8, const Bytes& op, int reg,
                             const Rm& rm, const Bytes& imm, const Bytes& prefixes) {
  Insn insn;
  insn.prefixes = prefixes;
  if (bits == 16) insn.prefixes.push_back(0x66);
  insn.rex_w = bits == 64;
  insn.opcode = bits == 8 ? op8 : op;
  insn.reg = reg;
  insn.rm = rm;
  insn.imm = imm;
  // An empty REX turns ah..bh into spl..dil: both encodings get tested.
  if (bits == 8) insn.force_rex = rng.chance(40);
  emit(insn);
}

std::string bits_str(unsigned bits) { return std::to_string(bits); }

void add_category(std::vector<Category>* out, const std::string& name, const std::string& group,
                  const std::string& feature, size_t cases_per_form, std::vector<Form> forms) {
  Category c;
  c.name = name;
  c.group = group;
  c.feature = feature;
  c.cases_per_form = cases_per_form;
  for (Form& f : forms) {
    c.forms.push_back(std::move(f.name));
    c.builders.push_back(std::move(f.build));
  }
  out->push_back(std::move(c));
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
//
// Bit instructions: bt bts btr btc (register and immediate offsets,
// including register offsets that address memory outside the operand),
// bsf bsr, bswap, popcnt, lzcnt.
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

enum class Bt { kRegReg, kRegImm, kMemReg, kMemImm, kLockMemReg };

// digit: bt 4, bts 5, btr 6, btc 7 (0f ba /digit); the register-offset
// opcodes are 0f a3/ab/b3/bb.
void build_bt(CaseBuilder& b, int digit, unsigned bits, Bt form) {
  // CF is the tested bit; ZF is documented unaffected; the rest undefined.
  b.ignore_flags(kFlagOf | kFlagSf | kFlagAf | kFlagPf);
  static const uint8_t kRegOp[] = {0xa3, 0xab, 0xb3, 0xbb};
  const Bytes op_reg = {0x0f, kRegOp[digit - 4]};
  const unsigned bytes = bits / 8;
  const Bytes lock = form == Bt::kLockMemReg ? Bytes{0xf0} : Bytes{};
  if (form == Bt::kLockMemReg && digit == 4) b.expect_vector(kVectorUd);
  switch (form) {
    case Bt::kRegReg: {
      const int dst = b.gpr(), src = b.gpr();
      b.in(dst) = b.value(bits);
      if (src != dst) b.in(src) = b.value(bits);
      b.emit_sized(bits, {}, op_reg, src, reg_rm(dst));
      break;
    }
    case Bt::kRegImm: {
      const int dst = b.gpr();
      b.in(dst) = b.value(bits);
      b.emit_sized(bits, {}, {0x0f, 0xba}, digit, reg_rm(dst), imm8(b.rng.next()));
      break;
    }
    case Bt::kMemImm: {
      const Mem m = b.mem(bytes);
      b.emit_sized(bits, {}, {0x0f, 0xba}, digit, mem_rm(m), imm8(b.rng.next()));
      break;
    }
    case Bt::kMemReg:
    case Bt::kLockMemReg: {
      const Mem m = b.mem(bytes);
      // The signed offset may leave the operand: keep the word it selects
      // inside the data page.
      const int64_t lo_words = -int64_t(b.data_offset() / bytes);
      const int64_t hi_words = int64_t((kDataSize - bytes - b.data_offset()) / bytes);
      int64_t words = 0;
      if (b.rng.chance(60)) words = lo_words + int64_t(b.rng.below(hi_words - lo_words + 1));
      const int64_t offset = words * int64_t(bits) + int64_t(b.rng.below(bits));
      const int src = b.gpr();
      b.in(src) = (b.value(64) & ~low_mask(bits)) | (uint64_t(offset) & low_mask(bits));
      if (bits == 64) b.in(src) = uint64_t(offset);
      b.emit_sized(bits, {}, op_reg, src, mem_rm(m), {}, lock);
      break;
    }
  }
}

void add_bt(std::vector<Category>* out, const std::string& name, int digit) {
  std::vector<Form> forms;
  for (unsigned bits : {16u, 32u, 64u}) {
    const std::string sz = bits_str(bits);
    auto form = [&](const std::string& text, Bt kind) {
      forms.push_back({name + " " + text, [=](CaseBuilder& b) { build_bt(b, digit, bits, kind); }});
    };
    form("r/m" + sz + ", r" + sz + " [reg]", Bt::kRegReg);
    form("r/m" + sz + ", imm8 [reg]", Bt::kRegImm);
    form("m" + sz + ", r" + sz + " [mem]", Bt::kMemReg);
    form("m" + sz + ", imm8 [mem]", Bt::kMemImm);
    form("lock m" + sz + ", r" + sz + " [mem]", Bt::kLockMemReg);
  }
  add_category(out, name, "bit", "", 240, std::move(forms));
}

// bsf/bsr (0f bc/bd), popcnt (f3 0f b8), lzcnt (f3 0f bd): r, r/m.
void build_scan(CaseBuilder& b, const std::string& op, unsigned bits, bool mem) {
  uint64_t src_value = b.pure(bits);
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(bits / 8));
    b.put_data(b.data_offset(), src_value, bits / 8);
  } else {
    rm = reg_rm(b.gpr());
    b.in(rm.reg) = (b.value(64) & ~low_mask(bits)) | src_value;
  }
  const int dst = b.gpr();
  if (rm.is_mem || dst != rm.reg) b.in(dst) = b.value(64);
  Bytes prefixes, opcode;
  if (op == "bsf" || op == "bsr") {
    // Only ZF is defined; the destination is undefined for a zero source.
    b.ignore_flags(kFlagsArith & ~kFlagZf);
    if (src_value == 0) b.ignore_gpr(dst);
    opcode = {0x0f, uint8_t(op == "bsf" ? 0xbc : 0xbd)};
  } else if (op == "popcnt") {
    prefixes = {0xf3};
    opcode = {0x0f, 0xb8};
  } else {  // lzcnt: CF and ZF defined
    b.ignore_flags(kFlagOf | kFlagSf | kFlagPf | kFlagAf);
    prefixes = {0xf3};
    opcode = {0x0f, 0xbd};
  }
  b.emit_sized(bits, {}, opcode, dst, rm, {}, prefixes);
}

void add_scan(std::vector<Category>* out, const std::string& name, const std::string& feature) {
  std::vector<Form> forms;
  for (unsigned bits : {16u, 32u, 64u}) {
    for (bool mem : {false, true}) {
      const std::string sz = bits_str(bits);
      forms.push_back({name + " r" + sz + ", r/m" + sz + (mem ? " [mem]" : " [reg]"),
                       [=](CaseBuilder& b) { build_scan(b, name, bits, mem); }});
    }
  }
  add_category(out, name, "bit", feature, 450, std::move(forms));
}

void build_bswap(CaseBuilder& b, unsigned bits) {
  const int r = b.gpr();
  b.in(r) = b.value(64);
  encode_opreg({}, bits == 64, {0x0f}, 0xc8, r, {}, &b.s.code);
}

}  // namespace

void register_bits(std::vector<Category>* out) {
  add_bt(out, "bt", 4);
  add_bt(out, "bts", 5);
  add_bt(out, "btr", 6);
  add_bt(out, "btc", 7);
  add_scan(out, "bsf", "");
  add_scan(out, "bsr", "");
  add_scan(out, "popcnt", "popcnt");
  add_scan(out, "lzcnt", "lzcnt");
  add_category(out, "bswap", "bit", "", 600,
               {{"bswap r32", [](CaseBuilder& b) { build_bswap(b, 32); }},
                {"bswap r64", [](CaseBuilder& b) { build_bswap(b, 64); }}});
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
//
// Two-operand ALU instructions (add adc sub sbb and or xor cmp test) in all
// their encodings, and the one-operand inc dec neg not.
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

enum class Alu {
  kRmR,      // op r/m, r      (base+0/1), register destination
  kRmRMem,   // op r/m, r      memory destination
  kRRm,      // op r, r/m      (base+2/3), register source
  kRRmMem,   // op r, r/m      memory source
  kRmImm,    // 80/81 /digit   register
  kRmImmMem, // 80/81 /digit   memory
  kRmImm8,   // 83 /digit      sign-extended imm8
  kAccImm,   // base+4/5       al/ax/eax/rax, imm
  kLockMem,  // lock op [mem], r (#UD for cmp)
  k82,       // 82 /digit: an alias of 80 outside 64-bit mode, #UD in it
};

Bytes imm_for(CaseBuilder& b, unsigned bits) {
  return le_bytes(b.pure(bits == 64 ? 32 : bits), bits == 64 ? 4 : bits / 8);
}

int sized_reg(CaseBuilder& b, unsigned bits) {
  const int r = bits == 8 ? b.gpr8() : b.gpr();
  b.in(r) = b.value(bits);
  return r;
}

// `digit` is the /digit of 80/81/83 and selects the base opcode digit*8.
void build_alu(CaseBuilder& b, int digit, unsigned bits, Alu form, uint64_t undefined) {
  b.ignore_flags(undefined);
  const uint8_t base = uint8_t(digit * 8);
  const unsigned bytes = bits / 8;
  switch (form) {
    case Alu::kRmR:
    case Alu::kRRm: {
      const int dst = sized_reg(b, bits), src = sized_reg(b, bits);
      const uint8_t op = form == Alu::kRmR ? base : uint8_t(base + 2);
      b.emit_sized(bits, {op}, {uint8_t(op + 1)}, src, reg_rm(dst));
      break;
    }
    case Alu::kRmRMem:
    case Alu::kRRmMem:
    case Alu::kLockMem: {
      const Mem m = b.mem(bytes);
      b.put_data(b.data_offset(), b.pure(bits), bytes);
      const int r = sized_reg(b, bits);
      const uint8_t op = form == Alu::kRRmMem ? uint8_t(base + 2) : base;
      const Bytes lock = form == Alu::kLockMem ? Bytes{0xf0} : Bytes{};
      b.emit_sized(bits, {op}, {uint8_t(op + 1)}, r, mem_rm(m), {}, lock);
      if (form == Alu::kLockMem && digit == 7) b.expect_vector(kVectorUd);
      break;
    }
    case Alu::kRmImm:
    case Alu::kRmImmMem: {
      Rm rm;
      if (form == Alu::kRmImmMem) {
        rm = mem_rm(b.mem(bytes));
        b.put_data(b.data_offset(), b.pure(bits), bytes);
      } else {
        rm = reg_rm(sized_reg(b, bits));
      }
      b.emit_sized(bits, {0x80}, {0x81}, digit, rm, imm_for(b, bits));
      break;
    }
    case Alu::kRmImm8: {
      const int dst = sized_reg(b, bits);
      b.emit_sized(bits, {}, {0x83}, digit, reg_rm(dst), imm8(b.pure(8)));
      break;
    }
    case Alu::kAccImm: {
      b.in(kRax) = b.value(bits);
      if (bits == 16) b.emit_bytes({0x66});
      if (bits == 64) b.emit_bytes({0x48});
      b.emit_bytes({uint8_t(bits == 8 ? base + 4 : base + 5)});
      b.emit_bytes(imm_for(b, bits));
      break;
    }
    case Alu::k82: {
      const int dst = sized_reg(b, 8);
      b.emit_sized(8, {0x82}, {}, digit, reg_rm(dst), imm8(b.pure(8)));
      b.expect_vector(kVectorUd);
      break;
    }
  }
}

void add_alu(std::vector<Category>* out, const std::string& name, int digit,
             uint64_t undefined) {
  std::vector<Form> forms;
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    const std::string sz = bits_str(bits);
    auto form = [&](const std::string& text, Alu kind) {
      forms.push_back({name + " " + text,
                       [=](CaseBuilder& b) { build_alu(b, digit, bits, kind, undefined); }});
    };
    form("r/m" + sz + ", r" + sz + " [reg]", Alu::kRmR);
    form("r/m" + sz + ", r" + sz + " [mem]", Alu::kRmRMem);
    form("r" + sz + ", r/m" + sz + " [reg]", Alu::kRRm);
    form("r" + sz + ", r/m" + sz + " [mem]", Alu::kRRmMem);
    form("r/m" + sz + ", imm [reg]", Alu::kRmImm);
    form("r/m" + sz + ", imm [mem]", Alu::kRmImmMem);
    if (bits != 8) form("r/m" + sz + ", imm8", Alu::kRmImm8);
    form("acc" + sz + ", imm", Alu::kAccImm);
    form("lock r/m" + sz + ", r" + sz + " [mem]", Alu::kLockMem);
  }
  forms.push_back({name + " 82 /" + std::to_string(digit) + " (#UD in 64-bit mode)",
                   [=](CaseBuilder& b) { build_alu(b, digit, 8, Alu::k82, undefined); }});
  add_category(out, name, "alu", "", 200, std::move(forms));
}

// test: 84/85 r/m, r; a8/a9 acc, imm; f6/f7 /0 r/m, imm.  AF is undefined.
void build_test(CaseBuilder& b, unsigned bits, int kind) {
  b.ignore_flags(kFlagAf);
  const unsigned bytes = bits / 8;
  Rm rm;
  if (kind == 1 || kind == 4) {
    rm = mem_rm(b.mem(bytes));
    b.put_data(b.data_offset(), b.pure(bits), bytes);
  } else if (kind != 2) {
    rm = reg_rm(sized_reg(b, bits));
  }
  switch (kind) {
    case 0:
    case 1: b.emit_sized(bits, {0x84}, {0x85}, sized_reg(b, bits), rm); break;
    case 2: build_alu(b, 0, bits, Alu::kAccImm, kFlagAf); break;
    default: b.emit_sized(bits, {0xf6}, {0xf7}, 0, rm, imm_for(b, bits)); break;
  }
  if (kind == 2) {
    // build_alu emitted add's 04/05 opcode; test's are a8/a9 with the same layout.
    const size_t imm_len = bits == 64 ? 4 : bits / 8;
    uint8_t& op = b.s.code[b.s.code.size() - imm_len - 1];
    op = bits == 8 ? 0xa8 : 0xa9;
  }
}

// inc dec not neg: fe/ff /0 /1, f6/f7 /2 /3; `lock` forms on memory.
void build_unary(CaseBuilder& b, unsigned bits, int digit, bool mem, bool lock) {
  const bool incdec = digit < 2;
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(bits / 8));
    b.put_data(b.data_offset(), b.pure(bits), bits / 8);
  } else {
    rm = reg_rm(sized_reg(b, bits));
  }
  const Bytes op8 = {uint8_t(incdec ? 0xfe : 0xf6)};
  const Bytes op = {uint8_t(incdec ? 0xff : 0xf7)};
  b.emit_sized(bits, op8, op, digit, rm, {}, lock ? Bytes{0xf0} : Bytes{});
}

void add_unary(std::vector<Category>* out, const std::string& name, int digit) {
  std::vector<Form> forms;
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    const std::string sz = name + " r/m" + bits_str(bits);
    forms.push_back({sz + " [reg]", [=](CaseBuilder& b) { build_unary(b, bits, digit, 0, 0); }});
    forms.push_back({sz + " [mem]", [=](CaseBuilder& b) { build_unary(b, bits, digit, 1, 0); }});
    forms.push_back(
        {"lock " + sz + " [mem]", [=](CaseBuilder& b) { build_unary(b, bits, digit, 1, 1); }});
  }
  add_category(out, name, "alu", "", 240, std::move(forms));
}

}  // namespace

void register_alu(std::vector<Category>* out) {
  add_alu(out, "add", 0, 0);
  add_alu(out, "or", 1, kFlagAf);
  add_alu(out, "adc", 2, 0);
  add_alu(out, "sbb", 3, 0);
  add_alu(out, "and", 4, kFlagAf);
  add_alu(out, "sub", 5, 0);
  add_alu(out, "xor", 6, kFlagAf);
  add_alu(out, "cmp", 7, 0);
  std::vector<Form> test_forms;
  static const char* const kTestForms[] = {"r/m, r [reg]", "r/m, r [mem]", "acc, imm",
                                           "r/m, imm [reg]", "r/m, imm [mem]"};
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    for (int kind = 0; kind < 5; ++kind) {
      test_forms.push_back({"test " + std::string(kTestForms[kind]) + " (" + bits_str(bits) + ")",
                            [=](CaseBuilder& b) { build_test(b, bits, kind); }});
    }
  }
  add_category(out, "test", "alu", "", 240, std::move(test_forms));
  add_unary(out, "inc", 0);
  add_unary(out, "dec", 1);
  add_unary(out, "not", 2);
  add_unary(out, "neg", 3);
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
//
// mul, imul (one, two and three operands) and div, idiv including the #DE
// cases (divisor 0, quotient overflow).  After MUL/IMUL only CF and OF are
// defined; after DIV/IDIV no flag is (SDM Vol. 2 "Flags Affected").
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

using I128 = __int128;
using U128 = unsigned __int128;

int64_t sext(uint64_t v, unsigned bits) {
  return bits >= 64 ? int64_t(v) : int64_t(v << (64 - bits)) >> (64 - bits);
}

// A register for an explicit 8-bit operand that means the same with and
// without REX (so the generator knows which register it is): not ah..bh.
int plain_gpr(CaseBuilder& b, unsigned bits) {
  for (;;) {
    const int r = b.gpr();
    if (bits != 8 || r < 4 || r >= 8) return r;
  }
}

// Places a `bits` wide value in the low part of reg, keeping garbage above.
void set_low(CaseBuilder& b, int reg, uint64_t v, unsigned bits) {
  b.in(reg) = (b.in(reg) & ~low_mask(bits)) | (v & low_mask(bits));
}

Rm operand(CaseBuilder& b, unsigned bits, bool mem, uint64_t v) {
  if (mem) {
    const Mem m = b.mem(bits / 8);
    b.put_data(b.data_offset(), v, bits / 8);
    return mem_rm(m);
  }
  const int r = plain_gpr(b, bits);
  set_low(b, r, v, bits);
  return reg_rm(r);
}

// mul (/4) and one-operand imul (/5): rdx:rax = rax * r/m.
void build_mul1(CaseBuilder& b, unsigned bits, int digit, bool mem) {
  b.ignore_flags(kFlagSf | kFlagZf | kFlagAf | kFlagPf);
  set_low(b, kRax, b.pure(bits), bits);
  // The source may be rax itself (a square) or rdx (overwritten by the result).
  const Rm rm = operand(b, bits, mem, b.pure(bits));
  b.emit_sized(bits, {0xf6}, {0xf7}, digit, rm);
}

// imul r, r/m (0f af); imul r, r/m, imm (69 / 6b).
void build_imul(CaseBuilder& b, unsigned bits, int kind, bool mem) {
  b.ignore_flags(kFlagSf | kFlagZf | kFlagAf | kFlagPf);
  const Rm rm = operand(b, bits, mem, b.pure(bits));
  const int dst = b.gpr();
  if (rm.is_mem || dst != rm.reg) b.in(dst) = b.value(bits);
  if (kind == 0) {
    b.emit_sized(bits, {}, {0x0f, 0xaf}, dst, rm);
  } else if (kind == 1) {
    b.emit_sized(bits, {}, {0x69}, dst, rm, le_bytes(b.pure(32), bits == 16 ? 2 : 4));
  } else {
    b.emit_sized(bits, {}, {0x6b}, dst, rm, imm8(b.pure(8)));
  }
}

// div (/6) and idiv (/7) with the expected #DE computed exactly.
void build_div(CaseBuilder& b, unsigned bits, bool is_signed, bool mem) {
  b.ignore_flags(kFlagsArith);
  b.reserve(kRax);
  b.reserve(kRdx);
  const uint64_t m = low_mask(bits);
  const uint64_t mode = b.rng.below(8);
  const uint64_t divisor = mode == 0 ? 0 : b.pure(bits);
  const uint64_t lo = b.pure(bits);
  uint64_t hi;
  if (mode < 5 && is_signed) {
    hi = (lo & sign_bit(bits)) ? m : 0;  // like cwd/cdq/cqo: mostly fits
  } else if (mode < 5 && divisor != 0) {
    hi = b.rng.below(divisor);           // quotient fits
  } else {
    hi = b.pure(bits);                   // frequently #DE
  }
  if (bits == 8) {
    set_low(b, kRax, (hi << 8) | lo, 16);
  } else {
    set_low(b, kRax, lo, bits);
    set_low(b, kRdx, hi, bits);
  }
  const Rm rm = operand(b, bits, mem, divisor);
  b.emit_sized(bits, {0xf6}, {0xf7}, is_signed ? 7 : 6, rm);

  bool fault = divisor == 0;
  if (!fault && !is_signed) {
    const U128 dividend = (U128(hi) << bits) | lo;
    fault = dividend / divisor > m;
  } else if (!fault) {
    const I128 dividend = (I128(sext(hi, bits)) << bits) | I128(lo);
    const I128 d = sext(divisor, bits);
    const I128 max = (I128(1) << (bits - 1)) - 1;
    if (d == -1) {
      fault = dividend < -max || dividend > max + 1;  // -dividend must fit
    } else {
      const I128 q = dividend / d;
      fault = q > max || q < -max - 1;
    }
  }
  if (fault) b.expect_vector(kVectorDe);
}

}  // namespace

void register_muldiv(std::vector<Category>* out) {
  for (int digit : {4, 6, 7}) {
    static const char* const kNames[] = {"", "", "", "", "mul", "", "div", "idiv"};
    const std::string name = kNames[digit];
    std::vector<Form> forms;
    for (unsigned bits : {8u, 16u, 32u, 64u}) {
      for (bool mem : {false, true}) {
        const std::string text = name + " r/m" + bits_str(bits) + (mem ? " [mem]" : " [reg]");
        if (digit == 4) {
          forms.push_back({text, [=](CaseBuilder& b) { build_mul1(b, bits, 4, mem); }});
        } else {
          forms.push_back({text, [=](CaseBuilder& b) { build_div(b, bits, digit == 7, mem); }});
        }
      }
    }
    add_category(out, name, "muldiv", "", digit == 4 ? 300 : 450, std::move(forms));
  }
  std::vector<Form> forms;
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    const std::string sz = bits_str(bits);
    forms.push_back({"imul r/m" + sz + " [reg]",
                     [=](CaseBuilder& b) { build_mul1(b, bits, 5, false); }});
    forms.push_back({"imul r/m" + sz + " [mem]",
                     [=](CaseBuilder& b) { build_mul1(b, bits, 5, true); }});
    if (bits == 8) continue;
    const std::string ops = "imul r" + sz + ", r/m" + sz;
    forms.push_back({ops + " [reg]", [=](CaseBuilder& b) { build_imul(b, bits, 0, false); }});
    forms.push_back({ops + " [mem]", [=](CaseBuilder& b) { build_imul(b, bits, 0, true); }});
    forms.push_back({ops + ", imm", [=](CaseBuilder& b) { build_imul(b, bits, 1, false); }});
    forms.push_back({ops + ", imm8", [=](CaseBuilder& b) { build_imul(b, bits, 2, false); }});
    forms.push_back({ops + ", imm8 [mem]", [=](CaseBuilder& b) { build_imul(b, bits, 2, true); }});
  }
  add_category(out, "imul", "muldiv", "", 240, std::move(forms));
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
//
// Shifts and rotates (shl shr sar rol ror rcl rcr, by 1, CL and imm8) and
// the double shifts shld/shrd.  The flag masks follow the SDM: a masked
// count of 0 changes nothing (all flags compared), OF is defined only for
// a count of 1, AF is undefined after a shift, rotates leave SF ZF AF PF
// alone, SHL/SHR leave CF undefined once the count reaches the width.
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

enum class By { kOne, kCl, kImm };

uint64_t masked_count(uint64_t count, unsigned bits) {
  return count & (bits == 64 ? 63 : 31);
}

// digit: rol 0, ror 1, rcl 2, rcr 3, shl 4, shr 5, sal-alias 6, sar 7.
void build_shift(CaseBuilder& b, int digit, unsigned bits, By by, bool mem) {
  if (by == By::kCl) b.reserve(kRcx);  // the count must stay what we chose
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(bits / 8));
    b.put_data(b.data_offset(), b.pure(bits), bits / 8);
  } else {
    rm = reg_rm(bits == 8 ? b.gpr8() : b.gpr());
    b.in(rm.reg) = b.value(bits);
  }
  uint64_t count = 1;
  switch (by) {
    case By::kOne:
      b.emit_sized(bits, {0xd0}, {0xd1}, digit, rm);
      break;
    case By::kCl:
      count = b.count(bits);
      b.in(kRcx) = (b.in(kRcx) & ~0xffull) | count;
      b.emit_sized(bits, {0xd2}, {0xd3}, digit, rm);
      break;
    case By::kImm:
      count = b.count(bits);
      b.emit_sized(bits, {0xc0}, {0xc1}, digit, rm, imm8(count));
      break;
  }
  const uint64_t c = masked_count(count, bits);
  if (c == 0) return;
  if (c != 1) b.ignore_flags(kFlagOf);
  const bool rotate = digit < 4;
  if (!rotate) b.ignore_flags(kFlagAf);
  if ((digit == 4 || digit == 5 || digit == 6) && c >= bits) b.ignore_flags(kFlagCf);
}

void add_shift(std::vector<Category>* out, const std::string& name, int digit) {
  std::vector<Form> forms;
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    const std::string rm = " r/m" + bits_str(bits);
    forms.push_back({name + rm + ", 1",
                     [=](CaseBuilder& b) { build_shift(b, digit, bits, By::kOne, false); }});
    forms.push_back({name + rm + ", cl",
                     [=](CaseBuilder& b) { build_shift(b, digit, bits, By::kCl, false); }});
    forms.push_back({name + rm + ", imm8",
                     [=](CaseBuilder& b) { build_shift(b, digit, bits, By::kImm, false); }});
  }
  forms.push_back({name + " m16, cl [mem]",
                   [=](CaseBuilder& b) { build_shift(b, digit, 16, By::kCl, true); }});
  forms.push_back({name + " m64, imm8 [mem]",
                   [=](CaseBuilder& b) { build_shift(b, digit, 64, By::kImm, true); }});
  forms.push_back({name + " m8, 1 [mem]",
                   [=](CaseBuilder& b) { build_shift(b, digit, 8, By::kOne, true); }});
  if (digit == 4) {
    // /6 is an undocumented alias of SHL that every x86-64 CPU decodes.
    forms.push_back({"sal(/6 alias) r/m32, cl",
                     [=](CaseBuilder& b) { build_shift(b, 6, 32, By::kCl, false); }});
  }
  add_category(out, name, "shift", "", 210, std::move(forms));
}

// shld (0f a4/a5) and shrd (0f ac/ad): r/m, r, imm8|cl.
void build_double(CaseBuilder& b, bool right, unsigned bits, bool by_cl, bool mem) {
  if (by_cl) b.reserve(kRcx);
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(bits / 8));
    b.put_data(b.data_offset(), b.pure(bits), bits / 8);
  } else {
    rm = reg_rm(b.gpr());
    b.in(rm.reg) = b.value(bits);
  }
  const int src = b.gpr();
  if (src != rm.reg || rm.is_mem) b.in(src) = b.value(bits);
  uint64_t count = b.count(bits);
  // A 16-bit memory destination cannot be masked: keep its result defined.
  if (mem && bits == 16 && masked_count(count, bits) > 16) count &= 15;
  const uint8_t op = uint8_t((right ? 0xac : 0xa4) + (by_cl ? 1 : 0));
  if (by_cl) {
    b.in(kRcx) = (b.in(kRcx) & ~0xffull) | count;
    b.emit_sized(bits, {}, {0x0f, op}, src, rm);
  } else {
    b.emit_sized(bits, {}, {0x0f, op}, src, rm, imm8(count));
  }
  const uint64_t c = masked_count(count, bits);
  if (c == 0) return;
  b.ignore_flags(kFlagAf);
  if (c != 1) b.ignore_flags(kFlagOf);
  if (bits == 16 && c > 16) {
    b.ignore_flags(kFlagsArith);
    b.ignore_gpr(rm.reg);
  }
}

void add_double(std::vector<Category>* out, const std::string& name, bool right) {
  std::vector<Form> forms;
  for (unsigned bits : {16u, 32u, 64u}) {
    const std::string sz = bits_str(bits);
    const std::string ops = " r/m" + sz + ", r" + sz;
    forms.push_back({name + ops + ", imm8",
                     [=](CaseBuilder& b) { build_double(b, right, bits, false, false); }});
    forms.push_back({name + ops + ", cl",
                     [=](CaseBuilder& b) { build_double(b, right, bits, true, false); }});
    forms.push_back({name + ops + ", cl [mem]",
                     [=](CaseBuilder& b) { build_double(b, right, bits, true, true); }});
  }
  add_category(out, name, "shift", "", 360, std::move(forms));
}

}  // namespace

void register_shift(std::vector<Category>* out) {
  add_shift(out, "rol", 0);
  add_shift(out, "ror", 1);
  add_shift(out, "rcl", 2);
  add_shift(out, "rcr", 3);
  add_shift(out, "shl", 4);
  add_shift(out, "shr", 5);
  add_shift(out, "sar", 7);
  add_double(out, "shld", false);
  add_double(out, "shrd", true);
}

}  // namespace rwd::diff

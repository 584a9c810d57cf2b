// SPDX-License-Identifier: MIT
//
// Address arithmetic and condition codes: lea (every addressing shape,
// 16/32/64-bit operands, 64/32-bit addresses), mov in its encodings,
// cmovcc, setcc and the conditional branches (jcc, jrcxz, loop*), all
// sixteen conditions under random flags.
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

const char* const kCond[16] = {"o", "no", "b", "ae", "e",  "ne", "be", "a",
                               "s", "ns", "p", "np", "l", "ge", "le", "g"};

// A random addressing shape with random register values: lea computes the
// address without accessing it, so nothing needs to point anywhere.
Mem random_address(CaseBuilder& b) {
  Mem m;
  if (b.rng.chance(10)) {
    m.rip = true;
  } else {
    m.base = b.rng.chance(15) ? -1 : int(b.rng.below(16));
    if (b.rng.chance(55)) {
      do m.index = int(b.rng.below(16));
      while (m.index == kRsp);
      static const std::vector<int> kScales = {1, 2, 4, 8};
      m.scale = b.rng.pick(kScales);
    }
    m.force_disp32 = b.rng.chance(10);
    m.force_sib = b.rng.chance(10);
  }
  switch (b.rng.below(4)) {
    case 0: m.disp = 0; break;
    case 1: m.disp = int32_t(b.rng.next()); break;
    case 2: m.disp = int32_t(b.pure(32)); break;
    default: m.disp = int32_t(int8_t(b.rng.next())); break;
  }
  return m;
}

void build_lea(CaseBuilder& b, unsigned bits, bool addr32, bool reg_form) {
  const int dst = b.gpr();
  if (reg_form) {
    b.emit_sized(bits, {}, {0x8d}, dst, reg_rm(b.gpr()));
    b.expect_vector(kVectorUd);
    return;
  }
  b.emit_sized(bits, {}, {0x8d}, dst, mem_rm(random_address(b)),
               {}, addr32 ? Bytes{0x67} : Bytes{});
}

void build_cmov(CaseBuilder& b, int cc, unsigned bits, bool mem) {
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(bits / 8));
  } else {
    rm = reg_rm(b.gpr());
  }
  b.emit_sized(bits, {}, {0x0f, uint8_t(0x40 + cc)}, b.gpr(), rm);
}

void build_setcc(CaseBuilder& b, int cc, bool mem) {
  const Rm rm = mem ? mem_rm(b.mem(1)) : reg_rm(b.gpr8());
  b.emit_sized(8, {0x0f, uint8_t(0x90 + cc)}, {}, 0, rm);
}

// jcc over "inc eax": rax tells whether the branch was taken.
void build_jcc(CaseBuilder& b, int cc, bool near) {
  if (near) {
    b.emit_bytes({0x0f, uint8_t(0x80 + cc)});
    b.emit_bytes(imm32(2));
  } else {
    b.emit_bytes({uint8_t(0x70 + cc), 0x02});
  }
  b.emit_bytes({0xff, 0xc0});
}

// e0 loopne, e1 loope, e2 loop, e3 jrcxz; `addr32` uses ecx instead of rcx.
void build_loop(CaseBuilder& b, uint8_t op, bool addr32) {
  static const std::vector<uint64_t> kCounts = {0, 1, 2, 3, 0x100000000ull, 0x100000001ull,
                                                ~0ull};
  b.in(kRcx) = b.rng.pick(kCounts);
  if (addr32) b.emit_bytes({0x67});
  b.emit_bytes({op, 0x02, 0xff, 0xc0});
}

// mov: kind 0 r/m,r reg; 1 r/m,r mem; 2 r,r/m mem; 3 r/m,imm reg; 4 r/m,imm
// mem; 5 r,imm (b0/b8+r, imm64 for 64-bit); 6 load moffs; 7 store moffs.
void build_mov(CaseBuilder& b, unsigned bits, int kind) {
  const unsigned bytes = bits / 8;
  const Bytes imm = le_bytes(b.pure(bits), bits == 64 ? 4 : bytes);
  auto reg = [&] { return bits == 8 ? b.gpr8() : b.gpr(); };
  if (kind == 1 || kind == 2 || kind == 4) {
    const Rm m = mem_rm(b.mem(bytes));  // first: reserves its base register
    const uint8_t op = kind == 2 ? 0x8a : kind == 1 ? 0x88 : 0xc6;
    const int r = kind == 4 ? 0 : reg();
    b.emit_sized(bits, {op}, {uint8_t(op + 1)}, r, m, kind == 4 ? imm : Bytes{});
    return;
  }
  switch (kind) {
    case 0: {
      const int dst = reg(), src = reg();
      b.emit_sized(bits, {0x88}, {0x89}, src, reg_rm(dst));
      break;
    }
    case 3: b.emit_sized(bits, {0xc6}, {0xc7}, 0, reg_rm(reg()), imm); break;
    case 5: {
      const Bytes full = le_bytes(b.pure(bits), bytes);
      const int r = reg();
      const bool rex = bits == 8 && b.rng.chance(40);  // spl..dil instead of ah..bh
      encode_opreg(bits == 16 ? Bytes{0x66} : Bytes{}, bits == 64, {},
                   bits == 8 ? 0xb0 : 0xb8, r, full, &b.s.code, rex);
      break;
    }
    default: {
      // moffs: a 64-bit absolute address in the instruction.
      const uint64_t address = kDataAddress + 0x100 + b.rng.below(0xd00);
      b.ensure_data();
      uint8_t op = uint8_t((kind == 6 ? 0xa0 : 0xa2) + (bits == 8 ? 0 : 1));
      if (bits == 16) b.emit_bytes({0x66});
      if (bits == 64) b.emit_bytes({0x48});
      b.emit_bytes({op});
      b.emit_bytes(imm64(address));
      break;
    }
  }
}

}  // namespace

void register_cond_lea(std::vector<Category>* out) {
  std::vector<Form> lea;
  for (unsigned bits : {16u, 32u, 64u}) {
    for (bool addr32 : {false, true}) {
      lea.push_back({"lea r" + bits_str(bits) + ", m" + (addr32 ? " (addr32)" : ""),
                     [=](CaseBuilder& b) { build_lea(b, bits, addr32, false); }});
    }
  }
  lea.push_back({"lea r64, reg (#UD)", [](CaseBuilder& b) { build_lea(b, 64, false, true); }});
  add_category(out, "lea", "move", "", 900, std::move(lea));

  std::vector<Form> mov;
  static const char* const kMovKinds[] = {"r/m, r [reg]", "r/m, r [mem]", "r, r/m [mem]",
                                          "r/m, imm [reg]", "r/m, imm [mem]", "r, imm (b0/b8+r)",
                                          "acc, moffs", "moffs, acc"};
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    for (int kind = 0; kind < 8; ++kind) {
      mov.push_back({"mov " + std::string(kMovKinds[kind]) + " (" + bits_str(bits) + ")",
                     [=](CaseBuilder& b) { build_mov(b, bits, kind); }});
    }
  }
  add_category(out, "mov", "move", "", 200, std::move(mov));

  std::vector<Form> cmov, setcc, jcc;
  for (int cc = 0; cc < 16; ++cc) {
    const std::string c = kCond[cc];
    for (unsigned bits : {16u, 32u, 64u}) {
      const std::string sz = bits_str(bits);
      cmov.push_back({"cmov" + c + " r" + sz + ", r/m" + sz + " [reg]",
                      [=](CaseBuilder& b) { build_cmov(b, cc, bits, false); }});
    }
    cmov.push_back({"cmov" + c + " r32, m32 [mem]",
                    [=](CaseBuilder& b) { build_cmov(b, cc, 32, true); }});
    setcc.push_back({"set" + c + " r/m8 [reg]", [=](CaseBuilder& b) { build_setcc(b, cc, 0); }});
    setcc.push_back({"set" + c + " m8 [mem]", [=](CaseBuilder& b) { build_setcc(b, cc, 1); }});
    jcc.push_back({"j" + c + " rel8", [=](CaseBuilder& b) { build_jcc(b, cc, false); }});
    jcc.push_back({"j" + c + " rel32", [=](CaseBuilder& b) { build_jcc(b, cc, true); }});
  }
  static const char* const kLoops[] = {"loopne", "loope", "loop", "jrcxz"};
  for (int i = 0; i < 4; ++i) {
    for (bool addr32 : {false, true}) {
      jcc.push_back({std::string(kLoops[i]) + (addr32 ? " (ecx)" : " (rcx)"),
                     [=](CaseBuilder& b) { build_loop(b, uint8_t(0xe0 + i), addr32); }});
    }
  }
  add_category(out, "cmovcc", "cond", "", 200, std::move(cmov));
  add_category(out, "setcc", "cond", "", 200, std::move(setcc));
  add_category(out, "jcc", "cond", "", 200, std::move(jcc));
}

}  // namespace rwd::diff

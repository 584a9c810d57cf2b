// SPDX-License-Identifier: MIT
//
// Data movement and exchange: xchg, xadd, cmpxchg, cmpxchg8b/16b, movzx,
// movsx, movsxd and the accumulator sign extensions (cbw ... cqo).
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

// An explicit register operand whose identity does not depend on REX (no
// ah..bh) so the generator can reason about its value.
int plain_gpr(CaseBuilder& b, unsigned bits) {
  for (;;) {
    const int r = b.gpr();
    if (bits != 8 || r < 4 || r >= 8) return r;
  }
}

void set_low(CaseBuilder& b, int reg, uint64_t v, unsigned bits) {
  b.in(reg) = (b.in(reg) & ~low_mask(bits)) | (v & low_mask(bits));
}

// kind: 0 reg-reg, 1 reg-mem, 2 lock reg-mem.  op8/op: xchg 86/87, xadd
// 0f c0/c1, cmpxchg 0f b0/b1.
void build_exchange(CaseBuilder& b, const std::string& name, unsigned bits, int kind) {
  const bool is_cmpxchg = name == "cmpxchg";
  if (is_cmpxchg) b.reserve(kRax);
  uint64_t dest_value = b.pure(bits);
  Rm rm;
  if (kind != 0) {
    rm = mem_rm(b.mem(bits / 8));
    b.put_data(b.data_offset(), dest_value, bits / 8);
  } else {
    rm = reg_rm(is_cmpxchg ? plain_gpr(b, bits) : (bits == 8 ? b.gpr8() : b.gpr()));
    set_low(b, rm.reg, dest_value, bits);
  }
  const int src = is_cmpxchg ? plain_gpr(b, bits) : (bits == 8 ? b.gpr8() : b.gpr());
  if (rm.is_mem || src != rm.reg) set_low(b, src, b.pure(bits), bits);
  if (is_cmpxchg) {
    // Equal half the time, so both the store and the load path run.
    set_low(b, kRax, b.rng.chance(50) ? dest_value : b.pure(bits), bits);
  }
  Bytes op8, op;
  if (name == "xchg") {
    op8 = {0x86};
    op = {0x87};
  } else if (name == "xadd") {
    op8 = {0x0f, 0xc0};
    op = {0x0f, 0xc1};
  } else {
    op8 = {0x0f, 0xb0};
    op = {0x0f, 0xb1};
  }
  b.emit_sized(bits, op8, op, src, rm, {}, kind == 2 ? Bytes{0xf0} : Bytes{});
}

// xchg ax/eax/rax, r (90+r).  90 without REX.B is NOP, not xchg eax, eax:
// it must not clear the upper half of rax.
void build_xchg_acc(CaseBuilder& b, unsigned bits) {
  const int r = int(b.rng.below(16));
  b.in(r) = b.value(64);
  encode_opreg(bits == 16 ? Bytes{0x66} : Bytes{}, bits == 64, {}, 0x90, r, {}, &b.s.code);
}

// cmpxchg8b m64 / cmpxchg16b m128 (0f c7 /1).  16b needs 16-byte alignment.
void build_cmpxchg_wide(CaseBuilder& b, bool wide, int kind) {
  for (int r : {kRax, kRcx, kRdx, kRbx}) b.reserve(r);
  const unsigned bytes = wide ? 16 : 8;
  const unsigned half = bytes / 2;
  Rm rm;
  if (kind == 3) {  // register operand: #UD
    rm = reg_rm(b.gpr());
    b.expect_vector(kVectorUd);
  } else {
    const bool misaligned = wide && kind == 2;
    Mem m = b.mem(bytes, wide ? 16 : 1);
    if (misaligned) {
      b.in(m.base) += 8;  // not via disp: that could overflow 32 bits
      b.expect_vector(kVectorGp);
    }
    rm = mem_rm(m);
    const uint64_t off = b.data_offset() + (misaligned ? 8 : 0);
    if (b.rng.chance(50)) {
      // Make rdx:rax (edx:eax) match memory, so the store happens.
      set_low(b, kRax, b.get_data(off, half), half * 8);
      set_low(b, kRdx, b.get_data(off + half, half), half * 8);
      if (b.rng.chance(20)) b.in(kRdx) ^= 1ull << b.rng.below(half * 8);
    }
  }
  Insn insn;
  if (kind == 1) insn.prefixes = {0xf0};
  insn.rex_w = wide;
  insn.opcode = {0x0f, 0xc7};
  insn.reg = 1;
  insn.rm = rm;
  b.emit(insn);
}

// movzx/movsx r, r/m8|16 (0f b6/b7/be/bf) and movsxd (63).
void build_extend(CaseBuilder& b, uint8_t op, unsigned dst_bits, unsigned src_bits, bool mem,
                  bool rex_w = true) {
  Rm rm;
  if (mem) {
    rm = mem_rm(b.mem(src_bits / 8));
  } else {
    rm = reg_rm(src_bits == 8 ? b.gpr8() : b.gpr());
    b.in(rm.reg) = b.value(64);
  }
  const int dst = b.gpr();
  if (op == 0x63) {
    Insn insn;
    insn.rex_w = rex_w;
    insn.opcode = {0x63};
    insn.reg = dst;
    insn.rm = rm;
    b.emit(insn);
    return;
  }
  b.emit_sized(dst_bits, {}, {0x0f, op}, dst, rm);
}

}  // namespace

void register_moves(std::vector<Category>* out) {
  for (const std::string name : {"xchg", "xadd", "cmpxchg"}) {
    std::vector<Form> forms;
    for (unsigned bits : {8u, 16u, 32u, 64u}) {
      static const char* const kKinds[] = {" [reg]", " [mem]", " [lock mem]"};
      for (int kind = 0; kind < 3; ++kind) {
        const std::string sz = bits_str(bits);
        forms.push_back({name + " r/m" + sz + ", r" + sz + kKinds[kind],
                         [=](CaseBuilder& b) { build_exchange(b, name, bits, kind); }});
      }
      if (name == "xchg" && bits != 8) {
        forms.push_back({"xchg rax, r" + bits_str(bits) + " (90+r)",
                         [=](CaseBuilder& b) { build_xchg_acc(b, bits); }});
      }
    }
    add_category(out, name, "move", "", 240, std::move(forms));
  }
  add_category(out, "cmpxchg8b", "move", "", 450,
               {{"cmpxchg8b m64", [](CaseBuilder& b) { build_cmpxchg_wide(b, false, 0); }},
                {"lock cmpxchg8b m64", [](CaseBuilder& b) { build_cmpxchg_wide(b, false, 1); }},
                {"cmpxchg8b reg (#UD)", [](CaseBuilder& b) { build_cmpxchg_wide(b, false, 3); }}});
  add_category(
      out, "cmpxchg16b", "move", "cx16", 450,
      {{"cmpxchg16b m128", [](CaseBuilder& b) { build_cmpxchg_wide(b, true, 0); }},
       {"lock cmpxchg16b m128", [](CaseBuilder& b) { build_cmpxchg_wide(b, true, 1); }},
       {"cmpxchg16b misaligned (#GP)", [](CaseBuilder& b) { build_cmpxchg_wide(b, true, 2); }}});

  std::vector<Form> ext;
  for (bool mem : {false, true}) {
    const std::string where = mem ? " [mem]" : " [reg]";
    for (unsigned dst : {16u, 32u, 64u}) {
      const std::string d = std::string("r").append(bits_str(dst));
      ext.push_back({"movzx " + d + ", r/m8" + where,
                     [=](CaseBuilder& b) { build_extend(b, 0xb6, dst, 8, mem); }});
      ext.push_back({"movzx " + d + ", r/m16" + where,
                     [=](CaseBuilder& b) { build_extend(b, 0xb7, dst, 16, mem); }});
      ext.push_back({"movsx " + d + ", r/m8" + where,
                     [=](CaseBuilder& b) { build_extend(b, 0xbe, dst, 8, mem); }});
      ext.push_back({"movsx " + d + ", r/m16" + where,
                     [=](CaseBuilder& b) { build_extend(b, 0xbf, dst, 16, mem); }});
    }
    ext.push_back({"movsxd r64, r/m32" + where,
                   [=](CaseBuilder& b) { build_extend(b, 0x63, 64, 32, mem); }});
    ext.push_back({"movsxd r32, r/m32 (no REX.W)" + where,
                   [=](CaseBuilder& b) { build_extend(b, 0x63, 32, 32, mem, false); }});
  }
  add_category(out, "movzx_movsx", "move", "", 200, std::move(ext));

  // 98/99 with operand size 16/32/64: cbw cwde cdqe, cwd cdq cqo.
  std::vector<Form> conv;
  static const char* const kConv[2][3] = {{"cbw", "cwde", "cdqe"}, {"cwd", "cdq", "cqo"}};
  for (int op = 0; op < 2; ++op) {
    for (int size = 0; size < 3; ++size) {
      conv.push_back({kConv[op][size], [=](CaseBuilder& b) {
                        b.in(kRax) = b.value(64);
                        if (size == 0) b.emit_bytes({0x66});
                        if (size == 2) b.emit_bytes({0x48});
                        b.emit_bytes({uint8_t(0x98 + op)});
                      }});
    }
  }
  add_category(out, "cbw_cwd", "move", "", 300, std::move(conv));
}

}  // namespace rwd::diff

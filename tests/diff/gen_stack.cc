// SPDX-License-Identifier: MIT
//
// Stack and flag instructions: push/pop (registers including rsp, 16-bit
// forms, immediates, memory operands addressed through rsp), short
// push/pop sequences, pushf/popf, lahf/sahf, clc stc cmc cld std, and the
// multi-byte and hint NOPs.
#include "tests/diff/compare.h"
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

// A random stack page and a stack pointer well inside it (sometimes not
// 8-aligned: nothing requires alignment at CPL 3 without AC).
void random_stack(CaseBuilder& b) {
  b.s.stack_init.resize(kStackSize);
  for (size_t i = 0; i < kStackSize; ++i) b.s.stack_init[i] = uint8_t(b.rng.next());
  uint64_t offset = 0x400 + 8 * b.rng.below(0x100);
  if (b.rng.chance(15)) offset += 1 + b.rng.below(7);
  b.in(kRsp) = kStackAddress + offset;
}

// One push or pop of a random kind; any register including rsp.
void emit_push_pop(CaseBuilder& b, int kind) {
  const int r = int(b.rng.below(16));
  switch (kind) {
    case 0: encode_opreg({}, false, {}, 0x50, r, {}, &b.s.code); break;        // push r64
    case 1: encode_opreg({}, false, {}, 0x58, r, {}, &b.s.code); break;        // pop r64
    case 2: encode_opreg({0x66}, false, {}, 0x50, r, {}, &b.s.code); break;    // push r16
    case 3: encode_opreg({0x66}, false, {}, 0x58, r, {}, &b.s.code); break;    // pop r16
    case 4: b.emit_bytes({0x6a, uint8_t(b.pure(8))}); break;                   // push imm8
    case 5: b.emit_bytes({0x68}); b.emit_bytes(imm32(b.pure(32))); break;      // push imm32
    case 6: b.emit_bytes({0x66, 0x68}); b.emit_bytes(imm16(b.pure(16))); break;  // push imm16
    default: {
      // push/pop [rsp+disp]: push reads before, pop writes after moving rsp.
      Mem m;
      m.base = kRsp;
      m.disp = int32_t(8 * (int64_t(b.rng.below(17)) - 8));
      Insn insn;
      insn.opcode = {uint8_t(kind == 7 ? 0xff : 0x8f)};
      insn.reg = kind == 7 ? 6 : 0;
      insn.rm = mem_rm(m);
      b.emit(insn);
      break;
    }
  }
}

void build_push_pop(CaseBuilder& b, int kind) {
  random_stack(b);
  if (kind >= 0) {
    emit_push_pop(b, kind);
    return;
  }
  // A short sequence mixing all kinds (but pop rsp only last, or the
  // following pushes would leave the page).
  const int n = 2 + int(b.rng.below(5));
  for (int i = 0; i < n; ++i) {
    const size_t before = b.s.code.size();
    emit_push_pop(b, int(b.rng.below(9)));
    const uint8_t last = b.s.code.back();
    const bool pops_rsp = (last == 0x5c && (b.s.code.size() - before == 1 ||
                                            b.s.code[b.s.code.size() - 2] == 0x66));
    if (pops_rsp && i + 1 < n) b.s.code.resize(before);
  }
}

// pushf(q) 9c, popf(q) 9d; 16-bit with 66.  POPF at CPL 3 cannot change IF
// or IOPL and always clears RF/VM: a random image checks all of that.
void build_pushf_popf(CaseBuilder& b, bool pop, bool o16) {
  random_stack(b);
  // Arithmetic flags, DF, NT, AC, ID and the ones CPL 3 cannot change.
  b.s.input.rflags |= b.rng.next() & (kFlagDf | kFlagAc | kFlagId | (1u << 14));
  // Linux runs user code with CR0.AM=1: with AC set, a misaligned push or
  // pop would be #AC, which is not what this category is about.
  b.in(kRsp) &= ~7ull;
  if (pop) {
    // TF would trap after the popf: that is a different test.
    const uint64_t image = b.rng.next() & ~uint64_t(kFlagTf);
    const uint64_t at = b.in(kRsp) - kStackAddress;
    for (unsigned i = 0; i < 8; ++i) b.s.stack_init[at + i] = uint8_t(image >> (8 * i));
    b.s.flags_mask = 0x3fffff & ~uint64_t(kFlagTf);
  }
  if (o16) b.emit_bytes({0x66});
  b.emit_bytes({uint8_t(pop ? 0x9d : 0x9c)});
}

// sahf loads SF ZF AF PF CF from ah; lahf stores them (plus bit 1) in ah.
void build_flag_op(CaseBuilder& b, uint8_t op) {
  b.s.input.rflags |= b.rng.next() & kFlagDf;
  b.emit_bytes({op});
}

const std::vector<Bytes>& nop_encodings() {
  static const std::vector<Bytes> kNops = {
      {0x90},
      {0x66, 0x90},
      {0xf3, 0x90},  // pause
      {0x0f, 0x1f, 0x00},
      {0x0f, 0x1f, 0x40, 0x00},
      {0x0f, 0x1f, 0x44, 0x00, 0x00},
      {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
      {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
      {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
  };
  return kNops;
}

// 0f 1f /0 (nop r/m) and 0f 18 /0-3 (prefetch) never access memory
// architecturally, so any address works, mapped or not.
void build_hint_nop(CaseBuilder& b, bool prefetch) {
  Insn insn;
  insn.opcode = {0x0f, uint8_t(prefetch ? 0x18 : 0x1f)};
  insn.reg = prefetch ? int(b.rng.below(4)) : 0;
  Mem m;
  m.base = int(b.rng.below(16));
  if (b.rng.chance(50)) m.index = b.rng.chance(50) ? kRbx : kR12;
  m.disp = int32_t(b.rng.next());
  insn.rm = b.rng.chance(20) && !prefetch ? reg_rm(int(b.rng.below(16))) : mem_rm(m);
  insn.rex_w = b.rng.chance(20);
  if (b.rng.chance(30) && !prefetch) insn.prefixes = {0x66};
  b.emit(insn);
}

// RFLAGS.AC with CR0.AM=1 (as Linux sets it) at CPL 3: misaligned data
// accesses raise #AC (SDM Vol. 3 §6.15, vector 17); aligned ones and any
// access with AC clear do not.
void build_alignment(CaseBuilder& b, int kind) {
  const bool ac = kind != 1;
  b.s.input.rflags = (b.s.input.rflags & ~uint64_t(kFlagAc)) | (ac ? kFlagAc : 0);
  if (kind == 3) {  // misaligned stack pointer: the push itself faults
    random_stack(b);
    b.in(kRsp) = (b.in(kRsp) & ~7ull) + 4;
    b.emit_bytes({0x50});
    b.expect_vector(kVectorAc);
    return;
  }
  const bool misaligned = kind != 2;
  Mem m = b.mem(8, 8);
  if (misaligned) b.in(m.base) += 1 + b.rng.below(7);
  if (misaligned && ac) b.expect_vector(kVectorAc);
  b.emit_sized(64, {}, {0x8b}, b.gpr(), mem_rm(m));
}

}  // namespace

void register_stack(std::vector<Category>* out) {
  static const char* const kKinds[] = {"push r64",   "pop r64",     "push r16",
                                       "pop r16",    "push imm8",   "push imm32",
                                       "push imm16", "push [rsp+d]", "pop [rsp+d]"};
  std::vector<Form> forms;
  for (int kind = 0; kind < 9; ++kind)
    forms.push_back({kKinds[kind], [=](CaseBuilder& b) { build_push_pop(b, kind); }});
  forms.push_back({"push/pop sequence", [](CaseBuilder& b) { build_push_pop(b, -1); }});
  add_category(out, "push_pop", "stack", "", 450, std::move(forms));

  add_category(out, "pushf_popf", "stack", "", 750,
               {{"pushfq", [](CaseBuilder& b) { build_pushf_popf(b, false, false); }},
                {"popfq", [](CaseBuilder& b) { build_pushf_popf(b, true, false); }},
                {"pushf (o16)", [](CaseBuilder& b) { build_pushf_popf(b, false, true); }},
                {"popf (o16)", [](CaseBuilder& b) { build_pushf_popf(b, true, true); }}});

  std::vector<Form> flag_ops;
  static const std::pair<const char*, uint8_t> kFlagOps[] = {
      {"clc", 0xf8}, {"stc", 0xf9}, {"cmc", 0xf5}, {"cld", 0xfc}, {"std", 0xfd}};
  for (const auto& [name, op] : kFlagOps) {
    const uint8_t code = op;
    flag_ops.push_back({name, [=](CaseBuilder& b) { build_flag_op(b, code); }});
  }
  add_category(out, "flag_ops", "misc", "", 300, std::move(flag_ops));
  add_category(out, "alignment_check", "misc", "", 200,
               {{"AC=1: misaligned load (#AC)", [](CaseBuilder& b) { build_alignment(b, 0); }},
                {"AC=0: misaligned load", [](CaseBuilder& b) { build_alignment(b, 1); }},
                {"AC=1: aligned load", [](CaseBuilder& b) { build_alignment(b, 2); }},
                {"AC=1: misaligned push (#AC)", [](CaseBuilder& b) { build_alignment(b, 3); }}});
  add_category(out, "lahf_sahf", "misc", "lahf_lm", 750,
               {{"lahf", [](CaseBuilder& b) { build_flag_op(b, 0x9f); }},
                {"sahf", [](CaseBuilder& b) { build_flag_op(b, 0x9e); }}});

  std::vector<Form> nops;
  for (size_t i = 0; i < nop_encodings().size(); ++i) {
    nops.push_back({"nop " + hex_bytes(nop_encodings()[i].data(), nop_encodings()[i].size()),
                    [=](CaseBuilder& b) { b.emit_bytes(nop_encodings()[i]); }});
  }
  nops.push_back({"nop r/m (0f 1f /0, any operand)",
                  [](CaseBuilder& b) { build_hint_nop(b, false); }});
  nops.push_back({"prefetch (0f 18 /0-3, any address)",
                  [](CaseBuilder& b) { build_hint_nop(b, true); }});
  add_category(out, "nop", "misc", "", 200, std::move(nops));
}

}  // namespace rwd::diff

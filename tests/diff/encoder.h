// SPDX-License-Identifier: MIT
//
// A small x86-64 instruction encoder for the snippet generator.  It knows
// only the general shape of an instruction ([prefixes] [REX] opcode [ModRM
// [SIB] [disp]] [imm]); which opcode means what is the generator's business.
// Keeping the encoder independent of any assembler means the bytes under
// test are exactly the ones the generator chose (including encodings an
// assembler would never pick, such as disp32 for a small displacement).
#ifndef REWIND_TESTS_DIFF_ENCODER_H_
#define REWIND_TESTS_DIFF_ENCODER_H_

#include <cstdint>
#include <vector>

namespace rwd::diff {

using Bytes = std::vector<uint8_t>;

// A memory operand [base + index*scale + disp] or [rip + disp].
struct Mem {
  int base = -1;    // GPR number, -1 = no base (SIB with disp32)
  int index = -1;   // GPR number other than rsp, -1 = no index
  int scale = 1;    // 1, 2, 4 or 8
  int32_t disp = 0;
  bool rip = false;          // RIP-relative (base/index ignored)
  bool force_disp32 = false; // encode disp as 32 bits even if it fits in 8
  bool force_sib = false;    // use a SIB byte even when none is needed
};

// The r/m operand of a ModRM instruction: a register or memory.
struct Rm {
  bool is_mem = false;
  int reg = 0;  // register number when !is_mem
  Mem mem;
};

inline Rm reg_rm(int reg) { return Rm{false, reg, {}}; }
inline Rm mem_rm(const Mem& mem) { return Rm{true, 0, mem}; }

// One ModRM-form instruction.
struct Insn {
  Bytes prefixes;      // legacy and mandatory prefixes, emitted in this order
  bool rex_w = false;  // REX.W
  bool force_rex = false;  // emit a REX even if empty (spl/bpl/sil/dil)
  Bytes opcode;        // e.g. {0x0f, 0xaf}
  int reg = 0;         // ModRM.reg: a register or an opcode extension (/digit)
  Rm rm;
  Bytes imm;           // immediate bytes, after the displacement
};

// Appends the encoding of `insn` to `out`.
void encode(const Insn& insn, Bytes* out);

// Appends an instruction whose register is in the low 3 opcode bits
// (push/pop r, bswap, mov r, imm, xchg rax, r): [prefixes] [REX] [escape
// bytes] (opcode + reg&7) [imm].
void encode_opreg(const Bytes& prefixes, bool rex_w, const Bytes& escape, uint8_t opcode,
                  int reg, const Bytes& imm, Bytes* out, bool force_rex = false);

// Little-endian immediates.
Bytes le_bytes(uint64_t value, unsigned size);
inline Bytes imm8(uint64_t v) { return le_bytes(v, 1); }
inline Bytes imm16(uint64_t v) { return le_bytes(v, 2); }
inline Bytes imm32(uint64_t v) { return le_bytes(v, 4); }
inline Bytes imm64(uint64_t v) { return le_bytes(v, 8); }

inline void append(Bytes* out, const Bytes& more) {
  out->insert(out->end(), more.begin(), more.end());
}

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_ENCODER_H_

// SPDX-License-Identifier: MIT
#include "tests/diff/encoder.h"

#include <stdexcept>

namespace rwd::diff {
namespace {

bool fits_int8(int32_t v) { return v >= -128 && v <= 127; }

uint8_t scale_bits(int scale) {
  switch (scale) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
  }
  throw std::invalid_argument("encode: bad SIB scale");
}

// ModRM (+SIB, +disp) for `rm` with ModRM.reg = reg&7.  Returns the REX.X
// and REX.B bits the operand needs.
uint8_t emit_modrm(int reg, const Rm& rm, Bytes* out) {
  const uint8_t r = uint8_t((reg & 7) << 3);
  if (!rm.is_mem) {
    out->push_back(uint8_t(0xc0 | r | (rm.reg & 7)));
    return rm.reg >= 8 ? 0x01 : 0;
  }
  const Mem& m = rm.mem;
  if (m.rip) {
    out->push_back(uint8_t(0x05 | r));
    append(out, le_bytes(uint32_t(m.disp), 4));
    return 0;
  }
  if (m.index == 4) throw std::invalid_argument("encode: rsp cannot be an index");
  uint8_t rex = 0;
  const bool need_sib = m.force_sib || m.index >= 0 || m.base < 0 || (m.base & 7) == 4;
  // mod selects the displacement size; no base forces mod=00 + disp32, and
  // rbp/r13 as base have no disp-less encoding (that slot means "no base").
  uint8_t mod;
  if (m.base < 0) {
    mod = 0;
  } else if (m.disp == 0 && !m.force_disp32 && (m.base & 7) != 5) {
    mod = 0;
  } else if (fits_int8(m.disp) && !m.force_disp32) {
    mod = 1;
  } else {
    mod = 2;
  }
  if (need_sib) {
    out->push_back(uint8_t((mod << 6) | r | 4));
    const int index = m.index < 0 ? 4 : m.index;
    const int base = m.base < 0 ? 5 : m.base;
    out->push_back(uint8_t((scale_bits(m.index < 0 ? 1 : m.scale) << 6) | ((index & 7) << 3) |
                           (base & 7)));
    if (m.index >= 8) rex |= 0x02;
    if (m.base >= 8) rex |= 0x01;
  } else {
    out->push_back(uint8_t((mod << 6) | r | (m.base & 7)));
    if (m.base >= 8) rex |= 0x01;
  }
  if (m.base < 0 || mod == 2) {
    append(out, le_bytes(uint32_t(m.disp), 4));
  } else if (mod == 1) {
    out->push_back(uint8_t(m.disp));
  }
  return rex;
}

}  // namespace

Bytes le_bytes(uint64_t value, unsigned size) {
  Bytes out(size);
  for (unsigned i = 0; i < size; ++i) out[i] = uint8_t(value >> (8 * i));
  return out;
}

void encode(const Insn& insn, Bytes* out) {
  Bytes tail;  // ModRM onwards; its REX bits are known only afterwards
  uint8_t rex = emit_modrm(insn.reg, insn.rm, &tail);
  if (insn.reg >= 8) rex |= 0x04;
  if (insn.rex_w) rex |= 0x08;
  append(out, insn.prefixes);
  if (rex != 0 || insn.force_rex) out->push_back(uint8_t(0x40 | rex));
  append(out, insn.opcode);
  append(out, tail);
  append(out, insn.imm);
}

void encode_opreg(const Bytes& prefixes, bool rex_w, const Bytes& escape, uint8_t opcode,
                  int reg, const Bytes& imm, Bytes* out, bool force_rex) {
  uint8_t rex = (rex_w ? 0x08 : 0) | (reg >= 8 ? 0x01 : 0);
  append(out, prefixes);
  if (rex != 0 || force_rex) out->push_back(uint8_t(0x40 | rex));
  append(out, escape);
  out->push_back(uint8_t(opcode + (reg & 7)));
  append(out, imm);
}

}  // namespace rwd::diff

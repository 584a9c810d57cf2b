// SPDX-License-Identifier: MIT
// A decoded instruction in the form the semantics consume: Zydis' output reduced to what
// execution needs, with the handler chosen once at decode time. Both tiers start from this.
#pragma once

#include <cstdint>

namespace rwd {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

enum class OperandKind : uint8_t { kNone, kReg, kMem, kImm, kPtr };

// Register classes for kReg operands. kGpr8High is AH/CH/DH/BH (index 0..3 = the GPR whose bits
// 15:8 are meant).
enum class RegClass : uint8_t { kGpr, kGpr8High, kSeg, kCr, kDr, kXmm, kMmx, kSt, kOther };

constexpr uint8_t kNoReg = 0xff;
constexpr uint8_t kRipBase = 16;  // base register value meaning RIP-relative

struct Operand {
  OperandKind kind = OperandKind::kNone;
  uint8_t size = 0;  // in bytes (register or memory access width; 10 for m80, 16 for xmm)
  RegClass reg_class = RegClass::kGpr;
  uint8_t reg = 0;   // kReg: index within its class
  uint8_t seg = 0;   // kMem: effective segment (after overrides)
  uint8_t base = kNoReg, index = kNoReg, scale = 0;  // kMem
  uint16_t ptr_selector = 0;  // kPtr: far pointer selector
  int64_t value = 0;          // kMem: displacement; kImm: immediate; kPtr: offset
};

namespace insn_flags {
constexpr uint8_t kRep = 1, kRepne = 2, kLock = 4;
constexpr uint8_t kEndsBlock = 8;  // control transfer or state change: the block ends after it
constexpr uint8_t kFar = 16;       // far JMP/CALL/RET
}  // namespace insn_flags

struct Insn {
  Handler handler = nullptr;
  uint16_t mnemonic = 0;   // ZydisMnemonic
  uint8_t length = 0;
  uint8_t op_size = 0;     // effective operand size in bytes (2, 4 or 8)
  uint8_t addr_size = 0;   // effective address size in bytes (2, 4 or 8)
  uint8_t flags = 0;       // insn_flags
  uint8_t num_ops = 0;     // visible operands
  uint8_t string_seg = 0;  // source segment of string instructions (DS unless overridden)
  uint8_t opcode = 0;      // last opcode byte (some handlers need it, e.g. x87 groups)
  uint8_t modrm_reg = 0;   // ModRM.reg field
  uint8_t modrm = 0;       // the whole ModRM byte (x87: register forms and the FOP register)
  uint8_t pad_ = 0;
  Operand op[4];
};

}  // namespace rwd

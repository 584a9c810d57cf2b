// SPDX-License-Identifier: MIT
#include "jit/decode/decoder.h"

#include "base/check.h"
#include "jit/cpu_model.h"
#include "jit/semantics/table.h"
#include "jit/state.h"

namespace rwd {
namespace {

// Maps a Zydis register to (class, index, size in bytes). Returns false for registers the
// semantics never see as explicit operands.
bool map_register(ZydisRegister r, RegClass* cls, uint8_t* index, uint8_t* size) {
  auto in = [r](ZydisRegister first, ZydisRegister last) { return r >= first && r <= last; };
  if (in(ZYDIS_REGISTER_AH, ZYDIS_REGISTER_BH)) {
    *cls = RegClass::kGpr8High;
    *index = uint8_t(r - ZYDIS_REGISTER_AH);
    *size = 1;
  } else if (in(ZYDIS_REGISTER_AL, ZYDIS_REGISTER_BL)) {
    *cls = RegClass::kGpr;
    *index = uint8_t(r - ZYDIS_REGISTER_AL);
    *size = 1;
  } else if (in(ZYDIS_REGISTER_SPL, ZYDIS_REGISTER_R15B)) {
    *cls = RegClass::kGpr;
    *index = uint8_t(r - ZYDIS_REGISTER_SPL + 4);
    *size = 1;
  } else if (in(ZYDIS_REGISTER_AX, ZYDIS_REGISTER_R15W)) {
    *cls = RegClass::kGpr;
    *index = uint8_t(r - ZYDIS_REGISTER_AX);
    *size = 2;
  } else if (in(ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_R15D)) {
    *cls = RegClass::kGpr;
    *index = uint8_t(r - ZYDIS_REGISTER_EAX);
    *size = 4;
  } else if (in(ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_R15)) {
    *cls = RegClass::kGpr;
    *index = uint8_t(r - ZYDIS_REGISTER_RAX);
    *size = 8;
  } else if (in(ZYDIS_REGISTER_ST0, ZYDIS_REGISTER_ST7)) {
    *cls = RegClass::kSt;
    *index = uint8_t(r - ZYDIS_REGISTER_ST0);
    *size = 10;
  } else if (in(ZYDIS_REGISTER_MM0, ZYDIS_REGISTER_MM7)) {
    *cls = RegClass::kMmx;
    *index = uint8_t(r - ZYDIS_REGISTER_MM0);
    *size = 8;
  } else if (in(ZYDIS_REGISTER_XMM0, ZYDIS_REGISTER_XMM15)) {
    *cls = RegClass::kXmm;
    *index = uint8_t(r - ZYDIS_REGISTER_XMM0);
    *size = 16;
  } else if (in(ZYDIS_REGISTER_ES, ZYDIS_REGISTER_GS)) {
    *cls = RegClass::kSeg;
    *index = uint8_t(r - ZYDIS_REGISTER_ES);
    *size = 2;
  } else if (in(ZYDIS_REGISTER_CR0, ZYDIS_REGISTER_CR15)) {
    *cls = RegClass::kCr;
    *index = uint8_t(r - ZYDIS_REGISTER_CR0);
    *size = 8;
  } else if (in(ZYDIS_REGISTER_DR0, ZYDIS_REGISTER_DR15)) {
    *cls = RegClass::kDr;
    *index = uint8_t(r - ZYDIS_REGISTER_DR0);
    *size = 8;
  } else {
    *cls = RegClass::kOther;
    *index = 0;
    *size = 0;
    return false;
  }
  return true;
}

uint8_t map_base(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return kNoReg;
  if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP || r == ZYDIS_REGISTER_IP)
    return kRipBase;
  RegClass cls;
  uint8_t index, size;
  if (!map_register(r, &cls, &index, &size) || cls != RegClass::kGpr) return kNoReg;
  return index;
}

uint8_t map_segment(ZydisRegister r) {
  if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return uint8_t(r - ZYDIS_REGISTER_ES);
  return kDs;
}

// Is the instruction part of what this CPU model implements? Everything else is #UD.
bool supported(const ZydisDecodedInstruction& z, const CpuFeatures& f) {
  if (z.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) return false;  // VEX, EVEX, XOP, 3DNow!
  // ENDBR32/64 sit in the hint-NOP space: CPUs without CET execute them as NOPs (CET-enabled
  // binaries, e.g. Debian's busybox, start every function with one).
  if (z.mnemonic == ZYDIS_MNEMONIC_ENDBR32 || z.mnemonic == ZYDIS_MNEMONIC_ENDBR64) return true;
  switch (z.meta.isa_set) {
    case ZYDIS_ISA_SET_SSE3:
    case ZYDIS_ISA_SET_SSE3X87: return f.sse3;
    case ZYDIS_ISA_SET_SSSE3:
    case ZYDIS_ISA_SET_SSSE3MMX: return f.ssse3;
    case ZYDIS_ISA_SET_SSE4: return f.sse41;
    case ZYDIS_ISA_SET_POPCNT: return f.popcnt;
    case ZYDIS_ISA_SET_LZCNT: return f.lzcnt;
    case ZYDIS_ISA_SET_BMI1: return f.bmi1;
    case ZYDIS_ISA_SET_RDTSCP: return f.rdtscp;
    case ZYDIS_ISA_SET_CMPXCHG16B: return f.cx16;
    default: break;
  }
  switch (z.meta.isa_ext) {
    case ZYDIS_ISA_EXT_BASE:
    case ZYDIS_ISA_EXT_LONGMODE:
    case ZYDIS_ISA_EXT_X87:
    case ZYDIS_ISA_EXT_MMX:
    case ZYDIS_ISA_EXT_SSE:
    case ZYDIS_ISA_EXT_SSE2:
    case ZYDIS_ISA_EXT_PAUSE:
    case ZYDIS_ISA_EXT_CLFSH: return true;
    case ZYDIS_ISA_EXT_RDRAND: return f.rdrand;
    default: return false;
  }
}

}  // namespace

Decoder::Decoder(const CpuFeatures& features) : features_(features) {
  static const std::pair<ZydisMachineMode, ZydisStackWidth> kModes[3] = {
      {ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16},
      {ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},
      {ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},
  };
  for (int i = 0; i < 3; i++) {
    REWIND_CHECK(ZYAN_SUCCESS(ZydisDecoderInit(&decoders_[i], kModes[i].first, kModes[i].second)));
    // Without LZCNT/TZCNT the F3-prefixed encodings are BSR/BSF, as on a real Core 2.
    ZydisDecoderEnableMode(&decoders_[i], ZYDIS_DECODER_MODE_LZCNT, features.lzcnt);
    ZydisDecoderEnableMode(&decoders_[i], ZYDIS_DECODER_MODE_TZCNT, features.bmi1);
  }
}

bool Decoder::decode(CodeSize size, const uint8_t* bytes, size_t available, Insn* out,
                     bool* needs_more) const {
  *needs_more = false;
  ZydisDecodedInstruction z;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  ZyanStatus status =
      ZydisDecoderDecodeFull(&decoders_[int(size)], bytes, available, &z, ops);
  if (status == ZYDIS_STATUS_NO_MORE_DATA) {
    *needs_more = available < 15;
    return false;
  }
  if (!ZYAN_SUCCESS(status)) return false;
  if (!supported(z, features_)) return false;

  Insn insn;
  insn.mnemonic = uint16_t(z.mnemonic);
  insn.length = z.length;
  insn.op_size = uint8_t(z.operand_width / 8);
  insn.addr_size = uint8_t(z.address_width / 8);
  insn.opcode = z.opcode;
  insn.modrm_reg = z.raw.modrm.reg;
  insn.modrm = uint8_t(z.raw.modrm.mod << 6 | z.raw.modrm.reg << 3 | z.raw.modrm.rm);
  if (z.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) insn.flags |= insn_flags::kRep;
  if (z.attributes & ZYDIS_ATTRIB_HAS_REPNE) insn.flags |= insn_flags::kRepne;
  if (z.attributes & ZYDIS_ATTRIB_HAS_LOCK) insn.flags |= insn_flags::kLock;
  insn.string_seg = kDs;
  if (z.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_ES) insn.string_seg = kEs;
  if (z.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_CS) insn.string_seg = kCs;
  if (z.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_SS) insn.string_seg = kSs;
  if (z.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS) insn.string_seg = kFs;
  if (z.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS) insn.string_seg = kGs;
  if (z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) insn.flags |= insn_flags::kFar;
  switch (z.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_SYSTEM:
    case ZYDIS_CATEGORY_IO:
    case ZYDIS_CATEGORY_IOSTRINGOP: insn.flags |= insn_flags::kEndsBlock; break;
    default: break;
  }

  unsigned n = 0;
  for (unsigned i = 0; i < z.operand_count_visible && n < 4; i++) {
    const ZydisDecodedOperand& zo = ops[i];
    Operand& o = insn.op[n];
    switch (zo.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER: {
        o.kind = OperandKind::kReg;
        uint8_t size;
        map_register(zo.reg.value, &o.reg_class, &o.reg, &size);
        o.size = size;
        break;
      }
      case ZYDIS_OPERAND_TYPE_MEMORY:
        o.kind = OperandKind::kMem;
        o.size = uint8_t(zo.size / 8);
        o.seg = map_segment(zo.mem.segment);
        o.base = map_base(zo.mem.base);
        o.index = map_base(zo.mem.index);
        o.scale = zo.mem.scale;
        o.value = zo.mem.disp.has_displacement ? zo.mem.disp.value : 0;
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o.kind = OperandKind::kImm;
        o.size = uint8_t(zo.size / 8);
        o.value = zo.imm.is_signed ? zo.imm.value.s : int64_t(zo.imm.value.u);
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        o.kind = OperandKind::kPtr;
        o.size = uint8_t(zo.size / 8);
        o.ptr_selector = zo.ptr.segment;
        o.value = zo.ptr.offset;
        break;
      default: continue;
    }
    n++;
  }
  insn.num_ops = uint8_t(n);
  insn.handler = select_handler(insn);
  *out = insn;
  return true;
}

}  // namespace rwd

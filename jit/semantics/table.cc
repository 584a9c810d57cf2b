// SPDX-License-Identifier: MIT
// Mnemonic → semantic handler. Written as data-like switch cases: one line per instruction
// (dynarmic's decode tables in spirit). Anything not listed raises #UD and is logged when
// decoded, so a missing instruction is loud, never silently wrong.
#include "jit/semantics/table.h"

#include <Zydis/Zydis.h>

#include "base/log.h"
#include "jit/semantics/control.h"
#include "jit/semantics/integer.h"
#include "jit/semantics/string.h"
#include "jit/semantics/system.h"

namespace rwd {
namespace {

using namespace sem;

Handler by_size(unsigned n, Handler b1, Handler b2, Handler b4, Handler b8) {
  switch (n) {
    case 1: return b1;
    case 2: return b2;
    case 4: return b4;
    case 8: return b8;
    default: return nullptr;
  }
}
#define SIZED(fn, n) by_size(n, &fn<1>, &fn<2>, &fn<4>, &fn<8>)
#define SIZED_NO8BIT(fn, n) by_size(n, nullptr, &fn<2>, &fn<4>, &fn<8>)

template <StrOp kOp>
Handler string_handler(const Insn& i) {
  // The element size is the size of the memory operand (or of AL/AX/EAX/RAX).
  unsigned n = 0;
  for (unsigned k = 0; k < i.num_ops; k++)
    if (i.op[k].size) n = i.op[k].size;
  if (kOp == StrOp::kIns || kOp == StrOp::kOuts) n = i.op[0].kind == OperandKind::kMem ? i.op[0].size : i.op[1].size;
  return by_size(n, &string_op<kOp, 1>, &string_op<kOp, 2>, &string_op<kOp, 4>,
                 &string_op<kOp, 8>);
}

void unimplemented(Cpu& c, const Insn&) { c.raise(vec::kUd); }

// Picks the operand-kind specialisation of an ALU instruction, or the generic form.
template <AluOp kOp, unsigned N>
Handler alu_by_kinds(const Insn& i) {
  using K = OperandKind;
  const K k0 = i.op[0].kind, k1 = i.op[1].kind;
  if (k0 == K::kReg && (i.op[0].reg_class == RegClass::kGpr ||
                        (N == 1 && i.op[0].reg_class == RegClass::kGpr8High))) {
    if (k1 == K::kReg) return &alu_k<kOp, N, K::kReg, K::kReg>;
    if (k1 == K::kMem) return &alu_k<kOp, N, K::kReg, K::kMem>;
    if (k1 == K::kImm) return &alu_k<kOp, N, K::kReg, K::kImm>;
  } else if (k0 == K::kMem) {
    if (k1 == K::kReg) return &alu_k<kOp, N, K::kMem, K::kReg>;
    if (k1 == K::kImm) return &alu_k<kOp, N, K::kMem, K::kImm>;
  }
  return &alu<kOp, N>;
}
template <AluOp kOp>
Handler alu_handler(const Insn& i) {
  switch (i.op[0].size) {
    case 1: return alu_by_kinds<kOp, 1>(i);
    case 2: return alu_by_kinds<kOp, 2>(i);
    case 4: return alu_by_kinds<kOp, 4>(i);
    case 8: return alu_by_kinds<kOp, 8>(i);
    default: return nullptr;
  }
}

template <unsigned N>
Handler mov_by_kinds(const Insn& i) {
  using K = OperandKind;
  const K k0 = i.op[0].kind, k1 = i.op[1].kind;
  const bool r0 = k0 == K::kReg && (i.op[0].reg_class == RegClass::kGpr ||
                                    (N == 1 && i.op[0].reg_class == RegClass::kGpr8High));
  const bool r1 = k1 == K::kReg && (i.op[1].reg_class == RegClass::kGpr ||
                                    (N == 1 && i.op[1].reg_class == RegClass::kGpr8High));
  if (r0 && r1) return &mov_k<N, K::kReg, K::kReg>;
  if (r0 && k1 == K::kMem) return &mov_k<N, K::kReg, K::kMem>;
  if (r0 && k1 == K::kImm) return &mov_k<N, K::kReg, K::kImm>;
  if (k0 == K::kMem && r1) return &mov_k<N, K::kMem, K::kReg>;
  if (k0 == K::kMem && k1 == K::kImm) return &mov_k<N, K::kMem, K::kImm>;
  return &mov<N>;
}

Handler select_integer(const Insn& i) {
  const unsigned n = i.num_ops ? i.op[0].size : i.op_size;
  switch (ZydisMnemonic(i.mnemonic)) {
    case ZYDIS_MNEMONIC_ADD: return alu_handler<AluOp::kAdd>(i);
    case ZYDIS_MNEMONIC_ADC: return alu_handler<AluOp::kAdc>(i);
    case ZYDIS_MNEMONIC_SUB: return alu_handler<AluOp::kSub>(i);
    case ZYDIS_MNEMONIC_SBB: return alu_handler<AluOp::kSbb>(i);
    case ZYDIS_MNEMONIC_CMP: return alu_handler<AluOp::kCmp>(i);
    case ZYDIS_MNEMONIC_AND: return alu_handler<AluOp::kAnd>(i);
    case ZYDIS_MNEMONIC_OR: return alu_handler<AluOp::kOr>(i);
    case ZYDIS_MNEMONIC_XOR: return alu_handler<AluOp::kXor>(i);
    case ZYDIS_MNEMONIC_TEST: return alu_handler<AluOp::kTest>(i);
    case ZYDIS_MNEMONIC_INC: return SIZED(inc, n);
    case ZYDIS_MNEMONIC_DEC: return SIZED(dec, n);
    case ZYDIS_MNEMONIC_NEG: return SIZED(neg, n);
    case ZYDIS_MNEMONIC_NOT: return SIZED(not_, n);
    case ZYDIS_MNEMONIC_SHL: return SIZED(shl, n);
    case ZYDIS_MNEMONIC_SHR: return SIZED(shr, n);
    case ZYDIS_MNEMONIC_SAR: return SIZED(sar, n);
    case ZYDIS_MNEMONIC_ROL: return SIZED(rol, n);
    case ZYDIS_MNEMONIC_ROR: return SIZED(ror, n);
    case ZYDIS_MNEMONIC_RCL: return SIZED(rcl, n);
    case ZYDIS_MNEMONIC_RCR: return SIZED(rcr, n);
    case ZYDIS_MNEMONIC_SHLD: return SIZED_NO8BIT(shld, n);
    case ZYDIS_MNEMONIC_SHRD: return SIZED_NO8BIT(shrd, n);
    case ZYDIS_MNEMONIC_MUL: return SIZED(mul, n);
    case ZYDIS_MNEMONIC_IMUL: return SIZED(imul, n);
    case ZYDIS_MNEMONIC_DIV: return SIZED(div, n);
    case ZYDIS_MNEMONIC_IDIV: return SIZED(idiv, n);
    case ZYDIS_MNEMONIC_BT: return SIZED_NO8BIT(bt, n);
    case ZYDIS_MNEMONIC_BTS: return SIZED_NO8BIT(bts, n);
    case ZYDIS_MNEMONIC_BTR: return SIZED_NO8BIT(btr, n);
    case ZYDIS_MNEMONIC_BTC: return SIZED_NO8BIT(btc, n);
    case ZYDIS_MNEMONIC_BSF: return SIZED_NO8BIT(bsf, n);
    case ZYDIS_MNEMONIC_BSR: return SIZED_NO8BIT(bsr, n);
    case ZYDIS_MNEMONIC_TZCNT: return SIZED_NO8BIT(tzcnt, n);
    case ZYDIS_MNEMONIC_LZCNT: return SIZED_NO8BIT(lzcnt, n);
    case ZYDIS_MNEMONIC_POPCNT: return SIZED_NO8BIT(popcnt, n);
    case ZYDIS_MNEMONIC_BSWAP: return SIZED_NO8BIT(bswap, n);
    case ZYDIS_MNEMONIC_MOV:
      if (i.op[0].reg_class == RegClass::kSeg || i.op[1].reg_class == RegClass::kSeg)
        if (i.op[0].kind == OperandKind::kReg || i.op[1].kind == OperandKind::kReg) {
          if ((i.op[0].kind == OperandKind::kReg && i.op[0].reg_class == RegClass::kSeg) ||
              (i.op[1].kind == OperandKind::kReg && i.op[1].reg_class == RegClass::kSeg))
            return mov_seg;
        }
      if (i.op[0].reg_class == RegClass::kCr || i.op[1].reg_class == RegClass::kCr)
        if (i.op[0].kind == OperandKind::kReg && i.op[1].kind == OperandKind::kReg) return mov_cr;
      if (i.op[0].reg_class == RegClass::kDr || i.op[1].reg_class == RegClass::kDr)
        if (i.op[0].kind == OperandKind::kReg && i.op[1].kind == OperandKind::kReg) return mov_dr;
      switch (n) {
        case 1: return mov_by_kinds<1>(i);
        case 2: return mov_by_kinds<2>(i);
        case 4: return mov_by_kinds<4>(i);
        case 8: return mov_by_kinds<8>(i);
        default: return nullptr;
      }
    case ZYDIS_MNEMONIC_MOVZX: return movzx;
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD: return movsx;
    case ZYDIS_MNEMONIC_XCHG: return SIZED(xchg, n);
    case ZYDIS_MNEMONIC_XADD: return SIZED(xadd, n);
    case ZYDIS_MNEMONIC_CMPXCHG: return SIZED(cmpxchg, n);
    case ZYDIS_MNEMONIC_CMPXCHG8B:
    case ZYDIS_MNEMONIC_CMPXCHG16B: return cmpxchg_wide;
    case ZYDIS_MNEMONIC_LEA: return lea;
    case ZYDIS_MNEMONIC_CBW:
    case ZYDIS_MNEMONIC_CWDE:
    case ZYDIS_MNEMONIC_CDQE: return convert_acc;
    case ZYDIS_MNEMONIC_CWD:
    case ZYDIS_MNEMONIC_CDQ:
    case ZYDIS_MNEMONIC_CQO: return convert_acc_pair;
    case ZYDIS_MNEMONIC_CLC: return clc;
    case ZYDIS_MNEMONIC_STC: return stc;
    case ZYDIS_MNEMONIC_CMC: return cmc;
    case ZYDIS_MNEMONIC_CLD: return cld;
    case ZYDIS_MNEMONIC_STD: return std_;
    case ZYDIS_MNEMONIC_LAHF: return lahf;
    case ZYDIS_MNEMONIC_SAHF: return sahf;
    case ZYDIS_MNEMONIC_DAA: return daa;
    case ZYDIS_MNEMONIC_DAS: return das;
    case ZYDIS_MNEMONIC_AAA: return aaa;
    case ZYDIS_MNEMONIC_AAS: return aas;
    case ZYDIS_MNEMONIC_AAM: return aam;
    case ZYDIS_MNEMONIC_AAD: return aad;
    case ZYDIS_MNEMONIC_XLAT: return xlat;
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_ENDBR32:
    case ZYDIS_MNEMONIC_ENDBR64:
    case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_MFENCE:
    case ZYDIS_MNEMONIC_SFENCE:
    case ZYDIS_MNEMONIC_PREFETCHNTA:
    case ZYDIS_MNEMONIC_PREFETCHT0:
    case ZYDIS_MNEMONIC_PREFETCHT1:
    case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_PREFETCHW:
    case ZYDIS_MNEMONIC_CLFLUSH: return nop;
#define CC(name, cc)                                     \
  case ZYDIS_MNEMONIC_J##name: return jcc<cc>;           \
  case ZYDIS_MNEMONIC_CMOV##name: return cmovcc<cc>;     \
  case ZYDIS_MNEMONIC_SET##name: return setcc<cc>;
      CC(O, 0) CC(NO, 1) CC(B, 2) CC(NB, 3) CC(Z, 4) CC(NZ, 5) CC(BE, 6) CC(NBE, 7)
      CC(S, 8) CC(NS, 9) CC(P, 10) CC(NP, 11) CC(L, 12) CC(NL, 13) CC(LE, 14) CC(NLE, 15)
#undef CC
    case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_JECXZ:
    case ZYDIS_MNEMONIC_JRCXZ: return jrcxz;
    case ZYDIS_MNEMONIC_LOOP: return loop<0>;
    case ZYDIS_MNEMONIC_LOOPE: return loop<1>;
    case ZYDIS_MNEMONIC_LOOPNE: return loop<2>;
    case ZYDIS_MNEMONIC_JMP: return jmp;
    case ZYDIS_MNEMONIC_CALL: return call;
    case ZYDIS_MNEMONIC_RET: return ret;
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: return iret;
    case ZYDIS_MNEMONIC_INT: return int_n;
    case ZYDIS_MNEMONIC_INT3: return int3;
    case ZYDIS_MNEMONIC_INTO: return into;
    case ZYDIS_MNEMONIC_INT1: return int1;
    case ZYDIS_MNEMONIC_PUSH: return push;
    case ZYDIS_MNEMONIC_POP: return pop;
    case ZYDIS_MNEMONIC_PUSHA:
    case ZYDIS_MNEMONIC_PUSHAD: return pusha;
    case ZYDIS_MNEMONIC_POPA:
    case ZYDIS_MNEMONIC_POPAD: return popa;
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ: return pushf;
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ: return popf;
    case ZYDIS_MNEMONIC_ENTER: return enter;
    case ZYDIS_MNEMONIC_LEAVE: return leave;
    case ZYDIS_MNEMONIC_MOVSB: return &string_op<StrOp::kMovs, 1>;
    case ZYDIS_MNEMONIC_MOVSW: return &string_op<StrOp::kMovs, 2>;
    case ZYDIS_MNEMONIC_MOVSD:
      // MOVSD is also the SSE2 scalar move; that form has an XMM operand.
      for (unsigned k = 0; k < i.num_ops; k++)
        if (i.op[k].kind == OperandKind::kReg && i.op[k].reg_class == RegClass::kXmm)
          return nullptr;
      return &string_op<StrOp::kMovs, 4>;
    case ZYDIS_MNEMONIC_MOVSQ: return &string_op<StrOp::kMovs, 8>;
    case ZYDIS_MNEMONIC_CMPSB: return &string_op<StrOp::kCmps, 1>;
    case ZYDIS_MNEMONIC_CMPSW: return &string_op<StrOp::kCmps, 2>;
    case ZYDIS_MNEMONIC_CMPSD:
      for (unsigned k = 0; k < i.num_ops; k++)
        if (i.op[k].kind == OperandKind::kReg && i.op[k].reg_class == RegClass::kXmm)
          return nullptr;
      return &string_op<StrOp::kCmps, 4>;
    case ZYDIS_MNEMONIC_CMPSQ: return &string_op<StrOp::kCmps, 8>;
    case ZYDIS_MNEMONIC_STOSB: return &string_op<StrOp::kStos, 1>;
    case ZYDIS_MNEMONIC_STOSW: return &string_op<StrOp::kStos, 2>;
    case ZYDIS_MNEMONIC_STOSD: return &string_op<StrOp::kStos, 4>;
    case ZYDIS_MNEMONIC_STOSQ: return &string_op<StrOp::kStos, 8>;
    case ZYDIS_MNEMONIC_LODSB: return &string_op<StrOp::kLods, 1>;
    case ZYDIS_MNEMONIC_LODSW: return &string_op<StrOp::kLods, 2>;
    case ZYDIS_MNEMONIC_LODSD: return &string_op<StrOp::kLods, 4>;
    case ZYDIS_MNEMONIC_LODSQ: return &string_op<StrOp::kLods, 8>;
    case ZYDIS_MNEMONIC_SCASB: return &string_op<StrOp::kScas, 1>;
    case ZYDIS_MNEMONIC_SCASW: return &string_op<StrOp::kScas, 2>;
    case ZYDIS_MNEMONIC_SCASD: return &string_op<StrOp::kScas, 4>;
    case ZYDIS_MNEMONIC_SCASQ: return &string_op<StrOp::kScas, 8>;
    case ZYDIS_MNEMONIC_INSB: return &string_op<StrOp::kIns, 1>;
    case ZYDIS_MNEMONIC_INSW: return &string_op<StrOp::kIns, 2>;
    case ZYDIS_MNEMONIC_INSD: return &string_op<StrOp::kIns, 4>;
    case ZYDIS_MNEMONIC_OUTSB: return &string_op<StrOp::kOuts, 1>;
    case ZYDIS_MNEMONIC_OUTSW: return &string_op<StrOp::kOuts, 2>;
    case ZYDIS_MNEMONIC_OUTSD: return &string_op<StrOp::kOuts, 4>;
    case ZYDIS_MNEMONIC_IN: return in;
    case ZYDIS_MNEMONIC_OUT: return out;
    case ZYDIS_MNEMONIC_HLT: return hlt;
    case ZYDIS_MNEMONIC_CLI: return cli;
    case ZYDIS_MNEMONIC_STI: return sti;
    case ZYDIS_MNEMONIC_CLTS: return clts;
    case ZYDIS_MNEMONIC_LMSW: return lmsw;
    case ZYDIS_MNEMONIC_SMSW: return smsw;
    case ZYDIS_MNEMONIC_LGDT: return load_table<false>;
    case ZYDIS_MNEMONIC_LIDT: return load_table<true>;
    case ZYDIS_MNEMONIC_SGDT: return store_table<false>;
    case ZYDIS_MNEMONIC_SIDT: return store_table<true>;
    case ZYDIS_MNEMONIC_LLDT: return load_system_segment<false>;
    case ZYDIS_MNEMONIC_LTR: return load_system_segment<true>;
    case ZYDIS_MNEMONIC_SLDT: return store_system_segment<false>;
    case ZYDIS_MNEMONIC_STR: return store_system_segment<true>;
    case ZYDIS_MNEMONIC_LDS: return load_far_pointer<kDs>;
    case ZYDIS_MNEMONIC_LES: return load_far_pointer<kEs>;
    case ZYDIS_MNEMONIC_LFS: return load_far_pointer<kFs>;
    case ZYDIS_MNEMONIC_LGS: return load_far_pointer<kGs>;
    case ZYDIS_MNEMONIC_LSS: return load_far_pointer<kSs>;
    case ZYDIS_MNEMONIC_INVLPG: return invlpg;
    case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVD: return privileged_nop;
    case ZYDIS_MNEMONIC_CPUID: return cpuid;
    case ZYDIS_MNEMONIC_RDTSC: return rdtsc;
    case ZYDIS_MNEMONIC_RDTSCP: return rdtscp;
    case ZYDIS_MNEMONIC_RDPMC: return rdpmc;
    case ZYDIS_MNEMONIC_RDMSR: return rdmsr;
    case ZYDIS_MNEMONIC_WRMSR: return wrmsr;
    case ZYDIS_MNEMONIC_SYSCALL: return syscall;
    case ZYDIS_MNEMONIC_SYSRET: return sysret;
    case ZYDIS_MNEMONIC_SYSENTER: return sysenter;
    case ZYDIS_MNEMONIC_SYSEXIT: return sysexit;
    case ZYDIS_MNEMONIC_SWAPGS: return swapgs;
    case ZYDIS_MNEMONIC_LAR: return descriptor_query<DescQuery::kLar>;
    case ZYDIS_MNEMONIC_LSL: return descriptor_query<DescQuery::kLsl>;
    case ZYDIS_MNEMONIC_VERR: return descriptor_query<DescQuery::kVerr>;
    case ZYDIS_MNEMONIC_VERW: return descriptor_query<DescQuery::kVerw>;
    case ZYDIS_MNEMONIC_ARPL: return arpl;
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2: return ud;
    default: return nullptr;
  }
}

}  // namespace

Handler select_handler(const Insn& insn) {
  Handler h = select_integer(insn);
  if (!h) h = select_x87_handler(insn);
  if (!h) h = select_sse_handler(insn);
  if (!h) {
    REWIND_LOG(kWarn, "cpu", "instruction %s is not implemented: it will raise #UD",
               ZydisMnemonicGetString(ZydisMnemonic(insn.mnemonic)));
    h = unimplemented;
  }
  return h;
}

}  // namespace rwd

// SPDX-License-Identifier: MIT
// System instructions (SDM Vol. 2 and Vol. 3): port I/O, HLT, CLI/STI, control and debug
// registers, descriptor tables, segment loads, MSRs, CPUID, TSC, SYSCALL/SYSRET,
// SYSENTER/SYSEXIT, SWAPGS. Privileged forms raise #GP(0) above CPL 0.
#pragma once

#include "jit/semantics/operands.h"

namespace rwd::sem {

inline void require_cpl0(Cpu& c) {
  if (c.protected_mode() && c.state.cpl != 0) c.raise(vec::kGp, 0);
}

// I/O permission: IOPL, then the TSS I/O bitmap (SDM Vol. 1 §19.5).
inline bool io_permitted(Cpu& c, uint16_t port, unsigned size) {
  if (!c.protected_mode()) return true;
  const unsigned iopl = (c.state.rflags >> 12) & 3;
  if (!c.v86_mode() && c.state.cpl <= iopl) return true;
  const Segment& tr = c.state.tr;
  if (!tr.present() || tr.limit < 103) return false;
  const uint32_t bitmap = uint32_t(c.read_linear(tr.base + 102, 2, false));
  const uint32_t byte = bitmap + port / 8;
  if (byte + 1 > tr.limit) return false;
  const uint32_t bits = uint32_t(c.read_linear(tr.base + byte, 2, false));
  return ((bits >> (port & 7)) & ((1u << size) - 1)) == 0;
}

inline void in(Cpu& c, const Insn& i) {
  const unsigned n = i.op[0].size;
  const uint16_t port = uint16_t(i.op[1].kind == OperandKind::kImm ? i.op[1].value
                                                                    : c.state.gpr[kRdx]);
  if (!io_permitted(c, port, n)) c.raise(vec::kGp, 0);
  c.set_gpr(kRax, n, c.host().port_read(port, n));
  c.end_block();
}
inline void out(Cpu& c, const Insn& i) {
  const unsigned n = i.op[1].size;
  const uint16_t port = uint16_t(i.op[0].kind == OperandKind::kImm ? i.op[0].value
                                                                    : c.state.gpr[kRdx]);
  if (!io_permitted(c, port, n)) c.raise(vec::kGp, 0);
  c.host().port_write(port, n, uint32_t(c.gpr(kRax, n)));
  c.end_block();
}

inline void hlt(Cpu& c, const Insn&) {
  require_cpl0(c);
  c.state.halted = 1;
  c.end_block();
}

inline void cli(Cpu& c, const Insn&) {
  if (c.protected_mode() && c.state.cpl > ((c.state.rflags >> 12) & 3)) c.raise(vec::kGp, 0);
  c.state.rflags &= ~flags::kIf;
}
inline void sti(Cpu& c, const Insn&) {
  if (c.protected_mode() && c.state.cpl > ((c.state.rflags >> 12) & 3)) c.raise(vec::kGp, 0);
  if (!(c.state.rflags & flags::kIf)) c.state.interrupt_shadow = 1;
  c.state.rflags |= flags::kIf;
  c.end_block();
}

// MOV to/from CRn and DRn. Operand 0 is the destination.
inline void mov_cr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  const bool to_cr = i.op[0].reg_class == RegClass::kCr;
  const unsigned size = c.in_64bit_code() ? 8 : 4;
  if (to_cr) {
    const uint64_t v = c.gpr(i.op[1].reg, size);
    switch (i.op[0].reg) {
      case 0:
        if ((v >> 32) || ((v & cr0::kPg) && !(v & cr0::kPe)) ||
            ((v & cr0::kNw) && !(v & cr0::kCd)))
          c.raise(vec::kGp, 0);
        c.set_cr0(v);
        break;
      case 2: c.state.cr2 = v; break;
      case 3: c.set_cr3(v); break;
      case 4: c.set_cr4(v); break;
      case 8:
        if (v > 15) c.raise(vec::kGp, 0);
        c.state.cr8 = v;
        c.end_block();
        break;
      default: c.raise(vec::kUd);
    }
  } else {
    uint64_t v;
    switch (i.op[1].reg) {
      case 0: v = c.state.cr0; break;
      case 2: v = c.state.cr2; break;
      case 3: v = c.state.cr3; break;
      case 4: v = c.state.cr4; break;
      case 8: v = c.state.cr8; break;
      default: c.raise(vec::kUd);
    }
    c.set_gpr(i.op[0].reg, size, v);
  }
}

inline void mov_dr(Cpu& c, const Insn& i) {
  require_cpl0(c);
  const bool to_dr = i.op[0].reg_class == RegClass::kDr;
  const unsigned size = c.in_64bit_code() ? 8 : 4;
  unsigned index = to_dr ? i.op[0].reg : i.op[1].reg;
  if (index == 4 || index == 5) {
    if (c.state.cr4 & cr4::kDe) c.raise(vec::kUd);
    index += 2;
  }
  if (index > 7) c.raise(vec::kUd);
  if (to_dr) {
    uint64_t v = c.gpr(i.op[1].reg, size);
    if (index == 6) v = (v & 0xe00f) | 0xffff0ff0;
    if (index == 7) v = (v & 0xffff2fff) | 0x400;
    c.state.dr[index] = v;
  } else {
    c.set_gpr(i.op[0].reg, size, c.state.dr[index]);
  }
}

inline void clts(Cpu& c, const Insn&) {
  require_cpl0(c);
  c.state.cr0 &= ~cr0::kTs;
}
inline void lmsw(Cpu& c, const Insn& i) {
  require_cpl0(c);
  const uint64_t v = read_op(c, i, 0, 2);
  // LMSW can set PE but never clear it.
  uint64_t cr0 = (c.state.cr0 & ~0xeull) | (v & 0xf) | (c.state.cr0 & cr0::kPe);
  c.set_cr0(cr0);
}
inline void smsw(Cpu& c, const Insn& i) {
  const unsigned n = i.op[0].kind == OperandKind::kMem ? 2 : i.op[0].size;
  write_op(c, i, 0, n, c.state.cr0 & size_mask(n));
}

// LGDT/LIDT/SGDT/SIDT: m16&32 (legacy; 24-bit base with 16-bit operands) or m16&64.
template <bool kIdt>
void load_table(Cpu& c, const Insn& i) {
  require_cpl0(c);
  const Operand& o = i.op[0];
  const uint64_t ea = effective_address(c, i, o);
  const uint16_t limit = uint16_t(c.read(o.seg, ea, 2));
  uint64_t base = c.in_64bit_code() ? c.read(o.seg, ea + 2, 8) : c.read(o.seg, ea + 2, 4);
  if (!c.in_64bit_code() && i.op_size == 2) base &= 0xffffff;
  DescriptorTable& t = kIdt ? c.state.idtr : c.state.gdtr;
  t.base = base;
  t.limit = limit;
}
template <bool kIdt>
void store_table(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  const uint64_t ea = effective_address(c, i, o);
  const DescriptorTable& t = kIdt ? c.state.idtr : c.state.gdtr;
  c.write(o.seg, ea, 2, t.limit);
  if (c.in_64bit_code())
    c.write(o.seg, ea + 2, 8, t.base);
  else
    c.write(o.seg, ea + 2, 4, t.base);
}

// LLDT / LTR: system descriptors are 16 bytes in long mode (SDM Vol. 3 §7.2.3).
template <bool kTr>
void load_system_segment(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86_mode()) c.raise(vec::kUd);
  require_cpl0(c);
  const uint16_t sel = uint16_t(read_op(c, i, 0, 2));
  Segment& target = kTr ? c.state.tr : c.state.ldtr;
  if ((sel & ~3) == 0) {
    if (kTr) c.raise(vec::kGp, 0);
    target = Segment{0, 0, sel, 0};
    return;
  }
  if (sel & 4) c.raise(vec::kGp, sel & ~3);  // must be in the GDT
  uint8_t d[8];
  if (!c.read_descriptor(sel, d)) c.raise(vec::kGp, sel & ~3);
  const unsigned type = d[5] & 0x1f;
  if (kTr ? (type != 0x09 && type != 0x01) : type != 0x02) c.raise(vec::kGp, sel & ~3);
  if (!(d[5] & 0x80)) c.raise(vec::kNp, sel & ~3);
  uint64_t raw;
  std::memcpy(&raw, d, 8);
  uint64_t base = ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24);
  uint32_t limit = uint32_t((raw & 0xffff) | (((raw >> 48) & 0xf) << 16));
  if (raw & (1ull << 55)) limit = (limit << 12) | 0xfff;
  if (c.long_mode()) {
    if ((sel & ~7u) + 15 > c.state.gdtr.limit) c.raise(vec::kGp, sel & ~3);
    base |= (c.read_linear(c.state.gdtr.base + (sel & ~7u) + 8, 8, false) & 0xffffffff) << 32;
  }
  uint16_t attributes = uint16_t((raw >> 40) & 0xf0ff);
  if (kTr) {
    // Mark the TSS busy.
    attributes |= 2;
    c.write_linear(c.state.gdtr.base + (sel & ~7u) + 5, 1, d[5] | 2, false);
  }
  target = Segment{base, limit, sel, attributes};
}
template <bool kTr>
void store_system_segment(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86_mode()) c.raise(vec::kUd);
  const uint16_t sel = kTr ? c.state.tr.selector : c.state.ldtr.selector;
  const unsigned n = i.op[0].kind == OperandKind::kMem ? 2 : i.op[0].size;
  write_op(c, i, 0, n, sel);
}

inline void mov_seg(Cpu& c, const Insn& i) {
  if (i.op[0].kind == OperandKind::kReg && i.op[0].reg_class == RegClass::kSeg) {
    if (i.op[0].reg == kCs) c.raise(vec::kUd);
    c.load_segment(i.op[0].reg, uint16_t(read_op(c, i, 1, 2)));
  } else {
    const unsigned n = i.op[0].kind == OperandKind::kMem ? 2 : i.op[0].size;
    write_op(c, i, 0, n, c.state.seg[i.op[1].reg].selector);
  }
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64.
template <unsigned kSeg>
void load_far_pointer(Cpu& c, const Insn& i) {
  const Operand& m = i.op[1];
  const unsigned n = i.op_size;
  const uint64_t ea = effective_address(c, i, m);
  const uint64_t offset = c.read(m.seg, ea, n);
  const uint16_t sel = uint16_t(c.read(m.seg, ea + n, 2));
  c.load_segment(kSeg, sel);
  write_op(c, i, 0, n, offset);
}

inline void invlpg(Cpu& c, const Insn&) {
  require_cpl0(c);
  // A full flush is always a correct (if conservative) implementation of INVLPG.
  c.flush_tlb(true);
}
inline void privileged_nop(Cpu& c, const Insn&) { require_cpl0(c); }  // WBINVD, INVD

inline void cpuid(Cpu& c, const Insn&) {
  auto r = c.model().cpuid(uint32_t(c.state.gpr[kRax]), uint32_t(c.state.gpr[kRcx]));
  c.state.gpr[kRax] = r[0];
  c.state.gpr[kRbx] = r[1];
  c.state.gpr[kRcx] = r[2];
  c.state.gpr[kRdx] = r[3];
}

inline void rdtsc(Cpu& c, const Insn&) {
  if ((c.state.cr4 & cr4::kTsd) && c.protected_mode() && c.state.cpl != 0) c.raise(vec::kGp, 0);
  const uint64_t t = c.tsc();
  c.state.gpr[kRax] = t & 0xffffffff;
  c.state.gpr[kRdx] = t >> 32;
}
inline void rdtscp(Cpu& c, const Insn& i) {
  rdtsc(c, i);
  c.state.gpr[kRcx] = c.state.tsc_aux & 0xffffffff;
}
inline void rdpmc(Cpu& c, const Insn&) { c.raise(vec::kGp, 0); }

inline void rdmsr(Cpu& c, const Insn&) {
  require_cpl0(c);
  bool ok;
  const uint64_t v = c.read_msr(uint32_t(c.state.gpr[kRcx]), &ok);
  if (!ok) c.raise(vec::kGp, 0);
  c.state.gpr[kRax] = v & 0xffffffff;
  c.state.gpr[kRdx] = v >> 32;
}
inline void wrmsr(Cpu& c, const Insn&) {
  require_cpl0(c);
  const uint64_t v = (c.state.gpr[kRdx] << 32) | (c.state.gpr[kRax] & 0xffffffff);
  if (!c.write_msr(uint32_t(c.state.gpr[kRcx]), v)) c.raise(vec::kGp, 0);
  c.end_block();
}

// Flat segments that SYSCALL/SYSRET/SYSENTER/SYSEXIT load without reading descriptors.
inline Segment flat_code(uint16_t sel, unsigned dpl, bool is_64) {
  return Segment{0, 0xffffffff, sel, uint16_t(0x809b | (dpl << 5) | (is_64 ? 0x2000 : 0x4000))};
}
inline Segment flat_data(uint16_t sel, unsigned dpl) {
  return Segment{0, 0xffffffff, sel, uint16_t(0xc093 | (dpl << 5))};
}

inline void syscall(Cpu& c, const Insn&) {
  // Intel CPUs support SYSCALL only in 64-bit mode.
  if (!(c.state.efer & efer::kSce) || !c.in_64bit_code()) c.raise(vec::kUd);
  const uint16_t sel = uint16_t(c.state.star >> 32) & 0xfffc;
  c.state.gpr[kRcx] = c.state.rip;
  c.state.gpr[kR11] = c.state.rflags & ~flags::kRf;
  c.state.seg[kCs] = flat_code(sel, 0, true);
  c.state.seg[kSs] = flat_data(uint16_t(sel + 8), 0);
  c.state.cpl = 0;
  c.state.rip = c.state.lstar;
  c.state.rflags = (c.state.rflags & ~(c.state.sfmask | flags::kRf)) | flags::kFixed1;
  c.end_block();
}

inline void sysret(Cpu& c, const Insn& i) {
  if (!(c.state.efer & efer::kSce) || !c.in_64bit_code()) c.raise(vec::kUd);
  if (c.state.cpl != 0) c.raise(vec::kGp, 0);
  const uint16_t base = uint16_t(c.state.star >> 48);
  if (i.op_size == 8) {
    const uint64_t target = c.state.gpr[kRcx];
    if (uint64_t(int64_t(target << 16) >> 16) != target) c.raise(vec::kGp, 0);
    c.state.seg[kCs] = flat_code(uint16_t((base + 16) | 3), 3, true);
    c.state.rip = target;
  } else {
    c.state.seg[kCs] = flat_code(uint16_t(base | 3), 3, false);
    c.state.rip = c.state.gpr[kRcx] & 0xffffffff;
  }
  // SS keeps its flat attributes; only the selector comes from STAR.
  c.state.seg[kSs] = flat_data(uint16_t((base + 8) | 3), 3);
  c.state.rflags = (c.state.gpr[kR11] & 0x3c7fd7) | flags::kFixed1;
  c.state.cpl = 3;
  c.end_block();
}

inline void sysenter(Cpu& c, const Insn&) {
  if (!c.protected_mode()) c.raise(vec::kGp, 0);
  const uint16_t cs = uint16_t(c.state.sysenter_cs);
  if ((cs & 0xfffc) == 0) c.raise(vec::kGp, 0);
  const bool lm = c.long_mode();
  c.state.rflags &= ~(flags::kVm | flags::kIf | flags::kRf);
  c.state.seg[kCs] = flat_code(cs & 0xfffc, 0, lm);
  c.state.seg[kSs] = flat_data(uint16_t((cs & 0xfffc) + 8), 0);
  c.state.cpl = 0;
  c.state.gpr[kRsp] = lm ? c.state.sysenter_esp : c.state.sysenter_esp & 0xffffffff;
  c.state.rip = lm ? c.state.sysenter_eip : c.state.sysenter_eip & 0xffffffff;
  c.end_block();
}

inline void sysexit(Cpu& c, const Insn& i) {
  const uint16_t cs = uint16_t(c.state.sysenter_cs);
  if (!c.protected_mode() || c.state.cpl != 0 || (cs & 0xfffc) == 0) c.raise(vec::kGp, 0);
  if (i.op_size == 8) {
    c.state.seg[kCs] = flat_code(uint16_t((cs + 32) | 3), 3, true);
    c.state.seg[kSs] = flat_data(uint16_t((cs + 40) | 3), 3);
    c.state.gpr[kRsp] = c.state.gpr[kRcx];
    c.state.rip = c.state.gpr[kRdx];
  } else {
    c.state.seg[kCs] = flat_code(uint16_t((cs + 16) | 3), 3, false);
    c.state.seg[kSs] = flat_data(uint16_t((cs + 24) | 3), 3);
    c.state.gpr[kRsp] = c.state.gpr[kRcx] & 0xffffffff;
    c.state.rip = c.state.gpr[kRdx] & 0xffffffff;
  }
  c.state.cpl = 3;
  c.end_block();
}

inline void swapgs(Cpu& c, const Insn&) {
  if (!c.in_64bit_code()) c.raise(vec::kUd);
  require_cpl0(c);
  std::swap(c.state.seg[kGs].base, c.state.kernel_gs_base);
}

// LAR / LSL / VERR / VERW: descriptor checks that report through ZF (SDM Vol. 2).
enum class DescQuery { kLar, kLsl, kVerr, kVerw };
template <DescQuery kQ>
void descriptor_query(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86_mode()) c.raise(vec::kUd);
  const unsigned src = (kQ == DescQuery::kLar || kQ == DescQuery::kLsl) ? 1 : 0;
  const uint16_t sel = uint16_t(read_op(c, i, src, 2));
  uint8_t d[8];
  bool ok = (sel & ~3) != 0 && c.read_descriptor(sel, d);
  uint64_t raw = 0;
  if (ok) {
    std::memcpy(&raw, d, 8);
    const unsigned type = d[5] & 0x1f, dpl = (d[5] >> 5) & 3;
    const bool is_seg = type & 0x10;
    const bool conforming_code = (type & 0x1c) == 0x1c;
    if (!conforming_code && (dpl < c.state.cpl || dpl < (sel & 3))) ok = false;
    if (ok && !is_seg) {
      // Valid system types for LAR/LSL: TSS and LDT (and call/task gates for LAR only).
      const unsigned t = type & 0xf;
      bool lar_ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb ||
                    (!c.long_mode() && (t == 4 || t == 5 || t == 0xc)) || (c.long_mode() && t == 0xc);
      bool lsl_ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb;
      if (kQ == DescQuery::kLar) ok = lar_ok;
      else if (kQ == DescQuery::kLsl) ok = lsl_ok;
      else ok = false;
    }
    if (ok && kQ == DescQuery::kVerr) ok = !(type & 8) || (type & 2);  // data, or readable code
    if (ok && kQ == DescQuery::kVerw) ok = (type & 0x18) == 0x10 && (type & 2);  // writable data
  }
  set_flags(c, flags::kZf, ok ? flags::kZf : 0);
  if (!ok) return;
  if (kQ == DescQuery::kLar) {
    write_op(c, i, 0, i.op_size, (raw >> 32) & (i.op_size == 2 ? 0xff00 : 0x00f0ff00));
  } else if (kQ == DescQuery::kLsl) {
    uint32_t limit = uint32_t((raw & 0xffff) | (((raw >> 48) & 0xf) << 16));
    if (raw & (1ull << 55)) limit = (limit << 12) | 0xfff;
    write_op(c, i, 0, i.op_size, limit);
  }
}

inline void arpl(Cpu& c, const Insn& i) {
  const uint64_t dst = read_op(c, i, 0, 2), src = read_op(c, i, 1, 2);
  if ((dst & 3) < (src & 3)) {
    write_op(c, i, 0, 2, (dst & ~3ull) | (src & 3));
    set_flags(c, flags::kZf, flags::kZf);
  } else {
    set_flags(c, flags::kZf, 0);
  }
}

inline void ud(Cpu& c, const Insn&) { c.raise(vec::kUd); }

}  // namespace rwd::sem

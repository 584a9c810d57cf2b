// SPDX-License-Identifier: MIT
// Segment descriptor loads, far transfers, IRET and interrupt/exception delivery
// (SDM Vol. 3 §3.4, §5.8, §6.12–6.15, §7.7). Every routine checks everything before it commits:
// a fault half-way leaves registers as they were (memory below the stack pointer may have been
// written, which is harmless and matches hardware).
#include <cstring>

#include "base/log.h"
#include "jit/cpu.h"

namespace rwd {
namespace {

struct Descriptor {
  uint64_t base;
  uint32_t limit;
  uint16_t attributes;
};

Descriptor decode_descriptor(const uint8_t d[8]) {
  uint64_t raw;
  std::memcpy(&raw, d, 8);
  Descriptor out;
  out.base = ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24);
  uint32_t limit = uint32_t((raw & 0xffff) | (((raw >> 48) & 0xf) << 16));
  out.attributes = uint16_t((raw >> 40) & 0xf0ff);
  if (out.attributes & 0x8000) limit = (limit << 12) | 0xfff;
  out.limit = limit;
  return out;
}

Segment to_segment(uint16_t selector, const Descriptor& d) {
  return Segment{d.base, d.limit, selector, d.attributes};
}

bool is_contributory(uint8_t v) {
  return v == vec::kDe || v == vec::kTs || v == vec::kNp || v == vec::kSs || v == vec::kGp;
}

}  // namespace

bool Cpu::read_descriptor(uint16_t selector, uint8_t out[8]) {
  const bool local = selector & 4;
  uint64_t base = local ? state.ldtr.base : state.gdtr.base;
  uint32_t limit = local ? state.ldtr.limit : state.gdtr.limit;
  if (local && !state.ldtr.present()) return false;
  uint32_t offset = selector & ~7u;
  if (offset + 7 > limit) return false;
  uint64_t raw = read_linear(base + offset, 8, false);
  std::memcpy(out, &raw, 8);
  return true;
}

static void set_accessed(Cpu& cpu, uint16_t selector, uint8_t desc[8]) {
  if (desc[5] & 1) return;
  desc[5] |= 1;
  uint64_t base = (selector & 4) ? cpu.state.ldtr.base : cpu.state.gdtr.base;
  cpu.write_linear(base + (selector & ~7u) + 5, 1, desc[5], false);
}

void Cpu::set_segment_real(unsigned seg, uint16_t selector) {
  Segment& s = state.seg[seg];
  s.selector = selector;
  s.base = uint64_t(selector) << 4;
  if (v86_mode()) {
    s.limit = 0xffff;
    s.attributes = seg == kCs ? 0xfb : 0xf3;
  }
}

void Cpu::load_segment(unsigned seg, uint16_t selector) {
  if (!protected_mode() || v86_mode()) {
    set_segment_real(seg, selector);
    if (seg == kSs) state.interrupt_shadow = 1;
    end_block();
    return;
  }
  const unsigned rpl = selector & 3;
  const unsigned cpl = state.cpl;
  if ((selector & ~3) == 0) {
    if (seg == kSs) {
      // A null SS is allowed only in 64-bit mode below CPL 3, with RPL = CPL.
      if (!(in_64bit_code() && cpl < 3 && rpl == cpl)) raise(vec::kGp, 0);
      state.seg[kSs] = Segment{0, 0, selector, uint16_t(0x93 | (cpl << 5))};
      state.seg[kSs].attributes &= ~0x80;  // unusable, but 64-bit code ignores that
      state.interrupt_shadow = 1;
    } else {
      state.seg[seg] = Segment{0, 0, selector, 0};
    }
    end_block();
    return;
  }
  uint8_t desc[8];
  if (!read_descriptor(selector, desc)) raise(vec::kGp, selector & ~3);
  Descriptor d = decode_descriptor(desc);
  const unsigned dpl = (d.attributes >> 5) & 3;
  const bool is_system = !(d.attributes & 0x10);
  const bool is_code = (d.attributes & 0x18) == 0x18;
  const bool readable_or_data = !is_code || (d.attributes & 2);
  const bool conforming = is_code && (d.attributes & 4);
  if (seg == kSs) {
    if (rpl != cpl || dpl != cpl || is_system || is_code || !(d.attributes & 2))
      raise(vec::kGp, selector & ~3);
    if (!(d.attributes & 0x80)) raise(vec::kSs, selector & ~3);
    state.interrupt_shadow = 1;
  } else {
    if (is_system || !readable_or_data) raise(vec::kGp, selector & ~3);
    if (!conforming && (dpl < cpl || dpl < rpl)) raise(vec::kGp, selector & ~3);
    if (!(d.attributes & 0x80)) raise(vec::kNp, selector & ~3);
  }
  set_accessed(*this, selector, desc);
  d.attributes |= 1;
  uint64_t old_base = state.seg[seg].base;
  state.seg[seg] = to_segment(selector, d);
  // In 64-bit mode the FS/GS bases are 64 bits wide; a selector load sets the low 32 only
  // (the upper half is cleared, as Intel CPUs do).
  (void)old_base;
  end_block();
}

void Cpu::load_code_segment_raw(uint16_t selector, const uint8_t desc[8], unsigned cpl) {
  Descriptor d = decode_descriptor(desc);
  d.attributes |= 1;
  state.seg[kCs] = to_segment(uint16_t((selector & ~3) | cpl), d);
  state.cpl = uint8_t(cpl);
  end_block();
}

// --- Far JMP / CALL / RET ------------------------------------------------------------------

void Cpu::far_transfer(uint16_t selector, uint64_t offset, unsigned op_size, bool is_call,
                       uint64_t return_rip) {
  if (!protected_mode() || v86_mode()) {
    if (is_call) {
      push(state.seg[kCs].selector, op_size);
      push(return_rip, op_size);
    }
    set_segment_real(kCs, selector);
    state.rip = offset & (op_size == 2 ? 0xffff : 0xffffffff);
    end_block();
    return;
  }
  if ((selector & ~3) == 0) raise(vec::kGp, 0);
  uint8_t desc[8];
  if (!read_descriptor(selector, desc)) raise(vec::kGp, selector & ~3);
  Descriptor d = decode_descriptor(desc);
  const unsigned dpl = (d.attributes >> 5) & 3;
  const unsigned rpl = selector & 3;
  const unsigned cpl = state.cpl;
  if ((d.attributes & 0x18) != 0x18) {
    // Call gates, task gates and TSS descriptors: not modelled (no OS we target uses them for
    // far transfers). Guests see #GP rather than a silent wrong transfer.
    REWIND_LOG(kWarn, "cpu", "far %s through system descriptor type %#x (selector %#x) is not "
               "supported: #GP", is_call ? "call" : "jump", d.attributes & 0x1f, selector);
    raise(vec::kGp, selector & ~3);
  }
  const bool conforming = d.attributes & 4;
  if (conforming ? dpl > cpl : (rpl > cpl || dpl != cpl)) raise(vec::kGp, selector & ~3);
  if (!(d.attributes & 0x80)) raise(vec::kNp, selector & ~3);
  const bool target_64 = long_mode() && (d.attributes & 0x2000);
  if (!target_64 && offset > d.limit) raise(vec::kGp, 0);
  if (is_call) {
    push(state.seg[kCs].selector, op_size);
    push(return_rip, op_size);
  }
  set_accessed(*this, selector, desc);
  load_code_segment_raw(selector, desc, cpl);
  state.rip = target_64 ? offset : offset & (op_size == 2 ? 0xffff : 0xffffffff);
}

void Cpu::far_return(unsigned op_size, uint16_t pop_extra, bool is_iret) {
  const uint64_t mask = op_size == 8 ? ~0ull : op_size == 4 ? 0xffffffffull : 0xffff;
  if (!protected_mode() || (v86_mode() && !is_iret)) {
    uint64_t sp = stack_pointer();
    uint64_t ip = read(kSs, sp, op_size);
    uint16_t cs = uint16_t(read(kSs, sp + op_size, op_size));
    uint64_t fl = is_iret ? read(kSs, sp + 2 * op_size, op_size) : 0;
    set_stack_pointer(sp + (is_iret ? 3 : 2) * op_size + pop_extra);
    set_segment_real(kCs, cs);
    state.rip = ip & mask;
    if (is_iret) {
      uint64_t keep = op_size == 2 ? ~0xffffull : (flags::kVm | flags::kVip | flags::kVif);
      set_rflags((state.rflags & keep) | (fl & ~keep));
    }
    end_block();
    return;
  }
  if (v86_mode()) {
    // IRET in virtual-8086 mode with IOPL < 3 faults (SDM Vol. 3 §20.2.7); we run no v86 guests.
    raise(vec::kGp, 0);
  }
  if (is_iret && (state.rflags & flags::kNt) && !long_mode()) {
    REWIND_LOG(kWarn, "cpu", "IRET with NT set (task return) is not supported: #GP");
    raise(vec::kGp, 0);
  }
  const unsigned cpl = state.cpl;
  uint64_t sp = stack_pointer();
  uint64_t new_rip = read(kSs, sp, op_size) & mask;
  uint16_t cs_sel = uint16_t(read(kSs, sp + op_size, op_size));
  uint64_t new_flags = is_iret ? read(kSs, sp + 2 * op_size, op_size) : 0;
  unsigned frame = (is_iret ? 3 : 2) * op_size;
  if (is_iret && op_size != 2 && (new_flags & flags::kVm) && cpl == 0 && !long_mode()) {
    REWIND_LOG(kWarn, "cpu", "IRET to virtual-8086 mode is not supported: #GP");
    raise(vec::kGp, 0);
  }
  const unsigned rpl = cs_sel & 3;
  if ((cs_sel & ~3) == 0) raise(vec::kGp, 0);
  if (rpl < cpl) raise(vec::kGp, cs_sel & ~3);
  uint8_t desc[8];
  if (!read_descriptor(cs_sel, desc)) raise(vec::kGp, cs_sel & ~3);
  Descriptor d = decode_descriptor(desc);
  const unsigned dpl = (d.attributes >> 5) & 3;
  if ((d.attributes & 0x18) != 0x18) raise(vec::kGp, cs_sel & ~3);
  if ((d.attributes & 4) ? dpl > rpl : dpl != rpl) raise(vec::kGp, cs_sel & ~3);
  if (!(d.attributes & 0x80)) raise(vec::kNp, cs_sel & ~3);
  const bool to_64 = long_mode() && (d.attributes & 0x2000);

  // 64-bit IRET always pops SS:RSP; otherwise only on a privilege change.
  bool pop_stack = rpl > cpl || (is_iret && in_64bit_code());
  uint64_t new_sp = 0;
  uint16_t ss_sel = 0;
  uint8_t ss_desc[8] = {};
  if (pop_stack) {
    new_sp = read(kSs, sp + frame + pop_extra, op_size);
    ss_sel = uint16_t(read(kSs, sp + frame + pop_extra + op_size, op_size));
    if ((ss_sel & ~3) == 0) {
      if (!(to_64 && rpl < 3)) raise(vec::kGp, 0);
    } else {
      if ((ss_sel & 3) != rpl) raise(vec::kGp, ss_sel & ~3);
      if (!read_descriptor(ss_sel, ss_desc)) raise(vec::kGp, ss_sel & ~3);
      Descriptor sd = decode_descriptor(ss_desc);
      if ((sd.attributes & 0x1a) != 0x12 || ((sd.attributes >> 5) & 3) != rpl)
        raise(vec::kGp, ss_sel & ~3);
      if (!(sd.attributes & 0x80)) raise(vec::kSs, ss_sel & ~3);
    }
  }
  if (!to_64 && new_rip > d.limit) raise(vec::kGp, 0);

  // Commit.
  if (is_iret) {
    // Which flags may change depends on privilege (SDM Vol. 3 IRET operation).
    uint64_t changeable = flags::kArith | flags::kTf | flags::kDf | flags::kNt | flags::kRf |
                          flags::kAc | flags::kId;
    if (cpl == 0) changeable |= flags::kIopl | flags::kVip | flags::kVif;
    if (cpl <= ((state.rflags >> 12) & 3)) changeable |= flags::kIf;
    if (op_size == 2) changeable &= 0xffff;
    set_rflags((state.rflags & ~changeable) | (new_flags & changeable));
  }
  set_accessed(*this, cs_sel, desc);
  load_code_segment_raw(cs_sel, desc, rpl);
  state.rip = new_rip;
  if (pop_stack) {
    if ((ss_sel & ~3) == 0) {
      state.seg[kSs] = Segment{0, 0, ss_sel, uint16_t(0x13 | (rpl << 5))};
    } else {
      set_accessed(*this, ss_sel, ss_desc);
      Descriptor sd = decode_descriptor(ss_desc);
      sd.attributes |= 1;
      state.seg[kSs] = to_segment(ss_sel, sd);
    }
    if (to_64 || state.seg[kSs].default_big())
      state.gpr[kRsp] = to_64 ? new_sp : new_sp & 0xffffffff;
    else
      set_gpr(kRsp, 2, new_sp);
  } else {
    set_stack_pointer(sp + frame + pop_extra);
  }
  if (rpl > cpl) {
    // Data segments the outer level may not use become null (SDM Vol. 3 RET operation).
    for (unsigned s : {kEs, kDs, kFs, kGs}) {
      Segment& seg = state.seg[s];
      bool conforming_code = (seg.attributes & 0x1c) == 0x1c;
      if (!conforming_code && seg.dpl() < rpl && (seg.attributes & 0x10)) {
        seg.selector = 0;
        seg.attributes = 0;
      }
    }
  }
  end_block();
}

void Cpu::software_interrupt(uint8_t vector, uint64_t return_rip) {
  // In v86 mode with IOPL < 3, INT n faults (no VME in our models).
  if (v86_mode() && ((state.rflags >> 12) & 3) < 3) raise(vec::kGp, 0);
  deliver(vector, false, 0, true, return_rip);
}

// --- Interrupt and exception delivery ------------------------------------------------------

void Cpu::deliver(uint8_t vector, bool has_error, uint32_t error, bool is_software,
                  uint64_t return_rip) {
  const uint32_t ext = is_software ? 0 : 1;
  try {
    if (!protected_mode()) {
      // Real mode: the IVT (SDM Vol. 3 §20.1.4).
      uint64_t entry = state.idtr.base + vector * 4u;
      if (vector * 4u + 3 > state.idtr.limit) raise(vec::kGp, 0);
      uint32_t target = uint32_t(read_linear(entry, 4, false));
      push(state.rflags & 0xffff, 2);
      push(state.seg[kCs].selector, 2);
      push(return_rip, 2);
      state.rflags &= ~(flags::kIf | flags::kTf | flags::kAc | flags::kRf);
      set_segment_real(kCs, uint16_t(target >> 16));
      state.rip = target & 0xffff;
      end_block();
      return;
    }
    const bool lm = long_mode();
    const unsigned gate_size = lm ? 16 : 8;
    if (vector * gate_size + gate_size - 1 > state.idtr.limit)
      raise(vec::kGp, vector * 8 + 2 + ext);
    uint64_t gate_lo = read_linear(state.idtr.base + vector * gate_size, 8, false);
    uint64_t gate_hi = lm ? read_linear(state.idtr.base + vector * gate_size + 8, 8, false) : 0;
    const unsigned type = (gate_lo >> 40) & 0x1f;
    const unsigned gate_dpl = (gate_lo >> 45) & 3;
    const bool gate_present = (gate_lo >> 47) & 1;
    bool is_32 = true, is_trap = false;
    if (lm) {
      if (type != 0xe && type != 0xf) raise(vec::kGp, vector * 8 + 2 + ext);
      is_trap = type == 0xf;
    } else {
      switch (type) {
        case 0x6: is_32 = false; break;
        case 0x7: is_32 = false; is_trap = true; break;
        case 0xe: break;
        case 0xf: is_trap = true; break;
        case 0x5:
          REWIND_LOG(kWarn, "cpu", "task gate for vector %u is not supported", vector);
          raise(vec::kGp, vector * 8 + 2 + ext);
        default: raise(vec::kGp, vector * 8 + 2 + ext);
      }
    }
    if (is_software && gate_dpl < state.cpl) raise(vec::kGp, vector * 8 + 2);
    if (!gate_present) raise(vec::kNp, vector * 8 + 2 + ext);
    const uint16_t cs_sel = uint16_t(gate_lo >> 16);
    uint64_t target = (gate_lo & 0xffff) | ((gate_lo >> 32) & 0xffff0000ull);
    if (lm) target |= (gate_hi & 0xffffffffull) << 32;
    const unsigned ist = lm ? (gate_lo >> 32) & 7 : 0;
    if ((cs_sel & ~3) == 0) raise(vec::kGp, ext);
    uint8_t desc[8];
    if (!read_descriptor(cs_sel, desc)) raise(vec::kGp, (cs_sel & ~3) + ext);
    Descriptor cd = decode_descriptor(desc);
    const unsigned dpl = (cd.attributes >> 5) & 3;
    if ((cd.attributes & 0x18) != 0x18 || dpl > state.cpl) raise(vec::kGp, (cs_sel & ~3) + ext);
    if (!(cd.attributes & 0x80)) raise(vec::kNp, (cs_sel & ~3) + ext);
    if (lm && !(cd.attributes & 0x2000)) raise(vec::kGp, (cs_sel & ~3) + ext);
    const bool conforming = cd.attributes & 4;
    const unsigned new_cpl = conforming ? state.cpl : dpl;
    const bool privilege_change = new_cpl < state.cpl;
    if (v86_mode() && new_cpl != 0) raise(vec::kGp, (cs_sel & ~3) + ext);

    const uint64_t old_rflags = state.rflags;
    const uint16_t old_cs = state.seg[kCs].selector;
    const uint16_t old_ss = state.seg[kSs].selector;
    const uint64_t old_rsp = state.gpr[kRsp];

    if (lm) {
      uint64_t rsp;
      if (ist)
        rsp = read_linear(state.tr.base + 36 + (ist - 1) * 8, 8, false);
      else if (privilege_change)
        rsp = read_linear(state.tr.base + 4 + new_cpl * 8, 8, false);
      else
        rsp = old_rsp;
      rsp &= ~0xfull;
      uint64_t frame[6];
      unsigned n = 0;
      if (has_error) frame[n++] = error;
      frame[n++] = return_rip;
      frame[n++] = old_cs;
      frame[n++] = old_rflags;
      frame[n++] = old_rsp;
      frame[n++] = old_ss;
      // Frame from the lowest address: [error] rip cs rflags rsp ss.
      uint64_t new_rsp = rsp - n * 8;
      for (unsigned i = 0; i < n; i++) write_linear(new_rsp + i * 8, 8, frame[i], false);
      set_accessed(*this, cs_sel, desc);
      load_code_segment_raw(cs_sel, desc, new_cpl);
      if (privilege_change) state.seg[kSs] = Segment{0, 0, uint16_t(new_cpl), uint16_t(0x93 | (new_cpl << 5)) };
      state.gpr[kRsp] = new_rsp;
      state.rip = target;
    } else {
      const unsigned width = is_32 ? 4 : 2;
      uint64_t ss_base = state.seg[kSs].base;
      uint64_t sp = old_rsp;
      bool sp_32 = state.seg[kSs].default_big();
      Segment new_ss = state.seg[kSs];
      uint8_t ss_desc[8] = {};
      uint16_t new_ss_sel = old_ss;
      if (privilege_change || v86_mode()) {
        // Inner stack from the TSS (32-bit TSS: ESPn at 4+8n, SSn at 8+8n; 16-bit: 2+4n, 4+4n).
        bool tss32 = (state.tr.attributes & 0xf) == 0xb || (state.tr.attributes & 0xf) == 0x9;
        if (tss32) {
          sp = read_linear(state.tr.base + 4 + new_cpl * 8, 4, false);
          new_ss_sel = uint16_t(read_linear(state.tr.base + 8 + new_cpl * 8, 2, false));
        } else {
          sp = read_linear(state.tr.base + 2 + new_cpl * 4, 2, false);
          new_ss_sel = uint16_t(read_linear(state.tr.base + 4 + new_cpl * 4, 2, false));
        }
        if ((new_ss_sel & ~3) == 0 || (new_ss_sel & 3) != new_cpl)
          raise(vec::kTs, (new_ss_sel & ~3) + ext);
        if (!read_descriptor(new_ss_sel, ss_desc)) raise(vec::kTs, (new_ss_sel & ~3) + ext);
        Descriptor sd = decode_descriptor(ss_desc);
        if ((sd.attributes & 0x1a) != 0x12 || ((sd.attributes >> 5) & 3) != new_cpl)
          raise(vec::kTs, (new_ss_sel & ~3) + ext);
        if (!(sd.attributes & 0x80)) raise(vec::kSs, (new_ss_sel & ~3) + ext);
        sd.attributes |= 1;
        new_ss = to_segment(new_ss_sel, sd);
        ss_base = new_ss.base;
        sp_32 = new_ss.default_big();
      }
      uint64_t frame[10];
      unsigned n = 0;
      if (has_error) frame[n++] = error;
      frame[n++] = return_rip;
      frame[n++] = old_cs;
      frame[n++] = old_rflags;
      if (privilege_change || v86_mode()) {
        frame[n++] = old_rsp;
        frame[n++] = old_ss;
        if (v86_mode()) {
          frame[n++] = state.seg[kEs].selector;
          frame[n++] = state.seg[kDs].selector;
          frame[n++] = state.seg[kFs].selector;
          frame[n++] = state.seg[kGs].selector;
        }
      }
      uint64_t sp_mask = sp_32 ? 0xffffffffull : 0xffff;
      uint64_t new_sp = (sp - n * width) & sp_mask;
      for (unsigned i = 0; i < n; i++)
        write_linear((ss_base + ((new_sp + i * width) & sp_mask)) & 0xffffffff, width,
                     frame[i], false);
      set_accessed(*this, cs_sel, desc);
      const bool was_v86 = v86_mode();
      load_code_segment_raw(cs_sel, desc, new_cpl);
      if (privilege_change || was_v86) {
        set_accessed(*this, new_ss_sel, ss_desc);
        state.seg[kSs] = new_ss;
      }
      if (was_v86)
        for (unsigned s : {kEs, kDs, kFs, kGs}) state.seg[s] = Segment{0, 0, 0, 0};
      if (sp_32)
        state.gpr[kRsp] = (state.gpr[kRsp] & ~0xffffffffull) | new_sp;
      else
        set_gpr(kRsp, 2, new_sp);
      state.rip = is_32 ? target & 0xffffffff : target & 0xffff;
    }
    uint64_t clear = flags::kTf | flags::kNt | flags::kRf | flags::kVm;
    if (!is_trap) clear |= flags::kIf;
    state.rflags &= ~clear;
    state.cpl = uint8_t(new_cpl);
    end_block();
  } catch (const CpuException& nested) {
    // A fault while delivering INT n / INT3 / INTO is a fault of that instruction: report it
    // at the instruction (the run loop restores RIP to its start).
    if (is_software) throw;
    // SDM Vol. 3 §6.15 Table 6-5: which second fault turns into a double fault.
    if (vector == vec::kDf) {
      host_.triple_fault("exception " + std::to_string(nested.vector) +
                         " while delivering a double fault");
      request_stop();
      return;
    }
    bool first_pf = vector == vec::kPf;
    bool first_contrib = is_contributory(vector);
    bool second_contrib = is_contributory(nested.vector);
    if ((first_contrib && second_contrib) ||
        (first_pf && (second_contrib || nested.vector == vec::kPf))) {
      if (delivering_depth_ > 4) {
        host_.triple_fault("exception loop while delivering exceptions");
        request_stop();
        return;
      }
      delivering_depth_++;
      deliver(vec::kDf, true, 0, false, return_rip);
      delivering_depth_--;
      return;
    }
    if (delivering_depth_ > 4) {
      host_.triple_fault("exception loop while delivering exceptions");
      request_stop();
      return;
    }
    delivering_depth_++;
    deliver(nested.vector, nested.has_error, nested.error, false, return_rip);
    delivering_depth_--;
  }
}

}  // namespace rwd

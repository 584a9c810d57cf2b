// SPDX-License-Identifier: MIT
// String instructions (MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS) with REP/REPE/REPNE.
// One iteration per execution: a repeated instruction leaves RIP on itself until rCX reaches 0
// (or the REPE/REPNE condition ends it), so every iteration is one position step and interrupts
// can land between iterations exactly as on hardware (SDM Vol. 2 REP).
#pragma once

#include "jit/semantics/operands.h"

namespace rwd::sem {

enum class StrOp { kMovs, kCmps, kStos, kLods, kScas, kIns, kOuts };

inline bool io_permitted(Cpu& c, uint16_t port, unsigned size);

template <StrOp kOp, unsigned N>
void string_op(Cpu& c, const Insn& i) {
  const unsigned as = i.addr_size;
  const bool rep = i.flags & (insn_flags::kRep | insn_flags::kRepne);
  if (rep && c.gpr(kRcx, as) == 0) return;
  const uint64_t amask = size_mask(as);
  const int64_t step = flag(c, flags::kDf) ? -int64_t(N) : int64_t(N);
  const uint64_t si = c.gpr(kRsi, as), di = c.gpr(kRdi, as);
  uint64_t f = 0;
  bool compares = false;
  switch (kOp) {
    case StrOp::kMovs: c.write(kEs, di, N, c.read(i.string_seg, si, N)); break;
    case StrOp::kStos: c.write(kEs, di, N, c.gpr(kRax, N)); break;
    case StrOp::kLods: c.set_gpr(kRax, N, c.read(i.string_seg, si, N)); break;
    case StrOp::kCmps: {
      uint64_t a = c.read(i.string_seg, si, N), b = c.read(kEs, di, N);
      f = flags_sub(a, b, a - b, 0, N);
      compares = true;
      break;
    }
    case StrOp::kScas: {
      uint64_t a = c.gpr(kRax, N), b = c.read(kEs, di, N);
      f = flags_sub(a, b, a - b, 0, N);
      compares = true;
      break;
    }
    case StrOp::kIns: {
      uint16_t port = uint16_t(c.state.gpr[kRdx]);
      if (!io_permitted(c, port, N)) c.raise(vec::kGp, 0);
      // Probe the destination first so a page fault does not consume device data.
      c.write(kEs, di, N, c.read(kEs, di, N));
      c.write(kEs, di, N, c.host().port_read(port, N));
      c.end_block();
      break;
    }
    case StrOp::kOuts: {
      uint16_t port = uint16_t(c.state.gpr[kRdx]);
      if (!io_permitted(c, port, N)) c.raise(vec::kGp, 0);
      c.host().port_write(port, N, uint32_t(c.read(i.string_seg, si, N)));
      c.end_block();
      break;
    }
  }
  if (kOp == StrOp::kMovs || kOp == StrOp::kLods || kOp == StrOp::kCmps || kOp == StrOp::kOuts)
    c.set_gpr(kRsi, as == 2 ? 2 : as, (si + uint64_t(step)) & amask);
  if (kOp == StrOp::kMovs || kOp == StrOp::kStos || kOp == StrOp::kCmps ||
      kOp == StrOp::kScas || kOp == StrOp::kIns)
    c.set_gpr(kRdi, as == 2 ? 2 : as, (di + uint64_t(step)) & amask);
  if (compares) set_flags(c, flags::kArith, f);
  if (!rep) return;
  const uint64_t count = (c.gpr(kRcx, as) - 1) & amask;
  c.set_gpr(kRcx, as, count);
  bool again = count != 0;
  if (compares) {
    const bool zf = f & flags::kZf;
    if (i.flags & insn_flags::kRepne) again = again && !zf;
    else again = again && zf;
  }
  if (again) c.state.rip = c.insn_start_;
}

}  // namespace rwd::sem

// SPDX-License-Identifier: MIT
// Chooses the semantic handler for a decoded instruction (once, at decode time).
#pragma once

#include "jit/decode/insn.h"

namespace rwd {

Handler select_handler(const Insn& insn);
// Instruction groups with tables of their own (x87.cc, sse.cc). nullptr = not theirs.
Handler select_x87_handler(const Insn& insn);
Handler select_sse_handler(const Insn& insn);

}  // namespace rwd

// SPDX-License-Identifier: MIT
// x87 FPU instructions: not yet implemented (they raise #UD).
#include "jit/semantics/table.h"

namespace rwd {
Handler select_x87_handler(const Insn&) { return nullptr; }
}  // namespace rwd

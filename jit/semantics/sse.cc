// SPDX-License-Identifier: MIT
// SSE family instructions: not yet implemented (they raise #UD).
#include "jit/semantics/table.h"

namespace rwd {
Handler select_sse_handler(const Insn&) { return nullptr; }
}  // namespace rwd

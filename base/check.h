// SPDX-License-Identifier: MIT
// Always-on assertions for emulator invariants (never for guest-triggerable conditions: those
// become guest-visible effects and a log line, see STYLE practice 10).
#pragma once

namespace rwd {
[[noreturn]] void check_failed(const char* expr, const char* file, int line, const char* msg);
}  // namespace rwd

#define REWIND_CHECK(expr)                                            \
  do {                                                                \
    if (!(expr)) ::rwd::check_failed(#expr, __FILE__, __LINE__, ""); \
  } while (0)
#define REWIND_CHECK_MSG(expr, msg)                                    \
  do {                                                                 \
    if (!(expr)) ::rwd::check_failed(#expr, __FILE__, __LINE__, msg); \
  } while (0)

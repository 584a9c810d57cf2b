// SPDX-License-Identifier: MIT
//
// Compares the host's and the emulator's result of one snippet under the
// snippet's masks (undefined flags, undefined destination registers, ...).
#ifndef REWIND_TESTS_DIFF_COMPARE_H_
#define REWIND_TESTS_DIFF_COMPARE_H_

#include <string>

#include "tests/diff/snippet.h"

namespace rwd::diff {

// Empty when `host` and `emu` agree on everything the snippet's masks
// select; otherwise a readable multi-line report: the case (category, form,
// index, code bytes), its input state and every difference.
std::string compare(const Snippet& snippet, const Result& host, const Result& emu);

// The case description part of the report (also used for generator checks).
std::string describe(const Snippet& snippet);

// Bytes as "48 01 c8".
std::string hex_bytes(const uint8_t* bytes, size_t size);

// "#DE", "#UD", "none", "timeout", ...
std::string vector_name(int vector);

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_COMPARE_H_

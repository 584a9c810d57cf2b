// SPDX-License-Identifier: MIT
//
// Deterministic snippet generator for the differential test.  Instructions
// are grouped into categories (roughly one per mnemonic, e.g. "add",
// "shld", "paddusb", "cvttsd2si"); each category has a list of forms
// (operand size x register/memory/immediate variant) and case i of a
// category uses form i % forms.size().  Every case is generated from its
// own PRNG stream derived from (seed, category name, index), so any single
// failing case can be regenerated from the triple printed by compare().
#ifndef REWIND_TESTS_DIFF_GENERATOR_H_
#define REWIND_TESTS_DIFF_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/diff/snippet.h"

namespace rwd::diff {

class CaseBuilder;  // gen_internal.h: fills in one Snippet

constexpr uint64_t kDefaultSeed = 0x7265'7769'6e64'0001ull;  // "rewind"+1
// REWIND_DIFF_LONG=1 multiplies the number of cases per form by this.
constexpr size_t kLongModeFactor = 100;

struct Category {
  std::string name;     // "add", "paddb", "popcnt", ...
  std::string group;    // "alu", "shift", "muldiv", "bit", "string", "stack",
                        // "branch", "misc", "sse_int", "sse_fp", "sse_cvt",
                        // "sse_move", "sse3", "ssse3", "sse41", ...
  std::string feature;  // CPUID feature needed, "" = baseline x86-64 (SSE2)
  std::vector<std::string> forms;  // case i uses forms[i % forms.size()]
  size_t cases_per_form = 0;       // default (non-long) cases per form
  // builders[i] generates a case of forms[i] (same length as forms).
  std::vector<std::function<void(CaseBuilder&)>> builders;

  size_t default_count() const { return forms.size() * cases_per_form; }
};

// All categories, in a stable order.
const std::vector<Category>& categories();
// nullptr if unknown.
const Category* find_category(std::string_view name);

// True if REWIND_DIFF_LONG is set to something other than "" or "0".
bool long_mode_enabled();
// Cases to run for a category: default_count(), times kLongModeFactor in
// long mode; REWIND_DIFF_CASES=<n> overrides the cases per form.
size_t case_count(const Category& category);
size_t case_count(const Category& category, bool long_mode);

// Case `index` of `category` (any index is valid; forms repeat).
Snippet generate_one(const Category& category, uint64_t index,
                     uint64_t seed = kDefaultSeed);
// Cases [first, first + count).  Use chunks for long runs.
std::vector<Snippet> generate(const Category& category, uint64_t first, size_t count,
                              uint64_t seed = kDefaultSeed);
// All case_count(category) cases.  Throws std::invalid_argument for an
// unknown category name.
std::vector<Snippet> generate(std::string_view category);

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_GENERATOR_H_

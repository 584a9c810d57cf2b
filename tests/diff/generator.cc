// SPDX-License-Identifier: MIT
//
// The category registry and the seeding scheme.  A case's PRNG seed depends
// only on (seed, category name, index), never on which other cases were
// generated, so a failure report names everything needed to reproduce it.
#include "tests/diff/generator.h"

#include <cstdlib>
#include <stdexcept>

#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : text) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return h;
}

uint64_t case_seed(uint64_t seed, std::string_view category, uint64_t index) {
  return splitmix64(splitmix64(seed ^ fnv1a(category)) ^ splitmix64(index + 1));
}

std::vector<Category> build_registry() {
  std::vector<Category> all;
  register_alu(&all);
  register_shift(&all);
  register_muldiv(&all);
  register_bits(&all);
  register_moves(&all);
  register_cond_lea(&all);
  register_string(&all);
  register_stack(&all);
  register_sse_int(&all);
  register_sse_float(&all);
  register_sse_cvt(&all);
  register_ssse3_sse41(&all);
  for (const Category& c : all) {
    if (c.forms.empty() || c.forms.size() != c.builders.size())
      throw std::logic_error("diff generator: malformed category " + c.name);
  }
  return all;
}

}  // namespace

const std::vector<Category>& categories() {
  static const std::vector<Category> all = build_registry();
  return all;
}

const Category* find_category(std::string_view name) {
  for (const Category& c : categories()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool long_mode_enabled() {
  const char* v = std::getenv("REWIND_DIFF_LONG");
  return v != nullptr && v[0] != '\0' && std::string_view(v) != "0";
}

size_t case_count(const Category& category, bool long_mode) {
  size_t per_form = category.cases_per_form * (long_mode ? kLongModeFactor : 1);
  if (const char* v = std::getenv("REWIND_DIFF_CASES"); v != nullptr && v[0] != '\0') {
    per_form = std::strtoull(v, nullptr, 10);
  }
  return per_form * category.forms.size();
}

size_t case_count(const Category& category) {
  return case_count(category, long_mode_enabled());
}

Snippet generate_one(const Category& category, uint64_t index, uint64_t seed) {
  Snippet s;
  s.category = category.name;
  s.index = index;
  s.feature = category.feature;
  const size_t form = index % category.forms.size();
  s.name = category.forms[form];
  CaseBuilder builder(&s, case_seed(seed, category.name, index));
  category.builders[form](builder);
  return s;
}

std::vector<Snippet> generate(const Category& category, uint64_t first, size_t count,
                              uint64_t seed) {
  std::vector<Snippet> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(generate_one(category, first + i, seed));
  return out;
}

std::vector<Snippet> generate(std::string_view category) {
  const Category* c = find_category(category);
  if (c == nullptr)
    throw std::invalid_argument("diff generator: unknown category " + std::string(category));
  return generate(*c, 0, case_count(*c));
}

}  // namespace rwd::diff

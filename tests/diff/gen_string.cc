// SPDX-License-Identifier: MIT
//
// String instructions: movs stos lods cmps scas, byte to quadword, with and
// without rep/repe/repne, forward and backward (DF), 64- and 32-bit
// addressing, small counts and overlapping copies (which must behave as
// the element-by-element loop the SDM describes, not as memmove).
#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

enum class Str { kMovs, kStos, kLods, kCmps, kScas };
enum class Rep { kNone, kRep, kRepne };

void build_string(CaseBuilder& b, Str op, unsigned bits, Rep rep, bool addr32) {
  b.ensure_data();
  const unsigned e = bits / 8;
  const bool down = b.rng.chance(50);
  b.s.input.rflags = (b.s.input.rflags & ~kFlagDf) | (down ? kFlagDf : 0);
  static const std::vector<uint64_t> kCounts = {0, 1, 2, 3, 4, 5, 7, 8, 13, 16};
  const uint64_t n = rep == Rep::kNone ? 1 : b.rng.pick(kCounts);
  const uint64_t span = n * e;
  // Start offsets leave room for `span` bytes in either direction.
  const uint64_t src = 0x200 + b.rng.below(0xc00);
  uint64_t dst = 0x200 + b.rng.below(0xc00);
  if (op == Str::kMovs && b.rng.chance(35)) {
    // Overlap by a few bytes in the copy direction.
    const uint64_t shift = 1 + b.rng.below(2 * e);
    dst = down ? src - shift : src + shift;
  }
  const uint64_t cmp_src = src, cmp_dst = dst;
  if (op == Str::kCmps && b.rng.chance(70)) {
    // Mostly-equal regions, so repe runs past the first element.
    const int64_t reach = int64_t(span) + 8;
    for (int64_t k = -reach; k <= reach; ++k) {
      b.s.data_init[cmp_dst + k] = b.s.data_init[cmp_src + k];
    }
    if (b.rng.chance(70)) b.s.data_init[cmp_dst + (down ? 0 - b.rng.below(span + 1)
                                                         : b.rng.below(span + 1))] ^= 0x5a;
  }
  if (op == Str::kScas && b.rng.chance(70)) {
    // Memory full of the accumulator's value, with a difference somewhere.
    const uint64_t v = b.rng.next();
    for (uint64_t i = 0; i <= n; ++i) {
      const uint64_t at = down ? dst - i * e : dst + i * e;
      b.put_data(at, v, e);
    }
    b.in(kRax) = v;
    if (b.rng.chance(50)) {
      const uint64_t i = b.rng.below(n + 1);
      b.s.data_init[down ? dst - i * e : dst + i * e] ^= 0x01;
    }
    // repne scas wants the opposite: mostly different, one match.
    if (rep == Rep::kRepne) b.in(kRax) = ~v;
  }
  auto address = [&](uint64_t offset) {
    const uint64_t a = kDataAddress + offset;
    // With addr32 only the low halves count; garbage above tests that.
    return addr32 ? (b.rng.next() & ~0xffffffffull) | a : a;
  };
  b.in(kRsi) = address(src);
  b.in(kRdi) = address(dst);
  b.in(kRcx) = addr32 ? (b.rng.next() & ~0xffffffffull) | n : n;
  if (rep == Rep::kNone) b.in(kRcx) = b.value(64);

  if (rep == Rep::kRep) b.emit_bytes({0xf3});
  if (rep == Rep::kRepne) b.emit_bytes({0xf2});
  if (addr32) b.emit_bytes({0x67});
  if (bits == 16) b.emit_bytes({0x66});
  if (bits == 64) b.emit_bytes({0x48});
  static const uint8_t kOp[] = {0xa4, 0xaa, 0xac, 0xa6, 0xae};
  b.emit_bytes({uint8_t(kOp[int(op)] + (bits == 8 ? 0 : 1))});
}

void add_string(std::vector<Category>* out, const std::string& name, Str op) {
  std::vector<Form> forms;
  const bool compares = op == Str::kCmps || op == Str::kScas;
  static const char kSuffix[] = {'b', 'w', 'd', 'q'};
  int size = 0;
  for (unsigned bits : {8u, 16u, 32u, 64u}) {
    const std::string mnem = name + kSuffix[size++];
    auto form = [&](const std::string& text, Rep rep, bool addr32) {
      forms.push_back({text, [=](CaseBuilder& b) { build_string(b, op, bits, rep, addr32); }});
    };
    form(mnem, Rep::kNone, false);
    form((compares ? "repe " : "rep ") + mnem, Rep::kRep, false);
    if (compares) form("repne " + mnem, Rep::kRepne, false);
    form((compares ? "repe " : "rep ") + mnem + " (addr32)", Rep::kRep, true);
  }
  add_category(out, name, "string", "", 200, std::move(forms));
}

}  // namespace

void register_string(std::vector<Category>* out) {
  add_string(out, "movs", Str::kMovs);
  add_string(out, "stos", Str::kStos);
  add_string(out, "lods", Str::kLods);
  add_string(out, "cmps", Str::kCmps);
  add_string(out, "scas", Str::kScas);
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
//
// Internals shared by the generator's per-family files (gen_*.cc): the
// PRNG, the CaseBuilder that turns random choices into a Snippet, and the
// registration helpers.  Each gen_*.cc defines one register_*() function
// that appends its categories.
#ifndef REWIND_TESTS_DIFF_GEN_INTERNAL_H_
#define REWIND_TESTS_DIFF_GEN_INTERNAL_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/diff/encoder.h"
#include "tests/diff/generator.h"
#include "tests/diff/snippet.h"

namespace rwd::diff {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t next() { return engine_(); }
  // Modulo bias is irrelevant for test-case selection.
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

inline uint64_t low_mask(unsigned bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }
inline uint64_t sign_bit(unsigned bits) { return 1ull << (bits - 1); }

// Builds one Snippet.  The constructor gives it a complete random start
// state (all GPRs, flags, XMM registers) so that every register an
// instruction must not touch is checked too.
class CaseBuilder {
 public:
  CaseBuilder(Snippet* snippet, uint64_t seed);

  Snippet& s;
  Rng rng;

  // ---- values
  // An "interesting" value (0, 1, -1, sign bit, 0x7f.., 0x80..01, single
  // bits, masks, small, random) in the low `bits`; zero above.
  uint64_t pure(unsigned bits);
  // pure(bits) with random garbage above `bits` most of the time, so that
  // partial-register writes are checked for what they must preserve.
  uint64_t value(unsigned bits);
  // A shift/rotate count in 0..255 biased to the edges of `bits`.
  uint64_t count(unsigned bits);

  // ---- registers
  // A random GPR that is neither rsp nor reserved by an earlier choice
  // (memory bases and indexes reserve theirs).
  int gpr();
  // Like gpr() but for byte operands, where 4..7 mean ah..bh (no REX) or
  // spl..dil (REX): rsp's slot is allowed because it is ah or spl.
  int gpr8();
  void reserve(int reg) { reserved_ |= 1u << reg; }
  uint64_t& in(int reg) { return s.input.gpr[reg]; }

  // ---- memory
  // A memory operand addressing `size` bytes of the data page at an
  // `align`-aligned random place (base register, sometimes an index, a
  // random displacement).  The page gets random contents.
  Mem mem(unsigned size, unsigned align = 1);
  // Offset of the last mem() target within the data page.
  uint64_t data_offset() const { return data_offset_; }
  void ensure_data();
  void put_data(uint64_t offset, uint64_t value, unsigned size);
  uint64_t get_data(uint64_t offset, unsigned size) const;

  // ---- instruction emission
  void emit(const Insn& insn) { encode(insn, &s.code); }
  void emit_bytes(const Bytes& bytes) { append(&s.code, bytes); }
  // ModRM instruction of operand size `bits`: 8 uses op8; 16 adds 0x66;
  // 64 sets REX.W.  Byte forms sometimes get an empty REX (spl..dil).
  void emit_sized(unsigned bits, const Bytes& op8, const Bytes& op, int reg, const Rm& rm,
                  const Bytes& imm = {}, const Bytes& prefixes = {});

  // ---- flags and masks
  void ignore_flags(uint64_t bits) { s.flags_mask &= ~bits; }
  void ignore_gpr(int reg) { s.gpr_mask &= uint16_t(~(1u << reg)); }
  void ignore_xmm(int reg) { s.xmm_mask &= uint16_t(~(1u << reg)); }
  void expect_vector(int vector) { s.expected_vector = vector; }

  // ---- SSE
  int xmm() { return int(rng.below(16)); }
  void xmm_int(int reg);  // random integer lanes of a random width
  uint32_t f32();         // a float of a random class (zero, denormal, NaN, ...)
  uint64_t f64();         // a double likewise
  // MXCSR for floating-point work: all exceptions masked, random rounding,
  // sometimes FZ/DAZ, random sticky flags.
  void fp_mxcsr();
  // Writes `size` bytes of random integer lanes to the data page.
  void data_int(uint64_t offset, unsigned size);

 private:
  uint32_t reserved_ = 1u << kRsp;
  uint64_t data_offset_ = 0;
};

using Builder = std::function<void(CaseBuilder&)>;

struct Form {
  std::string name;
  Builder build;
};

// Appends a category made of `forms`.
void add_category(std::vector<Category>* out, const std::string& name, const std::string& group,
                  const std::string& feature, size_t cases_per_form, std::vector<Form> forms);

// "8" -> "r/m8" style helpers for form names.
std::string bits_str(unsigned bits);

void register_alu(std::vector<Category>* out);
void register_shift(std::vector<Category>* out);
void register_muldiv(std::vector<Category>* out);
void register_bits(std::vector<Category>* out);
void register_moves(std::vector<Category>* out);
void register_cond_lea(std::vector<Category>* out);
void register_string(std::vector<Category>* out);
void register_stack(std::vector<Category>* out);
void register_sse_int(std::vector<Category>* out);
void register_sse_float(std::vector<Category>* out);
void register_sse_cvt(std::vector<Category>* out);
void register_ssse3_sse41(std::vector<Category>* out);

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_GEN_INTERNAL_H_

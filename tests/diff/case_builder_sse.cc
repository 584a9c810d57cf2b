// SPDX-License-Identifier: MIT
//
// CaseBuilder's SSE helpers: integer lanes and the floating-point value
// classes (zeros, denormals, infinities, quiet and signalling NaNs, values
// at integer-conversion and rounding edges).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tests/diff/gen_internal.h"

namespace rwd::diff {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t bits_of(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

}  // namespace

void CaseBuilder::xmm_int(int reg) {
  static const std::vector<unsigned> kWidths = {8, 16, 32, 64};
  const unsigned width = rng.pick(kWidths);
  uint8_t* x = s.input.xmm[reg];
  for (unsigned i = 0; i < 16; i += width / 8) {
    const uint64_t v = pure(width);
    std::memcpy(x + i, &v, width / 8);
  }
}

uint32_t CaseBuilder::f32() {
  const uint32_t sign = rng.chance(50) ? 0x80000000u : 0;
  const uint32_t frac = uint32_t(rng.next()) & 0x7fffffu;
  switch (rng.below(20)) {
    case 0: return sign;
    case 1: return sign | 0x3f800000u;
    case 2: case 3: case 4: case 5:  // near 1: results stay normal
      return sign | ((0x70u + uint32_t(rng.below(32))) << 23) | frac;
    case 6: return sign | ((1u + uint32_t(rng.below(254))) << 23) | frac;
    case 7: return sign | (frac | 1);                          // denormal
    case 8: return sign | (rng.chance(50) ? 0x00800000u : 0x7f7fffffu);
    case 9: return sign | 0x7f800000u;                         // infinity
    case 10: return sign | 0x7fc00000u | (frac & 0x3fffffu);   // QNaN
    case 11: return sign | 0x7f800000u | ((frac & 0x3fffffu) | 1);  // SNaN
    case 12: {  // integers and halves: rounding-mode and conversion edges
      const double v = double(int64_t(rng.below(2001)) - 1000) / (rng.chance(50) ? 1 : 2);
      return bits_of(float(v));
    }
    case 13: {  // around 2^31 and 2^63, where cvt* saturate to "indefinite"
      static const std::vector<uint32_t> kEdges = {0x4f000000u, 0xcf000000u, 0x4effffffu,
                                                   0xcf000001u, 0x5f000000u, 0xdf000000u,
                                                   0x5effffffu, 0x4f800000u};
      return rng.pick(kEdges);
    }
    case 14: return sign | (1u << 23) | (frac & 0xffu);        // tiny normals: underflow
    default: return uint32_t(rng.next());
  }
}

uint64_t CaseBuilder::f64() {
  const uint64_t sign = rng.chance(50) ? 1ull << 63 : 0;
  const uint64_t frac = rng.next() & ((1ull << 52) - 1);
  switch (rng.below(20)) {
    case 0: return sign;
    case 1: return sign | 0x3ff0000000000000ull;
    case 2: case 3: case 4: case 5:
      return sign | ((0x3e0ull + rng.below(64)) << 52) | frac;
    case 6: return sign | ((1 + rng.below(2046)) << 52) | frac;
    case 7: return sign | (frac | 1);
    case 8: return sign | (rng.chance(50) ? 0x0010000000000000ull : 0x7fefffffffffffffull);
    case 9: return sign | 0x7ff0000000000000ull;
    case 10: return sign | 0x7ff8000000000000ull | (frac & ((1ull << 51) - 1));
    case 11: return sign | 0x7ff0000000000000ull | ((frac & ((1ull << 51) - 1)) | 1);
    case 12: {
      const double v = double(int64_t(rng.below(2001)) - 1000) / (rng.chance(50) ? 1 : 2);
      return bits_of(v);
    }
    case 13: {
      static const std::vector<double> kEdges = {
          2147483648.0, -2147483648.0, 2147483647.0, 2147483647.5, -2147483648.5,
          -2147483649.0, 9223372036854775808.0, -9223372036854775808.0,
          9223372036854774784.0, 4294967296.0, 3.4028235677973366e38, 1.1754943508222875e-38,
          1.401298464324817e-45, 3.4028236e38};
      return bits_of(rng.pick(kEdges));
    }
    case 14: return sign | (1ull << 52) | (frac & 0xffff);
    default: return rng.next();
  }
}

void CaseBuilder::fp_mxcsr() {
  uint32_t m = 0x1f80 | uint32_t(rng.below(4) << 13);
  if (rng.chance(20)) m |= 0x8000;  // FZ
  if (rng.chance(20)) m |= 0x0040;  // DAZ
  if (rng.chance(25)) m |= uint32_t(rng.next() & 0x3f);  // sticky flags stay set
  s.input.mxcsr = m;
}

void CaseBuilder::data_int(uint64_t offset, unsigned size) {
  ensure_data();
  static const std::vector<unsigned> kWidths = {8, 16, 32, 64};
  const unsigned width = std::min(rng.pick(kWidths), size * 8);
  for (unsigned i = 0; i < size; i += width / 8) put_data(offset + i, pure(width), width / 8);
}

}  // namespace rwd::diff

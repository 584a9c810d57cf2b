// SPDX-License-Identifier: MIT
// SSE/SSE2/SSE3/SSSE3/SSE4.1 and MMX semantics: real instruction bytes run through the CPU in
// 64-bit mode, checked against known answers — saturation and wraparound, NaN and rounding-mode
// behaviour, MXCSR flags and unmasked exceptions, alignment faults, the availability checks and
// the x87/MMX state transitions.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "tests/unit/cpu_harness.h"

namespace rwd::test {
namespace {

constexpr uint64_t kData = 0x300000;  // 16-byte aligned scratch memory
constexpr uint32_t kMxcsrDefault = 0x1f80;
constexpr uint32_t kIe = 1, kDe = 2, kZe = 4, kUe = 16, kPe = 32;
constexpr uint64_t kZf = flags::kZf, kPf = flags::kPf, kCf = flags::kCf;
constexpr int kVecUd = 6, kVecNm = 7, kVecGp = 13, kVecXm = 19;

uint32_t fbits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
uint64_t dbits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
float bits_f(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
Xmm ps(float a, float b, float c, float d) {
  return Xmm{fbits(a) | uint64_t(fbits(b)) << 32, fbits(c) | uint64_t(fbits(d)) << 32};
}
Xmm pd(double a, double b) {
  return Xmm{dbits(a), dbits(b)};
}
template <typename T, size_t N>
Xmm lanes(const std::array<T, N>& v) {
  static_assert(sizeof(T) * N == 16);
  uint64_t q[2];
  std::memcpy(q, v.data(), 16);
  return Xmm{q[0], q[1]};
}
template <typename T>
T lane(const Xmm& x, unsigned k) {
  T v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(&x) + k * sizeof(T), sizeof(T));
  return v;
}
const float kNanF = std::numeric_limits<float>::quiet_NaN();
const double kNanD = std::numeric_limits<double>::quiet_NaN();

class Sse : public ::testing::Test {
 protected:
  explicit Sse(const char* model = "max") : h(CpuHarness::Mode::kLong64, model) {}

  Xmm& xmm(unsigned r) { return h.state().fpu.xmm[r]; }
  uint64_t& gpr(unsigned r) { return h.state().gpr[r]; }
  uint32_t& mxcsr() { return h.state().fpu.mxcsr; }
  uint64_t mm(unsigned r) {
    uint64_t v;
    std::memcpy(&v, h.state().fpu.st[r], 8);
    return v;
  }
  void set_mm(unsigned r, uint64_t v) { std::memcpy(h.state().fpu.st[r], &v, 8); }
  uint64_t arith_flags() { return h.state().rflags & flags::kArith; }

  // Runs the instruction(s) in `code`; returns the vector delivered, or -1.
  int exec(const std::vector<uint8_t>& code, uint64_t n = 1) {
    h.load_code(code);
    h.run(n);
    return h.delivered_vector();
  }

  CpuHarness h;
};

void expect_xmm(const Xmm& x, uint64_t lo, uint64_t hi) {
  EXPECT_EQ(x.lo, lo) << std::hex << x.lo;
  EXPECT_EQ(x.hi, hi) << std::hex << x.hi;
}

// --- Integer ------------------------------------------------------------------------------

TEST_F(Sse, PaddbWrapsAround) {
  xmm(0) = lanes<uint8_t, 16>({0xff, 0x80, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xfe});
  xmm(1) = lanes<uint8_t, 16>({0x01, 0x80, 0x01, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03});
  EXPECT_EQ(exec({0x66, 0x0f, 0xfc, 0xc1}), -1);  // paddb xmm0, xmm1
  EXPECT_EQ(lane<uint8_t>(xmm(0), 0), 0x00);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 1), 0x00);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 2), 0x80);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 3), 3);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 15), 0x01);
  EXPECT_EQ(h.cpu().state.rip, CpuHarness::kCodeAddress + 4);
}

TEST_F(Sse, SaturatingAddAndSubtract) {
  xmm(0) = lanes<uint16_t, 8>({0x7fff, 0x8000, 100, 0xfff0, 0, 0, 0, 0});
  xmm(1) = lanes<uint16_t, 8>({1, 0xffff, 200, 0x0020, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0xed, 0xc1});  // paddsw xmm0, xmm1
  expect_xmm(xmm(0), 0x0010'012c'8000'7fffull, 0);

  xmm(0) = lanes<uint8_t, 16>({0xf0, 0x10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  xmm(1) = lanes<uint8_t, 16>({0x20, 0x20, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0xdc, 0xc1});  // paddusb xmm0, xmm1
  EXPECT_EQ(lane<uint8_t>(xmm(0), 0), 0xff);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 1), 0x30);
  xmm(0) = lanes<uint8_t, 16>({0xf0, 0x10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0xd8, 0xc1});  // psubusb xmm0, xmm1
  EXPECT_EQ(lane<uint8_t>(xmm(0), 0), 0xd0);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 1), 0x00);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 2), 0x00);
}

TEST_F(Sse, Multiplies) {
  xmm(0) = lanes<uint16_t, 8>({0x8000, 0x8000, 1, 2, 0x4000, 0xffff, 0, 0});
  xmm(1) = lanes<uint16_t, 8>({0x8000, 0x8000, 3, 4, 0x4000, 0xffff, 0, 0});
  exec({0x66, 0x0f, 0xf5, 0xc1});  // pmaddwd xmm0, xmm1
  EXPECT_EQ(lane<uint32_t>(xmm(0), 0), 0x80000000u);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 1), 11u);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 2), 0x10000001u);  // 0x4000² + (-1)²

  xmm(0) = lanes<uint16_t, 8>({0x4000, 0x8000, 0x7fff, 0xffff, 0, 0, 0, 0});
  xmm(1) = lanes<uint16_t, 8>({0x4000, 0x8000, 0x7fff, 0x0001, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x38, 0x0b, 0xc1});  // pmulhrsw xmm0, xmm1
  EXPECT_EQ(lane<uint16_t>(xmm(0), 0), 0x2000);
  EXPECT_EQ(lane<uint16_t>(xmm(0), 1), 0x8000);  // the one overflowing case wraps
  EXPECT_EQ(lane<uint16_t>(xmm(0), 2), 0x7ffe);
  EXPECT_EQ(lane<uint16_t>(xmm(0), 3), 0x0000);

  xmm(0) = lanes<uint32_t, 4>({0xffffffff, 7, 0xfffffffe, 9});
  xmm(1) = lanes<uint32_t, 4>({0xffffffff, 7, 3, 9});
  exec({0x66, 0x0f, 0xf4, 0xc1});  // pmuludq xmm0, xmm1
  expect_xmm(xmm(0), 0xfffffffe00000001ull, 0x2fffffffaull);
  xmm(0) = lanes<uint32_t, 4>({0xffffffff, 7, 0xfffffffe, 9});
  exec({0x66, 0x0f, 0x38, 0x28, 0xc1});  // pmuldq xmm0, xmm1
  expect_xmm(xmm(0), 1, uint64_t(-6));
  xmm(0) = lanes<uint32_t, 4>({0x10000, 0xffffffff, 3, 0});
  xmm(1) = lanes<uint32_t, 4>({0x10000, 2, 0xfffffffd, 0});
  exec({0x66, 0x0f, 0x38, 0x40, 0xc1});  // pmulld xmm0, xmm1
  EXPECT_EQ(lane<uint32_t>(xmm(0), 0), 0u);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 1), 0xfffffffeu);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 2), 0xfffffff7u);
}

TEST_F(Sse, MultiplyHighIsSigned) {
  // Regression: GCC 12 -O3 once turned the signed form into PMULHUW.
  xmm(0) = lanes<uint16_t, 8>({0x8707, 0xfff8, 2, 3, 4, 5, 6, 0x8000});
  xmm(1) = lanes<uint16_t, 8>({0x02d6, 1000, 1, 1, 1, 1, 1, 0x8000});
  exec({0x66, 0x0f, 0xe5, 0xc1});  // pmulhw xmm0, xmm1
  EXPECT_EQ(lane<uint16_t>(xmm(0), 0), 0xfea8);
  EXPECT_EQ(lane<uint16_t>(xmm(0), 1), 0xffff);
  EXPECT_EQ(lane<uint16_t>(xmm(0), 7), 0x4000);
  xmm(0) = lanes<uint16_t, 8>({0x8707, 0xfff8, 2, 3, 4, 5, 6, 0x8000});
  exec({0x66, 0x0f, 0xe4, 0xc1});  // pmulhuw xmm0, xmm1
  EXPECT_EQ(lane<uint16_t>(xmm(0), 0), 0x017e);
  EXPECT_EQ(lane<uint16_t>(xmm(0), 1), 0x03e7);
}

TEST_F(Sse, PshufbZeroesLanesWithHighBit) {
  std::array<uint8_t, 16> src;
  for (unsigned k = 0; k < 16; k++) src[k] = uint8_t(0x10 + k);
  xmm(0) = lanes(src);
  xmm(1) =
      lanes<uint8_t, 16>({0x80, 0x0f, 0x01, 0x8f, 0x00, 0x1e, 0xff, 0x7f, 3, 3, 3, 3, 3, 3, 3, 3});
  exec({0x66, 0x0f, 0x38, 0x00, 0xc1});  // pshufb xmm0, xmm1
  expect_xmm(xmm(0), 0x1f001e1000111f00ull, 0x1313131313131313ull);
}

TEST_F(Sse, ShiftsByImmediateAndRegister) {
  xmm(0) = lanes<uint16_t, 8>({0x8000, 0x7fff, 0xf000, 1, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x71, 0xe0, 0x14});  // psraw xmm0, 20 (more than 15: sign fill)
  expect_xmm(xmm(0), 0x0000'ffff'0000'ffffull, 0);

  xmm(0) = Xmm{0x8000000000000001ull, 0xf0};
  xmm(1) = Xmm{64, 0};
  exec({0x66, 0x0f, 0xd3, 0xc1});  // psrlq xmm0, xmm1 (count 64: zero)
  expect_xmm(xmm(0), 0, 0);
  xmm(0) = Xmm{0x8000000000000001ull, 0xf0};
  xmm(1) = Xmm{4, 0xffff};  // only the low qword counts
  exec({0x66, 0x0f, 0xd3, 0xc1});
  expect_xmm(xmm(0), 0x0800000000000000ull, 0xf);

  xmm(0) = Xmm{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  exec({0x66, 0x0f, 0x73, 0xf8, 0x03});  // pslldq xmm0, 3
  expect_xmm(xmm(0), 0x0403020100000000ull, 0x0c0b0a0908070605ull);
  exec({0x66, 0x0f, 0x73, 0xd8, 0x11});  // psrldq xmm0, 17
  expect_xmm(xmm(0), 0, 0);
}

TEST_F(Sse, PacksUnpacksAndShuffles) {
  xmm(0) = lanes<int16_t, 8>({-1, 300, 128, 5, 255, 256, -32768, 32767});
  xmm(1) = lanes<int16_t, 8>({1, 2, 3, 4, 5, 6, 7, 8});
  exec({0x66, 0x0f, 0x67, 0xc1});  // packuswb xmm0, xmm1
  expect_xmm(xmm(0), 0xff00ffff0580ff00ull, 0x0807060504030201ull);

  xmm(0) = lanes<int32_t, 4>({-70000, 70000, 5, -5});
  xmm(1) = lanes<int32_t, 4>({1, 2, 3, 40000});
  exec({0x66, 0x0f, 0x6b, 0xc1});  // packssdw xmm0, xmm1
  expect_xmm(xmm(0), 0xfffb00057fff8000ull, 0x7fff000300020001ull);
  xmm(0) = lanes<int32_t, 4>({-70000, 70000, 5, -5});
  exec({0x66, 0x0f, 0x38, 0x2b, 0xc1});  // packusdw xmm0, xmm1
  expect_xmm(xmm(0), 0x00000005ffff0000ull, 0x9c40000300020001ull);

  xmm(0) = Xmm{0x0706050403020100ull, 0};
  xmm(1) = Xmm{0x1716151413121110ull, 0};
  exec({0x66, 0x0f, 0x60, 0xc1});  // punpcklbw xmm0, xmm1
  expect_xmm(xmm(0), 0x1303120211011000ull, 0x1707160615051404ull);

  xmm(1) = lanes<uint32_t, 4>({0, 1, 2, 3});
  exec({0x66, 0x0f, 0x70, 0xc1, 0x1b});  // pshufd xmm0, xmm1, 0x1b
  expect_xmm(xmm(0), 0x0000000200000003ull, 0x0000000000000001ull);

  xmm(0) = ps(1, 2, 3, 4);
  xmm(1) = ps(5, 6, 7, 8);
  exec({0x0f, 0xc6, 0xc1, 0x4e});  // shufps xmm0, xmm1, 0x4e
  expect_xmm(xmm(0), ps(3, 4, 5, 6).lo, ps(3, 4, 5, 6).hi);

  xmm(0) = Xmm{0x0f0e0d0c0b0a0908ull, 0x1f1e1d1c1b1a1918ull};
  xmm(1) = Xmm{0x0706050403020100ull, 0x1716151413121110ull};
  exec({0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x04});  // palignr xmm0, xmm1, 4
  expect_xmm(xmm(0), 0x1312111007060504ull, 0x0b0a090817161514ull);
}

TEST_F(Sse, Ssse3HorizontalSignAbs) {
  xmm(0) = lanes<int16_t, 8>({1, 2, 3, 4, 5, 6, -7, -8});
  xmm(1) = lanes<int16_t, 8>({10, 20, 30, 40, 50, 60, 32767, 1});
  exec({0x66, 0x0f, 0x38, 0x01, 0xc1});  // phaddw xmm0, xmm1
  EXPECT_EQ(lane<int16_t>(xmm(0), 0), 3);
  EXPECT_EQ(lane<int16_t>(xmm(0), 3), -15);
  EXPECT_EQ(lane<int16_t>(xmm(0), 4), 30);
  EXPECT_EQ(lane<int16_t>(xmm(0), 7), -32768);  // wraps (PHADDSW would saturate)

  xmm(0) = lanes<int8_t, 16>({1, 2, 3, -128, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  xmm(1) = lanes<int8_t, 16>({-1, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x38, 0x08, 0xc1});  // psignb xmm0, xmm1
  EXPECT_EQ(lane<int8_t>(xmm(0), 0), -1);
  EXPECT_EQ(lane<int8_t>(xmm(0), 1), 0);
  EXPECT_EQ(lane<int8_t>(xmm(0), 2), 3);
  EXPECT_EQ(lane<int8_t>(xmm(0), 3), -128);

  xmm(1) = lanes<int8_t, 16>({-1, -128, 127, 0, -5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x38, 0x1c, 0xc1});  // pabsb xmm0, xmm1
  EXPECT_EQ(lane<uint8_t>(xmm(0), 0), 1);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 1), 0x80);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 2), 127);
  EXPECT_EQ(lane<uint8_t>(xmm(0), 4), 5);

  xmm(0) = lanes<uint8_t, 16>({255, 255, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  xmm(1) = lanes<uint8_t, 16>({127, 127, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x38, 0x04, 0xc1});        // pmaddubsw xmm0, xmm1
  EXPECT_EQ(lane<int16_t>(xmm(0), 0), 32767);  // 255*127*2 saturates
  EXPECT_EQ(lane<int16_t>(xmm(0), 1), 5);      // 1*-1 + 2*3
}

TEST_F(Sse, CompareMinMaxAverageSad) {
  xmm(0) = lanes<int8_t, 16>({1, -1, 5, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  xmm(1) = lanes<int8_t, 16>({0, 0, 5, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x64, 0xc1});  // pcmpgtb xmm0, xmm1 (signed)
  expect_xmm(xmm(0), 0xff, 0);

  xmm(0) = lanes<uint8_t, 16>({0, 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  xmm(1) = lanes<uint8_t, 16>({1, 255, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0xe0, 0xc1});  // pavgb xmm0, xmm1 (rounds up)
  EXPECT_EQ(xmm(0).lo, 0x04ff01u);

  xmm(0) = lanes<uint8_t, 16>({10, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 1});
  xmm(1) = lanes<uint8_t, 16>({0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0xf6, 0xc1});  // psadbw xmm0, xmm1
  expect_xmm(xmm(0), 20, 256);

  xmm(0) = lanes<int32_t, 4>({-5, 7, INT32_MIN, 0});
  xmm(1) = lanes<int32_t, 4>({3, -7, INT32_MAX, 0});
  exec({0x66, 0x0f, 0x38, 0x39, 0xc1});  // pminsd xmm0, xmm1
  EXPECT_EQ(lane<int32_t>(xmm(0), 0), -5);
  EXPECT_EQ(lane<int32_t>(xmm(0), 1), -7);
  EXPECT_EQ(lane<int32_t>(xmm(0), 2), INT32_MIN);

  xmm(0) = Xmm{5, 6};
  xmm(1) = Xmm{5, 7};
  exec({0x66, 0x0f, 0x38, 0x29, 0xc1});  // pcmpeqq xmm0, xmm1
  expect_xmm(xmm(0), ~0ull, 0);
}

// --- Moves --------------------------------------------------------------------------------

TEST_F(Sse, MovdMovqZeroExtend) {
  xmm(0) = Xmm{~0ull, ~0ull};
  gpr(kRax) = 0x1122334455667788ull;
  exec({0x66, 0x0f, 0x6e, 0xc0});  // movd xmm0, eax
  expect_xmm(xmm(0), 0x55667788, 0);

  xmm(0) = Xmm{0xaabbccdd00112233ull, 5};
  xmm(1) = Xmm{~0ull, ~0ull};
  exec({0x66, 0x48, 0x0f, 0x7e, 0xc1,  // movq rcx, xmm0
        0xf3, 0x0f, 0x7e, 0xc8},       // movq xmm1, xmm0
       2);
  EXPECT_EQ(gpr(kRcx), 0xaabbccdd00112233ull);
  expect_xmm(xmm(1), 0xaabbccdd00112233ull, 0);

  h.write<uint64_t>(kData, 0x0102030405060708ull);
  h.write<uint64_t>(kData + 8, 0x1112131415161718ull);
  gpr(kRax) = kData;
  xmm(0) = Xmm{~0ull, ~0ull};
  exec({0xf3, 0x0f, 0x10, 0x00});  // movss xmm0, [rax]: zeroes the rest
  expect_xmm(xmm(0), 0x05060708, 0);
  xmm(0) = Xmm{~0ull, ~0ull};
  xmm(1) = Xmm{0x1234, 0x5678};
  exec({0xf3, 0x0f, 0x10, 0xc1});  // movss xmm0, xmm1: low dword only
  expect_xmm(xmm(0), 0xffffffff00001234ull, ~0ull);
  exec({0xf2, 0x0f, 0x11, 0x00});  // movsd [rax], xmm0
  EXPECT_EQ(h.read<uint64_t>(kData), 0xffffffff00001234ull);
  EXPECT_EQ(h.read<uint64_t>(kData + 8), 0x1112131415161718ull);

  xmm(0) = Xmm{1, 2};
  exec({0x0f, 0x16, 0x00});  // movhps xmm0, [rax]
  expect_xmm(xmm(0), 1, 0xffffffff00001234ull);
  xmm(1) = Xmm{3, 4};
  exec({0x0f, 0x12, 0xc1});  // movhlps xmm0, xmm1
  expect_xmm(xmm(0), 4, 0xffffffff00001234ull);
}

TEST_F(Sse, MovapsFaultsOnMisalignmentMovupsDoesNot) {
  for (unsigned k = 0; k < 32; k++) h.ram()[kData + k] = uint8_t(k);
  gpr(kRax) = kData + 4;
  xmm(0) = Xmm{0xdead, 0xbeef};
  const uint64_t before = h.cpu().stats().exceptions;
  EXPECT_EQ(exec({0x0f, 0x28, 0x00}), kVecGp);  // movaps xmm0, [rax]
  EXPECT_EQ(h.cpu().stats().exceptions, before + 1);
  expect_xmm(xmm(0), 0xdead, 0xbeef);
  // The #GP frame: error code 0, then the faulting RIP.
  EXPECT_EQ(h.read<uint64_t>(gpr(kRsp)), 0u);
  EXPECT_EQ(h.read<uint64_t>(gpr(kRsp) + 8), CpuHarness::kCodeAddress);

  gpr(kRax) = kData + 4;
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x0f, 0x10, 0x00}), -1);  // movups xmm0, [rax]
  expect_xmm(xmm(0), 0x0b0a090807060504ull, 0x131211100f0e0d0cull);

  EXPECT_EQ(exec({0x0f, 0x29, 0x00}), kVecGp);  // movaps [rax], xmm0: memory untouched
  EXPECT_EQ(h.read<uint32_t>(kData + 4), 0x07060504u);

  gpr(kRax) = kData + 3;
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0xf2, 0x0f, 0xf0, 0x00}), -1);  // lddqu xmm0, [rax]
  EXPECT_EQ(xmm(0).lo, 0x0a09080706050403ull);
  EXPECT_EQ(exec({0x66, 0x0f, 0xe7, 0x00}), kVecGp);  // movntdq [rax], xmm0
  gpr(kRax) = kData;
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x66, 0x0f, 0x38, 0x31, 0x00}), -1);  // pmovzxbd xmm0, [rax]: m32, no check
  expect_xmm(xmm(0), 0x0000000100000000ull, 0x0000000300000002ull);
  gpr(kRax) = kData + 8;
  EXPECT_EQ(exec({0x66, 0x0f, 0xfc, 0x00}), kVecGp);  // paddb xmm0, [rax]: m128 must align
}

TEST_F(Sse, MaskmovdquStoresSelectedBytes) {
  for (unsigned k = 0; k < 16; k++) h.ram()[kData + k] = 0xee;
  gpr(kRdi) = kData;
  xmm(0) = Xmm{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  xmm(1) = Xmm{0x0080008000800080ull, 0xff00000000000000ull};
  exec({0x66, 0x0f, 0xf7, 0xc1});  // maskmovdqu xmm0, xmm1
  EXPECT_EQ(h.read<uint64_t>(kData), 0xee06ee04ee02ee00ull);
  EXPECT_EQ(h.read<uint64_t>(kData + 8), 0x0feeeeeeeeeeeeeeull);
}

TEST_F(Sse, MasksExtractsInserts) {
  xmm(0) = Xmm{0x8000000180000000ull, 0x0000000000000080ull};
  exec({0x66, 0x0f, 0xd7, 0xc0});  // pmovmskb eax, xmm0
  EXPECT_EQ(gpr(kRax), 0x0188u);
  exec({0x0f, 0x50, 0xc0});  // movmskps eax, xmm0
  EXPECT_EQ(gpr(kRax), 0x3u);

  xmm(0) = Xmm{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  gpr(kRax) = ~0ull;
  exec({0x66, 0x0f, 0x3a, 0x14, 0xc0, 0x05});  // pextrb eax, xmm0, 5
  EXPECT_EQ(gpr(kRax), 5u);
  gpr(kRax) = kData;
  exec({0x66, 0x0f, 0x3a, 0x14, 0x00, 0x0f});  // pextrb [rax], xmm0, 15
  EXPECT_EQ(h.ram()[kData], 0x0f);
  exec({0x66, 0x48, 0x0f, 0x3a, 0x16, 0xc0, 0x01});  // pextrq rax, xmm0, 1
  EXPECT_EQ(gpr(kRax), 0x0f0e0d0c0b0a0908ull);
  exec({0x66, 0x0f, 0x3a, 0x17, 0xc0, 0x03});  // extractps eax, xmm0, 3
  EXPECT_EQ(gpr(kRax), 0x0f0e0d0cu);
  gpr(kRcx) = 0xffffffffaabbccddull;
  exec({0x66, 0x0f, 0x3a, 0x22, 0xc1, 0x02});  // pinsrd xmm0, ecx, 2
  expect_xmm(xmm(0), 0x0706050403020100ull, 0x0f0e0d0caabbccddull);

  xmm(0) = ps(1, 2, 3, 4);
  xmm(1) = ps(5, 6, 7, 8);
  exec({0x66, 0x0f, 0x3a, 0x21, 0xc1, 0x99});  // insertps xmm0, xmm1, 0x99
  expect_xmm(xmm(0), ps(0, 7, 3, 0).lo, ps(0, 7, 3, 0).hi);
}

// --- SSE4.1 -------------------------------------------------------------------------------

TEST_F(Sse, Sse41BlendsTestsAndExtends) {
  xmm(1) = lanes<int8_t, 16>({-128, 127, -1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x38, 0x20, 0xc1});  // pmovsxbw xmm0, xmm1
  expect_xmm(xmm(0), 0x0005ffff007fff80ull, 0);

  xmm(0) = Xmm{0x8000000000000080ull, 0};  // the implicit mask: bytes 0 and 7
  xmm(1) = Xmm{0x1111111111111111ull, 0x1111111111111111ull};
  xmm(2) = Xmm{0x2222222222222222ull, 0x2222222222222222ull};
  exec({0x66, 0x0f, 0x38, 0x10, 0xca});  // pblendvb xmm1, xmm2
  expect_xmm(xmm(1), 0x2211111111111122ull, 0x1111111111111111ull);

  xmm(0) = Xmm{0xf0, 0};
  xmm(1) = Xmm{0x0f, 0};
  h.state().rflags |= flags::kOf | flags::kSf | flags::kAf | flags::kPf;
  exec({0x66, 0x0f, 0x38, 0x17, 0xc1});  // ptest xmm0, xmm1: disjoint, src has bits not in dst
  EXPECT_EQ(arith_flags(), kZf);
  xmm(1) = Xmm{0x30, 0};
  exec({0x66, 0x0f, 0x38, 0x17, 0xc1});  // src within dst
  EXPECT_EQ(arith_flags(), kCf);

  xmm(0) = lanes<uint16_t, 8>({5, 3, 9, 3, 7, 8, 10, 4});
  exec({0x66, 0x0f, 0x38, 0x41, 0xc0});  // phminposuw xmm0, xmm0
  expect_xmm(xmm(0), 0x00010003, 0);

  xmm(0) = lanes<uint8_t, 16>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  xmm(1) = lanes<uint8_t, 16>({0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  exec({0x66, 0x0f, 0x3a, 0x42, 0xc1, 0x05});  // mpsadbw xmm0, xmm1, 5 (dst+4, src+4)
  // j: sum_k |(4+j+k) - 4| = 4j + 6
  expect_xmm(xmm(0), lanes<uint16_t, 8>({6, 10, 14, 18, 22, 26, 30, 34}).lo,
             lanes<uint16_t, 8>({6, 10, 14, 18, 22, 26, 30, 34}).hi);

  xmm(0) = ps(1, 2, 3, 4);
  xmm(1) = ps(5, 6, 7, 8);
  exec({0x66, 0x0f, 0x3a, 0x40, 0xc1, 0xf1});  // dpps xmm0, xmm1, 0xf1
  expect_xmm(xmm(0), fbits(70), 0);
  xmm(0) = pd(1.5, 2);
  xmm(1) = pd(2, 4);
  exec({0x66, 0x0f, 0x3a, 0x41, 0xc1, 0x33});  // dppd xmm0, xmm1, 0x33
  expect_xmm(xmm(0), dbits(11), dbits(11));
}

TEST_F(Sse, RoundHonoursImmediateAndPrecisionSuppression) {
  xmm(1) = pd(-2.5, 7);
  exec({0x66, 0x0f, 0x3a, 0x0b, 0xc1, 0x09});  // roundsd xmm0, xmm1, 9 (floor, no PE)
  EXPECT_EQ(xmm(0).lo, dbits(-3.0));
  EXPECT_EQ(mxcsr() & kPe, 0u);
  xmm(1) = pd(-0.5, 7);
  exec({0x66, 0x0f, 0x3a, 0x0b, 0xc1, 0x02});  // roundsd xmm0, xmm1, 2 (ceil, PE)
  EXPECT_EQ(xmm(0).lo, dbits(-0.0));
  EXPECT_EQ(mxcsr() & kPe, kPe);

  mxcsr() = kMxcsrDefault;
  xmm(1) = ps(0.5f, 1.5f, 2.5f, -0.5f);
  exec({0x66, 0x0f, 0x3a, 0x08, 0xc1, 0x04});  // roundps xmm0, xmm1, 4 (MXCSR.RC: nearest)
  expect_xmm(xmm(0), ps(0, 2, 2, -0.0f).lo, ps(0, 2, 2, -0.0f).hi);
  mxcsr() = kMxcsrDefault | (1u << 13);  // round down
  xmm(1) = ps(1e30f, -1.25f, kNanF, -INFINITY);
  exec({0x66, 0x0f, 0x3a, 0x08, 0xc1, 0x04});
  expect_xmm(xmm(0), ps(1e30f, -2, kNanF, -INFINITY).lo, ps(1e30f, -2, kNanF, -INFINITY).hi);
}

// --- Floating point -----------------------------------------------------------------------

TEST_F(Sse, AddssHonoursRoundingMode) {
  const float tiny = std::ldexp(1.0f, -24);  // half an ulp of 1.0
  for (auto [rc, expected] :
       {std::pair{0u, 0x3f800000u}, {1u, 0x3f800000u}, {2u, 0x3f800001u}, {3u, 0x3f800000u}}) {
    mxcsr() = kMxcsrDefault | (rc << 13);
    xmm(0) = Xmm{0xabcdef0000000000ull | fbits(1.0f), 0x1234};
    xmm(1) = Xmm{fbits(tiny), 0};
    exec({0xf3, 0x0f, 0x58, 0xc1});  // addss xmm0, xmm1
    expect_xmm(xmm(0), 0xabcdef0000000000ull | expected, 0x1234);
    EXPECT_EQ(mxcsr() & 0x3f, kPe) << rc;
  }
  // Round down: 1 - 2^-24 rounds to the float below 1.0 instead of to 1.0.
  mxcsr() = kMxcsrDefault | (1u << 13);
  xmm(0) = Xmm{fbits(1.0f), 0};
  xmm(1) = Xmm{fbits(-std::ldexp(1.0f, -25)), 0};
  exec({0xf3, 0x0f, 0x58, 0xc1});
  EXPECT_EQ(xmm(0).lo, 0x3f7fffffu);
}

TEST_F(Sse, DivideByZeroMaskedAndUnmasked) {
  xmm(0) = ps(1, 2, 3, 4);
  xmm(1) = ps(0, 0, 0, 0);
  exec({0xf3, 0x0f, 0x5e, 0xc1});  // divss xmm0, xmm1
  EXPECT_EQ(uint32_t(xmm(0).lo), 0x7f800000u);
  EXPECT_EQ(xmm(0).hi, ps(1, 2, 3, 4).hi);
  EXPECT_EQ(mxcsr(), kMxcsrDefault | kZe);

  mxcsr() = kMxcsrDefault & ~(kZe << 7);  // ZM clear
  xmm(0) = ps(1, 2, 3, 4);
  EXPECT_EQ(exec({0xf3, 0x0f, 0x5e, 0xc1}), kVecXm);
  expect_xmm(xmm(0), ps(1, 2, 3, 4).lo, ps(1, 2, 3, 4).hi);  // destination unchanged
  EXPECT_EQ(mxcsr() & 0x3f, kZe);
  EXPECT_EQ(h.read<uint64_t>(gpr(kRsp)), CpuHarness::kCodeAddress);  // no error code

  // Without CR4.OSXMMEXCPT the same fault is #UD.
  mxcsr() = kMxcsrDefault & ~(kZe << 7);
  gpr(kRsp) = CpuHarness::kStackTop;
  h.state().cr4 &= ~cr4::kOsxmmexcpt;
  EXPECT_EQ(exec({0xf3, 0x0f, 0x5e, 0xc1}), kVecUd);
  // Masked exceptions on lanes that are not computed do not count: 0/0 only in lane 1.
  h.state().cr4 |= cr4::kOsxmmexcpt;
  mxcsr() = kMxcsrDefault & ~(kIe << 7);
  gpr(kRsp) = CpuHarness::kStackTop;
  xmm(0) = ps(1, 0, 3, 4);
  xmm(1) = ps(2, 0, 1, 1);
  EXPECT_EQ(exec({0xf3, 0x0f, 0x5e, 0xc1}), -1);
  EXPECT_EQ(uint32_t(xmm(0).lo), fbits(0.5f));
}

TEST_F(Sse, UnmaskedOverflowReportsPrecisionOfTheUnboundedResult) {
  // 2^100 * 2^100 overflows, but the significand product is exact: with OE masked the result is
  // +inf with OE|PE; with OE unmasked only OE is reported (SDM Vol. 1 §11.5.2.4).
  xmm(0) = ps(std::ldexp(1.0f, 100), 0, 0, 0);
  xmm(1) = ps(std::ldexp(1.0f, 100), 0, 0, 0);
  exec({0xf3, 0x0f, 0x59, 0xc1});  // mulss xmm0, xmm1
  EXPECT_EQ(uint32_t(xmm(0).lo), 0x7f800000u);
  EXPECT_EQ(mxcsr() & 0x3f, 0x28u);
  mxcsr() = kMxcsrDefault & ~(8u << 7);  // OM clear
  xmm(0) = ps(std::ldexp(1.0f, 100), 0, 0, 0);
  EXPECT_EQ(exec({0xf3, 0x0f, 0x59, 0xc1}), kVecXm);
  EXPECT_EQ(mxcsr() & 0x3f, 0x08u);
  // A product that is also inexact reports PE as well.
  mxcsr() = kMxcsrDefault & ~(8u << 7);
  gpr(kRsp) = CpuHarness::kStackTop;
  xmm(0) = ps(std::ldexp(1.0f, 100) * 1.1f, 0, 0, 0);
  xmm(1) = ps(std::ldexp(1.0f, 100) * 1.3f, 0, 0, 0);
  EXPECT_EQ(exec({0xf3, 0x0f, 0x59, 0xc1}), kVecXm);
  EXPECT_EQ(mxcsr() & 0x3f, 0x28u);
}

TEST_F(Sse, DotProductFlagsArePerStep) {
  // Lane 0's product underflows (masked: UE|PE), then the sums see that denormal and signal
  // an unmasked DE: the products' flags stay, and the instruction faults.
  mxcsr() = kMxcsrDefault & ~(kDe << 7);
  xmm(0) = ps(std::ldexp(1.0f, -70), 1, 0, 0);
  xmm(1) = ps(std::ldexp(1.3f, -70), 1, 0, 0);
  EXPECT_EQ(exec({0x66, 0x0f, 0x3a, 0x40, 0xc1, 0x31}), kVecXm);  // dpps xmm0, xmm1, 0x31
  EXPECT_EQ(mxcsr() & 0x3f, kUe | kPe | kDe);
  EXPECT_EQ(xmm(0).lo, ps(std::ldexp(1.0f, -70), 1, 0, 0).lo);
}

TEST_F(Sse, PackedCompares) {
  const std::vector<std::pair<uint8_t, std::array<uint32_t, 4>>> cases = {
      {1, {~0u, 0, 0, 0}},      // LT
      {3, {0, ~0u, 0, 0}},      // UNORD
      {6, {0, ~0u, 0, ~0u}},    // NLE
      {0, {0, 0, ~0u, 0}},      // EQ
      {4, {~0u, ~0u, 0, ~0u}},  // NEQ
      {7, {~0u, 0, ~0u, ~0u}},  // ORD
  };
  for (const auto& [pred, expected] : cases) {
    mxcsr() = kMxcsrDefault;
    xmm(0) = ps(1, kNanF, 3, 4);
    xmm(1) = ps(2, 2, 3, 1);
    exec({0x0f, 0xc2, 0xc1, pred});  // cmpps xmm0, xmm1, pred
    expect_xmm(xmm(0), lanes(expected).lo, lanes(expected).hi);
    // QNaNs only signal for the ordered-relational predicates LT/LE/NLT/NLE.
    const bool signals = pred == 1 || pred == 2 || pred == 5 || pred == 6;
    EXPECT_EQ(mxcsr() & kIe, signals ? kIe : 0u) << int(pred);
  }
  mxcsr() = kMxcsrDefault;
  xmm(0) = pd(1, 5);
  xmm(1) = pd(1, 6);
  exec({0xf2, 0x0f, 0xc2, 0xc1, 0x05});  // cmpsd xmm0, xmm1, 5 (NLT, scalar)
  expect_xmm(xmm(0), ~0ull, dbits(5));
}

TEST_F(Sse, ComisAndUcomisFlags) {
  h.state().rflags |= flags::kOf | flags::kSf | flags::kAf;
  xmm(0) = ps(kNanF, 0, 0, 0);
  xmm(1) = ps(1, 0, 0, 0);
  exec({0x0f, 0x2e, 0xc1});  // ucomiss xmm0, xmm1
  EXPECT_EQ(arith_flags(), kZf | kPf | kCf);
  EXPECT_EQ(mxcsr() & kIe, 0u);  // a QNaN does not signal for UCOMISS
  exec({0x0f, 0x2f, 0xc1});      // comiss xmm0, xmm1
  EXPECT_EQ(arith_flags(), kZf | kPf | kCf);
  EXPECT_EQ(mxcsr() & kIe, kIe);

  for (auto [a, b, expected] :
       {std::tuple{1.0, 2.0, kCf}, {2.0, 2.0, kZf}, {3.0, 2.0, 0ull}, {-0.0, 0.0, kZf}}) {
    h.state().rflags |= flags::kArith;
    xmm(0) = pd(a, 0);
    xmm(1) = pd(b, 0);
    exec({0x66, 0x0f, 0x2f, 0xc1});  // comisd xmm0, xmm1
    EXPECT_EQ(arith_flags(), expected) << a << " " << b;
  }
}

TEST_F(Sse, SqrtMinMaxAndNaNRules) {
  xmm(0) = pd(9, 77);
  xmm(1) = pd(2, 0);
  exec({0xf2, 0x0f, 0x51, 0xc1});  // sqrtsd xmm0, xmm1
  expect_xmm(xmm(0), 0x3ff6a09e667f3bcdull, dbits(77));
  EXPECT_EQ(mxcsr(), kMxcsrDefault | kPe);
  mxcsr() = kMxcsrDefault;
  xmm(1) = pd(-1, 0);
  exec({0xf2, 0x0f, 0x51, 0xc1});
  EXPECT_EQ(xmm(0).lo, 0xfff8000000000000ull);  // the default NaN
  EXPECT_EQ(mxcsr(), kMxcsrDefault | kIe);

  // MAXSS returns the second operand when either is a NaN.
  xmm(0) = ps(kNanF, 0, 0, 0);
  xmm(1) = ps(1, 0, 0, 0);
  exec({0xf3, 0x0f, 0x5f, 0xc1});  // maxss xmm0, xmm1
  EXPECT_EQ(uint32_t(xmm(0).lo), fbits(1));
  xmm(0) = ps(1, 0, 0, 0);
  xmm(1) = ps(kNanF, 0, 0, 0);
  exec({0xf3, 0x0f, 0x5f, 0xc1});
  EXPECT_EQ(uint32_t(xmm(0).lo), 0x7fc00000u);
  // MINPD of two zeros is the second one.
  xmm(0) = pd(-0.0, 0.0);
  xmm(1) = pd(0.0, -0.0);
  exec({0x66, 0x0f, 0x5d, 0xc1});  // minpd xmm0, xmm1
  expect_xmm(xmm(0), dbits(0.0), dbits(-0.0));

  // NaN propagation: the first operand's QNaN wins; an SNaN is quieted and raises IE.
  mxcsr() = kMxcsrDefault;
  xmm(0) = Xmm{0x7fa00001u, 0};    // SNaN
  xmm(1) = Xmm{0x7fc00002u, 0};    // QNaN
  exec({0xf3, 0x0f, 0x58, 0xc1});  // addss xmm0, xmm1
  EXPECT_EQ(uint32_t(xmm(0).lo), 0x7fe00001u);
  EXPECT_EQ(mxcsr() & kIe, kIe);
}

TEST_F(Sse, DenormalsDazFtzAndUnmaskedUnderflow) {
  const float tiny = std::ldexp(1.0f, -70);
  xmm(0) = ps(tiny, 0, 0, 0);
  xmm(1) = ps(tiny, 0, 0, 0);
  exec({0xf3, 0x0f, 0x59, 0xc1});  // mulss: 2^-140 is an exact denormal: no UE, no PE
  EXPECT_EQ(uint32_t(xmm(0).lo), fbits(std::ldexp(1.0f, -140)));
  EXPECT_EQ(mxcsr(), kMxcsrDefault);

  mxcsr() = kMxcsrDefault | 0x8000;  // FTZ
  xmm(0) = ps(tiny, 0, 0, 0);
  exec({0xf3, 0x0f, 0x59, 0xc1});
  EXPECT_EQ(uint32_t(xmm(0).lo), 0u);
  EXPECT_EQ(mxcsr() & 0x3f, kUe | kPe);

  // Underflow unmasked: even the exact denormal result faults (and FTZ does not apply).
  mxcsr() = (kMxcsrDefault | 0x8000) & ~(kUe << 7);
  xmm(0) = ps(tiny, 0, 0, 0);
  EXPECT_EQ(exec({0xf3, 0x0f, 0x59, 0xc1}), kVecXm);
  EXPECT_EQ(uint32_t(xmm(0).lo), fbits(tiny));
  EXPECT_EQ(mxcsr() & 0x3f, kUe);

  // A denormal operand: DE, or treated as zero under DAZ.
  gpr(kRsp) = CpuHarness::kStackTop;
  const float denormal = std::ldexp(1.0f, -130);
  mxcsr() = kMxcsrDefault;
  xmm(0) = ps(denormal, 0, 0, 0);
  xmm(1) = ps(0, 0, 0, 0);
  exec({0xf3, 0x0f, 0x58, 0xc1});  // addss xmm0, xmm1
  EXPECT_EQ(uint32_t(xmm(0).lo), fbits(denormal));
  EXPECT_EQ(mxcsr() & 0x3f, kDe);
  mxcsr() = kMxcsrDefault | 0x40;  // DAZ
  xmm(0) = ps(denormal, 0, 0, 0);
  exec({0xf3, 0x0f, 0x58, 0xc1});
  EXPECT_EQ(uint32_t(xmm(0).lo), 0u);
  EXPECT_EQ(mxcsr() & 0x3f, 0u);
}

TEST_F(Sse, HorizontalAndAlternatingSse3) {
  xmm(0) = ps(1, 2, 3, 4);
  xmm(1) = ps(5, 6, 7, 8);
  exec({0xf2, 0x0f, 0x7c, 0xc1});  // haddps xmm0, xmm1
  expect_xmm(xmm(0), ps(3, 7, 11, 15).lo, ps(3, 7, 11, 15).hi);
  xmm(0) = pd(1, 2);
  xmm(1) = pd(10, 20);
  exec({0x66, 0x0f, 0xd0, 0xc1});  // addsubpd xmm0, xmm1
  expect_xmm(xmm(0), dbits(-9), dbits(22));
  xmm(0) = pd(1, 2);
  exec({0x66, 0x0f, 0x7d, 0xc1});  // hsubpd xmm0, xmm1
  expect_xmm(xmm(0), dbits(-1), dbits(-10));
  xmm(1) = ps(1, 2, 3, 4);
  exec({0xf3, 0x0f, 0x16, 0xc1});  // movshdup xmm0, xmm1
  expect_xmm(xmm(0), ps(2, 2, 4, 4).lo, ps(2, 2, 4, 4).hi);
  gpr(kRax) = kData + 8;  // MOVDDUP reads an m64: no alignment requirement
  h.write<double>(kData + 8, 2.5);
  exec({0xf2, 0x0f, 0x12, 0x00});  // movddup xmm0, [rax]
  expect_xmm(xmm(0), dbits(2.5), dbits(2.5));
}

TEST_F(Sse, Conversions) {
  mxcsr() = kMxcsrDefault;
  xmm(0) = pd(kNanD, 0);
  gpr(kRax) = ~0ull;
  exec({0xf2, 0x0f, 0x2c, 0xc0});  // cvttsd2si eax, xmm0
  EXPECT_EQ(gpr(kRax), 0x80000000u);
  EXPECT_EQ(mxcsr() & kIe, kIe);
  xmm(0) = pd(3e9, 0);
  exec({0xf2, 0x0f, 0x2c, 0xc0});
  EXPECT_EQ(gpr(kRax), 0x80000000u);
  exec({0xf2, 0x48, 0x0f, 0x2c, 0xc0});  // cvttsd2si rax, xmm0
  EXPECT_EQ(gpr(kRax), 3000000000u);
  xmm(0) = pd(-1e300, 0);
  exec({0xf2, 0x48, 0x0f, 0x2c, 0xc0});
  EXPECT_EQ(gpr(kRax), 0x8000000000000000ull);

  mxcsr() = kMxcsrDefault;
  xmm(0) = pd(2.5, 0);
  exec({0xf2, 0x0f, 0x2d, 0xc0});  // cvtsd2si eax, xmm0: nearest-even
  EXPECT_EQ(gpr(kRax), 2u);
  mxcsr() = kMxcsrDefault | (1u << 13);  // down
  xmm(0) = pd(-2.5, 0);
  exec({0xf2, 0x0f, 0x2d, 0xc0});
  EXPECT_EQ(gpr(kRax), uint32_t(-3));
  EXPECT_EQ(mxcsr() & kPe, kPe);

  mxcsr() = kMxcsrDefault;
  gpr(kRax) = (1ull << 60) + 1;  // not representable: rounds
  xmm(0) = Xmm{~0ull, ~0ull};
  exec({0xf3, 0x48, 0x0f, 0x2a, 0xc0});  // cvtsi2ss xmm0, rax
  expect_xmm(xmm(0), 0xffffffff00000000ull | fbits(std::ldexp(1.0f, 60)), ~0ull);
  EXPECT_EQ(mxcsr() & kPe, kPe);
  gpr(kRax) = uint32_t(-7);
  exec({0xf2, 0x0f, 0x2a, 0xc0});  // cvtsi2sd xmm0, eax
  EXPECT_EQ(xmm(0).lo, dbits(-7));

  xmm(1) = ps(1.5f, -2.5f, 1e10f, kNanF);
  exec({0x66, 0x0f, 0x5b, 0xc1});  // cvtps2dq xmm0, xmm1
  expect_xmm(xmm(0), 0xfffffffe00000002ull, 0x8000000080000000ull);
  exec({0xf3, 0x0f, 0x5b, 0xc1});  // cvttps2dq xmm0, xmm1
  expect_xmm(xmm(0), 0xfffffffe00000001ull, 0x8000000080000000ull);
  xmm(1) = lanes<int32_t, 4>({1, -2, 16777217, 0});
  exec({0x0f, 0x5b, 0xc1});  // cvtdq2ps xmm0, xmm1
  expect_xmm(xmm(0), ps(1, -2, 16777216.0f, 0).lo, ps(1, -2, 16777216.0f, 0).hi);
  exec({0xf3, 0x0f, 0xe6, 0xc1});  // cvtdq2pd xmm0, xmm1
  expect_xmm(xmm(0), dbits(1), dbits(-2));

  xmm(1) = ps(1.5f, -0.25f, 9, 9);
  exec({0x0f, 0x5a, 0xc1});  // cvtps2pd xmm0, xmm1
  expect_xmm(xmm(0), dbits(1.5), dbits(-0.25));
  xmm(1) = pd(0.1, 1e300);
  mxcsr() = kMxcsrDefault;
  exec({0x66, 0x0f, 0x5a, 0xc1});  // cvtpd2ps xmm0, xmm1: upper half zeroed
  expect_xmm(xmm(0), fbits(0.1f) | uint64_t(0x7f800000) << 32, 0);
  EXPECT_EQ(mxcsr() & 0x3f, 0x28u);  // OE | PE
  xmm(1) = pd(2.5, -3.5);
  xmm(0) = Xmm{~0ull, ~0ull};
  exec({0xf2, 0x0f, 0xe6, 0xc1});  // cvtpd2dq xmm0, xmm1
  expect_xmm(xmm(0), 0xfffffffc00000002ull, 0);

  xmm(0) = Xmm{0, 0x5555};
  xmm(1) = pd(1.0 / 3, 0);
  exec({0xf2, 0x0f, 0x5a, 0xc1});  // cvtsd2ss xmm0, xmm1
  expect_xmm(xmm(0), fbits(1.0f / 3), 0x5555);
  xmm(1) = ps(0.1f, 0, 0, 0);
  exec({0xf3, 0x0f, 0x5a, 0xc1});  // cvtss2sd xmm0, xmm1
  expect_xmm(xmm(0), dbits(double(0.1f)), 0x5555);
}

TEST_F(Sse, ReciprocalApproximations) {
  xmm(0) = Xmm{0, 0x77};
  xmm(1) = ps(4, 0, 0, 0);
  exec({0xf3, 0x0f, 0x53, 0xc1});  // rcpss xmm0, xmm1
  expect_xmm(xmm(0), fbits(0.25f), 0x77);
  xmm(1) = ps(3, 0, 0, 0);
  exec({0xf3, 0x0f, 0x53, 0xc1});
  EXPECT_NEAR(bits_f(uint32_t(xmm(0).lo)), 1.0f / 3, 1.5f / 3 / 4096);

  xmm(1) = ps(4, -1, 0, INFINITY);
  exec({0x0f, 0x52, 0xc1});  // rsqrtps xmm0, xmm1
  EXPECT_EQ(lane<uint32_t>(xmm(0), 0), fbits(0.5f));
  EXPECT_EQ(lane<uint32_t>(xmm(0), 1), 0xffc00000u);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 2), 0x7f800000u);
  EXPECT_EQ(lane<uint32_t>(xmm(0), 3), 0u);
  EXPECT_EQ(mxcsr(), kMxcsrDefault);  // no flags from the approximations
}

TEST_F(Sse, LdmxcsrStmxcsr) {
  gpr(kRax) = kData;
  h.write<uint32_t>(kData, 0x7f80 | 0x40);  // RC=up, DAZ
  EXPECT_EQ(exec({0x0f, 0xae, 0x10}), -1);  // ldmxcsr [rax]
  EXPECT_EQ(mxcsr(), 0x7fc0u);
  gpr(kRax) = kData + 4;
  exec({0x0f, 0xae, 0x18});  // stmxcsr [rax]
  EXPECT_EQ(h.read<uint32_t>(kData + 4), 0x7fc0u);

  gpr(kRax) = kData;
  h.write<uint32_t>(kData, 0x10000 | 0x1f80);  // a reserved bit
  EXPECT_EQ(exec({0x0f, 0xae, 0x10}), kVecGp);
  EXPECT_EQ(mxcsr(), 0x7fc0u);
}

// --- Availability checks ------------------------------------------------------------------

TEST_F(Sse, ControlRegisterChecks) {
  h.state().cr4 &= ~cr4::kOsfxsr;
  EXPECT_EQ(exec({0x0f, 0x58, 0xc1}), kVecUd);  // addps: SSE needs CR4.OSFXSR
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x0f, 0xfc, 0xc1}), -1);  // paddb mm0, mm1: MMX does not

  h.state().cr4 |= cr4::kOsfxsr;
  h.state().cr0 |= cr0::kTs;
  EXPECT_EQ(exec({0x66, 0x0f, 0xfc, 0xc1}), kVecNm);  // paddb xmm0, xmm1
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x0f, 0xfc, 0xc1}), kVecNm);

  h.state().cr0 &= ~cr0::kTs;
  h.state().cr0 |= cr0::kEm;
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x0f, 0xfc, 0xc1}), kVecUd);
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x66, 0x0f, 0xfc, 0xc1}), kVecUd);
}

class SseCore2 : public Sse {
 protected:
  SseCore2() : Sse("core2duo") {}
};

TEST_F(SseCore2, Sse41IsNotDecodedOnCore2) {
  EXPECT_EQ(exec({0x66, 0x0f, 0x38, 0x40, 0xc1}), kVecUd);  // pmulld
  gpr(kRsp) = CpuHarness::kStackTop;
  EXPECT_EQ(exec({0x66, 0x0f, 0x38, 0x00, 0xc1}), -1);  // pshufb (SSSE3) is there
}

TEST(SseProtected32, SameSemanticsIn32BitCode) {
  CpuHarness h(CpuHarness::Mode::kProtected32);
  h.write<float>(kData, 1.5f);
  h.write<float>(kData + 4, 2.5f);
  h.write<float>(kData + 8, -1.0f);
  h.write<float>(kData + 12, 8.0f);
  h.state().gpr[kRax] = kData;
  // movaps xmm1, [eax]; addps xmm1, xmm1; cvtps2dq xmm2, xmm1; movd ecx, xmm2
  h.load_code({0x0f, 0x28, 0x08, 0x0f, 0x58, 0xc9, 0x66, 0x0f, 0x5b, 0xd1, 0x66, 0x0f, 0x7e, 0xd1});
  h.run(4);
  EXPECT_EQ(h.delivered_vector(), -1);
  EXPECT_EQ(h.state().fpu.xmm[2].lo, 0x0000000500000003ull);
  EXPECT_EQ(h.state().fpu.xmm[2].hi, 0x00000010fffffffeull);
  EXPECT_EQ(h.state().gpr[kRcx], 3u);
}

// --- MMX ----------------------------------------------------------------------------------

TEST_F(Sse, MmxUsesX87RegistersAndTags) {
  h.state().fpu.fsw = 5 << 11;  // TOP = 5
  h.state().fpu.ftw = 0xffff;
  set_mm(0, 0x00ff7f0180000102ull);
  set_mm(1, 0x0101010180808080ull);
  exec({0x0f, 0xfc, 0xc1});  // paddb mm0, mm1
  EXPECT_EQ(mm(0), 0x0100800200808182ull);
  EXPECT_EQ(h.state().fpu.st[0][8], 0xff);
  EXPECT_EQ(h.state().fpu.st[0][9], 0xff);
  EXPECT_EQ((h.state().fpu.fsw >> 11) & 7, 0);
  EXPECT_EQ(h.state().fpu.ftw, 0);
  exec({0x0f, 0x77});  // emms
  EXPECT_EQ(h.state().fpu.ftw, 0xffff);

  gpr(kRax) = 0xdeadbeefcafef00dull;
  exec({0x0f, 0x6e, 0xc0,         // movd mm0, eax
        0x48, 0x0f, 0x7e, 0xc1},  // movq rcx, mm0
       2);
  EXPECT_EQ(mm(0), 0xcafef00du);
  EXPECT_EQ(gpr(kRcx), 0xcafef00du);

  set_mm(0, 0x4444333322221111ull);
  gpr(kRax) = 0x9999;
  exec({0x0f, 0xc5, 0xc0, 0x02,   // pextrw eax, mm0, 2
        0x0f, 0xc4, 0xc0, 0x03},  // pinsrw mm0, eax, 3
       2);
  EXPECT_EQ(gpr(kRax), 0x3333u);
  EXPECT_EQ(mm(0), 0x3333333322221111ull);
  set_mm(1, 0x4444333322221111ull);
  exec({0x0f, 0x70, 0xc1, 0x1b});  // pshufw mm0, mm1, 0x1b
  EXPECT_EQ(mm(0), 0x1111222233334444ull);

  set_mm(0, 0x0f0e0d0c0b0a0908ull);
  set_mm(1, 0x0706050403020100ull);
  exec({0x0f, 0x3a, 0x0f, 0xc1, 0x03});  // palignr mm0, mm1, 3
  EXPECT_EQ(mm(0), 0x0a09080706050403ull);
  set_mm(0, 0x0001'7fff'fffe'0001ull);  // words 1, -2, 0x7fff, 1
  set_mm(1, 0x8000'8000'0003'0004ull);
  exec({0x0f, 0x38, 0x03, 0xc1});  // phaddsw mm0, mm1
  EXPECT_EQ(mm(0), 0x8000'0007'7fff'ffffull);
}

TEST_F(Sse, MixedXmmMmxConversions) {
  h.state().fpu.fsw = 3 << 11;
  h.state().fpu.ftw = 0xffff;
  xmm(0) = Xmm{0, 0xabcd};
  set_mm(1, uint64_t(uint32_t(-3)) << 32 | 7);
  exec({0x0f, 0x2a, 0xc1});  // cvtpi2ps xmm0, mm1: upper half kept, x87 switched to MMX
  expect_xmm(xmm(0), ps(7, -3, 0, 0).lo, 0xabcd);
  EXPECT_EQ(h.state().fpu.ftw, 0);
  EXPECT_EQ((h.state().fpu.fsw >> 11) & 7, 0);

  xmm(1) = ps(2.5f, -1e20f, 0, 0);
  exec({0x0f, 0x2d, 0xc1});  // cvtps2pi mm0, xmm1
  EXPECT_EQ(mm(0), 0x8000000000000002ull);

  h.state().fpu.ftw = 0xffff;
  gpr(kRax) = kData;
  h.write<uint64_t>(kData, uint64_t(uint32_t(-1)) << 32 | 2);
  exec({0x66, 0x0f, 0x2a, 0x00});  // cvtpi2pd xmm0, [rax]: memory source, no MMX switch
  expect_xmm(xmm(0), dbits(2), dbits(-1));
  EXPECT_EQ(h.state().fpu.ftw, 0xffff);

  xmm(1) = Xmm{0x1122334455667788ull, 0x99};
  set_mm(1, 0xfedcba9876543210ull);
  exec({0xf2, 0x0f, 0xd6, 0xc1,   // movdq2q mm0, xmm1
        0xf3, 0x0f, 0xd6, 0xc1},  // movq2dq xmm0, mm1
       2);
  EXPECT_EQ(mm(0), 0x1122334455667788ull);
  expect_xmm(xmm(0), 0xfedcba9876543210ull, 0);
}

}  // namespace
}  // namespace rwd::test

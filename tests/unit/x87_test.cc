// SPDX-License-Identifier: MIT
// The x87 FPU and FXSAVE/FXRSTOR, executed from real instruction bytes. Expected values come
// from the host's own x87 (long double arithmetic or the same instruction in inline asm), which
// is the reference the emulation claims to match bit for bit.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>

#include "tests/unit/cpu_harness.h"

namespace rwd::test {
namespace {

using Mode = CpuHarness::Mode;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kData = 0x300000;  // RDI points here in every test

// Status word bits.
constexpr uint16_t kIe = 1, kDe = 2, kZe = 4, kPe = 0x20, kSf = 0x40, kEs = 0x80, kC0 = 0x100,
                   kC1 = 0x200, kC2 = 0x400, kC3 = 0x4000, kB = 0x8000;

long double ld_at(const uint8_t* p) {
  long double v = 0;
  std::memcpy(&v, p, 10);
  return v;
}
bool same_bits(long double a, long double b) { return std::memcmp(&a, &b, 10) == 0; }

class X87 : public ::testing::Test {
 protected:
  X87() : h(Mode::kLong64) { h.state().gpr[kRdi] = kData; }

  // Runs `code` (then the harness' hlt) to completion and expects no exception.
  void run(const Bytes& code) {
    h.state().halted = 0;  // the previous run ended on HLT
    h.load_code(code);
    h.run(10000);
    EXPECT_EQ(h.delivered_vector(), -1);
  }
  // Runs `code` and returns the vector of the exception it raised (-1: none).
  int run_for_vector(const Bytes& code) {
    h.state().halted = 0;
    h.load_code(code);
    h.run(10000);
    return h.delivered_vector();
  }

  const FpuState& fpu() { return h.cpu().state.fpu; }
  unsigned top() { return (fpu().fsw >> 11) & 7; }
  unsigned tag(unsigned i) { return (fpu().ftw >> (2 * ((top() + i) & 7))) & 3; }
  long double st(unsigned i) { return ld_at(fpu().st[(top() + i) & 7]); }
  uint16_t fsw() { return fpu().fsw; }

  void put_ld(uint64_t addr, long double v) { std::memcpy(h.ram() + addr, &v, 10); }
  long double get_ld(uint64_t addr) { return ld_at(h.ram() + addr); }
  // A control word with the given rounding control (0 nearest, 1 down, 2 up, 3 chop).
  static uint16_t cw_rc(unsigned rc) { return uint16_t(0x037f | rc << 10); }

  CpuHarness h;
};

// --- Initialisation and control words -------------------------------------------------------

TEST_F(X87, FninitSetsDefaults) {
  FpuState& f = h.state().fpu;
  f.fcw = 0x0c00;
  f.fsw = 0xffff;
  f.ftw = 0;
  f.fop = 0x123;
  f.fip = f.fdp = 0x5555;
  f.fcs = f.fds = 0x10;
  run({0xdb, 0xe3});  // fninit
  EXPECT_EQ(fpu().fcw, 0x037f);
  EXPECT_EQ(fpu().fsw, 0);
  EXPECT_EQ(fpu().ftw, 0xffff);
  EXPECT_EQ(fpu().fop, 0);
  EXPECT_EQ(fpu().fip, 0u);
  EXPECT_EQ(fpu().fdp, 0u);
  EXPECT_EQ(fpu().fcs, 0);
  EXPECT_EQ(fpu().fds, 0);
}

TEST_F(X87, FinitWithWaitPrefixAndFldcwReservedBits) {
  h.write<uint16_t>(kData, 0x0000);
  // finit (9b db e3); fldcw [rdi]; fnstcw [rdi+2]
  run({0x9b, 0xdb, 0xe3, 0xd9, 0x2f, 0xd9, 0x7f, 0x02});
  EXPECT_EQ(h.read<uint16_t>(kData + 2), 0x0040);  // bit 6 reads as 1
}

// --- Loads and stores -----------------------------------------------------------------------

TEST_F(X87, LoadStoreEveryFloatFormat) {
  const float f32 = 1.0f / 3.0f;
  const double f64 = -2.0 / 3.0;
  const long double f80 = 1.0L / 7.0L;
  h.write<float>(kData, f32);
  h.write<double>(kData + 8, f64);
  put_ld(kData + 16, f80);
  // fld dword [rdi]; fld qword [rdi+8]; fld tword [rdi+16]
  // fstp tword [rdi+32]; fstp qword [rdi+48]; fstp dword [rdi+56]
  run({0xd9, 0x07, 0xdd, 0x47, 0x08, 0xdb, 0x6f, 0x10,
       0xdb, 0x7f, 0x20, 0xdd, 0x5f, 0x30, 0xd9, 0x5f, 0x38});
  EXPECT_TRUE(same_bits(get_ld(kData + 32), f80));
  EXPECT_EQ(h.read<double>(kData + 48), f64);
  EXPECT_EQ(h.read<float>(kData + 56), f32);
  EXPECT_EQ(top(), 0u);
  EXPECT_EQ(fpu().ftw, 0xffff);
  EXPECT_EQ(fsw() & 0x3f, 0);  // all exact
}

TEST_F(X87, StoreRoundsByControlWord) {
  const long double third = 1.0L / 3.0L;
  put_ld(kData, third);
  for (unsigned rc = 0; rc < 4; rc++) {
    static const int kModes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    h.write<uint16_t>(kData + 16, cw_rc(rc));
    // fninit; fldcw [rdi+16]; fld tword [rdi]; fst dword [rdi+32]; fstp qword [rdi+40]
    run({0xdb, 0xe3, 0xd9, 0x6f, 0x10, 0xdb, 0x2f, 0xd9, 0x57, 0x20, 0xdd, 0x5f, 0x28});
    volatile long double v = third;
    std::fesetround(kModes[rc]);
    const float f = float(v);
    const double d = double(v);
    std::fesetround(FE_TONEAREST);
    EXPECT_EQ(h.read<float>(kData + 32), f) << "rc " << rc;
    EXPECT_EQ(h.read<double>(kData + 40), d) << "rc " << rc;
    EXPECT_TRUE(fsw() & kPe);
    // C1 says whether the last store rounded up (the stored value exceeds the exact one).
    EXPECT_EQ(bool(fsw() & kC1), double(d) > third) << "rc " << rc;
  }
}

TEST_F(X87, SignallingNanLoadRaisesInvalid) {
  h.write<uint32_t>(kData, 0x7fa00000);  // SNaN
  run({0xd9, 0x07, 0xdd, 0x5f, 0x08});   // fld dword [rdi]; fstp qword [rdi+8]
  EXPECT_TRUE(fsw() & kIe);
  EXPECT_EQ(h.read<uint64_t>(kData + 8), 0x7ffc000000000000ull);  // quieted, payload kept
}

TEST_F(X87, DenormalLoadRaisesDe) {
  h.write<uint32_t>(kData, 1);  // smallest float denormal
  run({0xd9, 0x07});
  EXPECT_TRUE(fsw() & kDe);
  EXPECT_EQ(st(0), (long double)std::numeric_limits<float>::denorm_min());
}

TEST_F(X87, IntegerLoadsAndStores) {
  h.write<int16_t>(kData, -12345);
  h.write<int32_t>(kData + 4, 2000000001);
  h.write<int64_t>(kData + 8, -9007199254740993ll);  // not representable in a double
  // fild word [rdi]; fild dword [rdi+4]; fild qword [rdi+8]
  // fistp qword [rdi+16]; fistp dword [rdi+24]; fistp word [rdi+28]
  run({0xdf, 0x07, 0xdb, 0x47, 0x04, 0xdf, 0x6f, 0x08,
       0xdf, 0x7f, 0x10, 0xdb, 0x5f, 0x18, 0xdf, 0x5f, 0x1c});
  EXPECT_EQ(h.read<int64_t>(kData + 16), -9007199254740993ll);
  EXPECT_EQ(h.read<int32_t>(kData + 24), 2000000001);
  EXPECT_EQ(h.read<int16_t>(kData + 28), -12345);
  EXPECT_EQ(fsw() & 0x3f, 0);
}

TEST_F(X87, IntegerStoreOutOfRangeGivesIndefinite) {
  put_ld(kData, 40000.0L);
  put_ld(kData + 16, 9.3e18L);  // > 2^63
  // fld tword [rdi]; fist word [rdi+32]; fistp dword [rdi+36]
  // fld tword [rdi+16]; fistp qword [rdi+40]
  run({0xdb, 0x2f, 0xdf, 0x57, 0x20, 0xdb, 0x5f, 0x24, 0xdb, 0x6f, 0x10, 0xdf, 0x7f, 0x28});
  EXPECT_EQ(h.read<uint16_t>(kData + 32), 0x8000);
  EXPECT_EQ(h.read<int32_t>(kData + 36), 40000);
  EXPECT_EQ(h.read<uint64_t>(kData + 40), 0x8000000000000000ull);
  EXPECT_TRUE(fsw() & kIe);
  EXPECT_EQ(top(), 0u);
}

TEST_F(X87, IntegerStoreRoundsByControlWordAndFisttpTruncates) {
  const long double values[2] = {2.5L, -2.5L};
  const int16_t expected[4][2] = {{2, -2}, {2, -3}, {3, -2}, {2, -2}};
  for (unsigned rc = 0; rc < 4; rc++) {
    for (unsigned k = 0; k < 2; k++) {
      put_ld(kData, values[k]);
      h.write<uint16_t>(kData + 16, cw_rc(rc));
      // fninit; fldcw [rdi+16]; fld tword [rdi]; fist word [rdi+32]; fisttp word [rdi+34]
      run({0xdb, 0xe3, 0xd9, 0x6f, 0x10, 0xdb, 0x2f, 0xdf, 0x57, 0x20, 0xdf, 0x4f, 0x22});
      EXPECT_EQ(h.read<int16_t>(kData + 32), expected[rc][k]) << rc << " " << k;
      EXPECT_EQ(h.read<int16_t>(kData + 34), k ? -2 : 2);
      EXPECT_EQ(top(), 0u);
    }
  }
}

TEST_F(X87, PackedBcdRoundTrip) {
  // 0x8000_0000_0012_3456_7890 → -1234567890
  const uint8_t bcd[10] = {0x90, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0x80};
  std::memcpy(h.ram() + kData, bcd, 10);
  // fbld [rdi]; fld st0; fbstp [rdi+16]; fistp qword [rdi+32]
  run({0xdf, 0x27, 0xd9, 0xc0, 0xdf, 0x77, 0x10, 0xdf, 0x7f, 0x20});
  EXPECT_EQ(std::memcmp(h.ram() + kData + 16, bcd, 10), 0);
  EXPECT_EQ(h.read<int64_t>(kData + 32), -1234567890);
}

TEST_F(X87, Constants) {
  // fld1 fldz fldpi fldl2e fldl2t fldlg2 fldln2 (7 pushes)
  run({0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0xeb, 0xd9, 0xea, 0xd9, 0xe9, 0xd9, 0xec, 0xd9, 0xed});
  long double host[7];
  asm("fld1\n\tfstpt %0\n\tfldz\n\tfstpt %1\n\tfldpi\n\tfstpt %2\n\tfldl2e\n\tfstpt %3\n\t"
      "fldl2t\n\tfstpt %4\n\tfldlg2\n\tfstpt %5\n\tfldln2\n\tfstpt %6"
      : "=m"(host[0]), "=m"(host[1]), "=m"(host[2]), "=m"(host[3]), "=m"(host[4]),
        "=m"(host[5]), "=m"(host[6]));
  for (unsigned k = 0; k < 7; k++) EXPECT_TRUE(same_bits(st(6 - k), host[k])) << k;
  EXPECT_EQ(tag(5), 1u);  // zero
  EXPECT_EQ(tag(6), 0u);  // valid
}

// --- Arithmetic -----------------------------------------------------------------------------

TEST_F(X87, ArithmeticOperandOrder) {
  const long double a = 10.0L, b = 3.0L;
  put_ld(kData, a);
  put_ld(kData + 16, b);
  struct Case {
    uint8_t op0, op1;
    bool pops;
    long double expect;  // value left in ST(0) (after the pop) or in ST(0) for D8 forms
  };
  // ST(0) = b, ST(1) = a after the loads.
  const Case cases[] = {
      {0xd8, 0xc1, false, b + a},  // fadd st0, st1
      {0xd8, 0xe1, false, b - a},  // fsub st0, st1
      {0xd8, 0xe9, false, a - b},  // fsubr st0, st1
      {0xd8, 0xf1, false, b / a},  // fdiv st0, st1
      {0xd8, 0xf9, false, a / b},  // fdivr st0, st1
      {0xd8, 0xc9, false, a * b},  // fmul st0, st1
      {0xde, 0xe9, true, a - b},   // fsubp st1, st0: ST(1) = ST(1) - ST(0)
      {0xde, 0xe1, true, b - a},   // fsubrp st1, st0: ST(1) = ST(0) - ST(1)
      {0xde, 0xf9, true, a / b},   // fdivp st1, st0
      {0xde, 0xf1, true, b / a},   // fdivrp st1, st0
      {0xde, 0xc1, true, a + b},   // faddp
      {0xde, 0xc9, true, a * b},   // fmulp
  };
  for (const Case& k : cases) {
    // fninit; fld tword [rdi]; fld tword [rdi+16]; <op>
    run({0xdb, 0xe3, 0xdb, 0x2f, 0xdb, 0x6f, 0x10, k.op0, k.op1});
    EXPECT_TRUE(same_bits(st(0), k.expect)) << std::hex << int(k.op0) << " " << int(k.op1);
    EXPECT_EQ(top(), k.pops ? 7u : 6u);
  }
  // fsub st1, st0 (DC E9): ST(1) = ST(1) - ST(0); fsubr st1, st0 (DC E1): ST(0) - ST(1).
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xdb, 0x6f, 0x10, 0xdc, 0xe9});
  EXPECT_TRUE(same_bits(st(1), a - b));
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xdb, 0x6f, 0x10, 0xdc, 0xe1});
  EXPECT_TRUE(same_bits(st(1), b - a));
}

// Runs `kOp0 kOp1` natively with ST(0) = a, ST(1) = b under control word `cw` (exceptions
// masked) and returns the new ST(0) and the status word.
template <uint8_t kOp0, uint8_t kOp1>
uint16_t host_binary(uint16_t cw, const uint8_t* a, const uint8_t* b, uint8_t* r) {
  uint16_t sw;
  asm volatile(
      "fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t.byte %c[o0], %c[o1]\n\t"
      "fnstsw %[sw]\n\tfstpt %[r]\n\tfstp %%st(0)\n\tfninit"
      : [sw] "=m"(sw), [r] "=m"(*reinterpret_cast<uint8_t(*)[10]>(r))
      : [cw] "m"(cw), [a] "m"(*reinterpret_cast<const uint8_t(*)[10]>(a)),
        [b] "m"(*reinterpret_cast<const uint8_t(*)[10]>(b)), [o0] "i"(kOp0), [o1] "i"(kOp1)
      : "memory", "st", "st(1)");
  return sw;
}

TEST_F(X87, RandomOperandsMatchHost) {
  // Operands: ordinary numbers, zeros, denormals and pseudo-denormals, infinities, QNaN, SNaN,
  // an unnormal, and values near the ends of the exponent range.
  const std::pair<uint64_t, uint16_t> pool[] = {
      {0x8000000000000000ull, 0x3fff}, {0xc90fdaa22168c235ull, 0x4000},
      {0xaaaaaaaaaaaaaaabull, 0xbffd}, {0x8000000000000001ull, 0x403e},
      {0, 0},                          {0, 0x8000},
      {0x0000000000000001ull, 0},      {0x8000000000000000ull, 0},
      {0x8000000000000000ull, 0x7fff}, {0x8000000000000000ull, 0xffff},
      {0xc000000000000000ull, 0x7fff}, {0xa000000000000000ull, 0x7fff},
      {0x4000000000000000ull, 0x3fff}, {0xffffffffffffffffull, 0x7ffe},
      {0x8000000000000000ull, 0x0001}, {0x9876543210fedcbaull, 0xc123},
  };
  using Host = uint16_t (*)(uint16_t, const uint8_t*, const uint8_t*, uint8_t*);
  const struct {
    uint8_t op0, op1;
    Host host;
    uint16_t cc;  // condition codes the instruction defines
  } ops[] = {
      {0xd8, 0xc1, host_binary<0xd8, 0xc1>, kC1},                      // fadd
      {0xd8, 0xc9, host_binary<0xd8, 0xc9>, kC1},                      // fmul
      {0xd8, 0xe1, host_binary<0xd8, 0xe1>, kC1},                      // fsub
      {0xd8, 0xe9, host_binary<0xd8, 0xe9>, kC1},                      // fsubr
      {0xd8, 0xf1, host_binary<0xd8, 0xf1>, kC1},                      // fdiv
      {0xd8, 0xf9, host_binary<0xd8, 0xf9>, kC1},                      // fdivr
      {0xd9, 0xfa, host_binary<0xd9, 0xfa>, kC1},                      // fsqrt
      {0xd9, 0xfc, host_binary<0xd9, 0xfc>, kC1},                      // frndint
      {0xd9, 0xf8, host_binary<0xd9, 0xf8>, kC0 | kC1 | kC2 | kC3},    // fprem
      {0xd9, 0xf5, host_binary<0xd9, 0xf5>, kC0 | kC1 | kC2 | kC3},    // fprem1
      {0xd9, 0xfd, host_binary<0xd9, 0xfd>, kC1},                      // fscale
      {0xd8, 0xd1, host_binary<0xd8, 0xd1>, kC0 | kC1 | kC2 | kC3},    // fcom st1
      {0xdd, 0xe1, host_binary<0xdd, 0xe1>, kC0 | kC1 | kC2 | kC3},    // fucom st1
  };
  uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return unsigned(seed >> 33);
  };
  for (int iter = 0; iter < 400; iter++) {
    const auto& op = ops[next() % std::size(ops)];
    const auto& a = pool[next() % std::size(pool)];
    const auto& b = pool[next() % std::size(pool)];
    static const uint16_t kPc[3] = {0x000, 0x200, 0x300};
    const uint16_t cw = uint16_t(0x007f | kPc[next() % 3] | (next() % 4) << 10);
    h.write<uint16_t>(kData, cw);
    h.write<uint64_t>(kData + 16, a.first);
    h.write<uint16_t>(kData + 24, a.second);
    h.write<uint64_t>(kData + 32, b.first);
    h.write<uint16_t>(kData + 40, b.second);
    // fninit; fldcw [rdi]; fld tword [rdi+32] (b); fld tword [rdi+16] (a); op;
    // fnstsw [rdi+2]; fstp tword [rdi+48]
    run({0xdb, 0xe3, 0xd9, 0x2f, 0xdb, 0x6f, 0x20, 0xdb, 0x6f, 0x10, op.op0, op.op1,
         0xdd, 0x7f, 0x02, 0xdb, 0x7f, 0x30});
    uint8_t expect[10];
    const uint16_t sw = op.host(cw, h.ram() + kData + 16, h.ram() + kData + 32, expect);
    const uint16_t mask = uint16_t(0x3f | op.cc);
    EXPECT_EQ(std::memcmp(h.ram() + kData + 48, expect, 10), 0)
        << std::hex << "op " << int(op.op0) << " " << int(op.op1) << " cw " << cw;
    EXPECT_EQ(h.read<uint16_t>(kData + 2) & mask, sw & mask)
        << std::hex << "op " << int(op.op0) << " " << int(op.op1) << " cw " << cw;
  }
}

TEST_F(X87, MemoryOperandsAndIntegers) {
  h.write<double>(kData, 0.1);
  h.write<float>(kData + 8, 0.3f);
  h.write<int32_t>(kData + 12, 7);
  h.write<int16_t>(kData + 16, -3);
  put_ld(kData + 32, 1.0L);
  // fld tword [rdi+32]; fadd qword [rdi]; fmul dword [rdi+8]; fisub dword [rdi+12];
  // fidivr word [rdi+16]
  run({0xdb, 0x6f, 0x20, 0xdc, 0x07, 0xd8, 0x4f, 0x08, 0xda, 0x67, 0x0c, 0xde, 0x7f, 0x10});
  volatile long double v = 1.0L;
  v = v + 0.1;
  v = v * 0.3f;
  v = v - 7;
  v = -3 / v;
  EXPECT_TRUE(same_bits(st(0), v));
}

TEST_F(X87, PrecisionControlRoundsToSingle) {
  h.write<uint16_t>(kData, 0x007f);  // PC = 00: 24-bit significand
  // fldcw [rdi]; fld1; fild dword [rdi+4] (3); fdivp st1, st0
  h.write<int32_t>(kData + 4, 3);
  run({0xd9, 0x2f, 0xd9, 0xe8, 0xdb, 0x47, 0x04, 0xde, 0xf9});
  EXPECT_EQ(st(0), (long double)(1.0f / 3.0f));
}

TEST_F(X87, DivideByZeroMaskedGivesInfinity) {
  // fld1; fldz; fdivp st1, st0 → 1/0
  run({0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9});
  EXPECT_EQ(st(0), std::numeric_limits<long double>::infinity());
  EXPECT_TRUE(fsw() & kZe);
  EXPECT_FALSE(fsw() & kEs);
}

TEST_F(X87, SqrtRemainderScaleExtract) {
  put_ld(kData, 2.0L);
  put_ld(kData + 16, 17.5L);
  put_ld(kData + 32, 5.0L);
  // fld tword [rdi]; fsqrt; fstp tword [rdi+48]
  // fld tword [rdi+32] (5); fld tword [rdi+16] (17.5); fprem; fstp tword [rdi+64]; fstp st0
  // fld1 (scale 1); fld tword [rdi+32]; fscale → 10; fstp tword [rdi+80]; fstp st0
  // fld tword [rdi+16]; fxtract; fstp tword [rdi+96] (significand); fstp tword [rdi+112]
  run({0xdb, 0x2f, 0xd9, 0xfa, 0xdb, 0x7f, 0x30,
       0xdb, 0x6f, 0x20, 0xdb, 0x6f, 0x10, 0xd9, 0xf8, 0xdb, 0x7f, 0x40, 0xdd, 0xd8,
       0xd9, 0xe8, 0xdb, 0x6f, 0x20, 0xd9, 0xfd, 0xdb, 0x7f, 0x50, 0xdd, 0xd8,
       0xdb, 0x6f, 0x10, 0xd9, 0xf4, 0xdb, 0x7f, 0x60, 0xdb, 0x7f, 0x70});
  EXPECT_TRUE(same_bits(get_ld(kData + 48), sqrtl(2.0L)));
  EXPECT_EQ(get_ld(kData + 64), 2.5L);
  EXPECT_EQ(get_ld(kData + 80), 10.0L);
  EXPECT_EQ(get_ld(kData + 96), 1.09375L);
  EXPECT_EQ(get_ld(kData + 112), 4.0L);
  EXPECT_EQ(top(), 0u);
  // FPREM: quotient 3 (0b011) → C0 = Q2 = 0, C3 = Q1 = 1, C1 = Q0 = 1; complete (C2 = 0).
  run({0xdb, 0xe3, 0xdb, 0x6f, 0x20, 0xdb, 0x6f, 0x10, 0xd9, 0xf8});
  EXPECT_EQ(fsw() & (kC0 | kC1 | kC2 | kC3), kC3 | kC1);
}

TEST_F(X87, FrndintFollowsRoundingControl) {
  const long double values[2] = {2.5L, -2.5L};
  const long double expected[4][2] = {{2, -2}, {2, -3}, {3, -2}, {2, -2}};
  for (unsigned rc = 0; rc < 4; rc++)
    for (unsigned k = 0; k < 2; k++) {
      put_ld(kData, values[k]);
      h.write<uint16_t>(kData + 16, cw_rc(rc));
      // fninit; fldcw [rdi+16]; fld tword [rdi]; frndint
      run({0xdb, 0xe3, 0xd9, 0x6f, 0x10, 0xdb, 0x2f, 0xd9, 0xfc});
      EXPECT_EQ(st(0), expected[rc][k]) << rc << " " << k;
      EXPECT_TRUE(fsw() & kPe);
    }
}

TEST_F(X87, TranscendentalsMatchHostHardware) {
  const long double x = 0.7L;
  put_ld(kData, x);
  // fld tword [rdi]; fsin; fstp tword [rdi+16]; fld tword [rdi]; fcos; fstp tword [rdi+32]
  // fld tword [rdi]; fptan; fstp tword [rdi+48] (1.0); fstp tword [rdi+64]
  // fld tword [rdi]; fsincos; fstp tword [rdi+80] (cos); fstp tword [rdi+96] (sin)
  // fld1; fld tword [rdi]; fpatan; fstp tword [rdi+112] (atan(1/0.7))
  // fld tword [rdi]; f2xm1; fstp tword [rdi+128]
  // fld1; fld tword [rdi]; fyl2x; fstp tword [rdi+144] (log2(0.7))
  run({0xdb, 0x2f, 0xd9, 0xfe, 0xdb, 0x7f, 0x10, 0xdb, 0x2f, 0xd9, 0xff, 0xdb, 0x7f, 0x20,
       0xdb, 0x2f, 0xd9, 0xf2, 0xdb, 0x7f, 0x30, 0xdb, 0x7f, 0x40,
       0xdb, 0x2f, 0xd9, 0xfb, 0xdb, 0x7f, 0x50, 0xdb, 0x7f, 0x60,
       0xd9, 0xe8, 0xdb, 0x2f, 0xd9, 0xf3, 0xdb, 0xbf, 0x70, 0x00, 0x00, 0x00,
       0xdb, 0x2f, 0xd9, 0xf0, 0xdb, 0xbf, 0x80, 0x00, 0x00, 0x00,
       0xd9, 0xe8, 0xdb, 0x2f, 0xd9, 0xf1, 0xdb, 0xbf, 0x90, 0x00, 0x00, 0x00});
  long double s, c, t, one, s2, c2, at, e, l;
  asm("fldt %9\n\tfsin\n\tfstpt %0\n\t"
      "fldt %9\n\tfcos\n\tfstpt %1\n\t"
      "fldt %9\n\tfptan\n\tfstpt %3\n\tfstpt %2\n\t"
      "fldt %9\n\tfsincos\n\tfstpt %5\n\tfstpt %4\n\t"
      "fld1\n\tfldt %9\n\tfpatan\n\tfstpt %6\n\t"
      "fldt %9\n\tf2xm1\n\tfstpt %7\n\t"
      "fld1\n\tfldt %9\n\tfyl2x\n\tfstpt %8"
      : "=m"(s), "=m"(c), "=m"(t), "=m"(one), "=m"(s2), "=m"(c2), "=m"(at), "=m"(e), "=m"(l)
      : "m"(x));
  EXPECT_TRUE(same_bits(get_ld(kData + 16), s));
  EXPECT_TRUE(same_bits(get_ld(kData + 32), c));
  EXPECT_EQ(get_ld(kData + 48), 1.0L);
  EXPECT_TRUE(same_bits(get_ld(kData + 64), t));
  EXPECT_TRUE(same_bits(get_ld(kData + 80), c2));
  EXPECT_TRUE(same_bits(get_ld(kData + 96), s2));
  EXPECT_TRUE(same_bits(get_ld(kData + 112), at));
  EXPECT_TRUE(same_bits(get_ld(kData + 128), e));
  EXPECT_TRUE(same_bits(get_ld(kData + 144), l));
  EXPECT_NEAR(double(get_ld(kData + 16)), std::sin(0.7), 1e-15);
  EXPECT_EQ(top(), 0u);
}

TEST_F(X87, FptanOutOfRangeSetsC2AndDoesNotPush) {
  put_ld(kData, 0x1p64L);
  run({0xdb, 0x2f, 0xd9, 0xf2});  // fld tword [rdi]; fptan
  EXPECT_TRUE(fsw() & kC2);
  EXPECT_EQ(top(), 7u);
  EXPECT_EQ(st(0), 0x1p64L);
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xd9, 0xfe});  // fninit; fld; fsin
  EXPECT_TRUE(fsw() & kC2);
  EXPECT_EQ(st(0), 0x1p64L);
}

TEST_F(X87, ChsAbsXchIncDecFree) {
  put_ld(kData, -1.5L);
  // fld1; fld tword [rdi]; fabs; fchs; fxch st1; fincstp; fdecstp; ffree st1
  run({0xd9, 0xe8, 0xdb, 0x2f, 0xd9, 0xe1, 0xd9, 0xe0, 0xd9, 0xc9,
       0xd9, 0xf7, 0xd9, 0xf6, 0xdd, 0xc1});
  EXPECT_EQ(st(0), 1.0L);
  EXPECT_EQ(tag(1), 3u);  // freed
  EXPECT_EQ(ld_at(fpu().st[7]), -1.5L);
  EXPECT_EQ(top(), 6u);
}

TEST_F(X87, Fcmov) {
  put_ld(kData, 5.0L);
  // fld tword [rdi]; fld1; stc; fcmovb st0, st1; fld1; clc; fcmovb st0, st2
  run({0xdb, 0x2f, 0xd9, 0xe8, 0xf9, 0xda, 0xc1, 0xd9, 0xe8, 0xf8, 0xda, 0xc2});
  EXPECT_EQ(st(1), 5.0L);  // moved (CF = 1)
  EXPECT_EQ(st(0), 1.0L);  // not moved (CF = 0)
}

// --- Comparisons ----------------------------------------------------------------------------

TEST_F(X87, FcomiSetsEflags) {
  put_ld(kData, 1.0L);
  put_ld(kData + 16, 2.0L);
  put_ld(kData + 32, std::numeric_limits<long double>::quiet_NaN());
  const uint64_t arith = flags::kCf | flags::kPf | flags::kAf | flags::kZf | flags::kSf |
                         flags::kOf;
  struct Case {
    uint64_t first, second;  // ST(1), ST(0) sources
    uint8_t op;              // DB xx (fcomi/fucomi st0, st1)
    uint64_t expect;
    bool invalid;
  };
  const Case cases[] = {
      {16, 0, 0xf1, flags::kCf, false},                             // 1 < 2
      {0, 16, 0xf1, 0, false},                                      // 2 > 1
      {0, 0, 0xf1, flags::kZf, false},                              // equal
      {0, 32, 0xe9, flags::kZf | flags::kPf | flags::kCf, false},   // fucomi NaN: unordered
      {0, 32, 0xf1, flags::kZf | flags::kPf | flags::kCf, true},    // fcomi NaN: also #IA
  };
  for (const Case& k : cases) {
    h.state().rflags = flags::kFixed1 | arith;
    // fninit; fld tword [rdi+a]; fld tword [rdi+b]; fcomi/fucomi st0, st1
    run({0xdb, 0xe3, 0xdb, 0x6f, uint8_t(k.first), 0xdb, 0x6f, uint8_t(k.second), 0xdb, k.op});
    EXPECT_EQ(h.cpu().state.rflags & arith, k.expect) << k.first << " " << k.second;
    EXPECT_EQ(bool(fsw() & kIe), k.invalid);
  }
  // fcomip pops.
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xdb, 0x6f, 0x10, 0xdf, 0xf1});
  EXPECT_EQ(top(), 7u);
  EXPECT_EQ(h.cpu().state.rflags & arith, 0u);
}

TEST_F(X87, FnstswAxAfterCompare) {
  put_ld(kData, 1.0L);
  put_ld(kData + 16, 2.0L);
  // fld tword [rdi+16] (2); fld tword [rdi] (1); fcompp; fnstsw ax; sahf
  run({0xdb, 0x6f, 0x10, 0xdb, 0x2f, 0xde, 0xd9, 0xdf, 0xe0, 0x9e});
  const uint16_t ax = uint16_t(h.cpu().state.gpr[kRax]);
  EXPECT_EQ(ax & (kC0 | kC2 | kC3), kC0);  // ST(0) < ST(1)
  EXPECT_EQ(ax, fsw());
  EXPECT_EQ(top(), 0u);
  EXPECT_TRUE(h.cpu().state.rflags & flags::kCf);  // SAHF maps C0 to CF
  // fucompp with a QNaN: unordered without IE; fcom m64 equal: C3.
  put_ld(kData + 32, std::numeric_limits<long double>::quiet_NaN());
  h.write<double>(kData + 48, 1.0);
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xdb, 0x6f, 0x20, 0xda, 0xe9, 0xdf, 0xe0});
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3 | kIe), kC0 | kC2 | kC3);
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xdc, 0x57, 0x30});  // fld; fcom qword [rdi+48]
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3), kC3);
}

TEST_F(X87, FtstAndFicom) {
  put_ld(kData, -4.0L);
  h.write<int16_t>(kData + 16, -4);
  h.write<int32_t>(kData + 20, -3);
  run({0xdb, 0x2f, 0xd9, 0xe4});  // fld; ftst → negative: C0
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3), kC0);
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xde, 0x57, 0x10});  // ficom word [rdi+16] → equal
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3), kC3);
  run({0xdb, 0xe3, 0xdb, 0x2f, 0xda, 0x5f, 0x14});  // ficomp dword [rdi+20] → less, pop
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3), kC0);
  EXPECT_EQ(top(), 0u);
}

TEST_F(X87, FxamClasses) {
  struct Case {
    uint64_t mant;
    uint16_t se;
    uint16_t cc;  // C3 C2 C1 C0
  };
  const Case cases[] = {
      {0, 0, kC3},                                          // +0
      {0, 0x8000, kC3 | kC1},                               // -0
      {0x8000000000000000ull, 0x3fff, kC2},                 // 1.0
      {0x8000000000000000ull, 0xbfff, kC2 | kC1},           // -1.0
      {1, 0, kC3 | kC2},                                    // denormal
      {0x8000000000000000ull, 0x7fff, kC2 | kC0},           // +inf
      {0xc000000000000000ull, 0x7fff, kC0},                 // QNaN
      {0x4000000000000000ull, 0x3fff, 0},                   // unnormal: unsupported
  };
  for (const Case& k : cases) {
    h.write<uint64_t>(kData, k.mant);
    h.write<uint16_t>(kData + 8, k.se);
    run({0xdb, 0xe3, 0xdb, 0x2f, 0xd9, 0xe5});  // fninit; fld tword [rdi]; fxam
    EXPECT_EQ(fsw() & (kC0 | kC1 | kC2 | kC3), k.cc) << std::hex << k.mant << " " << k.se;
  }
  run({0xdb, 0xe3, 0xd9, 0xe5});  // empty
  EXPECT_EQ(fsw() & (kC0 | kC2 | kC3), kC3 | kC0);
}

// --- Stack faults ---------------------------------------------------------------------------

TEST_F(X87, StackOverflowPushesIndefinite) {
  Bytes code;
  for (int k = 0; k < 9; k++) code.insert(code.end(), {0xd9, 0xe8});  // 9 × fld1
  run(code);
  EXPECT_EQ(fsw() & (kIe | kSf | kC1), kIe | kSf | kC1);
  EXPECT_FALSE(fsw() & kEs);
  EXPECT_TRUE(std::isnan(st(0)));
  EXPECT_EQ(fpu().st[top()][9], 0xff);  // the real indefinite: negative QNaN
  for (unsigned k = 1; k < 8; k++) EXPECT_EQ(st(k), 1.0L);
}

TEST_F(X87, StackUnderflowGivesIndefinite) {
  // fld1; fadd st0, st3 (empty); fstp qword [rdi]
  run({0xd9, 0xe8, 0xd8, 0xc3, 0xdd, 0x1f});
  EXPECT_EQ(fsw() & (kIe | kSf | kC1), kIe | kSf);
  EXPECT_EQ(h.read<uint64_t>(kData), 0xfff8000000000000ull);
  // fstp to memory from an empty stack stores the indefinite too.
  run({0xdb, 0xe3, 0xd9, 0x5f, 0x08, 0xdf, 0x5f, 0x0c});
  EXPECT_EQ(h.read<uint32_t>(kData + 8), 0xffc00000u);
  EXPECT_EQ(h.read<uint16_t>(kData + 12), 0x8000);
}

// --- Exceptions -----------------------------------------------------------------------------

TEST_F(X87, UnmaskedExceptionIsDeferredToNextWaitingInstruction) {
  h.write<uint16_t>(kData, 0x037b);  // ZM clear
  // fldcw [rdi]; fld1; fldz; fdivp st1, st0; fnstsw [rdi+2]; fwait
  const Bytes code = {0xd9, 0x2f, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0xdd, 0x7f, 0x02, 0x9b};
  EXPECT_EQ(run_for_vector(code), 16);
  // The pushed RIP is the FWAIT; FIP/FOP name the FDIVP; the operands were left alone.
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), CpuHarness::kCodeAddress + 11);
  EXPECT_EQ(fpu().fip, CpuHarness::kCodeAddress + 6);
  EXPECT_EQ(fpu().fop, 0x6f9);
  EXPECT_EQ(h.read<uint16_t>(kData + 2) & (kZe | kEs | kB), kZe | kEs | kB);
  EXPECT_EQ(top(), 6u);
  EXPECT_EQ(st(0), 0.0L);
  EXPECT_EQ(st(1), 1.0L);
}

TEST_F(X87, PendingExceptionIgnoredWithoutCr0Ne) {
  h.state().cr0 &= ~cr0::kNe;
  h.write<uint16_t>(kData, 0x037b);
  run({0xd9, 0x2f, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b, 0xd9, 0xe8});
  EXPECT_TRUE(fsw() & kEs);
  EXPECT_EQ(top(), 5u);
}

TEST_F(X87, FldcwUnmaskingARaisedFlagMakesItPending) {
  h.write<uint16_t>(kData, 0x037e);  // IM clear
  // fld1; fadd st0, st2 (underflow, masked: IE set); fldcw [rdi] → ES; fnop → #MF
  EXPECT_EQ(run_for_vector({0xd9, 0xe8, 0xd8, 0xc2, 0xd9, 0x2f, 0xd9, 0xd0}), 16);
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), CpuHarness::kCodeAddress + 6);
}

TEST_F(X87, FnclexClearsPendingState) {
  h.write<uint16_t>(kData, 0x037b);
  run({0xd9, 0x2f, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0xdb, 0xe2, 0x9b});
  EXPECT_EQ(fsw() & 0x80ff, 0);
}

TEST_F(X87, UnmaskedOverflowStoresNothingToMemory) {
  h.write<uint16_t>(kData, 0x0377);  // OM clear
  put_ld(kData + 16, 1e300L);
  h.write<uint32_t>(kData + 32, 0x12345678);
  // fldcw [rdi]; fld tword [rdi+16]; fstp dword [rdi+32]
  run({0xd9, 0x2f, 0xdb, 0x6f, 0x10, 0xd9, 0x5f, 0x20});
  EXPECT_EQ(h.read<uint32_t>(kData + 32), 0x12345678u);
  EXPECT_TRUE(fsw() & kEs);
  EXPECT_EQ(top(), 7u);  // not popped
}

TEST_F(X87, UnmaskedOverflowBiasesRegisterResult) {
  h.write<uint16_t>(kData, 0x0377);  // OM clear
  put_ld(kData + 16, 0x1p16000L);
  // fldcw [rdi]; fld tword [rdi+16]; fmul st0, st0
  run({0xd9, 0x2f, 0xdb, 0x6f, 0x10, 0xd8, 0xc8});
  EXPECT_EQ(st(0), 0x1p7424L);  // 2^32000 / 2^24576 (SDM Vol. 1 §4.9.1.4)
  EXPECT_TRUE(fsw() & kEs);
}

TEST_F(X87, DeviceNotAvailable) {
  h.state().cr0 |= cr0::kTs;
  EXPECT_EQ(run_for_vector({0xd9, 0xe8}), 7);  // fld1
  // FWAIT needs MP and TS: with MP clear it runs.
  h.state().cr0 = (h.state().cr0 | cr0::kTs) & ~cr0::kMp;
  run({0x9b});
  h.state().cr0 |= cr0::kMp;
  EXPECT_EQ(run_for_vector({0x9b}), 7);
  h.state().cr0 = (h.state().cr0 & ~cr0::kTs) | cr0::kEm;
  EXPECT_EQ(run_for_vector({0x0f, 0xae, 0x07}), 7);  // fxsave with EM
}

// --- Environment and state images -----------------------------------------------------------

TEST_F(X87, FnstenvFldenvRoundTrip) {
  h.write<double>(kData + 64, 2.0);
  // fld1; fadd qword [rdi+64]; fnstenv [rdi]; fninit; fldenv [rdi]; fnstenv [rdi+32]
  run({0xd9, 0xe8, 0xdc, 0x47, 0x40, 0xd9, 0x37, 0xdb, 0xe3, 0xd9, 0x27, 0xd9, 0x77, 0x20});
  const uint8_t* env = h.ram() + kData;
  EXPECT_EQ(h.read<uint32_t>(kData + 0), 0xffff037fu);
  EXPECT_EQ(h.read<uint32_t>(kData + 4) & 0x3800, 7u << 11);          // TOP
  EXPECT_EQ(h.read<uint32_t>(kData + 8), 0xffff3fffu);                // R7 valid, others empty
  EXPECT_EQ(h.read<uint32_t>(kData + 12), CpuHarness::kCodeAddress + 2);  // FIP of the FADD
  EXPECT_EQ(h.read<uint32_t>(kData + 16), 0x08u | (0x447u << 16));    // FCS, FOP = DC 47
  EXPECT_EQ(h.read<uint32_t>(kData + 20), kData + 64);                // FDP
  EXPECT_EQ(h.read<uint32_t>(kData + 24), 0xffff0010u);               // FDS
  EXPECT_EQ(std::memcmp(env, env + 32, 28), 0);
  // The loaded environment restored the stack view; FNSTENV then masked everything.
  EXPECT_EQ(top(), 7u);
  EXPECT_EQ(st(0), 3.0L);
  EXPECT_EQ(fpu().fcw, 0x037f);
  // 16-bit format (66 prefix): 14 bytes.
  run({0x66, 0xd9, 0x37});
  EXPECT_EQ(h.read<uint16_t>(kData + 0), 0x037f);
  EXPECT_EQ(h.read<uint16_t>(kData + 4), 0x3fff);
  EXPECT_EQ(h.read<uint16_t>(kData + 8), 0x08);
}

TEST(X87RealMode, EnvironmentHoldsLinearPointers) {
  CpuHarness r(Mode::kReal);
  r.state().seg[kDs] = Segment{0x12340, 0xffff, 0x1234, 0x93};
  r.write<float>(0x12340 + 0x500, 2.0f);
  // fld1; fadd dword [0x500]; fnstenv [0x600]; o32 fnstenv [0x700]; fninit; fldenv [0x600];
  // fnstenv [0x800]
  r.load_code({0xd9, 0xe8, 0xd8, 0x06, 0x00, 0x05, 0xd9, 0x36, 0x00, 0x06,
               0x66, 0xd9, 0x36, 0x00, 0x07, 0xdb, 0xe3, 0xd9, 0x26, 0x00, 0x06,
               0xd9, 0x36, 0x00, 0x08});
  r.state().seg[kCs] = Segment{0, 0xffff, 0, 0x9b};  // CS:IP = 0000:7C00
  r.run(100);
  EXPECT_EQ(r.delivered_vector(), -1);
  const uint64_t env = 0x12340 + 0x600;
  EXPECT_EQ(r.read<uint16_t>(env + 0), 0x037f);
  EXPECT_EQ(r.read<uint16_t>(env + 2), 0x3800);
  EXPECT_EQ(r.read<uint16_t>(env + 4), 0x3fff);
  EXPECT_EQ(r.read<uint16_t>(env + 6), 0x7c02);  // FIP 15..0
  EXPECT_EQ(r.read<uint16_t>(env + 8), 0x0006);  // FIP 19..16 = 0 | FOP (D8 06)
  EXPECT_EQ(r.read<uint16_t>(env + 10), 0x2840);  // FDP = 0x12840
  EXPECT_EQ(r.read<uint16_t>(env + 12), 0x1000);
  const uint64_t env32 = 0x12340 + 0x700;
  EXPECT_EQ(r.read<uint32_t>(env32 + 12), 0xffff7c02u);
  EXPECT_EQ(r.read<uint32_t>(env32 + 16), 0x0006u);
  EXPECT_EQ(r.read<uint32_t>(env32 + 20), 0xffff2840u);
  EXPECT_EQ(r.read<uint32_t>(env32 + 24), 0x1000u);
  EXPECT_EQ(std::memcmp(r.ram() + env, r.ram() + 0x12340 + 0x800, 14), 0);
  EXPECT_EQ(ld_at(r.cpu().state.fpu.st[7]), 3.0L);
}

TEST_F(X87, FnstenvMasksExceptions) {
  h.write<uint16_t>(kData + 64, 0x0370);
  run({0xd9, 0x6f, 0x40, 0xd9, 0x37});  // fldcw [rdi+64]; fnstenv [rdi]
  EXPECT_EQ(h.read<uint16_t>(kData), 0x0370);
  EXPECT_EQ(fpu().fcw, 0x037f);
}

TEST_F(X87, FnsaveFrstorRoundTrip) {
  put_ld(kData + 200, 1.25L);
  // fld1; fldpi; fld tword [rdi+200]; fnsave [rdi]; fld1 (after init); frstor [rdi]
  run({0xd9, 0xe8, 0xd9, 0xeb, 0xdb, 0xaf, 0xc8, 0x00, 0x00, 0x00,
       0xdd, 0x37, 0xd9, 0xe8, 0xdd, 0x27});
  EXPECT_EQ(get_ld(kData + 28), 1.25L);  // ST(0) right after the environment
  EXPECT_EQ(get_ld(kData + 48), 1.0L);   // ST(2)
  EXPECT_EQ(top(), 5u);
  EXPECT_EQ(st(0), 1.25L);
  EXPECT_EQ(st(2), 1.0L);
  EXPECT_EQ(tag(3), 3u);
  EXPECT_EQ(fpu().ftw, 0x03ff);
}

TEST_F(X87, FxsaveImageLayout) {
  FpuState& f = h.state().fpu;
  f.fcw = 0x027f;
  f.mxcsr = 0x1f80 | 0x40;  // DAZ
  for (unsigned k = 0; k < 16; k++) f.xmm[k] = Xmm{0x1111111111111111ull * k, ~0ull - k};
  h.write<uint8_t>(kData + 511, 0xab);  // software-available area stays untouched
  put_ld(kData + 600, -0.5L);
  // fld1; fld tword [rdi+600]; fxsave [rdi]
  run({0xd9, 0xe8, 0xdb, 0xaf, 0x58, 0x02, 0x00, 0x00, 0x0f, 0xae, 0x07});
  EXPECT_EQ(h.read<uint16_t>(kData + 0), 0x027f);
  EXPECT_EQ(h.read<uint16_t>(kData + 2), fpu().fsw);
  EXPECT_EQ(h.read<uint8_t>(kData + 4), 0xc0);  // abridged: R6 and R7 in use
  EXPECT_EQ(h.read<uint16_t>(kData + 6), 0x3af);  // FOP: DB AF (FLD m80 [rdi+disp32])
  EXPECT_EQ(h.read<uint32_t>(kData + 8), CpuHarness::kCodeAddress + 2);
  EXPECT_EQ(h.read<uint16_t>(kData + 12), 0x08);
  EXPECT_EQ(h.read<uint32_t>(kData + 16), kData + 600);
  EXPECT_EQ(h.read<uint16_t>(kData + 20), 0x10);
  EXPECT_EQ(h.read<uint32_t>(kData + 24), 0x1fc0u);
  EXPECT_EQ(h.read<uint32_t>(kData + 28), 0xffffu);
  EXPECT_EQ(get_ld(kData + 32), -0.5L);  // ST(0), stack order
  EXPECT_EQ(get_ld(kData + 48), 1.0L);   // ST(1)
  for (unsigned k = 0; k < 16; k++) {
    EXPECT_EQ(h.read<uint64_t>(kData + 160 + 16 * k), 0x1111111111111111ull * k);
    EXPECT_EQ(h.read<uint64_t>(kData + 168 + 16 * k), ~0ull - k);
  }
  EXPECT_EQ(h.read<uint8_t>(kData + 511), 0xab);
  // FXSAVE64: 64-bit FIP and FDP.
  run({0x48, 0x0f, 0xae, 0x07});
  EXPECT_EQ(h.read<uint64_t>(kData + 8), CpuHarness::kCodeAddress + 2);
  EXPECT_EQ(h.read<uint64_t>(kData + 16), kData + 600);
}

TEST_F(X87, FxsaveFxrstorRoundTrip) {
  FpuState& f = h.state().fpu;
  for (unsigned k = 0; k < 16; k++) f.xmm[k] = Xmm{k + 1, (k + 1) << 8};
  f.mxcsr = 0x3f80;
  put_ld(kData + 600, 2.75L);
  // fld tword [rdi+600]; fldz; fxsave [rdi]
  run({0xdb, 0xaf, 0x58, 0x02, 0x00, 0x00, 0xd9, 0xee, 0x0f, 0xae, 0x07});
  const FpuState before = h.cpu().state.fpu;
  // Modify the image: XMM3, MXCSR, ST(1); then wipe the live state and restore.
  h.write<uint64_t>(kData + 160 + 3 * 16, 0xdeadbeefull);
  h.write<uint32_t>(kData + 24, 0x1f80);
  put_ld(kData + 48, -8.0L);
  h.state().fpu = FpuState{};
  run({0x0f, 0xae, 0x0f});  // fxrstor [rdi]
  const FpuState& a = fpu();
  EXPECT_EQ(a.fcw, before.fcw);
  EXPECT_EQ(a.fsw, before.fsw);
  EXPECT_EQ(a.ftw, before.ftw);  // full tags rebuilt: R6 valid, R7 zero... as before
  EXPECT_EQ(a.fop, before.fop);
  EXPECT_EQ(a.fip, before.fip);
  EXPECT_EQ(a.fdp, before.fdp);
  EXPECT_EQ(a.mxcsr, 0x1f80u);
  EXPECT_EQ(st(0), 0.0L);
  EXPECT_EQ(st(1), -8.0L);
  for (unsigned k = 0; k < 16; k++) {
    EXPECT_EQ(a.xmm[k].lo, k == 3 ? 0xdeadbeefull : k + 1);
    EXPECT_EQ(a.xmm[k].hi, (k + 1) << 8);
  }
}

TEST_F(X87, FxsaveAlignmentAndFxrstorReservedMxcsr) {
  h.state().gpr[kRdi] = kData + 8;
  EXPECT_EQ(run_for_vector({0x0f, 0xae, 0x07}), 13);
  h.state().gpr[kRdi] = kData;
  h.write<uint32_t>(kData + 24, 0x10000);  // reserved MXCSR bit
  EXPECT_EQ(run_for_vector({0x0f, 0xae, 0x0f}), 13);
  EXPECT_EQ(h.read<uint64_t>(h.cpu().state.gpr[kRsp]), 0u);  // error code 0
}

TEST_F(X87, FxsaveInProtectedModeSavesEightXmm) {
  CpuHarness p(Mode::kProtected32);
  for (unsigned k = 0; k < 16; k++) p.state().fpu.xmm[k] = Xmm{k + 1, 0};
  p.state().gpr[kRdi] = kData;
  p.write<uint64_t>(kData + 160 + 8 * 16, 0x77);
  p.load_code({0x0f, 0xae, 0x07});
  p.run(100);
  EXPECT_EQ(p.delivered_vector(), -1);
  EXPECT_EQ(p.read<uint64_t>(kData + 160 + 7 * 16), 8u);
  EXPECT_EQ(p.read<uint64_t>(kData + 160 + 8 * 16), 0x77u);  // XMM8 slot not written
}

}  // namespace
}  // namespace rwd::test

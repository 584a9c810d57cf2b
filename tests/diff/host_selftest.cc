// SPDX-License-Identifier: MIT
//
// Checks of the differential test's own machinery: the host runner must
// report exactly what the CPU did (results, faults, memory, stack, flags,
// XMM), and the generator must be a pure function of (seed, category,
// index).  If these fail, no diff_tests result means anything.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>

#include "tests/diff/compare.h"
#include "tests/diff/generator.h"
#include "tests/diff/host_runner.h"
#include "tests/diff/rewind_runner.h"

namespace rwd::diff {
namespace {

Snippet make(std::vector<uint8_t> code) {
  Snippet s;
  s.category = "selftest";
  s.name = "selftest";
  s.code = std::move(code);
  s.input.gpr[kRsp] = kStackAddress + 0x800;
  return s;
}

uint64_t end_of(const Snippet& s) { return kCodeAddress + s.code.size(); }

// Field by field: MachineState has padding that memcmp would look at.
bool same_input(const MachineState& a, const MachineState& b) {
  return std::memcmp(a.gpr, b.gpr, sizeof(a.gpr)) == 0 && a.rflags == b.rflags &&
         std::memcmp(a.xmm, b.xmm, sizeof(a.xmm)) == 0 && a.mxcsr == b.mxcsr;
}

TEST(HostRunner, Add) {
  Snippet s = make({0x48, 0x01, 0xd8});  // add rax, rbx
  s.input.gpr[kRax] = 0x7fffffffffffffffull;
  s.input.gpr[kRbx] = 1;
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.exception_vector, kVectorNone);
  EXPECT_EQ(r.state.rip, end_of(s));
  EXPECT_EQ(r.state.gpr[kRax], 0x8000000000000000ull);
  EXPECT_EQ(r.state.gpr[kRbx], 1u);
  EXPECT_EQ(r.state.gpr[kRsp], kStackAddress + 0x800);
  EXPECT_EQ(r.state.rflags & kFlagsArith, kFlagOf | kFlagSf | kFlagAf | kFlagPf);
}

TEST(HostRunner, InputFlagsAreLoaded) {
  Snippet s = make({0x48, 0x83, 0xd0, 0x00, 0xfd});  // adc rax, 0; std
  s.input.gpr[kRax] = 41;
  s.input.rflags |= kFlagCf;
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.gpr[kRax], 42u);
  EXPECT_TRUE(r.state.rflags & kFlagDf);
  EXPECT_TRUE(r.state.rflags & kFlagIf);
}

TEST(HostRunner, DivideByZeroIsVector0) {
  Snippet s = make({0x90, 0x48, 0xf7, 0xf1});  // nop; div rcx
  s.input.gpr[kRax] = 5;
  s.input.gpr[kRcx] = 0;
  s.input.gpr[kR12] = 0x1234;
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.exception_vector, kVectorDe);
  EXPECT_EQ(r.state.rip, kCodeAddress + 1);  // the faulting instruction
  EXPECT_EQ(r.state.gpr[kRax], 5u);
  EXPECT_EQ(r.state.gpr[kR12], 0x1234u);
}

TEST(HostRunner, Ud2IsVector6) {
  const Result r = run_one_on_host(make({0x0f, 0x0b}));
  EXPECT_EQ(r.state.exception_vector, kVectorUd);
  EXPECT_EQ(r.state.rip, kCodeAddress);
}

TEST(HostRunner, PageFaultReportsAddress) {
  Snippet s = make({0x48, 0x8b, 0x03});  // mov rax, [rbx]
  s.input.gpr[kRbx] = 0x40000000;
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.exception_vector, kVectorPf);
  EXPECT_EQ(r.state.fault_address, 0x40000000u);
}

TEST(HostRunner, MemoryWriteIsVisible) {
  Snippet s = make({0x48, 0x89, 0x46, 0x10});  // mov [rsi+16], rax
  s.input.gpr[kRsi] = kDataAddress + 0x100;
  s.input.gpr[kRax] = 0x1122334455667788ull;
  s.data_init.assign(kDataSize, 0xee);
  const Result r = run_one_on_host(s);
  ASSERT_EQ(r.data_out.size(), kDataSize);
  uint64_t v;
  std::memcpy(&v, &r.data_out[0x110], 8);
  EXPECT_EQ(v, 0x1122334455667788ull);
  EXPECT_EQ(r.data_out[0x10f], 0xee);
  EXPECT_EQ(r.data_out[0x118], 0xee);
}

TEST(HostRunner, PushPop) {
  Snippet s = make({0x50, 0x5b, 0x6a, 0xff});  // push rax; pop rbx; push -1
  s.input.gpr[kRax] = 0xdeadbeefcafef00dull;
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.gpr[kRbx], 0xdeadbeefcafef00dull);
  EXPECT_EQ(r.state.gpr[kRsp], kStackAddress + 0x7f8);
  ASSERT_EQ(r.stack_out.size(), kStackSize);
  uint64_t v;
  std::memcpy(&v, &r.stack_out[0x7f8], 8);
  EXPECT_EQ(v, ~0ull);
}

TEST(HostRunner, Xmm) {
  Snippet s = make({0x66, 0x0f, 0xfe, 0xc1});  // paddd xmm0, xmm1
  for (int i = 0; i < 16; ++i) {
    s.input.xmm[0][i] = uint8_t(i);
    s.input.xmm[1][i] = 1;
    s.input.xmm[15][i] = uint8_t(0xa0 + i);
  }
  s.input.mxcsr = 0x7f80;  // round down: must survive the round trip
  const Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.xmm[0][0], 0x01);
  EXPECT_EQ(r.state.xmm[0][1], 0x02);
  EXPECT_EQ(r.state.xmm[0][4], 0x05);
  EXPECT_EQ(r.state.xmm[15][3], 0xa3);
  EXPECT_EQ(r.state.mxcsr, 0x7f80u);
}

// Linux runs user code with CR0.AM=1: a snippet that leaves AC set must
// still get back out through the epilogue (its jump target is aligned),
// and a misaligned access under AC must come back as #AC, not as a crash.
TEST(HostRunner, AlignmentCheck) {
  Snippet s = make({0x90});
  s.input.rflags |= kFlagAc;
  Result r = run_one_on_host(s);
  EXPECT_EQ(r.state.exception_vector, kVectorNone);
  EXPECT_TRUE(r.state.rflags & kFlagAc);

  s = make({0x48, 0x8b, 0x46, 0x01});  // mov rax, [rsi+1]
  s.input.rflags |= kFlagAc;
  s.input.gpr[kRsi] = kDataAddress + 0x100;
  r = run_one_on_host(s);
  EXPECT_EQ(r.state.exception_vector, kVectorAc);
  EXPECT_EQ(r.state.rip, kCodeAddress);
}

TEST(HostRunner, ManySnippetsKeepOrderAndSurviveFaults) {
  std::vector<Snippet> batch;
  for (int i = 0; i < 50; ++i) {
    Snippet s = make(i % 3 == 0 ? std::vector<uint8_t>{0x0f, 0x0b}        // ud2
                                : std::vector<uint8_t>{0x48, 0xff, 0xc0});  // inc rax
    s.input.gpr[kRax] = uint64_t(i);
    batch.push_back(s);
  }
  const std::vector<Result> results = run_on_host(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(results[i].state.exception_vector, i % 3 == 0 ? kVectorUd : kVectorNone);
    EXPECT_EQ(results[i].state.gpr[kRax], uint64_t(i % 3 == 0 ? i : i + 1));
  }
}

TEST(RewindRunner, AgreesOnSimpleAdd) {
  Snippet s = make({0x48, 0x01, 0xd8});
  s.input.gpr[kRax] = 5;
  s.input.gpr[kRbx] = 7;
  const std::string diff = compare(s, run_one_on_host(s), run_in_rewind(s));
  EXPECT_TRUE(diff.empty()) << diff;
}

TEST(Generator, SameSeedSameBytes) {
  for (const Category& c : categories()) {
    for (uint64_t i : {0ull, 1ull, 7ull, 12345ull}) {
      const Snippet a = generate_one(c, i), b = generate_one(c, i);
      ASSERT_EQ(a.code, b.code) << c.name << " #" << i;
      ASSERT_TRUE(same_input(a.input, b.input)) << c.name << " #" << i;
      ASSERT_EQ(a.data_init, b.data_init) << c.name << " #" << i;
      ASSERT_EQ(a.stack_init, b.stack_init) << c.name << " #" << i;
      ASSERT_EQ(a.flags_mask, b.flags_mask) << c.name << " #" << i;
      ASSERT_EQ(a.name, c.forms[i % c.forms.size()]);
    }
  }
}

TEST(Generator, SeedMatters) {
  const Category& c = categories().front();
  const Snippet a = generate_one(c, 3, kDefaultSeed), b = generate_one(c, 3, kDefaultSeed + 1);
  EXPECT_FALSE(same_input(a.input, b.input));
}

TEST(Generator, CategoriesAreWellFormed) {
  for (const Category& c : categories()) {
    EXPECT_FALSE(c.forms.empty()) << c.name;
    EXPECT_EQ(c.forms.size(), c.builders.size()) << c.name;
    EXPECT_GT(c.cases_per_form, 0u) << c.name;
    EXPECT_EQ(find_category(c.name), &c) << "duplicate category " << c.name;
    for (char ch : c.name) EXPECT_TRUE(std::isalnum(uint8_t(ch)) || ch == '_') << c.name;
  }
}

}  // namespace
}  // namespace rwd::diff

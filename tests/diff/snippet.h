// SPDX-License-Identifier: MIT
//
// Shared data model of the differential instruction test: a Snippet is a
// short piece of x86-64 machine code plus the complete user-visible machine
// state it starts from; a Result is what running it produced.  The same
// Snippet is executed natively (host_runner.h) and inside the emulator, and
// the two Results are compared (compare.h).
//
// Execution contract (both sides must implement exactly this):
//   * Three pages are mapped at fixed addresses: code (R-X), data (RW-) and
//     stack (RW-), each kPageSize bytes.  Nothing else is mapped near them.
//   * The code page holds `code` at kCodeAddress; bytes after it belong to
//     the runner (the host places a jump back to its trampoline there), so
//     a snippet "finishes" when RIP reaches kCodeAddress + code.size().
//   * The data page starts as `data_init`, the stack page as `stack_init`
//     (empty = all zero).  Both pages are part of the result.
//   * All 16 GPRs, RFLAGS, XMM0-15 and MXCSR are loaded from `input`.
//     RFLAGS is loaded as if by POPFQ at CPL 3 (IF stays 1, IOPL stays 0).
//   * If an instruction raises an exception the snippet stops there and the
//     result is the architectural state at the fault (RIP of the faulting
//     instruction, or of the next one for trap-class exceptions like int3),
//     plus the vector.
#ifndef REWIND_TESTS_DIFF_SNIPPET_H_
#define REWIND_TESTS_DIFF_SNIPPET_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rwd::diff {

constexpr uint64_t kPageSize = 0x1000;
constexpr uint64_t kCodeAddress = 0x10000000;   // code page (snippet + epilogue)
constexpr uint64_t kDataAddress = 0x20000000;   // 4 KiB data page
constexpr uint64_t kStackAddress = 0x30000000;  // 4 KiB stack page
constexpr uint64_t kCodeSize = kPageSize;
constexpr uint64_t kDataSize = kPageSize;
constexpr uint64_t kStackSize = kPageSize;
// The host appends a ~21-byte absolute jump; keep snippets below this size.
constexpr uint64_t kMaxSnippetCode = kCodeSize - 64;

// GPR indices in hardware encoding order.
enum Gpr : int {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

// RFLAGS bits.
constexpr uint64_t kFlagCf = 1u << 0;
constexpr uint64_t kFlagFixed1 = 1u << 1;  // always reads as 1
constexpr uint64_t kFlagPf = 1u << 2;
constexpr uint64_t kFlagAf = 1u << 4;
constexpr uint64_t kFlagZf = 1u << 6;
constexpr uint64_t kFlagSf = 1u << 7;
constexpr uint64_t kFlagTf = 1u << 8;
constexpr uint64_t kFlagIf = 1u << 9;
constexpr uint64_t kFlagDf = 1u << 10;
constexpr uint64_t kFlagOf = 1u << 11;
constexpr uint64_t kFlagIopl = 3u << 12;
constexpr uint64_t kFlagAc = 1u << 18;
constexpr uint64_t kFlagId = 1u << 21;
constexpr uint64_t kFlagsArith =
    kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf | kFlagOf;
// What a snippet compares unless the SDM leaves some of it undefined.
constexpr uint64_t kFlagsDefaultMask = kFlagsArith | kFlagDf;

constexpr uint32_t kMxcsrDefault = 0x1f80;

// Exception vectors.  Negative values are runner outcomes, not CPU vectors.
constexpr int kVectorNone = -1;
constexpr int kVectorSandboxCrash = -2;  // host sandbox died unexpectedly
constexpr int kVectorTimeout = -3;       // snippet did not finish in time
constexpr int kVectorAny = -4;           // Snippet::expected_vector: not predicted
constexpr int kVectorDe = 0;
constexpr int kVectorDb = 1;
constexpr int kVectorBp = 3;
constexpr int kVectorUd = 6;
constexpr int kVectorSs = 12;
constexpr int kVectorGp = 13;
constexpr int kVectorPf = 14;
constexpr int kVectorAc = 17;
constexpr int kVectorXm = 19;

struct MachineState {            // user-visible state before/after a snippet
  uint64_t gpr[16] = {};         // rax rcx rdx rbx rsp rbp rsi rdi r8..r15
  uint64_t rflags = kFlagFixed1 | kFlagIf;
  alignas(16) uint8_t xmm[16][16] = {};
  uint32_t mxcsr = kMxcsrDefault;
  int exception_vector = kVectorNone;  // -1 none; 0 #DE, 6 #UD, 13 #GP, ...
  // Output only.  Normal completion: kCodeAddress + code.size().  Fault: the
  // RIP the exception reports (faulting insn; next insn for int3/traps).
  uint64_t rip = 0;
  // Output only, meaningful for #PF: the faulting linear address (CR2).
  uint64_t fault_address = 0;
};

struct Snippet {
  std::string category;          // e.g. "add"; see generator.h
  std::string name;              // form, e.g. "add r/m64, r64 [reg]"
  uint64_t index = 0;            // case number within the category
  std::string feature;           // CPUID feature needed ("" = baseline)
  std::vector<uint8_t> code;     // instruction bytes under test, no epilogue
  uint64_t flags_mask = kFlagsDefaultMask;  // rflags bits that must match
  uint16_t gpr_mask = 0xffff;    // GPRs that must match (bit n = gpr[n])
  uint16_t xmm_mask = 0xffff;    // XMM registers that must match
  uint32_t mxcsr_mask = 0xffffffff;
  MachineState input;
  std::vector<uint8_t> data_init;   // data page (kDataSize bytes)
  std::vector<uint8_t> stack_init;  // stack page; empty = all zero
  // What the generator meant to happen (a sanity check of the generator;
  // the host result stays the reference for the emulator).
  int expected_vector = kVectorNone;
};

struct Result {
  MachineState state;
  std::vector<uint8_t> data_out;   // data page after the snippet
  std::vector<uint8_t> stack_out;  // stack page after; empty = not captured
};

}  // namespace rwd::diff

#endif  // REWIND_TESTS_DIFF_SNIPPET_H_

// SPDX-License-Identifier: MIT
// The x86-64 register set rewind shows gdb, as data: one table gives each register's gdb number
// (p/P packets, stop replies), size and byte offset in the g/G packet, and the target description
// XML (qXfer:features:read:target.xml) is generated from the same table so the two cannot drift.
//
// Features (gdb manual, "i386 Features"; gdb's features/i386/64bit-{core,sse,segments}.xml):
//   org.gnu.gdb.i386.core      0-39   rax rbx rcx rdx rsi rdi rbp rsp r8-r15 rip eflags
//                                     cs ss ds es fs gs st0-st7 fctrl fstat ftag fiseg fioff
//                                     foseg fooff fop
//   org.gnu.gdb.i386.sse       40-56  xmm0-xmm15 mxcsr
//   org.gnu.gdb.i386.segments  57-58  fs_base gs_base
//   org.rewind.x86.system      59-65  cr0 cr2 cr3 cr4 cr8 efer k_gs_base
//
// Building a g reply: std::vector<uint8_t> g(register_packet_size()); for each register, copy
// its little-endian value (size() bytes) to g[offset]; reply to_hex(g). G is the reverse.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rwd::gdb {

// gdb's numbering. Note the core order is rax rbx rcx rdx rsi rdi rbp rsp, not the x86 encoding
// order (rax rcx rdx rbx rsp rbp rsi rdi).
namespace reg {
// clang-format off
enum X86Register : uint32_t {
  kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
  kRip, kEflags,                 // eflags: 32 bits
  kCs, kSs, kDs, kEs, kFs, kGs,  // selectors, 32 bits each
  kSt0, kSt1, kSt2, kSt3, kSt4, kSt5, kSt6, kSt7,  // 80-bit, st0 = ST(0), the top of stack
  // x87 control registers, 32 bits each. ftag is the full 16-bit tag word (2 bits per register),
  // not FXSAVE's abridged byte; fiseg/fioff/foseg/fooff are FPU instruction/operand pointers.
  kFctrl, kFstat, kFtag, kFiseg, kFioff, kFoseg, kFooff, kFop,
  kXmm0, kXmm1, kXmm2, kXmm3, kXmm4, kXmm5, kXmm6, kXmm7,
  kXmm8, kXmm9, kXmm10, kXmm11, kXmm12, kXmm13, kXmm14, kXmm15,
  kMxcsr,
  kFsBase, kGsBase,
  kCr0, kCr2, kCr3, kCr4, kCr8, kEfer, kKernelGsBase,  // k_gs_base: IA32_KERNEL_GS_BASE
  kCount
};
// clang-format on
}  // namespace reg

struct RegisterInfo {
  std::string_view name;     // gdb's name ("rax", "k_gs_base")
  uint32_t regnum = 0;       // gdb's remote number: p/P packets, stop replies
  uint32_t bitsize = 0;      // 32, 64, 80 or 128
  uint32_t offset = 0;       // byte offset of the value in the g/G packet
  std::string_view type;     // tdesc type ("int64", "code_ptr", "vec128", …)
  std::string_view group;    // tdesc group, "" for gdb's default
  std::string_view feature;  // "org.gnu.gdb.i386.core", …
  uint32_t size() const { return bitsize / 8; }
};

// Indexed by regnum: x86_64_registers()[reg::kRip].name == "rip".
std::span<const RegisterInfo> x86_64_registers();
const RegisterInfo* find_register(uint32_t regnum);        // nullptr when out of range
const RegisterInfo* find_register(std::string_view name);  // nullptr when unknown
// Bytes in a full g packet (608): every register, in regnum order.
uint32_t register_packet_size();

// The <target> document for qXfer:features:read:target.xml: architecture i386:x86-64, the
// features above, every register with an explicit regnum.
std::string target_xml();

}  // namespace rwd::gdb

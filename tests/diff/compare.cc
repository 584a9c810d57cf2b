// SPDX-License-Identifier: MIT
#include "tests/diff/compare.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace rwd::diff {
namespace {

constexpr const char* kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

struct FlagName {
  uint64_t bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kFlagCf, "CF"},   {kFlagPf, "PF"},     {kFlagAf, "AF"},       {kFlagZf, "ZF"},
    {kFlagSf, "SF"},   {kFlagTf, "TF"},     {kFlagIf, "IF"},       {kFlagDf, "DF"},
    {kFlagOf, "OF"},   {1u << 12, "IOPL0"}, {1u << 13, "IOPL1"},   {1u << 14, "NT"},
    {1u << 16, "RF"},  {1u << 17, "VM"},    {kFlagAc, "AC"},       {1u << 19, "VIF"},
    {1u << 20, "VIP"}, {kFlagId, "ID"},     {kFlagFixed1, "bit1"},
};

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

std::string flag_list(uint64_t bits) {
  std::string out;
  for (const FlagName& f : kFlagNames) {
    if (!(bits & f.bit)) continue;
    if (!out.empty()) out += ' ';
    out += f.name;
  }
  return out.empty() ? "-" : out;
}

uint64_t qword(const uint8_t* x, int k) {
  uint64_t v;
  std::memcpy(&v, x + 8 * k, 8);
  return v;
}

std::string xmm_hex(const uint8_t* x) {
  // High quadword first, the way register dumps read.
  return format("%016" PRIx64 ":%016" PRIx64, qword(x, 1), qword(x, 0));
}

bool xmm_used(const MachineState& s, int i) {
  for (int b = 0; b < 16; b++)
    if (s.xmm[i][b]) return true;
  return false;
}

// Lists the first differing bytes of a page (as offsets and absolute
// addresses) and how many differ in total.
void compare_page(const char* what, uint64_t base, const std::vector<uint8_t>& host,
                  const std::vector<uint8_t>& emu, std::string* out) {
  if (host.empty() || emu.empty()) return;
  if (host.size() != emu.size()) {
    *out += format("  %s: size differs (host %zu, rewind %zu)\n", what, host.size(), emu.size());
    return;
  }
  size_t count = 0;
  std::string detail;
  for (size_t i = 0; i < host.size(); i++) {
    if (host[i] == emu[i]) continue;
    if (++count <= 16)
      detail += format("    [%#" PRIx64 "] host %02x rewind %02x\n", base + i, host[i], emu[i]);
  }
  if (count == 0) return;
  *out += format("  %s: %zu byte(s) differ\n", what, count);
  *out += detail;
  if (count > 16) *out += "    ...\n";
}

}  // namespace

std::string hex_bytes(const uint8_t* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; i++) out += format(i ? " %02x" : "%02x", bytes[i]);
  return out;
}

std::string vector_name(int vector) {
  static const char* const kNames[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                         "#DF", "#9",  "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                         "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
                                         "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31"};
  if (vector == kVectorNone) return "none";
  if (vector == kVectorSandboxCrash) return "sandbox crash";
  if (vector == kVectorTimeout) return "timeout";
  if (vector >= 0 && vector < 32) return kNames[vector];
  return format("vector %d", vector);
}

std::string describe(const Snippet& s) {
  std::string out = format("%s #%" PRIu64 " [%s]%s%s\n", s.category.c_str(), s.index,
                           s.name.c_str(), s.feature.empty() ? "" : " feature ", s.feature.c_str());
  out += "  code: " + hex_bytes(s.code.data(), s.code.size()) + "\n";
  const MachineState& in = s.input;
  out += "  input:";
  for (int i = 0; i < 16; i++) {
    out += format(" %s=%" PRIx64, kGprNames[i], in.gpr[i]);
    if (i == 7) out += "\n        ";
  }
  out += format("\n         rflags=%#" PRIx64 " (%s) mxcsr=%#x\n", in.rflags,
                flag_list(in.rflags).c_str(), in.mxcsr);
  for (int i = 0; i < 16; i++)
    if (xmm_used(in, i)) out += format("         xmm%-2d=%s\n", i, xmm_hex(in.xmm[i]).c_str());
  return out;
}

std::string compare(const Snippet& s, const Result& host, const Result& emu) {
  std::string diff;
  const MachineState& h = host.state;
  const MachineState& e = emu.state;
  if (h.exception_vector != e.exception_vector)
    diff += format("  exception: host %s, rewind %s\n", vector_name(h.exception_vector).c_str(),
                   vector_name(e.exception_vector).c_str());
  if (h.rip != e.rip)
    diff += format("  rip: host %#" PRIx64 ", rewind %#" PRIx64 "\n", h.rip, e.rip);
  if (h.exception_vector == kVectorPf && e.exception_vector == kVectorPf &&
      h.fault_address != e.fault_address)
    diff +=
        format("  cr2: host %#" PRIx64 ", rewind %#" PRIx64 "\n", h.fault_address, e.fault_address);
  for (int i = 0; i < 16; i++) {
    if (!(s.gpr_mask & (1u << i)) || h.gpr[i] == e.gpr[i]) continue;
    diff += format("  %s: host %#" PRIx64 ", rewind %#" PRIx64 " (input %#" PRIx64 ")\n",
                   kGprNames[i], h.gpr[i], e.gpr[i], s.input.gpr[i]);
  }
  const uint64_t fdiff = (h.rflags ^ e.rflags) & s.flags_mask;
  if (fdiff)
    diff +=
        format("  rflags: host %#" PRIx64 ", rewind %#" PRIx64 "; differ in %s (compared: %s)\n",
               h.rflags, e.rflags, flag_list(fdiff).c_str(), flag_list(s.flags_mask).c_str());
  for (int i = 0; i < 16; i++) {
    if (!(s.xmm_mask & (1u << i)) || std::memcmp(h.xmm[i], e.xmm[i], 16) == 0) continue;
    std::string lanes;
    for (int lane = 0; lane < 4; lane++)
      if (std::memcmp(h.xmm[i] + 4 * lane, e.xmm[i] + 4 * lane, 4) != 0)
        lanes += format(" %d", lane);
    diff += format("  xmm%d: host %s, rewind %s (32-bit lanes%s differ; input %s)\n", i,
                   xmm_hex(h.xmm[i]).c_str(), xmm_hex(e.xmm[i]).c_str(), lanes.c_str(),
                   xmm_hex(s.input.xmm[i]).c_str());
  }
  if ((h.mxcsr ^ e.mxcsr) & s.mxcsr_mask)
    diff += format("  mxcsr: host %#x, rewind %#x (input %#x)\n", h.mxcsr, e.mxcsr, s.input.mxcsr);
  compare_page("data page", kDataAddress, host.data_out, emu.data_out, &diff);
  compare_page("stack page", kStackAddress, host.stack_out, emu.stack_out, &diff);
  if (diff.empty()) return diff;
  std::string out = describe(s);
  out += format("  outcome: host %s at %#" PRIx64 ", rewind %s at %#" PRIx64 "\n",
                vector_name(h.exception_vector).c_str(), h.rip,
                vector_name(e.exception_vector).c_str(), e.rip);
  return out + diff;
}

}  // namespace rwd::diff

// SPDX-License-Identifier: MIT
// The x86-64 register table and the target description generated from it (gdb manual, "Target
// Description Format" and "i386 Features"). Register order, types and groups follow gdb's own
// features/i386/64bit-core.xml, 64bit-sse.xml and 64bit-segments.xml, so gdb's amd64 code
// recognises the core, SSE and segment features; the system registers go in a feature of our
// own. (Their group="system" is for other clients: gdb's i386 code replaces the tdesc group
// test with its own, so gdb lists them with the general registers.)
#include "debug/protocol_target.h"

#include <array>
#include <initializer_list>
#include <utility>

namespace rwd::gdb {
namespace {

constexpr std::string_view kCore = "org.gnu.gdb.i386.core";
constexpr std::string_view kSse = "org.gnu.gdb.i386.sse";
constexpr std::string_view kSegments = "org.gnu.gdb.i386.segments";
constexpr std::string_view kSystem = "org.rewind.x86.system";
constexpr std::array<std::string_view, 4> kFeatures = {kCore, kSse, kSegments, kSystem};

constexpr std::array<RegisterInfo, reg::kCount> kRegisters = [] {
  std::array<RegisterInfo, reg::kCount> table{};
  uint32_t regnum = 0, offset = 0;
  auto add = [&](std::string_view name, uint32_t bitsize, std::string_view type,
                 std::string_view group, std::string_view feature) {
    table[regnum] = RegisterInfo{name, regnum, bitsize, offset, type, group, feature};
    regnum++;
    offset += bitsize / 8;
  };
  for (std::string_view name : {"rax", "rbx", "rcx", "rdx", "rsi", "rdi"})
    add(name, 64, "int64", "", kCore);
  add("rbp", 64, "data_ptr", "", kCore);
  add("rsp", 64, "data_ptr", "", kCore);
  for (std::string_view name : {"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"})
    add(name, 64, "int64", "", kCore);
  add("rip", 64, "code_ptr", "", kCore);
  add("eflags", 32, "i386_eflags", "", kCore);
  for (std::string_view name : {"cs", "ss", "ds", "es", "fs", "gs"})
    add(name, 32, "int32", "", kCore);
  for (std::string_view name : {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"})
    add(name, 80, "i387_ext", "", kCore);
  for (std::string_view name :
       {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
    add(name, 32, "int", "float", kCore);
  for (std::string_view name :
       {"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"})
    add(name, 128, "vec128", "", kSse);
  add("mxcsr", 32, "i386_mxcsr", "vector", kSse);
  add("fs_base", 64, "int", "", kSegments);
  add("gs_base", 64, "int", "", kSegments);
  add("cr0", 64, "rewind_cr0", "system", kSystem);
  add("cr2", 64, "int", "system", kSystem);
  add("cr3", 64, "int", "system", kSystem);
  add("cr4", 64, "rewind_cr4", "system", kSystem);
  add("cr8", 64, "int", "system", kSystem);
  add("efer", 64, "rewind_efer", "system", kSystem);
  add("k_gs_base", 64, "int", "system", kSystem);
  return table;
}();

static_assert(kRegisters[reg::kRip].name == "rip");
static_assert(kRegisters[reg::kXmm0].regnum == 40, "gdb's 64bit-sse.xml puts xmm0 at 40");
static_assert(kRegisters[reg::kKernelGsBase].name == "k_gs_base");

using Fields = std::initializer_list<std::pair<std::string_view, int>>;

// A one-bit-per-field <flags> type; size in bytes.
std::string flags(std::string_view id, int size, Fields fields) {
  std::string out =
      "    <flags id=\"" + std::string(id) + "\" size=\"" + std::to_string(size) + "\">\n";
  for (const auto& [name, bit] : fields) {
    out += "      <field name=\"" + std::string(name) + "\" start=\"" + std::to_string(bit) +
           "\" end=\"" + std::to_string(bit) + "\"/>\n";
  }
  return out + "    </flags>\n";
}

std::string feature_types(std::string_view feature) {
  if (feature == kCore) {
    return flags("i386_eflags", 4,
                 {{"CF", 0},
                  {"PF", 2},
                  {"AF", 4},
                  {"ZF", 6},
                  {"SF", 7},
                  {"TF", 8},
                  {"IF", 9},
                  {"DF", 10},
                  {"OF", 11},
                  {"NT", 14},
                  {"RF", 16},
                  {"VM", 17},
                  {"AC", 18},
                  {"VIF", 19},
                  {"VIP", 20},
                  {"ID", 21}});
  }
  if (feature == kSse) {
    std::string out =
        "    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
        "    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
        "    <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
        "    <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
        "    <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
        "    <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
        "    <union id=\"vec128\">\n"
        "      <field name=\"v4_float\" type=\"v4f\"/>\n"
        "      <field name=\"v2_double\" type=\"v2d\"/>\n"
        "      <field name=\"v16_int8\" type=\"v16i8\"/>\n"
        "      <field name=\"v8_int16\" type=\"v8i16\"/>\n"
        "      <field name=\"v4_int32\" type=\"v4i32\"/>\n"
        "      <field name=\"v2_int64\" type=\"v2i64\"/>\n"
        "      <field name=\"uint128\" type=\"uint128\"/>\n"
        "    </union>\n";
    return out + flags("i386_mxcsr", 4,
                       {{"IE", 0},
                        {"DE", 1},
                        {"ZE", 2},
                        {"OE", 3},
                        {"UE", 4},
                        {"PE", 5},
                        {"DAZ", 6},
                        {"IM", 7},
                        {"DM", 8},
                        {"ZM", 9},
                        {"OM", 10},
                        {"UM", 11},
                        {"PM", 12},
                        {"FZ", 15}});
  }
  if (feature == kSystem) {
    // Bit positions: Intel SDM vol. 3A §2.5 (CR0, CR4) and §2.2.1 (IA32_EFER).
    return flags("rewind_cr0", 8,
                 {{"PE", 0},
                  {"MP", 1},
                  {"EM", 2},
                  {"TS", 3},
                  {"ET", 4},
                  {"NE", 5},
                  {"WP", 16},
                  {"AM", 18},
                  {"NW", 29},
                  {"CD", 30},
                  {"PG", 31}}) +
           flags("rewind_cr4", 8,
                 {{"VME", 0},         {"PVI", 1},    {"TSD", 2},      {"DE", 3},    {"PSE", 4},
                  {"PAE", 5},         {"MCE", 6},    {"PGE", 7},      {"PCE", 8},   {"OSFXSR", 9},
                  {"OSXMMEXCPT", 10}, {"UMIP", 11},  {"LA57", 12},    {"VMXE", 13}, {"SMXE", 14},
                  {"FSGSBASE", 16},   {"PCIDE", 17}, {"OSXSAVE", 18}, {"SMEP", 20}, {"SMAP", 21},
                  {"PKE", 22}}) +
           flags("rewind_efer", 8, {{"SCE", 0}, {"LME", 8}, {"LMA", 10}, {"NXE", 11}});
  }
  return "";
}

}  // namespace

std::span<const RegisterInfo> x86_64_registers() {
  return kRegisters;
}

const RegisterInfo* find_register(uint32_t regnum) {
  return regnum < kRegisters.size() ? &kRegisters[regnum] : nullptr;
}

const RegisterInfo* find_register(std::string_view name) {
  for (const RegisterInfo& info : kRegisters)
    if (info.name == name) return &info;
  return nullptr;
}

uint32_t register_packet_size() {
  const RegisterInfo& last = kRegisters.back();
  return last.offset + last.size();
}

std::string target_xml() {
  std::string out =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>i386:x86-64</architecture>\n";
  for (std::string_view feature : kFeatures) {
    out += "  <feature name=\"" + std::string(feature) + "\">\n";
    out += feature_types(feature);
    for (const RegisterInfo& info : kRegisters) {
      if (info.feature != feature) continue;
      out += "    <reg name=\"" + std::string(info.name) + "\" bitsize=\"" +
             std::to_string(info.bitsize) + "\" type=\"" + std::string(info.type) + "\" regnum=\"" +
             std::to_string(info.regnum) + "\"";
      if (!info.group.empty()) out += " group=\"" + std::string(info.group) + "\"";
      out += "/>\n";
    }
    out += "  </feature>\n";
  }
  return out + "</target>\n";
}

}  // namespace rwd::gdb

// SPDX-License-Identifier: MIT
#include "jit/cpu_model.h"

#include <cstring>

#include "base/files.h"
#include <vector>

namespace rwd {
namespace {

CpuModel core2duo() {
  // Merom-class Core 2 Duo, what QEMU's `-cpu core2duo` describes, minus MONITOR/MWAIT.
  CpuModel m{"core2duo", "Intel Core 2 Duo (Merom): SSE3, SSSE3", 6, 15, 11, {}};
  m.features.sse3 = m.features.ssse3 = true;
  return m;
}

CpuModel penryn() {
  CpuModel m{"penryn", "Intel Core 2 Duo (Penryn): SSE3, SSSE3, SSE4.1", 6, 23, 3, {}};
  m.features.sse3 = m.features.ssse3 = m.features.sse41 = true;
  return m;
}

CpuModel max_model() {
  // Everything the core implements; used by the differential tests.
  CpuModel m{"max", "every feature rewind implements (SSE4.1, POPCNT, LZCNT, RDTSCP)", 6, 23, 3,
             {}};
  m.features.sse3 = m.features.ssse3 = m.features.sse41 = true;
  m.features.popcnt = m.features.lzcnt = m.features.rdtscp = true;
  return m;
}

void put_string(uint32_t* regs, const char* s) { std::memcpy(regs, s, 16); }

}  // namespace

std::array<uint32_t, 4> CpuModel::cpuid(uint32_t leaf, uint32_t subleaf) const {
  const CpuFeatures& f = features;
  std::array<uint32_t, 4> r{};  // eax ebx ecx edx
  switch (leaf) {
    case 0:
      r[0] = f.sse41 ? 0xa : 0xa;
      r[1] = 0x756e6547;  // "Genu"
      r[3] = 0x49656e69;  // "ineI"
      r[2] = 0x6c65746e;  // "ntel"
      break;
    case 1: {
      r[0] = (stepping & 0xf) | ((model & 0xf) << 4) | ((family & 0xf) << 8) |
             (((model >> 4) & 0xf) << 16);
      r[1] = (1u << 16) | (8u << 8);  // 1 logical processor, CLFLUSH line 64 bytes, APIC ID 0
      // EDX: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush
      //      mmx fxsr sse sse2
      r[3] = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
             (1u << 7) | (1u << 8) | (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) |
             (1u << 14) | (1u << 15) | (1u << 16) | (1u << 17) | (1u << 19) | (1u << 23) |
             (1u << 24) | (1u << 25) | (1u << 26);
      r[2] = (f.sse3 ? 1u : 0) | (f.ssse3 ? 1u << 9 : 0) | (f.cx16 ? 1u << 13 : 0) |
             (f.sse41 ? 1u << 19 : 0) | (f.popcnt ? 1u << 23 : 0) | (f.rdrand ? 1u << 30 : 0) |
             (1u << 31);  // hypervisor present
      break;
    }
    case 2:
      r[0] = 0x665b5001;  // Core 2 cache descriptors
      r[3] = 0x2c307d;
      break;
    case 4:
      // Deterministic cache parameters: report none beyond the terminator.
      break;
    case 0x40000000:
      r[0] = 0x40000000;
      put_string(&r[1], "rewindrewind");
      break;
    case 0x80000000: r[0] = 0x80000008; break;
    case 0x80000001:
      r[2] = (f.lahf_lm ? 1u : 0) | (f.lzcnt ? 1u << 5 : 0);
      r[3] = (1u << 11) | (f.nx ? 1u << 20 : 0) | (f.rdtscp ? 1u << 27 : 0) | (1u << 29);
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      char brand[48] = {};
      std::snprintf(brand, sizeof brand, "rewind virtual CPU (%s)", name.c_str());
      std::memcpy(r.data(), brand + (leaf - 0x80000002) * 16, 16);
      break;
    }
    case 0x80000006: r[2] = 0x04008040; break;  // 4 MiB L2, 64-byte lines
    case 0x80000008: r[0] = 0x3028; break;      // 40 physical, 48 virtual address bits
    default: break;
  }
  (void)subleaf;
  return r;
}

std::optional<CpuModel> cpu_model_from_spec(const std::string& spec, std::string* error) {
  std::vector<std::string> parts = split(spec, ',');
  CpuModel m;
  if (parts[0] == "core2duo" || parts[0] == "Core2Duo" || parts[0].empty())
    m = core2duo();
  else if (parts[0] == "penryn" || parts[0] == "Penryn")
    m = penryn();
  else if (parts[0] == "max")
    m = max_model();
  else {
    *error = "unknown CPU model '" + parts[0] + "' (known: " + cpu_model_names() + ")";
    return std::nullopt;
  }
  for (size_t i = 1; i < parts.size(); i++) {
    const std::string& o = parts[i];
    if (o == "ignore-msrs" || o == "ignore-msrs=on")
      m.features.ignore_msrs = true;
    else {
      *error = "unknown CPU option '" + o + "' in -cpu " + spec;
      return std::nullopt;
    }
  }
  return m;
}

std::string cpu_model_names() { return "core2duo, penryn, max"; }

}  // namespace rwd

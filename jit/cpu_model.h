// SPDX-License-Identifier: MIT
// Fixed CPU models for CPUID (never the host's): what the guest is told, and so what the core
// must implement. Anything a model does not advertise raises #UD.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace rwd {

struct CpuFeatures {
  bool sse3 = false, ssse3 = false, sse41 = false, popcnt = false, lzcnt = false, bmi1 = false;
  bool rdrand = false, rdtscp = false, nx = true, cx16 = true, lahf_lm = true;
  // -cpu ...,ignore-msrs: unknown MSRs read as 0 and ignore writes instead of raising #GP
  // (the seed platform needs it for MSR 0x199 on OS X).
  bool ignore_msrs = false;
};

struct CpuModel {
  std::string name;
  std::string description;
  uint32_t family, model, stepping;
  CpuFeatures features;
  std::array<uint32_t, 4> cpuid(uint32_t leaf, uint32_t subleaf) const;
};

// Parses QEMU's -cpu spelling: "core2duo", "penryn,ignore-msrs", "max". Returns nullopt and
// fills *error for unknown models or options.
std::optional<CpuModel> cpu_model_from_spec(const std::string& spec, std::string* error);
std::string cpu_model_names();

}  // namespace rwd

// SPDX-License-Identifier: MIT
// Machine configuration, parsed from QEMU's own command-line spellings so existing command
// lines carry over: -kernel -initrd -append -m -cpu -serial -device -nographic -no-reboot.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jit/cpu_model.h"

namespace rwd {

struct DebugExitConfig {
  uint16_t iobase = 0x501;
  uint16_t iosize = 2;
};

struct MachineConfig {
  std::string kernel;
  std::string initrd;
  std::string append;
  uint64_t ram_size = 128ull << 20;
  CpuModel cpu;
  std::string serial = "stdio";  // "stdio", "file:PATH", "null", "none"
  std::vector<DebugExitConfig> debug_exits;
  bool no_reboot = false;
  std::string machine = "q35";
  std::vector<std::string> smbios;  // -smbios options, QEMU spelling
  // Image bytes by path, used instead of reading the file (packed recordings).
  std::map<std::string, std::vector<uint8_t>> file_contents;
};

// The image files a configuration refers to, as (role, path): "kernel", "initrd".
std::vector<std::pair<std::string, std::string>> config_images(const MachineConfig& cfg);

// Parses machine flags from args[*index...], stopping at the first argument it does not own
// (left for the caller). Unknown flags starting with '-' are errors that name the flag.
// Returns false and sets *error on failure.
bool parse_machine_flag(const std::vector<std::string>& args, size_t* index, MachineConfig* cfg,
                        std::string* error);
// Parses "-m" sizes: "128", "128M", "2G", "size=512M".
std::optional<uint64_t> parse_memory_size(const std::string& text);
// Default config (core2duo CPU).
MachineConfig default_machine_config();

}  // namespace rwd

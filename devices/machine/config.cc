// SPDX-License-Identifier: MIT
#include "devices/machine/config.h"

#include "devices/acpi/smbios.h"

#include <cstdlib>

#include "base/files.h"
#include <map>

namespace rwd {

std::vector<std::pair<std::string, std::string>> config_images(const MachineConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!cfg.kernel.empty()) out.push_back({"kernel", cfg.kernel});
  // Multiboot -initrd: comma-separated modules, each "file [args]".
  size_t start = 0;
  while (!cfg.initrd.empty() && start <= cfg.initrd.size()) {
    size_t end = cfg.initrd.find(',', start);
    if (end == std::string::npos) end = cfg.initrd.size();
    std::string item = cfg.initrd.substr(start, end - start);
    start = end + 1;
    if (!item.empty()) out.push_back({"initrd", item.substr(0, item.find(' '))});
  }
  return out;
}

MachineConfig default_machine_config() {
  MachineConfig cfg;
  std::string error;
  cfg.cpu = *cpu_model_from_spec("core2duo", &error);
  return cfg;
}

std::optional<uint64_t> parse_memory_size(const std::string& text) {
  std::string t = text;
  if (t.rfind("size=", 0) == 0) t = t.substr(5);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long long v = std::strtoull(t.c_str(), &end, 10);
  uint64_t mult = 1ull << 20;  // QEMU: plain numbers are MiB
  std::string suffix(end);
  if (suffix == "" || suffix == "M" || suffix == "m" || suffix == "MB")
    mult = 1ull << 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GB")
    mult = 1ull << 30;
  else if (suffix == "K" || suffix == "k")
    mult = 1ull << 10;
  else
    return std::nullopt;
  if (v == 0) return std::nullopt;
  return uint64_t(v) * mult;
}

static bool parse_number(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtoull(s.c_str(), &end, 0);
  return *end == 0;
}

static bool parse_device(const std::string& spec, MachineConfig* cfg, std::string* error) {
  std::vector<std::string> parts = split(spec, ',');
  if (parts[0] == "isa-debug-exit") {
    DebugExitConfig d;
    for (size_t i = 1; i < parts.size(); i++) {
      size_t eq = parts[i].find('=');
      std::string key = parts[i].substr(0, eq);
      std::string value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
      uint64_t n;
      if ((key != "iobase" && key != "iosize") || !parse_number(value, &n) || n > 0xffff) {
        *error = "bad isa-debug-exit option '" + parts[i] + "' (expected iobase=N,iosize=N)";
        return false;
      }
      if (key == "iobase") d.iobase = uint16_t(n);
      else d.iosize = uint16_t(n);
    }
    cfg->debug_exits.push_back(d);
    return true;
  }
  *error = "unknown device '" + parts[0] + "' in -device " + spec + " (known: isa-debug-exit)";
  return false;
}

bool parse_machine_flag(const std::vector<std::string>& args, size_t* index, MachineConfig* cfg,
                        std::string* error) {
  const std::string& flag = args[*index];
  auto value = [&](std::string* out) {
    if (*index + 1 >= args.size()) {
      *error = "flag " + flag + " needs a value";
      return false;
    }
    *out = args[++*index];
    return true;
  };
  std::string v;
  if (flag == "-kernel") {
    if (!value(&cfg->kernel)) return false;
  } else if (flag == "-initrd") {
    if (!value(&cfg->initrd)) return false;
  } else if (flag == "-append") {
    if (!value(&cfg->append)) return false;
  } else if (flag == "-m") {
    if (!value(&v)) return false;
    auto size = parse_memory_size(v);
    if (!size || *size < (2ull << 20) || *size > (64ull << 30)) {
      *error = "bad memory size '" + v + "' for -m (e.g. 128M, 2G; 2 MiB to 64 GiB)";
      return false;
    }
    cfg->ram_size = *size;
  } else if (flag == "-cpu") {
    if (!value(&v)) return false;
    auto model = cpu_model_from_spec(v, error);
    if (!model) return false;
    cfg->cpu = *model;
  } else if (flag == "-serial") {
    if (!value(&v)) return false;
    if (v != "stdio" && v != "null" && v != "none" && v.rfind("file:", 0) != 0) {
      *error = "unsupported -serial '" + v + "' (stdio, file:PATH, null, none)";
      return false;
    }
    cfg->serial = v;
  } else if (flag == "-device") {
    if (!value(&v)) return false;
    if (!parse_device(v, cfg, error)) return false;
  } else if (flag == "-machine" || flag == "-M") {
    if (!value(&v)) return false;
    std::string type = v.substr(0, v.find(','));
    if (type.rfind("type=", 0) == 0) type = type.substr(5);
    if (type != "q35" && type != "pc-q35") {
      *error = "unsupported machine '" + v + "' (rewind provides q35)";
      return false;
    }
    cfg->machine = "q35";
  } else if (flag == "-nographic" || flag == "-display" || flag == "-monitor") {
    // Accepted for QEMU command-line compatibility: rewind has no display and no monitor.
    if (flag != "-nographic") {
      if (!value(&v)) return false;
      if (v != "none" && !(flag == "-monitor" && v == "none")) {
        *error = "unsupported " + flag + " '" + v + "' (only 'none')";
        return false;
      }
    }
  } else if (flag == "-smbios") {
    if (!value(&v)) return false;
    SmbiosConfig check;
    if (!parse_smbios_option(v, &check, error)) return false;
    cfg->smbios.push_back(v);
  } else if (flag == "-no-reboot") {
    cfg->no_reboot = true;
  } else if (flag == "-accel" || flag == "-enable-kvm") {
    *error = "flag " + flag + " does not apply: rewind is its own deterministic CPU";
    return false;
  } else {
    *error = "unknown flag '" + flag + "'";
    return false;
  }
  ++*index;
  return true;
}

}  // namespace rwd

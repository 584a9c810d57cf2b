// SPDX-License-Identifier: MIT
// QEMU's `-smbios type=N,key=value,...` option, applied to an SmbiosConfig. Key names are
// QEMU's (hw/smbios/smbios.c, qemu_smbios_typeN_opts) so existing command lines — like the
// seed's bare `-smbios type=2` — carry over.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "devices/acpi/smbios.h"

namespace rwd {
namespace {

// Splits "a=1,b=x,,y" into {{"a","1"},{"b","x,y"}}: ",," is a literal comma, as in QEMU's
// option syntax.
bool split_options(const std::string& spec, std::vector<std::pair<std::string, std::string>>* out,
                   std::string* error) {
  std::vector<std::string> items(1);
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == ',') {
      if (i + 1 < spec.size() && spec[i + 1] == ',') {
        items.back() += ',';
        ++i;
      } else {
        items.emplace_back();
      }
    } else {
      items.back() += spec[i];
    }
  }
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (item.empty() || eq == std::string::npos || eq == 0) {
      *error = "smbios: expected key=value, got '" + item + "'";
      return false;
    }
    out->emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return true;
}

bool parse_unsigned(const std::string& text, unsigned long max, unsigned long* value) {
  if (text.empty() || text.size() > 10) return false;
  unsigned long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  if (v > max) return false;
  *value = v;
  return true;
}

bool parse_bool(const std::string& text, bool* value) {
  if (text == "on" || text == "yes" || text == "true") return *value = true, true;
  if (text == "off" || text == "no" || text == "false") return *value = false, true;
  return false;
}

// The string-valued keys of each type, and where they go.
using StringKeys = std::map<std::string, std::string SmbiosConfig::*>;

const std::map<unsigned, StringKeys>& string_keys() {
  using C = SmbiosConfig;
  static const std::map<unsigned, StringKeys> keys = {
      {0, {{"vendor", &C::bios_vendor}, {"version", &C::bios_version}, {"date", &C::bios_date}}},
      {1,
       {{"manufacturer", &C::system_manufacturer},
        {"product", &C::system_product},
        {"version", &C::system_version},
        {"serial", &C::system_serial},
        {"sku", &C::system_sku},
        {"family", &C::system_family}}},
      {2,
       {{"manufacturer", &C::board_manufacturer},
        {"product", &C::board_product},
        {"version", &C::board_version},
        {"serial", &C::board_serial},
        {"asset", &C::board_asset},
        {"location", &C::board_location}}},
      {3,
       {{"manufacturer", &C::chassis_manufacturer},
        {"version", &C::chassis_version},
        {"serial", &C::chassis_serial},
        {"asset", &C::chassis_asset},
        {"sku", &C::chassis_sku}}},
      {4,
       {{"sock_pfx", &C::socket_prefix},
        {"manufacturer", &C::processor_manufacturer},
        {"version", &C::processor_version},
        {"serial", &C::processor_serial},
        {"asset", &C::processor_asset},
        {"part", &C::processor_part}}},
      {17,
       {{"loc_pfx", &C::memory_locator_prefix},
        {"bank", &C::memory_bank},
        {"manufacturer", &C::memory_manufacturer},
        {"serial", &C::memory_serial},
        {"asset", &C::memory_asset},
        {"part", &C::memory_part}}},
  };
  return keys;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool parse_uuid(const std::string& text, std::array<uint8_t, 16>* uuid) {
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    bool hyphen_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (text[i] == '-' && hyphen_position && text.size() == 36) continue;
    if (hex_digit(text[i]) < 0) return false;
    digits += text[i];
  }
  if (digits.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    (*uuid)[i] = uint8_t(hex_digit(digits[2 * i]) << 4 | hex_digit(digits[2 * i + 1]));
  }
  return true;
}

bool parse_smbios_option(const std::string& spec, SmbiosConfig* config, std::string* error) {
  std::vector<std::pair<std::string, std::string>> options;
  if (!split_options(spec, &options, error)) return false;
  unsigned long type = ~0ul;
  for (const auto& [key, value] : options) {
    if (key == "file") {
      *error = "smbios: file= (binary SMBIOS blobs) is not supported";
      return false;
    }
    if (key == "type" && !parse_unsigned(value, 255, &type)) {
      *error = "smbios: bad type '" + value + "'";
      return false;
    }
  }
  if (type == ~0ul) {
    *error = "smbios: missing type= in '" + spec + "'";
    return false;
  }
  const auto& all = string_keys();
  auto keys = all.find(unsigned(type));
  if (keys == all.end()) {
    *error =
        "smbios: type=" + std::to_string(type) + " is not supported (supported: 0, 1, 2, 3, 4, 17)";
    return false;
  }

  SmbiosConfig updated = *config;  // applied only when every key is valid
  std::string prefix = "smbios type=" + std::to_string(type) + ": ";
  std::vector<std::string> unknown;
  for (const auto& [key, value] : options) {
    if (key == "type") continue;
    if (auto it = keys->second.find(key); it != keys->second.end()) {
      updated.*(it->second) = value;
    } else if (type == 0 && key == "release") {
      // "major.minor", e.g. release=2.6 → System BIOS Major Release 2, Minor Release 6.
      size_t dot = value.find('.');
      unsigned long major = 0, minor = 0;
      if (dot == std::string::npos || !parse_unsigned(value.substr(0, dot), 255, &major) ||
          !parse_unsigned(value.substr(dot + 1), 255, &minor)) {
        *error = prefix + "release must be major.minor (0-255 each), got '" + value + "'";
        return false;
      }
      updated.bios_release_major = uint8_t(major);
      updated.bios_release_minor = uint8_t(minor);
    } else if (type == 0 && key == "uefi") {
      if (!parse_bool(value, &updated.bios_uefi)) {
        *error = prefix + "uefi must be on or off, got '" + value + "'";
        return false;
      }
    } else if (type == 1 && key == "uuid") {
      if (!parse_uuid(value, &updated.uuid)) {
        *error = prefix + "bad uuid '" + value + "'";
        return false;
      }
    } else if (type == 17 && key == "speed") {
      unsigned long speed = 0;
      if (!parse_unsigned(value, 0xffff, &speed)) {
        *error = prefix + "bad speed '" + value + "'";
        return false;
      }
      updated.memory_speed_mts = uint16_t(speed);
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    *error = prefix + "unknown key" + (unknown.size() > 1 ? "s" : "");
    for (size_t i = 0; i < unknown.size(); ++i) *error += (i ? ", '" : " '") + unknown[i] + "'";
    return false;
  }
  if (type == 2) updated.baseboard_present = true;  // `-smbios type=2` alone asks for it
  *config = std::move(updated);
  return true;
}

}  // namespace rwd

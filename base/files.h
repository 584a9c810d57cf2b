// SPDX-License-Identifier: MIT
// Small host-side helpers shared by the CLI, loaders and the recording code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rwd {

// Reads a whole file. False when it cannot be opened.
bool read_file_bytes(const std::string& path, std::vector<uint8_t>* out);
// "a,b,,c" → {"a", "b", "", "c"}; "" → {""} (QEMU option strings).
std::vector<std::string> split(const std::string& text, char separator);

}  // namespace rwd

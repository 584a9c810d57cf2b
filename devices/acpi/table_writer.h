// SPDX-License-Identifier: MIT
// Little-endian byte appender for ACPI tables (internal to devices/acpi/): writes the 36-byte
// System Description Table Header (ACPI 6.4 §5.2.6) and fixes up Length and Checksum when the
// table is finished.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "devices/acpi/tables.h"

namespace rwd::acpi_internal {

// Generic Address Structure (§5.2.3.2) address space IDs and access sizes.
inline constexpr uint8_t kGasSystemMemory = 0, kGasSystemIo = 1;
inline constexpr uint8_t kGasAccessUndefined = 0, kGasAccessByte = 1;

class TableWriter {
 public:
  // Starts a table with a header; Length and Checksum are filled in by finish().
  TableWriter(std::string_view signature, uint8_t revision) {
    REWIND_CHECK(signature.size() == 4);
    text(signature, 4);
    u32(0);  // Length
    u8(revision);
    u8(0);  // Checksum
    text(kAcpiOemId, 6);
    text(kAcpiOemTableId, 8);
    u32(1);  // OEM Revision
    text(kAcpiCreatorId, 4);
    u32(1);  // Creator Revision
  }

  void u8(uint8_t v) { bytes_.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void zeros(size_t n) { bytes_.insert(bytes_.end(), n, 0); }
  void append(const std::vector<uint8_t>& b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  // A fixed-width text field, padded with spaces as ACPI OEM IDs are.
  void text(std::string_view s, size_t width) {
    REWIND_CHECK(s.size() <= width);
    for (size_t i = 0; i < width; ++i) bytes_.push_back(uint8_t(i < s.size() ? s[i] : ' '));
  }
  // Generic Address Structure, 12 bytes.
  void gas(uint8_t space, uint8_t bit_width, uint8_t bit_offset, uint8_t access_size,
           uint64_t address) {
    u8(space);
    u8(bit_width);
    u8(bit_offset);
    u8(access_size);
    u64(address);
  }
  size_t size() const { return bytes_.size(); }

  std::vector<uint8_t> finish() {
    uint32_t length = uint32_t(bytes_.size());
    for (int i = 0; i < 4; ++i) bytes_[4 + i] = uint8_t(length >> (8 * i));
    bytes_[9] = 0;
    bytes_[9] = acpi_checksum(bytes_.data(), bytes_.size());
    return std::move(bytes_);
  }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(uint8_t(v >> (8 * i)));
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace rwd::acpi_internal

// SPDX-License-Identifier: MIT
// SMBIOS 2.8 structure table and 32-bit entry point. Offsets in comments are DSP0134 2.8.0's
// (§6.2 structure header, §7.x per type, §5.2.1 entry point). Values mirror QEMU's
// hw/smbios/smbios.c so guests see what they see under QEMU.
#include "devices/acpi/smbios.h"

#include <algorithm>
#include <cstdio>

#include "base/check.h"

namespace rwd {
namespace {

// One structure: the formatted area (header included) followed by its string set.
class Structure {
 public:
  Structure(uint8_t type, uint16_t handle) {
    u8(type);
    u8(0);  // Length, set in finish()
    u16(handle);
  }
  void u8(uint8_t v) { formatted_.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  // A string field: its 1-based index in the string set, or 0 for an empty (absent) string.
  void str(const std::string& s) {
    if (s.empty()) return u8(0);
    strings_.push_back(s);
    u8(uint8_t(strings_.size()));
  }
  size_t formatted_size() const { return formatted_.size(); }

  // Appends the structure to `out`; returns its total size (formatted area + strings).
  size_t finish(std::vector<uint8_t>& out) {
    REWIND_CHECK(formatted_.size() <= 255 && strings_.size() <= 255);
    formatted_[1] = uint8_t(formatted_.size());
    size_t start = out.size();
    out.insert(out.end(), formatted_.begin(), formatted_.end());
    for (const std::string& s : strings_) {
      out.insert(out.end(), s.begin(), s.end());
      out.push_back(0);
    }
    // The string set ends with a double NUL: one after the last string, or two when empty.
    out.push_back(0);
    if (strings_.empty()) out.push_back(0);
    return out.size() - start;
  }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) formatted_.push_back(uint8_t(v >> (8 * i)));
  }
  std::vector<uint8_t> formatted_;
  std::vector<std::string> strings_;
};

// QEMU's handles: type × 0x100, plus the instance number for repeated types.
constexpr uint16_t kHandleChassis = 0x300, kHandleMemoryArray = 0x1000;
constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
constexpr uint64_t kMaxDimm = 16 * kGiB;  // QEMU splits RAM into DIMMs of at most 16 GiB

class TableBuilder {
 public:
  void add(Structure& s) {
    max_size_ = std::max(max_size_, s.finish(table_));
    ++count_;
  }
  std::vector<uint8_t> table_;
  size_t max_size_ = 0;
  unsigned count_ = 0;
};

void bios(const SmbiosConfig& c, TableBuilder& b) {  // §7.1, 2.4+ layout, 0x18 bytes
  Structure s(0, 0x000);
  s.str(c.bios_vendor);
  s.str(c.bios_version);
  s.u16(0xe800);  // BIOS Starting Address Segment (SeaBIOS's, via QEMU)
  s.str(c.bios_date);
  s.u8(0);      // BIOS ROM Size: 64 KiB × (n + 1); QEMU hardcodes 0
  s.u64(0x08);  // BIOS Characteristics: bit 3, "BIOS Characteristics are not supported"
  s.u8(0);      // Extension Byte 1
  s.u8(uint8_t(0x14 | (c.bios_uefi ? 0x08 : 0)));  // Byte 2: targeted content distribution, VM
  s.u8(c.bios_release_major);
  s.u8(c.bios_release_minor);
  s.u8(0xff);  // Embedded Controller Firmware Major Release: none
  s.u8(0xff);
  REWIND_CHECK(s.formatted_size() == 0x18);
  b.add(s);
}

void system(const SmbiosConfig& c, TableBuilder& b) {  // §7.2, 0x1B bytes
  Structure s(1, 0x100);
  s.str(c.system_manufacturer);
  s.str(c.system_product);
  s.str(c.system_version);
  s.str(c.system_serial);
  // UUID (§7.2.1): time_low, time_mid and time_hi_and_version little-endian since 2.6.
  const auto& u = c.uuid;
  for (int i : {3, 2, 1, 0, 5, 4, 7, 6}) s.u8(u[i]);
  for (int i = 8; i < 16; ++i) s.u8(u[i]);
  s.u8(0x06);  // Wake-up Type: Power Switch
  s.str(c.system_sku);
  s.str(c.system_family);
  REWIND_CHECK(s.formatted_size() == 0x1b);
  b.add(s);
}

void baseboard(const SmbiosConfig& c, TableBuilder& b) {  // §7.3, 0x0F bytes (no elements)
  Structure s(2, 0x200);
  s.str(c.board_manufacturer);
  s.str(c.board_product);
  s.str(c.board_version);
  s.str(c.board_serial);
  s.str(c.board_asset);
  s.u8(0x01);  // Feature Flags: hosting board (motherboard)
  s.str(c.board_location);
  s.u16(kHandleChassis);
  s.u8(0x0a);  // Board Type: Motherboard
  s.u8(0);     // Number of Contained Object Handles
  REWIND_CHECK(s.formatted_size() == 0x0f);
  b.add(s);
}

void chassis(const SmbiosConfig& c, TableBuilder& b) {  // §7.4, 0x16 bytes (no elements)
  Structure s(3, kHandleChassis);
  s.str(c.chassis_manufacturer);
  s.u8(0x01);  // Type: Other
  s.str(c.chassis_version);
  s.str(c.chassis_serial);
  s.str(c.chassis_asset);
  s.u8(0x03);  // Boot-up State: Safe
  s.u8(0x03);  // Power Supply State: Safe
  s.u8(0x03);  // Thermal State: Safe
  s.u8(0x02);  // Security Status: Unknown
  s.u32(0);    // OEM-defined
  s.u8(0);     // Height: unspecified
  s.u8(0);     // Number of Power Cords: unspecified
  s.u8(0);     // Contained Element Count
  s.u8(0);     // Contained Element Record Length
  s.str(c.chassis_sku);
  REWIND_CHECK(s.formatted_size() == 0x16);
  b.add(s);
}

void processor(const SmbiosConfig& c, unsigned socket, TableBuilder& b) {  // §7.5, 0x2A bytes
  Structure s(4, uint16_t(0x400 + socket));
  char designation[160];
  std::snprintf(designation, sizeof designation, "%s%2x", c.socket_prefix.c_str(), socket);
  s.str(designation);
  s.u8(0x03);  // Processor Type: Central Processor
  s.u8(c.processor_family);
  s.str(c.processor_manufacturer);
  s.u32(c.cpuid_signature);  // Processor ID (§7.5.3): CPUID.1 EAX, then EDX
  s.u32(c.cpuid_features);
  s.str(c.processor_version);
  s.u8(0);                       // Voltage: unknown (QEMU)
  s.u16(0);                      // External Clock: unknown
  s.u16(c.processor_speed_mhz);  // Max Speed
  s.u16(c.processor_speed_mhz);  // Current Speed
  s.u8(0x41);                    // Status: socket populated, CPU enabled
  s.u8(0x01);                    // Processor Upgrade: Other
  s.u16(0xffff);                 // L1, L2, L3 Cache Handles: not provided
  s.u16(0xffff);
  s.u16(0xffff);
  s.str(c.processor_serial);
  s.str(c.processor_asset);
  s.str(c.processor_part);
  s.u8(uint8_t(std::min(c.cores_per_socket, 255u)));                       // Core Count
  s.u8(uint8_t(std::min(c.cores_per_socket, 255u)));                       // Core Enabled
  s.u8(uint8_t(std::min(c.cores_per_socket * c.threads_per_core, 255u)));  // Thread Count
  s.u16(0x02);                // Processor Characteristics: Unknown
  s.u16(c.processor_family);  // Processor Family 2
  REWIND_CHECK(s.formatted_size() == 0x2a);
  b.add(s);
}

void memory_array(const SmbiosConfig& c, unsigned dimms, TableBuilder& b) {  // §7.17, 0x17
  Structure s(16, kHandleMemoryArray);
  s.u8(0x01);  // Location: Other
  s.u8(0x03);  // Use: System memory
  s.u8(0x06);  // Error Correction: Multi-bit ECC (SeaBIOS's, for Windows)
  uint64_t size_kb = (c.ram_size + kKiB - 1) / kKiB;
  bool extended = size_kb >= 0x80000000;              // 2 TiB in KiB
  s.u32(extended ? 0x80000000u : uint32_t(size_kb));  // Maximum Capacity
  s.u16(0xfffe);  // Memory Error Information Handle: not provided
  s.u16(uint16_t(dimms));
  s.u64(extended ? c.ram_size : 0);  // Extended Maximum Capacity, bytes
  REWIND_CHECK(s.formatted_size() == 0x17);
  b.add(s);
}

void memory_device(const SmbiosConfig& c, unsigned index, uint64_t size,
                   TableBuilder& b) {  // §7.18, 2.8 layout, 0x28 bytes
  Structure s(17, uint16_t(0x1100 + index));
  s.u16(kHandleMemoryArray);
  s.u16(0xfffe);  // Memory Error Information Handle: not provided
  s.u16(0xffff);  // Total Width: unknown
  s.u16(0xffff);  // Data Width: unknown
  uint64_t size_mb = (size + kMiB - 1) / kMiB;
  bool extended = size_mb >= 0x7fff;             // 32 GiB - 1 MiB: use Extended Size
  s.u16(extended ? 0x7fff : uint16_t(size_mb));  // Size in MiB (bit 15 = 0: MiB units)
  s.u8(0x09);                                    // Form Factor: DIMM
  s.u8(0);                                       // Device Set: none
  s.str(c.memory_locator_prefix + " " + std::to_string(index));
  s.str(c.memory_bank);
  s.u8(0x07);   // Memory Type: RAM
  s.u16(0x02);  // Type Detail: Other
  s.u16(c.memory_speed_mts);
  s.str(c.memory_manufacturer);
  s.str(c.memory_serial);
  s.str(c.memory_asset);
  s.str(c.memory_part);
  s.u8(0);                                  // Attributes: unknown rank
  s.u32(extended ? uint32_t(size_mb) : 0);  // Extended Size, MiB
  s.u16(c.memory_speed_mts);                // Configured Memory Clock Speed
  s.u16(0);                                 // Minimum, Maximum, Configured Voltage: unknown
  s.u16(0);
  s.u16(0);
  REWIND_CHECK(s.formatted_size() == 0x28);
  b.add(s);
}

void mapped_range(unsigned index, uint64_t start, uint64_t length,
                  TableBuilder& b) {  // §7.20, 0x1F bytes
  Structure s(19, uint16_t(0x1300 + index));
  uint64_t end = start + length - 1;
  uint64_t start_kb = start / kKiB, end_kb = end / kKiB;
  bool extended = start_kb >= 0xffffffff || end_kb >= 0xffffffff;
  s.u32(extended ? 0xffffffffu : uint32_t(start_kb));  // Starting Address, KiB
  s.u32(extended ? 0xffffffffu : uint32_t(end_kb));    // Ending Address, KiB (inclusive)
  s.u16(kHandleMemoryArray);
  s.u8(1);                      // Partition Width: one device per row
  s.u64(extended ? start : 0);  // Extended Starting Address, bytes
  s.u64(extended ? end : 0);    // Extended Ending Address, bytes
  REWIND_CHECK(s.formatted_size() == 0x1f);
  b.add(s);
}

}  // namespace

SmbiosTables build_smbios_tables(const SmbiosConfig& c, uint32_t table_address) {
  TableBuilder b;
  bios(c, b);
  system(c, b);
  if (c.baseboard_present) baseboard(c, b);
  chassis(c, b);
  unsigned per_socket = std::max(1u, c.cores_per_socket * c.threads_per_core);
  unsigned sockets = std::max(1u, (c.cpu_count + per_socket - 1) / per_socket);
  for (unsigned i = 0; i < sockets; ++i) processor(c, i, b);
  REWIND_CHECK_MSG(c.ram_size > 0, "SMBIOS needs the RAM size");
  unsigned dimms = unsigned((c.ram_size + kMaxDimm - 1) / kMaxDimm);
  memory_array(c, dimms, b);
  for (unsigned i = 0; i < dimms; ++i) {
    uint64_t size = i + 1 < dimms ? kMaxDimm : (c.ram_size - 1) % kMaxDimm + 1;
    memory_device(c, i, size, b);
  }
  unsigned index = 0;
  for (const SmbiosConfig::MemoryRange& r : c.memory_ranges) {
    if (r.length) mapped_range(index++, r.address, r.length, b);
  }
  Structure boot(32, 0x2000);  // §7.33: 6 reserved bytes, then Boot Status: no errors
  for (int i = 0; i < 7; ++i) boot.u8(0);
  b.add(boot);
  Structure end(127, 0x7f00);  // §7.45
  b.add(end);
  REWIND_CHECK(b.table_.size() <= 0xffff);
  REWIND_CHECK(uint64_t(table_address) + b.table_.size() <= (1ull << 32));

  SmbiosTables out;
  out.structure_count = b.count_;
  out.max_structure_size = unsigned(b.max_size_);
  out.table = std::move(b.table_);
  // 32-bit entry point (§5.2.1).
  std::vector<uint8_t>& e = out.entry_point;
  auto le = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) e.push_back(uint8_t(v >> (8 * i)));
  };
  for (char ch : std::string("_SM_")) e.push_back(uint8_t(ch));
  e.push_back(0);  // Entry Point Structure Checksum
  e.push_back(kSmbiosEntryPointLength);
  e.push_back(2);  // SMBIOS Major Version
  e.push_back(8);  // SMBIOS Minor Version
  le(out.max_structure_size, 2);
  e.push_back(0);  // Entry Point Revision: 2.1 format, formatted area reserved
  e.insert(e.end(), 5, 0);
  for (char ch : std::string("_DMI_")) e.push_back(uint8_t(ch));
  e.push_back(0);  // Intermediate Checksum
  le(out.table.size(), 2);
  le(table_address, 4);
  le(out.structure_count, 2);
  e.push_back(0x28);  // SMBIOS BCD Revision
  REWIND_CHECK(e.size() == kSmbiosEntryPointLength);
  auto checksum = [&](size_t from, size_t to) {
    uint8_t sum = 0;
    for (size_t i = from; i < to; ++i) sum = uint8_t(sum + e[i]);
    return uint8_t(-sum);
  };
  e[0x15] = checksum(0x10, kSmbiosEntryPointLength);  // over the intermediate part, first
  e[0x04] = checksum(0, kSmbiosEntryPointLength);     // then over everything, including it
  return out;
}

}  // namespace rwd

// SPDX-License-Identifier: MIT
// SMBIOS 2.8 tables (DMTF DSP0134 2.8.0), built once by the Machine at start as a pure function
// of an SmbiosConfig — deterministic: the same config gives the same bytes, and the UUID comes
// from the config (all zero by default), never from a random source.
//
//   SmbiosConfig smbios;                          // defaults, then -smbios options:
//   if (!parse_smbios_option("type=1,serial=42", &smbios, &error)) ... report error ...
//   smbios.ram_size = ...; smbios.memory_ranges = {{0, below_4g}, {4ull << 30, above_4g}};
//   SmbiosTables t = build_smbios_tables(smbios, /*table_address=*/0xf1000);
//   ram.write(0xf0000, t.entry_point);           // 16-byte aligned in 0xF0000-0xFFFFF
//   ram.write(0xf1000, t.table);
//
// The 32-bit ("_SM_") entry point is what guests of the OS X 10.8 era and Linux's dmi_scan
// look for, on 16-byte boundaries of 0xF0000-0xFFFFF. Its only pointer is to the structure
// table, so the entry point may go anywhere in that range; the table anywhere below 4 GiB.
//
// Structures (values mirror QEMU's hw/smbios/smbios.c, handles too): type 0 (BIOS), 1 (system),
// 2 (baseboard — present by default: Mac OS X 10.8 needs it, the seed's `-smbios type=2`),
// 3 (chassis), 4 (one per socket), 16 (memory array), 17 (one per ≤16 GiB DIMM), 19 (one per
// RAM range), 32 (boot information), 127 (end of table).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rwd {

struct SmbiosConfig {
  // Type 0. bios_release_major/minor: "System BIOS Major/Minor Release" (QEMU: 0/0 unless
  // `release=` is given).
  std::string bios_vendor = "rewind";
  std::string bios_version = "rewind";
  std::string bios_date = "01/01/2024";
  uint8_t bios_release_major = 0, bios_release_minor = 0;
  bool bios_uefi = false;  // characteristics extension byte 2 bit 3

  // Type 1. uuid: RFC 4122 byte order (as written "00112233-4455-..."); SMBIOS 2.6+ stores the
  // first three fields little-endian, which build_smbios_tables() does.
  std::string system_manufacturer = "rewind";
  std::string system_product = "rewind PC (Q35)";
  std::string system_version = "1.0";
  std::string system_serial, system_sku, system_family;
  std::array<uint8_t, 16> uuid{};

  // Type 2.
  bool baseboard_present = true;
  std::string board_manufacturer = "rewind";
  std::string board_product = "rewind PC (Q35)";
  std::string board_version = "1.0";
  std::string board_serial, board_asset, board_location;

  // Type 3.
  std::string chassis_manufacturer = "rewind";
  std::string chassis_version = "1.0";
  std::string chassis_serial, chassis_asset, chassis_sku;

  // Type 4: sockets = ceil(cpu_count / (cores × threads)). processor_id: CPUID leaf 1 EAX
  // (signature) and EDX (feature flags). processor_family: DSP0134 Table 23 (0x01 Other, as
  // QEMU; e.g. 0xBF for Intel Core 2 Duo).
  unsigned cpu_count = 1, cores_per_socket = 1, threads_per_core = 1;
  uint32_t cpuid_signature = 0, cpuid_features = 0;
  uint8_t processor_family = 0x01;
  std::string socket_prefix = "CPU";
  std::string processor_manufacturer = "GenuineIntel";
  std::string processor_version = "rewind CPU";
  std::string processor_serial, processor_asset, processor_part;
  uint16_t processor_speed_mhz = 2000;  // max and current (QEMU: SVVP wants them known)

  // Memory. ram_size: total bytes (types 16 and 17); memory_ranges: guest-physical RAM ranges
  // (type 19), e.g. below the PCI hole and above 4 GiB.
  struct MemoryRange {
    uint64_t address = 0, length = 0;
  };
  uint64_t ram_size = 0;
  std::vector<MemoryRange> memory_ranges;
  std::string memory_locator_prefix = "DIMM";
  std::string memory_manufacturer = "rewind";
  std::string memory_bank, memory_serial, memory_asset, memory_part;
  uint16_t memory_speed_mts = 0;  // 0 = unknown
};

struct SmbiosTables {
  std::vector<uint8_t> entry_point;  // 31 bytes, "_SM_"
  std::vector<uint8_t> table;        // the structure table, for `table_address`
  unsigned structure_count = 0;
  unsigned max_structure_size = 0;  // formatted area + strings of the largest structure
};

inline constexpr unsigned kSmbiosEntryPointLength = 0x1f;

SmbiosTables build_smbios_tables(const SmbiosConfig& config, uint32_t table_address);

// Applies one QEMU `-smbios` option, e.g. "type=1,manufacturer=Apple Inc.,product=iMac12,2".
// Keys as QEMU: type 0: vendor, version, date, release (major.minor), uefi (on/off);
// type 1: manufacturer, product, version, serial, uuid, sku, family;
// type 2: manufacturer, product, version, serial, asset, location;
// type 3: manufacturer, version, serial, asset, sku;
// type 4: sock_pfx, manufacturer, version, serial, asset, part;
// type 17: loc_pfx, bank, manufacturer, serial, asset, part, speed.
// ",," inside a value is a literal comma (QEMU's option syntax). `file=` blobs are not
// supported. On failure returns false, sets *error (naming the offending type or keys) and
// leaves *config unchanged.
bool parse_smbios_option(const std::string& spec, SmbiosConfig* config, std::string* error);

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hyphens optional, as QEMU) into RFC 4122 order.
bool parse_uuid(const std::string& text, std::array<uint8_t, 16>* uuid);

}  // namespace rwd

// SPDX-License-Identifier: MIT
// The ACPI tables of rewind's Q35-style PC (ACPI 6.4 §5.2), built once by the Machine at start
// as a pure function of an AcpiConfig and copied into guest RAM:
//
//   AcpiConfig acpi{.tables_address = 0x7ffe0000, .cpu_count = 2, ...};
//   acpi.hpet_capabilities_low = uint32_t(hpet.mmio_read(0, 4));
//   AcpiTables t = build_acpi_tables(acpi);
//   ram.write(acpi.tables_address, t.blob);          // reserved in the E820 map (type 3, ACPI)
//   ram.write(0xf0000 + ..., t.rsdp);                 // 16-byte aligned, 0xE0000-0xFFFFF
//
// Blob layout (offsets from tables_address, which must be 64-byte aligned and the whole blob
// below 4 GiB because the RSDT and FADT hold 32-bit pointers): FACS (64 bytes, offset 0, so it
// is 64-byte aligned as §5.2.10 requires), DSDT, FADT, MADT, HPET, MCFG, RSDT, XSDT, each
// 16-byte aligned. The RSDP (revision 2, 36 bytes) points at both RSDT and XSDT; it holds no
// pointer to itself, so it may go anywhere the guest scans: Linux and bootloaders search the
// 16-byte boundaries of 0xE0000-0xFFFFF (and the first KiB of the EBDA).
//
// Tables: RSDP, RSDT, XSDT, FADT (revision 5, ACPI 5.0 layout, 268 bytes — has the X_ generic
// addresses Linux prefers, and ACPI 5.0 (2011) predates Mac OS X 10.8, so that era's parsers
// know every field; not yet tried with OS X), FACS, DSDT
// (hand-built AML, see dsdt.cc), MADT (revision 3), HPET, MCFG. No SSDT, SRAT, SLIT or DMAR.
// All headers carry OEM ID "REWIND", OEM table ID "REWINDPC", creator ID "RWND".
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace rwd {

struct AcpiConfig {
  // Guest-physical address of the table blob: 64-byte aligned, blob entirely below 4 GiB, in
  // RAM the E820 map reports as ACPI reclaimable (type 3).
  uint64_t tables_address = 0;
  unsigned cpu_count = 1;  // MADT Local APIC entries (APIC ID = processor UID = index), ≤ 255

  uint32_t lapic_address = 0xfee00000;
  uint32_t ioapic_address = 0xfec00000;
  // QEMU uses IOAPIC ID 0 too: with xAPIC delivery over the system bus it may equal an APIC ID.
  uint8_t ioapic_id = 0;

  uint32_t hpet_address = 0xfed00000;
  // The HPET's General Capabilities and ID register, low dword (IA-PC HPET §2.3.4): the HPET
  // ACPI table's Event Timer Block ID is this value verbatim.
  uint32_t hpet_capabilities_low = 0;

  uint64_t ecam_base = 0xb0000000;  // PCI Express MMCONFIG, 1 MiB per bus
  uint8_t ecam_end_bus = 255;

  // ACPI PM I/O block (ICH9 PMBASE layout): PM1a_EVT_BLK at +0 (4 bytes), PM1a_CNT_BLK at +4
  // (2 bytes), PM_TMR_BLK at +8 (4 bytes), GPE0_BLK at +0x20 (16 bytes).
  uint16_t pm_base = 0x600;
  uint8_t sci_irq = 9;
  uint8_t slp_typ_s5 = 0;       // SLP_TYP value the PM1a_CNT device treats as soft-off (\_S5)
  bool pm_timer_32bit = false;  // FADT TMR_VAL_EXT: 24-bit (false) or 32-bit PM timer

  // FADT RESET_REG (system I/O) and RESET_VALUE: ICH9's Reset Control Register.
  uint16_t reset_port = 0xcf9;
  uint8_t reset_value = 0x06;

  // PCI INTx routing for _PRT: slot 0-31 and pin 0-3 (INTA-INTD) to PIRQ 0-7, delivered at
  // IOAPIC GSI 16 + PIRQ. Empty: the conventional swizzle (slot + pin) % 4, i.e. PIRQA-D.
  std::function<unsigned(unsigned slot, unsigned pin)> pirq_for;

  // PCI host bridge windows for \_SB.PCI0._CRS (inclusive ends). The 64-bit window is omitted
  // when end <= start.
  uint64_t pci_mmio32_start = 0xc0000000, pci_mmio32_end = 0xfebfffff;
  uint64_t pci_mmio64_start = 0, pci_mmio64_end = 0;

  // Apple SMC (APP0001) at \_SB.PCI0.LPC.SMC, for Mac OS X guests.
  bool smc_present = false;
  uint16_t smc_port = 0x300;
};

struct AcpiTables {
  std::vector<uint8_t> rsdp;  // 36 bytes; the Machine places it (see above)
  std::vector<uint8_t> blob;  // to be copied to AcpiConfig::tables_address
  // Guest-physical addresses of each table inside the blob (for logs and tests).
  uint64_t facs_address = 0, dsdt_address = 0, fadt_address = 0, madt_address = 0, hpet_address = 0,
           mcfg_address = 0, rsdt_address = 0, xsdt_address = 0;
};

// Guest-visible constants of these tables.
inline constexpr char kAcpiOemId[] = "REWIND";           // 6 bytes
inline constexpr char kAcpiOemTableId[] = "REWINDPC";    // 8 bytes
inline constexpr char kAcpiCreatorId[] = "RWND";         // 4 bytes
inline constexpr unsigned kAcpiPciGsiBase = 16;          // _PRT: GSI = 16 + PIRQ
inline constexpr uint32_t kAcpiLpcAddress = 0x001f0000;  // _ADR of \_SB.PCI0.LPC (00:1f.0)

AcpiTables build_acpi_tables(const AcpiConfig& config);

// The DSDT alone (header + AML), as it appears in the blob.
std::vector<uint8_t> build_dsdt(const AcpiConfig& config);

// The 8-bit sum that makes `bytes` add up to 0 (mod 256).
uint8_t acpi_checksum(const uint8_t* bytes, size_t length);

}  // namespace rwd

// SPDX-License-Identifier: MIT
// RSDP, RSDT, XSDT, FADT, FACS, MADT, HPET and MCFG (ACPI 6.4 §5.2; HPET: IA-PC HPET 1.0a §3.2.4;
// MCFG: PCI Firmware 3.2 §4.1.2). The values follow QEMU's Q35 tables (hw/i386/acpi-build.c)
// unless a comment says why not. The DSDT is in dsdt.cc.
#include "devices/acpi/tables.h"

#include "base/check.h"
#include "devices/acpi/table_writer.h"

namespace rwd {

using acpi_internal::kGasAccessByte;
using acpi_internal::kGasAccessUndefined;
using acpi_internal::kGasSystemIo;
using acpi_internal::kGasSystemMemory;
using acpi_internal::TableWriter;

uint8_t acpi_checksum(const uint8_t* bytes, size_t length) {
  uint8_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum = uint8_t(sum + bytes[i]);
  return uint8_t(-sum);
}

namespace {

// FADT Fixed Feature Flags (§5.2.9 Table 5.10).
constexpr uint32_t kFadtWbinvd = 1u << 0, kFadtProcC1 = 1u << 2, kFadtSlpButton = 1u << 5,
                   kFadtRtcS4 = 1u << 7, kFadtTmrValExt = 1u << 8, kFadtResetRegSup = 1u << 10,
                   kFadtUsePlatformClock = 1u << 15;
// IA-PC Boot Architecture Flags (§5.2.9.3): LEGACY_DEVICES (RTC, serial etc. on an LPC bus,
// so Linux probes them) and 8042 (a PS/2 controller at 0x60/0x64).
constexpr uint16_t kBootArchLegacyDevices = 1u << 0, kBootArch8042 = 1u << 1;
constexpr uint8_t kRtcCenturyRegister = 0x32;
// PM block lengths (ICH9 PMBASE layout).
constexpr uint8_t kPm1EvtLength = 4, kPm1CntLength = 2, kPmTmrLength = 4, kGpe0Length = 16;
constexpr uint16_t kPm1CntOffset = 4, kPmTmrOffset = 8, kGpe0Offset = 0x20;

std::vector<uint8_t> build_facs() {
  // The FACS has a signature and length but no standard header and no checksum (§5.2.10).
  std::vector<uint8_t> t(64, 0);
  t[0] = 'F', t[1] = 'A', t[2] = 'C', t[3] = 'S';
  t[4] = 64;  // Length
  t[32] = 2;  // Version (ACPI 4.0 and later); hardware signature, waking vectors, lock: 0
  return t;
}

std::vector<uint8_t> build_fadt(const AcpiConfig& c, uint64_t facs, uint64_t dsdt) {
  TableWriter w("FACP", 5);  // revision 5: ACPI 5.0 layout, 268 bytes
  w.u32(uint32_t(facs));     // FIRMWARE_CTRL; X_FIRMWARE_CTRL stays 0, as §5.2.9 requires then
  w.u32(uint32_t(dsdt));     // DSDT
  w.u8(0);                   // reserved (INT_MODEL in ACPI 1.0)
  w.u8(1);                   // Preferred_PM_Profile: Desktop
  w.u16(c.sci_irq);          // SCI_INT
  // SMI_CMD = 0 with ACPI_ENABLE/ACPI_DISABLE = 0: the platform is always in ACPI mode, so the
  // PM1a_CNT device must read SCI_EN = 1 from reset.
  w.u32(0);
  w.u8(0);  // ACPI_ENABLE
  w.u8(0);  // ACPI_DISABLE
  w.u8(0);  // S4BIOS_REQ
  w.u8(0);  // PSTATE_CNT
  const uint32_t pm1a_evt = c.pm_base, pm1a_cnt = c.pm_base + kPm1CntOffset,
                 pm_tmr = c.pm_base + kPmTmrOffset, gpe0 = c.pm_base + kGpe0Offset;
  w.u32(pm1a_evt);  // PM1a_EVT_BLK
  w.u32(0);         // PM1b_EVT_BLK
  w.u32(pm1a_cnt);  // PM1a_CNT_BLK
  w.u32(0);         // PM1b_CNT_BLK
  w.u32(0);         // PM2_CNT_BLK
  w.u32(pm_tmr);    // PM_TMR_BLK
  w.u32(gpe0);      // GPE0_BLK
  w.u32(0);         // GPE1_BLK
  w.u8(kPm1EvtLength);
  w.u8(kPm1CntLength);
  w.u8(0);  // PM2_CNT_LEN
  w.u8(kPmTmrLength);
  w.u8(kGpe0Length);
  w.u8(0);                    // GPE1_BLK_LEN
  w.u8(0);                    // GPE1_BASE
  w.u8(0);                    // CST_CNT
  w.u16(0x0fff);              // P_LVL2_LAT > 100: C2 not supported (QEMU's value)
  w.u16(0x0fff);              // P_LVL3_LAT > 1000: C3 not supported
  w.u16(0);                   // FLUSH_SIZE
  w.u16(0);                   // FLUSH_STRIDE
  w.u8(0);                    // DUTY_OFFSET
  w.u8(0);                    // DUTY_WIDTH
  w.u8(0);                    // DAY_ALRM: no day-of-month alarm register
  w.u8(0);                    // MON_ALRM
  w.u8(kRtcCenturyRegister);  // CENTURY
  w.u16(kBootArchLegacyDevices | kBootArch8042);  // IAPC_BOOT_ARCH
  w.u8(0);                                        // reserved
  uint32_t flags = kFadtWbinvd | kFadtProcC1 | kFadtSlpButton | kFadtRtcS4 | kFadtResetRegSup |
                   kFadtUsePlatformClock;
  if (c.pm_timer_32bit) flags |= kFadtTmrValExt;
  w.u32(flags);
  w.gas(kGasSystemIo, 8, 0, kGasAccessByte, c.reset_port);  // RESET_REG
  w.u8(c.reset_value);                                      // RESET_VALUE
  w.u16(0);                                                 // ARM_BOOT_ARCH
  w.u8(0);                                                  // FADT Minor Version (reserved in 5.0)
  w.u64(0);                                                 // X_FIRMWARE_CTRL
  w.u64(dsdt);                                              // X_DSDT
  // X_ blocks: bit widths equal the legacy lengths × 8, or Linux warns of a length mismatch.
  w.gas(kGasSystemIo, kPm1EvtLength * 8, 0, kGasAccessUndefined, pm1a_evt);  // X_PM1a_EVT_BLK
  w.gas(0, 0, 0, 0, 0);                                                      // X_PM1b_EVT_BLK
  w.gas(kGasSystemIo, kPm1CntLength * 8, 0, kGasAccessUndefined, pm1a_cnt);  // X_PM1a_CNT_BLK
  w.gas(0, 0, 0, 0, 0);                                                      // X_PM1b_CNT_BLK
  w.gas(0, 0, 0, 0, 0);                                                      // X_PM2_CNT_BLK
  w.gas(kGasSystemIo, kPmTmrLength * 8, 0, kGasAccessUndefined, pm_tmr);     // X_PM_TMR_BLK
  w.gas(kGasSystemIo, kGpe0Length * 8, 0, kGasAccessUndefined, gpe0);        // X_GPE0_BLK
  w.gas(0, 0, 0, 0, 0);                                                      // X_GPE1_BLK
  w.gas(0, 0, 0, 0, 0);  // SLEEP_CONTROL_REG (hardware-reduced ACPI only)
  w.gas(0, 0, 0, 0, 0);  // SLEEP_STATUS_REG
  REWIND_CHECK(w.size() == 268);
  return w.finish();
}

std::vector<uint8_t> build_madt(const AcpiConfig& c) {
  TableWriter w("APIC", 3);
  w.u32(c.lapic_address);  // Local Interrupt Controller Address
  w.u32(1);                // Flags: PCAT_COMPAT (dual 8259s present; OSPM masks them)
  REWIND_CHECK(c.cpu_count >= 1 && c.cpu_count <= 255);
  for (unsigned i = 0; i < c.cpu_count; ++i) {
    // Processor Local APIC (§5.2.12.2): UID = APIC ID = index, enabled.
    w.u8(0);
    w.u8(8);
    w.u8(uint8_t(i));  // ACPI Processor UID (matches the DSDT Processor () ID)
    w.u8(uint8_t(i));  // APIC ID
    w.u32(1);          // Flags: Enabled
  }
  // I/O APIC (§5.2.12.3).
  w.u8(1);
  w.u8(12);
  w.u8(c.ioapic_id);
  w.u8(0);
  w.u32(c.ioapic_address);
  w.u32(0);  // Global System Interrupt Base
  // Interrupt Source Overrides (§5.2.12.5), as QEMU: the PIT's IRQ0 arrives at IOAPIC pin 2
  // (flags 0: conforms to the bus, i.e. edge/high); the SCI is level-triggered, active-high.
  auto override_entry = [&](uint8_t source, uint32_t gsi, uint16_t flags) {
    w.u8(2);
    w.u8(10);
    w.u8(0);  // Bus: ISA
    w.u8(source);
    w.u32(gsi);
    w.u16(flags);
  };
  override_entry(0, 2, 0);
  override_entry(c.sci_irq, c.sci_irq, 0x000d);  // polarity 01 active high, trigger 11 level
  // Local APIC NMI (§5.2.12.7): LINT1 of every processor (UID 0xFF) is the NMI input.
  w.u8(4);
  w.u8(6);
  w.u8(0xff);
  w.u16(0);  // Flags: conforms to the bus
  w.u8(1);   // LINT1
  return w.finish();
}

std::vector<uint8_t> build_hpet_table(const AcpiConfig& c) {
  TableWriter w("HPET", 1);
  w.u32(c.hpet_capabilities_low);                                       // Event Timer Block ID
  w.gas(kGasSystemMemory, 64, 0, kGasAccessUndefined, c.hpet_address);  // BASE_ADDRESS
  w.u8(0);                                                              // HPET Number
  w.u16(0x80);  // Main Counter Minimum Clock_tick in Periodic Mode (QEMU's value)
  w.u8(0);      // Page Protection and OEM Attribute: no guarantee
  return w.finish();
}

std::vector<uint8_t> build_mcfg(const AcpiConfig& c) {
  TableWriter w("MCFG", 1);
  w.zeros(8);  // reserved
  w.u64(c.ecam_base);
  w.u16(0);  // PCI Segment Group
  w.u8(0);   // Start Bus
  w.u8(c.ecam_end_bus);
  w.u32(0);  // reserved
  return w.finish();
}

}  // namespace

AcpiTables build_acpi_tables(const AcpiConfig& config) {
  REWIND_CHECK_MSG(config.tables_address % 64 == 0, "ACPI tables address must be 64-aligned");
  AcpiTables out;
  std::vector<uint8_t>& blob = out.blob;
  // Appends a table 16-byte aligned and returns its guest-physical address.
  auto place = [&](const std::vector<uint8_t>& table) {
    blob.resize((blob.size() + 15) & ~size_t(15), 0);
    uint64_t address = config.tables_address + blob.size();
    blob.insert(blob.end(), table.begin(), table.end());
    return address;
  };
  out.facs_address = place(build_facs());
  out.dsdt_address = place(build_dsdt(config));
  out.fadt_address = place(build_fadt(config, out.facs_address, out.dsdt_address));
  out.madt_address = place(build_madt(config));
  out.hpet_address = place(build_hpet_table(config));
  out.mcfg_address = place(build_mcfg(config));
  const uint64_t entries[] = {out.fadt_address, out.madt_address, out.hpet_address,
                              out.mcfg_address};
  TableWriter rsdt("RSDT", 1);
  for (uint64_t a : entries) rsdt.u32(uint32_t(a));
  out.rsdt_address = place(rsdt.finish());
  TableWriter xsdt("XSDT", 1);
  for (uint64_t a : entries) xsdt.u64(a);
  out.xsdt_address = place(xsdt.finish());
  REWIND_CHECK_MSG(config.tables_address + blob.size() <= (1ull << 32),
                   "ACPI tables must lie below 4 GiB (32-bit RSDT and FADT pointers)");

  // RSDP (§5.2.5.3), revision 2: checksum over the first 20 bytes, extended checksum over all
  // 36.
  std::vector<uint8_t>& r = out.rsdp;
  const char signature[] = "RSD PTR ";
  r.assign(signature, signature + 8);
  r.push_back(0);  // Checksum
  for (size_t i = 0; i < 6; ++i) r.push_back(uint8_t(kAcpiOemId[i]));
  r.push_back(2);  // Revision
  for (int i = 0; i < 4; ++i) r.push_back(uint8_t(out.rsdt_address >> (8 * i)));
  for (int i = 0; i < 4; ++i) r.push_back(uint8_t(36 >> (8 * i)));  // Length
  for (int i = 0; i < 8; ++i) r.push_back(uint8_t(out.xsdt_address >> (8 * i)));
  r.push_back(0);  // Extended Checksum
  r.insert(r.end(), 3, 0);
  r[8] = acpi_checksum(r.data(), 20);
  r[32] = acpi_checksum(r.data(), 36);
  return out;
}

}  // namespace rwd

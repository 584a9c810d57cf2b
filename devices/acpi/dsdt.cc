// SPDX-License-Identifier: MIT
// The DSDT, hand-built AML (see aml.h). In ASL it reads:
//
//   DefinitionBlock ("", "DSDT", 2, "REWIND", "REWINDPC", 1) {
//     Scope (\_PR) { Processor (CP00, 0x00, 0, 0) {} ... }   // one per CPU, ID = MADT UID
//     Scope (\_SB) {
//       Device (PCI0) {                    // Q35 host bridge, PCI Express root
//         Name (_HID, EisaId ("PNP0A08")) Name (_CID, EisaId ("PNP0A03"))
//         Name (_ADR, 0) Name (_UID, 0) Name (_BBN, 0) Name (_SEG, 0)
//         Name (_CRS, ResourceTemplate () { bus numbers, 0xCF8/8, I/O below and above it,
//                                           VGA window, MMIO32 window [, MMIO64 window] })
//         Name (_PRT, Package (128) { Package () { 0xSSSSFFFF, pin, 0, 16 + PIRQ } ... })
//         Device (LPC) {                   // ICH9 LPC bridge, 00:1f.0
//           Name (_ADR, 0x001F0000)
//           Device (RTC)  PNP0B00: IO 0x70/2, IRQ 8
//           Device (KBD)  PNP0303: IO 0x60/1, 0x64/1, IRQ 1
//           Device (MOU)  PNP0F13: IRQ 12 (Linux's i8042 PnP probe wants both ports)
//           Device (COM1) PNP0501: IO 0x3F8/8, IRQ 4
//           Device (HPET) PNP0103: Memory32Fixed (hpet_address, 0x400)
//           Device (SMC)  APP0001: IO smc_port/0x20, IRQ 6   (only when smc_present)
//     } } }
//     Name (\_S5, Package (4) { SLP_TYP, SLP_TYP, 0, 0 })
//   }
//
// No _OSC: Linux then keeps PCIe hotplug/AER/PME to the firmware, which has none to offer;
// no _PIC: the _PRT lists GSIs directly (APIC mode), and the 8259 mode is not described.
#include <string>

#include "base/check.h"
#include "devices/acpi/aml.h"
#include "devices/acpi/table_writer.h"
#include "devices/acpi/tables.h"

namespace rwd {
namespace {

using aml::Bytes;

// "CP" + two hex digits: CP00..CPFE, QEMU's and SeaBIOS's processor names.
std::string processor_name(unsigned index) {
  static const char digits[] = "0123456789ABCDEF";
  return std::string("CP") + digits[(index >> 4) & 0xf] + digits[index & 0xf];
}

Bytes processors(const AcpiConfig& c) {
  REWIND_CHECK(c.cpu_count >= 1 && c.cpu_count <= 255);
  Bytes body;
  for (unsigned i = 0; i < c.cpu_count; ++i) {
    // No P_BLK (address 0, length 0): no throttling or C2/C3 registers.
    body = aml::cat(body, aml::processor(processor_name(i), uint8_t(i), 0, 0));
  }
  return aml::scope("\\_PR", body);
}

Bytes pci0_crs(const AcpiConfig& c) {
  aml::ResourceTemplate crs;
  crs.word_bus_number(0, c.ecam_end_bus);
  crs.io(0x0cf8, 0x0cf8, 1, 8);  // the configuration mechanism #1 ports, consumed by PCI0
  crs.word_io(0x0000, 0x0cf7);
  crs.word_io(0x0d00, 0xffff);
  crs.dword_memory(/*cacheable=*/true, 0x000a0000, 0x000bffff);  // legacy VGA window
  REWIND_CHECK(c.pci_mmio32_start < c.pci_mmio32_end && c.pci_mmio32_end < (1ull << 32));
  crs.dword_memory(/*cacheable=*/false, uint32_t(c.pci_mmio32_start), uint32_t(c.pci_mmio32_end));
  if (c.pci_mmio64_end > c.pci_mmio64_start) {
    crs.qword_memory(/*cacheable=*/false, c.pci_mmio64_start, c.pci_mmio64_end);
  }
  return aml::name("_CRS", crs.buffer());
}

Bytes pci0_prt(const AcpiConfig& c) {
  Bytes entries;
  for (unsigned slot = 0; slot < 32; ++slot) {
    for (unsigned pin = 0; pin < 4; ++pin) {
      unsigned pirq = c.pirq_for ? c.pirq_for(slot, pin) : (slot + pin) % 4;
      REWIND_CHECK_MSG(pirq < 8, "PCI INTx must route to PIRQ A-H");
      // Address: device in the high word, function 0xFFFF = any; Source 0 means the last
      // element is a GSI rather than an index into a link device.
      Bytes entry = aml::cat(aml::integer(uint64_t(slot) << 16 | 0xffff), aml::integer(pin),
                             aml::integer(0), aml::integer(kAcpiPciGsiBase + pirq));
      entries = aml::cat(entries, aml::package(4, entry));
    }
  }
  return aml::name("_PRT", aml::package(128, entries));
}

Bytes simple_device(std::string_view name, std::string_view hid, const Bytes& extra,
                    const aml::ResourceTemplate& crs) {
  return aml::device(
      name, aml::cat(aml::name("_HID", aml::eisa_id(hid)), extra, aml::name("_CRS", crs.buffer())));
}

Bytes lpc(const AcpiConfig& c) {
  Bytes body = aml::name("_ADR", aml::integer(kAcpiLpcAddress));
  body =
      aml::cat(body, simple_device("RTC", "PNP0B00", {},
                                   aml::ResourceTemplate().io(0x70, 0x70, 1, 2).irq_no_flags(8)));
  body = aml::cat(
      body,
      simple_device("KBD", "PNP0303", aml::name("_STA", aml::integer(0x0f)),
                    aml::ResourceTemplate().io_fixed(0x60, 1).io_fixed(0x64, 1).irq_no_flags(1)));
  body = aml::cat(body, simple_device("MOU", "PNP0F13", aml::name("_STA", aml::integer(0x0f)),
                                      aml::ResourceTemplate().irq_no_flags(12)));
  body = aml::cat(body, simple_device("COM1", "PNP0501",
                                      aml::cat(aml::name("_UID", aml::integer(1)),
                                               aml::name("_STA", aml::integer(0x0f))),
                                      aml::ResourceTemplate().io_fixed(0x3f8, 8).irq_no_flags(4)));
  body = aml::cat(body, simple_device("HPET", "PNP0103",
                                      aml::cat(aml::name("_UID", aml::integer(0)),
                                               aml::name("_STA", aml::integer(0x0f))),
                                      aml::ResourceTemplate().memory32_fixed(
                                          /*read_write=*/true, c.hpet_address, 0x400)));
  if (c.smc_present) {
    // As QEMU's isa-applesmc AML (_HID, _STA 0x0B: present, enabled, functioning, hidden from
    // the UI; IO 0x20 ports; IRQ 6), plus the _CID "smc-napa" real Macs' DSDTs carry, which
    // AppleSMC drivers match on as the device's "compatible" name.
    Bytes extra =
        aml::cat(aml::name("_CID", aml::string("smc-napa")), aml::name("_STA", aml::integer(0x0b)));
    body = aml::cat(
        body,
        simple_device("SMC", "APP0001", extra,
                      aml::ResourceTemplate().io(c.smc_port, c.smc_port, 1, 0x20).irq_no_flags(6)));
  }
  return aml::device("LPC", body);
}

Bytes pci0(const AcpiConfig& c) {
  Bytes body = aml::cat(aml::name("_HID", aml::eisa_id("PNP0A08")),
                        aml::name("_CID", aml::eisa_id("PNP0A03")),
                        aml::name("_ADR", aml::integer(0)), aml::name("_UID", aml::integer(0)),
                        aml::name("_BBN", aml::integer(0)), aml::name("_SEG", aml::integer(0)));
  body = aml::cat(body, pci0_crs(c), pci0_prt(c), lpc(c));
  return aml::device("PCI0", body);
}

}  // namespace

std::vector<uint8_t> build_dsdt(const AcpiConfig& config) {
  acpi_internal::TableWriter w("DSDT", 2);  // revision 2: 64-bit AML integers
  w.append(processors(config));
  w.append(aml::scope("\\_SB", pci0(config)));
  Bytes s5 = aml::cat(aml::integer(config.slp_typ_s5), aml::integer(config.slp_typ_s5),
                      aml::integer(0), aml::integer(0));
  w.append(aml::name("\\_S5", aml::package(4, s5)));
  return w.finish();
}

}  // namespace rwd

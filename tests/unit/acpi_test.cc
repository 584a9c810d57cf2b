// SPDX-License-Identifier: MIT
// ACPI table tests: a guest's-eye walk RSDP → XSDT → every table (signature, length, checksum),
// then the fields the guest relies on: FADT PM blocks, reset register and DSDT pointer; MADT
// entries and overrides; HPET and MCFG; the DSDT's _S5, _PRT and device resources. When iasl
// (acpica-tools) is installed, the DSDT is disassembled and recompiled with it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "devices/acpi/aml.h"
#include "devices/acpi/tables.h"

namespace rwd {
namespace {

constexpr uint64_t kTablesAddress = 0x7ffe0000;
constexpr uint32_t kHpetCapabilitiesLow = 0x8086a201;  // Intel, LEG_RT, 64-bit, 3 timers, rev 1

AcpiConfig test_config() {
  AcpiConfig c;
  c.tables_address = kTablesAddress;
  c.cpu_count = 2;
  c.hpet_capabilities_low = kHpetCapabilitiesLow;
  c.slp_typ_s5 = 5;
  c.pirq_for = [](unsigned slot, unsigned pin) { return (slot * 3 + pin) % 8; };
  return c;
}

// The tables as the guest sees them: guest-physical addresses into the blob.
struct Guest {
  explicit Guest(const AcpiConfig& c) : t(build_acpi_tables(c)), base(c.tables_address) {}
  const uint8_t* at(uint64_t address) const {
    EXPECT_GE(address, base);
    EXPECT_LT(address - base, t.blob.size());
    return t.blob.data() + (address - base);
  }
  // Finds a table through RSDP → XSDT by signature; nullptr if absent.
  const uint8_t* find(const char* signature) const;
  AcpiTables t;
  uint64_t base;
};

uint16_t le16(const uint8_t* p) {
  return uint16_t(p[0] | p[1] << 8);
}
uint32_t le32(const uint8_t* p) {
  return uint32_t(le16(p)) | uint32_t(le16(p + 2)) << 16;
}
uint64_t le64(const uint8_t* p) {
  return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32;
}
uint8_t sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = uint8_t(s + p[i]);
  return s;
}

const uint8_t* Guest::find(const char* signature) const {
  const uint8_t* xsdt = at(le64(&t.rsdp[24]));
  for (uint32_t off = 36; off < le32(xsdt + 4); off += 8) {
    const uint8_t* table = at(le64(xsdt + off));
    if (std::equal(signature, signature + 4, table)) return table;
  }
  return nullptr;
}

// Checks a table's header: signature, length within the blob, checksum 0, OEM fields.
void expect_valid_table(const Guest& g, const uint8_t* table, const char* signature) {
  ASSERT_NE(table, nullptr) << signature;
  EXPECT_TRUE(std::equal(signature, signature + 4, table)) << signature;
  uint32_t length = le32(table + 4);
  ASSERT_LE(table - g.t.blob.data() + length, g.t.blob.size()) << signature;
  EXPECT_EQ(sum(table, length), 0) << signature;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(table + 10), 6), "REWIND");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(table + 16), 8), "REWINDPC");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(table + 28), 4), "RWND");
}

TEST(AcpiTest, RsdpPointsAtRsdtAndXsdt) {
  Guest g(test_config());
  const auto& r = g.t.rsdp;
  ASSERT_EQ(r.size(), 36u);
  EXPECT_EQ(std::string(r.begin(), r.begin() + 8), "RSD PTR ");
  EXPECT_EQ(sum(r.data(), 20), 0);
  EXPECT_EQ(sum(r.data(), 36), 0);
  EXPECT_EQ(std::string(r.begin() + 9, r.begin() + 15), "REWIND");
  EXPECT_EQ(r[15], 2);
  EXPECT_EQ(le32(&r[20]), 36u);
  EXPECT_EQ(le32(&r[16]), g.t.rsdt_address);
  EXPECT_EQ(le64(&r[24]), g.t.xsdt_address);
  expect_valid_table(g, g.at(g.t.rsdt_address), "RSDT");
  expect_valid_table(g, g.at(g.t.xsdt_address), "XSDT");
}

TEST(AcpiTest, EveryTableFoundWithValidChecksum) {
  Guest g(test_config());
  const uint8_t* rsdt = g.at(g.t.rsdt_address);
  const uint8_t* xsdt = g.at(g.t.xsdt_address);
  ASSERT_EQ(le32(rsdt + 4), 36u + 4 * 4);
  ASSERT_EQ(le32(xsdt + 4), 36u + 4 * 8);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(le32(rsdt + 36 + 4 * i), le64(xsdt + 36 + 8 * i));
  for (const char* sig : {"FACP", "APIC", "HPET", "MCFG"}) {
    expect_valid_table(g, g.find(sig), sig);
  }
  expect_valid_table(g, g.at(g.t.dsdt_address), "DSDT");
  const uint8_t* facs = g.at(g.t.facs_address);
  EXPECT_EQ(std::string(facs, facs + 4), "FACS");
  EXPECT_EQ(le32(facs + 4), 64u);
  EXPECT_EQ(g.t.facs_address % 64, 0u);
  EXPECT_LE(g.base + g.t.blob.size(), 1ull << 32);
}

TEST(AcpiTest, FadtFields) {
  AcpiConfig c = test_config();
  Guest g(c);
  const uint8_t* f = g.find("FACP");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(le32(f + 4), 268u);
  EXPECT_EQ(f[8], 5);                         // revision
  EXPECT_EQ(le32(f + 36), g.t.facs_address);  // FIRMWARE_CTRL
  EXPECT_EQ(le64(f + 132), 0u);               // X_FIRMWARE_CTRL: 0 when FIRMWARE_CTRL is set
  EXPECT_EQ(le32(f + 40), g.t.dsdt_address);
  EXPECT_EQ(le64(f + 140), g.t.dsdt_address);  // X_DSDT
  EXPECT_EQ(le16(f + 46), 9);                  // SCI_INT
  EXPECT_EQ(le32(f + 48), 0u);                 // SMI_CMD: always in ACPI mode
  EXPECT_EQ(le32(f + 56), 0x600u);             // PM1a_EVT_BLK
  EXPECT_EQ(le32(f + 64), 0x604u);             // PM1a_CNT_BLK
  EXPECT_EQ(le32(f + 76), 0x608u);             // PM_TMR_BLK
  EXPECT_EQ(le32(f + 80), 0x620u);             // GPE0_BLK
  EXPECT_EQ(f[88], 4);                         // PM1_EVT_LEN
  EXPECT_EQ(f[89], 2);                         // PM1_CNT_LEN
  EXPECT_EQ(f[91], 4);                         // PM_TMR_LEN
  EXPECT_EQ(f[92], 16);                        // GPE0_BLK_LEN
  EXPECT_EQ(f[108], 0x32);                     // CENTURY
  EXPECT_EQ(le16(f + 109), 0x0003);            // IAPC_BOOT_ARCH: legacy devices, 8042
  uint32_t flags = le32(f + 112);
  EXPECT_EQ(flags & 0x04a5, 0x04a5u);  // WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, RESET_REG_SUP
  EXPECT_EQ(flags & (1u << 8), 0u);    // TMR_VAL_EXT off: 24-bit PM timer
  EXPECT_EQ(flags & (1u << 20), 0u);   // not hardware-reduced
  // RESET_REG: system I/O, 8 bits at 0xCF9, value 6.
  EXPECT_EQ(f[116], 1);
  EXPECT_EQ(f[117], 8);
  EXPECT_EQ(le64(f + 120), 0xcf9u);
  EXPECT_EQ(f[128], 6);
  // X_ blocks: system I/O with bit widths equal to the legacy lengths.
  struct {
    unsigned offset, bits;
    uint64_t address;
  } x_blocks[] = {{148, 32, 0x600}, {172, 16, 0x604}, {208, 32, 0x608}, {220, 128, 0x620}};
  for (const auto& b : x_blocks) {
    EXPECT_EQ(f[b.offset], 1) << b.offset;
    EXPECT_EQ(f[b.offset + 1], b.bits) << b.offset;
    EXPECT_EQ(le64(f + b.offset + 4), b.address) << b.offset;
  }
  EXPECT_EQ(le64(f + 160 + 4), 0u);  // no PM1b

  c.pm_timer_32bit = true;
  Guest g32(c);
  EXPECT_NE(le32(g32.find("FACP") + 112) & (1u << 8), 0u);
}

TEST(AcpiTest, MadtEntries) {
  Guest g(test_config());
  const uint8_t* m = g.find("APIC");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(le32(m + 36), 0xfee00000u);
  EXPECT_EQ(le32(m + 40), 1u);  // PCAT_COMPAT
  unsigned lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
  uint32_t length = le32(m + 4), off = 44;
  while (off < length) {
    const uint8_t* e = m + off;
    ASSERT_GE(e[1], 2);
    switch (e[0]) {
      case 0:
        EXPECT_EQ(e[1], 8);
        EXPECT_EQ(e[2], lapics);  // UID
        EXPECT_EQ(e[3], lapics);  // APIC ID
        EXPECT_EQ(le32(e + 4), 1u);
        ++lapics;
        break;
      case 1:
        EXPECT_EQ(e[1], 12);
        EXPECT_EQ(e[2], 0);
        EXPECT_EQ(le32(e + 4), 0xfec00000u);
        EXPECT_EQ(le32(e + 8), 0u);
        ++ioapics;
        break;
      case 2:
        EXPECT_EQ(e[1], 10);
        EXPECT_EQ(e[2], 0);  // ISA
        if (e[3] == 0) {
          EXPECT_EQ(le32(e + 4), 2u);
          EXPECT_EQ(le16(e + 8), 0);
        } else {
          EXPECT_EQ(e[3], 9);
          EXPECT_EQ(le32(e + 4), 9u);
          EXPECT_EQ(le16(e + 8), 0x000d);  // level, active high
        }
        ++overrides;
        break;
      case 4:
        EXPECT_EQ(e[1], 6);
        EXPECT_EQ(e[2], 0xff);
        EXPECT_EQ(e[5], 1);  // LINT1
        ++nmis;
        break;
      default:
        ADD_FAILURE() << "unexpected MADT entry type " << int(e[0]);
    }
    off += e[1];
  }
  EXPECT_EQ(off, length);
  EXPECT_EQ(lapics, 2u);
  EXPECT_EQ(ioapics, 1u);
  EXPECT_EQ(overrides, 2u);
  EXPECT_EQ(nmis, 1u);
}

TEST(AcpiTest, HpetAndMcfg) {
  Guest g(test_config());
  const uint8_t* h = g.find("HPET");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(le32(h + 4), 56u);
  EXPECT_EQ(le32(h + 36), kHpetCapabilitiesLow);
  EXPECT_EQ(h[40], 0);  // system memory
  EXPECT_EQ(le64(h + 44), 0xfed00000u);
  EXPECT_EQ(h[52], 0);  // HPET number
  EXPECT_EQ(le16(h + 53), 0x80);
  EXPECT_EQ(h[55], 0);
  const uint8_t* m = g.find("MCFG");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(le32(m + 4), 60u);
  EXPECT_EQ(le64(m + 44), 0xb0000000u);
  EXPECT_EQ(le16(m + 52), 0);
  EXPECT_EQ(m[54], 0);
  EXPECT_EQ(m[55], 255);
}

TEST(AcpiTest, SameConfigSameBytes) {
  Guest a(test_config()), b(test_config());
  EXPECT_EQ(a.t.blob, b.t.blob);
  EXPECT_EQ(a.t.rsdp, b.t.rsdp);
}

}  // namespace
}  // namespace rwd

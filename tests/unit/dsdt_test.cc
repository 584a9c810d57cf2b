// SPDX-License-Identifier: MIT
// DSDT tests: _S5 carries the configured SLP_TYP, _PRT has 128 entries routed as pirq_for says,
// the device resources (HPET, SMC) are where the config puts them, and — when iasl from
// acpica-tools is installed — the AML disassembles and recompiles without errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "devices/acpi/aml.h"
#include "devices/acpi/tables.h"

namespace rwd {
namespace {

using Bytes = std::vector<uint8_t>;

AcpiConfig dsdt_config() {
  AcpiConfig c;
  c.tables_address = 0x7ffe0000;
  c.cpu_count = 4;
  c.slp_typ_s5 = 5;
  c.pirq_for = [](unsigned slot, unsigned pin) { return (slot * 3 + pin) % 8; };
  c.pci_mmio64_start = 0x800000000;
  c.pci_mmio64_end = 0xfffffffff;
  return c;
}

// Position just after the first occurrence of `needle`, or npos.
size_t find_after(const Bytes& hay, const Bytes& needle, size_t from = 0) {
  auto it = std::search(hay.begin() + from, hay.end(), needle.begin(), needle.end());
  return it == hay.end() ? std::string::npos : size_t(it - hay.begin()) + needle.size();
}

// Minimal AML readers for the tests.
uint32_t read_pkg_length(const Bytes& b, size_t* pos) {
  uint8_t lead = b[(*pos)++];
  unsigned extra = lead >> 6;
  if (extra == 0) return lead & 0x3f;
  uint32_t value = lead & 0x0f;
  for (unsigned i = 0; i < extra; ++i) value |= uint32_t(b[(*pos)++]) << (4 + 8 * i);
  return value;
}
uint64_t read_integer(const Bytes& b, size_t* pos) {
  uint8_t op = b[(*pos)++];
  unsigned n = op == 0x0a ? 1 : op == 0x0b ? 2 : op == 0x0c ? 4 : op == 0x0e ? 8 : 0;
  if (n == 0) {
    EXPECT_TRUE(op == 0x00 || op == 0x01) << "not an integer: " << int(op);
    return op;
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t(b[(*pos)++]) << (8 * i);
  return v;
}

TEST(DsdtTest, HeaderAndS5) {
  Bytes d = build_dsdt(dsdt_config());
  ASSERT_GE(d.size(), 36u);
  EXPECT_EQ(std::string(d.begin(), d.begin() + 4), "DSDT");
  EXPECT_EQ(d[8], 2);  // revision 2: 64-bit integers
  uint8_t s = 0;
  for (uint8_t x : d) s = uint8_t(s + x);
  EXPECT_EQ(s, 0);
  // Name (\_S5, Package (4) { 5, 5, 0, 0 })
  Bytes s5 = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0x00, 0x00};
  EXPECT_NE(find_after(d, s5), std::string::npos);
}

TEST(DsdtTest, PrtHas128EntriesRoutedByPirqFor) {
  AcpiConfig c = dsdt_config();
  Bytes d = build_dsdt(c);
  size_t pos = find_after(d, {0x08, '_', 'P', 'R', 'T'});
  ASSERT_NE(pos, std::string::npos);
  ASSERT_EQ(d[pos++], 0x12);
  size_t start = pos;
  uint32_t length = read_pkg_length(d, &pos);
  ASSERT_EQ(d[pos++], 128);
  for (unsigned slot = 0; slot < 32; ++slot) {
    for (unsigned pin = 0; pin < 4; ++pin) {
      ASSERT_EQ(d[pos++], 0x12);
      size_t entry_start = pos;
      uint32_t entry_length = read_pkg_length(d, &pos);
      ASSERT_EQ(d[pos++], 4);
      EXPECT_EQ(read_integer(d, &pos), uint64_t(slot) << 16 | 0xffff);
      EXPECT_EQ(read_integer(d, &pos), pin);
      EXPECT_EQ(read_integer(d, &pos), 0u);  // Source: none, the GSI follows
      EXPECT_EQ(read_integer(d, &pos), 16u + c.pirq_for(slot, pin));
      EXPECT_EQ(pos - entry_start, entry_length);
    }
  }
  EXPECT_EQ(pos - start, length);
}

TEST(DsdtTest, DeviceResources) {
  AcpiConfig c = dsdt_config();
  Bytes d = build_dsdt(c);
  // HPET: _HID PNP0103 and Memory32Fixed (ReadWrite, 0xFED00000, 0x400).
  EXPECT_NE(
      find_after(d, {'H', 'P', 'E', 'T', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x01, 0x03}),
      std::string::npos);
  EXPECT_NE(find_after(d, {0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd0, 0xfe, 0x00, 0x04, 0, 0}),
            std::string::npos);
  // PCI0: _HID PNP0A08, MMIO32 and MMIO64 windows.
  EXPECT_NE(find_after(d, {0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08}),
            std::string::npos);
  EXPECT_NE(find_after(d, {0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe}), std::string::npos);
  EXPECT_NE(find_after(d, {0x8a, 0x2b, 0x00}), std::string::npos);
  // COM1 (PNP0501) at 0x3F8 with IRQ 4.
  EXPECT_NE(find_after(d, {0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00}),
            std::string::npos);
  // Processor objects CP00..CP03.
  EXPECT_NE(find_after(d, {0x5b, 0x83, 0x0b, 'C', 'P', '0', '3', 3}), std::string::npos);
  // No SMC unless asked for.
  EXPECT_EQ(find_after(d, {'S', 'M', 'C', '_'}), std::string::npos);
  c.smc_present = true;
  c.smc_port = 0x300;
  Bytes with_smc = build_dsdt(c);
  EXPECT_EQ(aml::eisa_id_value("APP0001"), 0x01001006u);
  EXPECT_NE(find_after(with_smc, {'S', 'M', 'C', '_', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x06, 0x10,
                                  0x00, 0x01}),
            std::string::npos);
  EXPECT_NE(find_after(with_smc, {0x0d, 's', 'm', 'c', '-', 'n', 'a', 'p', 'a', 0}),
            std::string::npos);
  EXPECT_NE(
      find_after(with_smc, {0x47, 0x01, 0x00, 0x03, 0x00, 0x03, 0x01, 0x20, 0x22, 0x40, 0x00}),
      std::string::npos);
}

// Runs a shell command, returning its exit status and combined output.
int run(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  return pclose(p);
}

TEST(DsdtTest, IaslDisassemblesAndRecompiles) {
  std::string ignored;
  if (run("command -v iasl", &ignored) != 0) GTEST_SKIP() << "iasl (acpica-tools) not installed";
  AcpiConfig c = dsdt_config();
  c.smc_present = true;
  Bytes d = build_dsdt(c);
  std::string dir = testing::TempDir() + "rewind_dsdt_test";
  std::string out;
  ASSERT_EQ(run("rm -rf " + dir + " && mkdir -p " + dir, &out), 0) << out;
  {
    std::ofstream f(dir + "/dsdt.aml", std::ios::binary);
    f.write(reinterpret_cast<const char*>(d.data()), std::streamsize(d.size()));
  }
  out.clear();
  ASSERT_EQ(run("cd " + dir + " && iasl -d dsdt.aml", &out), 0) << out;
  EXPECT_EQ(out.find("Error"), std::string::npos) << out;
  std::ifstream dsl(dir + "/dsdt.dsl");
  std::string text((std::istreambuf_iterator<char>(dsl)), std::istreambuf_iterator<char>());
  for (const char* expected : {"Device (PCI0)", "EisaId (\"PNP0A08\")", "_S5, Package (0x04)",
                               "Device (HPET)", "Memory32Fixed (ReadWrite", "0xFED00000",
                               "Device (SMC)", "\"smc-napa\"", "Processor (CP03"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Recompiling the disassembly catches semantic slips (e.g. a descriptor whose length does not
  // match its fixed range), which iasl reports as errors. The expected warnings are the legacy
  // Processor () objects and PCI0 having both _HID and _ADR (as QEMU's PCI0 does). With
  // optimizations off (-oa), iasl must produce exactly our AML after the 36-byte header.
  out.clear();
  EXPECT_EQ(run("cd " + dir + " && iasl -oa -p recompiled dsdt.dsl", &out), 0) << out;
  EXPECT_NE(out.find("0 Errors"), std::string::npos) << out;
  std::ifstream recompiled(dir + "/recompiled.aml", std::ios::binary);
  Bytes again((std::istreambuf_iterator<char>(recompiled)), std::istreambuf_iterator<char>());
  ASSERT_EQ(again.size(), d.size());
  EXPECT_TRUE(std::equal(d.begin() + 36, d.end(), again.begin() + 36));
}

TEST(DsdtTest, IaslAcceptsTheOtherTables) {
  std::string out;
  if (run("command -v iasl", &out) != 0) GTEST_SKIP() << "iasl (acpica-tools) not installed";
  AcpiConfig c = dsdt_config();
  c.hpet_capabilities_low = 0x8086a201;
  AcpiTables t = build_acpi_tables(c);
  std::string dir = testing::TempDir() + "rewind_acpi_tables_test";
  ASSERT_EQ(run("rm -rf " + dir + " && mkdir -p " + dir, &out), 0) << out;
  struct {
    const char* name;
    uint64_t address;
  } tables[] = {{"facp", t.fadt_address}, {"apic", t.madt_address}, {"hpet", t.hpet_address},
                {"mcfg", t.mcfg_address}, {"rsdt", t.rsdt_address}, {"xsdt", t.xsdt_address},
                {"facs", t.facs_address}};
  for (const auto& table : tables) {
    const uint8_t* p = t.blob.data() + (table.address - c.tables_address);
    uint32_t length = uint32_t(p[4] | p[5] << 8 | p[6] << 16 | p[7] << 24);
    std::string file = dir + "/" + table.name + ".dat";
    {
      std::ofstream f(file, std::ios::binary);
      f.write(reinterpret_cast<const char*>(p), length);
    }
    out.clear();
    // iasl -d on a data table checks lengths, checksums and field values, printing warnings.
    EXPECT_EQ(run("cd " + dir + " && iasl -d " + file, &out), 0) << table.name << "\n" << out;
    // Field complaints ("Incorrect checksum, should be 6C") go into the .dsl itself.
    std::ifstream dsl(dir + "/" + table.name + ".dsl");
    out.append((std::istreambuf_iterator<char>(dsl)), std::istreambuf_iterator<char>());
    for (const char* bad : {"Error", "Warning", "Invalid", "Incorrect", "should be"}) {
      EXPECT_EQ(out.find(bad), std::string::npos) << table.name << ": " << bad << "\n" << out;
    }
  }
}

}  // namespace
}  // namespace rwd

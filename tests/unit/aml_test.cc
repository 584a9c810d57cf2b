// SPDX-License-Identifier: MIT
// AML builder unit tests: known encodings from ACPI 6.4 §20 (PkgLength at its 1/2/3-byte
// boundaries, shortest integer forms, NameStrings, EISAID packing) and the resource descriptor
// byte layouts of §6.4 as iasl emits them for the same ASL.
#include "devices/acpi/aml.h"

#include <gtest/gtest.h>

namespace rwd {
namespace {

using aml::Bytes;

TEST(AmlTest, PkgLengthEncodesTotalLengthAtBoundaries) {
  // Total length 63: the largest one-byte encoding.
  EXPECT_EQ(aml::pkg_length_exact(63, 1), (Bytes{0x3f}));
  // 64: two bytes, lead byte 0b01 << 6 | low nibble 0, then 64 >> 4 = 4.
  EXPECT_EQ(aml::pkg_length_exact(64, 2), (Bytes{0x40, 0x04}));
  // 4095: the largest two-byte encoding (12 bits).
  EXPECT_EQ(aml::pkg_length_exact(4095, 2), (Bytes{0x4f, 0xff}));
  // 4096: three bytes.
  EXPECT_EQ(aml::pkg_length_exact(4096, 3), (Bytes{0x80, 0x00, 0x01}));
  EXPECT_EQ(aml::pkg_length_exact(0x0fffffff, 4), (Bytes{0xcf, 0xff, 0xff, 0xff}));
}

TEST(AmlTest, PkgLengthIncludesItsOwnBytes) {
  // 62 payload bytes + 1 = 63 fits one byte; 63 + 1 = 64 does not, so 63 + 2 = 65 in two.
  EXPECT_EQ(aml::pkg_length(62), (Bytes{63}));
  EXPECT_EQ(aml::pkg_length(63), aml::pkg_length_exact(65, 2));
  // 4093 + 2 = 4095 is the last two-byte value; 4094 + 2 = 4096 needs three: 4094 + 3 = 4097.
  EXPECT_EQ(aml::pkg_length(4093), aml::pkg_length_exact(4095, 2));
  EXPECT_EQ(aml::pkg_length(4094), aml::pkg_length_exact(4097, 3));
  EXPECT_EQ(aml::pkg_length((1 << 20) - 3), aml::pkg_length_exact((1 << 20) + 1, 4));
}

TEST(AmlTest, ScopeWrapsWithPkgLength) {
  Bytes body(60, 0xa3);  // 60 Noop-like bytes: payload = 5-byte name + 60 = 65 → 2-byte length
  Bytes s = aml::scope("\\_SB", body);
  ASSERT_GE(s.size(), 8u);
  EXPECT_EQ(s[0], 0x10);  // ScopeOp
  EXPECT_EQ(s[1], 0x40 | ((65 + 2) & 0xf));
  EXPECT_EQ(s[2], (65 + 2) >> 4);
  EXPECT_EQ(Bytes(s.begin() + 3, s.begin() + 8), (Bytes{'\\', '_', 'S', 'B', '_'}));
  EXPECT_EQ(s.size(), 1 + 2 + 65u);
}

TEST(AmlTest, IntegersUseShortestEncoding) {
  EXPECT_EQ(aml::integer(0), (Bytes{0x00}));
  EXPECT_EQ(aml::integer(1), (Bytes{0x01}));
  EXPECT_EQ(aml::integer(2), (Bytes{0x0a, 0x02}));
  EXPECT_EQ(aml::integer(0xff), (Bytes{0x0a, 0xff}));
  EXPECT_EQ(aml::integer(0x100), (Bytes{0x0b, 0x00, 0x01}));
  EXPECT_EQ(aml::integer(0xffff), (Bytes{0x0b, 0xff, 0xff}));
  EXPECT_EQ(aml::integer(0x10000), (Bytes{0x0c, 0x00, 0x00, 0x01, 0x00}));
  EXPECT_EQ(aml::integer(0x100000000),
            (Bytes{0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_EQ(aml::dword(5), (Bytes{0x0c, 0x05, 0x00, 0x00, 0x00}));
}

TEST(AmlTest, StringsAndNames) {
  EXPECT_EQ(aml::string("ab"), (Bytes{0x0d, 'a', 'b', 0}));
  EXPECT_EQ(aml::name_string("_HID"), (Bytes{'_', 'H', 'I', 'D'}));
  EXPECT_EQ(aml::name_string("LPC"), (Bytes{'L', 'P', 'C', '_'}));
  EXPECT_EQ(aml::name_string("\\_S5"), (Bytes{'\\', '_', 'S', '5', '_'}));
  EXPECT_EQ(aml::name_string("\\_SB.PCI0"),
            (Bytes{'\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}));
  EXPECT_EQ(aml::name_string("\\_SB.PCI0.LPC"),
            (Bytes{'\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'L', 'P', 'C', '_'}));
  EXPECT_EQ(aml::name_string("^FOO"), (Bytes{'^', 'F', 'O', 'O', '_'}));
  EXPECT_EQ(aml::name_string("\\"), (Bytes{'\\', 0x00}));
}

TEST(AmlTest, EisaId) {
  EXPECT_EQ(aml::eisa_id_value("PNP0A08"), 0x080ad041u);
  EXPECT_EQ(aml::eisa_id_value("PNP0A03"), 0x030ad041u);
  EXPECT_EQ(aml::eisa_id_value("PNP0103"), 0x0301d041u);
  EXPECT_EQ(aml::eisa_id("PNP0A08"), (Bytes{0x0c, 0x41, 0xd0, 0x0a, 0x08}));
}

TEST(AmlTest, NameDeviceMethodPackage) {
  EXPECT_EQ(aml::name("_UID", aml::integer(0)), (Bytes{0x08, '_', 'U', 'I', 'D', 0x00}));
  // Device (HPET) {} = ExtOp DeviceOp PkgLength(5) "HPET"
  EXPECT_EQ(aml::device("HPET", {}), (Bytes{0x5b, 0x82, 0x05, 'H', 'P', 'E', 'T'}));
  // Method (_STA, 0, NotSerialized) { Return (0x0F) }
  EXPECT_EQ(aml::method("_STA", 0, false, aml::return_value(aml::integer(0x0f))),
            (Bytes{0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f}));
  EXPECT_EQ(aml::method("FOO", 2, true, {})[6], 0x0a);
  // Package (2) { Zero, One }
  EXPECT_EQ(aml::package(2, aml::cat(aml::integer(0), aml::integer(1))),
            (Bytes{0x12, 0x04, 0x02, 0x00, 0x01}));
  // Processor (CP00, 0x00, 0x00000000, 0x00) {}
  EXPECT_EQ(aml::processor("CP00", 0, 0, 0),
            (Bytes{0x5b, 0x83, 0x0b, 'C', 'P', '0', '0', 0, 0, 0, 0, 0, 0}));
  // Buffer () { 1, 2 } = BufferOp PkgLength BufferSize(2) 1 2
  EXPECT_EQ(aml::buffer({1, 2}), (Bytes{0x11, 0x05, 0x0a, 0x02, 0x01, 0x02}));
}

TEST(AmlTest, SmallResourceDescriptors) {
  Bytes d = aml::ResourceTemplate().io(0x3f8, 0x3f8, 1, 8).irq_no_flags(4).descriptors();
  EXPECT_EQ(d, (Bytes{0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,  // IO (Decode16, ...)
                      0x22, 0x10, 0x00,                                // IRQNoFlags () {4}
                      0x79, 0x00}));                                   // EndTag
}

TEST(AmlTest, LargeResourceDescriptors) {
  Bytes m = aml::ResourceTemplate().memory32_fixed(true, 0xfed00000, 0x400).descriptors();
  EXPECT_EQ(m, (Bytes{0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd0, 0xfe, 0x00, 0x04, 0x00, 0x00, 0x79,
                      0x00}));
  Bytes bus = aml::ResourceTemplate().word_bus_number(0, 0xff).descriptors();
  EXPECT_EQ(bus, (Bytes{0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00,
                        0x00, 0x00, 0x00, 0x01, 0x79, 0x00}));
  Bytes io = aml::ResourceTemplate().word_io(0x0d00, 0xffff).descriptors();
  EXPECT_EQ(io[3], 0x01);   // I/O range
  EXPECT_EQ(io[5], 0x03);   // EntireRange
  EXPECT_EQ(io[14], 0x00);  // length 0xF300
  EXPECT_EQ(io[15], 0xf3);
  Bytes dw = aml::ResourceTemplate().dword_memory(false, 0xc0000000, 0xfebfffff).descriptors();
  ASSERT_EQ(dw.size(), 3 + 23 + 2u);
  EXPECT_EQ(dw[0], 0x87);
  EXPECT_EQ(dw[5], 0x01);   // NonCacheable, ReadWrite
  EXPECT_EQ(dw[22], 0x00);  // length 0x3EC00000, little-endian at offset 22
  EXPECT_EQ(dw[24], 0xc0);
  EXPECT_EQ(dw[25], 0x3e);
  Bytes qw = aml::ResourceTemplate().qword_memory(true, 1ull << 36, (1ull << 37) - 1).descriptors();
  ASSERT_EQ(qw.size(), 3 + 43 + 2u);
  EXPECT_EQ(qw[0], 0x8a);
  EXPECT_EQ(qw[5], 0x03);  // Cacheable, ReadWrite
}

}  // namespace
}  // namespace rwd

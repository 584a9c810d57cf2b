// SPDX-License-Identifier: MIT
// SMBIOS tests: the entry point's checksums and fields, a structure walk that reaches type 127
// with the advertised count and maximum size, the type 0/1/2 values and -smbios overrides,
// memory sizes in types 16/17/19, byte-for-byte determinism, and parser errors.
#include "devices/acpi/smbios.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace rwd {
namespace {

constexpr uint32_t kTableAddress = 0xf1000;
constexpr uint64_t kGiB = 1ull << 30;

SmbiosConfig base_config() {
  SmbiosConfig c;
  c.cpu_count = 2;
  c.cpuid_signature = 0x000006fb;  // Core 2 Duo (Merom)
  c.cpuid_features = 0xbfebfbff;
  c.ram_size = 20 * kGiB;
  c.memory_ranges = {{0, 2 * kGiB}, {4 * kGiB, 18 * kGiB}};
  return c;
}

uint16_t le16(const uint8_t* p) {
  return uint16_t(p[0] | p[1] << 8);
}
uint32_t le32(const uint8_t* p) {
  return uint32_t(le16(p)) | uint32_t(le16(p + 2)) << 16;
}
uint64_t le64(const uint8_t* p) {
  return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32;
}

struct Parsed {
  const uint8_t* formatted;
  std::vector<std::string> strings;
  std::string str(unsigned field_offset) const {
    uint8_t index = formatted[field_offset];
    return index ? strings.at(index - 1) : std::string();
  }
};

// Walks the table as dmidecode does; fails the test on malformed structures. The results point
// into t.table, so `t` must outlive them.
std::vector<Parsed> walk(const SmbiosTables& t, size_t* max_size = nullptr) {
  std::vector<Parsed> out;
  const std::vector<uint8_t>& b = t.table;
  size_t pos = 0, largest = 0;
  while (pos < b.size()) {
    size_t start = pos;
    EXPECT_LE(pos + 4, b.size());
    Parsed p{&b[pos], {}};
    uint8_t length = b[pos + 1];
    EXPECT_GE(length, 4);
    pos += length;
    if (b[pos] == 0 && b[pos + 1] == 0) {
      pos += 2;  // empty string set
    } else {
      while (b[pos] != 0) {
        std::string s(reinterpret_cast<const char*>(&b[pos]));
        p.strings.push_back(s);
        pos += s.size() + 1;
      }
      pos += 1;
    }
    largest = std::max(largest, pos - start);
    out.push_back(p);
    if (p.formatted[0] == 127) break;
  }
  EXPECT_EQ(pos, b.size());
  if (max_size) *max_size = largest;
  return out;
}

std::multimap<int, Parsed> by_type(const std::vector<Parsed>& all) {
  std::multimap<int, Parsed> m;
  for (const Parsed& p : all) m.emplace(p.formatted[0], p);
  return m;
}

TEST(SmbiosTest, EntryPoint) {
  SmbiosTables t = build_smbios_tables(base_config(), kTableAddress);
  const std::vector<uint8_t>& e = t.entry_point;
  ASSERT_EQ(e.size(), 0x1fu);
  EXPECT_EQ(std::string(e.begin(), e.begin() + 4), "_SM_");
  EXPECT_EQ(std::string(e.begin() + 0x10, e.begin() + 0x15), "_DMI_");
  uint8_t sum = 0, intermediate = 0;
  for (size_t i = 0; i < e.size(); ++i) sum = uint8_t(sum + e[i]);
  for (size_t i = 0x10; i < e.size(); ++i) intermediate = uint8_t(intermediate + e[i]);
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(intermediate, 0);
  EXPECT_EQ(e[5], 0x1f);
  EXPECT_EQ(e[6], 2);
  EXPECT_EQ(e[7], 8);
  EXPECT_EQ(e[0x1e], 0x28);
  EXPECT_EQ(le16(&e[0x16]), t.table.size());
  EXPECT_EQ(le32(&e[0x18]), kTableAddress);
  EXPECT_EQ(le16(&e[0x1c]), t.structure_count);
  EXPECT_EQ(le16(&e[8]), t.max_structure_size);
}

TEST(SmbiosTest, WalkReachesEndWithAdvertisedCount) {
  SmbiosTables t = build_smbios_tables(base_config(), kTableAddress);
  size_t largest = 0;
  std::vector<Parsed> all = walk(t, &largest);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().formatted[0], 127);
  EXPECT_EQ(all.size(), t.structure_count);
  EXPECT_EQ(largest, t.max_structure_size);
  // 0, 1, 2, 3, 4 ×2 (one socket per CPU by default), 16, 17 ×2, 19 ×2, 32, 127.
  std::vector<int> types;
  for (const Parsed& p : all) types.push_back(p.formatted[0]);
  EXPECT_EQ(types, (std::vector<int>{0, 1, 2, 3, 4, 4, 16, 17, 17, 19, 19, 32, 127}));
}

TEST(SmbiosTest, DefaultValues) {
  SmbiosTables t = build_smbios_tables(base_config(), kTableAddress);
  auto m = by_type(walk(t));
  const Parsed& bios = m.find(0)->second;
  EXPECT_EQ(bios.str(4), "rewind");
  EXPECT_EQ(le64(bios.formatted + 0x0a), 0x08u);
  EXPECT_EQ(bios.formatted[0x13], 0x14);
  const Parsed& system = m.find(1)->second;
  EXPECT_EQ(system.formatted[1], 0x1b);
  EXPECT_EQ(system.str(4), "rewind");
  EXPECT_EQ(system.str(5), "rewind PC (Q35)");
  EXPECT_EQ(system.str(7), "");                                           // no serial by default
  for (int i = 8; i < 0x18; ++i) EXPECT_EQ(system.formatted[i], 0) << i;  // UUID all zero
  EXPECT_EQ(system.formatted[0x18], 0x06);
  const Parsed& board = m.find(2)->second;
  EXPECT_EQ(board.formatted[1], 0x0f);
  EXPECT_EQ(board.str(4), "rewind");
  EXPECT_EQ(board.formatted[0x0d], 0x0a);          // motherboard
  EXPECT_EQ(le16(board.formatted + 0x0b), 0x300);  // chassis handle
  EXPECT_EQ(le16(m.find(3)->second.formatted + 2), 0x300);
  auto cpus = m.equal_range(4);
  unsigned socket = 0;
  for (auto it = cpus.first; it != cpus.second; ++it, ++socket) {
    const Parsed& p = it->second;
    EXPECT_EQ(p.str(4), "CPU " + std::to_string(socket));
    EXPECT_EQ(p.formatted[5], 0x03);
    EXPECT_EQ(p.str(7), "GenuineIntel");
    EXPECT_EQ(le32(p.formatted + 8), 0x6fbu);
    EXPECT_EQ(le32(p.formatted + 12), 0xbfebfbffu);
    EXPECT_EQ(p.formatted[0x18], 0x41);
    EXPECT_EQ(p.formatted[0x23], 1);  // cores
  }
  SmbiosConfig no_board = base_config();
  no_board.baseboard_present = false;
  SmbiosTables t2 = build_smbios_tables(no_board, kTableAddress);
  EXPECT_EQ(by_type(walk(t2)).count(2), 0u);
}

TEST(SmbiosTest, MemorySizesMatchRam) {
  SmbiosTables t = build_smbios_tables(base_config(), kTableAddress);
  auto m = by_type(walk(t));
  const Parsed& array = m.find(16)->second;
  EXPECT_EQ(le32(array.formatted + 7), 20u * 1024 * 1024);  // KiB
  EXPECT_EQ(le16(array.formatted + 0x0d), 2);
  auto dimms = m.equal_range(17);
  std::vector<unsigned> sizes;
  for (auto it = dimms.first; it != dimms.second; ++it) {
    sizes.push_back(le16(it->second.formatted + 0x0c));
    EXPECT_EQ(it->second.formatted[1], 0x28);
  }
  EXPECT_EQ(sizes, (std::vector<unsigned>{16384, 4096}));  // MiB
  auto ranges = m.equal_range(19);
  std::vector<std::pair<uint32_t, uint32_t>> kb;
  for (auto it = ranges.first; it != ranges.second; ++it) {
    kb.emplace_back(le32(it->second.formatted + 4), le32(it->second.formatted + 8));
  }
  ASSERT_EQ(kb.size(), 2u);
  EXPECT_EQ(kb[0], std::make_pair(0u, 2u * 1024 * 1024 - 1));
  EXPECT_EQ(kb[1], std::make_pair(4u * 1024 * 1024, 22u * 1024 * 1024 - 1));
  // A range beyond 4 TiB uses the extended (byte) addresses.
  SmbiosConfig big = base_config();
  big.memory_ranges = {{8ull << 40, kGiB}};
  SmbiosTables t2 = build_smbios_tables(big, kTableAddress);
  auto m2 = by_type(walk(t2));
  const Parsed& r = m2.find(19)->second;
  EXPECT_EQ(le32(r.formatted + 4), 0xffffffffu);
  EXPECT_EQ(le64(r.formatted + 0x0f), 8ull << 40);
  EXPECT_EQ(le64(r.formatted + 0x17), (8ull << 40) + kGiB - 1);
}

TEST(SmbiosTest, SameConfigSameBytes) {
  SmbiosTables a = build_smbios_tables(base_config(), kTableAddress);
  SmbiosTables b = build_smbios_tables(base_config(), kTableAddress);
  EXPECT_EQ(a.table, b.table);
  EXPECT_EQ(a.entry_point, b.entry_point);
}

TEST(SmbiosTest, OverridesApplied) {
  SmbiosConfig c = base_config();
  std::string error;
  ASSERT_TRUE(
      parse_smbios_option("type=1,manufacturer=Apple Inc.,product=iMac12,,2,serial=C02,"
                          "uuid=00112233-4455-6677-8899-aabbccddeeff,sku=S,family=iMac",
                          &c, &error))
      << error;
  ASSERT_TRUE(
      parse_smbios_option("type=2,manufacturer=Apple Inc.,product=Mac-942B59F58194171B,"
                          "version=1,serial=B,asset=A,location=Part",
                          &c, &error))
      << error;
  ASSERT_TRUE(parse_smbios_option("type=0,vendor=Apple,version=IM121,date=01/24/2012,release=1.2",
                                  &c, &error))
      << error;
  SmbiosTables t = build_smbios_tables(c, kTableAddress);
  auto m = by_type(walk(t));
  const Parsed& system = m.find(1)->second;
  EXPECT_EQ(system.str(4), "Apple Inc.");
  EXPECT_EQ(system.str(5), "iMac12,2");
  EXPECT_EQ(system.str(7), "C02");
  EXPECT_EQ(system.str(0x19), "S");
  EXPECT_EQ(system.str(0x1a), "iMac");
  const uint8_t wire_uuid[16] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(system.formatted[8 + i], wire_uuid[i]) << i;
  const Parsed& board = m.find(2)->second;
  EXPECT_EQ(board.str(5), "Mac-942B59F58194171B");
  EXPECT_EQ(board.str(8), "A");
  EXPECT_EQ(board.str(0x0a), "Part");
  const Parsed& bios = m.find(0)->second;
  EXPECT_EQ(bios.str(4), "Apple");
  EXPECT_EQ(bios.str(8), "01/24/2012");
  EXPECT_EQ(bios.formatted[0x14], 1);
  EXPECT_EQ(bios.formatted[0x15], 2);
}

TEST(SmbiosTest, BareType2IsAccepted) {
  SmbiosConfig c = base_config();
  c.baseboard_present = false;
  std::string error;
  ASSERT_TRUE(parse_smbios_option("type=2", &c, &error)) << error;
  EXPECT_TRUE(c.baseboard_present);
}

TEST(SmbiosTest, ParserErrors) {
  SmbiosConfig c = base_config();
  std::string error;
  EXPECT_FALSE(parse_smbios_option("type=11,value=x", &c, &error));
  EXPECT_NE(error.find("type=11"), std::string::npos) << error;
  EXPECT_FALSE(parse_smbios_option("type=1,manufacturer=X,colour=red,size=9", &c, &error));
  EXPECT_NE(error.find("'colour'"), std::string::npos) << error;
  EXPECT_NE(error.find("'size'"), std::string::npos) << error;
  EXPECT_EQ(c.system_manufacturer, "rewind");  // unchanged on error
  EXPECT_FALSE(parse_smbios_option("manufacturer=X", &c, &error));
  EXPECT_NE(error.find("missing type"), std::string::npos) << error;
  EXPECT_FALSE(parse_smbios_option("type=1,uuid=not-a-uuid", &c, &error));
  EXPECT_FALSE(parse_smbios_option("type=2,location", &c, &error));
  EXPECT_FALSE(parse_smbios_option("file=/tmp/x.bin", &c, &error));
  EXPECT_FALSE(parse_smbios_option("type=0,release=300.1", &c, &error));
  EXPECT_FALSE(parse_smbios_option("type=0,serial=1", &c, &error));  // type 1's key, not 0's
  std::array<uint8_t, 16> uuid{};
  EXPECT_TRUE(parse_uuid("00112233445566778899AABBCCDDEEFF", &uuid));
  EXPECT_EQ(uuid[15], 0xff);
}

// dmidecode (if installed) decodes a dump: its --dump-bin format is the entry point at file
// offset 0 and the table at the address the entry point names, here 32.
TEST(SmbiosTest, DmidecodeAcceptsTheTables) {
  if (std::system("command -v dmidecode >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "dmidecode not installed";
  }
  SmbiosTables t = build_smbios_tables(base_config(), 32);
  std::string path = testing::TempDir() + "rewind_smbios_test.bin";
  {
    std::ofstream f(path, std::ios::binary);
    std::vector<uint8_t> image(32, 0);
    std::copy(t.entry_point.begin(), t.entry_point.end(), image.begin());
    image.insert(image.end(), t.table.begin(), t.table.end());
    f.write(reinterpret_cast<const char*>(image.data()), std::streamsize(image.size()));
  }
  std::string out;
  FILE* p = popen(("dmidecode --from-dump " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  for (const char* expected :
       {"SMBIOS 2.8 present.", "13 structures occupying", "Base Board Information",
        "Product Name: rewind PC (Q35)", "Size: 16 GB", "Range Size: 18 GB", "End Of Table"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
  for (const char* bad : {"Invalid", "invalid", "Wrong", "wrong", "Bad", "<OUT OF SPEC>"}) {
    EXPECT_EQ(out.find(bad), std::string::npos) << bad << "\n" << out;
  }
}

}  // namespace
}  // namespace rwd

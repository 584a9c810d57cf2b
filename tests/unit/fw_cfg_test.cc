// SPDX-License-Identifier: MIT
// fw_cfg unit tests: signature, feature ID and standard items through the data port; the file
// directory (big-endian, sorted by name) and files through both the data port and DMA; DMA
// skip, select, reads past the end, refused writes, descriptors and buffers outside RAM (error
// bit, never a crash); and save → restore → compare.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "devices/fw_cfg.h"

namespace rwd {
namespace {

constexpr uint64_t kRamSize = 0x10000;

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

struct FwCfgFixture {
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize, 0xaa);
  unsigned dma_calls = 0;
  FwCfg fw;

  static std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

  FwCfgFixture()
      : fw(FwCfg::Config{.ram_size = 0x80000000, .cpus = 2, .max_cpus = 4},
           [this](uint64_t addr, void* buf, size_t len, bool write) {
             dma_calls++;
             // What the Machine does: all of [addr, addr + len) must be RAM.
             if (addr > kRamSize || len > kRamSize - addr) return false;
             if (write)
               std::memcpy(ram.data() + addr, buf, len);
             else
               std::memcpy(buf, ram.data() + addr, len);
             return true;
           }) {
    fw.add_file("etc/e820", bytes("E820-TABLE"));
    fw.add_file("bootorder", bytes("/pci@i0cf8/\n"));
    fw.add_file("etc/acpi/tables", bytes("DSDT..."));
  }
  void select(uint16_t key) { fw.port_write(0x510, 2, key); }
  std::vector<uint8_t> read(size_t n) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < n; i++) out.push_back(uint8_t(fw.port_read(0x511, 1)));
    return out;
  }
  void put_descriptor(uint64_t at, uint32_t control, uint32_t length, uint64_t address) {
    for (int i = 0; i < 4; i++) ram[at + i] = uint8_t(control >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) ram[at + 4 + i] = uint8_t(length >> (24 - 8 * i));
    for (int i = 0; i < 8; i++) ram[at + 8 + i] = uint8_t(address >> (56 - 8 * i));
  }
  // As Linux and OVMF do: outl(cpu_to_be32(high), 0x514); outl(cpu_to_be32(low), 0x518).
  void start_dma(uint64_t descriptor) {
    fw.port_write(0x514, 4, __builtin_bswap32(uint32_t(descriptor >> 32)));
    fw.port_write(0x518, 4, __builtin_bswap32(uint32_t(descriptor)));
  }
  uint32_t control_at(uint64_t at) { return be32(ram.data() + at); }
};

TEST(FwCfg, SignatureIdAndStandardItemsThroughDataPort) {
  FwCfgFixture f;
  f.select(FwCfg::kSignature);
  EXPECT_EQ(f.read(5), (std::vector<uint8_t>{'Q', 'E', 'M', 'U', 0}));  // 0 past the end
  f.select(FwCfg::kSignature);
  EXPECT_EQ(f.fw.port_read(0x510, 1), uint32_t('Q'));  // byte reads at 0x510 read data too
  EXPECT_EQ(f.fw.port_read(0x511, 1), uint32_t('E'));
  f.select(FwCfg::kId);
  EXPECT_EQ(f.read(4), (std::vector<uint8_t>{3, 0, 0, 0}));  // traditional | DMA
  f.select(FwCfg::kRamSize);
  EXPECT_EQ(f.read(8), (std::vector<uint8_t>{0, 0, 0, 0x80, 0, 0, 0, 0}));
  f.select(FwCfg::kNbCpus);
  EXPECT_EQ(f.read(2), (std::vector<uint8_t>{2, 0}));
  f.select(FwCfg::kMaxCpus);
  EXPECT_EQ(f.read(2), (std::vector<uint8_t>{4, 0}));
  // Absent items read 0; the write-channel bit selects the same item.
  f.select(0x1ff);
  EXPECT_EQ(f.read(2), (std::vector<uint8_t>{0, 0}));
  f.select(FwCfg::kSignature | FwCfg::kWriteChannel);
  EXPECT_EQ(f.read(1), (std::vector<uint8_t>{'Q'}));
  // Data writes are ignored (QEMU >= 2.4).
  f.fw.port_write(0x511, 1, 'X');
  EXPECT_EQ(f.read(1), (std::vector<uint8_t>{'E'}));
  // The selector is write-only; the DMA register reads as "QEMU CFG".
  EXPECT_EQ(f.fw.port_read(0x510, 2), 0xffffu);
  EXPECT_EQ(f.fw.port_read(0x514, 4), 0x554d4551u);  // bytes 'Q' 'E' 'M' 'U'
  EXPECT_EQ(f.fw.port_read(0x518, 4), 0x47464320u);  // bytes ' ' 'C' 'F' 'G'
  EXPECT_EQ(f.fw.port_read(0x51b, 1), uint32_t('G'));
}

TEST(FwCfg, ArbitraryItems) {
  FwCfgFixture f;
  f.fw.set_item_u32(FwCfg::kKernelSize, 0x123456);
  f.fw.set_item(FwCfg::kCmdlineData, FwCfgFixture::bytes(std::string("console=ttyS0\0", 14)));
  f.fw.set_item_u32(FwCfg::kIrq0Override, 1);
  f.select(FwCfg::kKernelSize);
  EXPECT_EQ(f.read(4), (std::vector<uint8_t>{0x56, 0x34, 0x12, 0}));
  f.select(FwCfg::kCmdlineData);
  EXPECT_EQ(f.read(8), FwCfgFixture::bytes("console="));
  f.select(FwCfg::kIrq0Override);
  EXPECT_EQ(f.read(4), (std::vector<uint8_t>{1, 0, 0, 0}));
}

TEST(FwCfg, FileDirectoryIsSortedAndBigEndian) {
  FwCfgFixture f;
  f.select(FwCfg::kFileDir);
  const std::vector<uint8_t> dir = f.read(4 + 3 * 64);
  ASSERT_EQ(be32(dir.data()), 3u);
  const char* names[] = {"bootorder", "etc/acpi/tables", "etc/e820"};
  const uint32_t sizes[] = {12, 7, 10};
  for (unsigned i = 0; i < 3; i++) {
    const uint8_t* e = dir.data() + 4 + 64 * i;
    EXPECT_EQ(be32(e), sizes[i]);
    EXPECT_EQ(unsigned(e[4] << 8 | e[5]), 0x20u + i);  // select, renumbered in name order
    EXPECT_EQ(unsigned(e[6] << 8 | e[7]), 0u);
    EXPECT_STREQ(reinterpret_cast<const char*>(e + 8), names[i]);
    EXPECT_EQ(e[63], 0);
  }
  EXPECT_EQ(f.fw.file_key("etc/e820"), 0x22);
  EXPECT_EQ(f.fw.file_key("nope"), std::nullopt);
  f.select(0x22);
  EXPECT_EQ(f.read(10), FwCfgFixture::bytes("E820-TABLE"));
  // Replacing a file keeps the directory consistent.
  f.fw.add_file("etc/e820", FwCfgFixture::bytes("XY"));
  f.select(FwCfg::kFileDir);
  const std::vector<uint8_t> dir2 = f.read(4 + 3 * 64);
  EXPECT_EQ(be32(dir2.data()), 3u);
  EXPECT_EQ(be32(dir2.data() + 4 + 128), 2u);
  f.select(0x23);
  EXPECT_EQ(f.read(1), (std::vector<uint8_t>{0}));  // no fourth file
}

TEST(FwCfg, DmaReadSelectSkipAndPastEnd) {
  FwCfgFixture f;
  // Read the directory's count with SELECT | READ.
  f.put_descriptor(0x1000, uint32_t(FwCfg::kFileDir) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 4,
                   0x2000);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), 0u);  // done, no error
  EXPECT_EQ(be32(f.ram.data() + 0x2000), 3u);
  // The offset continues: skip the first entry's size/select/reserved, read its name.
  f.put_descriptor(0x1000, FwCfg::kDmaSkip, 8, 0);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), 0u);
  f.put_descriptor(0x1000, FwCfg::kDmaRead, 10, 0x3000);
  f.start_dma(0x1000);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.ram.data() + 0x3000)), "bootorder");
  // A file by key, reading past its end: the rest is zero-filled.
  const uint16_t key = *f.fw.file_key("etc/e820");
  f.put_descriptor(0x1000, uint32_t(key) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 16, 0x4000);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), 0u);
  EXPECT_EQ(std::memcmp(f.ram.data() + 0x4000, "E820-TABLE\0\0\0\0\0\0", 16), 0);
  EXPECT_EQ(f.ram[0x4010], 0xaa);  // nothing beyond the length
  // The data port continues from where DMA stopped.
  EXPECT_EQ(f.read(1), (std::vector<uint8_t>{0}));
  // Control with none of READ/WRITE/SKIP: length is ignored, success.
  f.put_descriptor(0x1000, 0, 100, 0x5000);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), 0u);
  EXPECT_EQ(f.ram[0x5000], 0xaa);
}

TEST(FwCfg, DmaWritesAreRefused) {
  FwCfgFixture f;
  f.put_descriptor(0x1000, uint32_t(FwCfg::kSignature) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaWrite,
                   4, 0x2000);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), FwCfg::kDmaError);
  f.select(FwCfg::kSignature);
  EXPECT_EQ(f.read(4), FwCfgFixture::bytes("QEMU"));
}

TEST(FwCfg, DmaOutsideRamSetsErrorAndNeverCrashes) {
  FwCfgFixture f;
  // Buffer outside RAM.
  f.put_descriptor(0x1000, uint32_t(FwCfg::kFileDir) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 4,
                   0xfffff000);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), FwCfg::kDmaError);
  // Buffer straddling the end of RAM.
  f.put_descriptor(0x1000, uint32_t(FwCfg::kFileDir) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 8,
                   kRamSize - 4);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), FwCfg::kDmaError);
  EXPECT_EQ(f.ram[kRamSize - 1], 0xaa);
  // Buffer wrapping around 2^64.
  f.put_descriptor(0x1000, uint32_t(FwCfg::kFileDir) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead,
                   0x100, ~0ull - 0x10);
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), FwCfg::kDmaError);
  // Zero fill past an item's end, outside RAM, with a huge length: one failed chunk, then stop.
  f.put_descriptor(0x1000, uint32_t(0x1ff) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 0xffffffff,
                   0x100000000ull);
  f.dma_calls = 0;
  f.start_dma(0x1000);
  EXPECT_EQ(f.control_at(0x1000), FwCfg::kDmaError);
  EXPECT_LE(f.dma_calls, 3u);
  // The descriptor itself outside RAM (and near the top of the address space).
  f.start_dma(0x123456789ull);
  f.start_dma(~0ull - 4);
  // Nothing changed in RAM we can see, and the device still works.
  f.select(FwCfg::kSignature);
  EXPECT_EQ(f.read(4), FwCfgFixture::bytes("QEMU"));
}

TEST(FwCfg, DmaAddressRegisterHalves) {
  FwCfgFixture f;
  f.put_descriptor(0x1000, uint32_t(FwCfg::kSignature) << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead,
                   4, 0x2000);
  // The high half is replaced by each high write; a stale high half would send the transfer
  // elsewhere.
  f.fw.port_write(0x514, 4, __builtin_bswap32(0x1));
  f.fw.port_write(0x514, 4, 0);
  EXPECT_EQ(f.fw.save().dma_address, 0u);
  f.fw.port_write(0x518, 4, __builtin_bswap32(0x1000));
  EXPECT_EQ(f.control_at(0x1000), 0u);
  EXPECT_EQ(std::memcmp(f.ram.data() + 0x2000, "QEMU", 4), 0);
  EXPECT_EQ(f.fw.save().dma_address, 0u);  // reset before the next access
}

TEST(FwCfg, SaveRestore) {
  FwCfgFixture f;
  f.select(*f.fw.file_key("bootorder"));
  f.read(3);
  f.fw.port_write(0x514, 4, 0);  // a DMA half-written at the snapshot
  const FwCfg::State saved = f.fw.save();

  FwCfgFixture g;  // items rebuilt identically from the configuration
  g.fw.restore(saved);
  const FwCfg::State restored = g.fw.save();
  EXPECT_EQ(std::memcmp(&restored, &saved, sizeof saved), 0);
  EXPECT_EQ(g.read(4), f.read(4));
  g.put_descriptor(0x1000, FwCfg::kDmaRead, 5, 0x2000);
  f.put_descriptor(0x1000, FwCfg::kDmaRead, 5, 0x2000);
  g.fw.port_write(0x518, 4, __builtin_bswap32(0x1000));
  f.fw.port_write(0x518, 4, __builtin_bswap32(0x1000));
  EXPECT_EQ(g.ram, f.ram);
  const FwCfg::State fs = f.fw.save(), gs = g.fw.save();
  EXPECT_EQ(std::memcmp(&fs, &gs, sizeof fs), 0);
}

}  // namespace
}  // namespace rwd

// SPDX-License-Identifier: MIT
// The Linux boot protocol loader (devices/loader/linux.cc) on synthetic bzImage-shaped buffers:
// where the kernel, initrd and command line land, the boot_params fields Linux reads, the 64-bit
// entry state (walking the page tables the loader built), and each refusal. The last test parses
// the real Debian kernel when samples/linux/build-guest.sh has been run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "devices/loader/linux.h"

namespace rwd {
namespace {

using namespace linux_boot;

constexpr uint64_t kMiB = 1 << 20;

template <typename T>
void put(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(&b[off], &v, sizeof v);
}

// A bzImage as the kernel's build lays it out: boot sector + setup sectors, then the
// protected-mode kernel. Defaults mirror Debian's 6.1 kernel (protocol 2.15, relocatable,
// pref_address 16 MiB, 2 MiB alignment).
struct FakeKernel {
  uint8_t setup_sects = 3;
  uint16_t version = 0x20f;
  uint8_t loadflags = 0x01;
  uint16_t xloadflags = 0x1;
  uint8_t relocatable = 1;
  uint32_t alignment = 0x200000;
  uint64_t pref_address = 0x1000000;
  uint32_t init_size = 0x400000;
  uint32_t initrd_addr_max = 0x7fffffff;
  uint32_t cmdline_size = 2047;
  size_t payload = 0x3000;

  std::vector<uint8_t> build() const {
    const size_t setup = (setup_sects ? setup_sects + 1 : 5) * 512;
    std::vector<uint8_t> img(setup + payload, 0);
    img[0x1f1] = setup_sects;
    put<uint16_t>(img, 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;  // header ends at 0x26c, as in 6.1
    put<uint32_t>(img, 0x202, 0x53726448);
    put<uint16_t>(img, 0x206, version);
    img[0x211] = loadflags;
    put<uint32_t>(img, 0x214, 0x100000);
    put<uint32_t>(img, 0x22c, initrd_addr_max);
    put<uint32_t>(img, 0x230, alignment);
    img[0x234] = relocatable;
    put<uint16_t>(img, 0x236, xloadflags);
    put<uint32_t>(img, 0x238, cmdline_size);
    put<uint64_t>(img, 0x258, pref_address);
    put<uint32_t>(img, 0x260, init_size);
    for (size_t i = 0; i < payload; i++) img[setup + i] = uint8_t(i * 7 + 1);
    return img;
  }
};

struct Guest {
  std::vector<uint8_t> ram;
  PhysWriter write;
  CpuState cpu;
  std::string error;

  explicit Guest(uint64_t size) : ram(size, 0xcc) {
    write = [this](uint64_t addr, const void* d, size_t n) {
      if (addr + n > ram.size()) return false;
      std::memcpy(&ram[addr], d, n);
      return true;
    };
  }
  template <typename T>
  T at(uint64_t addr) const {
    T v;
    std::memcpy(&v, &ram[addr], sizeof v);
    return v;
  }
  // Translates `linear` through the 4-level tables at CR3, as the MMU would.
  bool translate(uint64_t linear, uint64_t* phys) const {
    uint64_t table = cpu.cr3 & ~0xfffull;
    for (int level = 4; level >= 1; level--) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t e = at<uint64_t>(table + ((linear >> shift) & 511) * 8);
      if (!(e & 1) || !(e & 2)) return false;
      if (level == 1 || (level <= 3 && (e & 0x80))) {
        uint64_t mask = (1ull << shift) - 1;
        *phys = (e & 0x000ffffffffff000ull & ~mask) | (linear & mask);
        return true;
      }
      table = e & 0x000ffffffffff000ull;
    }
    return false;
  }
};

LinuxBootLayout layout_of(uint64_t ram) {
  LinuxBootLayout l;
  l.memory = MemoryLayout{ram, 0};
  l.e820 = default_e820(l.memory);
  return l;
}

TEST(LinuxLoader, RecognisesSetupHeader) {
  EXPECT_TRUE(is_bzimage(FakeKernel{}.build()));
  EXPECT_FALSE(is_bzimage(std::vector<uint8_t>(4096, 0)));
  EXPECT_FALSE(is_bzimage({}));
}

TEST(LinuxLoader, LoadsKernelAtPreferredAddressAndFillsBootParams) {
  Guest g(64 * kMiB);
  FakeKernel k;
  std::vector<uint8_t> image = k.build();
  std::vector<uint8_t> initrd(10000, 0x5a);
  LinuxBootLayout layout = layout_of(64 * kMiB);
  layout.acpi_rsdp_addr = 0xf5a00;
  ASSERT_TRUE(
      load_linux(image, initrd, "console=ttyS0 panic=-1", layout, g.write, &g.cpu, &g.error))
      << g.error;
  // The protected-mode kernel, byte for byte, at pref_address.
  const size_t setup = (k.setup_sects + 1) * 512;
  EXPECT_EQ(std::memcmp(&g.ram[k.pref_address], &image[setup], k.payload), 0);

  const uint64_t bp = kBootParamsAddr;
  EXPECT_EQ(g.at<uint32_t>(bp + 0x202), 0x53726448u);  // setup header copied
  EXPECT_EQ(g.at<uint16_t>(bp + 0x206), k.version);
  EXPECT_EQ(g.at<uint8_t>(bp + 0x210), 0xff);  // type_of_loader
  EXPECT_EQ(g.at<uint8_t>(bp + 0x211), 0x81);  // LOADED_HIGH | CAN_USE_HEAP
  EXPECT_EQ(g.at<uint8_t>(bp + 0x1ef), 0);     // sentinel
  EXPECT_EQ(g.at<uint32_t>(bp + 0x228), kCmdlineAddr);
  EXPECT_EQ(g.at<uint32_t>(bp + 0x0c8), 0u);
  EXPECT_STREQ(reinterpret_cast<const char*>(&g.ram[kCmdlineAddr]), "console=ttyS0 panic=-1");
  EXPECT_EQ(g.at<uint64_t>(bp + 0x070), 0xf5a00u);  // acpi_rsdp_addr
  // Nothing past the header's end (0x26c) comes from the image.
  EXPECT_EQ(g.at<uint32_t>(bp + 0x26c), 0u);

  // The initrd: page-aligned, as high as RAM allows, intact.
  const uint32_t rd = g.at<uint32_t>(bp + 0x218);
  EXPECT_EQ(g.at<uint32_t>(bp + 0x21c), initrd.size());
  EXPECT_EQ(rd % 4096, 0u);
  EXPECT_LE(rd + initrd.size(), 64 * kMiB);
  EXPECT_GT(rd + initrd.size(), 64 * kMiB - 4096);
  EXPECT_EQ(g.ram[rd], 0x5a);
  EXPECT_EQ(g.ram[rd + initrd.size() - 1], 0x5a);
  EXPECT_EQ(g.at<uint32_t>(bp + 0x0c0), 0u);

  // The e820 table, packed 20-byte entries.
  ASSERT_EQ(g.at<uint8_t>(bp + 0x1e8), layout.e820.size());
  for (size_t i = 0; i < layout.e820.size(); i++) {
    EXPECT_EQ(g.at<uint64_t>(bp + 0x2d0 + i * 20), layout.e820[i].addr);
    EXPECT_EQ(g.at<uint64_t>(bp + 0x2d0 + i * 20 + 8), layout.e820[i].size);
    EXPECT_EQ(g.at<uint32_t>(bp + 0x2d0 + i * 20 + 16), layout.e820[i].type);
  }
  EXPECT_EQ(g.at<uint64_t>(bp + 0x2d0 + 3 * 20), kMiB);
  EXPECT_EQ(g.at<uint64_t>(bp + 0x2d0 + 3 * 20 + 8), 63 * kMiB);
}

TEST(LinuxLoader, EntersInLongModeWithIdentityMapAndBootSegments) {
  Guest g(64 * kMiB);
  FakeKernel k;
  ASSERT_TRUE(load_linux(k.build(), {}, "", layout_of(64 * kMiB), g.write, &g.cpu, &g.error))
      << g.error;
  const CpuState& s = g.cpu;
  EXPECT_EQ(s.rip, k.pref_address + 0x200);
  EXPECT_EQ(s.gpr[kRsi], kBootParamsAddr);
  EXPECT_EQ(s.rflags, flags::kFixed1);  // IF clear
  EXPECT_TRUE(s.cr0 & cr0::kPe);
  EXPECT_TRUE(s.cr0 & cr0::kPg);
  EXPECT_TRUE(s.cr4 & cr4::kPae);
  EXPECT_EQ(s.efer & (efer::kLme | efer::kLma | efer::kSce), efer::kLme | efer::kLma);
  // No initrd: the fields say so.
  EXPECT_EQ(g.at<uint32_t>(kBootParamsAddr + 0x218), 0u);
  EXPECT_EQ(g.at<uint32_t>(kBootParamsAddr + 0x21c), 0u);

  // Identity mapping of the kernel's init_size range, boot_params, the command line, the GDT
  // and the top of the first 4 GiB.
  for (uint64_t a :
       {k.pref_address, k.pref_address + 0x200, k.pref_address + k.init_size - 1, kBootParamsAddr,
        kCmdlineAddr + 5, kGdtAddr, uint64_t(0xfee00000), uint64_t(0xffffffff)}) {
    uint64_t phys = 0;
    ASSERT_TRUE(g.translate(a, &phys)) << std::hex << a;
    EXPECT_EQ(phys, a);
  }
  uint64_t phys;
  EXPECT_FALSE(g.translate(1ull << 32, &phys));

  // GDT: __BOOT_CS 64-bit execute/read, __BOOT_DS read/write, both flat, present, DPL 0.
  ASSERT_GE(s.gdtr.limit, kBootDs + 7);
  const uint64_t cs = g.at<uint64_t>(s.gdtr.base + kBootCs);
  const uint64_t ds = g.at<uint64_t>(s.gdtr.base + kBootDs);
  EXPECT_EQ((cs >> 40) & 0xff, 0x9bu);  // present, code, execute/read (accessed)
  EXPECT_EQ((cs >> 52) & 0xf, 0xau);    // G, L (and not D)
  EXPECT_EQ((ds >> 40) & 0xff, 0x93u);  // present, data, read/write
  EXPECT_EQ((ds >> 52) & 0xf, 0xcu);    // G, D/B
  for (uint64_t d : {cs, ds}) {
    EXPECT_EQ((d & 0xffff) | ((d >> 32) & 0xf0000), 0xfffffu);         // limit
    EXPECT_EQ(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000), 0u);  // base
  }
  // The hidden parts agree with the descriptors.
  EXPECT_EQ(s.seg[kCs].selector, kBootCs);
  EXPECT_EQ(s.seg[kCs].attributes, uint16_t((cs >> 40) & 0xf0ff));
  EXPECT_TRUE(s.seg[kCs].long_mode());
  for (SegReg r : {kDs, kEs, kSs}) {
    EXPECT_EQ(s.seg[r].selector, kBootDs);
    EXPECT_EQ(s.seg[r].attributes, uint16_t((ds >> 40) & 0xf0ff));
    EXPECT_EQ(s.seg[r].base, 0u);
    EXPECT_EQ(s.seg[r].limit, 0xffffffffu);
  }
  EXPECT_EQ(s.cpl, 0);
}

TEST(LinuxLoader, InitrdStaysBelowLimitAndOutOfReservedAndKernel) {
  Guest g(128 * kMiB);
  FakeKernel k;
  k.initrd_addr_max = 0x03ffffff;  // 64 MiB
  LinuxBootLayout layout = layout_of(128 * kMiB);
  std::vector<uint8_t> initrd(3 * kMiB + 123, 1);
  ASSERT_TRUE(load_linux(k.build(), initrd, "", layout, g.write, &g.cpu, &g.error)) << g.error;
  uint32_t rd = g.at<uint32_t>(kBootParamsAddr + 0x218);
  EXPECT_EQ(rd % 4096, 0u);
  EXPECT_LE(rd + initrd.size(), 64 * kMiB);
  EXPECT_GT(rd + initrd.size(), 64 * kMiB - 4096);

  // ACPI tables at the top of low RAM (type 3) push it down; so does the kernel's init region.
  layout.e820.back().size -= 0x30000;
  layout.e820.push_back({128 * kMiB - 0x30000, 0x30000, e820::kAcpi});
  k.initrd_addr_max = 0xffffffff;
  ASSERT_TRUE(load_linux(k.build(), initrd, "", layout, g.write, &g.cpu, &g.error)) << g.error;
  rd = g.at<uint32_t>(kBootParamsAddr + 0x218);
  EXPECT_LE(rd + initrd.size(), 128 * kMiB - 0x30000);

  // Only the space below the kernel is left: 16 MiB - 1 MiB of low RAM, then 24 MiB.
  Guest small(24 * kMiB);
  k.init_size = 8 * kMiB;
  std::vector<uint8_t> rd12(12 * kMiB, 2);
  ASSERT_TRUE(
      load_linux(k.build(), rd12, "", layout_of(24 * kMiB), small.write, &small.cpu, &small.error))
      << small.error;
  rd = small.at<uint32_t>(kBootParamsAddr + 0x218);
  EXPECT_GE(rd, kMiB);
  EXPECT_LE(rd + rd12.size(), k.pref_address);
}

TEST(LinuxLoader, NonRelocatableKernelLoadsAtCode32Start) {
  Guest g(64 * kMiB);
  FakeKernel k;
  k.relocatable = 0;
  ASSERT_TRUE(load_linux(k.build(), {}, "", layout_of(64 * kMiB), g.write, &g.cpu, &g.error))
      << g.error;
  EXPECT_EQ(g.cpu.rip, 0x100200u);
  EXPECT_EQ(g.ram[0x100000], 1);
}

TEST(LinuxLoader, AlignsPreferredAddressAndDefaultsSetupSects) {
  Guest g(64 * kMiB);
  FakeKernel k;
  k.pref_address = 0x1100000;  // not 2 MiB-aligned: rounded up to 0x1200000
  k.setup_sects = 0;           // means 4
  ASSERT_TRUE(load_linux(k.build(), {}, "", layout_of(64 * kMiB), g.write, &g.cpu, &g.error))
      << g.error;
  EXPECT_EQ(g.cpu.rip, 0x1200200u);
  EXPECT_EQ(g.ram[0x1200000], 1);
}

}  // namespace
}  // namespace rwd

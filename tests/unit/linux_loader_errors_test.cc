// SPDX-License-Identifier: MIT
// The Linux loader's refusals (each one a message naming what is missing, never a crash), and
// the real Debian kernel's header when samples/linux/build-guest.sh has produced it.
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

// A minimal valid image (see linux_loader_test.cc for the annotated version).
std::vector<uint8_t> image(uint16_t version = 0x20f, uint8_t loadflags = 1, uint16_t xloadflags = 1,
                           uint32_t init_size = 0x400000) {
  std::vector<uint8_t> img(4 * 512 + 0x1000, 0x90);
  img[0x1f1] = 3;
  img[0x201] = 0x6a;
  uint32_t magic = 0x53726448, align = 0x200000, cmdline_size = 255;
  uint64_t pref = 0x1000000;
  std::memcpy(&img[0x202], &magic, 4);
  std::memcpy(&img[0x206], &version, 2);
  img[0x211] = loadflags;
  std::memcpy(&img[0x230], &align, 4);
  img[0x234] = 1;
  std::memcpy(&img[0x236], &xloadflags, 2);
  std::memcpy(&img[0x238], &cmdline_size, 4);
  std::memcpy(&img[0x258], &pref, 8);
  std::memcpy(&img[0x260], &init_size, 4);
  return img;
}

struct Result {
  bool ok;
  std::string error;
};

Result load(const std::vector<uint8_t>& img, uint64_t ram_size = 64 * kMiB,
            const std::vector<uint8_t>& initrd = {}, const std::string& cmdline = "",
            std::vector<E820Entry> map = {}) {
  std::vector<uint8_t> ram(ram_size);
  PhysWriter write = [&](uint64_t addr, const void* d, size_t n) {
    if (addr + n > ram.size()) return false;
    std::memcpy(&ram[addr], d, n);
    return true;
  };
  LinuxBootLayout layout{MemoryLayout{ram_size, 0}, std::move(map), std::nullopt};
  CpuState cpu;
  Result r;
  r.ok = load_linux(img, initrd, cmdline, layout, write, &cpu, &r.error);
  return r;
}

bool mentions(const Result& r, const char* what) {
  return !r.ok && r.error.find(what) != std::string::npos;
}

TEST(LinuxLoaderErrors, AcceptsTheBaseImage) {
  EXPECT_TRUE(load(image()).ok) << load(image()).error;
}

TEST(LinuxLoaderErrors, NotAKernel) {
  EXPECT_TRUE(mentions(load({}), "HdrS"));
  EXPECT_TRUE(mentions(load(std::vector<uint8_t>(8192, 0)), "HdrS"));
  std::vector<uint8_t> truncated = image();
  truncated.resize(0x250);  // header cut short
  EXPECT_TRUE(mentions(load(truncated), "truncated"));
}

TEST(LinuxLoaderErrors, OldProtocolZImageAnd32BitKernels) {
  EXPECT_TRUE(mentions(load(image(0x20b)), "2.11 is too old"));
  EXPECT_TRUE(mentions(load(image(0x20f, 0)), "LOADED_HIGH"));
  EXPECT_TRUE(mentions(load(image(0x20f, 1, 0)), "XLF_KERNEL_64"));
}

TEST(LinuxLoaderErrors, SetupSectsBeyondTheFile) {
  std::vector<uint8_t> img = image();
  img[0x1f1] = 200;  // 100 KiB of setup in a 6 KiB file
  EXPECT_TRUE(mentions(load(img), "truncated"));
  img[0x1f1] = 0xff;
  EXPECT_TRUE(mentions(load(img), "truncated"));
}

TEST(LinuxLoaderErrors, BadAlignmentAndAddresses) {
  std::vector<uint8_t> img = image();
  uint32_t align = 0x300000;
  std::memcpy(&img[0x230], &align, 4);
  EXPECT_TRUE(mentions(load(img), "power of two"));
  img = image();
  uint64_t pref = 0xfffffffffff00000ull;  // would wrap when rounded up
  std::memcpy(&img[0x258], &pref, 8);
  EXPECT_TRUE(mentions(load(img), "above 4 GiB"));
}

TEST(LinuxLoaderErrors, KernelOrInitrdNotFittingRam) {
  // init_size reaches past the end of RAM: refused before anything is written.
  EXPECT_TRUE(mentions(load(image(0x20f, 1, 1, 0x8000000)), "init_size"));
  EXPECT_TRUE(mentions(load(image(), 16 * kMiB), "init_size"));
  // A reserved hole in the middle of the kernel's range.
  std::vector<E820Entry> holey = {{0, 0x9fc00, e820::kRam},
                                  {kMiB, 63 * kMiB, e820::kRam},
                                  {0x1100000, 0x1000, e820::kReserved}};
  EXPECT_TRUE(mentions(load(image(), 64 * kMiB, {}, "", holey), "init_size"));
  // 50 MiB of initrd next to a kernel owning [16, 20) MiB of 64: 59 MiB free, but in pieces of
  // 15 and 44 MiB.
  EXPECT_TRUE(mentions(load(image(), 64 * kMiB, std::vector<uint8_t>(50 * kMiB)), "initrd"));
  EXPECT_TRUE(load(image(), 64 * kMiB, std::vector<uint8_t>(30 * kMiB)).ok);
}

TEST(LinuxLoaderErrors, CommandLineLongerThanCmdlineSize) {
  EXPECT_TRUE(load(image(), 64 * kMiB, {}, std::string(255, 'x')).ok);
  EXPECT_TRUE(mentions(load(image(), 64 * kMiB, {}, std::string(256, 'x')), "at most 255"));
}

TEST(LinuxLoaderErrors, TooManyE820Entries) {
  std::vector<E820Entry> map(129, E820Entry{0, 0x1000, e820::kReserved});
  EXPECT_TRUE(mentions(load(image(), 64 * kMiB, {}, "", map), "128"));
}

// The kernel samples/linux/build-guest.sh extracts from Debian's linux-image package.
std::vector<uint8_t> real_kernel() {
  std::vector<std::string> paths;
  if (const char* dir = std::getenv("REWIND_LINUX_GUEST_DIR")) paths.push_back(dir);
  std::string src = __FILE__;
  paths.push_back(src.substr(0, src.rfind("/tests/unit/")) + "/build/samples/linux");
  for (const std::string& dir : paths) {
    std::ifstream f(dir + "/vmlinuz", std::ios::binary);
    if (f) return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  return {};
}

TEST(LinuxLoaderRealKernel, ParsesDebianVmlinuz) {
  std::vector<uint8_t> kernel = real_kernel();
  if (kernel.empty()) GTEST_SKIP() << "no vmlinuz: run samples/linux/build-guest.sh";
  ASSERT_TRUE(is_bzimage(kernel));
  uint16_t version, xloadflags;
  uint64_t pref;
  uint32_t init_size;
  std::memcpy(&version, &kernel[0x206], 2);
  std::memcpy(&xloadflags, &kernel[0x236], 2);
  std::memcpy(&pref, &kernel[0x258], 8);
  std::memcpy(&init_size, &kernel[0x260], 4);
  EXPECT_GE(version, 0x20c);
  EXPECT_TRUE(xloadflags & 1);
  EXPECT_EQ(pref, 0x1000000u);  // CONFIG_PHYSICAL_START

  std::vector<uint8_t> ram(128 * kMiB);
  PhysWriter write = [&](uint64_t addr, const void* d, size_t n) {
    if (addr + n > ram.size()) return false;
    std::memcpy(&ram[addr], d, n);
    return true;
  };
  LinuxBootLayout layout{MemoryLayout{128 * kMiB, 0}, {}, 0xf0000};
  CpuState cpu;
  std::string error;
  ASSERT_TRUE(load_linux(kernel, std::vector<uint8_t>(kMiB, 7), "console=ttyS0", layout, write,
                         &cpu, &error))
      << error;
  EXPECT_EQ(cpu.rip, pref + 0x200);
  const size_t setup = (kernel[0x1f1] + 1) * 512;
  EXPECT_EQ(std::memcmp(&ram[pref], &kernel[setup], kernel.size() - setup), 0);
  uint32_t rd;
  std::memcpy(&rd, &ram[kBootParamsAddr + 0x218], 4);
  EXPECT_GE(rd, pref + init_size);
}

}  // namespace
}  // namespace rwd

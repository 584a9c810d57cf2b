// SPDX-License-Identifier: MIT
#include "devices/loader/multiboot.h"

#include <cstring>

namespace rwd {
namespace {

constexpr uint32_t kHeaderMagic = 0x1badb002;
constexpr uint32_t kBootMagic = 0x2badb002;
// Where the loader puts its own structures: below the EBDA, away from kernels at 1 MiB.
constexpr uint32_t kGdtAddr = 0x8f00;
constexpr uint32_t kInfoAddr = 0x9000;
constexpr uint32_t kCmdlineAddr = 0x9100;
constexpr uint32_t kMmapAddr = 0x9c00;
constexpr uint32_t kModsAddr = 0x9e00;
constexpr uint32_t kStringsAddr = 0xa000;
constexpr uint32_t kStringsEnd = 0x9f000;

template <typename T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

long find_header(const std::vector<uint8_t>& image) {
  size_t limit = std::min<size_t>(image.size(), 8192);
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    uint32_t magic = get<uint32_t>(image, off);
    uint32_t flags = get<uint32_t>(image, off + 4);
    uint32_t checksum = get<uint32_t>(image, off + 8);
    if (magic == kHeaderMagic && uint32_t(magic + flags + checksum) == 0) return long(off);
  }
  return -1;
}

}  // namespace

bool is_multiboot(const std::vector<uint8_t>& image) { return find_header(image) >= 0; }

bool load_multiboot(const std::vector<uint8_t>& image, const std::string& cmdline,
                    const std::vector<BootModule>& modules, const MemoryLayout& layout,
                    const PhysWriter& write, CpuState* cpu, std::string* error) {
  long header = find_header(image);
  if (header < 0) {
    *error = "no multiboot header in the first 8 KiB of the kernel";
    return false;
  }
  const uint32_t flags = get<uint32_t>(image, size_t(header) + 4);
  if (flags & 0x0000fffc) {
    // Bits 2..15 request features we do not provide (video mode is bit 2).
    if (flags & 0x4) {
      // QEMU ignores the video-mode request; so do we.
    }
  }
  uint32_t entry = 0;
  uint64_t kernel_end = 0;
  const bool is_elf = image.size() >= 52 && std::memcmp(image.data(), "\x7f" "ELF", 4) == 0;
  if (flags & 0x10000) {
    // a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr.
    const uint32_t header_addr = get<uint32_t>(image, size_t(header) + 12);
    const uint32_t load_addr = get<uint32_t>(image, size_t(header) + 16);
    uint32_t load_end = get<uint32_t>(image, size_t(header) + 20);
    const uint32_t bss_end = get<uint32_t>(image, size_t(header) + 24);
    entry = get<uint32_t>(image, size_t(header) + 28);
    if (load_addr > header_addr) {
      *error = "multiboot header: load_addr above header_addr";
      return false;
    }
    const uint64_t file_offset = uint64_t(header) - (header_addr - load_addr);
    if (load_end == 0) load_end = uint32_t(load_addr + (image.size() - file_offset));
    if (load_end < load_addr || file_offset + (load_end - load_addr) > image.size()) {
      *error = "multiboot header: load range outside the file";
      return false;
    }
    if (!write(load_addr, image.data() + file_offset, load_end - load_addr)) {
      *error = "multiboot kernel does not fit in guest RAM";
      return false;
    }
    kernel_end = load_end;
    if (bss_end > load_end) {
      std::vector<uint8_t> zeros(bss_end - load_end, 0);
      if (!write(load_end, zeros.data(), zeros.size())) {
        *error = "multiboot kernel bss does not fit in guest RAM";
        return false;
      }
      kernel_end = bss_end;
    }
  } else if (is_elf) {
    if (image[4] != 1) {
      *error = "multiboot kernels must be ELF32 (QEMU rejects ELF64 too); link as ELF64 and "
               "convert with objcopy -O elf32-i386, or use the a.out kludge";
      return false;
    }
    entry = get<uint32_t>(image, 24);
    const uint32_t phoff = get<uint32_t>(image, 28);
    const uint16_t phentsize = get<uint16_t>(image, 42);
    const uint16_t phnum = get<uint16_t>(image, 44);
    if (phentsize < 32 || uint64_t(phoff) + uint64_t(phnum) * phentsize > image.size()) {
      *error = "malformed ELF program headers";
      return false;
    }
    for (unsigned i = 0; i < phnum; i++) {
      size_t ph = phoff + size_t(i) * phentsize;
      if (get<uint32_t>(image, ph) != 1) continue;  // PT_LOAD
      const uint32_t offset = get<uint32_t>(image, ph + 4);
      const uint32_t paddr = get<uint32_t>(image, ph + 12);
      const uint32_t filesz = get<uint32_t>(image, ph + 16);
      const uint32_t memsz = get<uint32_t>(image, ph + 20);
      if (uint64_t(offset) + filesz > image.size() || filesz > memsz) {
        *error = "malformed ELF segment";
        return false;
      }
      if (!write(paddr, image.data() + offset, filesz)) {
        *error = "ELF segment outside guest RAM";
        return false;
      }
      if (memsz > filesz) {
        std::vector<uint8_t> zeros(memsz - filesz, 0);
        if (!write(paddr + filesz, zeros.data(), zeros.size())) {
          *error = "ELF segment outside guest RAM";
          return false;
        }
      }
      kernel_end = std::max<uint64_t>(kernel_end, uint64_t(paddr) + memsz);
    }
  } else {
    *error = "multiboot kernel is neither ELF nor uses the a.out kludge (flag bit 16)";
    return false;
  }

  // Modules: page-aligned after the kernel.
  uint64_t next = (kernel_end + 0xfff) & ~0xfffull;
  uint32_t strings = kStringsAddr;
  auto put_string = [&](const std::string& s) -> uint32_t {
    uint32_t at = strings;
    if (strings + s.size() + 1 > kStringsEnd) return 0;
    write(at, s.c_str(), s.size() + 1);
    strings += uint32_t(s.size() + 1);
    return at;
  };
  std::vector<uint32_t> mods;
  for (const BootModule& m : modules) {
    if (next + m.data.size() > layout.low_ram_end) {
      *error = "module does not fit in guest RAM below 4 GiB";
      return false;
    }
    write(next, m.data.data(), m.data.size());
    uint32_t str = put_string(m.cmdline);
    mods.insert(mods.end(), {uint32_t(next), uint32_t(next + m.data.size()), str, 0});
    next = (next + m.data.size() + 0xfff) & ~0xfffull;
  }
  if (!mods.empty()) write(kModsAddr, mods.data(), mods.size() * 4);

  // Memory map (entries: size, base_lo, base_hi, len_lo, len_hi, type).
  std::vector<uint32_t> mmap;
  auto add = [&](uint64_t base, uint64_t len, uint32_t type) {
    mmap.insert(mmap.end(), {20, uint32_t(base), uint32_t(base >> 32), uint32_t(len),
                             uint32_t(len >> 32), type});
  };
  add(0, 0x9fc00, 1);
  add(0x9fc00, 0x400, 2);
  add(0xf0000, 0x10000, 2);
  add(0x100000, layout.low_ram_end - 0x100000, 1);
  if (layout.high_ram_size) add(1ull << 32, layout.high_ram_size, 1);
  write(kMmapAddr, mmap.data(), mmap.size() * 4);

  if (cmdline.size() + 1 > kMmapAddr - kCmdlineAddr) {
    *error = "kernel command line too long";
    return false;
  }
  write(kCmdlineAddr, cmdline.c_str(), cmdline.size() + 1);
  uint32_t loader_name = put_string("rewind");

  uint32_t info[22] = {};
  info[0] = 0x1 | 0x4 | 0x40 | 0x200 | (mods.empty() ? 0 : 0x8);  // mem, cmdline, mmap, name, mods
  info[1] = 640;                                              // mem_lower (KiB)
  info[2] = uint32_t((layout.low_ram_end - 0x100000) / 1024);  // mem_upper (KiB)
  info[4] = kCmdlineAddr;
  info[5] = uint32_t(modules.size());
  info[6] = kModsAddr;
  info[11] = uint32_t(mmap.size() * 4);
  info[12] = kMmapAddr;
  info[16] = loader_name;
  write(kInfoAddr, info, sizeof info);

  // A flat GDT so the entry state's selectors are backed by real descriptors.
  const uint64_t gdt[4] = {0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull};
  write(kGdtAddr, gdt, sizeof gdt);

  CpuState s = *cpu;
  s.cr0 = cr0::kPe | cr0::kEt;
  s.rflags = flags::kFixed1;
  s.rip = entry;
  s.gpr[kRax] = kBootMagic;
  s.gpr[kRbx] = kInfoAddr;
  s.gdtr = DescriptorTable{kGdtAddr, sizeof gdt - 1};
  s.idtr = DescriptorTable{0, 0x3ff};
  for (unsigned seg = 0; seg < kNumSegs; seg++)
    s.seg[seg] = Segment{0, 0xffffffff, 0x18, 0xc093};
  s.seg[kCs] = Segment{0, 0xffffffff, 0x10, 0xc09b};
  s.cpl = 0;
  *cpu = s;
  return true;
}

}  // namespace rwd

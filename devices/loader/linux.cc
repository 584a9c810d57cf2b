// SPDX-License-Identifier: MIT
// The Linux x86 boot protocol, 64-bit entry. Field offsets are those of boot.rst ("THE REAL-MODE
// KERNEL HEADER") and zero-page.rst; the setup header sits at the same offset (0x1f1) in the
// image and in struct boot_params, so one set of constants serves both.
#include "devices/loader/linux.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace rwd {
namespace {

// Setup header fields (offset in the image == offset in boot_params).
constexpr size_t kSetupSects = 0x1f1;
constexpr size_t kJump = 0x200;  // EB xx: the header ends at 0x202 + xx
constexpr size_t kHeaderMagic = 0x202;
constexpr size_t kVersion = 0x206;
constexpr size_t kTypeOfLoader = 0x210;
constexpr size_t kLoadflags = 0x211;
constexpr size_t kCode32Start = 0x214;
constexpr size_t kRamdiskImage = 0x218;
constexpr size_t kRamdiskSize = 0x21c;
constexpr size_t kHeapEndPtr = 0x224;
constexpr size_t kCmdLinePtr = 0x228;
constexpr size_t kInitrdAddrMax = 0x22c;
constexpr size_t kKernelAlignment = 0x230;
constexpr size_t kRelocatableKernel = 0x234;
constexpr size_t kXloadflags = 0x236;
constexpr size_t kCmdlineSize = 0x238;
constexpr size_t kPrefAddress = 0x258;
constexpr size_t kInitSize = 0x260;
constexpr size_t kHeaderLimit = 0x290;  // edd_mbr_sig_buffer follows struct setup_header

// boot_params fields outside the setup header (zero-page.rst).
constexpr size_t kAcpiRsdpAddr = 0x070;
constexpr size_t kExtRamdiskImage = 0x0c0;
constexpr size_t kExtRamdiskSize = 0x0c4;
constexpr size_t kExtCmdLinePtr = 0x0c8;
constexpr size_t kAltMemK = 0x1e0;
constexpr size_t kE820Entries = 0x1e8;
constexpr size_t kE820Table = 0x2d0;
constexpr size_t kE820Max = 128;

constexpr uint32_t kHdrS = 0x53726448;  // "HdrS"
constexpr uint8_t kLoadedHigh = 0x01, kCanUseHeap = 0x80;
constexpr uint16_t kXlfKernel64 = 0x01;
constexpr uint64_t kOneMiB = 0x100000, kFourGiB = 1ull << 32;

template <typename T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}

template <typename T>
void put(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof(T));
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

struct Range {
  uint64_t start, end;  // [start, end)
};

// RAM in the e820 map minus everything in `taken` and every non-RAM entry (maps may overlap;
// a reserved entry wins, as in Linux's e820__update_table).
std::vector<Range> free_ram(const std::vector<E820Entry>& map, std::vector<Range> taken) {
  for (const E820Entry& e : map)
    if (e.type != e820::kRam) taken.push_back({e.addr, e.addr + e.size});
  std::vector<Range> free;
  for (const E820Entry& e : map) {
    if (e.type != e820::kRam) continue;
    std::vector<Range> pieces = {{e.addr, e.addr + e.size}};
    for (const Range& t : taken) {
      std::vector<Range> next;
      for (const Range& p : pieces) {
        if (t.end <= p.start || t.start >= p.end) {
          next.push_back(p);
          continue;
        }
        if (p.start < t.start) next.push_back({p.start, t.start});
        if (t.end < p.end) next.push_back({t.end, p.end});
      }
      pieces = std::move(next);
    }
    free.insert(free.end(), pieces.begin(), pieces.end());
  }
  return free;
}

bool covered_by_ram(const std::vector<E820Entry>& map, Range r) {
  for (const Range& f : free_ram(map, {}))
    if (f.start <= r.start && r.end <= f.end) return true;
  return false;
}

}  // namespace

std::vector<E820Entry> default_e820(const MemoryLayout& layout) {
  std::vector<E820Entry> map = {
      {0, 0x9fc00, e820::kRam},
      {0x9fc00, 0x400, e820::kReserved},
      {0xf0000, 0x10000, e820::kReserved},
  };
  if (layout.low_ram_end > kOneMiB)
    map.push_back({kOneMiB, layout.low_ram_end - kOneMiB, e820::kRam});
  if (layout.high_ram_size) map.push_back({kFourGiB, layout.high_ram_size, e820::kRam});
  return map;
}

bool is_bzimage(const std::vector<uint8_t>& image) {
  return get<uint32_t>(image, kHeaderMagic) == kHdrS;
}

bool load_linux(const std::vector<uint8_t>& image, const std::vector<uint8_t>& initrd,
                const std::string& cmdline, const LinuxBootLayout& layout, const PhysWriter& write,
                CpuState* cpu, std::string* error) {
  using namespace linux_boot;
  if (!is_bzimage(image)) {
    *error = "not a Linux kernel image (no \"HdrS\" setup header at 0x202)";
    return false;
  }
  if (image.size() < kHeaderLimit) {
    *error = "truncated kernel image: the setup header is cut short";
    return false;
  }
  const uint16_t version = get<uint16_t>(image, kVersion);
  if (version < 0x20c) {
    char v[16];
    std::snprintf(v, sizeof v, "%u.%02u", version >> 8, version & 0xff);
    *error = std::string("Linux boot protocol ") + v +
             " is too old: the 64-bit entry needs 2.12 or later (kernel 3.8+)";
    return false;
  }
  const uint8_t loadflags = get<uint8_t>(image, kLoadflags);
  if (!(loadflags & kLoadedHigh)) {
    *error = "not a bzImage: loadflags lacks LOADED_HIGH (a zImage must be loaded at 0x10000)";
    return false;
  }
  if (!(get<uint16_t>(image, kXloadflags) & kXlfKernel64)) {
    *error = "kernel has no 64-bit entry point (xloadflags lacks XLF_KERNEL_64; a 32-bit kernel?)";
    return false;
  }
  // setup_sects == 0 means 4, for compatibility with ancient images (boot.rst).
  const unsigned setup_sects =
      get<uint8_t>(image, kSetupSects) ? get<uint8_t>(image, kSetupSects) : 4;
  const size_t setup_size = (setup_sects + 1) * 512;
  if (setup_size + 0x200 > image.size()) {
    *error = "truncated kernel image: setup_sects says the protected-mode kernel starts at " +
             hex(setup_size) + ", the file has " + hex(image.size()) + " bytes";
    return false;
  }
  const std::vector<E820Entry> map =
      layout.e820.empty() ? default_e820(layout.memory) : layout.e820;
  if (map.size() > kE820Max) {
    *error = "memory map has " + std::to_string(map.size()) + " entries; boot_params holds 128";
    return false;
  }

  // Where the protected-mode kernel goes. A relocatable kernel's decompressor works in
  // [max(load address rounded up to kernel_alignment, pref_address), + init_size), so loading at
  // pref_address keeps everything in one region (QEMU loads at 1 MiB and lets it move).
  const bool relocatable = get<uint8_t>(image, kRelocatableKernel) != 0;
  const uint32_t alignment = get<uint32_t>(image, kKernelAlignment);
  const uint64_t pref = get<uint64_t>(image, kPrefAddress);
  if (relocatable && (alignment == 0 || (alignment & (alignment - 1)))) {
    *error = "kernel_alignment " + hex(alignment) + " is not a power of two";
    return false;
  }
  if (pref >= kFourGiB) {
    *error = "kernel wants to be loaded above 4 GiB (pref_address " + hex(pref) + ")";
    return false;
  }
  uint64_t load = get<uint32_t>(image, kCode32Start);
  if (relocatable) load = (std::max(pref, kOneMiB) + alignment - 1) & ~uint64_t(alignment - 1);
  const uint64_t kernel_size = image.size() - setup_size;
  const uint64_t init_size = get<uint32_t>(image, kInitSize);
  // A kernel that is not relocatable still decompresses at pref_address (LOAD_PHYSICAL_ADDR).
  const uint64_t decompress_at = std::max(load, pref);
  const Range kernel = {std::min(load, decompress_at),
                        std::max(load + kernel_size, decompress_at + init_size)};
  if (load < kOneMiB || kernel.end > kFourGiB || !covered_by_ram(map, kernel)) {
    *error = "kernel needs RAM at [" + hex(kernel.start) + ", " + hex(kernel.end) +
             ") (load address + init_size), which the memory map does not offer as free RAM";
    return false;
  }
  if (!write(load, image.data() + setup_size, kernel_size)) {
    *error = "kernel does not fit in guest RAM at " + hex(load);
    return false;
  }

  // The command line: cmdline_size is the longest string the kernel accepts, without the NUL.
  const uint64_t cmdline_max =
      std::min<uint64_t>(get<uint32_t>(image, kCmdlineSize), kCmdlineMax - 1);
  if (cmdline.size() > cmdline_max) {
    *error = "kernel command line is " + std::to_string(cmdline.size()) +
             " bytes; this kernel accepts at most " + std::to_string(cmdline_max);
    return false;
  }
  if (!write(kCmdlineAddr, cmdline.c_str(), cmdline.size() + 1)) {
    *error = "no guest RAM for the command line at " + hex(kCmdlineAddr);
    return false;
  }

  // The initrd: as high as possible, page-aligned, below initrd_addr_max (inclusive) and 4 GiB,
  // where the map has RAM nobody else uses. High, as QEMU and GRUB put it, so that it stays out
  // of the way of the decompressed kernel and early allocations.
  uint64_t initrd_addr = 0;
  if (!initrd.empty()) {
    const uint64_t limit =
        std::min<uint64_t>(uint64_t(get<uint32_t>(image, kInitrdAddrMax)) + 1, kFourGiB);
    bool found = false;
    for (const Range& f : free_ram(map, {{0, kOneMiB}, kernel})) {
      const uint64_t end = std::min(f.end, limit);
      if (end < f.start + initrd.size()) continue;
      const uint64_t at = (end - initrd.size()) & ~0xfffull;
      if (at < f.start) continue;
      if (!found || at > initrd_addr) initrd_addr = at;
      found = true;
    }
    if (!found) {
      *error = "initrd (" + std::to_string(initrd.size()) +
               " bytes) does not fit in free guest RAM below " + hex(limit);
      return false;
    }
    if (!write(initrd_addr, initrd.data(), initrd.size())) {
      *error = "initrd does not fit in guest RAM at " + hex(initrd_addr);
      return false;
    }
  }

  // struct boot_params: zeroed (so `sentinel` at 0x1ef is 0 and the kernel trusts every field),
  // then the image's setup header, then what the real-mode setup code or a BIOS would fill in.
  std::vector<uint8_t> params(4096, 0);
  const size_t header_end =
      std::min<size_t>(kHeaderMagic + get<uint8_t>(image, kJump + 1), kHeaderLimit);
  std::memcpy(&params[kSetupSects], &image[kSetupSects], header_end - kSetupSects);
  put<uint8_t>(params, kTypeOfLoader, 0xff);  // "undefined" boot loader (boot.rst)
  put<uint8_t>(params, kLoadflags, loadflags | kCanUseHeap);
  put<uint16_t>(params, kHeapEndPtr, 0xfe00);  // only the real-mode code uses it; QEMU's value
  put<uint32_t>(params, kCmdLinePtr, uint32_t(kCmdlineAddr));
  put<uint32_t>(params, kExtCmdLinePtr, uint32_t(kCmdlineAddr >> 32));
  put<uint32_t>(params, kRamdiskImage, uint32_t(initrd_addr));
  put<uint32_t>(params, kExtRamdiskImage, uint32_t(initrd_addr >> 32));
  put<uint32_t>(params, kRamdiskSize, uint32_t(initrd.size()));
  put<uint32_t>(params, kExtRamdiskSize, uint32_t(uint64_t(initrd.size()) >> 32));
  // Pre-e820 memory size in KiB above 1 MiB; Linux prefers the e820 table but reads this too.
  const uint64_t low_end = layout.memory.low_ram_end;
  const uint64_t extended_kib = low_end > kOneMiB ? (low_end - kOneMiB) / 1024 : 0;
  put<uint32_t>(params, kAltMemK, uint32_t(std::min<uint64_t>(extended_kib, 0xffffffffu)));
  put<uint8_t>(params, kE820Entries, uint8_t(map.size()));
  for (size_t i = 0; i < map.size(); i++) {
    // The table is packed: 20 bytes per entry.
    put<uint64_t>(params, kE820Table + i * 20, map[i].addr);
    put<uint64_t>(params, kE820Table + i * 20 + 8, map[i].size);
    put<uint32_t>(params, kE820Table + i * 20 + 16, map[i].type);
  }
  if (layout.acpi_rsdp_addr) put<uint64_t>(params, kAcpiRsdpAddr, *layout.acpi_rsdp_addr);

  // GDT (boot.rst: __BOOT_CS = 0x10 execute/read, __BOOT_DS = 0x18 read/write, both 4G flat;
  // in long mode the code descriptor must have L set and D clear).
  const uint64_t gdt[4] = {0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull};
  // Identity map of [0, 4 GiB) with 2 MiB pages (every x86-64 CPU has them; 1 GiB pages need
  // pdpe1gb, which the Core 2 model lacks).
  std::vector<uint64_t> tables((kPageTablesEnd - kPageTablesAddr) / 8, 0);
  tables[0] = (kPageTablesAddr + 0x1000) | 0x3;  // PML4[0] -> PDPT, present + writable
  for (uint64_t pd = 0; pd < 4; pd++) {
    tables[512 + pd] = (kPageTablesAddr + 0x2000 + pd * 0x1000) | 0x3;
    for (uint64_t i = 0; i < 512; i++)
      tables[1024 + pd * 512 + i] = ((pd * 512 + i) << 21) | 0x83;  // present, writable, 2 MiB
  }
  if (!write(kBootParamsAddr, params.data(), params.size()) || !write(kGdtAddr, gdt, sizeof gdt) ||
      !write(kPageTablesAddr, tables.data(), tables.size() * 8)) {
    *error = "no guest RAM below 1 MiB for boot_params, GDT and page tables";
    return false;
  }

  CpuState s = *cpu;
  for (uint64_t& r : s.gpr) r = 0;
  s.gpr[kRsi] = kBootParamsAddr;
  s.gpr[kRsp] = kStackTop;
  s.rip = load + 0x200;       // startup_64 sits 512 bytes into the protected-mode kernel
  s.rflags = flags::kFixed1;  // interrupts off
  s.cr0 = cr0::kPe | cr0::kMp | cr0::kEt | cr0::kNe | cr0::kPg;
  s.cr3 = kPageTablesAddr;
  s.cr4 = cr4::kPae;
  s.efer = efer::kLme | efer::kLma;
  s.gdtr = DescriptorTable{kGdtAddr, sizeof gdt - 1};
  // No IDT: an exception before the kernel loads its own is a triple fault (a reset), which is
  // easier to diagnose than a jump through whatever the zero page's first bytes hold.
  s.idtr = DescriptorTable{0, 0};
  for (unsigned seg = 0; seg < kNumSegs; seg++)
    s.seg[seg] = Segment{0, 0xffffffff, kBootDs, 0xc093};
  s.seg[kCs] = Segment{0, 0xffffffff, kBootCs, 0xa09b};
  s.cpl = 0;
  s.halted = 0;
  s.interrupt_shadow = 0;
  *cpu = s;
  return true;
}

}  // namespace rwd

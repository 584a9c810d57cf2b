// SPDX-License-Identifier: MIT
// Loads an unmodified Linux bzImage the way QEMU's -kernel/-initrd/-append does, but enters it
// through the 64-bit boot protocol (Documentation/arch/x86/boot.rst, "64-bit BOOT PROTOCOL"):
// no real-mode setup code runs; the loader fills struct boot_params itself and starts the CPU
// in long mode at the protected-mode kernel's load address + 0x200 with RSI = boot_params.
//
// Guest-physical memory the loader writes (all below 1 MiB, outside anything Linux needs
// before it has copied boot_params and the command line and built its own page tables):
//   0x08000 .. 0x10000  scratch stack (RSP = 0x10000 at entry; the kernel sets its own at once)
//   0x10000 .. 0x11000  struct boot_params (the "zero page")
//   0x11000 .. 0x11020  GDT: null, null, __BOOT_CS (0x10, 64-bit code), __BOOT_DS (0x18)
//   0x12000 .. 0x18000  identity page tables: PML4, PDPT, 4 page directories of 2 MiB pages
//                       mapping [0, 4 GiB), which covers all of the above
//   0x20000 .. 0x30000  kernel command line (at most the kernel's cmdline_size)
//   kernel              pref_address (relocatable kernels) or code32_start, init_size bytes
//   initrd              page-aligned, as high as the e820 RAM below initrd_addr_max allows
// The e820 map must mark these as RAM (type 1); the Machine's map normally has [0, 0x9fc00).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/loader/multiboot.h"
#include "jit/state.h"

namespace rwd {

// One entry of the BIOS memory map (INT 15h E820), as boot_params.e820_table holds it.
struct E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  // E820Type
};

namespace e820 {
constexpr uint32_t kRam = 1, kReserved = 2, kAcpi = 3, kNvs = 4, kUnusable = 5;
}

struct LinuxBootLayout {
  MemoryLayout memory;
  // The machine's memory map, as Linux will see it: RAM, the BIOS areas, ACPI tables (type 3, so
  // the initrd is not put on top of them), MMIO holes the firmware would report. At most 128
  // entries. Empty means default_e820(memory).
  std::vector<E820Entry> e820;
  // Where the ACPI RSDP is, so Linux need not scan the EBDA and BIOS area for it (boot protocol
  // 2.14+; older kernels ignore the field and scan).
  std::optional<uint64_t> acpi_rsdp_addr;
};

// The map a PC with only RAM and the legacy BIOS areas would report: RAM [0, 0x9fc00), EBDA
// reserved, the BIOS ROM [0xf0000, 0x100000) reserved, RAM up to low_ram_end, and RAM above
// 4 GiB. A Machine with ACPI tables or MMIO holes adds entries for them.
std::vector<E820Entry> default_e820(const MemoryLayout& layout);

// True if `image` carries a Linux setup header ("HdrS" at 0x202). Old or 32-bit-only kernels
// also pass; load_linux explains what they lack.
bool is_bzimage(const std::vector<uint8_t>& image);

// Loads the kernel, the initrd (may be empty) and the command line, writes boot_params, the GDT
// and the page tables, and fills *cpu with the 64-bit entry state. Other CpuState fields (FPU,
// MSRs, APIC base...) keep their values from *cpu, which should hold the reset state.
// Returns false with *error set on a bad image or one that does not fit in guest RAM.
bool load_linux(const std::vector<uint8_t>& image, const std::vector<uint8_t>& initrd,
                const std::string& cmdline, const LinuxBootLayout& layout, const PhysWriter& write,
                CpuState* cpu, std::string* error);

// The addresses above, for the Machine (e.g. to keep them out of other tables) and the tests.
namespace linux_boot {
constexpr uint64_t kStackTop = 0x10000;
constexpr uint64_t kBootParamsAddr = 0x10000;
constexpr uint64_t kGdtAddr = 0x11000;
constexpr uint64_t kPageTablesAddr = 0x12000;  // PML4; PDPT at +0x1000; PDs at +0x2000..+0x5000
constexpr uint64_t kPageTablesEnd = 0x18000;
constexpr uint64_t kCmdlineAddr = 0x20000;
constexpr uint64_t kCmdlineMax = 0x10000;
constexpr uint16_t kBootCs = 0x10;
constexpr uint16_t kBootDs = 0x18;
}  // namespace linux_boot

}  // namespace rwd

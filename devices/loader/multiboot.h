// SPDX-License-Identifier: MIT
// Multiboot v1 loading as QEMU's -kernel does it (Multiboot Specification 0.6.96 §3): ELF32
// kernels by their program headers, or a.out-kludge kernels by the header's address fields
// (flag bit 16); -initrd files become modules; the info structure carries memory sizes, the
// command line, modules and a memory map. The CPU starts in 32-bit protected mode, paging off,
// EAX = 0x2BADB002, EBX = info address.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jit/state.h"

namespace rwd {

struct BootModule {
  std::vector<uint8_t> data;
  std::string cmdline;
};

struct MemoryLayout {
  uint64_t low_ram_end;    // RAM is [0, 0xa0000) and [0x100000, low_ram_end)
  uint64_t high_ram_size;  // RAM at [4 GiB, 4 GiB + high_ram_size)
};

// Writes guest-physical memory; returns false if the range is not RAM.
using PhysWriter = std::function<bool(uint64_t addr, const void* data, size_t len)>;

bool is_multiboot(const std::vector<uint8_t>& image);
// Loads the kernel and modules, builds the info structure, and fills *cpu with the entry state.
bool load_multiboot(const std::vector<uint8_t>& image, const std::string& cmdline,
                    const std::vector<BootModule>& modules, const MemoryLayout& layout,
                    const PhysWriter& write, CpuState* cpu, std::string* error);

}  // namespace rwd

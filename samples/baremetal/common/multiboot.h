// SPDX-License-Identifier: MIT
// The part of the multiboot v1 information structure the guests use.
#ifndef BAREMETAL_MULTIBOOT_H
#define BAREMETAL_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_INFO_CMDLINE (1u << 2)

struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower;
  uint32_t mem_upper;
  uint32_t boot_device;
  uint32_t cmdline;  // physical address of a NUL-terminated string
  uint32_t mods_count;
  uint32_t mods_addr;
  // ... further fields are not used by the samples.
};

#endif

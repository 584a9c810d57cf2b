// SPDX-License-Identifier: MIT
//
// ports guest: writes pseudo-random values of random sizes to pseudo-random
// I/O ports and reads from random ports, then prints a summary. The point is
// that unknown or odd port accesses are handled deterministically (and
// replayed identically) instead of crashing the emulator.
//
// Ports that could end, reset or power off the machine, corrupt guest
// memory by DMA, or break our own console are never touched (see `avoid`).
// Values read from ports that change with wall-clock time are counted but
// left out of the checksum, so the output is stable from run to run. The
// checksum still depends on the device model: expected/ports.txt is what
// QEMU's q35 machine gives.
#include <stdbool.h>

#include "idt.h"
#include "io.h"
#include "rt.h"

#define WRITES 3000
#define READS 3000

struct range {
  uint16_t lo, hi;  // inclusive
};

static const struct range avoid[] = {
    {0x0060, 0x0064},  // i8042: command 0xFE to 0x64 resets the CPU
    {0x0092, 0x0092},  // port 92: fast reset / A20
    {0x00b2, 0x00b3},  // APM control: raises an SMI
    {0x00f4, 0x00f7},  // isa-debug-exit: would end the run
    {0x03f8, 0x03ff},  // COM1: our console
    {0x0510, 0x051b},  // QEMU fw_cfg, including its DMA interface
    {0x0600, 0x067f},  // ICH9 ACPI PM (PM1 control can power off), TCO watchdog
    {0x0a00, 0x0a1f},  // ACPI memory hotplug
    {0x0cd8, 0x0cff},  // ICH9 CPU hotplug, PCI config (0xcf8/0xcfc), reset (0xcf9)
    {0x5658, 0x565b},  // VMware backdoor (vmport)
    {0xae00, 0xafff},  // PIIX PCI/CPU hotplug (pc machine)
    {0xb000, 0xb03f},  // PIIX4 ACPI PM (pc machine)
    {0xc000, 0xffff},  // PCI I/O BARs assigned by the firmware (NIC, AHCI, ...)
};

// Readable, but the value depends on time, so it stays out of the checksum.
static const struct range volatile_reads[] = {
    {0x0020, 0x0021},  // PIC 1: IRR changes as the PIT ticks
    {0x0040, 0x0043},  // PIT counters
    {0x0061, 0x0061},  // port B: refresh and PIT channel 2 output toggle
    {0x0070, 0x0071},  // RTC
    {0x00a0, 0x00a1},  // PIC 2
    {0x03ba, 0x03ba},  // VGA input status (retrace)
    {0x03da, 0x03da},  // VGA input status (retrace)
};

static bool overlaps(const struct range *r, size_t n, uint32_t port, unsigned size) {
  uint32_t last = port + size - 1;
  for (size_t i = 0; i < n; i++) {
    if (port <= r[i].hi && last >= r[i].lo) return true;
  }
  return false;
}

static uint32_t rng_state = 0x1234567u;

static uint32_t rng(void) {
  // xorshift32
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

// Draws a port and access size (1, 2 or 4 bytes) that avoid the protected
// ranges; counts the draws that were rejected.
static unsigned skipped;

static uint16_t pick_port(unsigned *size) {
  for (;;) {
    uint32_t r = rng();
    unsigned s = 1u << (r % 3);
    uint32_t port = (r >> 8) & 0xffff;
    if (port + s - 1 > 0xffff || overlaps(avoid, sizeof(avoid) / sizeof(avoid[0]), port, s)) {
      skipped++;
      continue;
    }
    *size = s;
    return (uint16_t)port;
  }
}

static uint8_t touched[65536 / 8];

static unsigned mark(uint16_t port) {
  unsigned fresh = !(touched[port >> 3] & (1u << (port & 7)));
  touched[port >> 3] |= (uint8_t)(1u << (port & 7));
  return fresh;
}

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  (void)mbi;
  (void)magic;
  serial_init();
  idt_init();
  kprintf("ports: %u random writes, then %u random reads\n", WRITES, READS);

  unsigned by_size[5] = {0};
  unsigned distinct = 0;
  for (unsigned i = 0; i < WRITES; i++) {
    unsigned size;
    uint16_t port = pick_port(&size);
    uint32_t value = rng();
    switch (size) {
      case 1: outb(port, (uint8_t)value); break;
      case 2: outw(port, (uint16_t)value); break;
      default: outl(port, value); break;
    }
    by_size[size]++;
    distinct += mark(port);
  }
  kprintf("ports: wrote %u bytes / %u words / %u dwords to %u distinct ports\n", by_size[1],
          by_size[2], by_size[4], distinct);

  for (size_t i = 0; i < sizeof(touched); i++) touched[i] = 0;
  by_size[1] = by_size[2] = by_size[4] = 0;
  distinct = 0;
  unsigned stable = 0, all_ones = 0;
  uint32_t checksum = 0x811c9dc5u;
  for (unsigned i = 0; i < READS; i++) {
    unsigned size;
    uint16_t port = pick_port(&size);
    uint32_t value;
    switch (size) {
      case 1: value = inb(port); break;
      case 2: value = inw(port); break;
      default: value = inl(port); break;
    }
    by_size[size]++;
    distinct += mark(port);
    uint32_t ones = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (value == ones) all_ones++;
    if (!overlaps(volatile_reads, sizeof(volatile_reads) / sizeof(volatile_reads[0]), port, size)) {
      stable++;
      checksum = (checksum ^ port ^ (value << 3) ^ size) * 0x01000193u;
    }
  }
  kprintf("ports: read %u bytes / %u words / %u dwords from %u distinct ports\n", by_size[1],
          by_size[2], by_size[4], distinct);
  kprintf("ports: %u reads returned all ones (no device)\n", all_ones);
  kprintf("ports: read checksum over %u time-independent reads: %08x (device-model dependent)\n",
          stable, checksum);
  kprintf("ports: skipped %u draws that hit protected ranges\n", skipped);
  kprintf("ports: done, console still works\n");
  return 0;
}

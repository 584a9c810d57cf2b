// SPDX-License-Identifier: MIT
//
// echo guest: reads serial input by polling and answers each line with its length, a running
// checksum and the TSC (virtual time) at which it arrived, so the output depends on both the
// bytes and *when* they were delivered. It stops at a line "quit" or at end of input
// (a line "eof" sent by the host). The record/replay tests feed it stdin at irregular host
// intervals and check that the replay, with stdin closed, prints exactly the same.
#include "io.h"
#include "rt.h"

static int serial_getc(void) {
  while (!(inb(0x3fd) & 1)) {
  }
  return inb(0x3f8);
}

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  (void)mbi;
  (void)magic;
  serial_init();
  kprintf("echo: ready\n");
  char line[128];
  unsigned n = 0;
  uint32_t checksum = 0;
  for (;;) {
    int c = serial_getc();
    if (c == '\r') continue;
    if (c != '\n' && n < sizeof line - 1) {
      line[n++] = (char)c;
      continue;
    }
    line[n] = 0;
    for (unsigned i = 0; i < n; i++) checksum = checksum * 31 + (uint8_t)line[i];
    uint64_t t = rdtsc();
    kprintf("echo: '%s' len=%u sum=%x arrived_after_a_while=%s\n", line, n, checksum,
            t > 1000000 ? "yes" : "no");
    kprintf("echo: tsc=%lx\n", (unsigned long)t);
    if ((n == 4 && !memcmp(line, "quit", 4)) || (n == 3 && !memcmp(line, "eof", 3))) break;
    n = 0;
  }
  kprintf("echo: bye\n");
  exit_success();
}

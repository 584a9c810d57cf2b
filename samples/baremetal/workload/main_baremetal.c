// SPDX-License-Identifier: MIT
// Bare-metal entry of the workload guest: the iteration count comes from the
// multiboot command line ("iterations=N", default 1).
#include "rt.h"
#include "idt.h"
#include "workload.h"

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  serial_init();
  // Exceptions should print a diagnosis instead of silently triple-faulting.
  idt_init();
  unsigned long n = cmdline_ulong(multiboot_cmdline(mbi, magic), "iterations", 1);
  return workload_run(n);
}

// SPDX-License-Identifier: MIT
//
// triple guest: loads an IDT with limit 0 and executes ud2. Delivering #UD
// fails (vector 6 is beyond the IDT limit) -> #GP, which fails the same
// way -> #DF, which fails too -> triple fault -> shutdown. QEMU with
// -no-reboot then exits with status 0; a rewind run should report a triple
// fault. Nothing after the ud2 may print.
#include "io.h"
#include "rt.h"

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  (void)mbi;
  (void)magic;
  serial_init();
  kprintf("triple: loading an IDT with limit 0 and executing ud2, expect a triple fault\n");
  struct dt_ptr empty = {0, 0};
  lidt(&empty);
  __asm__ volatile("ud2" ::: "memory");
  kprintf("triple: FAIL still running after ud2\n");
  return 1;
}

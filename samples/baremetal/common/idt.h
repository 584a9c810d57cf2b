// SPDX-License-Identifier: MIT
// Interrupt descriptor table and exception entry shared by the guests.
#ifndef BAREMETAL_IDT_H
#define BAREMETAL_IDT_H

#include <stdint.h>

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

// Register state saved by isr.S; the layout must match the push order there.
struct trap_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector;
  uint64_t error_code;  // 0 for vectors without a CPU-pushed error code
  // Pushed by the CPU. In 64-bit mode RSP/SS are always pushed.
  uint64_t rip, cs, rflags, rsp, ss;
};

// Installs interrupt gates for vectors 0..31 (DPL 0, no IST) and loads the
// IDT. Vectors 0x80/0x81 get stubs too but are left not-present until a guest
// calls idt_set_gate for them.
void idt_init(void);
void idt_set_gate(uint8_t vector, unsigned dpl, unsigned ist);

// Called for every trap. The default (weak) definition calls trap_panic; a
// guest can override it and return to resume at tf->rip.
void trap_handler(struct trap_frame *tf);
// Prints "PANIC: ..." describing the trap and exits with failure status.
__attribute__((noreturn)) void trap_panic(const struct trap_frame *tf);

const char *exception_name(uint64_t vector);

#endif

// SPDX-License-Identifier: MIT
// Interface between the usermode guest's kernel (kernel.c) and its ring-3
// program (user.c). Only constants and the entry symbols live here: user.c
// cannot call kernel code.
#ifndef BAREMETAL_USERMODE_H
#define BAREMETAL_USERMODE_H

// GDT layout. SYSCALL loads CS=STAR[47:32], SS=+8; SYSRET (64-bit) loads
// CS=STAR[63:48]+16, SS=STAR[63:48]+8, both with RPL 3. Hence the order
// kernel code, kernel data, user code32 (unused), user data, user code64.
#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_USER_CS32 0x18
#define SEL_USER_DS 0x20
#define SEL_USER_CS 0x28
#define SEL_TSS 0x30

// System call numbers (RAX); arguments in RDI, RSI, RDX; result in RAX.
#define SYS_WRITE 1   // (const char *buf, size_t len) -> len or -1
#define SYS_GETPID 2  // () -> USER_PID
#define SYS_EXIT 3    // (int code), does not return
#define USER_PID 42

// int 0x80 service: returns RDI * 3 + 1 in RAX, so the user can check that
// the kernel saw its registers and that IRETQ brought the result back.
#define INT80_RESULT(x) ((x) * 3 + 1)

// After fixing up a fault taken in ring 3, the kernel sets RAX to this
// value so the user program can tell the handler ran.
#define FIXUP_RAX(vector) (0xFA170000u | (vector))

// The one 2 MiB page the kernel maps user-accessible (U/S=1).
#define USER_REGION_BASE 0x400000u
#define USER_REGION_SIZE 0x200000u

// Start of the kernel image: mapped, but supervisor-only. The user program
// reads and writes it to provoke #PF with U/S=1 in the error code. A fixed
// address (not a kernel symbol) keeps CR2 stable across rebuilds.
#define KERNEL_PROBE_ADDR 0x100000u

#define USER_STACK_SIZE 16384

#ifndef __ASSEMBLER__
#include <stdint.h>
// Defined in user.c (ring-3 sections); referenced by the kernel only to set
// up the first IRETQ.
extern uint8_t user_stack[USER_STACK_SIZE];
void user_main(void);
#endif

#endif

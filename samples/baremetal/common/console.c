// SPDX-License-Identifier: MIT
// COM1 output by polling, and machine exit through isa-debug-exit.
#include "io.h"
#include "rt.h"

#define COM1 0x3f8
#define UART_THR 0  // transmit holding register (DLAB=0)
#define UART_DLL 0  // divisor latch low (DLAB=1)
#define UART_IER 1  // interrupt enable (DLAB=0)
#define UART_DLM 1  // divisor latch high (DLAB=1)
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20  // transmit holding register empty

void serial_init(void) {
  // The loader may have left the UART in any state; program the minimum so
  // both QEMU and a from-scratch UART model agree: no interrupts (we poll),
  // 115200 8N1, FIFOs on, DTR/RTS up but OUT2 off (no IRQ line).
  outb(COM1 + UART_IER, 0x00);
  outb(COM1 + UART_LCR, 0x80);
  outb(COM1 + UART_DLL, 0x01);
  outb(COM1 + UART_DLM, 0x00);
  outb(COM1 + UART_LCR, 0x03);
  outb(COM1 + UART_FCR, 0x07);
  outb(COM1 + UART_MCR, 0x03);
}

void serial_putc(char c) {
  // No timeout: a UART that never drains is a device-model bug we want to
  // see as a hang, not as silently lost output.
  while ((inb(COM1 + UART_LSR) & LSR_THRE) == 0) {
  }
  outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) serial_putc(s[i]);
}

void qemu_exit(uint32_t code) {
  outl(DEBUG_EXIT_PORT, code);
  // Only reached without an isa-debug-exit device: park the CPU for good.
  for (;;) __asm__ volatile("cli; hlt");
}

void exit_success(void) { qemu_exit(EXIT_SUCCESS_CODE); }
void exit_failure(void) { qemu_exit(EXIT_FAILURE_CODE); }

// Called by boot.S with kmain's return value.
__attribute__((noreturn)) void boot_exit(int status);
void boot_exit(int status) {
  if (status == 0) exit_success();
  exit_failure();
}

// SPDX-License-Identifier: MIT
// Tiny runtime shared by the bare-metal guests: serial console, exit through
// isa-debug-exit, formatted output, command-line lookup and the handful of
// libc functions gcc may call even in freestanding code.
#ifndef BAREMETAL_RT_H
#define BAREMETAL_RT_H

#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "multiboot.h"

// isa-debug-exit: QEMU exits with status (value << 1) | 1.
#define DEBUG_EXIT_PORT 0xf4
#define EXIT_SUCCESS_CODE 0x10  // QEMU status 33
#define EXIT_FAILURE_CODE 0x11  // QEMU status 35

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);

__attribute__((noreturn)) void qemu_exit(uint32_t code);
__attribute__((noreturn)) void exit_success(void);
__attribute__((noreturn)) void exit_failure(void);

// Entry point every guest implements; see common/boot.S.
int kmain(struct multiboot_info *mbi, uint32_t magic);

// Returns the command line handed over by the loader, or "" if there is none.
const char *multiboot_cmdline(const struct multiboot_info *mbi, uint32_t magic);
// Looks for a "key=<decimal>" token in the command line.
unsigned long cmdline_ulong(const char *cmdline, const char *key, unsigned long dflt);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif

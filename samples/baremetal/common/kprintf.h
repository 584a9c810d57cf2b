// SPDX-License-Identifier: MIT
// printf-style output. The bare-metal guests implement it over COM1; the
// native workload build maps it to stdio. Only the subset of conversions
// implemented in common/kprintf.c may be used by shared code (see there), so
// that both builds print byte-identical text.
#ifndef BAREMETAL_KPRINTF_H
#define BAREMETAL_KPRINTF_H

#include <stdarg.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif

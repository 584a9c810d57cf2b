// SPDX-License-Identifier: MIT
// Native (Linux user-space) entry of the workload, for comparing emulated
// speed against the host. Usage: workload-native [N | iterations=N]
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprintf.h"
#include "workload.h"

int kvprintf(const char *fmt, va_list ap) { return vprintf(fmt, ap); }

int kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int main(int argc, char **argv) {
  unsigned long n = 1;
  if (argc > 1) {
    const char *arg = argv[1];
    if (strncmp(arg, "iterations=", 11) == 0) arg += 11;
    char *end;
    n = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end != '\0') {
      fprintf(stderr, "usage: %s [N | iterations=N]\n", argv[0]);
      return 2;
    }
  }
  int rc = workload_run(n);
  fflush(stdout);
  return rc;
}

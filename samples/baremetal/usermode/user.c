// SPDX-License-Identifier: MIT
//
// usermode guest, ring-3 side. Linked into the user-accessible page at
// 0x400000 (its sections are renamed to .user.*), so it must be fully
// self-contained: no kernel functions, no libc, and nothing gcc would turn
// into a memcpy/memset call. The build checks `nm -u` is empty.
//
// Each faulting instruction is written in inline asm with fixed registers
// because the kernel recognises exactly these encodings to skip them.
#include <stddef.h>
#include <stdint.h>

#include "usermode.h"

uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));

static int failures;

static long sys_call(long nr, long a0, long a1) {
  long ret;
  // SYSCALL clobbers RCX (return RIP) and R11 (RFLAGS).
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory");
  return ret;
}

static size_t u_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static long u_write(const char *s) { return sys_call(SYS_WRITE, (long)s, (long)u_strlen(s)); }

// Prints "<what>0x<hex value> ok|FAILED\n" with one write syscall.
static void u_check(const char *what, uint64_t value, int ok) {
  char line[96];
  size_t n = 0;
  for (const char *p = what; *p && n < 60; p++) line[n++] = *p;
  line[n++] = '0';
  line[n++] = 'x';
  int started = 0;
  for (int shift = 60; shift >= 0; shift -= 4) {
    unsigned d = (unsigned)(value >> shift) & 0xF;
    if (d || started || shift == 0) {
      line[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
      started = 1;
    }
  }
  const char *verdict = ok ? " ok\n" : " FAILED\n";
  for (const char *p = verdict; *p; p++) line[n++] = *p;
  line[n] = 0;
  u_write(line);
  if (!ok) failures++;
}

void user_main(void) {
  u_write("hello from ring 3\n");

  uint64_t cs, ss;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  __asm__ volatile("mov %%ss, %0" : "=r"(ss));
  u_check("CS=", cs, cs == (SEL_USER_CS | 3));
  u_check("SS=", ss, ss == (SEL_USER_DS | 3));

  long pid = sys_call(SYS_GETPID, 0, 0);
  u_check("getpid() returned ", (uint64_t)pid, pid == USER_PID);

  // The kernel refuses to print memory outside the user region.
  long r = sys_call(SYS_WRITE, KERNEL_PROBE_ADDR, 16);
  u_check("write(kernel address) returned ", (uint64_t)r, r == -1);

  uint64_t v = 7;
  __asm__ volatile("int $0x80" : "+a"(v) : "D"(v) : "memory");
  u_check("int 0x80 (RDI=7) returned ", v, v == INT80_RESULT(7));

  __asm__ volatile("int3" ::: "memory");
  u_write("back from int3\n");

  // #DE: divide by zero. The kernel skips the div and sets RAX.
  uint64_t lo = 1234, hi = 0;
  __asm__ volatile("divq %%rcx" : "+a"(lo), "+d"(hi) : "c"(0ull) : "memory");
  u_check("after divide by zero RAX=", lo, lo == FIXUP_RAX(0));

  // #PF: read, then write, a supervisor-only page (U/S=1 in the error code).
  __asm__ volatile("movl (%%rbx), %%eax" : "=a"(v) : "b"((uint64_t)KERNEL_PROBE_ADDR) : "memory");
  u_check("after reading a supervisor page RAX=", v, v == FIXUP_RAX(14));
  v = 0x5a5a5a5a;
  __asm__ volatile("movl %%eax, (%%rbx)" : "+a"(v) : "b"((uint64_t)KERNEL_PROBE_ADDR) : "memory");
  u_check("after writing a supervisor page RAX=", v, v == FIXUP_RAX(14));

  // #GP: a privileged instruction, then a software interrupt through a
  // gate whose DPL is 0.
  __asm__ volatile("hlt" : "=a"(v) : : "memory");
  u_check("after hlt RAX=", v, v == FIXUP_RAX(13));
  __asm__ volatile("int $0x81" : "=a"(v) : : "memory");
  u_check("after int 0x81 RAX=", v, v == FIXUP_RAX(13));

  u_check("exiting, failures=", (uint64_t)failures, failures == 0);
  sys_call(SYS_EXIT, failures, 0);
  for (;;) {
    // SYS_EXIT does not return; spin rather than run off the end.
  }
}

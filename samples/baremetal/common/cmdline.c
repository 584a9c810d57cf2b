// SPDX-License-Identifier: MIT
// Multiboot command-line access. QEMU passes "<kernel path> <-append text>",
// so keys are searched as whitespace-separated tokens anywhere in the line.
#include "rt.h"

// Everything the guests touch must be inside the 1 GiB identity map.
#define IDENTITY_MAP_END 0x40000000u

const char *multiboot_cmdline(const struct multiboot_info *mbi, uint32_t magic) {
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC || mbi == 0) return "";
  if ((uintptr_t)mbi >= IDENTITY_MAP_END) return "";
  if (!(mbi->flags & MULTIBOOT_INFO_CMDLINE) || mbi->cmdline == 0) return "";
  if (mbi->cmdline >= IDENTITY_MAP_END) return "";
  return (const char *)(uintptr_t)mbi->cmdline;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

unsigned long cmdline_ulong(const char *cmdline, const char *key, unsigned long dflt) {
  size_t klen = strlen(key);
  const char *p = cmdline;
  while (*p) {
    while (is_space(*p)) p++;
    const char *tok = p;
    while (*p && !is_space(*p)) p++;
    if ((size_t)(p - tok) > klen && strncmp(tok, key, klen) == 0 && tok[klen] == '=') {
      const char *d = tok + klen + 1;
      if (d == p || *d < '0' || *d > '9') return dflt;
      unsigned long v = 0;
      for (; d < p; d++) {
        if (*d < '0' || *d > '9') return dflt;
        v = v * 10 + (unsigned long)(*d - '0');
      }
      return v;
    }
  }
  return dflt;
}

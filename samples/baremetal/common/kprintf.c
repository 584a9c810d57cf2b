// SPDX-License-Identifier: MIT
// Minimal printf for the guests. Supported, with glibc-identical output:
//   flags '-' and '0', a decimal field width (no '*', no precision),
//   length modifiers hh, h, l, ll, z,
//   conversions d i u x X c s p %.
// '%p' prints "0x" followed by lowercase hex (glibc prints "(nil)" for NULL,
// so shared code does not use %p).
#include <stdarg.h>
#include <stdbool.h>

#include "rt.h"

struct out {
  char buf[128];  // batch characters so long lines are one serial burst
  size_t len;
  int total;
};

static void out_flush(struct out *o) {
  serial_write(o->buf, o->len);
  o->len = 0;
}

static void out_char(struct out *o, char c) {
  if (o->len == sizeof(o->buf)) out_flush(o);
  o->buf[o->len++] = c;
  o->total++;
}

static void out_pad(struct out *o, char c, int n) {
  while (n-- > 0) out_char(o, c);
}

// Emits prefix+digits padded to width the way glibc does: zero padding goes
// between the sign/prefix and the digits, space padding before or after.
static void out_field(struct out *o, const char *prefix, const char *digits, int ndigits,
                      int width, bool left, bool zero) {
  int plen = 0;
  while (prefix[plen]) plen++;
  int pad = width - plen - ndigits;
  if (!left && !zero) out_pad(o, ' ', pad);
  for (int i = 0; i < plen; i++) out_char(o, prefix[i]);
  if (!left && zero) out_pad(o, '0', pad);
  for (int i = 0; i < ndigits; i++) out_char(o, digits[i]);
  if (left) out_pad(o, ' ', pad);
}

int kvprintf(const char *fmt, va_list ap) {
  struct out o;
  o.len = 0;
  o.total = 0;

  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      out_char(&o, *p);
      continue;
    }
    p++;
    bool left = false, zero = false;
    for (;; p++) {
      if (*p == '-') left = true;
      else if (*p == '0') zero = true;
      else break;
    }
    int width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    int lng = 0;  // 0 int, 1 long, 2 long long; h/hh are promoted anyway
    for (;; p++) {
      if (*p == 'l') lng++;
      else if (*p == 'z') lng = 1;
      else if (*p == 'h') continue;
      else break;
    }

    char tmp[24];
    int n = 0;
    switch (*p) {
      case 'd':
      case 'i': {
        long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        do {
          tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
          u /= 10;
        } while (u);
        out_field(&o, v < 0 ? "-" : "", tmp + sizeof(tmp) - n, n, width, left, zero && !left);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'p': {
        unsigned long long u;
        if (*p == 'p') u = (unsigned long long)(uintptr_t)va_arg(ap, void *);
        else if (lng) u = va_arg(ap, unsigned long long);
        else u = va_arg(ap, unsigned int);
        unsigned base = *p == 'u' ? 10 : 16;
        const char *digits = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
          tmp[sizeof(tmp) - 1 - n++] = digits[u % base];
          u /= base;
        } while (u);
        out_field(&o, *p == 'p' ? "0x" : "", tmp + sizeof(tmp) - n, n, width, left, zero && !left);
        break;
      }
      case 'c':
        tmp[0] = (char)va_arg(ap, int);
        out_field(&o, "", tmp, 1, width, left, false);
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        int len = 0;
        while (s[len]) len++;
        out_field(&o, "", s, len, width, left, false);
        break;
      }
      case '%':
        out_char(&o, '%');
        break;
      case '\0':
        p--;  // stray '%' at the end: stop without reading past the NUL
        break;
      default:
        // Unknown conversion: show it verbatim so the mistake is visible.
        out_char(&o, '%');
        out_char(&o, *p);
        break;
    }
  }
  out_flush(&o);
  return o.total;
}

int kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = kvprintf(fmt, ap);
  va_end(ap);
  return n;
}

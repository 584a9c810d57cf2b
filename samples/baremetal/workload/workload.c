// SPDX-License-Identifier: MIT
//
// The benchmark workload. This file is compiled twice: freestanding into the
// workload guest and hosted into workload-native. It must therefore only use
// <stdint.h>/<stddef.h> and kprintf with the conversions listed in
// common/kprintf.c, so that both builds print byte-identical output.
//
// One iteration is roughly 35 million x86-64 instructions (see README.md).
// Each iteration derives its inputs from the iteration number, so the final
// checksum depends on how many iterations ran.
#include "workload.h"

#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"

#define SIEVE_BASE 1000000u
#define SIEVE_SPREAD 4096u
#define CRC_BYTES (1u << 19)
#define SORT_N 32768u
#define MAT_N 64u

// Large buffers are static so they land in .bss and not on the small stack.
static uint8_t composite[SIEVE_BASE + SIEVE_SPREAD + 1];
static uint8_t crc_data[CRC_BYTES];
static uint32_t crc_table[256];
static uint32_t sort_data[SORT_N];
static uint32_t mat_a[MAT_N][MAT_N];
static uint32_t mat_b[MAT_N][MAT_N];
static uint32_t mat_c[MAT_N][MAT_N];

// 64-bit LCG (Knuth's MMIX constants): tiny, portable and deterministic.
static uint32_t lcg_next(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*state >> 32);
}

// FNV-1a style mixing of 64-bit values into the running checksum.
static uint64_t mix(uint64_t acc, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    acc ^= (v >> (8 * i)) & 0xff;
    acc *= 0x100000001b3ull;
  }
  return acc;
}

struct sieve_result {
  uint32_t limit;
  uint32_t count;
  uint32_t largest;
  uint64_t sum;
};

static struct sieve_result run_sieve(uint32_t limit) {
  for (uint32_t i = 0; i <= limit; i++) composite[i] = 0;
  composite[0] = composite[1] = 1;
  for (uint32_t i = 2; i * i <= limit; i++) {
    if (composite[i]) continue;
    for (uint32_t j = i * i; j <= limit; j += i) composite[j] = 1;
  }
  struct sieve_result r = {limit, 0, 0, 0};
  for (uint32_t i = 2; i <= limit; i++) {
    if (!composite[i]) {
      r.count++;
      r.largest = i;
      r.sum += i;
    }
  }
  return r;
}

static void crc32_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

// Standard reflected CRC-32 (zlib/PNG), one table lookup per byte.
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static void sift_down(uint32_t *a, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static void heapsort_u32(uint32_t *a, size_t n) {
  for (size_t i = n / 2; i > 0; i--) sift_down(a, i - 1, n);
  for (size_t end = n; end > 1; end--) {
    uint32_t t = a[0];
    a[0] = a[end - 1];
    a[end - 1] = t;
    sift_down(a, 0, end - 1);
  }
}

int workload_run(unsigned long iterations) {
  int failures = 0;
  uint64_t checksum = 0xcbf29ce484222325ull;  // FNV offset basis

  kprintf("workload: iterations=%lu sieve=%u crc=%u sort=%u matrix=%ux%u\n", iterations,
          SIEVE_BASE, CRC_BYTES, SORT_N, MAT_N, MAT_N);
  crc32_init();
  // Known-answer test so a broken CRC shows up as a failure, not just as a
  // different checksum.
  const uint8_t kat[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  if (crc32(kat, sizeof(kat)) != 0xCBF43926u) {
    kprintf("workload: FAIL crc32(\"123456789\") != cbf43926\n");
    failures++;
  }

  for (unsigned long it = 0; it < iterations; it++) {
    uint64_t seed = 0x9E3779B97F4A7C15ull * (it + 1);

    struct sieve_result s = run_sieve(SIEVE_BASE + (uint32_t)((it * 7919u) % SIEVE_SPREAD));
    kprintf("iter %lu: sieve limit=%u primes=%u largest=%u sum=%016llx\n", it, s.limit,
            s.count, s.largest, (unsigned long long)s.sum);
    checksum = mix(checksum, s.count);
    checksum = mix(checksum, s.sum);

    uint64_t st = seed;
    for (uint32_t i = 0; i < CRC_BYTES; i += 4) {
      uint32_t v = lcg_next(&st);
      crc_data[i] = (uint8_t)v;
      crc_data[i + 1] = (uint8_t)(v >> 8);
      crc_data[i + 2] = (uint8_t)(v >> 16);
      crc_data[i + 3] = (uint8_t)(v >> 24);
    }
    uint32_t crc = crc32(crc_data, CRC_BYTES);
    kprintf("iter %lu: crc32 bytes=%u crc=%08x\n", it, CRC_BYTES, crc);
    checksum = mix(checksum, crc);

    st = seed ^ 0x5bd1e995u;
    uint64_t sum_before = 0;
    for (uint32_t i = 0; i < SORT_N; i++) {
      sort_data[i] = lcg_next(&st);
      sum_before += sort_data[i];
    }
    heapsort_u32(sort_data, SORT_N);
    uint64_t sum_after = 0, weighted = 0;
    int sorted = 1;
    for (uint32_t i = 0; i < SORT_N; i++) {
      sum_after += sort_data[i];
      weighted = weighted * 31 + sort_data[i];
      if (i && sort_data[i - 1] > sort_data[i]) sorted = 0;
    }
    if (!sorted || sum_after != sum_before) {
      kprintf("iter %lu: FAIL heapsort (sorted=%d sum_ok=%d)\n", it, sorted,
              sum_after == sum_before);
      failures++;
    }
    kprintf("iter %lu: heapsort n=%u min=%08x median=%08x max=%08x hash=%016llx\n", it, SORT_N,
            sort_data[0], sort_data[SORT_N / 2], sort_data[SORT_N - 1],
            (unsigned long long)weighted);
    checksum = mix(checksum, weighted);

    st = seed ^ 0xdeadbeefu;
    for (uint32_t i = 0; i < MAT_N; i++) {
      for (uint32_t j = 0; j < MAT_N; j++) {
        mat_a[i][j] = lcg_next(&st) % 1000u;
        mat_b[i][j] = lcg_next(&st) % 1000u;
      }
    }
    for (uint32_t i = 0; i < MAT_N; i++) {
      for (uint32_t j = 0; j < MAT_N; j++) {
        uint32_t acc = 0;
        for (uint32_t k = 0; k < MAT_N; k++) acc += mat_a[i][k] * mat_b[k][j];
        mat_c[i][j] = acc;
      }
    }
    uint64_t trace = 0, mhash = 0;
    for (uint32_t i = 0; i < MAT_N; i++) {
      trace += mat_c[i][i];
      for (uint32_t j = 0; j < MAT_N; j++) mhash = mhash * 1000003u + mat_c[i][j];
    }
    kprintf("iter %lu: matmul n=%u trace=%llu hash=%016llx\n", it, MAT_N,
            (unsigned long long)trace, (unsigned long long)mhash);
    checksum = mix(checksum, trace);
    checksum = mix(checksum, mhash);

    kprintf("iter %lu: running checksum=%016llx\n", it, (unsigned long long)checksum);
  }

  kprintf("workload: checksum=%016llx\n", (unsigned long long)checksum);
  kprintf("workload: %s\n", failures ? "FAILED" : "done");
  return failures ? 1 : 0;
}

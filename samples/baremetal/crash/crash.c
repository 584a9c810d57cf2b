// SPDX-License-Identifier: MIT
//
// crash guest: a small "job scheduler" with a realistic memory-corruption
// bug, made for the reverse-debugging walkthrough.
//
//  1. setup puts a few jobs on g_sched.recycle_list (a valid pointer);
//  2. fill_deadlines() has an off-by-one loop (`<=`) that writes one element
//     past g_sched.deadline[] and so overwrites g_sched.recycle_list with
//     0x48000000, an address above the 1 GiB identity map;
//  3. a few million instructions of unrelated work follow (building and
//     walking a linked list, hashing, progress lines);
//  4. at shutdown recycle_jobs() walks g_sched.recycle_list and the first
//     dereference page-faults; the #PF handler prints
//     "PANIC: page fault at RIP=... CR2=0x48000000 err=0x0" and exits with
//     the failure status (0x11, QEMU status 35).
//
// Walkthrough: break on recycle_jobs (or run to the panic), then
//   watch -l g_sched.recycle_list
//   reverse-continue
// stops on the line marked "BUG" in fill_deadlines().
#include "idt.h"
#include "rt.h"

#define STAGES 8
#define MAX_JOBS 400
#define RECYCLED_JOBS 4
#define WORK_ROUNDS 4

// Deadlines are counted in ticks from the start of the run; the first one
// is 2^30 ticks out and each later stage gets 2^24 more.
#define TICK_BASE 0x40000000ull
#define TICKS_PER_STAGE 0x01000000ull

struct job {
  struct job *next;
  uint32_t id;
  uint32_t cost;
  uint64_t result;
};

// The per-stage deadlines sit right in front of the recycle list head, so
// writing deadline[STAGES] lands on recycle_list.
struct scheduler {
  uint64_t deadline[STAGES];
  struct job *recycle_list;  // jobs handed back to the pool at shutdown
  struct job *run_list;      // jobs of the current run
  uint64_t ticks;
};

struct scheduler g_sched;

static struct job job_pool[MAX_JOBS];
static unsigned jobs_used;
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rng(void) {
  // xorshift64*: cheap, deterministic
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static struct job *job_alloc(void) {
  if (jobs_used == MAX_JOBS) {
    kprintf("crash: job pool exhausted\n");
    exit_failure();
  }
  struct job *j = &job_pool[jobs_used];
  j->id = jobs_used++;
  j->cost = 4 + rng() % 12;
  j->next = 0;
  j->result = 0;
  return j;
}

// noipa keeps gcc from specialising this for the call site below: with the
// array bounds visible it would (rightly) treat the overflow as undefined
// behaviour and might drop it. In a real program it would live in another
// file; the bug is the same.
__attribute__((noipa)) static void fill_deadlines(uint64_t *deadline, int stages) {
  // BUG: `<=` runs one step too far and writes deadline[stages], which is
  // g_sched.recycle_list. It should be `i < stages`.
  for (int i = 0; i <= stages; i++) {
    deadline[i] = TICK_BASE + (uint64_t)i * TICKS_PER_STAGE;  // BUG: writes past the end
  }
}

// Unrelated work: Collatz stopping times mixed into a hash, proportional
// to the job's cost.
__attribute__((noinline)) static uint64_t run_job(struct job *j, unsigned round) {
  uint64_t h = j->result ^ ((uint64_t)round << 32) ^ j->id;
  for (uint32_t k = 0; k < j->cost; k++) {
    uint64_t n = (uint64_t)j->id * 7 + k + round + 1;
    unsigned steps = 0;
    while (n != 1 && steps < 64) {
      n = (n & 1) ? 3 * n + 1 : n / 2;
      steps++;
    }
    h = (h ^ steps) * 0x100000001b3ull;
  }
  return h;
}

static void recycle_jobs(void) {
  unsigned n = 0;
  // With the corrupted head, the very first j->next reads 0x48000000.
  for (struct job *j = g_sched.recycle_list; j; j = j->next) n++;
  kprintf("crash: recycled %u jobs\n", n);
}

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  (void)mbi;
  (void)magic;
  serial_init();
  idt_init();  // the default handler prints the PANIC line
  kprintf("crash: scheduler starting\n");

  for (int i = 0; i < RECYCLED_JOBS; i++) {
    struct job *j = job_alloc();
    j->next = g_sched.recycle_list;
    g_sched.recycle_list = j;
  }
  kprintf("crash: %d jobs on the recycle list, head=%p\n", RECYCLED_JOBS,
          (void *)g_sched.recycle_list);

  fill_deadlines(g_sched.deadline, STAGES);
  kprintf("crash: deadlines set, last stage due at tick 0x%lx\n", g_sched.deadline[STAGES - 1]);

  // Build the run list.
  struct job **tail = &g_sched.run_list;
  while (jobs_used < MAX_JOBS) {
    struct job *j = job_alloc();
    *tail = j;
    tail = &j->next;
  }
  kprintf("crash: %u jobs queued\n", jobs_used - RECYCLED_JOBS);

  for (unsigned round = 0; round < WORK_ROUNDS; round++) {
    uint64_t digest = 0xcbf29ce484222325ull;
    unsigned count = 0;
    for (struct job *j = g_sched.run_list; j; j = j->next) {
      j->result = run_job(j, round);
      digest = (digest ^ j->result) * 0x100000001b3ull;
      g_sched.ticks += j->cost;
      count++;
    }
    kprintf("crash: round %u: ran %u jobs, ticks=%lu digest=%016lx\n", round, count,
            g_sched.ticks, digest);
  }

  kprintf("crash: shutting down, recycling jobs\n");
  recycle_jobs();
  kprintf("crash: clean shutdown (the bug did not trigger?)\n");
  return 0;
}

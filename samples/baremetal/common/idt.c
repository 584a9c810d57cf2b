// SPDX-License-Identifier: MIT
// IDT setup and the default "panic" trap handler.
#include "idt.h"

#include "io.h"
#include "rt.h"

struct __attribute__((packed)) idt_gate {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t reserved;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));

extern const uint64_t isr_stub_table[32];
extern const uint64_t isr_stub_0x80;
extern const uint64_t isr_stub_0x81;

static uint64_t stub_for(uint8_t vector) {
  if (vector < 32) return isr_stub_table[vector];
  if (vector == 0x80) return isr_stub_0x80;
  if (vector == 0x81) return isr_stub_0x81;
  return 0;
}

void idt_set_gate(uint8_t vector, unsigned dpl, unsigned ist) {
  uint64_t handler = stub_for(vector);
  if (!handler) {
    kprintf("PANIC: no entry stub for vector %u\n", vector);
    exit_failure();
  }
  struct idt_gate *g = &idt[vector];
  g->offset_lo = (uint16_t)handler;
  g->selector = KERNEL_CS;
  g->ist = (uint8_t)(ist & 7);
  // Present, DPL, type 0xE = 64-bit interrupt gate (clears IF on entry; the
  // guests run with IF=0 throughout anyway).
  g->type_attr = (uint8_t)(0x80 | ((dpl & 3) << 5) | 0x0E);
  g->offset_mid = (uint16_t)(handler >> 16);
  g->offset_hi = (uint32_t)(handler >> 32);
  g->reserved = 0;
}

void idt_init(void) {
  for (unsigned v = 0; v < 32; v++) idt_set_gate((uint8_t)v, 0, 0);
  struct dt_ptr p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
  lidt(&p);
}

static const char *const names[32] = {
    "#DE divide error",   "#DB debug",          "NMI",
    "#BP breakpoint",     "#OF overflow",       "#BR bound range",
    "#UD invalid opcode", "#NM device n/a",     "#DF double fault",
    "coprocessor overrun", "#TS invalid TSS",   "#NP segment not present",
    "#SS stack fault",    "#GP general protection", "#PF page fault",
    "reserved 15",        "#MF x87 error",      "#AC alignment check",
    "#MC machine check",  "#XM SIMD error",     "#VE virtualization",
    "#CP control protection", "reserved 22",    "reserved 23",
    "reserved 24",        "reserved 25",        "reserved 26",
    "reserved 27",        "#HV hypervisor injection", "#VC VMM communication",
    "#SX security",       "reserved 31",
};

const char *exception_name(uint64_t vector) {
  if (vector < 32) return names[vector];
  return "software interrupt";
}

void trap_panic(const struct trap_frame *tf) {
  if (tf->vector == 14) {
    uint64_t cr2 = read_cr2();
    kprintf("PANIC: page fault at RIP=0x%lx CR2=0x%lx err=0x%lx\n", tf->rip, cr2,
            tf->error_code);
    kprintf("PANIC: %s %s in %s mode\n",
            (tf->error_code & 1) ? "protection violation" : "not-present page",
            (tf->error_code & 2) ? "on write" : "on read",
            (tf->error_code & 4) ? "user" : "supervisor");
  } else {
    kprintf("PANIC: exception %lu (%s) at RIP=0x%lx err=0x%lx\n", tf->vector,
            exception_name(tf->vector), tf->rip, tf->error_code);
  }
  kprintf("PANIC: CS=0x%lx RFLAGS=0x%lx RSP=0x%lx\n", tf->cs, tf->rflags, tf->rsp);
  exit_failure();
}

__attribute__((weak)) void trap_handler(struct trap_frame *tf) { trap_panic(tf); }

void trap_dispatch(struct trap_frame *tf);
void trap_dispatch(struct trap_frame *tf) { trap_handler(tf); }

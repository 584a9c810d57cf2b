// SPDX-License-Identifier: MIT
//
// usermode guest, kernel side: GDT with user segments and a 64-bit TSS, an
// IDT whose handlers resume ring 3 after faults, SYSCALL/SYSRET, and a drop
// into the ring-3 program in user.c. The user program provokes a fixed list
// of events; the kernel prints each with enough detail (vector, error code,
// CS and CPL, RIP, CR2) that the expected output checks real CPU behaviour,
// and finally checks the tally.
#include "idt.h"
#include "io.h"
#include "rt.h"
#include "usermode.h"

#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_SFMASK 0xC0000084u
#define EFER_SCE (1u << 0)

// Cleared on SYSCALL entry: TF, IF, DF, IOPL, NT, AC (as Linux does).
#define SYSCALL_RFLAGS_MASK 0x47700u

#define PTE_U 0x4u

struct __attribute__((packed)) tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};

// Saved by entry.S: the layout must match its push order.
struct syscall_frame {
  uint64_t r9, r8, r10, rdx, rsi, rdi, rax;
  uint64_t rip;     // from RCX
  uint64_t rflags;  // from R11
  uint64_t rsp;
};

extern uint64_t boot_pd[512];
extern void syscall_entry(void);
__attribute__((noreturn)) extern void enter_user(uint64_t rip, uint64_t rsp);

static uint64_t gdt[9] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
// Stack for traps from ring 3 (TSS.RSP0) and a separate one for #DF (IST1),
// so a double fault caused by a bad kernel stack still gets a usable stack.
static uint8_t rsp0_stack[16384] __attribute__((aligned(16)));
static uint8_t df_stack[8192] __attribute__((aligned(16)));

static struct {
  unsigned syscalls, writes, getpid, int80, bp, de, pf, gp;
} stats;

static uint64_t segment_descriptor(uint8_t access, uint8_t flags) {
  // Base 0, limit 0xFFFFF (ignored in 64-bit mode but conventional).
  return 0xFFFFull | ((uint64_t)access << 40) | ((uint64_t)(0xF | (flags << 4)) << 48);
}

static void setup_gdt_tss(void) {
  gdt[0] = 0;
  gdt[SEL_KERNEL_CS / 8] = segment_descriptor(0x9A, 0xA);  // P, DPL0, code; L=1, G=1
  gdt[SEL_KERNEL_DS / 8] = segment_descriptor(0x92, 0xC);  // P, DPL0, data; D/B=1, G=1
  gdt[SEL_USER_CS32 / 8] = segment_descriptor(0xFA, 0xC);  // P, DPL3, code; D=1 (compat)
  gdt[SEL_USER_DS / 8] = segment_descriptor(0xF2, 0xC);    // P, DPL3, data
  gdt[SEL_USER_CS / 8] = segment_descriptor(0xFA, 0xA);    // P, DPL3, code; L=1

  tss.rsp[0] = (uint64_t)(uintptr_t)(rsp0_stack + sizeof(rsp0_stack));
  tss.ist[0] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
  // I/O map base beyond the limit: no I/O permission bitmap, so every port
  // access from ring 3 (IOPL 0) raises #GP.
  tss.iomap_base = sizeof(tss);

  uint64_t base = (uint64_t)(uintptr_t)&tss;
  uint64_t limit = sizeof(tss) - 1;
  gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
                     (0x89ull << 40) |  // P, DPL0, type 9 = available 64-bit TSS
                     (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  gdt[SEL_TSS / 8 + 1] = base >> 32;

  struct dt_ptr p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
  lgdt(&p);
  // Reload CS with a far return (no direct far jump to an immediate in
  // 64-bit mode), then the data segments and the task register.
  __asm__ volatile(
      "pushq %[cs]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movl %[ds], %%eax\n\t"
      "movl %%eax, %%ds\n\t"
      "movl %%eax, %%es\n\t"
      "movl %%eax, %%ss\n\t"
      "ltr %w[tr]"
      :
      : [cs] "i"(SEL_KERNEL_CS), [ds] "i"(SEL_KERNEL_DS), [tr] "r"((uint16_t)SEL_TSS)
      : "rax", "memory");
}

static void setup_syscall(void) {
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
  wrmsr(MSR_STAR, ((uint64_t)SEL_USER_CS32 << 48) | ((uint64_t)SEL_KERNEL_CS << 32));
  wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
  wrmsr(MSR_SFMASK, SYSCALL_RFLAGS_MASK);
}

static int in_user_region(uint64_t addr, uint64_t len) {
  return addr >= USER_REGION_BASE && len <= USER_REGION_SIZE &&
         addr - USER_REGION_BASE <= USER_REGION_SIZE - len;
}

static void map_user_region(void) {
  uint64_t entry = USER_REGION_BASE >> 21;
  if (!in_user_region((uint64_t)(uintptr_t)user_main, 1) ||
      !in_user_region((uint64_t)(uintptr_t)user_stack, sizeof(user_stack))) {
    kprintf("usermode: FAIL user program not linked into the user region\n");
    exit_failure();
  }
  boot_pd[entry] |= PTE_U;
  write_cr3(read_cr3());  // flush the stale supervisor-only translation
}

__attribute__((noreturn)) static void finish(uint64_t code) {
  kprintf("usermode: user task exited with code %lu\n", code);
  kprintf("usermode: summary syscalls=%u write=%u getpid=%u int80=%u #BP=%u #DE=%u #PF=%u #GP=%u\n",
          stats.syscalls, stats.writes, stats.getpid, stats.int80, stats.bp, stats.de, stats.pf,
          stats.gp);
  // The exact tally user.c is written to produce.
  int ok = code == 0 && stats.getpid == 1 && stats.int80 == 1 && stats.bp == 1 &&
           stats.de == 1 && stats.pf == 2 && stats.gp == 2;
  kprintf("usermode: %s\n", ok ? "PASS" : "FAIL");
  if (ok) exit_success();
  exit_failure();
}

uint64_t syscall_dispatch(struct syscall_frame *f);
uint64_t syscall_dispatch(struct syscall_frame *f) {
  stats.syscalls++;
  switch (f->rax) {
    case SYS_WRITE:
      stats.writes++;
      // No SMAP, so the kernel can read user memory directly, but it must
      // not let ring 3 make it print kernel memory.
      if (!in_user_region(f->rdi, f->rsi)) {
        kprintf("kernel: write(buf=0x%lx, len=%lu) rejected: not user memory\n", f->rdi, f->rsi);
        return (uint64_t)-1;
      }
      kprintf("ring3: ");
      serial_write((const char *)(uintptr_t)f->rdi, f->rsi);
      return f->rsi;
    case SYS_GETPID:
      stats.getpid++;
      kprintf("kernel: syscall getpid from RIP=0x%lx RSP=0x%lx RFLAGS=0x%lx -> %u\n", f->rip,
              f->rsp, f->rflags, USER_PID);
      return USER_PID;
    case SYS_EXIT:
      finish(f->rdi);
    default:
      kprintf("kernel: unknown syscall %lu\n", f->rax);
      return (uint64_t)-1;
  }
}

// Length of the few faulting instructions user.c executes on purpose.
// Anything else faulting in ring 3 is unexpected and panics.
static unsigned fixup_length(uint64_t rip) {
  const uint8_t *p = (const uint8_t *)(uintptr_t)rip;
  if (!in_user_region(rip, 3)) return 0;
  if (p[0] == 0x48 && p[1] == 0xF7 && p[2] == 0xF1) return 3;  // div %rcx
  if (p[0] == 0x8B && p[1] == 0x03) return 2;                  // mov (%rbx),%eax
  if (p[0] == 0x89 && p[1] == 0x03) return 2;                  // mov %eax,(%rbx)
  if (p[0] == 0xF4) return 1;                                  // hlt
  if (p[0] == 0xCD) return 2;                                  // int imm8
  return 0;
}

static void fixup_and_resume(struct trap_frame *tf) {
  unsigned len = fixup_length(tf->rip);
  if (!len) {
    kprintf("kernel: unexpected fault in ring 3\n");
    trap_panic(tf);
  }
  kprintf("kernel: skipping the %u-byte faulting instruction, RAX=0x%x\n", len,
          FIXUP_RAX((unsigned)tf->vector));
  tf->rip += len;
  tf->rax = FIXUP_RAX(tf->vector);
}

void trap_handler(struct trap_frame *tf) {
  unsigned cpl = (unsigned)(tf->cs & 3);
  // The kernel itself never faults on purpose.
  if (cpl != 3) trap_panic(tf);

  switch (tf->vector) {
    case 3:
      stats.bp++;
      // #BP is a trap: RIP already points past the int3.
      kprintf("kernel: %s (vector %lu) err=0x%lx CS=0x%lx CPL=%u SS=0x%lx RIP=0x%lx (after int3)\n",
              exception_name(tf->vector), tf->vector, tf->error_code, tf->cs, cpl, tf->ss,
              tf->rip);
      return;
    case 0x80:
      stats.int80++;
      kprintf("kernel: int 0x80 (vector %lu) CS=0x%lx CPL=%u RIP=0x%lx RDI=%lu -> RAX=%lu\n",
              tf->vector, tf->cs, cpl, tf->rip, tf->rdi, (uint64_t)INT80_RESULT(tf->rdi));
      tf->rax = INT80_RESULT(tf->rdi);
      return;
    case 0:
      stats.de++;
      kprintf("kernel: %s (vector %lu) err=0x%lx CS=0x%lx CPL=%u RIP=0x%lx RSP=0x%lx\n",
              exception_name(tf->vector), tf->vector, tf->error_code, tf->cs, cpl, tf->rip,
              tf->rsp);
      fixup_and_resume(tf);
      return;
    case 13: {
      stats.gp++;
      kprintf("kernel: %s (vector %lu) err=0x%lx CS=0x%lx CPL=%u RIP=0x%lx\n",
              exception_name(tf->vector), tf->vector, tf->error_code, tf->cs, cpl, tf->rip);
      // Error code bit 1 (IDT) means the fault names an IDT entry: the
      // selector index field (bits 3..15) is the vector.
      if (tf->error_code & 2)
        kprintf("kernel:   error code refers to IDT vector 0x%lx\n", tf->error_code >> 3);
      else
        kprintf("kernel:   error code 0: privileged instruction\n");
      fixup_and_resume(tf);
      return;
    }
    case 14: {
      stats.pf++;
      uint64_t cr2 = read_cr2();
      kprintf("kernel: %s (vector %lu) err=0x%lx CR2=0x%lx CS=0x%lx CPL=%u RIP=0x%lx\n",
              exception_name(tf->vector), tf->vector, tf->error_code, cr2, tf->cs, cpl, tf->rip);
      kprintf("kernel:   P=%lu W/R=%lu U/S=%lu: %s %s of a supervisor page from user mode\n",
              tf->error_code & 1, (tf->error_code >> 1) & 1, (tf->error_code >> 2) & 1,
              (tf->error_code & 1) ? "protection violation," : "not present,",
              (tf->error_code & 2) ? "write" : "read");
      fixup_and_resume(tf);
      return;
    }
    default:
      trap_panic(tf);
  }
}

int kmain(struct multiboot_info *mbi, uint32_t magic) {
  (void)mbi;
  (void)magic;
  serial_init();
  kprintf("usermode: kernel starting\n");

  idt_init();
  idt_set_gate(8, 0, 1);     // #DF on IST1
  idt_set_gate(3, 3, 0);     // int3 is allowed from ring 3
  idt_set_gate(0x80, 3, 0);  // the int 0x80 system call gate
  idt_set_gate(0x81, 0, 0);  // present but DPL 0: int 0x81 from ring 3 is #GP
  setup_gdt_tss();
  setup_syscall();
  map_user_region();

  kprintf("usermode: GDT/TSS/IDT/SYSCALL ready (STAR=0x%lx LSTAR=0x%lx SFMASK=0x%lx)\n",
          rdmsr(MSR_STAR), rdmsr(MSR_LSTAR), rdmsr(MSR_SFMASK));
  uint64_t entry = (uint64_t)(uintptr_t)user_main;
  // The stack must start 16-byte aligned minus the "return address" slot,
  // as if user_main had been called.
  uint64_t rsp = (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)) - 8;
  kprintf("usermode: entering ring 3 with IRETQ at RIP=0x%lx RSP=0x%lx\n", entry, rsp);
  enter_user(entry, rsp);
}

// SPDX-License-Identifier: MIT
//
// Multiboot v1 entry for the bare-metal sample guests.
//
// The loader (QEMU -kernel, or rewind's own multiboot loader) enters _start in
// 32-bit protected mode with flat segments, paging off, EAX = 0x2BADB002 and
// EBX = physical address of the multiboot information structure. This stub
// switches to 64-bit long mode with the first 1 GiB identity-mapped (2 MiB
// pages) and calls the C function
//
//   int kmain(struct multiboot_info *mbi, uint32_t magic);
//
// A return value of 0 ends the machine through isa-debug-exit with "success"
// (0x10, QEMU status 33), anything else with "failure" (0x11, status 35).
//
// The file is assembled as 64-bit ELF; the 32-bit part is written with
// .code32 so that everything links into one image at 1 MiB.

#define MB_HEADER_MAGIC 0x1BADB002
// No requirement flags: we need neither aligned modules nor a video mode,
// and the memory map is not used. The loader still passes the command line.
#define MB_HEADER_FLAGS 0x00000000

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)

#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)

#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)

#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_U 0x004
#define PTE_PS 0x080

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

#define BOOT_STACK_SIZE 0x10000

  .section .multiboot, "a"
  .balign 4
multiboot_header:
  .long MB_HEADER_MAGIC
  .long MB_HEADER_FLAGS
  .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

  .section .boot.text, "ax"
  .code32
  .globl _start
  .type _start, @function
_start:
  cli
  cld
  // EAX/EBX are needed by kmain, but rep stosl below clobbers EAX/EDI, so
  // park them in .data (not .bss, which is about to be cleared).
  movl %eax, boot_magic
  movl %ebx, boot_mbi
  movl $boot_stack_top, %esp

  // Clear .bss ourselves instead of trusting the loader: the page tables and
  // all C globals without an initialiser live there.
  movl $__bss_start, %edi
  movl $__bss_end, %ecx
  subl %edi, %ecx
  shrl $2, %ecx
  xorl %eax, %eax
  rep stosl

  // PML4[0] -> PDPT, PDPT[0] -> PD. The upper levels carry U/S=1 so that a
  // guest can hand a 2 MiB region to ring 3 by setting U/S in its PD entry
  // alone (see usermode/). PML4[1..] and PDPT[1..] stay zero: anything at or
  // above 1 GiB is unmapped and faults.
  movl $boot_pdpt + (PTE_P | PTE_W | PTE_U), boot_pml4
  movl $boot_pd + (PTE_P | PTE_W | PTE_U), boot_pdpt

  // PD: 512 supervisor-only 2 MiB pages covering 0 .. 1 GiB, identity.
  movl $boot_pd, %edi
  movl $(PTE_P | PTE_W | PTE_PS), %eax
  movl $512, %ecx
1:
  movl %eax, (%edi)
  movl $0, 4(%edi)
  addl $0x200000, %eax
  addl $8, %edi
  decl %ecx
  jnz 1b

  // PAE is mandatory for long mode; OSFXSR/OSXMMEXCPT make SSE usable (gcc
  // emits SSE2 for x86-64 code even in integer-heavy functions).
  movl %cr4, %eax
  orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
  movl %eax, %cr4

  movl $boot_pml4, %eax
  movl %eax, %cr3

  movl $MSR_EFER, %ecx
  rdmsr
  orl $EFER_LME, %eax
  wrmsr

  // Turning on PG with EFER.LME set activates IA-32e mode. MP=1/EM=0/TS=0 so
  // SSE instructions do not trap; NE for native x87 error reporting; WP so
  // ring 0 honours read-only pages like real kernels do.
  movl %cr0, %eax
  andl $~(CR0_EM | CR0_TS), %eax
  orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
  movl %eax, %cr0

  // We are in compatibility mode now; a far jump through a code descriptor
  // with L=1 enters 64-bit mode.
  lgdt boot_gdt_ptr
  ljmp $KERNEL_CS, $long_mode_entry
  .size _start, . - _start

  .code64
  .type long_mode_entry, @function
long_mode_entry:
  // Mark the outermost frame so debuggers stop unwinding here instead of
  // walking into the garbage beyond the boot stack.
  .cfi_startproc
  .cfi_undefined rip
  movl $KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  movl %eax, %ss
  xorl %eax, %eax
  movl %eax, %fs
  movl %eax, %gs
  movq $boot_stack_top, %rsp
  xorl %ebp, %ebp

  // 32-bit loads zero-extend, so the upper halves are clean for the ABI.
  movl boot_mbi(%rip), %edi
  movl boot_magic(%rip), %esi
  call kmain
  movl %eax, %edi
  call boot_exit
2:
  cli
  hlt
  jmp 2b
  .cfi_endproc
  .size long_mode_entry, . - long_mode_entry

  .section .data
  .balign 16
  .globl boot_gdt
boot_gdt:
  .quad 0                     // 0x00 null
  .quad 0x00AF9A000000FFFF    // 0x08 64-bit code, DPL 0 (L=1, D=0)
  .quad 0x00CF92000000FFFF    // 0x10 data, DPL 0
boot_gdt_end:

  // 10-byte pseudo-descriptor: the 32-bit lgdt above reads the first 6 bytes,
  // a 64-bit lgdt would read all 10.
  .balign 16
boot_gdt_ptr:
  .word boot_gdt_end - boot_gdt - 1
  .quad boot_gdt

  .balign 4
  .globl boot_magic
boot_magic:
  .long 0
  .globl boot_mbi
boot_mbi:
  .long 0

  .section .bss
  .balign 4096
  .globl boot_pml4
boot_pml4:
  .skip 4096
  .globl boot_pdpt
boot_pdpt:
  .skip 4096
  .globl boot_pd
boot_pd:
  .skip 4096
  .balign 16
boot_stack:
  .skip BOOT_STACK_SIZE
  .globl boot_stack_top
boot_stack_top:

  .section .note.GNU-stack, "", @progbits

// SPDX-License-Identifier: MIT
// A multiboot (a.out kludge) trampoline that replays rewind's Linux loader in QEMU: it copies
// each module (a region the loader wrote, see dump_boot.cc) to its address, replaces the e820
// table in boot_params with the firmware's memory map, then enters the kernel in the exact
// state load_linux() put in CpuState: the loader's GDT, CR4/CR3/EFER/CR0, the 64-bit code
// selector, data selectors, RSI = boot_params, RSP, RIP. If the real kernel boots from here,
// the loader's memory image and entry state are right, independently of rewind's CPU.
.include "entry.inc"

  .text
  .code32
  .globl _start
_start:
header:
  .long 0x1badb002
  .long 0x10000                     // bit 16: the address fields below are valid
  .long -(0x1badb002 + 0x10000)
  .long header                      // header_addr
  .long header                      // load_addr
  .long data_end                    // load_end_addr
  .long stack_top                   // bss_end_addr: QEMU puts modules after it
  .long entry                       // entry_addr

entry:
  cli
  cld
  mov $stack_top, %esp
  mov %ebx, %ebp                    // multiboot info
  mov 20(%ebp), %ecx                // mods_count
  cmp $NCHUNKS, %ecx
  jne fail
  mov 24(%ebp), %ebx                // mods_addr: {start, end, string, reserved}
  mov $destinations, %edx
copy:
  test %ecx, %ecx
  jz copied
  push %ecx
  mov 0(%ebx), %esi
  mov 4(%ebx), %ecx
  sub %esi, %ecx
  mov (%edx), %edi
  rep movsb
  pop %ecx
  add $16, %ebx
  add $4, %edx
  dec %ecx
  jmp copy
copied:

  // Multiboot mmap entries are {u32 size, u64 addr, u64 len, u32 type}; e820 entries in
  // boot_params are the last 20 bytes of each.
  testl $0x40, 0(%ebp)
  jz fail
  mov 48(%ebp), %esi                // mmap_addr
  mov 44(%ebp), %edx                // mmap_length
  add %esi, %edx
  mov $(BOOT_PARAMS + 0x2d0), %edi
  movb $0, BOOT_PARAMS + 0x1e8
next_entry:
  cmp %edx, %esi
  jae mapped
  cmpb $128, BOOT_PARAMS + 0x1e8
  jae mapped
  push %esi
  add $4, %esi
  mov $5, %ecx
  rep movsl
  pop %esi
  mov (%esi), %eax
  lea 4(%esi, %eax), %esi
  incb BOOT_PARAMS + 0x1e8
  jmp next_entry
mapped:

  lgdt gdtr
  mov $CR4, %eax
  mov %eax, %cr4
  mov $CR3, %eax
  mov %eax, %cr3
  mov $0xc0000080, %ecx             // EFER
  mov $EFER, %eax
  and $~0x400, %eax                 // LMA is set by the CPU when paging turns on
  xor %edx, %edx
  wrmsr
  mov $CR0, %eax
  mov %eax, %cr0
  ljmp $CS_SEL, $long_mode

fail:
  mov $0x3f8, %dx
  mov $'!', %al
  out %al, %dx
  cli
  hlt
  jmp fail

  .code64
long_mode:
  mov $DS_SEL, %eax
  mov %eax, %ds
  mov $ES_SEL, %eax
  mov %eax, %es
  mov $SS_SEL, %eax
  mov %eax, %ss
  mov $DS_SEL, %eax
  mov %eax, %fs
  mov %eax, %gs
  mov $RSP, %rsp
  push $RFLAGS
  popfq
  mov $RSI, %rsi
  mov $RIP, %rax
  xor %ebx, %ebx
  xor %ecx, %ecx
  xor %edx, %edx
  xor %edi, %edi
  xor %ebp, %ebp
  jmp *%rax

  .align 8
gdtr:
  .word GDT_LIMIT
  .long GDT_BASE
destinations:
  DESTINATIONS
data_end:

  .bss
  .align 16
  .space 4096
stack_top:

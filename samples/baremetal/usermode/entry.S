// SPDX-License-Identifier: MIT
// SYSCALL entry and the initial drop to ring 3 for the usermode guest.

#include "usermode.h"

  .text
  .code64

// SYSCALL leaves RCX = user RIP, R11 = user RFLAGS and does not switch
// stacks. There is a single CPU and a single task, so a global scratch slot
// for the user RSP and a dedicated kernel stack are enough (no swapgs).
  .globl syscall_entry
  .type syscall_entry, @function
syscall_entry:
  movq %rsp, syscall_user_rsp(%rip)
  leaq syscall_stack_top(%rip), %rsp
  pushq syscall_user_rsp(%rip)
  pushq %r11
  pushq %rcx
  pushq %rax
  pushq %rdi
  pushq %rsi
  pushq %rdx
  pushq %r10
  pushq %r8
  pushq %r9
  // 10 quadwords pushed onto a 16-byte aligned top: aligned for the call.
  movq %rsp, %rdi
  call syscall_dispatch  // returns the result in RAX
  popq %r9
  popq %r8
  popq %r10
  popq %rdx
  popq %rsi
  popq %rdi
  addq $8, %rsp  // saved RAX: replaced by the result
  popq %rcx
  popq %r11
  popq %rsp
  sysretq
  .size syscall_entry, . - syscall_entry

// enter_user(rip, rsp): build an IRETQ frame for ring 3 and go. RFLAGS is
// 0x2 (IF=0): nothing in this guest raises interrupts, and IOPL=0 makes
// cli/sti/in/out fault in ring 3.
  .globl enter_user
  .type enter_user, @function
enter_user:
  pushq $(SEL_USER_DS | 3)  // SS
  pushq %rsi                // RSP
  pushq $0x2                // RFLAGS
  pushq $(SEL_USER_CS | 3)  // CS
  pushq %rdi                // RIP
  xorl %eax, %eax
  xorl %ebx, %ebx
  xorl %ecx, %ecx
  xorl %edx, %edx
  xorl %esi, %esi
  xorl %edi, %edi
  xorl %ebp, %ebp
  xorl %r8d, %r8d
  xorl %r9d, %r9d
  xorl %r10d, %r10d
  xorl %r11d, %r11d
  xorl %r12d, %r12d
  xorl %r13d, %r13d
  xorl %r14d, %r14d
  xorl %r15d, %r15d
  iretq
  .size enter_user, . - enter_user

  .bss
  .balign 16
syscall_user_rsp:
  .skip 8
  .balign 16
syscall_stack:
  .skip 16384
syscall_stack_top:

  .section .note.GNU-stack, "", @progbits

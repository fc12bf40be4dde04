/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trap_entry.S: the 256 interrupt entry stubs and the common trap path.
 *
 * Each stub is TRAP_STUB_SIZE bytes, so the IDT code finds stub n at
 * trap_stubs + n * TRAP_STUB_SIZE.  A stub pushes a zero error code for
 * vectors where the CPU pushes none (SDM 6.13, table 6-1: 8, 10-14, 17, 21,
 * 29 and 30 push one), then the vector number, and jumps to trap_common,
 * which saves the general registers into a struct trapframe
 * (arch/x86_64/trap.h) and calls trap_dispatch(tf).
 *
 * Stack alignment: the CPU aligns RSP to 16 before pushing its 5-word frame
 * (SDM 6.14.2); 2 more words here plus 15 registers make 22 words, so RSP is
 * 16-byte aligned at the call, as the SysV ABI wants.
 */
#include "arch/x86_64/trap_defs.h"

	.text
	.balign	TRAP_STUB_SIZE
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	TRAP_NVECTORS
	.balign	TRAP_STUB_SIZE
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || \
	    (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr
	.balign	TRAP_STUB_SIZE
	.globl	trap_stubs_end		/* idt_init() checks the total size */
trap_stubs_end:

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	movq	%rsp, %rdi
	call	trap_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits

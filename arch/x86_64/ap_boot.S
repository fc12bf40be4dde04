/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ap_boot.S: the application processor trampoline.
 *
 * An AP leaves reset (INIT, then a STARTUP IPI with vector 0x08) in real
 * mode at CS:IP = 0x0800:0000, that is physical AP_TRAMPOLINE_BASE, with
 * no stack, no GDT and paging off (SDM 8.4.4.1 and 9.1.4).  Real-mode code
 * can only reach the first MiB, so smp.c copies this block there, fills in
 * the ap_tramp_data slot at its end, and sends the IPIs.
 *
 * Constraints of the copy:
 *  - The code runs at AP_TRAMPOLINE_BASE, not where it was linked, so every
 *    absolute address is written as AP_TRAMPOLINE_BASE + (label - start),
 *    and real-mode data references are DS-relative with DS = CS.
 *  - CR3 is loaded while still in 32-bit mode, so the kernel PML4 must lie
 *    below 4 GiB (smp.c checks).
 *
 * Steps: load a temporary GDT, enter protected mode, enable PAE, load the
 * kernel CR3, set EFER.LME, enable paging (SDM 9.8.5), far-jump to 64-bit
 * code, find this CPU's entry, load its stack and jump to ap_entry(arg).
 */
#include "arch/x86_64/smp_defs.h"

#define CR0_PE_BIT	0x1
#define CR0_PG_WP_PE	0x80010001
#define CR4_PAE_BIT	0x20
#define MSR_EFER_NUM	0xc0000080
#define EFER_LME_BIT	0x100
#define TRAMP(x)	(AP_TRAMPOLINE_BASE + ((x) - ap_tramp_start))

	.section .rodata
	.balign 16
	.globl	ap_tramp_start, ap_tramp_end, ap_tramp_data
	.code16
ap_tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	(ap_gdt_desc - ap_tramp_start)
	movl	%cr0, %eax
	orl	$CR0_PE_BIT, %eax
	movl	%eax, %cr0
	ljmpl	$AP_GDT_CODE32, $TRAMP(ap_pm32)

	.code32
ap_pm32:
	movw	$AP_GDT_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE_BIT, %eax
	movl	%eax, %cr4
	movl	TRAMP(ap_tramp_data) + AP_DATA_CR3, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER_NUM, %ecx
	rdmsr
	orl	$EFER_LME_BIT, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG_WP_PE, %eax
	movl	%eax, %cr0
	ljmpl	$AP_GDT_CODE64, $TRAMP(ap_lm64)

	.code64
ap_lm64:
	movw	$AP_GDT_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorl	%eax, %eax		/* highest basic leaf */
	cpuid
	cmpl	$AP_CPUID_TOPOLOGY, %eax
	jb	1f
	movl	$AP_CPUID_TOPOLOGY, %eax
	xorl	%ecx, %ecx
	cpuid
	testw	%bx, %bx		/* no logical processors: not valid */
	jz	1f
	movl	%edx, %esi		/* x2APIC id */
	jmp	2f
1:	movl	$AP_CPUID_FEATURES, %eax
	cpuid
	shrl	$AP_APIC_ID_SHIFT, %ebx
	movl	%ebx, %esi		/* initial APIC id */
2:	movq	TRAMP(ap_tramp_data) + AP_DATA_TABLE, %rbx
	movl	TRAMP(ap_tramp_data) + AP_DATA_COUNT, %ecx
3:	testl	%ecx, %ecx
	jz	ap_park
	cmpl	%esi, AP_START_APIC(%rbx)
	je	4f
	addq	$AP_START_SIZE, %rbx
	decl	%ecx
	jmp	3b
4:	movq	AP_START_STACK(%rbx), %rsp
	movq	AP_START_ARG(%rbx), %rdi
	movq	TRAMP(ap_tramp_data) + AP_DATA_ENTRY, %rax
	xorl	%ebp, %ebp		/* ends the AP's backtraces */
	pushq	$0			/* fake return address, aligns rsp */
	jmpq	*%rax
ap_park:				/* not ours to start: stay halted */
	cli
	hlt
	jmp	ap_park

	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* AP_GDT_CODE32 */
	.quad	0x00cf92000000ffff	/* AP_GDT_DATA */
	.quad	0x00af9a000000ffff	/* AP_GDT_CODE64 */
ap_gdt_end:
ap_gdt_desc:
	.short	ap_gdt_end - ap_gdt - 1
	.long	TRAMP(ap_gdt)

	.balign 8
ap_tramp_data:
	.skip	AP_DATA_SIZE
ap_tramp_end:

	.section .note.GNU-stack, "", @progbits

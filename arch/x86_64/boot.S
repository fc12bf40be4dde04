/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * boot.S: the two ways into unisr, and the road from 32-bit protected mode
 * to the 64-bit C entry point kmain().
 *
 *  - PVH (QEMU -kernel): QEMU finds the ELF note "Xen" of type 18
 *    (XEN_ELFNOTE_PHYS32_ENTRY) and jumps to pvh_start in 32-bit protected
 *    mode, paging off, with %ebx pointing at struct hvm_start_info.
 *  - Multiboot2 (GRUB): GRUB finds the header below in the first 32 KiB of
 *    the file and jumps to the ELF entry mb2_start, again in 32-bit
 *    protected mode, with %eax = 0x36d76289 and %ebx = the boot information.
 *    (Multiboot2 spec 3.3, "I386 machine state".)
 *
 * Both paths record the TSC (for "boot: ready in N us"), clear .bss, build a
 * bootstrap page table that identity-maps the first 4 GiB with 2 MiB pages,
 * enable PAE + long mode + paging (SDM 9.8.5 "Initializing IA-32e Mode"),
 * load a 64-bit GDT and call kmain(kind, info) on the boot stack.  The C
 * code later replaces the bootstrap tables with a map of all RAM.
 *
 * No plain Multiboot1 header may live in this image: QEMU checks for one
 * before it looks for the PVH note.
 */
#include "arch/x86_64/boot_defs.h"

#define MB2_HEADER_MAGIC	0xe85250d6	/* Multiboot2 spec 3.1.1 */
#define MB2_ARCH_I386		0
#define MB2_TAG_END		0
#define XEN_ELFNOTE_PHYS32_ENTRY 18		/* xen/include/public/elfnote.h */

#define PTE_P		0x1
#define PTE_RW		0x2
#define PTE_PS		0x80
#define BOOT_PD_ENTRIES	2048			/* 4 PDs of 512 2-MiB entries */
#define LARGE_PAGE_SHIFT 21

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.balign 8
	.short	MB2_TAG_END
	.short	0
	.long	8
mb2_header_end:

	.section .note.Xen, "a"
	.balign 4
	.long	4			/* namesz: "Xen\0" */
	.long	8			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign 4
	.quad	pvh_start

	.section .boot.text, "ax"
	.code32
	.globl	pvh_start
pvh_start:
	movl	$BOOT_KIND_PVH, %edi
	movl	%ebx, %esi
	jmp	boot32

	.globl	mb2_start
mb2_start:
	movl	$BOOT_KIND_NONE, %edi
	cmpl	$MB2_BOOTLOADER_MAGIC, %eax
	jne	1f
	movl	$BOOT_KIND_MB2, %edi
1:	movl	%ebx, %esi

boot32:
	cli
	cld
	rdtsc
	movl	%eax, boot_tsc
	movl	%edx, boot_tsc + 4
	movl	$boot_stack_top, %esp

	/*
	 * Clear .bss (the loaders do, but nothing requires it of PVH), four
	 * bytes a step: linker.ld page-aligns both ends, and under TCG each
	 * step of a rep costs about the same whatever its width.
	 */
	movl	%edi, %ebp
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl
	movl	%ebp, %edi

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories. */
	movl	$boot_pdpt, %eax
	orl	$(PTE_P | PTE_RW), %eax
	movl	%eax, boot_pml4
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$12, %eax
	addl	$boot_pd, %eax
	orl	$(PTE_P | PTE_RW), %eax
	movl	%eax, boot_pdpt(, %ecx, 8)
	incl	%ecx
	cmpl	$4, %ecx
	jne	2b

	/* 2048 2-MiB entries: entry i maps physical i << 21. */
	xorl	%ecx, %ecx
3:	movl	%ecx, %eax
	shll	$LARGE_PAGE_SHIFT, %eax
	orl	$(PTE_P | PTE_RW | PTE_PS), %eax
	movl	%eax, boot_pd(, %ecx, 8)
	movl	%ecx, %eax
	shrl	$(32 - LARGE_PAGE_SHIFT), %eax
	movl	%eax, boot_pd + 4(, %ecx, 8)
	incl	%ecx
	cmpl	$BOOT_PD_ENTRIES, %ecx
	jne	3b

	/* SDM 9.8.5: PAE, CR3, EFER.LME, then CR0.PG. */
	movl	%cr4, %eax
	orl	$0x20, %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	orl	$0x100, %eax			/* EFER.LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* CR0.PG | CR0.WP | CR0.PE */
	movl	%eax, %cr0

	lgdt	boot_gdt_desc
	ljmp	$BOOT_GDT_CODE64, $boot64

	.code64
boot64:
	movl	$BOOT_GDT_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp			/* ends every backtrace */
	/* %edi = kind, %esi = info: already the SysV argument registers. */
	movl	%edi, %edi
	movl	%esi, %esi
	call	kmain
4:	cli
	hlt
	jmp	4b

	.section .rodata
	.balign 16
boot_gdt:
	.quad	0				/* null */
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff		/* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_desc:
	.short	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

	.section .data
	.balign 8
	.globl	boot_tsc
boot_tsc:
	.quad	0

	.section .bss
	.balign 4096
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:
	.skip	4096 * 4
	.globl	boot_stack_bottom
boot_stack_bottom:
	.skip	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits

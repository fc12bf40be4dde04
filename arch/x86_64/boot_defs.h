/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * boot_defs.h: numbers shared by boot.S and the C code that reads what the
 * boot loader handed over.  Plain #defines only, so assembly can include it.
 */
#ifndef ARCH_X86_64_BOOT_DEFS_H
#define ARCH_X86_64_BOOT_DEFS_H

/* How kmain was entered (first argument). */
#define BOOT_KIND_NONE	0	/* unknown loader: no information */
#define BOOT_KIND_PVH	1	/* QEMU -kernel via the PVH ELF note */
#define BOOT_KIND_MB2	2	/* GRUB multiboot2 */

/* Multiboot2 spec 3.2: the magic in %eax at the OS entry. */
#define MB2_BOOTLOADER_MAGIC	0x36d76289

/* The bootstrap GDT in boot.S. */
#define BOOT_GDT_CODE64	0x08
#define BOOT_GDT_DATA	0x10

#define BOOT_STACK_SIZE	(32 * 1024)

#endif /* ARCH_X86_64_BOOT_DEFS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootinfo.h: what the boot loader told us, copied into kernel memory
 * before anything can overwrite the loader's own structures: the physical
 * memory map, the command line and the ACPI RSDP address.
 *
 * Locking: written once by the BSP in kmain() before any other CPU runs;
 * read-only afterwards.
 */
#ifndef ARCH_X86_64_BOOTINFO_H
#define ARCH_X86_64_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.h"

/* E820 / Multiboot2 / PVH memory types (ACPI 6.4, table 15.4). */
#define BOOT_MEM_RAM		1
#define BOOT_MEM_RESERVED	2
#define BOOT_MEM_ACPI		3
#define BOOT_MEM_NVS		4
#define BOOT_MEM_BAD		5

#define BOOTINFO_MAX_MMAP	64
#define BOOTINFO_RSDP_MAX	36	/* ACPI 2.0+ RSDP length */

struct bootinfo_mmap {
	uint64_t	bm_base;
	uint64_t	bm_len;
	uint32_t	bm_type;
};

struct bootinfo {
	int			bi_kind;	/* BOOT_KIND_* */
	const char		*bi_loader;	/* "pvh", "multiboot2" */
	char			bi_cmdline[CMDLINE_MAX];
	bool			bi_cmdline_truncated;
	size_t			bi_nmmap;
	bool			bi_mmap_truncated;
	struct bootinfo_mmap	bi_mmap[BOOTINFO_MAX_MMAP];
	uint64_t		bi_rsdp;	/* physical address, 0 if none */
	uint8_t			bi_rsdp_copy[BOOTINFO_RSDP_MAX];
};

extern struct bootinfo bootinfo;

void	bootinfo_parse(int kind, uint32_t info);
uint64_t bootinfo_ram_bytes(void);
uint64_t bootinfo_ram_top(void);

#endif /* ARCH_X86_64_BOOTINFO_H */

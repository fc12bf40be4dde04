/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootinfo.c: read the PVH start info or the Multiboot2 information into
 * struct bootinfo.
 *
 * PVH: struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h)
 * gives the command line, the RSDP and, from version 1, an E820-style
 * memory map.  Multiboot2 (spec 3.6): a list of 8-byte aligned tags; we use
 * the command line (1), the memory map (6) and the RSDP copies (14, 15).
 * A loader we do not know leaves an empty map; kmain then stops with a
 * clear message.
 *
 * Locking: none; runs on the BSP before anything else.
 */
#include "arch/x86_64/boot_defs.h"
#include "arch/x86_64/bootinfo.h"
#include "kernel/libc.h"

#define PVH_START_MAGIC		0x336ec578
#define PVH_OFF_MAGIC		0
#define PVH_OFF_VERSION		4
#define PVH_OFF_CMDLINE		24
#define PVH_OFF_RSDP		32
#define PVH_OFF_MEMMAP		40
#define PVH_OFF_MEMMAP_N	48
#define PVH_MEMMAP_ENTRY	24	/* u64 addr, u64 size, u32 type, u32 pad */

#define MB2_TAG_ALIGN		8
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MMAP		6
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_TAG_HDR		8	/* u32 type, u32 size */
#define MB2_MMAP_HDR		16	/* tag header + entry_size + version */
#define MB2_INFO_HDR		8	/* u32 total_size, u32 reserved */

struct bootinfo bootinfo;

static uint32_t
rd32(uint64_t pa)
{
	return *(volatile const uint32_t *)(uintptr_t)pa;
}

static uint64_t
rd64(uint64_t pa)
{
	return *(volatile const uint64_t *)(uintptr_t)pa;
}

static void
copy_cmdline(uint64_t pa)
{
	const char *s = (const char *)(uintptr_t)pa;
	size_t i;

	if (pa == 0)
		return;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == CMDLINE_MAX - 1) {
			bootinfo.bi_cmdline_truncated = true;
			break;
		}
		bootinfo.bi_cmdline[i] = s[i];
	}
	bootinfo.bi_cmdline[i] = '\0';
}

static void
add_mmap(uint64_t base, uint64_t len, uint32_t type)
{
	struct bootinfo_mmap *m;

	if (len == 0)
		return;
	if (bootinfo.bi_nmmap == BOOTINFO_MAX_MMAP) {
		bootinfo.bi_mmap_truncated = true;
		return;
	}
	m = &bootinfo.bi_mmap[bootinfo.bi_nmmap++];
	m->bm_base = base;
	m->bm_len = len;
	m->bm_type = type;
}

static void
parse_pvh(uint32_t info)
{
	uint64_t map;
	uint32_t i, n;

	if (rd32(info + PVH_OFF_MAGIC) != PVH_START_MAGIC)
		return;
	bootinfo.bi_loader = "pvh";
	copy_cmdline(rd64(info + PVH_OFF_CMDLINE));
	bootinfo.bi_rsdp = rd64(info + PVH_OFF_RSDP);
	if (rd32(info + PVH_OFF_VERSION) < 1)
		return;
	map = rd64(info + PVH_OFF_MEMMAP);
	n = rd32(info + PVH_OFF_MEMMAP_N);
	for (i = 0; i < n; i++) {
		uint64_t e = map + (uint64_t)i * PVH_MEMMAP_ENTRY;

		add_mmap(rd64(e), rd64(e + 8), rd32(e + 16));
	}
}

static void
parse_mb2_mmap(uint64_t tag, uint32_t size)
{
	uint32_t esize = rd32(tag + 8);
	uint64_t e;

	if (esize < 24)
		return;
	for (e = tag + MB2_MMAP_HDR; e + esize <= tag + size; e += esize)
		add_mmap(rd64(e), rd64(e + 8), rd32(e + 16));
}

static void
save_rsdp(uint64_t src, uint32_t len)
{
	if (len > BOOTINFO_RSDP_MAX)
		len = BOOTINFO_RSDP_MAX;
	memcpy(bootinfo.bi_rsdp_copy, (const void *)(uintptr_t)src, len);
	bootinfo.bi_rsdp = (uint64_t)(uintptr_t)bootinfo.bi_rsdp_copy;
}

static void
parse_mb2(uint32_t info)
{
	uint64_t tag, end;
	uint32_t type, size;
	bool have_new_rsdp = false;

	bootinfo.bi_loader = "multiboot2";
	end = info + rd32(info);
	for (tag = info + MB2_INFO_HDR; tag + MB2_TAG_HDR <= end;
	    tag += (size + MB2_TAG_ALIGN - 1) & ~(uint64_t)(MB2_TAG_ALIGN - 1)) {
		type = rd32(tag);
		size = rd32(tag + 4);
		if (type == MB2_TAG_END || size < MB2_TAG_HDR)
			break;
		switch (type) {
		case MB2_TAG_CMDLINE:
			copy_cmdline(tag + MB2_TAG_HDR);
			break;
		case MB2_TAG_MMAP:
			parse_mb2_mmap(tag, size);
			break;
		case MB2_TAG_ACPI_NEW:
			save_rsdp(tag + MB2_TAG_HDR, size - MB2_TAG_HDR);
			have_new_rsdp = true;
			break;
		case MB2_TAG_ACPI_OLD:
			if (!have_new_rsdp)
				save_rsdp(tag + MB2_TAG_HDR, size - MB2_TAG_HDR);
			break;
		default:
			break;
		}
	}
}

/*
 * Called by kmain with the registers boot.S saved.  Pointers from the
 * loader are below 4 GiB and covered by the bootstrap identity map.
 */
void
bootinfo_parse(int kind, uint32_t info)
{
	bootinfo.bi_kind = kind;
	bootinfo.bi_loader = "unknown";
	if (kind == BOOT_KIND_PVH)
		parse_pvh(info);
	else if (kind == BOOT_KIND_MB2)
		parse_mb2(info);
}

/* Bytes of usable RAM in the memory map. */
uint64_t
bootinfo_ram_bytes(void)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < bootinfo.bi_nmmap; i++)
		if (bootinfo.bi_mmap[i].bm_type == BOOT_MEM_RAM)
			sum += bootinfo.bi_mmap[i].bm_len;
	return sum;
}

/* One past the highest usable RAM address. */
uint64_t
bootinfo_ram_top(void)
{
	uint64_t top = 0, end;
	size_t i;

	for (i = 0; i < bootinfo.bi_nmmap; i++) {
		if (bootinfo.bi_mmap[i].bm_type != BOOT_MEM_RAM)
			continue;
		end = bootinfo.bi_mmap[i].bm_base + bootinfo.bi_mmap[i].bm_len;
		if (end > top)
			top = end;
	}
	return top;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * paging.c: build and maintain the identity map.
 *
 * paging_init() replaces boot.S's bootstrap tables (first 4 GiB, 2 MiB
 * pages) with a map of exactly what the memory map calls RAM or ACPI
 * memory, plus the low 1 MiB except page 0 (so a NULL dereference faults)
 * and the VGA hole.  It uses 1 GiB pages when CPUID offers them
 * (CPUID.80000001H:EDX.Page1GB), 2 MiB pages otherwise, and 4 KiB pages at
 * unaligned edges.  Devices get uncached mappings through vm_map_mmio(),
 * which splits a large page when a range needs other attributes.  64-bit
 * BARs above 4 GiB work the same way.
 *
 * Page-table pages come from the physical page allocator and are never
 * freed.  Entry formats: SDM 4.5, tables 4-14 to 4-20.
 *
 * Locking: paging_lock serialises every change to the tables.  Other CPUs
 * (a later issue) will also need a TLB shootdown when a mapping changes
 * attributes; today only the BSP runs when that happens.
 */
#include <stddef.h>

#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"
#include "kernel/mem.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PWT		(1ull << 3)
#define PTE_PCD		(1ull << 4)
#define PTE_PS		(1ull << 7)	/* large page at PDPT/PD level */
#define PTE_ADDR	0x000ffffffffff000ull
#define PTE_CACHE	(PTE_PWT | PTE_PCD)
#define PT_ENTRIES	512

/* Levels: 1 = PT (4 KiB), 2 = PD (2 MiB), 3 = PDPT (1 GiB), 4 = PML4. */
#define LVL_PT		1
#define LVL_PD		2
#define LVL_PDPT	3
#define LVL_PML4	4
#define LVL_SHIFT(l)	(12 + 9 * ((l) - 1))
#define LVL_SIZE(l)	(1ull << LVL_SHIFT(l))
#define LVL_INDEX(va, l) (((va) >> LVL_SHIFT(l)) & (PT_ENTRIES - 1))

#define LOW_MEM_END	0x100000ull	/* 1 MiB */
#define VGA_START	0xa0000ull
#define VGA_END		0xc0000ull

static uint64_t *pml4;
static bool use_1g;
static uint64_t table_pages;
static struct spinlock paging_lock;

static uint64_t *
table_alloc(void)
{
	uint64_t pa = mem_page_alloc(1);

	if (pa == 0)
		return NULL;
	memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	table_pages++;
	return (uint64_t *)(uintptr_t)pa;
}

static uint64_t
cache_bits(enum vm_cache cache)
{
	return cache == VM_UC ? PTE_CACHE : 0;
}

/*
 * Replaces the large-page entry *e at level lvl with a table of 512
 * entries one level down that map the same range with the same bits.
 */
static int
split_large(uint64_t *e, int lvl)
{
	uint64_t *t = table_alloc();
	uint64_t base = *e & PTE_ADDR & ~(LVL_SIZE(lvl) - 1);
	uint64_t flags = *e & (PTE_P | PTE_RW | PTE_CACHE);
	int i;

	if (t == NULL)
		return -ENOMEM;
	for (i = 0; i < PT_ENTRIES; i++)
		t[i] = (base + (uint64_t)i * LVL_SIZE(lvl - 1)) | flags |
		    (lvl - 1 > LVL_PT ? PTE_PS : 0);
	*e = (uint64_t)(uintptr_t)t | PTE_P | PTE_RW;
	return 0;
}

/*
 * Maps one page of level lvl at pa (identity).  Returns 0, -ENOMEM, or
 * 1 when a finer table already exists there (the caller retries with
 * smaller pages so existing mappings are kept).  Called with paging_lock.
 */
static int
map_one(uint64_t pa, int lvl, uint64_t flags)
{
	uint64_t *t = pml4, *e;
	int l, err;

	for (l = LVL_PML4; l > lvl; l--) {
		e = &t[LVL_INDEX(pa, l)];
		if ((*e & PTE_P) == 0) {
			uint64_t *n = table_alloc();

			if (n == NULL)
				return -ENOMEM;
			*e = (uint64_t)(uintptr_t)n | PTE_P | PTE_RW;
		} else if (*e & PTE_PS) {
			if ((*e & PTE_CACHE) == (flags & PTE_CACHE))
				return 0;	/* already covered alike */
			if ((err = split_large(e, l)) != 0)
				return err;
			invlpg(pa);
		}
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	e = &t[LVL_INDEX(pa, lvl)];
	if (lvl > LVL_PT && (*e & PTE_P) && (*e & PTE_PS) == 0)
		return 1;
	*e = pa | flags | (lvl > LVL_PT ? PTE_PS : 0);
	invlpg(pa);
	return 0;
}

static int
map_range_locked(uint64_t pa, uint64_t len, enum vm_cache cache)
{
	uint64_t end = (pa + len + PAGE_MASK) & ~PAGE_MASK;
	uint64_t flags = PTE_P | PTE_RW | cache_bits(cache);
	int lvl, err;

	pa &= ~PAGE_MASK;
	while (pa < end) {
		lvl = use_1g ? LVL_PDPT : LVL_PD;
		for (;;) {
			if (lvl == LVL_PT || ((pa & (LVL_SIZE(lvl) - 1)) == 0 &&
			    end - pa >= LVL_SIZE(lvl))) {
				err = map_one(pa, lvl, flags);
				if (err < 0)
					return err;
				if (err == 0)
					break;
			}
			lvl--;
		}
		pa += LVL_SIZE(lvl);
	}
	return 0;
}

/* Identity-maps [pa, pa + len) with the given caching.  Takes paging_lock. */
int
vm_map_range(uint64_t pa, uint64_t len, enum vm_cache cache)
{
	int err;

	spinlock_lock(&paging_lock);
	err = map_range_locked(pa, len, cache);
	spinlock_unlock(&paging_lock);
	return err;
}

/* Maps a device register range uncached; returns its address or NULL. */
void *
vm_map_mmio(uint64_t pa, uint64_t len)
{
	if (vm_map_range(pa, len, VM_UC) != 0)
		return NULL;
	return (void *)(uintptr_t)pa;
}

/* True if va is mapped.  Lock-free read: tables only ever gain entries. */
bool
paging_is_mapped(uint64_t va)
{
	uint64_t *t = pml4, e;
	int l;

	if (t == NULL)
		return va < 4 * HUGE_PAGE_SIZE;	/* bootstrap map */
	for (l = LVL_PML4; l >= LVL_PT; l--) {
		e = t[LVL_INDEX(va, l)];
		if ((e & PTE_P) == 0)
			return false;
		if (l == LVL_PT || (l <= LVL_PDPT && (e & PTE_PS)))
			return true;
		t = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
	}
	return false;
}

bool
paging_uses_1g(void)
{
	return use_1g;
}

uint64_t
paging_table_pages(void)
{
	return table_pages;
}

/*
 * Builds the final identity map and switches to it.  Needs the page
 * allocator (mem_boot_init) and runs on the BSP before other CPUs start.
 */
void
paging_init(void)
{
	uint32_t a, b, c, d;
	size_t i;
	int err = 0;

	spinlock_init(&paging_lock);
	cpuid(CPUID_EXT_FEATURES, 0, &a, &b, &c, &d);
	use_1g = (d & CPUID_EXT_EDX_PDPE1GB) != 0;
	pml4 = table_alloc();
	if (pml4 == NULL)
		panic("paging: no memory for the PML4");

	err |= map_range_locked(PAGE_SIZE, VGA_START - PAGE_SIZE, VM_WB);
	err |= map_range_locked(VGA_END, LOW_MEM_END - VGA_END, VM_WB);
	for (i = 0; i < bootinfo.bi_nmmap; i++) {
		const struct bootinfo_mmap *m = &bootinfo.bi_mmap[i];
		uint64_t base = m->bm_base, end = m->bm_base + m->bm_len;

		if (m->bm_type != BOOT_MEM_RAM && m->bm_type != BOOT_MEM_ACPI &&
		    m->bm_type != BOOT_MEM_NVS)
			continue;
		if (base < LOW_MEM_END)
			base = LOW_MEM_END;
		if (end > base)
			err |= map_range_locked(base, end - base, VM_WB);
	}
	if (err != 0)
		panic("paging: out of memory building the identity map");
	write_cr3((uint64_t)(uintptr_t)pml4);
}

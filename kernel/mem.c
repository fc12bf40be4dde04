/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mem.c: set up physical memory from the boot memory map, and the `mem`
 * shell command.
 *
 * One struct pgalloc spans [0, top of RAM).  Its bitmap goes in the first
 * RAM range above the kernel image that can hold it (below 4 GiB, where the
 * bootstrap map reaches).  Every RAM range of the memory map is freed into
 * it; then the low 1 MiB (BIOS data, and later the AP trampoline), the
 * kernel image and the bitmap are reserved.  kmem gets its pages from here.
 *
 * Locking: the page allocator and kmem lock internally (see their files).
 * mem_total is written once during mem_boot_init, before other CPUs start.
 */
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/paging.h"
#include "kernel/console.h"
#include "kernel/kmem.h"
#include "kernel/mem.h"
#include "kernel/panic.h"
#include "kernel/pgalloc.h"
#include "kernel/shell.h"

#define LOW_RESERVED_END	0x100000ull	/* BIOS area and trampoline */
#define BOOTSTRAP_MAP_END	(4ull << 30)
#define KIB			1024

extern char __kernel_start[], __kernel_end[];

static struct pgalloc mem_pages;
static size_t mem_total;

uint64_t
mem_page_alloc(size_t npages)
{
	return pgalloc_alloc(&mem_pages, npages, 1);
}

void
mem_page_free(uint64_t pa, size_t npages)
{
	pgalloc_free(&mem_pages, pa, npages);
}

static void *
kmem_pages_alloc(size_t npages)
{
	return (void *)(uintptr_t)pgalloc_alloc(&mem_pages, npages, 1);
}

static void
kmem_pages_free(void *p, size_t npages)
{
	pgalloc_free(&mem_pages, (uint64_t)(uintptr_t)p, npages);
}

static const struct kmem_page_ops mem_kmem_ops = {
	.kpo_alloc = kmem_pages_alloc,
	.kpo_free = kmem_pages_free,
};

/* First page-aligned spot of len bytes in RAM, above the kernel, < 4 GiB. */
static uint64_t
find_bitmap_home(uint64_t len)
{
	uint64_t kend = ((uint64_t)(uintptr_t)__kernel_end + PAGE_MASK) &
	    ~PAGE_MASK;
	size_t i;

	for (i = 0; i < bootinfo.bi_nmmap; i++) {
		const struct bootinfo_mmap *m = &bootinfo.bi_mmap[i];
		uint64_t start = (m->bm_base + PAGE_MASK) & ~PAGE_MASK;
		uint64_t end = m->bm_base + m->bm_len;

		if (m->bm_type != BOOT_MEM_RAM)
			continue;
		if (start < kend)
			start = kend;
		if (end > BOOTSTRAP_MAP_END)
			end = BOOTSTRAP_MAP_END;
		if (start < end && end - start >= len)
			return start;
	}
	return 0;
}

void
mem_boot_init(void)
{
	uint64_t top = bootinfo_ram_top(), bm, bmlen;
	size_t npages = top / PAGE_SIZE, i;

	if (bootinfo.bi_nmmap == 0 || top == 0)
		panic("mem: the boot loader gave no memory map");
	if (bootinfo.bi_mmap_truncated)
		printk("mem: memory map has more than %d entries; "
		    "using the first %d\n", BOOTINFO_MAX_MMAP,
		    BOOTINFO_MAX_MMAP);
	bmlen = (pgalloc_bitmap_bytes(npages) + PAGE_MASK) & ~PAGE_MASK;
	bm = find_bitmap_home(bmlen);
	if (bm == 0)
		panic("mem: no room for a %lu-byte page bitmap", bmlen);

	pgalloc_init(&mem_pages, 0, npages, (uint64_t *)(uintptr_t)bm);
	for (i = 0; i < bootinfo.bi_nmmap; i++)
		if (bootinfo.bi_mmap[i].bm_type == BOOT_MEM_RAM)
			pgalloc_add_free(&mem_pages, bootinfo.bi_mmap[i].bm_base,
			    bootinfo.bi_mmap[i].bm_len);
	mem_total = pgalloc_nfree(&mem_pages);
	pgalloc_reserve(&mem_pages, 0, LOW_RESERVED_END);
	pgalloc_reserve(&mem_pages, (uint64_t)(uintptr_t)__kernel_start,
	    (uint64_t)(uintptr_t)(__kernel_end - __kernel_start));
	pgalloc_reserve(&mem_pages, bm, bmlen);
	kmem_init(&mem_kmem_ops);
}

uint64_t
mem_usable_bytes(void)
{
	return bootinfo_ram_bytes();
}

size_t
mem_free_pages(void)
{
	return pgalloc_nfree(&mem_pages);
}

void
mem_print_summary(void)
{
	size_t nfree = mem_free_pages();

	printk("mem: usable %lu KiB, pages total %zu free %zu used %zu\n",
	    mem_usable_bytes() / KIB, mem_total, nfree, mem_total - nfree);
}

static int
cmd_mem(int argc, char **argv)
{
	struct kmem_stats st;
	int i;

	(void)argc;
	(void)argv;
	mem_print_summary();
	kmem_get_stats(&st);
	for (i = 0; i < KMEM_NCLASSES; i++)
		printk("kmem: size %zu inuse %lu allocs %lu frees %lu "
		    "slabs %lu\n", st.km_class[i].ks_size,
		    st.km_class[i].ks_inuse, st.km_class[i].ks_allocs,
		    st.km_class[i].ks_frees, st.km_class[i].ks_slabs);
	printk("kmem: large allocs %lu frees %lu pages %lu\n",
	    st.km_large_allocs, st.km_large_frees, st.km_large_pages);
	printk("paging: %s pages, %lu table pages\n",
	    paging_uses_1g() ? "1 GiB" : "2 MiB", paging_table_pages());
	return 0;
}
SHELL_CMD(mem, "physical pages and kmem size classes", cmd_mem);

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * selftest_cases.c: in-kernel test cases for the boot foundation: the page
 * and object allocators on real memory, printk formatting, the command-line
 * parser, the embedded symbol table, and MMIO mappings above 4 GiB.
 *
 * The same logic is covered more deeply by the host tests in tests/unit;
 * these prove it also holds in the freestanding build on the real machine.
 *
 * Locking: none; cases run one at a time on the shell's CPU.
 */
#include <stdint.h>

#include "arch/x86_64/paging.h"
#include "kernel/cmdline.h"
#include "kernel/kmem.h"
#include "kernel/ksyms.h"
#include "kernel/libc.h"
#include "kernel/mem.h"
#include "kernel/printf.h"
#include "kernel/selftest.h"

#define ST_PAGES		8
#define ST_ALIGN_PAGES		4
#define ST_LARGE_BYTES		(3 * PAGE_SIZE)
#define ST_MMIO_HIGH		0x0000010000000000ull	/* 1 TiB: no RAM there */
#define ST_MMIO_LEN		(2 * PAGE_SIZE)
#define ST_OBJS_PER_CLASS	4

SELFTEST(pgalloc_contig)
{
	size_t before = mem_free_pages();
	uint64_t a, b;

	a = mem_page_alloc(ST_PAGES);
	ST_CHECK(a != 0 && (a & PAGE_MASK) == 0);
	ST_CHECK(mem_free_pages() == before - ST_PAGES);
	b = mem_page_alloc(1);
	ST_CHECK(b != 0 && (b < a || b >= a + ST_PAGES * PAGE_SIZE));
	memset((void *)(uintptr_t)a, 0xa5, ST_PAGES * PAGE_SIZE);
	mem_page_free(b, 1);
	mem_page_free(a, ST_PAGES);
	ST_CHECK(mem_free_pages() == before);
	return 0;
}

SELFTEST(kmem_classes)
{
	void *p[KMEM_NCLASSES][ST_OBJS_PER_CLASS];
	struct kmem_stats s0, s1;
	size_t size;
	int c, i;

	kmem_get_stats(&s0);
	for (c = 0, size = KMEM_MIN_SIZE; c < KMEM_NCLASSES; c++, size <<= 1) {
		for (i = 0; i < ST_OBJS_PER_CLASS; i++) {
			p[c][i] = kmem_alloc(size);
			ST_CHECK(p[c][i] != NULL);
			ST_CHECK(((uintptr_t)p[c][i] & (KMEM_ALIGN - 1)) == 0);
			memset(p[c][i], c + i, size);
		}
	}
	kmem_get_stats(&s1);
	for (c = 0; c < KMEM_NCLASSES; c++) {
		ST_CHECK(s1.km_class[c].ks_allocs - s0.km_class[c].ks_allocs ==
		    ST_OBJS_PER_CLASS);
		ST_CHECK(s1.km_class[c].ks_inuse - s0.km_class[c].ks_inuse ==
		    ST_OBJS_PER_CLASS);
	}
	for (c = 0, size = KMEM_MIN_SIZE; c < KMEM_NCLASSES; c++, size <<= 1)
		for (i = 0; i < ST_OBJS_PER_CLASS; i++) {
			ST_CHECK(((uint8_t *)p[c][i])[size - 1] ==
			    (uint8_t)(c + i));
			kmem_free(p[c][i]);
		}
	kmem_get_stats(&s1);
	for (c = 0; c < KMEM_NCLASSES; c++)
		ST_CHECK(s1.km_class[c].ks_inuse == s0.km_class[c].ks_inuse);
	return 0;
}

SELFTEST(kmem_large)
{
	size_t before = mem_free_pages();
	uint8_t *p = kmem_zalloc(ST_LARGE_BYTES);
	size_t i;

	ST_CHECK(p != NULL);
	ST_CHECK(mem_free_pages() < before);
	for (i = 0; i < ST_LARGE_BYTES; i++)
		ST_CHECK(p[i] == 0);
	kmem_free(p);
	ST_CHECK(mem_free_pages() == before);
	return 0;
}

SELFTEST(printk_format)
{
	char buf[64];
	int n;

	n = ksnprintf(buf, sizeof(buf), "%d|%5u|%-4s|%08lx|%c", -42, 7u, "ab",
	    0xbeefUL, 'z');
	ST_CHECK(strcmp(buf, "-42|    7|ab  |0000beef|z") == 0);
	ST_CHECK(n == (int)strlen(buf));
	n = ksnprintf(buf, 8, "%s", "truncated text");
	ST_CHECK(n == 14 && strcmp(buf, "truncat") == 0);
	ksnprintf(buf, sizeof(buf), "%p", (void *)0x1000);
	ST_CHECK(strcmp(buf, "0x0000000000001000") == 0);
	ksnprintf(buf, sizeof(buf), "%lu", 18446744073709551615UL);
	ST_CHECK(strcmp(buf, "18446744073709551615") == 0);
	return 0;
}

SELFTEST(cmdline_parse)
{
	struct cmdline_config cfg;
	int ignored;

	cmdline_defaults(&cfg);
	ignored = cmdline_parse(&cfg, "ip=192.168.7.2/16 bogus=1 "
	    "net.isr.dispatch=hybrid console.echo=2", NULL, NULL);
	ST_CHECK(ignored == 2);
	ST_CHECK(cfg.cc_if[0].ci_ip_addr == 0xc0a80702u &&
	    cfg.cc_if[0].ci_ip_prefix == 16);
	ST_CHECK(cfg.cc_isr_dispatch == CMDLINE_DISPATCH_HYBRID);
	ST_CHECK(cfg.cc_console_echo);
	return 0;
}

SELFTEST(ksyms_lookup)
{
	uint64_t off = 1;
	const char *name;

	name = ksyms_lookup((uint64_t)(uintptr_t)ksyms_lookup, &off);
	ST_CHECK(name != NULL && strcmp(name, "ksyms_lookup") == 0 && off == 0);
	name = ksyms_lookup((uint64_t)(uintptr_t)ksyms_lookup + 1, &off);
	ST_CHECK(name != NULL && off == 1);
	ST_CHECK(ksyms_lookup(0, &off) == NULL);
	return 0;
}

SELFTEST(paging_mmio_high)
{
	ST_CHECK(!paging_is_mapped(ST_MMIO_HIGH));
	ST_CHECK(vm_map_mmio(ST_MMIO_HIGH, ST_MMIO_LEN) ==
	    (void *)(uintptr_t)ST_MMIO_HIGH);
	ST_CHECK(paging_is_mapped(ST_MMIO_HIGH));
	ST_CHECK(paging_is_mapped(ST_MMIO_HIGH + ST_MMIO_LEN - 1));
	ST_CHECK(!paging_is_mapped(ST_MMIO_HIGH + ST_MMIO_LEN));
	ST_CHECK(!paging_is_mapped(0));
	return 0;
}

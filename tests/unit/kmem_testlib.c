/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/kmem_testlib.c: the test page source, kassert_fail() shim
 * and fill-pattern helpers shared by the kernel/kmem.c host unit tests;
 * see kmem_testlib.h for the design.
 *
 * Locking: the page source counters are atomics, no lock.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/kmem.h"
#include "tests/unit/kmem_testlib.h"

#define TP_MAGIC	0x7470616765735f5fULL

void
kassert_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "KASSERT failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- Test page source ---- */

struct tp_rec {
	uint64_t	tr_magic;
	size_t		tr_npages;
};

long tp_pages;
long tp_alloc_calls;
long tp_free_calls;
long tp_limit = TP_NO_LIMIT;

static void *
tp_alloc(size_t npages)
{
	struct tp_rec *rec;
	long limit;

	if (npages == 0) {
		fprintf(stderr, "tp_alloc: zero pages\n");
		abort();
	}
	limit = __atomic_load_n(&tp_limit, __ATOMIC_RELAXED);
	if (limit != TP_NO_LIMIT &&
	    __atomic_load_n(&tp_pages, __ATOMIC_RELAXED) + (long)npages >
	    limit)
		return (NULL);
	rec = aligned_alloc(PG, (npages + 1) * PG);
	if (rec == NULL)
		return (NULL);
	rec->tr_magic = TP_MAGIC;
	rec->tr_npages = npages;
	__atomic_fetch_add(&tp_pages, (long)npages, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tp_alloc_calls, 1, __ATOMIC_RELAXED);
	return ((char *)rec + PG);
}

static void
tp_free(void *p, size_t npages)
{
	struct tp_rec *rec;

	if (p == NULL || ((uintptr_t)p & (PG - 1)) != 0) {
		fprintf(stderr, "tp_free: bad pointer %p\n", p);
		abort();
	}
	rec = (struct tp_rec *)((char *)p - PG);
	if (rec->tr_magic != TP_MAGIC || rec->tr_npages != npages) {
		fprintf(stderr, "tp_free: %p freed with %zu pages, got %zu\n",
		    p, npages, rec->tr_npages);
		abort();
	}
	rec->tr_magic = 0;
	__atomic_fetch_sub(&tp_pages, (long)npages, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tp_free_calls, 1, __ATOMIC_RELAXED);
	free(rec);
}

static const struct kmem_page_ops tp_ops = {
	.kpo_alloc = tp_alloc,
	.kpo_free = tp_free,
};

void
t_init(void)
{
	tp_pages = 0;
	tp_alloc_calls = 0;
	tp_free_calls = 0;
	tp_limit = TP_NO_LIMIT;
	kmem_init(&tp_ops);
}

/* ---- Helpers ---- */

/* Class index the test expects for a size, NSIZES_LARGE if large. */
unsigned int
t_class_of(size_t size)
{
	unsigned int c;

	for (c = 0; c < KMEM_NCLASSES; c++)
		if (size <= ((size_t)KMEM_MIN_SIZE << c))
			return (c);
	return (NSIZES_LARGE);
}

/* Fills size bytes at p with the pattern of stamp. */
void
t_fill(void *p, size_t size, uint64_t stamp)
{
	unsigned char *c;
	size_t i;

	c = p;
	for (i = 0; i < size; i++)
		c[i] = t_pattern(stamp, i);
}

/* True if size bytes at p still hold the pattern of stamp. */
bool
t_check(const void *p, size_t size, uint64_t stamp)
{
	const unsigned char *c;
	size_t i;

	c = p;
	for (i = 0; i < size; i++)
		if (c[i] != t_pattern(stamp, i))
			return (false);
	return (true);
}


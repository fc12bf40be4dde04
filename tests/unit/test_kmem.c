/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_kmem.c: host unit tests for kernel/kmem.c.
 *
 * Exercises the size-class allocator on the host with the Check framework:
 * class boundaries, alignment, kmem_zalloc(), exact statistics, return of
 * empty slabs to the page source, large allocations, page-source failure,
 * the KASSERTs that catch bad frees and writes after free, a randomized
 * single-threaded run with content checks, and a multi-threaded stress
 * run (also meant to be built with -fsanitize=thread).
 *
 * Design: the test page source hands out aligned_alloc() memory.  Each
 * allocation gets one extra page in front holding a record of its page
 * count, so tp_free() can check that kmem gives back exactly what it got;
 * live pages and calls are counted atomically.  Objects are filled with a
 * pattern derived from a per-object stamp and verified before they are
 * freed, so an object handed out twice, or overwritten by the allocator,
 * shows up as a mismatch.  The stress test runs ST_THREADS threads doing
 * ST_OPS random operations each; a mutex-protected mailbox moves some
 * objects between threads so frees also happen on other CPUs than the
 * allocation.  Worker threads never call Check macros: they report the
 * first problem through their st_thread and the main thread asserts.
 * kassert_fail() prints and abort()s, so invariant checks are tested as
 * tests that must die with SIGABRT.  The spinlock that kmem uses gets a
 * small test of its own: trylock/held semantics and a counter that
 * SL_THREADS threads increment under the lock (lock and trylock mixed).
 *
 * Locking:
 *	st_mbox_lock	(pthread mutex) protects st_mbox[] and st_mbox_n.
 *	sl_lock		(struct spinlock) protects sl_counter.
 *	tp_pages, tp_alloc_calls, tp_free_calls, tp_limit: atomics, no lock.
 *	The allocator takes its own class locks inside each call; the test
 *	code holds st_mbox_lock only around mailbox pushes and pops, never
 *	across a kmem call.
 */

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmem.h"
#include "kernel/spinlock.h"

#define PG		KMEM_PAGE_SIZE
#define TP_MAGIC	0x7470616765735f5fULL
#define TP_NO_LIMIT	(-1L)
#define NSIZES_LARGE	KMEM_NCLASSES		/* index for "large" */
#define SLOW_TIMEOUT	600

#define RAND_OPS	50000
#define RAND_SLOTS	2000
#define RAND_SEED	0x6b6d656d5eedULL

#define ST_THREADS	4
#define ST_OPS		200000
#define ST_SLOTS	256
#define ST_MBOX		1024
#define ST_LARGE_MAX	(3 * PG)

#define SL_THREADS	4
#define SL_ITERS	100000

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

static long tp_pages;		/* pages handed to kmem and not back */
static long tp_alloc_calls;
static long tp_free_calls;
static long tp_limit = TP_NO_LIMIT;	/* max tp_pages, or no limit */

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

static void
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
static unsigned int
t_class_of(size_t size)
{
	unsigned int c;

	for (c = 0; c < KMEM_NCLASSES; c++)
		if (size <= ((size_t)KMEM_MIN_SIZE << c))
			return (c);
	return (NSIZES_LARGE);
}

static size_t
t_large_pages(size_t size)
{
	/* The large header is 16 bytes (one KMEM_ALIGN unit). */
	return ((size + KMEM_ALIGN + PG - 1) / PG);
}

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t x;

	x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

static inline unsigned char
t_pattern(uint64_t stamp, size_t i)
{
	return ((unsigned char)(stamp * 31 + i * 7 + (i >> 8)));
}

static void
t_fill(void *p, size_t size, uint64_t stamp)
{
	unsigned char *c;
	size_t i;

	c = p;
	for (i = 0; i < size; i++)
		c[i] = t_pattern(stamp, i);
}

static bool
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

/* Objects per slab of class c, found by watching ks_slabs grow. */
static size_t
t_perslab(unsigned int c)
{
	static void *objs[PG / KMEM_MIN_SIZE + 1];
	struct kmem_stats st;
	size_t n, i;

	for (n = 0; n < PG / KMEM_MIN_SIZE + 1; n++) {
		objs[n] = kmem_alloc((size_t)KMEM_MIN_SIZE << c);
		ck_assert_ptr_nonnull(objs[n]);
		kmem_get_stats(&st);
		if (st.km_class[c].ks_slabs > 1)
			break;
	}
	for (i = 0; i <= n; i++)
		kmem_free(objs[i]);
	return (n);
}

/* ---- Tests ---- */

START_TEST(test_size_classes)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 31, 32, 33, 64, 65,
	    127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025,
	    2047, 2048, 2049, 4080, 4081, 10000 };
	static const unsigned int want[] = { 0, 0, 0, 1, 1, 1, 2, 2, 3,
	    3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7,
	    7, 7, 8, 8, 8, 8 };
	static const size_t want_pages[] = { [23] = 1, [24] = 1, [25] = 2,
	    [26] = 3 };
	struct kmem_stats before, after;
	unsigned int i, c;
	void *p;

	t_init();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_uint_eq(t_class_of(sizes[i]), want[i]);
		kmem_get_stats(&before);
		p = kmem_alloc(sizes[i]);
		ck_assert_ptr_nonnull(p);
		memset(p, 0x5a, sizes[i]);
		kmem_get_stats(&after);
		for (c = 0; c < KMEM_NCLASSES; c++) {
			ck_assert_uint_eq(after.km_class[c].ks_size,
			    (size_t)KMEM_MIN_SIZE << c);
			ck_assert_uint_eq(after.km_class[c].ks_allocs -
			    before.km_class[c].ks_allocs, c == want[i]);
			ck_assert_uint_eq(after.km_class[c].ks_inuse -
			    before.km_class[c].ks_inuse, c == want[i]);
		}
		ck_assert_uint_eq(after.km_large_allocs -
		    before.km_large_allocs, want[i] == NSIZES_LARGE);
		if (want[i] == NSIZES_LARGE) {
			ck_assert_uint_eq(after.km_large_pages -
			    before.km_large_pages, want_pages[i]);
			ck_assert_uint_eq(want_pages[i],
			    t_large_pages(sizes[i]));
		}
		kmem_free(p);
		kmem_get_stats(&after);
		ck_assert_uint_eq(after.km_large_pages, 0);
		for (c = 0; c < KMEM_NCLASSES; c++)
			ck_assert_uint_eq(after.km_class[c].ks_inuse, 0);
	}
	ck_assert_int_eq(KMEM_NCLASSES, 8);
	ck_assert_int_eq(KMEM_MAX_SIZE, 2048);
}
END_TEST

START_TEST(test_alignment)
{
	static void *objs[256];
	size_t size, n, i;

	t_init();
	n = 0;
	for (size = 1; size <= 6000 && n < 256; size += 29) {
		objs[n] = kmem_alloc(size);
		ck_assert_ptr_nonnull(objs[n]);
		ck_assert_uint_eq((uintptr_t)objs[n] % KMEM_ALIGN, 0);
		if (size > KMEM_MAX_SIZE)
			ck_assert_uint_eq((uintptr_t)objs[n] % PG,
			    KMEM_ALIGN);
		memset(objs[n], 0xc3, size);
		n++;
	}
	for (i = 0; i < n; i++)
		kmem_free(objs[i]);
}
END_TEST

START_TEST(test_zero_and_huge)
{
	struct kmem_stats st;
	unsigned int c;

	t_init();
	ck_assert_ptr_null(kmem_alloc(0));
	ck_assert_ptr_null(kmem_zalloc(0));
	ck_assert_ptr_null(kmem_alloc(SIZE_MAX));
	ck_assert_ptr_null(kmem_alloc(SIZE_MAX - PG));
	ck_assert_ptr_null(kmem_zalloc(SIZE_MAX - KMEM_ALIGN));
	kmem_free(NULL);
	kmem_get_stats(&st);
	for (c = 0; c < KMEM_NCLASSES; c++) {
		ck_assert_uint_eq(st.km_class[c].ks_allocs, 0);
		ck_assert_uint_eq(st.km_class[c].ks_frees, 0);
		ck_assert_uint_eq(st.km_class[c].ks_slabs, 0);
	}
	ck_assert_uint_eq(st.km_large_allocs, 0);
	ck_assert_uint_eq(st.km_large_frees, 0);
	ck_assert_uint_eq(tp_alloc_calls, 0);
}
END_TEST

START_TEST(test_zalloc)
{
	static const size_t sizes[] = { 1, 16, 100, 2048, 3000, 10000 };
	unsigned char *p;
	size_t i, j;

	t_init();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = kmem_alloc(sizes[i]);
		ck_assert_ptr_nonnull(p);
		memset(p, 0xa5, sizes[i]);
		kmem_free(p);
		/* Small objects come back LIFO: the same dirty object. */
		p = kmem_zalloc(sizes[i]);
		ck_assert_ptr_nonnull(p);
		for (j = 0; j < sizes[i]; j++)
			ck_assert_uint_eq(p[j], 0);
		kmem_free(p);
	}
}
END_TEST

START_TEST(test_stats_exact)
{
	struct kmem_stats st;
	void *p1, *p2, *p3, *q, *l1, *l2;
	unsigned int c;

	t_init();
	p1 = kmem_alloc(64);
	p2 = kmem_alloc(50);
	p3 = kmem_alloc(33);
	kmem_free(p2);
	q = kmem_alloc(1);
	l1 = kmem_alloc(10000);
	l2 = kmem_alloc(2049);
	kmem_free(l1);
	ck_assert(p1 && p3 && q && l2);

	kmem_get_stats(&st);
	for (c = 0; c < KMEM_NCLASSES; c++) {
		struct kmem_class_stats *ks = &st.km_class[c];

		ck_assert_uint_eq(ks->ks_size, (size_t)KMEM_MIN_SIZE << c);
		if (c == 2) {
			ck_assert_uint_eq(ks->ks_allocs, 3);
			ck_assert_uint_eq(ks->ks_frees, 1);
			ck_assert_uint_eq(ks->ks_inuse, 2);
			ck_assert_uint_eq(ks->ks_slabs, 1);
		} else if (c == 0) {
			ck_assert_uint_eq(ks->ks_allocs, 1);
			ck_assert_uint_eq(ks->ks_frees, 0);
			ck_assert_uint_eq(ks->ks_inuse, 1);
			ck_assert_uint_eq(ks->ks_slabs, 1);
		} else {
			ck_assert_uint_eq(ks->ks_allocs, 0);
			ck_assert_uint_eq(ks->ks_frees, 0);
			ck_assert_uint_eq(ks->ks_inuse, 0);
			ck_assert_uint_eq(ks->ks_slabs, 0);
		}
	}
	ck_assert_uint_eq(st.km_large_allocs, 2);
	ck_assert_uint_eq(st.km_large_frees, 1);
	ck_assert_uint_eq(st.km_large_pages, 1);
	ck_assert_int_eq(tp_pages, 1 + 1 + 1);
	ck_assert_int_eq(tp_alloc_calls, 4);

	kmem_free(p1);
	kmem_free(p3);
	kmem_free(q);
	kmem_free(l2);
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[2].ks_allocs, 3);
	ck_assert_uint_eq(st.km_class[2].ks_frees, 3);
	ck_assert_uint_eq(st.km_class[2].ks_inuse, 0);
	ck_assert_uint_eq(st.km_class[2].ks_slabs, 1);	/* kept spare */
	ck_assert_uint_eq(st.km_class[0].ks_frees, 1);
	ck_assert_uint_eq(st.km_class[0].ks_slabs, 1);
	ck_assert_uint_eq(st.km_large_allocs, 2);
	ck_assert_uint_eq(st.km_large_frees, 2);
	ck_assert_uint_eq(st.km_large_pages, 0);
	ck_assert_int_eq(tp_pages, 2);
	ck_assert_int_eq(tp_free_calls, 2);
}
END_TEST

START_TEST(test_empty_slabs_returned)
{
	static void *objs[4 * PG / 256];
	struct kmem_stats st;
	size_t per, n, i;
	const unsigned int c = 4;	/* 256-byte class */
	long calls;

	t_init();
	per = t_perslab(c);
	ck_assert_uint_gt(per, 1);
	ck_assert_uint_lt(per, PG / 256);
	/* t_perslab() freed two slabs' worth: exactly one spare remains. */
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[c].ks_slabs, 1);
	ck_assert_int_eq(tp_pages, 1);

	n = 3 * per + 1;
	for (i = 0; i < n; i++) {
		objs[i] = kmem_alloc(256);
		ck_assert_ptr_nonnull(objs[i]);
	}
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[c].ks_slabs, 4);
	ck_assert_uint_eq(st.km_class[c].ks_inuse, n);
	ck_assert_int_eq(tp_pages, 4);
	/* Free in an interleaved order so slabs empty at different times. */
	for (i = 0; i < n; i += 2)
		kmem_free(objs[i]);
	for (i = 1; i < n; i += 2)
		kmem_free(objs[i]);
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[c].ks_slabs, 1);
	ck_assert_uint_eq(st.km_class[c].ks_inuse, 0);
	ck_assert_int_eq(tp_pages, 1);
	ck_assert_int_eq(tp_free_calls, tp_alloc_calls - 1);

	/* Refilling one slab reuses the spare: no page traffic. */
	calls = tp_alloc_calls;
	for (i = 0; i < per; i++)
		objs[i] = kmem_alloc(256);
	ck_assert_int_eq(tp_alloc_calls, calls);
	/* Alloc/free at the slab boundary does not thrash either. */
	for (i = 0; i < 100; i++)
		kmem_free(kmem_alloc(256));
	ck_assert_int_eq(tp_alloc_calls, calls + 1);
	ck_assert_int_eq(tp_pages, 2);
	for (i = 0; i < per; i++)
		kmem_free(objs[i]);
	ck_assert_int_eq(tp_pages, 1);
}
END_TEST

START_TEST(test_one_object_slabs)
{
	void *a, *b;
	struct kmem_stats st;
	int i;

	/* The 2048 class: a slab holds one object (full and empty only). */
	t_init();
	ck_assert_uint_eq(t_perslab(KMEM_NCLASSES - 1), 1);
	for (i = 0; i < 1000; i++) {
		a = kmem_alloc(2048);
		b = kmem_alloc(2000);
		ck_assert(a != NULL && b != NULL && a != b);
		kmem_free(a);
		kmem_free(b);
	}
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[KMEM_NCLASSES - 1].ks_slabs, 1);
	ck_assert_uint_eq(st.km_class[KMEM_NCLASSES - 1].ks_allocs, 2002);
	ck_assert_int_eq(tp_pages, 1);
	/* One page kept, one page per iteration for the second object. */
	ck_assert_int_le(tp_alloc_calls, 2 + 1000);
}
END_TEST

START_TEST(test_large)
{
	static const size_t sizes[] = { 2049, 4080, 4081, 8176, 8177,
	    1 << 20 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	struct kmem_stats st;
	size_t i, pages;

	t_init();
	pages = 0;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = kmem_alloc(sizes[i]);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % PG, KMEM_ALIGN);
		t_fill(p[i], sizes[i], i);
		pages += t_large_pages(sizes[i]);
	}
	ck_assert_uint_eq(pages, 1 + 1 + 2 + 2 + 3 + 257);
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_large_pages, pages);
	ck_assert_int_eq(tp_pages, (long)pages);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert(t_check(p[i], sizes[i], i));
		kmem_free(p[i]);
	}
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_large_allocs, 6);
	ck_assert_uint_eq(st.km_large_frees, 6);
	ck_assert_uint_eq(st.km_large_pages, 0);
	ck_assert_int_eq(tp_pages, 0);
}
END_TEST

START_TEST(test_page_source_failure)
{
	struct kmem_stats st;
	void *p;

	t_init();
	tp_limit = 0;
	ck_assert_ptr_null(kmem_alloc(16));
	ck_assert_ptr_null(kmem_alloc(2048));
	ck_assert_ptr_null(kmem_alloc(5000));
	ck_assert_ptr_null(kmem_zalloc(100));
	kmem_get_stats(&st);
	ck_assert_uint_eq(st.km_class[0].ks_allocs, 0);
	ck_assert_uint_eq(st.km_class[0].ks_slabs, 0);
	ck_assert_uint_eq(st.km_large_allocs, 0);
	/* One page: a slab works, a 2-page large allocation does not. */
	tp_limit = 1;
	p = kmem_alloc(16);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(kmem_alloc(5000));
	tp_limit = TP_NO_LIMIT;
	kmem_free(p);
	p = kmem_alloc(5000);
	ck_assert_ptr_nonnull(p);
	kmem_free(p);
}
END_TEST

struct t_obj {
	void		*to_p;
	size_t		 to_size;
	uint64_t	 to_stamp;
};

START_TEST(test_random_content)
{
	static struct t_obj live[RAND_SLOTS];
	static uint64_t want_allocs[KMEM_NCLASSES + 1];
	struct kmem_stats st;
	uint64_t rng, stamp;
	size_t nlive, i, k, size, used;
	unsigned int c;

	t_init();
	memset(want_allocs, 0, sizeof(want_allocs));
	rng = RAND_SEED;
	nlive = 0;
	stamp = 1;
	for (k = 0; k < RAND_OPS; k++) {
		if (nlive < RAND_SLOTS &&
		    (nlive == 0 || rng_next(&rng) % 100 < 52)) {
			if (rng_next(&rng) % 20 == 0)
				size = 1 + rng_next(&rng) % (5 * PG);
			else
				size = 1 + rng_next(&rng) % 3000;
			live[nlive].to_p = kmem_alloc(size);
			ck_assert_ptr_nonnull(live[nlive].to_p);
			ck_assert_uint_eq((uintptr_t)live[nlive].to_p %
			    KMEM_ALIGN, 0);
			live[nlive].to_size = size;
			live[nlive].to_stamp = stamp++;
			t_fill(live[nlive].to_p, size, live[nlive].to_stamp);
			want_allocs[t_class_of(size)]++;
			nlive++;
		} else {
			i = rng_next(&rng) % nlive;
			ck_assert(t_check(live[i].to_p, live[i].to_size,
			    live[i].to_stamp));
			kmem_free(live[i].to_p);
			live[i] = live[--nlive];
		}
	}
	while (nlive > 0) {
		nlive--;
		ck_assert(t_check(live[nlive].to_p, live[nlive].to_size,
		    live[nlive].to_stamp));
		kmem_free(live[nlive].to_p);
	}
	kmem_get_stats(&st);
	used = 0;
	for (c = 0; c < KMEM_NCLASSES; c++) {
		ck_assert_uint_eq(st.km_class[c].ks_allocs, want_allocs[c]);
		ck_assert_uint_eq(st.km_class[c].ks_frees, want_allocs[c]);
		ck_assert_uint_eq(st.km_class[c].ks_inuse, 0);
		ck_assert_uint_eq(st.km_class[c].ks_slabs,
		    want_allocs[c] > 0);
		used += want_allocs[c] > 0;
	}
	ck_assert_uint_eq(st.km_large_allocs, want_allocs[NSIZES_LARGE]);
	ck_assert_uint_eq(st.km_large_frees, want_allocs[NSIZES_LARGE]);
	ck_assert_uint_eq(st.km_large_pages, 0);
	ck_assert_int_eq(tp_pages, (long)used);
}
END_TEST

#ifdef KASSERT_ENABLE
/* ---- Invariant checks: each must die with SIGABRT ---- */

START_TEST(test_double_free_asserts)
{
	void *p, *q;

	t_init();
	p = kmem_alloc(64);
	q = kmem_alloc(64);
	ck_assert(p != NULL && q != NULL);
	kmem_free(p);
	kmem_free(p);
}
END_TEST

START_TEST(test_foreign_pointer_asserts)
{
	unsigned char *page;

	t_init();
	page = aligned_alloc(PG, PG);
	ck_assert_ptr_nonnull(page);
	memset(page, 0, PG);
	kmem_free(page + 64);
}
END_TEST

START_TEST(test_interior_pointer_asserts)
{
	unsigned char *p;

	t_init();
	p = kmem_alloc(128);
	ck_assert_ptr_nonnull(p);
	kmem_free(p + KMEM_ALIGN);
}
END_TEST

START_TEST(test_large_interior_pointer_asserts)
{
	unsigned char *p;

	t_init();
	p = kmem_alloc(10000);
	ck_assert_ptr_nonnull(p);
	kmem_free(p + KMEM_ALIGN);
}
END_TEST

START_TEST(test_write_after_free_asserts)
{
	unsigned char *p, *q;

	t_init();
	p = kmem_alloc(64);
	q = kmem_alloc(64);
	ck_assert(p != NULL && q != NULL);
	kmem_free(p);
	p[40] ^= 1;		/* scribble on the freed object */
	(void)kmem_alloc(64);	/* hands p out again: poison check */
}
END_TEST
#endif /* KASSERT_ENABLE */

/* ---- Multi-threaded stress ---- */

struct st_thread {
	pthread_t	 st_tid;
	unsigned int	 st_id;
	uint64_t	 st_allocs[KMEM_NCLASSES + 1];
	const char	*st_error;	/* first problem seen, or NULL */
	struct t_obj	 st_live[ST_SLOTS];
};

static pthread_mutex_t	st_mbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct t_obj	st_mbox[ST_MBOX];
static size_t		st_mbox_n;

/* Stamp: thread id in the top bits, per-thread sequence below. */
#define ST_STAMP(id, seq)	(((uint64_t)(id) << 48) | (seq))
#define ST_MIN_SIZE		sizeof(uint64_t)

static void
st_stamp(const struct t_obj *o)
{
	unsigned char *c;

	memcpy(o->to_p, &o->to_stamp, sizeof(o->to_stamp));
	c = o->to_p;
	if (o->to_size > sizeof(o->to_stamp))
		c[o->to_size - 1] = t_pattern(o->to_stamp, o->to_size);
}

static bool
st_verify(const struct t_obj *o)
{
	const unsigned char *c;
	uint64_t stamp;

	memcpy(&stamp, o->to_p, sizeof(stamp));
	c = o->to_p;
	return (stamp == o->to_stamp &&
	    (o->to_size <= sizeof(stamp) ||
	    c[o->to_size - 1] == t_pattern(o->to_stamp, o->to_size)));
}

static size_t
st_pick_size(uint64_t *rng)
{
	unsigned int c;
	size_t csize, lo;

	c = (unsigned int)(rng_next(rng) % (KMEM_NCLASSES + 1));
	if (c == NSIZES_LARGE)
		return (KMEM_MAX_SIZE + 1 +
		    rng_next(rng) % (ST_LARGE_MAX - KMEM_MAX_SIZE));
	csize = (size_t)KMEM_MIN_SIZE << c;
	lo = c == 0 ? ST_MIN_SIZE : csize / 2 + 1;
	return (lo + rng_next(rng) % (csize - lo + 1));
}

static bool
st_mbox_push(const struct t_obj *o)
{
	bool ok;

	pthread_mutex_lock(&st_mbox_lock);
	ok = st_mbox_n < ST_MBOX;
	if (ok)
		st_mbox[st_mbox_n++] = *o;
	pthread_mutex_unlock(&st_mbox_lock);
	return (ok);
}

static bool
st_mbox_pop(struct t_obj *o)
{
	bool ok;

	pthread_mutex_lock(&st_mbox_lock);
	ok = st_mbox_n > 0;
	if (ok)
		*o = st_mbox[--st_mbox_n];
	pthread_mutex_unlock(&st_mbox_lock);
	return (ok);
}

static bool
st_release(struct st_thread *t, const struct t_obj *o)
{
	if (!st_verify(o)) {
		t->st_error = "object contents changed while allocated "
		    "(handed out twice?)";
		return (false);
	}
	kmem_free(o->to_p);
	return (true);
}

static void *
st_worker(void *arg)
{
	struct st_thread *t;
	struct t_obj o;
	uint64_t rng, seq, r;
	size_t nlive, i, k;

	t = arg;
	rng = 0x9e3779b97f4a7c15ULL * (t->st_id + 1);
	nlive = 0;
	seq = 0;
	for (k = 0; k < ST_OPS; k++) {
		r = rng_next(&rng);
		if (nlive > 0 && (nlive == ST_SLOTS || (r & 1) != 0)) {
			i = (size_t)((r >> 8) % nlive);
			o = t->st_live[i];
			t->st_live[i] = t->st_live[--nlive];
			/* Sometimes let another thread free it. */
			if ((r >> 40) % 8 == 0 && st_mbox_push(&o))
				continue;
			if (!st_release(t, &o))
				return (NULL);
			continue;
		}
		/* Sometimes free an object another thread allocated. */
		if ((r >> 40) % 8 == 0 && st_mbox_pop(&o)) {
			if (!st_release(t, &o))
				return (NULL);
			continue;
		}
		o.to_size = st_pick_size(&rng);
		o.to_stamp = ST_STAMP(t->st_id, ++seq);
		o.to_p = kmem_alloc(o.to_size);
		if (o.to_p == NULL) {
			t->st_error = "kmem_alloc failed";
			return (NULL);
		}
		if ((uintptr_t)o.to_p % KMEM_ALIGN != 0) {
			t->st_error = "misaligned object";
			return (NULL);
		}
		st_stamp(&o);
		t->st_allocs[t_class_of(o.to_size)]++;
		t->st_live[nlive++] = o;
	}
	while (nlive > 0)
		if (!st_release(t, &t->st_live[--nlive]))
			return (NULL);
	return (NULL);
}

START_TEST(test_stress_threads)
{
	static struct st_thread threads[ST_THREADS];
	uint64_t want[KMEM_NCLASSES + 1];
	struct kmem_stats st;
	struct t_obj o;
	unsigned int i, c;
	size_t used;

	t_init();
	memset(threads, 0, sizeof(threads));
	memset(want, 0, sizeof(want));
	st_mbox_n = 0;
	for (i = 0; i < ST_THREADS; i++) {
		threads[i].st_id = i + 1;
		ck_assert_int_eq(pthread_create(&threads[i].st_tid, NULL,
		    st_worker, &threads[i]), 0);
	}
	for (i = 0; i < ST_THREADS; i++)
		ck_assert_int_eq(pthread_join(threads[i].st_tid, NULL), 0);
	for (i = 0; i < ST_THREADS; i++) {
		ck_assert_msg(threads[i].st_error == NULL, "thread %u: %s",
		    i + 1, threads[i].st_error);
		for (c = 0; c <= KMEM_NCLASSES; c++)
			want[c] += threads[i].st_allocs[c];
	}
	while (st_mbox_pop(&o)) {
		ck_assert(st_verify(&o));
		kmem_free(o.to_p);
	}

	kmem_get_stats(&st);
	used = 0;
	for (c = 0; c < KMEM_NCLASSES; c++) {
		ck_assert_uint_gt(want[c], 0);
		ck_assert_uint_eq(st.km_class[c].ks_allocs, want[c]);
		ck_assert_uint_eq(st.km_class[c].ks_frees, want[c]);
		ck_assert_uint_eq(st.km_class[c].ks_inuse, 0);
		/* Everything back except the one spare slab per class. */
		ck_assert_uint_eq(st.km_class[c].ks_slabs, 1);
		used++;
	}
	ck_assert_uint_gt(want[NSIZES_LARGE], 0);
	ck_assert_uint_eq(st.km_large_allocs, want[NSIZES_LARGE]);
	ck_assert_uint_eq(st.km_large_frees, want[NSIZES_LARGE]);
	ck_assert_uint_eq(st.km_large_pages, 0);
	ck_assert_int_eq(tp_pages, (long)used);
	ck_assert_int_eq(tp_alloc_calls - tp_free_calls, (long)used);
}
END_TEST

/* ---- Spinlock ---- */

static struct spinlock	sl_lock;
static uint64_t		sl_counter;

START_TEST(test_spinlock_basic)
{
	struct spinlock sl = SPINLOCK_INITIALIZER;

	ck_assert(!spinlock_held(&sl));
	ck_assert(spinlock_trylock(&sl));
	ck_assert(spinlock_held(&sl));
	ck_assert(!spinlock_trylock(&sl));
	spinlock_unlock(&sl);
	ck_assert(!spinlock_held(&sl));
	spinlock_init(&sl);
	spinlock_lock(&sl);
	ck_assert(spinlock_held(&sl));
	ck_assert(!spinlock_trylock(&sl));
	spinlock_unlock(&sl);
	ck_assert(spinlock_trylock(&sl));
	spinlock_unlock(&sl);
	ck_assert(!spinlock_held(&sl));
}
END_TEST

static void *
sl_worker(void *arg)
{
	uintptr_t id;
	int i;

	id = (uintptr_t)arg;
	for (i = 0; i < SL_ITERS; i++) {
		if ((i + id) % 4 == 0) {
			while (!spinlock_trylock(&sl_lock))
				(void)sched_yield();
		} else
			spinlock_lock(&sl_lock);
		sl_counter++;
		spinlock_unlock(&sl_lock);
	}
	return (NULL);
}

START_TEST(test_spinlock_threads)
{
	pthread_t tids[SL_THREADS];
	uintptr_t i;

	spinlock_init(&sl_lock);
	sl_counter = 0;
	for (i = 0; i < SL_THREADS; i++)
		ck_assert_int_eq(pthread_create(&tids[i], NULL, sl_worker,
		    (void *)i), 0);
	for (i = 0; i < SL_THREADS; i++)
		ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
	ck_assert_uint_eq(sl_counter, (uint64_t)SL_THREADS * SL_ITERS);
	ck_assert(!spinlock_held(&sl_lock));
}
END_TEST

static Suite *
kmem_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("kmem");

	tc = tcase_create("basic");
	tcase_add_test(tc, test_size_classes);
	tcase_add_test(tc, test_alignment);
	tcase_add_test(tc, test_zero_and_huge);
	tcase_add_test(tc, test_zalloc);
	tcase_add_test(tc, test_stats_exact);
	tcase_add_test(tc, test_empty_slabs_returned);
	tcase_add_test(tc, test_one_object_slabs);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_page_source_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_random_content);
	suite_add_tcase(s, tc);

#ifdef KASSERT_ENABLE
	/* These rely on kassert_fail() aborting. */
	tc = tcase_create("invariants");
	tcase_add_test_raise_signal(tc, test_double_free_asserts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_foreign_pointer_asserts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_interior_pointer_asserts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_large_interior_pointer_asserts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_write_after_free_asserts,
	    SIGABRT);
	suite_add_tcase(s, tc);
#endif

	tc = tcase_create("spinlock");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_spinlock_basic);
	tcase_add_test(tc, test_spinlock_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_stress_threads);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(kmem_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

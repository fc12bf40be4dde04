/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_kmem.c: host unit tests for kernel/kmem.c, functional
 * cases (the randomized and multi-threaded runs are in
 * test_kmem_stress.c).
 *
 * Exercises the size-class allocator on the host with the Check framework:
 * class boundaries, alignment, kmem_zalloc(), exact statistics, return of
 * empty slabs to the page source, large allocations, page-source failure,
 * the KASSERTs that catch bad frees and writes after free, and the
 * trylock/held semantics of the spinlock that kmem uses.
 *
 * Design: kmem runs on the test page source of kmem_testlib.h, which
 * checks that every page run comes back with the size it went out with
 * and counts pages and calls, so the tests can pin page traffic exactly.
 * Large objects are filled with a stamp-derived pattern and verified
 * before they are freed.  kassert_fail() prints and abort()s, so
 * invariant checks are tested as tests that must die with SIGABRT.
 *
 * Locking: none; single-threaded (kmem takes its own class locks).
 */

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmem.h"
#include "kernel/spinlock.h"
#include "tests/unit/kmem_testlib.h"

/* ---- Helpers ---- */

static size_t
t_large_pages(size_t size)
{
	/* The large header is 16 bytes (one KMEM_ALIGN unit). */
	return ((size + KMEM_ALIGN + PG - 1) / PG);
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

/* ---- Spinlock ---- */

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
	tcase_add_test(tc, test_spinlock_basic);
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

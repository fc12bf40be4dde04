/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_pgalloc.c: host unit tests for kernel/pgalloc.c.
 *
 * Exercises the bitmap page allocator on the host with the Check
 * framework: rounding and clipping of pgalloc_add_free() and
 * pgalloc_reserve(), free-page accounting, exhaustion, contiguous and
 * aligned allocation, next-fit wraparound, fragmentation, the KASSERTs
 * on bad frees, and a long randomized run against a shadow model.
 *
 * Design: most tests use made-up physical addresses, since the allocator
 * never touches the memory it manages.  The randomized test hands it a
 * real aligned_alloc() buffer, treats its addresses as physical, and
 * stamps every allocated page so an overlap would also show up in memory.
 * A shadow array records the owner of every page; after each operation
 * the allocator's free count must match the shadow, every allocation must
 * land on shadow-free pages with the requested alignment, and every
 * failed allocation is checked by brute force to really have no fit.
 * kassert_fail() prints and abort()s, so invariant checks are tested as
 * tests that must die with SIGABRT.
 *
 * Locking: single-threaded; the allocator takes its own pa_lock inside
 * each call and the tests hold no locks.
 */

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/pgalloc.h"

#define PG		PGALLOC_PAGE_SIZE
#define TEST_BASE	0x100000ULL	/* fake physical base (1 MiB) */
#define TEST_NPAGES	300		/* not a multiple of 64 on purpose */
#define RAND_NPAGES	1000
#define RAND_OPS	20000
#define RAND_SEED	0x5eed1234abcdULL
#define RAND_MAX_RUN	32
#define OWNER_FREE	0
#define OWNER_RESERVED	(-1)
#define STAMP_MAGIC	0x7061676573ULL
#define SLOW_TIMEOUT	120

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

static struct pgalloc	 t_pa;
static uint64_t		*t_bitmap;

/* Set up t_pa over a fresh bitmap (released by t_teardown). */
static void
t_setup(uint64_t base, size_t npages)
{
	size_t bytes;

	bytes = pgalloc_bitmap_bytes(npages);
	t_bitmap = malloc(bytes > 0 ? bytes : sizeof(uint64_t));
	ck_assert_ptr_nonnull(t_bitmap);
	memset(t_bitmap, 0, bytes);	/* init must set everything */
	pgalloc_init(&t_pa, base, npages, t_bitmap);
}

static void
t_teardown(void)
{
	free(t_bitmap);
	t_bitmap = NULL;
}

static void
t_setup_all_free(uint64_t base, size_t npages)
{
	t_setup(base, npages);
	pgalloc_add_free(&t_pa, base, (uint64_t)npages * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), npages);
}

/* Deterministic xorshift64* generator. */
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

START_TEST(test_bitmap_bytes)
{
	ck_assert_uint_eq(pgalloc_bitmap_bytes(0), 0);
	ck_assert_uint_eq(pgalloc_bitmap_bytes(1), 8);
	ck_assert_uint_eq(pgalloc_bitmap_bytes(64), 8);
	ck_assert_uint_eq(pgalloc_bitmap_bytes(65), 16);
	ck_assert_uint_eq(pgalloc_bitmap_bytes(128), 16);
	ck_assert_uint_eq(pgalloc_bitmap_bytes(1000), 128);
}
END_TEST

START_TEST(test_init_all_used)
{
	t_setup(TEST_BASE, TEST_NPAGES);
	ck_assert_uint_eq(pgalloc_npages(&t_pa), TEST_NPAGES);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1), 0);
	t_teardown();
}
END_TEST

START_TEST(test_add_free_rounding)
{
	t_setup(TEST_BASE, TEST_NPAGES);
	/* Sub-page range: nothing. */
	pgalloc_add_free(&t_pa, TEST_BASE + 100, 200);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	/* Straddling two pages but covering neither fully: nothing. */
	pgalloc_add_free(&t_pa, TEST_BASE + PG - 10, 20);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	/* [base+1, base+1+2 pages) holds only page 1 entirely. */
	pgalloc_add_free(&t_pa, TEST_BASE + 1, 2 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 1);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1), TEST_BASE + PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	/* Exactly aligned: 3 pages. */
	pgalloc_add_free(&t_pa, TEST_BASE + 10 * PG, 3 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 3);
	/* One byte short of 2 pages: 1 page. */
	pgalloc_add_free(&t_pa, TEST_BASE + 20 * PG, 2 * PG - 1);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 4);
	/* Zero length. */
	pgalloc_add_free(&t_pa, TEST_BASE + 30 * PG, 0);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 4);
	t_teardown();
}
END_TEST

START_TEST(test_add_free_clipping)
{
	uint64_t end;

	end = TEST_BASE + (uint64_t)TEST_NPAGES * PG;
	t_setup(TEST_BASE, TEST_NPAGES);
	/* Entirely below and entirely above the span. */
	pgalloc_add_free(&t_pa, 0, TEST_BASE);
	pgalloc_add_free(&t_pa, end, 100 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	/* Starting below: clipped to the base. */
	pgalloc_add_free(&t_pa, TEST_BASE - 16 * PG, 20 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 4);
	/* Running past the end: clipped to the end. */
	pgalloc_add_free(&t_pa, end - 5 * PG, 50 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 9);
	/* Overlapping what is free already: not counted twice. */
	pgalloc_add_free(&t_pa, TEST_BASE, 6 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 11);
	/* A length that would wrap the address space. */
	pgalloc_add_free(&t_pa, end - 8 * PG, UINT64_MAX);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 14);
	pgalloc_add_free(&t_pa, UINT64_MAX - 10, UINT64_MAX);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 14);
	/* Everything. */
	pgalloc_add_free(&t_pa, 0, UINT64_MAX);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES);
	t_teardown();
}
END_TEST

START_TEST(test_reserve_rounding_clipping)
{
	uint64_t end;

	end = TEST_BASE + (uint64_t)TEST_NPAGES * PG;
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	/* Two bytes straddling pages 0 and 1: both reserved. */
	pgalloc_reserve(&t_pa, TEST_BASE + PG - 1, 2);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 2);
	/* One byte: its page. */
	pgalloc_reserve(&t_pa, TEST_BASE + 5 * PG + 7, 1);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 3);
	/* Zero length reserves nothing. */
	pgalloc_reserve(&t_pa, TEST_BASE + 9 * PG + 7, 0);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 3);
	/* Already reserved: not counted twice. */
	pgalloc_reserve(&t_pa, TEST_BASE, 2 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 3);
	/* Outside the span: nothing. */
	pgalloc_reserve(&t_pa, 0, TEST_BASE);
	pgalloc_reserve(&t_pa, end, 4 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 3);
	/* Straddling the end: clipped. */
	pgalloc_reserve(&t_pa, end - PG - 1, 10 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 5);
	/* Wrapping length. */
	pgalloc_reserve(&t_pa, end - 4 * PG, UINT64_MAX);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - 7);
	/* The remaining pages come out and none of the reserved ones. */
	while (pgalloc_nfree(&t_pa) > 0) {
		uint64_t a = pgalloc_alloc(&t_pa, 1, 1);

		ck_assert_uint_ne(a, 0);
		ck_assert(a != TEST_BASE && a != TEST_BASE + PG &&
		    a != TEST_BASE + 5 * PG && a < end - 4 * PG);
	}
	/* Reserve everything, then free everything again. */
	pgalloc_reserve(&t_pa, 0, UINT64_MAX);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	pgalloc_add_free(&t_pa, TEST_BASE, (uint64_t)TEST_NPAGES * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES);
	t_teardown();
}
END_TEST

START_TEST(test_base_zero_never_returns_zero)
{
	size_t i, n;
	uint64_t a;

	t_setup(0, 70);
	pgalloc_add_free(&t_pa, 0, 70 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 69);
	for (n = 0; (a = pgalloc_alloc(&t_pa, 1, 1)) != 0; n++)
		ck_assert_uint_ge(a, PG);
	ck_assert_uint_eq(n, 69);
	/* Page 0 cannot be freed into the pool either. */
	for (i = 1; i < 70; i++)
		pgalloc_free(&t_pa, i * PG, 1);
	pgalloc_add_free(&t_pa, 0, PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 69);
	/* An aligned request whose natural spot is 0 skips it. */
	a = pgalloc_alloc(&t_pa, 64, 64);
	ck_assert_uint_eq(a, 0);	/* [64, 128) pages do not fit in 70 */
	a = pgalloc_alloc(&t_pa, 4, 4);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(a % (4 * PG), 0);
	t_teardown();
}
END_TEST

START_TEST(test_single_exhaustion)
{
	static bool seen[TEST_NPAGES];
	size_t i, idx;
	uint64_t a;

	memset(seen, 0, sizeof(seen));
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	for (i = 0; i < TEST_NPAGES; i++) {
		a = pgalloc_alloc(&t_pa, 1, 1);
		ck_assert_uint_ne(a, 0);
		ck_assert_uint_eq(a % PG, 0);
		ck_assert_uint_ge(a, TEST_BASE);
		idx = (a - TEST_BASE) / PG;
		ck_assert_uint_lt(idx, TEST_NPAGES);
		ck_assert(!seen[idx]);
		seen[idx] = true;
		ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - i - 1);
	}
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1), 0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 2, 1), 0);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	for (i = 0; i < TEST_NPAGES; i++)
		pgalloc_free(&t_pa, TEST_BASE + i * PG, 1);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES);
	t_teardown();
}
END_TEST

/* Allocate n pages at alignment al, check and record them in owner[]. */
static uint64_t
t_alloc_checked(uint64_t base, int *owner, size_t total, size_t n,
    size_t al, int id)
{
	uint64_t a;
	size_t i, idx;

	a = pgalloc_alloc(&t_pa, n, al);
	if (a == 0)
		return (0);
	ck_assert_uint_eq(a % (al * PG), 0);
	ck_assert_uint_ge(a, base);
	idx = (a - base) / PG;
	ck_assert_uint_le(idx + n, total);
	for (i = idx; i < idx + n; i++) {
		ck_assert_int_eq(owner[i], OWNER_FREE);
		owner[i] = id;
	}
	return (a);
}

START_TEST(test_contiguous_aligned)
{
	static const size_t sizes[] = { 1, 3, 8, 5, 16, 2, 7, 1, 64, 9 };
	static const size_t aligns[] = { 1, 1, 8, 2, 16, 4, 1, 32, 64, 1 };
	static int owner[TEST_NPAGES];
	uint64_t addr[10];
	size_t i, used;

	memset(owner, 0, sizeof(owner));
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	used = 0;
	for (i = 0; i < 10; i++) {
		addr[i] = t_alloc_checked(TEST_BASE, owner, TEST_NPAGES,
		    sizes[i], aligns[i], (int)i + 1);
		ck_assert_uint_ne(addr[i], 0);
		used += sizes[i];
		ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES - used);
	}
	/* Larger than the span, and larger than what is free. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, TEST_NPAGES + 1, 1), 0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, TEST_NPAGES - used + 1, 1),
	    0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 0, 1), 0);
	for (i = 0; i < 10; i++)
		pgalloc_free(&t_pa, addr[i], sizes[i]);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES);
	/* The whole span in one piece. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, TEST_NPAGES, 1), TEST_BASE);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	t_teardown();
}
END_TEST

START_TEST(test_unaligned_base_alignment)
{
	/* Base 0x101000 is 1-page aligned only; alignment is physical. */
	const uint64_t base = TEST_BASE + PG;
	static int owner[TEST_NPAGES];
	uint64_t a;
	size_t al;
	int id;

	memset(owner, 0, sizeof(owner));
	t_setup_all_free(base, TEST_NPAGES);
	id = 1;
	for (al = 1; al <= 64; al <<= 1) {
		a = t_alloc_checked(base, owner, TEST_NPAGES, 1, al, id++);
		ck_assert_uint_ne(a, 0);
		a = t_alloc_checked(base, owner, TEST_NPAGES, al, al, id++);
		ck_assert_uint_ne(a, 0);
	}
	/* 2 MiB alignment in [0x101000, 0x22d000): only 0x200000. */
	a = pgalloc_alloc(&t_pa, 1, 512);
	ck_assert_uint_eq(a, 0x200000);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 512), 0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1024), 0);
	t_teardown();
}
END_TEST

START_TEST(test_free_realloc)
{
	size_t i;
	uint64_t a;

	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	for (i = 0; i < TEST_NPAGES; i++)
		ck_assert_uint_ne(pgalloc_alloc(&t_pa, 1, 1), 0);
	/* Free 8 pages in the middle; the only fit is exactly there. */
	pgalloc_free(&t_pa, TEST_BASE + 100 * PG, 8);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 8);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 9, 1), 0);
	a = pgalloc_alloc(&t_pa, 8, 1);
	ck_assert_uint_eq(a, TEST_BASE + 100 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	/* Free across a bitmap word boundary (pages 60..71). */
	pgalloc_free(&t_pa, TEST_BASE + 60 * PG, 12);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 12, 1), TEST_BASE + 60 * PG);
	/* A single page comes back as that page. */
	pgalloc_free(&t_pa, TEST_BASE + 299 * PG, 1);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1), TEST_BASE + 299 * PG);
	t_teardown();
}
END_TEST

START_TEST(test_fragmentation)
{
	size_t i;

	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	for (i = 0; i < TEST_NPAGES; i++)
		ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1),
		    TEST_BASE + i * PG);
	for (i = 0; i < TEST_NPAGES; i += 2)
		pgalloc_free(&t_pa, TEST_BASE + i * PG, 1);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES / 2);
	/* 150 pages free, but no two adjacent. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 2, 1), 0);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 100, 1), 0);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES / 2);
	/* Single pages still work, also at 2-page alignment. */
	ck_assert_uint_ne(pgalloc_alloc(&t_pa, 1, 2), 0);
	ck_assert_uint_ne(pgalloc_alloc(&t_pa, 1, 1), 0);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), TEST_NPAGES / 2 - 2);
	/* Freeing odd page 101 joins pages 100..102 into a run of 3. */
	pgalloc_free(&t_pa, TEST_BASE + 101 * PG, 1);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 3, 1), TEST_BASE + 100 * PG);
	t_teardown();
}
END_TEST

START_TEST(test_hint_wraparound)
{
	uint64_t a, b, c, d;

	t_setup_all_free(TEST_BASE, 128);
	a = pgalloc_alloc(&t_pa, 100, 1);
	ck_assert_uint_eq(a, TEST_BASE);
	b = pgalloc_alloc(&t_pa, 20, 1);
	ck_assert_uint_eq(b, TEST_BASE + 100 * PG);
	/* A run ending exactly at the end of the span. */
	c = pgalloc_alloc(&t_pa, 8, 8);
	ck_assert_uint_eq(c, TEST_BASE + 120 * PG);
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), 0);
	pgalloc_free(&t_pa, a, 100);
	d = pgalloc_alloc(&t_pa, 90, 1);
	ck_assert_uint_eq(d, TEST_BASE);
	pgalloc_free(&t_pa, c, 8);
	/* Free: [90, 100) and [120, 128); 12 pages fit nowhere. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 12, 1), 0);
	pgalloc_free(&t_pa, d, 90);
	/* Nothing fits after the cursor (90): must wrap to the start. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 12, 1), TEST_BASE);
	/* Next fit continues after the previous allocation. */
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 1, 1), TEST_BASE + 12 * PG);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 8, 8), TEST_BASE + 16 * PG);
	pgalloc_free(&t_pa, b, 20);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 28, 4), TEST_BASE + 24 * PG);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 40, 1), TEST_BASE + 52 * PG);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 8, 1), TEST_BASE + 92 * PG);
	ck_assert_uint_eq(pgalloc_alloc(&t_pa, 20, 1), TEST_BASE + 100 * PG);
	t_teardown();
}
END_TEST

/* Brute force over the shadow: is there any aligned free run of n? */
static bool
t_shadow_fits(uint64_t base, const int *owner, size_t total, size_t n,
    size_t al)
{
	size_t i, j;

	for (i = 0; i + n <= total; i++) {
		if (((base + i * PG) / PG) % al != 0)
			continue;
		for (j = 0; j < n && owner[i + j] == OWNER_FREE; j++)
			;
		if (j == n)
			return (true);
	}
	return (false);
}

struct t_live {
	uint64_t	tl_addr;
	size_t		tl_npages;
	int		tl_id;
};

START_TEST(test_random_shadow)
{
	static const size_t aligns[] = { 1, 1, 1, 1, 2, 4, 8, 16 };
	static int owner[RAND_NPAGES];
	static struct t_live live[RAND_NPAGES];
	uint64_t rng, base, a, *stamp;
	unsigned char *mem;
	size_t nlive, shadow_free, i, j, k, n, al, idx, fails, successes;
	int id;

	mem = aligned_alloc(PG, (size_t)RAND_NPAGES * PG);
	ck_assert_ptr_nonnull(mem);
	base = (uint64_t)(uintptr_t)mem;
	memset(owner, 0, sizeof(owner));
	t_setup(base, RAND_NPAGES);
	pgalloc_add_free(&t_pa, base, (uint64_t)RAND_NPAGES * PG);
	rng = RAND_SEED;
	/* A few reserved holes, as the boot code would make. */
	for (k = 0; k < 10; k++) {
		i = rng_next(&rng) % RAND_NPAGES;
		n = 1 + rng_next(&rng) % 5;
		pgalloc_reserve(&t_pa, base + i * PG + 1, n * PG - 2);
		for (j = i; j < i + n && j < RAND_NPAGES; j++)
			owner[j] = OWNER_RESERVED;
	}
	shadow_free = 0;
	for (i = 0; i < RAND_NPAGES; i++)
		shadow_free += owner[i] == OWNER_FREE;
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), shadow_free);

	nlive = 0;
	id = 1;
	fails = successes = 0;
	for (k = 0; k < RAND_OPS; k++) {
		if (nlive == 0 || rng_next(&rng) % 100 < 55) {
			n = rng_next(&rng) % 4 == 0 ?
			    1 + rng_next(&rng) % RAND_MAX_RUN : 1;
			al = aligns[rng_next(&rng) % 8];
			a = t_alloc_checked(base, owner, RAND_NPAGES, n, al,
			    id);
			if (a == 0) {
				ck_assert(!t_shadow_fits(base, owner,
				    RAND_NPAGES, n, al));
				fails++;
				continue;
			}
			successes++;
			for (j = 0; j < n; j++) {
				stamp = (uint64_t *)(uintptr_t)(a + j * PG);
				stamp[0] = STAMP_MAGIC;
				stamp[1] = (uint64_t)id;
			}
			live[nlive].tl_addr = a;
			live[nlive].tl_npages = n;
			live[nlive].tl_id = id++;
			nlive++;
			shadow_free -= n;
		} else {
			i = rng_next(&rng) % nlive;
			a = live[i].tl_addr;
			n = live[i].tl_npages;
			idx = (a - base) / PG;
			for (j = 0; j < n; j++) {
				stamp = (uint64_t *)(uintptr_t)(a + j * PG);
				ck_assert_uint_eq(stamp[0], STAMP_MAGIC);
				ck_assert_uint_eq(stamp[1],
				    (uint64_t)live[i].tl_id);
				ck_assert_int_eq(owner[idx + j],
				    live[i].tl_id);
				owner[idx + j] = OWNER_FREE;
			}
			pgalloc_free(&t_pa, a, n);
			live[i] = live[--nlive];
			shadow_free += n;
		}
		ck_assert_uint_eq(pgalloc_nfree(&t_pa), shadow_free);
	}
	/* Both outcomes must have been exercised. */
	ck_assert_uint_gt(successes, RAND_OPS / 4);
	ck_assert_uint_gt(fails, 0);
	while (nlive > 0) {
		nlive--;
		pgalloc_free(&t_pa, live[nlive].tl_addr,
		    live[nlive].tl_npages);
		shadow_free += live[nlive].tl_npages;
	}
	ck_assert_uint_eq(pgalloc_nfree(&t_pa), shadow_free);
	t_teardown();
	free(mem);
}
END_TEST

#ifdef KASSERT_ENABLE
/* ---- Invariant checks: each must die with SIGABRT ---- */

START_TEST(test_double_free_asserts)
{
	uint64_t a;

	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	a = pgalloc_alloc(&t_pa, 4, 1);
	ck_assert_uint_ne(a, 0);
	pgalloc_free(&t_pa, a, 4);
	pgalloc_free(&t_pa, a + PG, 1);		/* must abort */
}
END_TEST

START_TEST(test_free_outside_span_asserts)
{
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	ck_assert_uint_ne(pgalloc_alloc(&t_pa, TEST_NPAGES, 1), 0);
	/* Last page plus one beyond the span. */
	pgalloc_free(&t_pa, TEST_BASE + (TEST_NPAGES - 1) * PG, 2);
}
END_TEST

START_TEST(test_free_unaligned_asserts)
{
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	ck_assert_uint_ne(pgalloc_alloc(&t_pa, 1, 1), 0);
	pgalloc_free(&t_pa, TEST_BASE + 12, 1);
}
END_TEST

START_TEST(test_bad_alignment_asserts)
{
	t_setup_all_free(TEST_BASE, TEST_NPAGES);
	(void)pgalloc_alloc(&t_pa, 1, 3);
}
END_TEST
#endif /* KASSERT_ENABLE */

static Suite *
pgalloc_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("pgalloc");

	tc = tcase_create("setup");
	tcase_add_test(tc, test_bitmap_bytes);
	tcase_add_test(tc, test_init_all_used);
	tcase_add_test(tc, test_add_free_rounding);
	tcase_add_test(tc, test_add_free_clipping);
	tcase_add_test(tc, test_reserve_rounding_clipping);
	tcase_add_test(tc, test_base_zero_never_returns_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("alloc");
	tcase_add_test(tc, test_single_exhaustion);
	tcase_add_test(tc, test_contiguous_aligned);
	tcase_add_test(tc, test_unaligned_base_alignment);
	tcase_add_test(tc, test_free_realloc);
	tcase_add_test(tc, test_fragmentation);
	tcase_add_test(tc, test_hint_wraparound);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_random_shadow);
	suite_add_tcase(s, tc);

#ifdef KASSERT_ENABLE
	/* These rely on kassert_fail() aborting. */
	tc = tcase_create("invariants");
	tcase_add_test_raise_signal(tc, test_double_free_asserts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_free_outside_span_asserts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_free_unaligned_asserts,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_bad_alignment_asserts, SIGABRT);
	suite_add_tcase(s, tc);
#endif

	return (s);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(pgalloc_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_kmem_stress.c: randomized and multi-threaded stress
 * tests for kernel/kmem.c and its spinlock (also built with
 * -fsanitize=thread); the functional cases are in test_kmem.c.
 *
 * A randomized single-threaded run allocates and frees RAND_OPS objects
 * of random sizes with content checks and then compares the statistics
 * with what it did; a multi-threaded run does the same from ST_THREADS
 * threads; the spinlock gets a counter that SL_THREADS threads increment
 * under the lock (lock and trylock mixed).
 *
 * Design: kmem runs on the test page source of kmem_testlib.h.  Objects
 * are filled with a pattern derived from a per-object stamp and verified
 * before they are freed, so an object handed out twice, or overwritten
 * by the allocator, shows up as a mismatch.  The stress test runs
 * ST_THREADS threads doing ST_OPS random operations each; a
 * mutex-protected mailbox moves some objects between threads so frees
 * also happen on other CPUs than the allocation.  Worker threads never
 * call Check macros: they report the first problem through their
 * st_thread and the main thread asserts.
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
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmem.h"
#include "kernel/spinlock.h"
#include "tests/unit/kmem_testlib.h"

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

/* ---- Helpers ---- */

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

/* ---- Randomized single-threaded run ---- */

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
kmem_stress_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("kmem_stress");

	tc = tcase_create("random");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_random_content);
	suite_add_tcase(s, tc);

	tc = tcase_create("spinlock");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
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

	sr = srunner_create(kmem_stress_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

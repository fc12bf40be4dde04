/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_workq.c: host tests for kernel/workq.h, the per-CPU work queue.
 *
 * The contention test runs 2 to 8 producer threads pushing a million items
 * in total at one consumer thread, and checks that every item arrives
 * exactly once and that each producer's items arrive in the order it pushed
 * them.  make test also builds this file with ThreadSanitizer.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernel/workq.h"

#define TOTAL_ITEMS	1000000
#define MAX_PRODUCERS	8

struct titem {
	struct workq_item	ti_wi;
	uint32_t		ti_producer;
	uint32_t		ti_seq;
};

static struct workq tq;
static struct titem *items;
static uint8_t *seen;
static uint32_t per_producer;
static int nproducers;
static int producers_done;

static void
noop(struct workq_item *wi)
{
	(void)wi;
}

START_TEST(test_fifo_single)
{
	struct titem it[5];
	struct workq_item *l;
	int i;

	workq_init(&tq);
	ck_assert(workq_empty(&tq));
	for (i = 0; i < 5; i++) {
		it[i].ti_seq = i;
		it[i].ti_wi.wi_fn = noop;
		ck_assert_int_eq(workq_push(&tq, &it[i].ti_wi), i == 0);
	}
	ck_assert(!workq_empty(&tq));
	l = workq_take_all(&tq);
	for (i = 0; i < 5; i++, l = l->wi_next)
		ck_assert_ptr_eq(l, &it[i].ti_wi);
	ck_assert_ptr_null(l);
	ck_assert(workq_empty(&tq));
	ck_assert_ptr_null(workq_take_all(&tq));
}
END_TEST

static void *
producer(void *arg)
{
	uint32_t p = (uint32_t)(uintptr_t)arg, i;

	for (i = 0; i < per_producer; i++) {
		struct titem *t = &items[(size_t)p * per_producer + i];

		t->ti_producer = p;
		t->ti_seq = i;
		t->ti_wi.wi_fn = noop;
		workq_push(&tq, &t->ti_wi);
	}
	__atomic_fetch_add(&producers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
run_contention(int np)
{
	pthread_t th[MAX_PRODUCERS];
	uint32_t next[MAX_PRODUCERS] = { 0 };
	size_t got = 0, total, idx, bad_idx = 0, dups = 0, misordered = 0;
	struct workq_item *l;
	int p, done;

	nproducers = np;
	per_producer = TOTAL_ITEMS / np;
	total = (size_t)per_producer * np;
	items = calloc(total, sizeof(*items));
	seen = calloc(total, 1);
	ck_assert(items != NULL && seen != NULL);
	workq_init(&tq);
	producers_done = 0;
	for (p = 0; p < np; p++)
		ck_assert_int_eq(pthread_create(&th[p], NULL, producer,
		    (void *)(uintptr_t)p), 0);
	for (;;) {
		done = __atomic_load_n(&producers_done, __ATOMIC_ACQUIRE);
		for (l = workq_take_all(&tq); l != NULL; l = l->wi_next) {
			struct titem *t = (struct titem *)l;

			/*
			 * Count problems instead of asserting per item: each
			 * Check assertion reports its location to the parent
			 * process, which would dominate the run time.
			 */
			l->wi_fn(l);
			got++;
			idx = (size_t)t->ti_producer * per_producer + t->ti_seq;
			if (t->ti_producer >= (uint32_t)np || idx >= total) {
				bad_idx++;
				continue;
			}
			if (seen[idx]++ != 0)
				dups++;
			/* Each producer's items come out in push order. */
			if (t->ti_seq != next[t->ti_producer])
				misordered++;
			next[t->ti_producer] = t->ti_seq + 1;
		}
		if (done == np && workq_empty(&tq))
			break;
	}
	for (p = 0; p < np; p++)
		pthread_join(th[p], NULL);
	ck_assert_uint_eq(bad_idx, 0);
	ck_assert_uint_eq(dups, 0);			/* none duplicated */
	ck_assert_uint_eq(misordered, 0);
	ck_assert_uint_eq(got, total);			/* none lost */
	for (p = 0; p < np; p++)
		ck_assert_uint_eq(next[p], per_producer);
	free(items);
	free(seen);
}

START_TEST(test_contention)
{
	run_contention(2 + _i);		/* 2 .. 8 producers */
}
END_TEST

static Suite *
workq_suite(void)
{
	Suite *s = suite_create("workq");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fifo_single);
	tcase_add_loop_test(tc, test_contention, 0, MAX_PRODUCERS - 1);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(workq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

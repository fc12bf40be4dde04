/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_rss.c: host tests for net/netisr/rss.c.
 *
 * For every CPU count 1..16 and queue count 1..16, and every one of the
 * 128 buckets: when the CPU that netisr_default_flow2cpu() picks owns a
 * queue (queue k belongs to CPU k mod ncpus), the device table must send
 * the bucket to a queue that CPU owns, so no packet crosses CPUs.  Also:
 * flow2cpu equals hash % ncpus for power-of-two counts, and not for 3.
 */
#include <check.h>
#include <stdlib.h>

#include "net/netisr/rss.h"

#define MAX_CPUS	16
#define MAX_QUEUES	16

static void
init_identity(uint32_t ncpus)
{
	uint32_t cpus[MAX_CPUS], i;

	for (i = 0; i < ncpus; i++)
		cpus[i] = i;
	netisr_rss_init(cpus, ncpus);
}

START_TEST(test_table_agrees_with_flow2cpu)
{
	uint16_t table[NETISR_RSS_BUCKETS];
	uint32_t ncpus, nq, b, cpu, bad = 0, crossings = 0, expect_cross;

	for (ncpus = 1; ncpus <= MAX_CPUS; ncpus++) {
		init_identity(ncpus);
		for (nq = 1; nq <= MAX_QUEUES; nq++) {
			netisr_rss_queue_table(table, ncpus, nq);
			expect_cross = 0;
			for (b = 0; b < NETISR_RSS_BUCKETS; b++) {
				cpu = netisr_default_flow2cpu(b);
				if (table[b] >= nq)
					bad++;
				if (cpu < nq) {
					/* cpu owns queue cpu: must be used */
					if (table[b] % ncpus != cpu)
						bad++;
				} else {
					expect_cross++;
					if (table[b] % ncpus == cpu)
						bad++;
				}
				if (table[b] % ncpus != cpu)
					crossings++;
			}
			/* Crossings happen only when queues < CPUs. */
			if (nq >= ncpus && expect_cross != 0)
				bad++;
		}
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(crossings, 0);
}
END_TEST

START_TEST(test_power_of_two_is_modulo)
{
	uint32_t n, h, bad = 0;

	for (n = 1; n <= MAX_CPUS; n <<= 1) {
		init_identity(n);
		for (h = 0; h < 100000; h += 7)
			if (netisr_default_flow2cpu(h * 2654435761u) !=
			    (h * 2654435761u) % n)
				bad++;
	}
	ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(test_three_cpus_differs_from_modulo)
{
	uint32_t h, differ = 0;

	init_identity(3);
	for (h = 0; h < 1024; h++) {
		ck_assert_uint_eq(netisr_default_flow2cpu(h), (h & 127) % 3);
		if (netisr_default_flow2cpu(h) != h % 3)
			differ++;
	}
	ck_assert_uint_gt(differ, 0);
}
END_TEST

START_TEST(test_round_robin_over_sparse_cpus)
{
	uint32_t cpus[3] = { 1, 4, 7 }, b;

	netisr_rss_init(cpus, 3);
	for (b = 0; b < NETISR_RSS_BUCKETS; b++)
		ck_assert_uint_eq(netisr_rss_bucket_cpu(b), cpus[b % 3]);
	ck_assert_int_eq(netisr_rss_queue_of_cpu(0, 1, 0), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rss");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_table_agrees_with_flow2cpu);
	tcase_add_test(tc, test_power_of_two_is_modulo);
	tcase_add_test(tc, test_three_cpus_differs_from_modulo);
	tcase_add_test(tc, test_round_robin_over_sparse_cpus);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

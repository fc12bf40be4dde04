/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_lwipg_udpstat.c: host tests for net/lwip-glue/lwipg_udpstat.c, the
 * receive accounting the iperf servers share.
 *
 * An in-order stream 0..N loses nothing and counts N as its total; gaps
 * count as lost, and a late datagram fills its gap (counted out of
 * order, no longer lost); a duplicate is out of order too, as in iperf 2;
 * a constant transit time gives no jitter, and a transit time alternating
 * by D converges on D (RFC 3550's estimator); bytes and the arrival span
 * are counted.
 */
#include <check.h>
#include <stdlib.h>

#include "net/lwip-glue/lwipg_udpstat.h"

START_TEST(test_in_order)
{
	struct lwipg_udpstat st;
	uint64_t i;

	lwipg_udpstat_init(&st);
	for (i = 0; i <= 1000; i++)
		lwipg_udpstat_rx(&st, i, 5000 + i * 100, 7000 + i * 100, 1470);
	ck_assert_uint_eq(st.us_datagrams, 1001);
	ck_assert_uint_eq(st.us_bytes, 1001 * 1470);
	ck_assert_uint_eq(st.us_max_seq, 1000);
	ck_assert_uint_eq(lwipg_udpstat_lost(&st), 0);
	ck_assert_uint_eq(st.us_ooo, 0);
	ck_assert_uint_eq(lwipg_udpstat_jitter_us(&st), 0);
	ck_assert_uint_eq(st.us_last_us - st.us_first_us, 100000);
}
END_TEST

START_TEST(test_loss_and_reorder)
{
	static const uint64_t seq[] = { 1, 2, 5, 3, 6, 6, 10 };
	struct lwipg_udpstat st;
	size_t i;

	lwipg_udpstat_init(&st);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		lwipg_udpstat_rx(&st, seq[i], 0, i, 64);
	/* gaps: 3 4 (after 2), 7 8 9 (after 6); 3 came late; 6 twice */
	ck_assert_uint_eq(st.us_gaps, 5);
	ck_assert_uint_eq(st.us_ooo, 2);
	ck_assert_uint_eq(lwipg_udpstat_lost(&st), 3);
	ck_assert_uint_eq(st.us_errors, 3);
	ck_assert_uint_eq(st.us_max_seq, 10);
	ck_assert_uint_eq(st.us_datagrams, 7);
}
END_TEST

START_TEST(test_more_late_than_gaps)
{
	struct lwipg_udpstat st;

	lwipg_udpstat_init(&st);
	lwipg_udpstat_rx(&st, 1, 0, 0, 64);
	lwipg_udpstat_rx(&st, 1, 0, 0, 64);
	lwipg_udpstat_rx(&st, 1, 0, 0, 64);
	ck_assert_uint_eq(st.us_ooo, 2);
	ck_assert_uint_eq(lwipg_udpstat_lost(&st), 0);
	/* iperf3 forgives no gap opened after the duplicates */
	lwipg_udpstat_rx(&st, 3, 0, 0, 64);
	ck_assert_uint_eq(lwipg_udpstat_lost(&st), 0);
	ck_assert_uint_eq(st.us_errors, 1);
}
END_TEST

START_TEST(test_jitter)
{
	struct lwipg_udpstat st;
	uint64_t i, now = 1000000;

	lwipg_udpstat_init(&st);
	/* transit alternates 100 and 300 us: |D| = 200 every datagram */
	for (i = 1; i <= 2000; i++) {
		now += 1000;
		lwipg_udpstat_rx(&st, i, now - (i % 2 ? 100 : 300), now, 64);
	}
	ck_assert_uint_ge(lwipg_udpstat_jitter_us(&st), 198);
	ck_assert_uint_le(lwipg_udpstat_jitter_us(&st), 200);
	/* unrelated clocks: the sender's may be far ahead of ours */
	lwipg_udpstat_init(&st);
	for (i = 1; i <= 100; i++)
		lwipg_udpstat_rx(&st, i, 1700000000000000ull + i * 10, i * 10,
		    64);
	ck_assert_uint_eq(lwipg_udpstat_jitter_us(&st), 0);
}
END_TEST

static Suite *
udpstat_suite(void)
{
	Suite *s = suite_create("lwipg_udpstat");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_loss_and_reorder);
	tcase_add_test(tc, test_more_late_than_gaps);
	tcase_add_test(tc, test_jitter);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(udpstat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

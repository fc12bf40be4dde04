/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_batch.c: host tests for netisr_dispatch_batch(): packets
 * for the same workstream are queued together (one lock), each target
 * keeps the batch's order, what exceeds qlimit is dropped from the end
 * and counted, direct runs every packet inline in order, and hybrid runs
 * local packets inline and queues remote ones.  Runs lock-step on one
 * thread that binds itself to each CPU in turn (no CPU threads).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/netisr/netisr.h"
#include "tests/unit/netisr_host.h"

#define NCPU		4
#define QLIMIT		8
#define NB		24
#define P_T		NETISR_IP

struct bpkt {
	struct mbuf	bp_m;		/* first: handlers cast back */
	unsigned	bp_id;
};

static struct bpkt pk[NB];
static struct mbuf *ms[NB];
static unsigned order[NB], norder, freed, ran_on[NCPU];

static void
b_handler(struct mbuf *m)
{
	order[norder++] = ((struct bpkt *)m)->bp_id;
	ran_on[netisr_plat_curcpu()]++;
}

static void
b_free(struct mbuf *m)
{
	(void)m;
	freed++;
}

static const struct netisr_handler b_nh = {
	.nh_name = "batch", .nh_handler = b_handler, .nh_proto = P_T,
	.nh_policy = NETISR_POLICY_FLOW, .nh_qlimit = QLIMIT,
};

/* Flow ids whose CPU (table[id & 127], round-robin) is id % NCPU. */
static void
setup(unsigned dispatch, const unsigned *cpus)
{
	struct netisr_config cfg = { NCPU, 0, QLIMIT, 1024, dispatch };
	unsigned i;

	host_reset();
	host_cpu_bind(0);
	ck_assert_int_eq(netisr_init(&cfg), 0);
	ck_assert_int_eq(netisr_register(&b_nh), 0);
	norder = freed = 0;
	memset(ran_on, 0, sizeof(ran_on));
	for (i = 0; i < NB; i++) {
		memset(&pk[i], 0, sizeof(pk[i]));
		pk[i].bp_id = i;
		pk[i].bp_m.m_free = b_free;
		pk[i].bp_m.m_pkthdr.flowid = cpus[i];
		M_HASHTYPE_SET(&pk[i].bp_m, M_HASHTYPE_OPAQUE);
		ms[i] = &pk[i].bp_m;
	}
}

static void
poll_cpu(unsigned cpu)
{
	host_cpu_bind(cpu);
	while (netisr_poll(cpu))
		;
	host_cpu_bind(0);
}

START_TEST(test_batch_deferred_groups_and_drops)
{
	unsigned cpus[NB], i, prev;
	struct netisr_work_stats st;

	/* 12 packets for CPU 1 (qlimit 8: 4 dropped), 12 for CPU 2. */
	for (i = 0; i < NB; i++)
		cpus[i] = i % 2 == 0 ? 1 : 2;
	setup(NETISR_DISPATCH_DEFERRED, cpus);
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, NB), 8);
	ck_assert_uint_eq(freed, 8);
	netisr_work_stats(1, P_T, &st);
	ck_assert_uint_eq(st.nws_queued, QLIMIT);
	ck_assert_uint_eq(st.nws_qdrops, 4);
	ck_assert_uint_eq(st.nws_watermark, QLIMIT);
	ck_assert_uint_eq(norder, 0);			/* nothing ran yet */
	poll_cpu(1);
	poll_cpu(2);
	ck_assert_uint_eq(norder, 16);
	ck_assert_uint_eq(ran_on[1], 8);
	ck_assert_uint_eq(ran_on[2], 8);
	/* Per target, the batch's order; the first 8 of each survive. */
	for (i = 0, prev = 0; i < 8; i++) {
		ck_assert_uint_eq(order[i] % 2, 0);
		ck_assert(i == 0 || order[i] > prev);
		prev = order[i];
	}
	ck_assert_uint_eq(order[7], 14);
	for (i = 8; i < 16; i++)
		ck_assert_uint_eq(order[i], 2 * (i - 8) + 1);
}
END_TEST

START_TEST(test_batch_direct_inline)
{
	unsigned cpus[NB], i;

	for (i = 0; i < NB; i++)
		cpus[i] = i % NCPU;
	setup(NETISR_DISPATCH_DIRECT, cpus);
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, NB), 0);
	ck_assert_uint_eq(norder, NB);
	ck_assert_uint_eq(ran_on[0], NB);
	for (i = 0; i < NB; i++)
		ck_assert_uint_eq(order[i], i);
}
END_TEST

START_TEST(test_batch_hybrid_local_inline_remote_queued)
{
	unsigned cpus[NB], i;

	for (i = 0; i < NB; i++)
		cpus[i] = i < 6 ? 0 : 3;
	setup(NETISR_DISPATCH_HYBRID, cpus);
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, 14), 0);
	ck_assert_uint_eq(ran_on[0], 6);		/* local: inline */
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(order[i], i);
	poll_cpu(3);
	ck_assert_uint_eq(ran_on[3], 8);
	for (i = 6; i < 14; i++)
		ck_assert_uint_eq(order[i], i);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_batch");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_batch_deferred_groups_and_drops);
	tcase_add_test(tc, test_batch_direct_inline);
	tcase_add_test(tc, test_batch_hybrid_local_inline_remote_queued);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

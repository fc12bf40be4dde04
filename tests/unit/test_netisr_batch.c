/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_batch.c: host tests for netisr_dispatch_batch(): packets
 * for the same workstream are queued together (one lock), each target
 * keeps the batch's order, what exceeds qlimit is dropped from the end
 * and counted, direct runs every packet inline in order, and hybrid runs
 * local packets inline and queues remote ones.  With a batch handler
 * (nh_handler_batch): direct dispatch calls it once per run of one
 * vnet's packets, in order, and the worker calls it with what it drained
 * (NETISR_RUN_CHUNK at most per call); Handled counts packets, Batches
 * calls.  Runs lock-step on one thread that binds itself to each CPU in
 * turn (no CPU threads).
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

/* Batch handler calls: size, first packet's id and the vnet it ran in. */
#define MAXCALLS	NB
static unsigned calls, call_n[MAXCALLS], call_first[MAXCALLS];
static unsigned call_vnet[MAXCALLS];

static void
b_batch(struct mbuf **bms, unsigned n)
{
	unsigned i;

	ck_assert_uint_lt(calls, MAXCALLS);
	call_n[calls] = n;
	call_first[calls] = ((struct bpkt *)bms[0])->bp_id;
	call_vnet[calls] = netisr_plat_curvnet();
	calls++;
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(bms[i]->m_pkthdr.vnet, netisr_plat_curvnet());
		b_handler(bms[i]);
	}
}

static const struct netisr_handler bb_nh = {
	.nh_name = "batch", .nh_handler = b_handler,
	.nh_handler_batch = b_batch, .nh_proto = P_T,
	.nh_policy = NETISR_POLICY_FLOW, .nh_qlimit = QLIMIT,
};

static void setup_with(const struct netisr_handler *nh, unsigned dispatch,
    const unsigned *cpus);

/* Flow ids whose CPU (table[id & 127], round-robin) is id % NCPU. */
static void
setup_with(const struct netisr_handler *nh, unsigned dispatch,
    const unsigned *cpus)
{
	struct netisr_config cfg = { NCPU, 0, QLIMIT, 1024, dispatch };
	unsigned i;

	host_reset();
	host_cpu_bind(0);
	ck_assert_int_eq(netisr_init(&cfg), 0);
	ck_assert_int_eq(netisr_register(nh), 0);
	norder = freed = calls = 0;
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
setup(unsigned dispatch, const unsigned *cpus)
{
	setup_with(&b_nh, dispatch, cpus);
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

START_TEST(test_batch_handler_direct_runs_per_vnet)
{
	struct netisr_work_stats st;
	unsigned cpus[NB] = { 0 }, i;

	setup_with(&bb_nh, NETISR_DISPATCH_DIRECT, cpus);
	CURVNET_SET(1);
	ck_assert_int_eq(netisr_register_vnet(&bb_nh), 0);
	CURVNET_RESTORE();
	/* 0..9 in vnet 0, 10..15 in vnet 1, 16..23 in vnet 0 again. */
	for (i = 10; i < 16; i++)
		pk[i].bp_m.m_pkthdr.vnet = 1;
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, NB), 0);
	ck_assert_uint_eq(calls, 3);
	ck_assert_uint_eq(call_n[0], 10);
	ck_assert_uint_eq(call_first[0], 0);
	ck_assert_uint_eq(call_vnet[0], 0);
	ck_assert_uint_eq(call_n[1], 6);
	ck_assert_uint_eq(call_first[1], 10);
	ck_assert_uint_eq(call_vnet[1], 1);
	ck_assert_uint_eq(call_n[2], 8);
	ck_assert_uint_eq(call_vnet[2], 0);
	ck_assert_uint_eq(netisr_plat_curvnet(), 0);	/* restored */
	for (i = 0; i < NB; i++)
		ck_assert_uint_eq(order[i], i);
	netisr_work_stats(0, P_T, &st);
	ck_assert_uint_eq(st.nws_dispatched, NB);
	ck_assert_uint_eq(st.nws_handled, NB);
	ck_assert_uint_eq(st.nws_batches, 3);
}
END_TEST

START_TEST(test_batch_handler_direct_skips_disabled_vnet)
{
	struct netisr_work_stats st;
	unsigned cpus[NB] = { 0 }, i;

	setup_with(&bb_nh, NETISR_DISPATCH_DIRECT, cpus);
	/* Odd packets in vnet 2, where the protocol is not enabled. */
	for (i = 1; i < NB; i += 2)
		pk[i].bp_m.m_pkthdr.vnet = 2;
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, NB), NB / 2);
	ck_assert_uint_eq(freed, NB / 2);
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(call_n[0], NB / 2);
	for (i = 0; i < NB / 2; i++)
		ck_assert_uint_eq(order[i], 2 * i);
	netisr_work_stats(0, P_T, &st);
	ck_assert_uint_eq(st.nws_handled, NB / 2);
	ck_assert_uint_eq(st.nws_batches, 1);
}
END_TEST

START_TEST(test_batch_handler_worker)
{
	struct netisr_work_stats st;
	unsigned cpus[NB], i;

	for (i = 0; i < NB; i++)
		cpus[i] = 2;
	setup_with(&bb_nh, NETISR_DISPATCH_DEFERRED, cpus);
	/* Two hand-overs of 4 each: one lock, one queue, one worker pass. */
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms, 4), 0);
	ck_assert_uint_eq(netisr_dispatch_batch(P_T, 0, ms + 4, 4), 0);
	ck_assert_uint_eq(calls, 0);
	poll_cpu(2);
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(call_n[0], 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(order[i], i);
	netisr_work_stats(2, P_T, &st);
	ck_assert_uint_eq(st.nws_queued, 8);
	ck_assert_uint_eq(st.nws_handled, 8);
	ck_assert_uint_eq(st.nws_batches, 1);
	ck_assert_uint_eq(st.nws_len, 0);
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
	tcase_add_test(tc, test_batch_handler_direct_runs_per_vnet);
	tcase_add_test(tc, test_batch_handler_direct_skips_disabled_vnet);
	tcase_add_test(tc, test_batch_handler_worker);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

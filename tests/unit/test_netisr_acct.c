/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_acct.c: host tests for netisr's accounting and for
 * workstreams staying live across unregistration (net/netisr/netisr.c,
 * netisr_ctl.c):
 *  - unregistering a protocol while its packets are queued and its
 *    workstreams scheduled, then registering it again: later enqueues
 *    wake the worker, hybrid runs inline again, and the flushed packets
 *    are counted as unregistered-protocol drops;
 *  - packets for protocol numbers with no handler (0, 15, 16, 200, 65535)
 *    through every entry point move the unregistered-drop counter by
 *    exactly the number sent, and nothing else;
 *  - per protocol and CPU, after a mixed workload (direct, hybrid,
 *    deferred, queue-limit drops, m2flow drops), in lock-step and under
 *    concurrent producers: dispatched + hybrid + queued = handled + len,
 *    and what arrived at a workstream = handled + qdrops + len.
 *
 * Design: as test_netisr.c, the test thread binds itself to a CPU and
 * polls other CPUs by rebinding; anything that takes the barrier
 * (unregister, set_dispatch) runs with CPU threads for the other CPUs
 * (netisr_host.c).  Placement is by SOURCE, (rcvif + source) % 4, so the
 * test knows where each packet is counted.
 *
 * Locking: the handler's and the free callback's counters, and the
 * producers' packet busy flags, are atomics; the rest belongs to the
 * test thread.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/errno.h"
#include "tests/unit/netisr_host.h"

#define NCPU		4
#define NPKT		512
#define P_A		NETISR_IP
#define P_B		NETISR_ETHER
#define QLIM		4
#define WAIT_NS		(10ull * 1000000000ull)
#define PROD_PKTS	48
#define FLIPS		9
#define M2FLOW_DROP_EVERY 5	/* m2flow consumes one packet in five */

struct tpkt {
	struct mbuf	tp_m;		/* first: callbacks cast back */
	int		tp_cpu;		/* CPU the handler ran on, or -1 */
	uint32_t	tp_busy;	/* concurrent test: in flight */
};

static struct tpkt pool[NPKT];
static unsigned pool_next;
static uint64_t t_handled, t_freed, t_m2flow_calls;
static struct tpkt prod_pkts[NCPU][PROD_PKTS];
static uint64_t prod_sent;
static uint32_t prod_stop;

#define INC(v)		__atomic_fetch_add(&(v), 1, __ATOMIC_ACQ_REL)

static void
t_handler(struct mbuf *m)
{
	struct tpkt *tp = (struct tpkt *)m;

	tp->tp_cpu = (int)netisr_plat_curcpu();
	INC(t_handled);
	__atomic_store_n(&tp->tp_busy, 0, __ATOMIC_RELEASE);
}

static void
t_free(struct mbuf *m)
{
	INC(t_freed);
	__atomic_store_n(&((struct tpkt *)m)->tp_busy, 0, __ATOMIC_RELEASE);
}

/* FLOW without a hash: consumes (frees) every M2FLOW_DROP_EVERY-th. */
static struct mbuf *
t_m2flow(struct mbuf *m, uintptr_t source)
{
	(void)source;
	if (INC(t_m2flow_calls) % M2FLOW_DROP_EVERY == 0) {
		t_free(m);
		return NULL;
	}
	return m;
}

static struct tpkt *
pkt(uint16_t rcvif)
{
	struct tpkt *tp = &pool[pool_next++ % NPKT];

	memset(tp, 0, sizeof(*tp));
	tp->tp_cpu = -1;
	tp->tp_m.m_pkthdr.rcvif = rcvif;
	tp->tp_m.m_free = t_free;
	return tp;
}

static void
setup(unsigned dispatch)
{
	struct netisr_config cfg = {
		.nc_ncpus = NCPU, .nc_defaultqlimit = QLIM,
		.nc_maxqlimit = 1024, .nc_dispatch = dispatch,
	};

	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	host_log_echo(false);
	pool_next = 0;
	t_handled = t_freed = t_m2flow_calls = 0;
	host_cpu_bind(0);
}

static struct netisr_handler
handler(unsigned proto, const char *name, unsigned policy, unsigned dispatch)
{
	struct netisr_handler nh = {
		.nh_name = name, .nh_handler = t_handler, .nh_proto = proto,
		.nh_policy = policy, .nh_dispatch = dispatch,
	};

	if (policy == NETISR_POLICY_FLOW)
		nh.nh_m2flow = t_m2flow;
	return nh;
}

static struct netisr_work_stats
ws(unsigned cpu, unsigned proto)
{
	struct netisr_work_stats s;

	netisr_work_stats(cpu, proto, &s);
	return s;
}

/* Polls CPU cpu from the test thread until it is idle; back to CPU 0. */
static void
drain_as(unsigned cpu)
{
	host_cpu_bind(cpu);
	host_poll_drain();
	host_cpu_bind(0);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Takes the barrier with CPU threads for 1 .. NCPU - 1 (test is CPU 0). */
static void
set_dispatch_with_cpus(unsigned policy)
{
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	ck_assert_int_eq(netisr_set_dispatch(policy), 0);
	host_cpus_stop();
}

/* ---- unregister leaves the workstreams live (defect 3) ------------------ */

START_TEST(test_unregister_rewakes)
{
	struct netisr_handler nh = handler(P_A, "wedge", NETISR_POLICY_SOURCE,
	    NETISR_DISPATCH_DEFAULT);
	struct netisr_work_stats s;
	struct tpkt *tp;
	uint64_t u0, t0, want;
	unsigned c, i;

	setup(NETISR_DISPATCH_DEFERRED);
	ck_assert_int_eq(netisr_register(&nh), 0);
	u0 = netisr_get_unregistered_drops();
	/* Three packets queued on every CPU: each one is asked to run. */
	for (c = 0; c < NCPU; c++)
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(netisr_dispatch(P_A, &pkt(c)->tp_m),
			    0);
	for (c = 0; c < NCPU; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_len, 3);
		ck_assert(host_cpu_ready(c));
	}
	/* Forget the wake-ups: the CPUs only wake for the barrier. */
	host_reset();
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	ck_assert_int_eq(netisr_unregister(&nh), 0);
	host_cpus_stop();
	ck_assert_uint_eq(t_handled, 0);
	ck_assert_uint_eq(t_freed, 3 * NCPU);
	ck_assert_uint_eq(netisr_get_unregistered_drops() - u0, 3 * NCPU);

	/* Back, hybrid: on its own CPU a packet runs inline again. */
	nh.nh_dispatch = NETISR_DISPATCH_HYBRID;
	ck_assert_int_eq(netisr_register(&nh), 0);
	for (c = 0; c < NCPU; c++) {
		host_reset();
		host_cpu_bind(c);
		tp = pkt(c);
		ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
		ck_assert_msg(tp->tp_cpu == (int)c,
		    "cpu %u: hybrid to itself did not run inline", c);
		s = ws(c, P_A);
		ck_assert_uint_eq(s.nws_hybrid_dispatched, 1);
		ck_assert_uint_eq(s.nws_queued, 0);
		ck_assert_uint_eq(s.nws_handled, 1);
		/* A queued packet asks the worker to run ... */
		tp = pkt(c);
		ck_assert_int_eq(netisr_queue(P_A, &tp->tp_m), 0);
		ck_assert_msg(host_cpu_ready(c) && host_wake_count(c) == 1,
		    "cpu %u: enqueue did not wake the worker", c);
		/* ... which runs it. */
		host_poll_drain();
		ck_assert_int_eq(tp->tp_cpu, (int)c);
		s = ws(c, P_A);
		ck_assert_uint_eq(s.nws_queued, 1);
		ck_assert_uint_eq(s.nws_handled, 2);
		ck_assert_uint_eq(s.nws_len, 0);
	}
	host_cpu_bind(0);
	/* Free-running CPUs handle what CPU 0 queues for them. */
	host_reset();
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	want = t_handled + 3 * (NCPU - 1);
	for (c = 1; c < NCPU; c++)
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(netisr_dispatch(P_A, &pkt(c)->tp_m),
			    0);
	t0 = now_ns();
	while (__atomic_load_n(&t_handled, __ATOMIC_ACQUIRE) < want &&
	    now_ns() - t0 < WAIT_NS)
		msleep(1);
	host_cpus_stop();
	ck_assert_uint_eq(t_handled, want);
	for (c = 1; c < NCPU; c++) {
		s = ws(c, P_A);
		ck_assert_uint_eq(s.nws_queued, 1 + 3);
		ck_assert_uint_eq(s.nws_handled, 2 + 3);
		ck_assert_uint_eq(s.nws_hybrid_dispatched, 1);
		ck_assert_uint_eq(s.nws_dispatched, 0);
	}
	ck_assert_uint_eq(t_freed, 3 * NCPU);
}
END_TEST

/* ---- unregistered protocol numbers are counted (defect 7) --------------- */

static const unsigned unreg_protos[] = { 0, 15, 16, 200, 65535 };
static const unsigned unreg_policies[] = {
	NETISR_DISPATCH_DIRECT, NETISR_DISPATCH_HYBRID,
	NETISR_DISPATCH_DEFERRED,
};

START_TEST(test_unregistered_protos_counted)
{
	struct netisr_handler nh = handler(P_A, "present",
	    NETISR_POLICY_SOURCE, NETISR_DISPATCH_DEFAULT);
	struct mbuf *ms[3];
	uint64_t u0, sent = 0;
	unsigned i, k, c;

	setup(unreg_policies[_i]);
	ck_assert_int_eq(netisr_register(&nh), 0);
	host_cpu_bind(1);
	u0 = netisr_get_unregistered_drops();
	for (i = 0; i < sizeof(unreg_protos) / sizeof(unreg_protos[0]); i++) {
		unsigned p = unreg_protos[i];

		ck_assert_int_eq(netisr_dispatch(p, &pkt(1)->tp_m),
		    -EPROTONOSUPPORT);
		ck_assert_int_eq(netisr_dispatch_src(p, 2, &pkt(2)->tp_m),
		    -EPROTONOSUPPORT);
		ck_assert_int_eq(netisr_queue(p, &pkt(3)->tp_m),
		    -EPROTONOSUPPORT);
		ck_assert_int_eq(netisr_queue_src(p, 1, &pkt(0)->tp_m),
		    -EPROTONOSUPPORT);
		for (k = 0; k < 3; k++)
			ms[k] = &pkt(k)->tp_m;
		ck_assert_uint_eq(netisr_dispatch_batch(p, 0, ms, 3), 3);
		sent += 4 + 3;
		ck_assert_msg(netisr_get_unregistered_drops() - u0 == sent,
		    "proto %u: unregistered drops moved by %lu, sent %lu", p,
		    (unsigned long)(netisr_get_unregistered_drops() - u0),
		    (unsigned long)sent);
	}
	/* A NULL packet is no packet: neither freed nor counted. */
	ck_assert_int_ne(netisr_dispatch(200, NULL), 0);
	ck_assert_uint_eq(netisr_get_unregistered_drops() - u0, sent);
	ck_assert_uint_eq(t_freed, sent);
	ck_assert_uint_eq(t_handled, 0);
	for (c = 0; c < NCPU; c++) {
		struct netisr_work_stats s = ws(c, P_A);

		ck_assert_uint_eq(s.nws_queued + s.nws_qdrops + s.nws_handled +
		    s.nws_dispatched + s.nws_hybrid_dispatched, 0);
		ck_assert(!host_cpu_ready(c));
	}
	/* The registered protocol is unaffected. */
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(1)->tp_m), 0);
	drain_as(1);
	ck_assert_uint_eq(t_handled, 1);
	ck_assert_uint_eq(netisr_get_unregistered_drops() - u0, sent);
}
END_TEST

/* ---- the counter identity ---------------------------------------------- */

/*
 * Per CPU c and protocol p: in[c] is what arrived at c's workstream for
 * p, as the test counted it (handled inline, queued, refused by the
 * queue, or consumed by m2flow on c).
 */
static void
check_identity(unsigned proto, const uint64_t *in)
{
	unsigned c;

	for (c = 0; c < NCPU; c++) {
		struct netisr_work_stats s = ws(c, proto);

		ck_assert_msg(s.nws_dispatched + s.nws_hybrid_dispatched +
		    s.nws_queued == s.nws_handled + s.nws_len,
		    "proto %u cpu %u: disp %lu + hdisp %lu + queued %lu != "
		    "handled %lu + len %lu", proto, c,
		    (unsigned long)s.nws_dispatched,
		    (unsigned long)s.nws_hybrid_dispatched,
		    (unsigned long)s.nws_queued, (unsigned long)s.nws_handled,
		    (unsigned long)s.nws_len);
		if (in == NULL)
			continue;
		ck_assert_msg(in[c] == s.nws_handled + s.nws_qdrops + s.nws_len,
		    "proto %u cpu %u: arrived %lu != handled %lu + qdrops %lu "
		    "+ len %lu", proto, c, (unsigned long)in[c],
		    (unsigned long)s.nws_handled, (unsigned long)s.nws_qdrops,
		    (unsigned long)s.nws_len);
	}
}

/* Sends n packets of proto from CPU cur to CPU dst, counting arrivals. */
static void
send_n(unsigned proto, unsigned cur, unsigned dst, unsigned n, bool queue,
    unsigned policy, uint64_t *in)
{
	unsigned i;

	host_cpu_bind(cur);
	for (i = 0; i < n; i++) {
		uint64_t m2f = t_m2flow_calls;

		if (queue)
			(void)netisr_queue(proto, &pkt(dst)->tp_m);
		else
			(void)netisr_dispatch(proto, &pkt(dst)->tp_m);
		if (!queue && policy == NETISR_DISPATCH_DIRECT)
			in[cur]++;			/* inline, here */
		else if (t_m2flow_calls != m2f &&
		    m2f % M2FLOW_DROP_EVERY == 0)
			in[cur]++;			/* m2flow ate it */
		else
			in[dst]++;
	}
	host_cpu_bind(0);
}

START_TEST(test_identity_mixed)
{
	static const unsigned policies[] = { NETISR_DISPATCH_DIRECT,
	    NETISR_DISPATCH_HYBRID, NETISR_DISPATCH_DEFERRED };
	struct netisr_handler na = handler(P_A, "a", NETISR_POLICY_SOURCE,
	    NETISR_DISPATCH_DEFAULT);
	struct netisr_handler nb = handler(P_B, "b", NETISR_POLICY_FLOW,
	    NETISR_DISPATCH_DEFAULT);
	uint64_t in_a[NCPU] = { 0 }, in_b[NCPU] = { 0 }, sent = 0, qd = 0;
	unsigned k, c, pol;

	setup(NETISR_DISPATCH_DIRECT);
	ck_assert_int_eq(netisr_register(&na), 0);
	ck_assert_int_eq(netisr_register(&nb), 0);
	for (k = 0; k < 3; k++) {
		pol = policies[k];
		if (pol != netisr_get_dispatch())
			set_dispatch_with_cpus(pol);	/* drains all */
		check_identity(P_A, in_a);
		check_identity(P_B, in_b);
		for (c = 0; c < NCPU; c++) {
			/* To itself (inline under hybrid, while idle) ... */
			send_n(P_A, c, c, 2, false, pol, in_a);
			/* ... to the next CPU, beyond its queue limit ... */
			send_n(P_A, c, (c + 1) % NCPU, QLIM + 2, false, pol,
			    in_a);
			/* ... always deferred ... */
			send_n(P_A, c, (c + 2) % NCPU, 3, true, pol, in_a);
			/* ... and a FLOW protocol whose m2flow drops some. */
			send_n(P_B, c, c, 3, false, pol, in_b);
			sent += 2 + QLIM + 2 + 3 + 3;
			check_identity(P_A, in_a);
			check_identity(P_B, in_b);
		}
		/* Handle part of it: CPUs 1 and 2 only. */
		drain_as(1);
		drain_as(2);
		check_identity(P_A, in_a);
		check_identity(P_B, in_b);
	}
	for (c = 0; c < NCPU; c++)
		drain_as(c);
	check_identity(P_A, in_a);
	check_identity(P_B, in_b);
	for (c = 0; c < NCPU; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_len + ws(c, P_B).nws_len, 0);
		qd += ws(c, P_A).nws_qdrops + ws(c, P_B).nws_qdrops;
	}
	ck_assert_uint_gt(qd, 0);			/* the limit bit */
	ck_assert_uint_eq(t_freed, qd);
	ck_assert_uint_eq(t_handled + t_freed, sent);
	ck_assert_uint_eq(netisr_get_unregistered_drops(), 0);
}
END_TEST

/* Producers (CPUs 1 .. 3): dispatch every idle packet, targets 0 .. 3. */
static bool
prod_hook(unsigned cpu, void *arg)
{
	unsigned i;

	(void)arg;
	if (__atomic_load_n(&prod_stop, __ATOMIC_ACQUIRE))
		return false;
	for (i = 0; i < PROD_PKTS; i++) {
		struct tpkt *tp = &prod_pkts[cpu][i];

		if (__atomic_load_n(&tp->tp_busy, __ATOMIC_ACQUIRE))
			continue;
		tp->tp_busy = 1;
		tp->tp_m.m_pkthdr.rcvif = (uint16_t)i;
		tp->tp_m.m_free = t_free;
		__atomic_fetch_add(&prod_sent, 1, __ATOMIC_RELAXED);
		(void)netisr_dispatch(i % 2 ? P_A : P_B, &tp->tp_m);
	}
	return true;
}

START_TEST(test_identity_concurrent)
{
	static const unsigned flips[] = { NETISR_DISPATCH_HYBRID,
	    NETISR_DISPATCH_DEFERRED, NETISR_DISPATCH_DIRECT };
	struct netisr_handler na = handler(P_A, "a", NETISR_POLICY_SOURCE,
	    NETISR_DISPATCH_DEFAULT);
	struct netisr_handler nb = handler(P_B, "b", NETISR_POLICY_FLOW,
	    NETISR_DISPATCH_DEFAULT);
	uint64_t handled = 0, qdrops = 0;
	unsigned k, c;

	setup(NETISR_DISPATCH_DIRECT);
	ck_assert_int_eq(netisr_register(&na), 0);
	ck_assert_int_eq(netisr_register(&nb), 0);
	memset(prod_pkts, 0, sizeof(prod_pkts));
	prod_sent = 0;
	prod_stop = 0;
	host_cpus_start_range(1, NCPU - 1, prod_hook, NULL);
	for (k = 0; k < FLIPS; k++) {
		msleep(10);
		ck_assert_int_eq(netisr_set_dispatch(flips[k % 3]), 0);
	}
	/* Stop producing; the barrier then drains every queue. */
	__atomic_store_n(&prod_stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(netisr_set_dispatch(NETISR_DISPATCH_DEFERRED), 0);
	host_cpus_stop();
	check_identity(P_A, NULL);
	check_identity(P_B, NULL);
	for (c = 0; c < NCPU; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_len + ws(c, P_B).nws_len, 0);
		handled += ws(c, P_A).nws_handled + ws(c, P_B).nws_handled;
		qdrops += ws(c, P_A).nws_qdrops + ws(c, P_B).nws_qdrops;
	}
	ck_assert_uint_gt(prod_sent, 0);
	ck_assert_uint_eq(handled, t_handled);
	ck_assert_uint_eq(qdrops, t_freed);
	ck_assert_uint_eq(handled + qdrops, prod_sent);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_acct");
	TCase *tc = tcase_create("acct");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unregister_rewakes);
	tcase_add_loop_test(tc, test_unregistered_protos_counted, 0,
	    sizeof(unreg_policies) / sizeof(unreg_policies[0]));
	tcase_add_test(tc, test_identity_mixed);
	tcase_add_test(tc, test_identity_concurrent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

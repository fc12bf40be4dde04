/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_nest.c: host tests that netisr's worker never runs nested
 * (net/netisr/netmsg.c, "Re-entry"): a netisr callback (a handler run
 * directly, by hybrid dispatch or by the worker; drainedcpu; a rollup;
 * m2cpuid) that calls netisr_domsg(), netisr_domsg_global(),
 * netisr_set_dispatch() or netisr_unregister() gets -EDEADLK, and nothing
 * runs; netisr_poll() called inside one runs nothing either (the kernel's
 * smp_call_sync() wait loop would call it there); and a handler that
 * waited while another CPU took the barrier would have had the barrier
 * drain its own CPU, that is, the worker, inside it.
 *
 * Design: the handler records whether it was entered while already
 * running on its thread (t_nested) and the netisr depth of its CPU
 * (nws_depth, netisr_var.h).  Before the fix each scenario below ran a
 * queued packet inside the handler; the first assertion of each test is
 * that no handler ran nested.  The test thread is CPU 0; CPU threads
 * (netisr_host.c) run CPUs 1 .. 3 and answer messages and barriers.
 *
 * Locking: results written by a CPU thread are atomics, read after the
 * thread published "done" (release/acquire); the rest belongs to the
 * thread running the callback.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/errno.h"
#include "net/netisr/netisr_var.h"
#include "tests/unit/netisr_host.h"

#define NCPU		4
#define NPKT		64
#define P_A		NETISR_IP
#define P_B		NETISR_ARP
#define P_C		NETISR_IPV6
#define WAIT_NS		(10ull * 1000000000ull)
#define SLOW_MSG_NS	(50ull * 1000000ull)
#define NWAITS		4	/* domsg, global, set_dispatch, unregister */

struct tpkt {
	struct mbuf	tp_m;		/* first: callbacks cast back */
	bool		tp_first;	/* the handler tries its waits */
};

struct waits {
	int		w_domsg, w_global, w_setd, w_unreg;
	bool		w_poll;		/* netisr_poll(): work is left */
	unsigned	w_depth;
};

static struct tpkt pool[NPKT];
static unsigned pool_next;
static uint32_t t_handled, t_nested, t_msgs_ran, t_entered, t_done, t_go;
static __thread unsigned in_handler;
static struct waits t_w;		/* written by the handler's CPU */
static unsigned t_cb_depth, t_cb_calls;	/* drainedcpu, rollup, m2cpuid */
static int t_cb_domsg;
static struct netmsg t_cb_msg;

static void	t_plain(struct mbuf *m);

static const struct netisr_handler nb = {
	.nh_name = "other", .nh_handler = t_plain, .nh_proto = P_B,
	.nh_policy = NETISR_POLICY_SOURCE,
};

#define INC(v)		__atomic_fetch_add(&(v), 1, __ATOMIC_ACQ_REL)
#define LOAD(v)		__atomic_load_n(&(v), __ATOMIC_ACQUIRE)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool
wait_for(uint32_t *v, uint32_t want)
{
	uint64_t t0 = now_ns();

	while (LOAD(*v) < want && now_ns() - t0 < WAIT_NS)
		netisr_plat_relax();
	return LOAD(*v) >= want;
}

static struct tpkt *
pkt(uint16_t rcvif, bool first)
{
	struct tpkt *tp = &pool[pool_next++ % NPKT];

	memset(tp, 0, sizeof(*tp));
	tp->tp_m.m_pkthdr.rcvif = rcvif;
	tp->tp_first = first;
	return tp;
}

static int
m_count(struct netmsg *msg)
{
	(void)msg;
	INC(t_msgs_ran);
	return 1;
}

/* Every wait netisr offers, from inside a callback on CPU me. */
static void
try_waits(unsigned me, struct waits *w)
{
	struct netmsg msg, gmsg;

	w->w_depth = netisr_depth(me);
	netmsg_init(&msg, m_count, NULL);
	netmsg_init(&gmsg, m_count, NULL);
	w->w_domsg = netisr_domsg(&msg, (me + 2) % NCPU);
	w->w_global = netisr_domsg_global(&gmsg);
	w->w_setd = netisr_set_dispatch(NETISR_DISPATCH_DIRECT ==
	    netisr_get_dispatch() ? NETISR_DISPATCH_DEFERRED :
	    NETISR_DISPATCH_DIRECT);
	w->w_unreg = netisr_unregister(&nb);
}

static void
t_plain(struct mbuf *m)
{
	(void)m;
	INC(t_handled);
}

/*
 * The first packet queues another for this CPU, asks the worker to run
 * (as smp_call_sync's wait loop would), then tries every wait.
 */
static void
nest_handler(struct mbuf *m)
{
	struct tpkt *tp = (struct tpkt *)m;
	unsigned me = netisr_plat_curcpu();

	if (in_handler++ != 0)
		INC(t_nested);
	if (tp->tp_first) {
		(void)netisr_queue(P_A, &pkt(me, false)->tp_m);
		t_w.w_poll = netisr_poll(me);
		try_waits(me, &t_w);
	}
	in_handler--;
	INC(t_handled);
}

static void
cb_drained(unsigned cpu)
{
	if (t_cb_calls++ == 0) {
		t_cb_depth = netisr_depth(cpu);
		netmsg_init(&t_cb_msg, m_count, NULL);
		t_cb_domsg = netisr_domsg(&t_cb_msg, cpu);
	}
}

static void
cb_rollup(unsigned cpu)
{
	cb_drained(cpu);
}

static struct mbuf *
cb_m2cpuid(struct mbuf *m, uintptr_t source, unsigned *cpuid)
{
	(void)source;
	cb_drained(netisr_plat_curcpu());
	*cpuid = netisr_plat_curcpu();
	return m;
}

/* Fresh netisr; P_A's handler is h, P_B is the one handlers unregister. */
static void
setup(unsigned dispatch, netisr_handler_t *h)
{
	struct netisr_config cfg = {
		.nc_ncpus = NCPU, .nc_defaultqlimit = 64, .nc_maxqlimit = 1024,
		.nc_dispatch = dispatch,
	};
	struct netisr_handler na = {
		.nh_name = "nest", .nh_handler = h, .nh_proto = P_A,
		.nh_policy = NETISR_POLICY_SOURCE,
	};

	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	host_log_echo(false);
	host_cpu_bind(0);
	pool_next = 0;
	t_handled = t_nested = t_msgs_ran = t_entered = t_done = t_go = 0;
	t_cb_depth = t_cb_calls = 0;
	t_cb_domsg = 0;
	memset(&t_w, 0, sizeof(t_w));
	ck_assert_int_eq(netisr_register(&na), 0);
	ck_assert_int_eq(netisr_register(&nb), 0);
}

static void
check_refused(const struct waits *w, uint64_t refused0, unsigned policy)
{
	struct netisr_proto_info npi;

	ck_assert_int_eq(w->w_domsg, -EDEADLK);
	ck_assert_int_eq(w->w_global, -EDEADLK);
	ck_assert_int_eq(w->w_setd, -EDEADLK);
	ck_assert_int_eq(w->w_unreg, -EDEADLK);
	ck_assert_uint_eq(LOAD(t_msgs_ran), 0);	/* nothing sent */
	ck_assert_uint_eq(netisr_get_dispatch(), policy);	/* unchanged */
	ck_assert(netisr_proto_info(P_B, &npi));	/* still there */
	ck_assert_uint_eq(netisr_get_refused_waits() - refused0, NWAITS);
	ck_assert_uint_eq(w->w_depth, 1);
}

static const unsigned policies[] = {
	NETISR_DISPATCH_DIRECT, NETISR_DISPATCH_HYBRID,
	NETISR_DISPATCH_DEFERRED,
};

START_TEST(test_handler_waits_refused)
{
	unsigned policy = policies[_i], c;
	uint64_t refused0;

	setup(policy, nest_handler);
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	refused0 = netisr_get_refused_waits();
	/* Direct and hybrid run it here and now; deferred queues it here. */
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(0, true)->tp_m), 0);
	if (policy == NETISR_DISPATCH_DEFERRED)
		ck_assert_uint_eq(LOAD(t_handled), 0);
	host_poll_drain();
	host_cpus_stop();
	ck_assert_msg(LOAD(t_nested) == 0, "a handler ran nested %u times",
	    LOAD(t_nested));
	ck_assert(t_w.w_poll);		/* work left; it ran nothing */
	check_refused(&t_w, refused0, policy);
	ck_assert_uint_eq(LOAD(t_handled), 2);	/* then both ran */
	for (c = 0; c < NCPU; c++)
		ck_assert_uint_eq(netisr_depth(c), 0);
}
END_TEST

/* drainedcpu, a rollup and m2cpuid are callbacks too. */
START_TEST(test_callbacks_refused)
{
	struct netisr_handler nc = {
		.nh_name = "cb", .nh_handler = t_plain, .nh_proto = P_C,
		.nh_policy = NETISR_POLICY_SOURCE,
		.nh_dispatch = NETISR_DISPATCH_DEFERRED,
		.nh_drainedcpu = cb_drained,
	};
	uint64_t refused0;
	unsigned round;

	for (round = 0; round < 3; round++) {
		setup(NETISR_DISPATCH_DIRECT, nest_handler);
		if (round == 1) {
			nc.nh_drainedcpu = NULL;
			ck_assert_int_eq(netisr_register_rollup(cb_rollup), 0);
		} else if (round == 2) {
			nc.nh_policy = NETISR_POLICY_CPU;
			nc.nh_m2cpuid = cb_m2cpuid;
		}
		ck_assert_int_eq(netisr_register(&nc), 0);
		host_cpu_bind(1);
		refused0 = netisr_get_refused_waits();
		ck_assert_int_eq(netisr_dispatch(P_C, &pkt(1, false)->tp_m),
		    0);
		host_poll_drain();
		host_cpu_bind(0);
		ck_assert_uint_eq(t_cb_calls, 1);
		ck_assert_uint_eq(t_cb_depth, 1);
		ck_assert_int_eq(t_cb_domsg, -EDEADLK);
		ck_assert_uint_eq(netisr_get_refused_waits() - refused0, 1);
		ck_assert_uint_eq(LOAD(t_handled), 1);
	}
}
END_TEST

/* ---- a wait in a handler while another CPU takes the barrier ----------- */

static int
m_slow(struct netmsg *msg)
{
	uint64_t t0;

	(void)msg;
	INC(t_msgs_ran);
	while (!LOAD(t_go))
		netisr_plat_relax();
	t0 = now_ns();
	while (now_ns() - t0 < SLOW_MSG_NS)
		netisr_plat_relax();
	return 7;
}

/* On CPU 1: queue one more here, then wait for a slow message on CPU 2. */
static void
wait_handler(struct mbuf *m)
{
	struct tpkt *tp = (struct tpkt *)m;
	unsigned me = netisr_plat_curcpu();
	struct netmsg msg;

	if (in_handler++ != 0)
		INC(t_nested);
	if (tp->tp_first) {
		(void)netisr_queue(P_A, &pkt(me, false)->tp_m);
		netmsg_init(&msg, m_slow, NULL);
		__atomic_store_n(&t_entered, 1, __ATOMIC_RELEASE);
		t_w.w_domsg = netisr_domsg(&msg, 2);
		t_w.w_depth = netisr_depth(me);
		__atomic_store_n(&t_done, 1, __ATOMIC_RELEASE);
	}
	in_handler--;
	INC(t_handled);
}

START_TEST(test_barrier_during_handler_wait)
{
	uint64_t refused0;

	setup(NETISR_DISPATCH_DEFERRED, wait_handler);
	refused0 = netisr_get_refused_waits();
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	/* CPU 1's worker runs it; its handler waits in domsg. */
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(1, true)->tp_m), 0);
	ck_assert(wait_for(&t_entered, 1));
	__atomic_store_n(&t_go, 1, __ATOMIC_RELEASE);
	/* The barrier parks CPU 1 and drains it: not inside the handler. */
	ck_assert_int_eq(netisr_set_dispatch(NETISR_DISPATCH_HYBRID), 0);
	ck_assert(wait_for(&t_done, 1));
	ck_assert(wait_for(&t_handled, 2));
	host_cpus_stop();
	ck_assert_msg(LOAD(t_nested) == 0, "a handler ran nested %u times",
	    LOAD(t_nested));
	ck_assert_int_eq(t_w.w_domsg, -EDEADLK);
	ck_assert_uint_eq(t_w.w_depth, 1);
	ck_assert_uint_eq(netisr_get_refused_waits() - refused0, 1);
	ck_assert_uint_eq(LOAD(t_msgs_ran), 0);
	ck_assert_uint_eq(netisr_get_dispatch(), NETISR_DISPATCH_HYBRID);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_nest");
	TCase *tc = tcase_create("nest");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_handler_waits_refused, 0,
	    sizeof(policies) / sizeof(policies[0]));
	tcase_add_test(tc, test_callbacks_refused);
	tcase_add_test(tc, test_barrier_during_handler_wait);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

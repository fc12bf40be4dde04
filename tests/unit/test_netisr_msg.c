/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_msg.c: host tests for netmsg (net/netisr/netmsg.c):
 * domsg, sendmsg, forwardmsg, domsg_global, the barrier, and
 * netisr_set_dispatch() draining under it.  Linked into test_netisr.
 *
 * Design: the test thread is one CPU (it binds itself); every other CPU
 * is a free-running thread from netisr_host.c.  Message functions record
 * the CPU and thread they ran on.  The barrier test makes the other CPUs
 * producers: between polls each dispatches deferred packets to the CPUs
 * 1..3, whose handlers bump a global counter; while the test thread holds
 * the barrier the counter must not move, and every queue must be empty.
 *
 * Locking: the counters and the packets' busy flags are atomics; each
 * producer's packet array belongs to its CPU thread.
 */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "kernel/errno.h"
#include "tests/unit/netisr_host.h"

#define NCPU		4
#define PROD_PKTS	64
#define WAIT_NS		(10ull * 1000000000ull)

struct rec {
	int		r_cpu[NETISR_MAXCPU];	/* CPUs visited, in order */
	unsigned	r_n;
	pthread_t	r_thread;
	uint32_t	r_go;			/* sendmsg: may finish */
};

struct bpkt {
	struct mbuf	bp_m;
	uint32_t	bp_busy;
};

static struct bpkt prod_pkts[NCPU][PROD_PKTS];
static uint64_t b_handled, b_hooks;
static uint32_t b_stop;

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

static void
init_cpus(unsigned dispatch)
{
	struct netisr_config cfg = {
		.nc_ncpus = NCPU, .nc_defaultqlimit = 64, .nc_maxqlimit = 1024,
		.nc_dispatch = dispatch,
	};

	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
}

/* The test thread becomes CPU me; threads run all the other CPUs. */
static void
start_others(unsigned me, host_cpu_fn *fn)
{
	host_cpu_bind(me);
	if (me > 0)
		host_cpus_start_range(0, me, fn, NULL);
	if (me + 1 < NCPU)
		host_cpus_start_range(me + 1, NCPU - me - 1, fn, NULL);
}

static void
rec_cpu(struct rec *r)
{
	r->r_cpu[r->r_n++ % NETISR_MAXCPU] = (int)netisr_plat_curcpu();
	r->r_thread = pthread_self();
}

static int
m_where(struct netmsg *msg)
{
	rec_cpu(msg->nm_arg);
	return 100 + (int)netisr_plat_curcpu();
}

START_TEST(test_domsg)
{
	unsigned me = _i == 0 ? 0 : 2, c;
	struct netmsg msg;
	struct rec r;

	init_cpus(NETISR_DISPATCH_DIRECT);
	start_others(me, NULL);
	for (c = 0; c < NCPU; c++) {
		memset(&r, 0, sizeof(r));
		netmsg_init(&msg, m_where, &r);
		ck_assert_int_eq(netisr_domsg(&msg, c), 100 + (int)c);
		ck_assert_uint_eq(r.r_n, 1);
		ck_assert_int_eq(r.r_cpu[0], (int)c);
		ck_assert(msg.nm_done);
		/* To itself: inline, on the calling thread. */
		ck_assert(pthread_equal(r.r_thread, pthread_self()) ==
		    (c == me));
	}
	ck_assert_int_eq(netisr_domsg(&msg, NCPU), -EINVAL);
	host_cpus_stop();
}
END_TEST

static int
m_wait_go(struct netmsg *msg)
{
	struct rec *r = msg->nm_arg;

	while (!__atomic_load_n(&r->r_go, __ATOMIC_ACQUIRE))
		netisr_plat_relax();
	rec_cpu(r);
	return 5;
}

START_TEST(test_sendmsg_async)
{
	struct netmsg msg;
	struct rec r;
	uint64_t t0;

	init_cpus(NETISR_DISPATCH_DIRECT);
	start_others(0, NULL);
	memset(&r, 0, sizeof(r));
	netmsg_init(&msg, m_wait_go, &r);
	netisr_sendmsg(&msg, 3);
	/* It returned although the function cannot finish yet. */
	ck_assert(!__atomic_load_n(&msg.nm_done, __ATOMIC_ACQUIRE));
	__atomic_store_n(&r.r_go, 1, __ATOMIC_RELEASE);
	t0 = now_ns();
	while (!__atomic_load_n(&msg.nm_done, __ATOMIC_ACQUIRE) &&
	    now_ns() - t0 < WAIT_NS)
		netisr_plat_relax();
	ck_assert(__atomic_load_n(&msg.nm_done, __ATOMIC_ACQUIRE));
	ck_assert_int_eq(msg.nm_result, 5);
	ck_assert_int_eq(r.r_cpu[0], 3);
	host_cpus_stop();
}
END_TEST

/* Records the CPU and passes the message on, up to the last CPU. */
static int
m_chain(struct netmsg *msg)
{
	unsigned me = netisr_plat_curcpu();

	rec_cpu(msg->nm_arg);
	if (me + 1 < NCPU) {
		netisr_forwardmsg(msg, me + 1);
		return -1;		/* not the reply: forwarded */
	}
	return 77;
}

static int
m_global(struct netmsg *msg)
{
	rec_cpu(msg->nm_arg);
	return (int)netisr_plat_curcpu() * 10 + 1;
}

START_TEST(test_forward_and_global)
{
	unsigned me = _i == 0 ? 0 : 2, start, c, round;
	struct netmsg msg;
	struct rec r;

	init_cpus(NETISR_DISPATCH_DIRECT);
	start_others(me, NULL);
	for (start = 0; start < NCPU; start++) {
		memset(&r, 0, sizeof(r));
		netmsg_init(&msg, m_chain, &r);
		ck_assert_int_eq(netisr_domsg(&msg, start), 77);
		ck_assert_uint_eq(r.r_n, NCPU - start);
		for (c = 0; c < r.r_n; c++)
			ck_assert_int_eq(r.r_cpu[c], (int)(start + c));
		ck_assert_uint_eq(msg.nm_hops, NCPU - 1 - start);
	}
	for (round = 0; round < 3; round++) {
		memset(&r, 0, sizeof(r));
		netmsg_init(&msg, m_global, &r);
		ck_assert_int_eq(netisr_domsg_global(&msg),
		    (NCPU - 1) * 10 + 1);
		ck_assert_uint_eq(r.r_n, NCPU);
		for (c = 0; c < NCPU; c++)
			ck_assert_int_eq(r.r_cpu[c], (int)c);
		ck_assert_uint_eq(msg.nm_hops, NCPU);
	}
	host_cpus_stop();
}
END_TEST

/* ---- the barrier ------------------------------------------------------- */

static void
b_handler(struct mbuf *m)
{
	__atomic_fetch_add(&b_handled, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&((struct bpkt *)m)->bp_busy, 0, __ATOMIC_RELEASE);
}

static void
b_free(struct mbuf *m)
{
	__atomic_store_n(&((struct bpkt *)m)->bp_busy, 0, __ATOMIC_RELEASE);
}

/* Targets CPUs 1 .. NCPU - 1 in turn (the test thread, CPU 0, never polls). */
static struct mbuf *
b_m2cpuid(struct mbuf *m, uintptr_t source, unsigned *cpuid)
{
	(void)source;
	*cpuid = 1 + m->m_pkthdr.flowid % (NCPU - 1);
	return m;
}

/* The producers' hook: dispatch every idle packet of this CPU. */
static bool
b_produce(unsigned cpu, void *arg)
{
	unsigned i;

	(void)arg;
	__atomic_fetch_add(&b_hooks, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&b_stop, __ATOMIC_ACQUIRE))
		return false;
	for (i = 0; i < PROD_PKTS; i++) {
		struct bpkt *bp = &prod_pkts[cpu][i];

		if (__atomic_load_n(&bp->bp_busy, __ATOMIC_ACQUIRE))
			continue;
		bp->bp_busy = 1;
		bp->bp_m.m_pkthdr.flowid = i;
		bp->bp_m.m_free = b_free;
		(void)netisr_dispatch(NETISR_IP, &bp->bp_m);
	}
	return true;
}

static uint64_t
wait_handled_above(uint64_t n)
{
	uint64_t t0 = now_ns(), h;

	while ((h = __atomic_load_n(&b_handled, __ATOMIC_RELAXED)) <= n &&
	    now_ns() - t0 < WAIT_NS)
		msleep(1);
	return h;
}

START_TEST(test_barrier_exclusive)
{
	struct netisr_handler nh = {
		.nh_name = "barrier", .nh_handler = b_handler,
		.nh_m2cpuid = b_m2cpuid, .nh_proto = NETISR_IP,
		.nh_policy = NETISR_POLICY_CPU,
		.nh_dispatch = NETISR_DISPATCH_DEFERRED,
	};
	uint64_t c0, c1, h0, h1;
	unsigned c, round;

	init_cpus(NETISR_DISPATCH_DIRECT);
	ck_assert_int_eq(netisr_register(&nh), 0);
	b_stop = 0;
	b_handled = 0;
	start_others(0, b_produce);
	c0 = 0;
	for (round = 0; round < 3; round++) {
		c1 = wait_handled_above(c0 + 1000);
		ck_assert_uint_gt(c1, c0 + 1000);	/* it runs */
		netisr_barrier_set();
		ck_assert(netisr_barrier_held());
		c0 = __atomic_load_n(&b_handled, __ATOMIC_RELAXED);
		h0 = __atomic_load_n(&b_hooks, __ATOMIC_RELAXED);
		for (c = 0; c < NCPU; c++) {
			struct netisr_work_stats s;

			netisr_work_stats(c, NETISR_IP, &s);
			ck_assert_uint_eq(s.nws_len, 0);	/* drained */
		}
		msleep(50);
		c1 = __atomic_load_n(&b_handled, __ATOMIC_RELAXED);
		h1 = __atomic_load_n(&b_hooks, __ATOMIC_RELAXED);
		netisr_barrier_rem();
		ck_assert_uint_eq(c1, c0);		/* no handler ran */
		ck_assert_uint_eq(h1, h0);		/* nor anything else */
	}
	c1 = wait_handled_above(c0 + 1000);
	ck_assert_uint_gt(c1, c0 + 1000);		/* and it runs again */
	__atomic_store_n(&b_stop, 1, __ATOMIC_RELEASE);
	host_cpus_stop();
}
END_TEST

START_TEST(test_set_dispatch_drains)
{
	struct netisr_handler nh = {
		.nh_name = "drain", .nh_handler = b_handler,
		.nh_m2cpuid = b_m2cpuid, .nh_proto = NETISR_IP,
		.nh_policy = NETISR_POLICY_CPU,
	};
	struct netisr_work_stats s;
	unsigned c, i, policy;

	init_cpus(NETISR_DISPATCH_DEFERRED);
	ck_assert_int_eq(netisr_register(&nh), 0);
	b_handled = 0;
	host_cpu_bind(0);
	for (i = 0; i < 30; i++) {
		prod_pkts[0][i].bp_m.m_pkthdr.flowid = i;
		ck_assert_int_eq(netisr_dispatch(NETISR_IP,
		    &prod_pkts[0][i].bp_m), 0);
	}
	/* Queued on CPUs 1..3; no CPU has polled (wake-ups forgotten). */
	host_reset();
	start_others(0, NULL);
	ck_assert_int_eq(netisr_set_dispatch(NETISR_DISPATCH_HYBRID), 0);
	/* Under the barrier every queue drained before the switch. */
	ck_assert_uint_eq(__atomic_load_n(&b_handled, __ATOMIC_RELAXED), 30);
	for (c = 0; c < NCPU; c++) {
		netisr_work_stats(c, NETISR_IP, &s);
		ck_assert_uint_eq(s.nws_len, 0);
		ck_assert_uint_eq(s.nws_handled, c == 0 ? 0 : 10);
	}
	ck_assert_uint_eq(netisr_get_dispatch(), NETISR_DISPATCH_HYBRID);
	ck_assert_int_eq(netisr_set_dispatch(NETISR_DISPATCH_DEFAULT),
	    -EINVAL);
	ck_assert_int_eq(netisr_set_dispatch(NETISR_DISPATCH_DIRECT + 1),
	    -EINVAL);
	ck_assert_uint_eq(netisr_get_dispatch(), NETISR_DISPATCH_HYBRID);
	ck_assert_int_eq(netisr_dispatch_parse("deferred", &policy), 0);
	ck_assert_int_eq(netisr_set_dispatch(policy), 0);
	ck_assert_str_eq(netisr_dispatch_name(netisr_get_dispatch()),
	    "deferred");
	ck_assert_int_eq(netisr_dispatch_parse("sometimes", &policy), -EINVAL);
	host_cpus_stop();
}
END_TEST

Suite	*netisr_msg_tcase(Suite *s);

Suite *
netisr_msg_tcase(Suite *s)
{
	TCase *tc = tcase_create("netmsg");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_domsg, 0, 2);
	tcase_add_test(tc, test_sendmsg_async);
	tcase_add_loop_test(tc, test_forward_and_global, 0, 2);
	tcase_add_test(tc, test_barrier_exclusive);
	tcase_add_test(tc, test_set_dispatch_drains);
	suite_add_tcase(s, tc);
	return s;
}

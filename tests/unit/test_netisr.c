/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr.c: host tests for net/netisr: work placement, dispatch
 * semantics, the worker, registration and limits.  The netmsg tests
 * (messages, the barrier) are in test_netisr_msg.c, linked in here.
 *
 * Design: the placement rows run in lockstep: the test thread binds
 * itself to a CPU id (host_cpu_bind()), dispatches one packet with the
 * deferred or hybrid policy, and finds the chosen CPU as the workstream
 * whose queued (or hybrid_dispatched) counter moved.  The dispatch tests
 * also run in lockstep, rebinding the test thread to a CPU to poll it.
 * Anything that takes the barrier (unregister, set_dispatch, messages)
 * needs the other CPUs to answer, so those tests start CPU threads for
 * every CPU but the test thread's own (netisr_host.c).  netisr_init()
 * resets the core, so each test starts from a fresh state.
 *
 * Locking: the handlers' counters are atomics; everything else belongs
 * to the test thread.
 */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/errno.h"
#include "tests/unit/netisr_host.h"

#define NPKT		1024
#define P_A		NETISR_IP	/* the protocols the tests register */
#define P_B		NETISR_ARP

struct tpkt {
	struct mbuf	tp_m;		/* first: handlers cast back */
	unsigned	tp_id;
	int		tp_cpu;		/* CPU the handler ran on, or -1 */
	pthread_t	tp_thread;	/* thread it ran on */
};

static struct tpkt pool[NPKT];
static unsigned pool_next;
static unsigned t_handled, t_freed, t_norder;
static unsigned t_order[NPKT];
static unsigned t_m2flow_calls, t_m2cpuid_calls, t_drained_calls;
static int t_cb_result;		/* what the placement callbacks return */
static unsigned t_drained_cpu, t_rollups, t_rollup_cpu;

#define INC(v)		__atomic_fetch_add(&(v), 1, __ATOMIC_ACQ_REL)

static void
t_handler(struct mbuf *m)
{
	struct tpkt *tp = (struct tpkt *)m;

	tp->tp_cpu = (int)netisr_plat_curcpu();
	tp->tp_thread = pthread_self();
	t_order[INC(t_norder) % NPKT] = tp->tp_id;
	INC(t_handled);
}

static void
t_free(struct mbuf *m)
{
	(void)m;
	INC(t_freed);
}

static struct tpkt *
pkt(uint16_t rcvif, uint8_t rsstype, uint32_t flowid)
{
	struct tpkt *tp = &pool[pool_next % NPKT];

	memset(tp, 0, sizeof(*tp));
	tp->tp_id = pool_next++;
	tp->tp_cpu = -1;
	tp->tp_m.m_pkthdr.rcvif = rcvif;
	tp->tp_m.m_pkthdr.flowid = flowid;
	M_HASHTYPE_SET(&tp->tp_m, rsstype);
	tp->tp_m.m_free = t_free;
	return tp;
}

/* m2flow: NULL (consumed), unchanged, or a hash of flow id t_cb_result. */
static struct mbuf *
t_m2flow(struct mbuf *m, uintptr_t source)
{
	(void)source;
	INC(t_m2flow_calls);
	if (t_cb_result == -1)
		return NULL;
	if (t_cb_result >= 0) {
		m->m_pkthdr.flowid = (uint32_t)t_cb_result;
		M_HASHTYPE_SET(m, M_HASHTYPE_OPAQUE);
	}
	return m;
}

/* m2cpuid: NULL (-1), NETISR_CPUID_NONE (-2), or CPU t_cb_result. */
static struct mbuf *
t_m2cpuid(struct mbuf *m, uintptr_t source, unsigned *cpuid)
{
	(void)source;
	INC(t_m2cpuid_calls);
	if (t_cb_result == -1)
		return NULL;
	*cpuid = t_cb_result == -2 ? NETISR_CPUID_NONE :
	    (unsigned)t_cb_result;
	return m;
}

static void
t_drained(unsigned cpu)
{
	t_drained_cpu = cpu;
	INC(t_drained_calls);
}

static void
t_rollup(unsigned cpu)
{
	t_rollup_cpu = cpu;
	INC(t_rollups);
}

static void
setup(unsigned ncpus, unsigned maxthreads, unsigned dispatch)
{
	struct netisr_config cfg = {
		.nc_ncpus = ncpus, .nc_maxthreads = maxthreads,
		.nc_defaultqlimit = 100, .nc_maxqlimit = 1000,
		.nc_dispatch = dispatch,
	};

	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	pool_next = 0;
	t_handled = t_freed = t_norder = 0;
	t_m2flow_calls = t_m2cpuid_calls = t_drained_calls = 0;
	t_rollups = 0;
	t_cb_result = 0;
	host_cpu_bind(0);
}

static struct netisr_handler
handler(unsigned proto, const char *name, unsigned policy, unsigned dispatch)
{
	struct netisr_handler nh = {
		.nh_name = name, .nh_handler = t_handler, .nh_proto = proto,
		.nh_policy = policy, .nh_dispatch = dispatch,
	};

	if (policy == NETISR_POLICY_CPU)
		nh.nh_m2cpuid = t_m2cpuid;
	return nh;
}

static struct netisr_work_stats
ws(unsigned cpu, unsigned proto)
{
	struct netisr_work_stats s;

	netisr_work_stats(cpu, proto, &s);
	return s;
}

/* Polls CPU cpu once from the test thread, then rebinds it to back. */
static bool
poll_as(unsigned cpu, unsigned back)
{
	bool more;

	host_cpu_bind(cpu);
	(void)host_cpu_take_ready(cpu);
	more = netisr_poll(cpu);
	host_cpu_bind(back);
	return more;
}

/* ---- placement (acceptance 2) ------------------------------------------ */

#define DROP	(-1)

struct place_case {
	const char	*pc_name;
	unsigned	pc_ncpus, pc_maxthreads;
	unsigned	pc_policy, pc_dispatch;
	bool		pc_m2flow;	/* FLOW: register t_m2flow */
	int		pc_cb;		/* t_cb_result */
	uint8_t		pc_rsstype;
	uint32_t	pc_flowid;
	uint16_t	pc_rcvif;
	uintptr_t	pc_source;
	unsigned	pc_cur;		/* the dispatching CPU */
	int		pc_want;	/* chosen CPU, or DROP */
	unsigned	pc_calls;	/* callback invocations expected */
};

#define DEF	NETISR_DISPATCH_DEFERRED
#define HYB	NETISR_DISPATCH_HYBRID
#define SRC	NETISR_POLICY_SOURCE
#define FLW	NETISR_POLICY_FLOW
#define CPU	NETISR_POLICY_CPU
#define OPQ	M_HASHTYPE_OPAQUE
#define TCP4	M_HASHTYPE_RSS_TCP_IPV4

static const struct place_case place_cases[] = {
	/* name			 ncpu mt pol disp m2f cb  hash fid rcv src cur want calls */
	{ "src hashed",		 4, 4, SRC, DEF, 0,  0,  OPQ, 6,   1, 2, 1, 3, 0 },
	{ "src unhashed",	 4, 4, SRC, DEF, 0,  0,  0,   0,   2, 3, 1, 1, 0 },
	{ "src wraps",		 4, 4, SRC, DEF, 0,  0,  0,   0,   7, 0, 0, 3, 0 },
	{ "src hybrid local",	 4, 4, SRC, HYB, 0,  0,  0,   0,   1, 0, 1, 1, 0 },
	{ "src hybrid remote",	 4, 4, SRC, HYB, 0,  0,  0,   0,   2, 0, 1, 2, 0 },
	{ "flow hashed",	 4, 4, FLW, DEF, 1,  9,  TCP4, 6,  1, 0, 1, 2, 0 },
	{ "flow table 3cpu",	 3, 3, FLW, DEF, 0,  0,  OPQ, 130, 0, 0, 0, 2, 0 },
	{ "flow unhashed",	 4, 4, FLW, DEF, 0,  0,  0,   0,   1, 1, 0, 2, 0 },
	{ "flow m2flow hash",	 4, 4, FLW, DEF, 1,  7,  0,   0,   1, 0, 0, 3, 1 },
	{ "flow m2flow none",	 4, 4, FLW, DEF, 1,  -2, 0,   0,   3, 0, 0, 3, 1 },
	{ "flow m2flow NULL",	 4, 4, FLW, DEF, 1,  -1, 0,   0,   1, 0, 2, DROP, 1 },
	{ "flow m2flow NULL hyb", 4, 4, FLW, HYB, 1, -1, 0,   0,   1, 0, 3, DROP, 1 },
	{ "flow hybrid local",	 4, 4, FLW, HYB, 0,  0,  OPQ, 129, 0, 0, 1, 1, 0 },
	{ "cpu 2",		 4, 4, CPU, DEF, 0,  2,  0,   0,   1, 0, 1, 2, 1 },
	{ "cpu 6 mod",		 4, 4, CPU, DEF, 0,  6,  OPQ, 1,   1, 0, 1, 2, 1 },
	{ "cpu NULL",		 4, 4, CPU, DEF, 0,  -1, 0,   0,   1, 0, 1, DROP, 1 },
	{ "cpu none hybrid",	 4, 4, CPU, HYB, 0,  -2, 0,   0,   2, 0, 1, 1, 1 },
	{ "cpu none hybrid 3",	 4, 4, CPU, HYB, 0,  -2, 0,   0,   0, 1, 3, 3, 1 },
	{ "cpu none deferred",	 4, 4, CPU, DEF, 0,  -2, 0,   0,   2, 0, 1, 2, 1 },
	{ "mt1 src",		 4, 1, SRC, DEF, 0,  0,  0,   0,   3, 1, 2, 0, 0 },
	{ "mt1 flow hashed",	 4, 1, FLW, DEF, 1,  -1, OPQ, 3,   3, 0, 2, 0, 0 },
	{ "mt1 flow m2flow",	 4, 1, FLW, DEF, 1,  -1, 0,   0,   3, 0, 2, 0, 0 },
	{ "mt1 cpu NULL",	 4, 1, CPU, DEF, 0,  -1, 0,   0,   3, 0, 2, 0, 0 },
	{ "mt1 cpu hybrid",	 4, 1, CPU, HYB, 0,  -2, 0,   0,   3, 0, 2, 0, 0 },
	{ "mt1 hybrid local",	 4, 1, SRC, HYB, 0,  0,  0,   0,   3, 0, 0, 0, 0 },
};

START_TEST(test_placement)
{
	const struct place_case *pc = &place_cases[_i];
	struct netisr_work_stats before[NETISR_MAXCPU], after;
	struct netisr_handler nh;
	struct tpkt *tp;
	unsigned w, nws, moved = 0;
	int got = DROP, rv;

	setup(pc->pc_ncpus, pc->pc_maxthreads, NETISR_DISPATCH_DIRECT);
	nh = handler(P_A, "place", pc->pc_policy, pc->pc_dispatch);
	if (pc->pc_m2flow)
		nh.nh_m2flow = t_m2flow;
	ck_assert_int_eq(netisr_register(&nh), 0);
	nws = netisr_get_cpucount();
	ck_assert_uint_eq(nws, pc->pc_maxthreads);
	t_cb_result = pc->pc_cb;
	host_cpu_bind(pc->pc_cur);
	for (w = 0; w < nws; w++)
		before[w] = ws(w, P_A);
	tp = pkt(pc->pc_rcvif, pc->pc_rsstype, pc->pc_flowid);
	rv = netisr_dispatch_src(P_A, pc->pc_source, &tp->tp_m);
	for (w = 0; w < nws; w++) {
		after = ws(w, P_A);
		if (after.nws_queued + after.nws_hybrid_dispatched !=
		    before[w].nws_queued + before[w].nws_hybrid_dispatched) {
			got = (int)netisr_get_cpuid(w);
			moved++;
		}
		if (pc->pc_want == DROP && w == pc->pc_cur)
			ck_assert_uint_eq(after.nws_qdrops,
			    before[w].nws_qdrops + 1);
		else
			ck_assert_uint_eq(after.nws_qdrops,
			    before[w].nws_qdrops);
	}
	ck_assert_msg(got == pc->pc_want && moved <= 1,
	    "%s: chose cpu %d (%u moved), want %d", pc->pc_name, got, moved,
	    pc->pc_want);
	ck_assert_int_eq(rv, pc->pc_want == DROP ? -ENOBUFS : 0);
	ck_assert_uint_eq(t_m2flow_calls + t_m2cpuid_calls, pc->pc_calls);
	/* A consumed packet is the callback's to free, not netisr's. */
	ck_assert_uint_eq(t_freed, 0);
	/* Hybrid to this CPU ran inline, on this CPU. */
	if (pc->pc_dispatch == HYB && got == (int)pc->pc_cur)
		ck_assert_int_eq(tp->tp_cpu, (int)pc->pc_cur);
	else
		ck_assert_int_eq(tp->tp_cpu, -1);
}
END_TEST

/* ---- dispatch semantics (acceptance 3) ---------------------------------- */

START_TEST(test_direct_inline)
{
	struct netisr_handler nh = handler(P_A, "direct", SRC, 0);
	struct tpkt *tp;
	unsigned c;

	setup(4, 0, NETISR_DISPATCH_DIRECT);
	ck_assert_int_eq(netisr_register(&nh), 0);
	host_cpu_bind(2);
	tp = pkt(1, 0, 0);		/* the source rule would say CPU 1 */
	ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
	ck_assert_uint_eq(t_handled, 1);		/* before returning */
	ck_assert_int_eq(tp->tp_cpu, 2);
	ck_assert(pthread_equal(tp->tp_thread, pthread_self()));
	ck_assert_uint_eq(ws(2, P_A).nws_dispatched, 1);
	ck_assert_uint_eq(ws(2, P_A).nws_handled, 1);
	for (c = 0; c < 4; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_queued, 0);
		ck_assert_uint_eq(host_wake_count(c), 0);
	}
	/* netisr_queue() defers even when the global policy is direct. */
	tp = pkt(2, 0, 0);
	ck_assert_int_eq(netisr_queue(P_A, &tp->tp_m), 0);
	ck_assert_int_eq(tp->tp_cpu, -1);
	ck_assert_uint_eq(ws(2, P_A).nws_queued, 1);
	ck_assert(!poll_as(2, 2));
	ck_assert_int_eq(tp->tp_cpu, 2);
	ck_assert_str_eq(netisr_dispatch_name(netisr_get_dispatch()), "direct");
}
END_TEST

START_TEST(test_deferred_queues)
{
	struct netisr_handler nh = handler(P_A, "deferred", SRC, 0);
	struct tpkt *a, *b, *r;

	setup(4, 0, NETISR_DISPATCH_DEFERRED);
	ck_assert_int_eq(netisr_register(&nh), 0);
	host_cpu_bind(1);
	a = pkt(1, 0, 0);		/* to self */
	b = pkt(1, 0, 0);
	r = pkt(3, 0, 0);		/* to CPU 3 */
	ck_assert_int_eq(netisr_dispatch(P_A, &a->tp_m), 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &b->tp_m), 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &r->tp_m), 0);
	ck_assert_uint_eq(t_handled, 0);
	ck_assert_uint_eq(ws(1, P_A).nws_queued, 2);
	ck_assert_uint_eq(ws(1, P_A).nws_len, 2);
	ck_assert_uint_eq(ws(1, P_A).nws_watermark, 2);
	ck_assert_uint_eq(ws(3, P_A).nws_queued, 1);
	/* One wake-up per idle workstream, not one per packet. */
	ck_assert(host_cpu_ready(1) && host_cpu_ready(3));
	ck_assert_uint_eq(host_wake_count(1), 1);
	ck_assert_uint_eq(host_wake_count(3), 1);
	ck_assert(!poll_as(1, 1));
	ck_assert_uint_eq(t_handled, 2);
	ck_assert_uint_eq(t_order[0], a->tp_id);
	ck_assert_uint_eq(t_order[1], b->tp_id);
	ck_assert_int_eq(a->tp_cpu, 1);
	ck_assert_int_eq(r->tp_cpu, -1);	/* not until CPU 3 polls */
	ck_assert(!poll_as(3, 1));
	ck_assert_int_eq(r->tp_cpu, 3);
	ck_assert_uint_eq(ws(1, P_A).nws_handled, 2);
	ck_assert_uint_eq(ws(1, P_A).nws_len, 0);
	ck_assert_uint_eq(ws(3, P_A).nws_handled, 1);
	ck_assert_uint_eq(ws(1, P_A).nws_dispatched, 0);
}
END_TEST

START_TEST(test_hybrid_cases)
{
	struct netisr_handler nh = handler(P_A, "hybrid", SRC, 0);
	struct tpkt *tp, *q;

	setup(4, 0, NETISR_DISPATCH_HYBRID);
	ck_assert_int_eq(netisr_register(&nh), 0);
	host_cpu_bind(1);
	/* Remote target: queued there. */
	tp = pkt(2, 0, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
	ck_assert_int_eq(tp->tp_cpu, -1);
	ck_assert_uint_eq(ws(2, P_A).nws_queued, 1);
	/* Local and idle: inline, counted as hybrid_dispatched. */
	tp = pkt(1, 0, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
	ck_assert_int_eq(tp->tp_cpu, 1);
	ck_assert_uint_eq(ws(1, P_A).nws_hybrid_dispatched, 1);
	ck_assert_uint_eq(ws(1, P_A).nws_handled, 1);
	ck_assert_uint_eq(ws(1, P_A).nws_queued, 0);
	ck_assert_uint_eq(ws(1, P_A).nws_dispatched, 0);
	/* Local with work queued: queued behind it, never overtaking. */
	q = pkt(1, 0, 0);
	ck_assert_int_eq(netisr_queue(P_A, &q->tp_m), 0);
	tp = pkt(1, 0, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
	ck_assert_int_eq(tp->tp_cpu, -1);
	ck_assert_uint_eq(ws(1, P_A).nws_queued, 2);
	ck_assert_uint_eq(ws(1, P_A).nws_hybrid_dispatched, 1);
	ck_assert(!poll_as(1, 1));
	ck_assert_uint_eq(t_order[1], q->tp_id);
	ck_assert_uint_eq(t_order[2], tp->tp_id);
	ck_assert_uint_eq(ws(1, P_A).nws_handled, 3);
}
END_TEST

/* Proto B's handler runs inside proto A's (hybrid, same CPU)? */
static int b_nested;
static __thread int in_a;

static void
a_dispatches_b(struct mbuf *m)
{
	struct tpkt *tp = pkt(m->m_pkthdr.rcvif, 0, 0);

	in_a = 1;
	(void)netisr_dispatch(P_B, &tp->tp_m);
	in_a = 0;
	t_handler(m);
}

static void
b_handler(struct mbuf *m)
{
	if (in_a)
		b_nested++;
	t_handler(m);
}

START_TEST(test_hybrid_from_handler)
{
	struct netisr_handler na = handler(P_A, "a", SRC, 0);
	struct netisr_handler nb = handler(P_B, "b", SRC, 0);
	struct tpkt *tp;

	na.nh_handler = a_dispatches_b;
	nb.nh_handler = b_handler;
	setup(4, 0, NETISR_DISPATCH_HYBRID);
	b_nested = 0;
	ck_assert_int_eq(netisr_register(&na), 0);
	ck_assert_int_eq(netisr_register(&nb), 0);
	host_cpu_bind(2);
	/* A inline (DISPATCHING): B queued, and the worker scheduled. */
	tp = pkt(2, 0, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &tp->tp_m), 0);
	ck_assert_uint_eq(ws(2, P_A).nws_hybrid_dispatched, 1);
	ck_assert_uint_eq(ws(2, P_B).nws_queued, 1);
	ck_assert_uint_eq(ws(2, P_B).nws_handled, 0);
	ck_assert(host_cpu_ready(2));
	ck_assert(!poll_as(2, 2));
	ck_assert_uint_eq(ws(2, P_B).nws_handled, 1);
	/*
	 * A from the worker (RUNNING): B queued; B's protocol number is
	 * higher, so the same ascending pass takes it.
	 */
	tp = pkt(2, 0, 0);
	ck_assert_int_eq(netisr_queue(P_A, &tp->tp_m), 0);
	ck_assert(!poll_as(2, 2));
	ck_assert_uint_eq(ws(2, P_B).nws_queued, 2);
	ck_assert_uint_eq(ws(2, P_B).nws_hybrid_dispatched, 0);
	ck_assert_uint_eq(ws(2, P_B).nws_handled, 2);
	ck_assert_uint_eq(t_order[3], t_order[2] + 1);	/* B after A */
	ck_assert_int_eq(b_nested, 0);
	ck_assert_uint_eq(t_handled, 4);
}
END_TEST

START_TEST(test_worker_batches)
{
	struct netisr_handler na = handler(P_A, "low", SRC, DEF);
	struct netisr_handler nb = handler(NETISR_ETHER, "high", SRC, DEF);
	unsigned i, first_high;

	setup(2, 0, NETISR_DISPATCH_DIRECT);
	na.nh_qlimit = nb.nh_qlimit = 1000;
	na.nh_drainedcpu = t_drained;
	ck_assert_int_eq(netisr_register(&na), 0);
	ck_assert_int_eq(netisr_register(&nb), 0);
	ck_assert_int_eq(netisr_register_rollup(t_rollup), 0);
	host_cpu_bind(1);
	/* The higher protocol number first: the worker still takes P_A first. */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(netisr_dispatch(NETISR_ETHER,
		    &pkt(1, 0, 0)->tp_m), 0);
	first_high = 0;
	for (i = 0; i < NETISR_BATCH_CAP + 44; i++)
		ck_assert_int_eq(netisr_dispatch(P_A, &pkt(1, 0, 0)->tp_m), 0);
	ck_assert_uint_eq(ws(1, P_A).nws_watermark, NETISR_BATCH_CAP + 44);
	ck_assert(poll_as(1, 1));		/* one batch each, more left */
	ck_assert_uint_eq(ws(1, P_A).nws_handled, NETISR_BATCH_CAP);
	ck_assert_uint_eq(ws(1, NETISR_ETHER).nws_handled, 10);
	ck_assert_uint_eq(t_order[0], 10);	/* P_A's first packet */
	ck_assert_uint_eq(t_order[NETISR_BATCH_CAP], first_high);
	ck_assert_uint_eq(t_drained_calls, 1);
	ck_assert_uint_eq(t_drained_cpu, 1);
	ck_assert_uint_eq(t_rollups, 1);
	ck_assert_uint_eq(t_rollup_cpu, 1);
	ck_assert(!poll_as(1, 1));
	ck_assert_uint_eq(ws(1, P_A).nws_handled, NETISR_BATCH_CAP + 44);
	ck_assert_uint_eq(t_drained_calls, 2);
	ck_assert_uint_eq(t_rollups, 2);
	ck_assert(!poll_as(1, 1));		/* nothing ran: no rollup */
	ck_assert_uint_eq(t_rollups, 2);
	ck_assert_uint_eq(t_drained_calls, 2);
}
END_TEST

/* ---- registration and limits -------------------------------------------- */

static const char name33[] = "abcdefghijklmnopqrstuvwxyz0123456";
static const char name32[] = "abcdefghijklmnopqrstuvwxyz012345";

struct reg_case {
	const char		*rc_what;
	struct netisr_handler	rc_nh;
	int			rc_want;
};

/* A handler: name, handler, m2flow, m2cpuid, proto, policy, dispatch. */
#define NH(n, h, f, c, p, pol, d)	{ n, h, f, c, NULL, p, 0, pol, d, NULL }
#define H	t_handler
#define M2F	t_m2flow
#define M2C	t_m2cpuid
static const struct reg_case reg_cases[] = {
	{ "no handler",	NH("x", NULL, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "NULL name",	NH(NULL, H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "empty name",	NH("", H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "space",	NH("a b", H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "tab",	NH("a\t", H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "newline",	NH("a\n", H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "33 chars",	NH(name33, H, NULL, NULL, P_A, SRC, 0), -EINVAL },
	{ "32 chars",	NH(name32, H, NULL, NULL, P_A, SRC, 0), 0 },
	{ "proto 0",	NH("x", H, NULL, NULL, 0, SRC, 0), -EINVAL },
	{ "proto max",	NH("x", H, NULL, NULL, NETISR_MAXPROT, SRC, 0),
	    -EINVAL },
	{ "policy 0",	NH("x", H, NULL, NULL, P_A, 0, 0), -EINVAL },
	{ "policy 4",	NH("x", H, NULL, NULL, P_A, 4, 0), -EINVAL },
	{ "dispatch 4",	NH("x", H, NULL, NULL, P_A, SRC, 4), -EINVAL },
	{ "m2flow+SRC",	NH("x", H, M2F, NULL, P_A, SRC, 0), -EINVAL },
	{ "m2flow+CPU",	NH("x", H, M2F, M2C, P_A, CPU, 0), -EINVAL },
	{ "CPU alone",	NH("x", H, NULL, NULL, P_A, CPU, 0), -EINVAL },
	{ "m2cpuid+FLW", NH("x", H, NULL, M2C, P_A, FLW, 0), -EINVAL },
	{ "m2cpuid+SRC", NH("x", H, NULL, M2C, P_A, SRC, 0), -EINVAL },
	{ "FLOW+m2flow", NH("x", H, M2F, NULL, P_A, FLW, 3), 0 },
	{ "CPU+m2cpuid", NH("x", H, NULL, M2C, P_A, CPU, 1), 0 },
	{ "dup name",	NH("taken", H, NULL, NULL, P_A, SRC, 0), -EEXIST },
	{ "dup proto",	NH("y", H, NULL, NULL, P_B, SRC, 0), -EEXIST },
};
#undef H
#undef M2F
#undef M2C
#undef NH

START_TEST(test_register_cases)
{
	const struct reg_case *rc = &reg_cases[_i];
	struct netisr_handler taken = handler(P_B, "taken", SRC, 0);
	struct netisr_proto_info npi;
	int rv;

	setup(2, 0, NETISR_DISPATCH_DIRECT);
	ck_assert_int_eq(netisr_register(&taken), 0);
	rv = netisr_register(&rc->rc_nh);
	ck_assert_msg(rv == rc->rc_want, "%s: got %d, want %d", rc->rc_what,
	    rv, rc->rc_want);
	ck_assert(netisr_proto_info(P_A, &npi) == (rc->rc_want == 0));
	if (rv == 0) {
		ck_assert_str_eq(npi.npi_name, rc->rc_nh.nh_name);
		ck_assert(npi.npi_m2flow == (rc->rc_nh.nh_m2flow != NULL));
		ck_assert(npi.npi_m2cpuid == (rc->rc_nh.nh_m2cpuid != NULL));
		ck_assert_uint_eq(npi.npi_dispatch, rc->rc_nh.nh_dispatch);
	}
}
END_TEST

START_TEST(test_qlimits_and_drops)
{
	struct netisr_handler nh = handler(P_A, "limits", SRC, DEF);
	struct netisr_handler big = handler(P_B, "big", SRC, DEF);
	unsigned q, i;
	uint64_t drops;

	setup(4, 0, NETISR_DISPATCH_DIRECT);
	host_log_echo(false);
	ck_assert_int_eq(netisr_register(&nh), 0);
	netisr_getqlimit(&nh, &q);
	ck_assert_uint_eq(q, 100);			/* 0: the default */
	big.nh_qlimit = 5000;
	ck_assert_int_eq(netisr_register(&big), 0);
	netisr_getqlimit(&big, &q);
	ck_assert_uint_eq(q, 1000);			/* capped ... */
	ck_assert(host_log_contains("big"));		/* ... with a message */
	ck_assert(host_log_contains("1000"));
	ck_assert_int_eq(netisr_setqlimit(&nh, 1001), -EINVAL);
	netisr_getqlimit(&nh, &q);
	ck_assert_uint_eq(q, 100);
	ck_assert_int_eq(netisr_setqlimit(&nh, 1000), 0);
	ck_assert_int_eq(netisr_setqlimit(&nh, 4), 0);
	netisr_getqlimit(&nh, &q);
	ck_assert_uint_eq(q, 4);
	host_cpu_bind(1);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(netisr_dispatch(P_A, &pkt(2, 0, 0)->tp_m),
		    i < 4 ? 0 : -ENOBUFS);
	ck_assert_uint_eq(t_freed, 6);			/* drops are freed */
	ck_assert_uint_eq(ws(2, P_A).nws_qdrops, 6);
	ck_assert_uint_eq(ws(2, P_A).nws_queued, 4);
	ck_assert_uint_eq(ws(2, P_A).nws_len, 4);
	ck_assert_uint_eq(ws(2, P_A).nws_watermark, 4);
	netisr_getqdrops(&nh, &drops);
	ck_assert_uint_eq(drops, 6);
	netisr_clearqdrops(&nh);
	netisr_getqdrops(&nh, &drops);
	ck_assert_uint_eq(drops, 0);
	ck_assert_uint_eq(ws(2, P_A).nws_queued, 4);	/* only qdrops */
	ck_assert(!poll_as(2, 1));
	ck_assert_uint_eq(t_handled, 4);
}
END_TEST

START_TEST(test_unregister_frees)
{
	struct netisr_handler nh = handler(P_A, "gone", SRC, DEF);
	struct netisr_handler other = handler(P_B, "stays", SRC, DEF);
	struct netisr_proto_info npi;
	unsigned c, i;
	uint64_t drops;

	setup(4, 0, NETISR_DISPATCH_DIRECT);
	nh.nh_qlimit = 3;
	ck_assert_int_eq(netisr_register(&nh), 0);
	ck_assert_int_eq(netisr_register(&other), 0);
	/* Counters to zero: one handled on CPU 0, then 3 queued + 1 drop. */
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(0, 0, 0)->tp_m), 0);
	ck_assert(!poll_as(0, 0));
	for (c = 0; c < 4; c++)
		for (i = 0; i < 4; i++)
			(void)netisr_dispatch(P_A, &pkt(c, 0, 0)->tp_m);
	ck_assert_int_eq(netisr_dispatch(P_B, &pkt(3, 0, 0)->tp_m), 0);
	ck_assert_uint_eq(t_freed, 4);
	netisr_getqdrops(&nh, &drops);
	ck_assert_uint_eq(drops, 4);
	/* The other CPUs must answer the barrier; let none poll before. */
	host_reset();
	host_cpus_start_range(1, 3, NULL, NULL);
	ck_assert_int_eq(netisr_unregister(&nh), 0);
	host_cpus_stop();
	ck_assert_uint_eq(t_freed, 4 + 12);		/* every queued one */
	/* CPU 3 polled after parking: it ran P_B's packet, nothing of P_A. */
	ck_assert_uint_eq(t_handled, 2);
	ck_assert_uint_eq(ws(3, P_B).nws_handled, 1);
	for (c = 0; c < 4; c++) {
		struct netisr_work_stats s = ws(c, P_A);

		ck_assert_uint_eq(s.nws_len + s.nws_queued + s.nws_handled +
		    s.nws_qdrops + s.nws_watermark + s.nws_dispatched +
		    s.nws_hybrid_dispatched, 0);
	}
	ck_assert(!netisr_proto_info(P_A, &npi));
	ck_assert_int_eq(netisr_unregister(&nh), -ENOENT);
	/* Unregistered: refused and freed. */
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(0, 0, 0)->tp_m),
	    -EPROTONOSUPPORT);
	ck_assert_uint_eq(t_freed, 17);
	/* P_A can come back. */
	ck_assert_int_eq(netisr_register(&nh), 0);
	netisr_getqdrops(&nh, &drops);
	ck_assert_uint_eq(drops, 0);
}
END_TEST

Suite *netisr_msg_tcase(Suite *s);

static Suite *
netisr_suite(void)
{
	Suite *s = suite_create("netisr");
	TCase *tc = tcase_create("placement");

	tcase_add_loop_test(tc, test_placement, 0,
	    sizeof(place_cases) / sizeof(place_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("dispatch");
	tcase_add_test(tc, test_direct_inline);
	tcase_add_test(tc, test_deferred_queues);
	tcase_add_test(tc, test_hybrid_cases);
	tcase_add_test(tc, test_hybrid_from_handler);
	tcase_add_test(tc, test_worker_batches);
	suite_add_tcase(s, tc);
	tc = tcase_create("registration");
	tcase_add_loop_test(tc, test_register_cases, 0,
	    sizeof(reg_cases) / sizeof(reg_cases[0]));
	tcase_add_test(tc, test_qlimits_and_drops);
	tcase_add_test(tc, test_unregister_frees);
	suite_add_tcase(s, tc);
	return netisr_msg_tcase(s);
}

int
main(void)
{
	SRunner *sr = srunner_create(netisr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

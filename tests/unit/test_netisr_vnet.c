/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_vnet.c: host tests for netisr's virtual network stacks
 * (net/netisr/netisr_vnet.c and the vnet checks in netisr.c):
 *  - netisr_register() enables vnet 0 only; register_vnet/unregister_vnet
 *    in vnet 1 toggle vnet 1 only; netisr_unregister() clears every vnet;
 *  - dispatch, queue and batch into a disabled vnet (and a vnet out of
 *    range) free and count the packet per vnet and protocol, under every
 *    dispatch policy, and touch no workstream counter;
 *  - unregister_vnet purges exactly that vnet's queued packets of that
 *    protocol on every CPU; the rest is handled later, in order, and the
 *    workstream identity (dispatched + hybrid + queued = handled + len +
 *    purged) holds; enabling again works;
 *  - the worker's own check (a bit cleared behind its back) purges too;
 *  - a handler runs with curvnet = its packet's vnet on every path, the
 *    caller's curvnet comes back, CURVNET_SET nests;
 *  - errors: unregistered protocol, vnet out of range, inside a handler.
 *
 * Design: as test_netisr_acct.c: the test thread is CPU 0 and polls other
 * CPUs by rebinding; the calls that take the barrier (unregister_vnet,
 * unregister) run with CPU threads for CPUs 1 .. NCPU - 1.  Placement is
 * by SOURCE, (rcvif + source) % NCPU, so the test knows each packet's CPU.
 *
 * Locking: the handler's and the free callback's counters are atomics;
 * the packets' records are written by whoever handles or frees them and
 * read by the test thread after the CPU threads are stopped.
 */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "net/netisr/netisr_var.h"
#include "tests/unit/netisr_host.h"

#define NCPU		4
#define NPKT		1024
#define P_A		NETISR_IP
#define P_B		NETISR_ARP
#define PER_CELL	3	/* packets per (cpu, vnet, proto) */

_Static_assert(NETISR_MAXVNETS >= 4, "these tests use vnets 0 to 3");

struct vpkt {
	struct mbuf	vp_m;		/* first: callbacks cast back */
	unsigned	vp_proto;
	int		vp_cpu;		/* handled on, or -1 */
	int		vp_curvnet;	/* curvnet in the handler, or -1 */
	uint64_t	vp_seq;		/* handling order from 1, 0: never */
	uint32_t	vp_freed;
};

static struct vpkt pool[NPKT];
static unsigned pool_next;
static uint64_t t_handled, t_freed, t_seq, t_disabled_handled, t_bad_vnet;
static int t_inner_err;		/* unregister_vnet from inside a handler */
static bool t_try_inner, t_forward;

#define INC(v)		__atomic_fetch_add(&(v), 1, __ATOMIC_ACQ_REL)

static void
t_handler(struct mbuf *m)
{
	struct vpkt *vp = (struct vpkt *)m;

	vp->vp_cpu = (int)netisr_plat_curcpu();
	vp->vp_curvnet = (int)curvnet;
	vp->vp_seq = INC(t_seq) + 1;
	if (!netisr_vnet_enabled(m->m_pkthdr.vnet, vp->vp_proto))
		INC(t_disabled_handled);
	if (curvnet != m->m_pkthdr.vnet)
		INC(t_bad_vnet);
	INC(t_handled);
}

/* Proto A's handler in the nesting test: passes the packet on to B. */
static void
t_forwarder(struct mbuf *m)
{
	struct vpkt *vp = (struct vpkt *)m;
	unsigned before = curvnet;

	if (t_try_inner) {
		struct netisr_handler nh = { .nh_name = "a",
		    .nh_proto = P_A };

		t_inner_err = netisr_unregister_vnet(&nh);
	}
	if (!t_forward) {
		t_handler(m);
		return;
	}
	vp->vp_proto = P_B;
	(void)netisr_dispatch(P_B, m);
	if (curvnet != before)			/* B's call put it back */
		INC(t_bad_vnet);
}

static void
t_free(struct mbuf *m)
{
	__atomic_store_n(&((struct vpkt *)m)->vp_freed, 1, __ATOMIC_RELEASE);
	INC(t_freed);
}

static struct vpkt *
pkt(unsigned proto, uint16_t vnet, uint16_t rcvif)
{
	struct vpkt *vp = &pool[pool_next++ % NPKT];

	memset(vp, 0, sizeof(*vp));
	vp->vp_proto = proto;
	vp->vp_cpu = vp->vp_curvnet = -1;
	vp->vp_m.m_pkthdr.rcvif = rcvif;
	vp->vp_m.m_pkthdr.vnet = vnet;
	vp->vp_m.m_free = t_free;
	return vp;
}

static struct netisr_handler
handler(unsigned proto, const char *name, netisr_handler_t *h)
{
	struct netisr_handler nh = {
		.nh_name = name, .nh_handler = h, .nh_proto = proto,
		.nh_policy = NETISR_POLICY_SOURCE,
	};

	return nh;
}

static struct netisr_handler nh_a, nh_b;

static void
setup(unsigned dispatch)
{
	struct netisr_config cfg = {
		.nc_ncpus = NCPU, .nc_defaultqlimit = 256,
		.nc_maxqlimit = 1024, .nc_dispatch = dispatch,
	};

	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	host_log_echo(false);
	pool_next = 0;
	t_handled = t_freed = t_seq = t_disabled_handled = t_bad_vnet = 0;
	t_try_inner = t_forward = false;
	t_inner_err = 0;
	host_cpu_bind(0);
	nh_a = handler(P_A, "a", t_handler);
	nh_b = handler(P_B, "b", t_handler);
	ck_assert_int_eq(netisr_register(&nh_a), 0);
	ck_assert_int_eq(netisr_register(&nh_b), 0);
}

static struct netisr_work_stats
ws(unsigned cpu, unsigned proto)
{
	struct netisr_work_stats s;

	netisr_work_stats(cpu, proto, &s);
	return s;
}

static void
drain_all(void)
{
	unsigned c;

	for (c = 0; c < NCPU; c++) {
		host_cpu_bind(c);
		host_poll_drain();
	}
	host_cpu_bind(0);
}

/* Enables (on) or disables nhp in vnet v; disabling takes the barrier. */
static int
set_vnet(const struct netisr_handler *nhp, unsigned v, bool on)
{
	int err;

	CURVNET_SET(v);
	if (on) {
		err = netisr_register_vnet(nhp);
	} else {
		host_cpus_start_range(1, NCPU - 1, NULL, NULL);
		err = netisr_unregister_vnet(nhp);
		host_cpus_stop();
	}
	CURVNET_RESTORE();
	return err;
}

/*
 * Per protocol and CPU: dispatched + hybrid + queued = handled + len +
 * purged.
 */
static void
check_identity(void)
{
	static const unsigned protos[] = { P_A, P_B };
	unsigned c, i;

	for (i = 0; i < 2; i++)
		for (c = 0; c < NCPU; c++) {
			struct netisr_work_stats s = ws(c, protos[i]);

			ck_assert_msg(s.nws_dispatched +
			    s.nws_hybrid_dispatched + s.nws_queued ==
			    s.nws_handled + s.nws_len + s.nws_purged,
			    "proto %u cpu %u: %lu + %lu + %lu != %lu + %lu + "
			    "%lu", protos[i], c,
			    (unsigned long)s.nws_dispatched,
			    (unsigned long)s.nws_hybrid_dispatched,
			    (unsigned long)s.nws_queued,
			    (unsigned long)s.nws_handled,
			    (unsigned long)s.nws_len,
			    (unsigned long)s.nws_purged);
		}
}

/* ---- enabling ---------------------------------------------------------- */

START_TEST(test_register_enables_vnet0_only)
{
	unsigned v;

	setup(NETISR_DISPATCH_DIRECT);
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		ck_assert(netisr_vnet_enabled(v, P_A) == (v == 0));
		ck_assert(netisr_vnet_enabled(v, P_B) == (v == 0));
		ck_assert(!netisr_vnet_enabled(v, NETISR_IPV6));
	}
	ck_assert(!netisr_vnet_enabled(NETISR_MAXVNETS, P_A));
	ck_assert(!netisr_vnet_enabled(0, 0));
	ck_assert(!netisr_vnet_enabled(0, NETISR_MAXPROT));

	/* vnet 1 on and off again: vnet 0 and protocol B never move. */
	ck_assert_int_eq(set_vnet(&nh_a, 1, true), 0);
	ck_assert_int_eq(set_vnet(&nh_a, 1, true), 0);	/* twice: fine */
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		ck_assert(netisr_vnet_enabled(v, P_A) == (v <= 1));
		ck_assert(netisr_vnet_enabled(v, P_B) == (v == 0));
	}
	ck_assert_int_eq(set_vnet(&nh_a, 1, false), 0);
	ck_assert_int_eq(set_vnet(&nh_a, 1, false), 0);	/* twice: fine */
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		ck_assert(netisr_vnet_enabled(v, P_A) == (v == 0));
		ck_assert(netisr_vnet_enabled(v, P_B) == (v == 0));
	}
	/* The last vnet, and vnet 0 itself, can be toggled too. */
	ck_assert_int_eq(set_vnet(&nh_b, NETISR_MAXVNETS - 1, true), 0);
	ck_assert(netisr_vnet_enabled(NETISR_MAXVNETS - 1, P_B));
	ck_assert_int_eq(set_vnet(&nh_b, 0, false), 0);
	ck_assert(!netisr_vnet_enabled(0, P_B));
	ck_assert(netisr_vnet_enabled(0, P_A));
	ck_assert_int_eq(set_vnet(&nh_b, 0, true), 0);
	ck_assert(netisr_vnet_enabled(0, P_B));

	/* netisr_unregister() clears every vnet; register gives vnet 0. */
	ck_assert_int_eq(set_vnet(&nh_a, 2, true), 0);
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	ck_assert_int_eq(netisr_unregister(&nh_a), 0);
	host_cpus_stop();
	for (v = 0; v < NETISR_MAXVNETS; v++)
		ck_assert(!netisr_vnet_enabled(v, P_A));
	ck_assert_int_eq(netisr_register(&nh_a), 0);
	for (v = 0; v < NETISR_MAXVNETS; v++)
		ck_assert(netisr_vnet_enabled(v, P_A) == (v == 0));
}
END_TEST

/* ---- drops at the door ------------------------------------------------- */

static const unsigned policies[] = {
	NETISR_DISPATCH_DIRECT, NETISR_DISPATCH_HYBRID,
	NETISR_DISPATCH_DEFERRED,
};

START_TEST(test_disabled_vnet_drops)
{
	struct mbuf *ms[4];
	uint64_t sent_ok = 0, sent_off = 0;
	unsigned c, k, v;

	setup(policies[_i]);
	ck_assert_int_eq(set_vnet(&nh_a, 2, true), 0);
	ck_assert_int_eq(set_vnet(&nh_b, 1, true), 0);
	/* A: vnets 0, 2 on; B: vnets 0, 1 on.  From every CPU, to every CPU. */
	for (c = 0; c < NCPU; c++) {
		host_cpu_bind(c);
		for (k = 0; k < NCPU; k++) {
			ck_assert_int_eq(netisr_dispatch(P_A,
			    &pkt(P_A, 1, k)->vp_m), -EPROTONOSUPPORT);
			ck_assert_int_eq(netisr_dispatch_src(P_A, 1,
			    &pkt(P_A, 3, k)->vp_m), -EPROTONOSUPPORT);
			ck_assert_int_eq(netisr_queue(P_B,
			    &pkt(P_B, 2, k)->vp_m), -EPROTONOSUPPORT);
			ck_assert_int_eq(netisr_queue_src(P_B, 2,
			    &pkt(P_B, 2, k)->vp_m), -EPROTONOSUPPORT);
			sent_off += 4;
			ck_assert_int_eq(netisr_dispatch(P_A,
			    &pkt(P_A, 2, k)->vp_m), 0);
			ck_assert_int_eq(netisr_dispatch(P_B,
			    &pkt(P_B, 1, k)->vp_m), 0);
			sent_ok += 2;
		}
		/* A batch mixing vnets: 0 and 2 go through, 1 and 3 drop. */
		for (k = 0; k < 4; k++)
			ms[k] = &pkt(P_A, (uint16_t)k, k)->vp_m;
		ck_assert_uint_eq(netisr_dispatch_batch(P_A, 0, ms, 4), 2);
		sent_ok += 2;
		sent_off += 2;
	}
	host_cpu_bind(0);
	/* Nothing dropped at the door reached a workstream. */
	for (c = 0; c < NCPU; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_qdrops + ws(c, P_B).nws_qdrops,
		    0);
		ck_assert_uint_eq(ws(c, P_A).nws_purged + ws(c, P_B).nws_purged,
		    0);
	}
	ck_assert_uint_eq(t_freed, sent_off);
	drain_all();
	ck_assert_uint_eq(t_handled, sent_ok);
	ck_assert_uint_eq(t_disabled_handled + t_bad_vnet, 0);
	/* Counted per (vnet, proto), exactly. */
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		uint64_t a = v == 1 || v == 3 ? NCPU * NCPU + NCPU : 0;
		uint64_t b = v == 2 ? 2 * NCPU * NCPU : 0;

		ck_assert_msg(netisr_get_vnet_drops(v, P_A) == a,
		    "vnet %u proto A: %lu drops, want %lu", v,
		    (unsigned long)netisr_get_vnet_drops(v, P_A),
		    (unsigned long)a);
		ck_assert_uint_eq(netisr_get_vnet_drops(v, P_B), b);
		ck_assert_uint_eq(netisr_get_vnet_purged(v, P_A) +
		    netisr_get_vnet_purged(v, P_B), 0);
	}
	/* A vnet out of range: -EINVAL, and its own counter. */
	ck_assert_int_eq(netisr_dispatch(P_A,
	    &pkt(P_A, NETISR_MAXVNETS, 0)->vp_m), -EINVAL);
	ck_assert_int_eq(netisr_queue(P_A, &pkt(P_A, 0xffff, 1)->vp_m),
	    -EINVAL);
	ck_assert_uint_eq(netisr_get_badvnet_drops(), 2);
	ck_assert_uint_eq(netisr_get_unregistered_drops(), 0);
	ck_assert_uint_eq(t_freed, sent_off + 2);
	check_identity();
}
END_TEST

/* ---- purging ----------------------------------------------------------- */

START_TEST(test_unregister_vnet_purges)
{
	static const unsigned protos[] = { P_A, P_B };
	struct vpkt *q[NCPU][2][3 * PER_CELL];	/* in queue order */
	unsigned c, i, j, k, v, n;
	uint64_t last;

	setup(NETISR_DISPATCH_DEFERRED);
	for (v = 1; v <= 2; v++) {
		ck_assert_int_eq(set_vnet(&nh_a, v, true), 0);
		ck_assert_int_eq(set_vnet(&nh_b, v, true), 0);
	}
	/* Every CPU queues to every CPU: vnets 0, 1, 2 interleaved, A and B. */
	for (c = 0; c < NCPU; c++)
		for (i = 0; i < 2; i++)
			for (k = 0; k < 3 * PER_CELL; k++) {
				q[c][i][k] = pkt(protos[i], (uint16_t)(k % 3),
				    (uint16_t)c);
				host_cpu_bind((c + k) % NCPU);
				ck_assert_int_eq(netisr_dispatch(protos[i],
				    &q[c][i][k]->vp_m), 0);
			}
	host_cpu_bind(0);
	for (c = 0; c < NCPU; c++)
		ck_assert_uint_eq(ws(c, P_A).nws_len, 3 * PER_CELL);
	/* Forget the wake-ups: the CPUs wake only for the barrier. */
	host_reset();
	ck_assert_int_eq(set_vnet(&nh_a, 1, false), 0);
	/* Exactly vnet 1's A packets were freed, on every CPU. */
	ck_assert_uint_eq(t_freed, NCPU * PER_CELL);
	for (c = 0; c < NCPU; c++)
		for (i = 0; i < 2; i++)
			for (k = 0; k < 3 * PER_CELL; k++) {
				struct vpkt *vp = q[c][i][k];
				bool gone = protos[i] == P_A && k % 3 == 1;

				ck_assert_int_eq(vp->vp_freed, gone);
				/* CPU 0 is this thread: nothing ran there. */
				if (c == 0 || gone)
					ck_assert_uint_eq(vp->vp_seq, 0);
			}
	/* CPU 0's queues (no thread): exactly what is left. */
	ck_assert_uint_eq(ws(0, P_A).nws_len, 2 * PER_CELL);
	ck_assert_uint_eq(ws(0, P_B).nws_len, 3 * PER_CELL);
	for (c = 0; c < NCPU; c++) {
		ck_assert_uint_eq(ws(c, P_A).nws_purged, PER_CELL);
		ck_assert_uint_eq(ws(c, P_B).nws_purged, 0);
		ck_assert_uint_eq(ws(c, P_A).nws_qdrops, 0);
	}
	check_identity();
	ck_assert_uint_eq(netisr_get_vnet_purged(1, P_A), NCPU * PER_CELL);
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		ck_assert_uint_eq(netisr_get_vnet_purged(v, P_B), 0);
		if (v != 1)
			ck_assert_uint_eq(netisr_get_vnet_purged(v, P_A), 0);
		ck_assert_uint_eq(netisr_get_vnet_drops(v, P_A) +
		    netisr_get_vnet_drops(v, P_B), 0);
	}
	/* The rest is handled, in queue order per CPU and protocol. */
	drain_all();
	ck_assert_uint_eq(t_handled, NCPU * (5 * PER_CELL));
	ck_assert_uint_eq(t_disabled_handled + t_bad_vnet, 0);
	for (c = 0; c < NCPU; c++)
		for (i = 0; i < 2; i++)
			for (last = 0, j = 0; j < 3 * PER_CELL; j++) {
				struct vpkt *vp = q[c][i][j];

				if (vp->vp_freed)
					continue;
				ck_assert_int_eq(vp->vp_cpu, (int)c);
				ck_assert_int_eq(vp->vp_curvnet, (int)(j % 3));
				ck_assert_uint_gt(vp->vp_seq, last);
				last = vp->vp_seq;
			}
	for (c = 0; c < NCPU; c++)
		ck_assert_uint_eq(ws(c, P_A).nws_len + ws(c, P_B).nws_len, 0);
	check_identity();

	/* Vnet 1 is closed to A now, open to B; enabling A again works. */
	n = t_freed;
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(P_A, 1, 2)->vp_m),
	    -EPROTONOSUPPORT);
	ck_assert_int_eq(netisr_dispatch(P_B, &pkt(P_B, 1, 2)->vp_m), 0);
	ck_assert_uint_eq(netisr_get_vnet_drops(1, P_A), 1);
	ck_assert_int_eq(set_vnet(&nh_a, 1, true), 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &pkt(P_A, 1, 2)->vp_m), 0);
	drain_all();
	ck_assert_uint_eq(t_freed, n + 1);
	ck_assert_uint_eq(t_handled, NCPU * (5 * PER_CELL) + 2);
	ck_assert_uint_eq(t_handled + t_freed, NCPU * 2 * 3 * PER_CELL + 3);
	check_identity();
}
END_TEST

/*
 * The worker's own check (white box): a bit cleared without the barrier,
 * as a racing disable would be seen, still keeps queued packets of that
 * vnet from their handler; they are purged and counted.
 */
START_TEST(test_worker_checks_at_dequeue)
{
	unsigned k;

	setup(NETISR_DISPATCH_DEFERRED);
	ck_assert_int_eq(set_vnet(&nh_a, 1, true), 0);
	for (k = 0; k < 6; k++)
		ck_assert_int_eq(netisr_queue(P_A,
		    &pkt(P_A, (uint16_t)(k % 2), 3)->vp_m), 0);
	__atomic_fetch_and(&netisr_proto[P_A].np_vnets, ~2ull,
	    __ATOMIC_RELAXED);
	host_cpu_bind(3);
	host_poll_drain();
	host_cpu_bind(0);
	ck_assert_uint_eq(t_handled, 3);
	ck_assert_uint_eq(t_freed, 3);
	ck_assert_uint_eq(t_disabled_handled + t_bad_vnet, 0);
	ck_assert_uint_eq(ws(3, P_A).nws_purged, 3);
	ck_assert_uint_eq(ws(3, P_A).nws_handled, 3);
	ck_assert_uint_eq(netisr_get_vnet_purged(1, P_A), 3);
	ck_assert_uint_eq(netisr_get_vnet_drops(1, P_A), 0);
	check_identity();
}
END_TEST

/* ---- curvnet ----------------------------------------------------------- */

static void *
other_thread(void *arg)
{
	*(unsigned *)arg = curvnet;
	return NULL;
}

START_TEST(test_curvnet_set_restore)
{
	pthread_t t;
	unsigned seen = 99;

	setup(NETISR_DISPATCH_DIRECT);
	ck_assert_uint_eq(curvnet, 0);
	{
		CURVNET_SET(3);
		ck_assert_uint_eq(curvnet, 3);
		{
			CURVNET_SET(5);
			ck_assert_uint_eq(curvnet, 5);
			/* Per thread on the host: a new thread is in 0. */
			ck_assert_int_eq(pthread_create(&t, NULL, other_thread,
			    &seen), 0);
			pthread_join(t, NULL);
			ck_assert_uint_eq(seen, 0);
			CURVNET_RESTORE();
		}
		ck_assert_uint_eq(curvnet, 3);
		CURVNET_RESTORE();
	}
	ck_assert_uint_eq(curvnet, 0);
}
END_TEST

/* Under each policy, direct, hybrid (local and remote) and queued. */
START_TEST(test_handler_runs_in_packet_vnet)
{
	struct vpkt *vps[4 * NCPU], *b[NETISR_MAXVNETS];
	struct mbuf *ms[NETISR_MAXVNETS];
	unsigned v, k, n = 0;

	setup(policies[_i]);
	for (v = 1; v < NETISR_MAXVNETS; v++)
		ck_assert_int_eq(set_vnet(&nh_a, v, true), 0);
	CURVNET_SET(NETISR_MAXVNETS - 1);		/* the caller's own */
	for (k = 0; k < 4 * NCPU; k++) {
		vps[k] = pkt(P_A, (uint16_t)(k % NETISR_MAXVNETS), k % NCPU);
		if (k % 3 == 2)
			ck_assert_int_eq(netisr_queue(P_A, &vps[k]->vp_m), 0);
		else
			ck_assert_int_eq(netisr_dispatch(P_A, &vps[k]->vp_m),
			    0);
		ck_assert_uint_eq(curvnet, NETISR_MAXVNETS - 1);
	}
	for (v = 0; v < NETISR_MAXVNETS; v++) {
		b[v] = pkt(P_A, (uint16_t)v, v);
		ms[v] = &b[v]->vp_m;
	}
	ck_assert_uint_eq(netisr_dispatch_batch(P_A, 0, ms, NETISR_MAXVNETS),
	    0);
	ck_assert_uint_eq(curvnet, NETISR_MAXVNETS - 1);
	drain_all();					/* as CPUs 0 .. 3 */
	ck_assert_uint_eq(curvnet, NETISR_MAXVNETS - 1);
	CURVNET_RESTORE();
	for (k = 0; k < 4 * NCPU; k++, n++)
		ck_assert_int_eq(vps[k]->vp_curvnet,
		    (int)vps[k]->vp_m.m_pkthdr.vnet);
	for (v = 0; v < NETISR_MAXVNETS; v++, n++)
		ck_assert_int_eq(b[v]->vp_curvnet, (int)v);
	ck_assert_uint_eq(t_handled, n);
	ck_assert_uint_eq(t_freed + t_bad_vnet, 0);
}
END_TEST

/* A handler dispatching on (ether -> ip): nested SET/RESTORE. */
START_TEST(test_nested_dispatch_keeps_vnet)
{
	struct vpkt *vp;

	setup(NETISR_DISPATCH_DIRECT);
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	ck_assert_int_eq(netisr_unregister(&nh_a), 0);
	host_cpus_stop();
	nh_a = handler(P_A, "a", t_forwarder);
	ck_assert_int_eq(netisr_register(&nh_a), 0);
	ck_assert_int_eq(set_vnet(&nh_a, 2, true), 0);
	ck_assert_int_eq(set_vnet(&nh_b, 2, true), 0);
	t_forward = true;
	vp = pkt(P_A, 2, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &vp->vp_m), 0);
	ck_assert_int_eq(vp->vp_curvnet, 2);
	ck_assert_uint_eq(curvnet, 0);
	/* B closed in vnet 2: A's handler still runs, B's drop is counted. */
	ck_assert_int_eq(set_vnet(&nh_b, 2, false), 0);
	vp = pkt(P_A, 2, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &vp->vp_m), 0);
	ck_assert_uint_eq(vp->vp_freed, 1);
	ck_assert_uint_eq(netisr_get_vnet_drops(2, P_B), 1);
	ck_assert_uint_eq(t_handled, 1);
	ck_assert_uint_eq(t_disabled_handled + t_bad_vnet, 0);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

START_TEST(test_vnet_errors)
{
	struct netisr_handler nh_c = handler(NETISR_IPV6, "c", t_handler);
	struct netisr_handler wrong = handler(P_A, "not-a", t_handler);
	struct vpkt *vp;

	setup(NETISR_DISPATCH_DIRECT);
	/* Not registered (number, name, NULL): -ENOENT, in any vnet. */
	ck_assert_int_eq(set_vnet(&nh_c, 1, true), -ENOENT);
	ck_assert_int_eq(set_vnet(&nh_c, 1, false), -ENOENT);
	ck_assert_int_eq(set_vnet(&wrong, 1, true), -ENOENT);
	ck_assert_int_eq(set_vnet(&wrong, 0, false), -ENOENT);
	ck_assert_int_eq(netisr_register_vnet(NULL), -ENOENT);
	ck_assert_int_eq(netisr_unregister_vnet(NULL), -ENOENT);
	ck_assert(!netisr_vnet_enabled(1, NETISR_IPV6));
	ck_assert(netisr_vnet_enabled(0, P_A));
	/* curvnet out of range: -EINVAL, nothing changes. */
	ck_assert_int_eq(set_vnet(&nh_a, NETISR_MAXVNETS, true), -EINVAL);
	ck_assert_int_eq(set_vnet(&nh_a, NETISR_MAXVNETS, false), -EINVAL);
	ck_assert_int_eq(set_vnet(&nh_a, 0xffff, true), -EINVAL);
	ck_assert(netisr_vnet_enabled(0, P_A));
	/* Accessors out of range read nothing. */
	ck_assert_uint_eq(netisr_get_vnet_drops(NETISR_MAXVNETS, P_A), 0);
	ck_assert_uint_eq(netisr_get_vnet_purged(0, NETISR_MAXPROT), 0);
	ck_assert_uint_eq(netisr_get_vnet_drops(0, 0), 0);
	/* Inside a handler the barrier is refused: -EDEADLK, still on. */
	host_cpus_start_range(1, NCPU - 1, NULL, NULL);
	ck_assert_int_eq(netisr_unregister(&nh_a), 0);
	host_cpus_stop();
	nh_a = handler(P_A, "a", t_forwarder);
	ck_assert_int_eq(netisr_register(&nh_a), 0);
	t_try_inner = true;
	vp = pkt(P_A, 0, 0);
	ck_assert_int_eq(netisr_dispatch(P_A, &vp->vp_m), 0);
	ck_assert_int_eq(t_inner_err, -EDEADLK);
	ck_assert(netisr_vnet_enabled(0, P_A));
	ck_assert_uint_eq(t_handled, 1);
	ck_assert_uint_ge(netisr_get_refused_waits(), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_vnet");
	TCase *tc = tcase_create("vnet");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_register_enables_vnet0_only);
	tcase_add_loop_test(tc, test_disabled_vnet_drops, 0,
	    sizeof(policies) / sizeof(policies[0]));
	tcase_add_test(tc, test_unregister_vnet_purges);
	tcase_add_test(tc, test_worker_checks_at_dequeue);
	tcase_add_test(tc, test_curvnet_set_restore);
	tcase_add_loop_test(tc, test_handler_runs_in_packet_vnet, 0,
	    sizeof(policies) / sizeof(policies[0]));
	tcase_add_test(tc, test_nested_dispatch_keeps_vnet);
	tcase_add_test(tc, test_vnet_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_vnet_stress.c: netisr's vnets under load, while one vnet's
 * protocols are disabled and enabled again and again
 * (net/netisr/netisr_vnet.c, the vnet checks of netisr.c); built with
 * ASan and with ThreadSanitizer.
 *
 * Design: every thread is a netisr CPU with a workstream (netisr_host.c).
 * CPUs 0 .. W-1 only poll; CPU 0 also toggles vnet 1: about TOGGLES times
 * per run it disables its three protocols (netisr_unregister_vnet(),
 * under the barrier, with curvnet 1) or enables them again
 * (netisr_register_vnet()).  CPUs W .. W+P-1 are producers: between polls
 * each sends bursts of packets of its own flows through
 * netisr_dispatch_src(), netisr_queue_src() or netisr_dispatch_batch().
 * A flow belongs to one producer, one of NVNETS vnets and one of three
 * FLOW protocols, whose dispatch policies are direct, hybrid and deferred,
 * so every path runs at once; its packets carry increasing sequence
 * numbers.  Protocol 2 is never enabled in vnet 3 (every such packet is
 * dropped at the door).  The queue limit exceeds the packets in flight,
 * so no queue ever overflows and every free is a vnet drop or a purge.
 *
 * The handler checks, at handle time, that its packet's vnet has the
 * protocol enabled (netisr.h: the bit is cleared only under the barrier,
 * when no handler runs, so a running handler must see it set), that
 * curvnet is the packet's vnet, and that the flow's sequence numbers
 * increase.  At the end (producers finished, toggling stopped, queues
 * drained by the running CPUs) the test checks exactly, per vnet and
 * protocol: sent = handled + vnet drops + purged, and the frees the
 * callback saw = vnet drops + purged; per protocol and CPU: handled as
 * observed = netisr's handled = dispatched + hybrid + queued - purged,
 * len 0, qdrops 0; the workstreams' purged add up to the per-vnet purged;
 * only vnets 1 (toggled) and 3 (protocol 2) drop or purge anything; no
 * violation; every packet is back in its pool once.
 *
 * Packet count: 1 million per configuration (P=4/W=2 and P=2/W=4) in
 * the ASan build (about 10 s for both on our 2-core machine), 2 million
 * under ThreadSanitizer (about 15 s for both);
 * NETISR_VNET_STRESS_PACKETS in the environment overrides it.
 *
 * Locking: per-flow sequence state is plain memory written by the
 * producer (next) and the flow's handler (last), so ThreadSanitizer flags
 * two handlers of one flow that netisr failed to order.  Per-CPU
 * observations are written by that CPU only; producers' counts by their
 * producer, read after it says it is done.  The free counts, progress and
 * the toggler's state are atomics.
 */
#include <check.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/errno.h"
#include "kernel/workq.h"
#include "tests/unit/netisr_host.h"

#define NVNETS			4	/* vnets the flows use */
#define V_TOGGLED		1
#define V_CLOSED		3	/* protocol PI_CLOSED never enabled */
#define PI_CLOSED		2
#define NPROTO			3
#define NFLOWS			960
#define POOL_PER_PRODUCER	256
#define QLIMIT			2048	/* > every packet in flight */
#define TOGGLES			100
#define BATCH_MAX		8
#define STRESS_PACKETS		3000000ull
#define STRESS_TSAN_PACKETS	3000000ull
#define QUIESCE_NS		(20ull * 1000000000ull)

static const unsigned protos[NPROTO] = { NETISR_IP, NETISR_ARP,
	NETISR_IPV6 };
static const unsigned dispatches[NPROTO] = { NETISR_DISPATCH_DIRECT,
	NETISR_DISPATCH_HYBRID, NETISR_DISPATCH_DEFERRED };
static const char *const names[NPROTO] = { "direct", "hybrid", "deferred" };

struct vspkt {
	struct mbuf		vs_m;		/* first: callbacks cast back */
	struct workq_item	vs_wi;		/* pool link */
	uint32_t		vs_flow;
	uint32_t		vs_seq;
	uint8_t			vs_pi;		/* index into protos[] */
	uint8_t			vs_prod;
};

struct producer {
	struct workq	pr_free;		/* packets handed back */
	struct workq_item *pr_list;		/* taken, not yet used */
	struct vspkt	*pr_pkts;
	uint64_t	pr_left;
	uint64_t	pr_sent[NVNETS][NPROTO];
	uint64_t	pr_errors;		/* unexpected results */
	uint32_t	pr_rand;
	uint32_t	pr_done;
} __attribute__((aligned(64)));

struct cpu_obs {
	uint64_t	co_handled[NVNETS][NPROTO];
	uint64_t	co_disabled;		/* handled in a disabled vnet */
	uint64_t	co_bad_curvnet;
	uint64_t	co_misordered;
} __attribute__((aligned(64)));

static struct netisr_handler nh[NPROTO];
static struct producer producers[NETISR_MAXCPU];
static struct cpu_obs obs[NETISR_MAXCPU];
static uint64_t freed[NVNETS][NPROTO];		/* atomic */
static uint32_t flow_next[NFLOWS], flow_last[NFLOWS];
static unsigned s_ncpus, s_nworkers, s_nproducers;
static uint64_t progress, toggle_every, next_toggle;	/* atomic */
static uint32_t stop_toggle, ntoggles, toggled_off;	/* atomic */
static uint32_t toggle_errors;				/* atomic */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Flow f: producer f % P; vnet and protocol from the rest. */
static unsigned
flow_vnet(uint32_t f)
{
	return (f / s_nproducers) % NVNETS;
}

static unsigned
flow_pi(uint32_t f)
{
	return (f / s_nproducers / NVNETS) % NPROTO;
}

static void
pool_put(struct vspkt *sp)
{
	workq_push(&producers[sp->vs_prod].pr_free, &sp->vs_wi);
}

static void
v_handler(struct mbuf *m)
{
	struct vspkt *sp = (struct vspkt *)m;
	struct cpu_obs *co = &obs[netisr_plat_curcpu()];
	unsigned v = m->m_pkthdr.vnet;

	co->co_handled[v][sp->vs_pi]++;
	if (!netisr_vnet_enabled(v, protos[sp->vs_pi]))
		co->co_disabled++;
	if (curvnet != v)
		co->co_bad_curvnet++;
	if (sp->vs_seq <= flow_last[sp->vs_flow])
		co->co_misordered++;
	flow_last[sp->vs_flow] = sp->vs_seq;
	pool_put(sp);
}

static void
v_free(struct mbuf *m)
{
	struct vspkt *sp = (struct vspkt *)m;

	__atomic_fetch_add(&freed[m->m_pkthdr.vnet][sp->vs_pi], 1,
	    __ATOMIC_RELAXED);
	pool_put(sp);
}

static struct vspkt *
pool_get(struct producer *pr)
{
	struct workq_item *wi;

	if (pr->pr_list == NULL)
		pr->pr_list = workq_take_all(&pr->pr_free);
	if ((wi = pr->pr_list) == NULL)
		return NULL;
	pr->pr_list = wi->wi_next;
	return (struct vspkt *)((char *)wi - offsetof(struct vspkt, vs_wi));
}

static uint32_t
rnd(struct producer *pr)
{
	uint32_t x = pr->pr_rand;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return pr->pr_rand = x;
}

/* A fresh packet of flow f, counted as sent. */
static struct vspkt *
make_pkt(struct producer *pr, uint32_t f)
{
	struct vspkt *sp = pool_get(pr);

	if (sp == NULL)
		return NULL;
	memset(&sp->vs_m, 0, sizeof(sp->vs_m));
	sp->vs_m.m_free = v_free;
	sp->vs_m.m_pkthdr.vnet = (uint16_t)flow_vnet(f);
	sp->vs_m.m_pkthdr.flowid = f * 2654435761u;
	M_HASHTYPE_SET(&sp->vs_m, M_HASHTYPE_OPAQUE);
	sp->vs_flow = f;
	sp->vs_seq = ++flow_next[f];
	sp->vs_pi = (uint8_t)flow_pi(f);
	pr->pr_sent[flow_vnet(f)][sp->vs_pi]++;
	pr->pr_left--;
	return sp;
}

/* 0, or a vnet drop's result for a packet whose vnet was closed. */
static void
check_rv(struct producer *pr, int rv)
{
	if (rv != 0 && rv != -EPROTONOSUPPORT)
		pr->pr_errors++;
}

/* Producer CPUs' hook: a few bursts, by single dispatch, queue or batch. */
static bool
v_produce(unsigned cpu, void *arg)
{
	struct producer *pr = &producers[cpu];
	struct mbuf *ms[BATCH_MAX];
	unsigned p = cpu - s_nworkers, b, k, n, burst, pi;
	struct vspkt *sp;
	uint64_t sent = 0;
	uint32_t f;

	(void)arg;
	if (pr->pr_left == 0) {
		if (!pr->pr_done)
			__atomic_store_n(&pr->pr_done, 1, __ATOMIC_RELEASE);
		return false;
	}
	/* Let CPU 0 toggle: each state gets its share of the traffic. */
	if (__atomic_load_n(&progress, __ATOMIC_RELAXED) >=
	    __atomic_load_n(&next_toggle, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&stop_toggle, __ATOMIC_RELAXED)) {
		netisr_plat_wake(0);
		sched_yield();
		return true;
	}
	for (b = 0; b < 4 && pr->pr_left > 0; b++) {
		f = p + s_nproducers * (rnd(pr) % (NFLOWS / s_nproducers));
		pi = flow_pi(f);
		burst = 1 + rnd(pr) % BATCH_MAX;
		if (rnd(pr) % 4 == 0) {			/* one batch */
			for (n = 0; n < burst && pr->pr_left > 0; n++) {
				if ((sp = make_pkt(pr, f)) == NULL)
					break;
				ms[n] = &sp->vs_m;
			}
			sent += n;
			k = netisr_dispatch_batch(protos[pi], f % 5, ms, n);
			if (flow_vnet(f) != V_TOGGLED && k != 0 &&
			    !(flow_vnet(f) == V_CLOSED && pi == PI_CLOSED))
				pr->pr_errors++;
			if (n < burst)
				goto out;		/* all in flight */
			continue;
		}
		for (k = 0; k < burst && pr->pr_left > 0; k++) {
			if ((sp = make_pkt(pr, f)) == NULL)
				goto out;		/* all in flight */
			sent++;
			/* Queueing under direct would overtake: not there. */
			if (dispatches[pi] != NETISR_DISPATCH_DIRECT &&
			    sp->vs_seq % 3 == 0)
				check_rv(pr, netisr_queue_src(protos[pi], f % 5,
				    &sp->vs_m));
			else
				check_rv(pr, netisr_dispatch_src(protos[pi],
				    f % 5, &sp->vs_m));
		}
	}
out:
	__atomic_fetch_add(&progress, sent, __ATOMIC_RELAXED);
	return true;
}

/* CPU 0's hook: flips vnet 1's protocols every toggle_every packets. */
static bool
v_toggle(unsigned cpu, void *arg)
{
	bool off;
	unsigned i;

	(void)cpu;
	(void)arg;
	if (__atomic_load_n(&stop_toggle, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&progress, __ATOMIC_RELAXED) <
	    __atomic_load_n(&next_toggle, __ATOMIC_RELAXED))
		return false;
	off = !__atomic_load_n(&toggled_off, __ATOMIC_RELAXED);
	CURVNET_SET(V_TOGGLED);
	for (i = 0; i < NPROTO; i++)
		if ((off ? netisr_unregister_vnet(&nh[i]) :
		    netisr_register_vnet(&nh[i])) != 0)
			__atomic_fetch_add(&toggle_errors, 1,
			    __ATOMIC_RELAXED);
	CURVNET_RESTORE();
	__atomic_store_n(&toggled_off, off, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ntoggles, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&next_toggle, next_toggle + toggle_every,
	    __ATOMIC_RELAXED);
	return true;
}

static uint64_t
packets_per_config(void)
{
	const char *env = getenv("NETISR_VNET_STRESS_PACKETS");

	if (env != NULL && strtoull(env, NULL, 0) > 0)
		return strtoull(env, NULL, 0);
#if defined(__SANITIZE_THREAD__)
	return STRESS_TSAN_PACKETS;
#else
	return STRESS_PACKETS;
#endif
}

static void
setup_run(unsigned np, unsigned nw, uint64_t total)
{
	struct netisr_config cfg = {
		.nc_ncpus = np + nw, .nc_defaultqlimit = QLIMIT,
		.nc_maxqlimit = QLIMIT, .nc_dispatch = NETISR_DISPATCH_DIRECT,
	};
	unsigned i, v, c;

	s_nproducers = np;
	s_nworkers = nw;
	s_ncpus = np + nw;
	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	for (i = 0; i < NPROTO; i++) {
		nh[i] = (struct netisr_handler){ .nh_name = names[i],
		    .nh_handler = v_handler, .nh_proto = protos[i],
		    .nh_policy = NETISR_POLICY_FLOW,
		    .nh_dispatch = dispatches[i] };
		ck_assert_int_eq(netisr_register(&nh[i]), 0);
		for (v = 1; v < NVNETS; v++) {
			if (v == V_CLOSED && i == PI_CLOSED)
				continue;
			CURVNET_SET(v);
			ck_assert_int_eq(netisr_register_vnet(&nh[i]), 0);
			CURVNET_RESTORE();
		}
	}
	memset(obs, 0, sizeof(obs));
	memset(freed, 0, sizeof(freed));
	memset(flow_next, 0, sizeof(flow_next));
	memset(flow_last, 0, sizeof(flow_last));
	progress = 0;
	stop_toggle = ntoggles = toggled_off = toggle_errors = 0;
	toggle_every = total / (TOGGLES + 1) > 0 ? total / (TOGGLES + 1) : 1;
	next_toggle = toggle_every;
	for (c = nw; c < s_ncpus; c++) {
		struct producer *pr = &producers[c];

		memset(pr, 0, sizeof(*pr));
		workq_init(&pr->pr_free);
		pr->pr_pkts = calloc(POOL_PER_PRODUCER, sizeof(struct vspkt));
		ck_assert_ptr_nonnull(pr->pr_pkts);
		for (i = 0; i < POOL_PER_PRODUCER; i++) {
			pr->pr_pkts[i].vs_prod = (uint8_t)c;
			pool_put(&pr->pr_pkts[i]);
		}
		pr->pr_left = total / np + (c - nw < total % np ? 1 : 0);
		pr->pr_rand = 0x9e3779b9u * (c + 1);
	}
}

/* Handled per protocol from netisr's counters (atomic reads). */
static uint64_t
handled_of(unsigned pi)
{
	struct netisr_work_stats s;
	uint64_t n = 0;
	unsigned c;

	for (c = 0; c < s_ncpus; c++) {
		netisr_work_stats(c, protos[pi], &s);
		n += s.nws_handled;
	}
	return n;
}

static unsigned
pool_count(struct producer *pr)
{
	struct workq_item *wi, *l = workq_take_all(&pr->pr_free);
	unsigned n = 0;

	for (wi = pr->pr_list; wi != NULL; wi = wi->wi_next)
		n++;
	for (wi = l; wi != NULL; wi = wi->wi_next)
		n++;
	return n;
}

static void
run_stress(unsigned np, unsigned nw)
{
	uint64_t total = packets_per_config(), t0, t1, errors = 0;
	uint64_t sent[NVNETS][NPROTO] = { { 0 } };
	uint64_t handled[NVNETS][NPROTO] = { { 0 } }, psent[NPROTO] = { 0 };
	uint64_t viol = 0, badvnet = 0, misordered = 0, wpurged, vpurged;
	unsigned c, i, v, done;
	bool converged = false;

	setup_run(np, nw, total);
	t0 = now_ns();
	host_cpus_start_range(0, 1, v_toggle, NULL);
	if (nw > 1)
		host_cpus_start_range(1, nw - 1, NULL, NULL);
	host_cpus_start_range(nw, np, v_produce, NULL);
	do {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
		for (done = 0, c = nw; c < s_ncpus; c++)
			done += __atomic_load_n(&producers[c].pr_done,
			    __ATOMIC_ACQUIRE);
	} while (done < np);
	__atomic_store_n(&stop_toggle, 1, __ATOMIC_RELEASE);
	for (c = nw; c < s_ncpus; c++)
		for (v = 0; v < NVNETS; v++)
			for (i = 0; i < NPROTO; i++) {
				sent[v][i] += producers[c].pr_sent[v][i];
				psent[i] += producers[c].pr_sent[v][i];
			}
	/* The running CPUs finish everything: no lost wake-up. */
	t1 = now_ns();
	while (!converged && now_ns() - t1 < QUIESCE_NS) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
		converged = true;
		for (i = 0; i < NPROTO; i++) {
			uint64_t fr = 0;

			for (v = 0; v < NVNETS; v++)
				fr += __atomic_load_n(&freed[v][i],
				    __ATOMIC_RELAXED);
			converged &= handled_of(i) + fr == psent[i];
		}
	}
	host_cpus_stop();
	t1 = now_ns();
	for (c = 0; c < s_ncpus; c++) {
		host_cpu_bind(c);
		host_poll_drain();
	}
	for (c = 0; c < s_ncpus; c++) {
		viol += obs[c].co_disabled;
		badvnet += obs[c].co_bad_curvnet;
		misordered += obs[c].co_misordered;
		for (v = 0; v < NVNETS; v++)
			for (i = 0; i < NPROTO; i++)
				handled[v][i] += obs[c].co_handled[v][i];
	}
	for (c = nw; c < s_ncpus; c++)
		errors += producers[c].pr_errors;
	printf("netisr vnet stress P=%u W=%u: %llu packets in %.2f s, "
	    "%u toggles of vnet %u\n", np, nw, (unsigned long long)total,
	    (double)(t1 - t0) / 1e9, ntoggles, V_TOGGLED);
	for (v = 0; v < NVNETS; v++)
		for (i = 0; i < NPROTO; i++)
			printf("  vnet %u %-8s sent %7llu handled %7llu drops "
			    "%6llu purged %5llu\n", v, names[i],
			    (unsigned long long)sent[v][i],
			    (unsigned long long)handled[v][i],
			    (unsigned long long)netisr_get_vnet_drops(v,
			    protos[i]),
			    (unsigned long long)netisr_get_vnet_purged(v,
			    protos[i]));
	ck_assert_msg(converged, "queued work left undone: lost wake-up");
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(toggle_errors, 0);
	ck_assert_uint_eq(viol, 0);
	ck_assert_uint_eq(badvnet, 0);
	ck_assert_uint_eq(misordered, 0);
	ck_assert_uint_ge(ntoggles, TOGGLES / 2);
	for (v = 0; v < NVNETS; v++)
		for (i = 0; i < NPROTO; i++) {
			uint64_t d = netisr_get_vnet_drops(v, protos[i]);
			uint64_t pu = netisr_get_vnet_purged(v, protos[i]);

			ck_assert_uint_eq(sent[v][i], handled[v][i] + d + pu);
			ck_assert_uint_eq(freed[v][i], d + pu);
			if (v == V_CLOSED && i == PI_CLOSED) {
				ck_assert_uint_eq(handled[v][i], 0);
				ck_assert_uint_eq(d, sent[v][i]);
			} else if (v != V_TOGGLED) {
				ck_assert_uint_eq(d + pu, 0);
			} else {
				ck_assert_uint_gt(d, 0);
				ck_assert_uint_gt(handled[v][i], 0);
			}
		}
	for (i = 0; i < NPROTO; i++) {
		for (wpurged = vpurged = 0, c = 0; c < s_ncpus; c++) {
			struct netisr_work_stats s;
			uint64_t seen = 0;

			netisr_work_stats(c, protos[i], &s);
			for (v = 0; v < NVNETS; v++)
				seen += obs[c].co_handled[v][i];
			ck_assert_uint_eq(seen, s.nws_handled);
			ck_assert_uint_eq(s.nws_len, 0);
			ck_assert_uint_eq(s.nws_qdrops, 0);
			ck_assert_uint_eq(s.nws_dispatched +
			    s.nws_hybrid_dispatched + s.nws_queued,
			    s.nws_handled + s.nws_purged);
			wpurged += s.nws_purged;
		}
		for (v = 0; v < NVNETS; v++)
			vpurged += netisr_get_vnet_purged(v, protos[i]);
		ck_assert_uint_eq(wpurged, vpurged);
	}
	ck_assert_uint_eq(netisr_get_badvnet_drops(), 0);
	ck_assert_uint_eq(netisr_get_unregistered_drops(), 0);
	for (c = nw; c < s_ncpus; c++) {
		ck_assert_uint_eq(pool_count(&producers[c]),
		    POOL_PER_PRODUCER);
		free(producers[c].pr_pkts);
	}
}

START_TEST(test_vnet_stress_p4_w2)
{
	run_stress(4, 2);
}
END_TEST

START_TEST(test_vnet_stress_p2_w4)
{
	run_stress(2, 4);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_vnet_stress");
	TCase *tc = tcase_create("stress");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_vnet_stress_p4_w2);
	tcase_add_test(tc, test_vnet_stress_p2_w4);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

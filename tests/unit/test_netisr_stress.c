/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_stress.c: netisr under load, while the global dispatch
 * policy keeps changing (acceptance point 4).
 *
 * Design: every thread is a netisr CPU with a workstream (netisr_host.c).
 * CPUs 0 .. W-1 only poll; CPU 0 also switches the global policy about
 * SWITCHES times per run, cycling direct -> hybrid -> deferred -> direct ->
 * deferred -> hybrid -> direct, which covers all six transitions.  CPUs
 * W .. W+P-1 are producers: between polls each sends bursts of packets of
 * its own flows.  1,000 flows each belong to one producer and one of three
 * protocols (FLOW with a hash, FLOW hashed by m2flow, SOURCE, CPU via
 * m2cpuid) and carry increasing sequence numbers; some flows mix in
 * netisr_queue() under hybrid and deferred.  The queue limit is
 * small, so packets are dropped.  Packets are preallocated; the handler
 * and m_free hand them back to their producer through a lock-free
 * kernel/workq.h list.
 *
 * At the end (producers finished, queues drained by the running CPUs, so
 * a missed wake-up shows as work never done) the test checks exactly:
 * per protocol sent = handled + qdrops = rejected + handled, handler calls
 * seen = handled; per CPU and protocol, handler calls seen on that CPU =
 * its handled counter, = dispatched + hybrid_dispatched + queued, and
 * drops freed for a packet whose placement (recomputed by the test) is
 * that CPU = its qdrops; in every flow, sequence numbers strictly
 * increase; every packet is back in its pool once.  Hot paths count
 * violations and the test asserts once, at the end.
 *
 * Packet count: 10 million per configuration (P=4/W=4 and P=8/W=2), in
 * the ASan build (about 10 s for both on our 2-core machine) and under
 * ThreadSanitizer (45-60 s for both).  NETISR_STRESS_PACKETS in the
 * environment overrides the count (for quick local runs).
 *
 * Locking: per-flow sequence state is written by the producer (next) and
 * by whichever CPU handles the flow (last): plain memory on purpose, so
 * that ThreadSanitizer reports any two handlers of one flow that netisr
 * failed to order.  Per-CPU observations are written by that CPU only.
 * Drop attribution counters and pools are atomics.
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

#define NFLOWS			1000
#define NPROTO			3
#define POOL_PER_PRODUCER	2048
#define QLIMIT			64
#define SWITCHES		200	/* policy changes per run, about */
#define STRESS_PACKETS		10000000ull
#define STRESS_TSAN_PACKETS	10000000ull
#define QUIESCE_NS		(20ull * 1000000000ull)

static const unsigned protos[NPROTO] = { NETISR_IP, NETISR_ARP, NETISR_IPV6 };

struct spkt {
	struct mbuf		sp_m;		/* first: handlers cast back */
	struct workq_item	sp_wi;		/* pool link */
	uint32_t		sp_flow;
	uint32_t		sp_seq;
	uint8_t			sp_pi;		/* index into protos[] */
	uint8_t			sp_prod;
};

struct producer {
	struct workq	pr_free;		/* packets handed back */
	struct workq_item *pr_list;		/* taken, not yet used */
	struct spkt	*pr_pkts;
	uint64_t	pr_left;		/* packets still to send */
	uint64_t	pr_sent[NPROTO];
	uint64_t	pr_rejected[NPROTO];	/* -ENOBUFS */
	uint64_t	pr_errors;		/* any other result */
	uint32_t	pr_rand;
	uint32_t	pr_done;
} __attribute__((aligned(64)));

struct cpu_obs {
	uint64_t	co_handled[NPROTO];
	uint64_t	co_misordered;
	uint64_t	co_wrong_cpu;
} __attribute__((aligned(64)));

static struct producer producers[NETISR_MAXCPU];
static struct cpu_obs obs[NETISR_MAXCPU];
static uint64_t drops_at[NETISR_MAXCPU][NPROTO];	/* atomic */
static uint32_t flow_next[NFLOWS];		/* producer's last seq */
static uint32_t flow_last[NFLOWS];		/* last seq handled */
static unsigned s_ncpus, s_nworkers, s_nproducers;
static uint32_t stop_switch, nswitches;
static uint64_t progress;		/* packets sent so far, atomic */
static uint64_t switch_every, next_switch;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t
flow_hash(uint32_t f)
{
	return f * 2654435761u;
}

/* Protocol index of flow f: producers own f % P, so mix in f / P. */
static unsigned
flow_proto(uint32_t f)
{
	return (f / s_nproducers) % NPROTO;
}

static unsigned
flow_cpuid(uint32_t f)
{
	return (f * 7) % 97;
}

/* Where netisr must queue a packet of flow f (all CPUs have workstreams). */
static unsigned
expected_target(const struct spkt *sp)
{
	uint32_t f = sp->sp_flow;

	switch (sp->sp_pi) {
	case 0:
		return netisr_default_flow2cpu(flow_hash(f));
	case 1:
		return ((uint16_t)f + f % 5) % s_ncpus;
	default:
		return flow_cpuid(f) % s_ncpus;
	}
}

static void
pool_put(struct spkt *sp)
{
	workq_push(&producers[sp->sp_prod].pr_free, &sp->sp_wi);
}

static void
s_handler(struct mbuf *m)
{
	struct spkt *sp = (struct spkt *)m;
	struct cpu_obs *co = &obs[netisr_plat_curcpu()];

	co->co_handled[sp->sp_pi]++;
	if (sp->sp_seq <= flow_last[sp->sp_flow])
		co->co_misordered++;
	flow_last[sp->sp_flow] = sp->sp_seq;
	pool_put(sp);
}

/* Drops: attribute each to the workstream the test says it was bound for. */
static void
s_free(struct mbuf *m)
{
	struct spkt *sp = (struct spkt *)m;

	__atomic_fetch_add(&drops_at[expected_target(sp)][sp->sp_pi], 1,
	    __ATOMIC_RELAXED);
	pool_put(sp);
}

static struct mbuf *
s_m2flow(struct mbuf *m, uintptr_t source)
{
	(void)source;
	m->m_pkthdr.flowid = flow_hash(((struct spkt *)m)->sp_flow);
	M_HASHTYPE_SET(m, M_HASHTYPE_OPAQUE);
	return m;
}

static struct mbuf *
s_m2cpuid(struct mbuf *m, uintptr_t source, unsigned *cpuid)
{
	(void)source;
	*cpuid = flow_cpuid(((struct spkt *)m)->sp_flow);
	return m;
}

static struct spkt *
pool_get(struct producer *pr)
{
	struct workq_item *wi;

	if (pr->pr_list == NULL)
		pr->pr_list = workq_take_all(&pr->pr_free);
	if ((wi = pr->pr_list) == NULL)
		return NULL;
	pr->pr_list = wi->wi_next;
	return (struct spkt *)((char *)wi - offsetof(struct spkt, sp_wi));
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

/* Producer CPUs' hook: a few bursts of 1-8 packets of one own flow. */
static bool
s_produce(unsigned cpu, void *arg)
{
	struct producer *pr = &producers[cpu];
	unsigned p = cpu - s_nworkers, burst, b, k, pi;
	struct spkt *sp;
	uint64_t sent = 0;
	uint32_t f;
	int rv;

	(void)arg;
	if (pr->pr_left == 0) {
		if (!pr->pr_done)
			__atomic_store_n(&pr->pr_done, 1, __ATOMIC_RELEASE);
		return false;
	}
	/* Wait for CPU 0 to switch: each policy gets its share of packets. */
	if (__atomic_load_n(&progress, __ATOMIC_RELAXED) >=
	    __atomic_load_n(&next_switch, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&stop_switch, __ATOMIC_RELAXED)) {
		netisr_plat_wake(0);
		sched_yield();
		return true;
	}
	for (b = 0; b < 4 && pr->pr_left > 0; b++) {
		f = p + s_nproducers * (rnd(pr) % (NFLOWS / s_nproducers));
		pi = flow_proto(f);
		burst = 1 + rnd(pr) % 8;
		for (k = 0; k < burst && pr->pr_left > 0; k++) {
			if ((sp = pool_get(pr)) == NULL)
				goto out;	/* all in flight: poll */
			memset(&sp->sp_m, 0, sizeof(sp->sp_m));
			sp->sp_m.m_free = s_free;
			sp->sp_flow = f;
			sp->sp_seq = ++flow_next[f];
			sp->sp_pi = (uint8_t)pi;
			sp->sp_m.m_pkthdr.rcvif = (uint16_t)f;
			if (pi == 0 && f % 4 != 0) {
				sp->sp_m.m_pkthdr.flowid = flow_hash(f);
				M_HASHTYPE_SET(&sp->sp_m, M_HASHTYPE_OPAQUE);
			}
			pr->pr_sent[pi]++;
			pr->pr_left--;
			sent++;
			/*
			 * Some flows sometimes go through netisr_queue(): a
			 * later hybrid packet must not overtake them.  Not
			 * under direct, which by design runs ahead of queues
			 * (the policy cannot change until this CPU polls).
			 */
			if ((f / s_nproducers) % 4 == 1 && sp->sp_seq % 4 == 0 &&
			    netisr_get_dispatch() != NETISR_DISPATCH_DIRECT)
				rv = netisr_queue_src(protos[pi], f % 5,
				    &sp->sp_m);
			else
				rv = netisr_dispatch_src(protos[pi], f % 5,
				    &sp->sp_m);
			if (rv == -ENOBUFS)
				pr->pr_rejected[pi]++;
			else if (rv != 0)
				pr->pr_errors++;
		}
	}
out:
	__atomic_fetch_add(&progress, sent, __ATOMIC_RELAXED);
	return true;
}

/*
 * CPU 0's hook: change the global dispatch policy every total / SWITCHES
 * packets (by packets rather than time, so that the slower policies get
 * their share of the traffic).
 */
static bool
s_switch(unsigned cpu, void *arg)
{
	static const unsigned cycle[] = {
		NETISR_DISPATCH_DIRECT, NETISR_DISPATCH_HYBRID,
		NETISR_DISPATCH_DEFERRED, NETISR_DISPATCH_DIRECT,
		NETISR_DISPATCH_DEFERRED, NETISR_DISPATCH_HYBRID,
	};
	(void)cpu;
	(void)arg;
	if (__atomic_load_n(&stop_switch, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&progress, __ATOMIC_RELAXED) < next_switch)
		return false;
	if (netisr_set_dispatch(cycle[nswitches % 6]) == 0)
		__atomic_fetch_add(&nswitches, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&next_switch, next_switch + switch_every,
	    __ATOMIC_RELAXED);
	return true;
}

static void
totals(uint64_t handled[NPROTO], uint64_t drops[NPROTO])
{
	struct netisr_work_stats s;
	unsigned c, i;

	for (i = 0; i < NPROTO; i++) {
		handled[i] = drops[i] = 0;
		for (c = 0; c < s_ncpus; c++) {
			netisr_work_stats(c, protos[i], &s);
			handled[i] += s.nws_handled;
			drops[i] += s.nws_qdrops;
		}
	}
}

static uint64_t
packets_per_config(void)
{
	const char *env = getenv("NETISR_STRESS_PACKETS");

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
		.nc_maxqlimit = 1024, .nc_dispatch = NETISR_DISPATCH_DEFERRED,
	};
	struct netisr_handler nh[NPROTO] = {
		{ .nh_name = "flow", .nh_handler = s_handler,
		  .nh_m2flow = s_m2flow, .nh_proto = protos[0],
		  .nh_policy = NETISR_POLICY_FLOW },
		{ .nh_name = "source", .nh_handler = s_handler,
		  .nh_proto = protos[1], .nh_policy = NETISR_POLICY_SOURCE },
		{ .nh_name = "cpu", .nh_handler = s_handler,
		  .nh_m2cpuid = s_m2cpuid, .nh_proto = protos[2],
		  .nh_policy = NETISR_POLICY_CPU },
	};
	unsigned i, c;

	s_nproducers = np;
	s_nworkers = nw;
	s_ncpus = np + nw;
	ck_assert_int_eq(netisr_init(&cfg), 0);
	host_reset();
	for (i = 0; i < NPROTO; i++)
		ck_assert_int_eq(netisr_register(&nh[i]), 0);
	memset(obs, 0, sizeof(obs));
	memset(drops_at, 0, sizeof(drops_at));
	memset(flow_next, 0, sizeof(flow_next));
	memset(flow_last, 0, sizeof(flow_last));
	stop_switch = nswitches = 0;
	progress = 0;
	/* The last stretch runs without a barrier after it (wake-ups). */
	switch_every = total / (SWITCHES + 1) > 0 ? total / (SWITCHES + 1) : 1;
	next_switch = switch_every;
	for (c = nw; c < s_ncpus; c++) {
		struct producer *pr = &producers[c];

		memset(pr, 0, sizeof(*pr));
		workq_init(&pr->pr_free);
		pr->pr_pkts = calloc(POOL_PER_PRODUCER, sizeof(struct spkt));
		ck_assert_ptr_nonnull(pr->pr_pkts);
		for (i = 0; i < POOL_PER_PRODUCER; i++) {
			pr->pr_pkts[i].sp_prod = (uint8_t)c;
			pool_put(&pr->pr_pkts[i]);
		}
		pr->pr_left = total / np + (c - nw < total % np ? 1 : 0);
		pr->pr_rand = 0x9e3779b9u * (c + 1);
	}
}

/* Counts the packets back in producer c's pool (CPU threads stopped). */
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
	uint64_t total = packets_per_config(), t0, t1;
	uint64_t sent[NPROTO] = { 0 }, rejected[NPROTO] = { 0 };
	uint64_t handled[NPROTO], drops[NPROTO], seen[NPROTO] = { 0 };
	uint64_t misordered = 0, errors = 0, direct = 0, hybrid = 0;
	uint64_t queued = 0;
	unsigned c, i, done;
	bool converged = false;

	setup_run(np, nw, total);
	t0 = now_ns();
	host_cpus_start_range(0, 1, s_switch, NULL);
	if (nw > 1)
		host_cpus_start_range(1, nw - 1, NULL, NULL);
	host_cpus_start_range(nw, np, s_produce, NULL);
	do {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
		for (done = 0, c = nw; c < s_ncpus; c++)
			done += __atomic_load_n(&producers[c].pr_done,
			    __ATOMIC_ACQUIRE);
	} while (done < np);
	__atomic_store_n(&stop_switch, 1, __ATOMIC_RELEASE);
	for (c = nw; c < s_ncpus; c++)
		for (i = 0; i < NPROTO; i++)
			sent[i] += producers[c].pr_sent[i];
	/* The running CPUs must finish everything: no lost wake-up. */
	t1 = now_ns();
	while (!converged && now_ns() - t1 < QUIESCE_NS) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
		totals(handled, drops);
		converged = true;
		for (i = 0; i < NPROTO; i++)
			converged &= handled[i] + drops[i] == sent[i];
	}
	host_cpus_stop();
	t1 = now_ns();
	/* Whatever is left (only if a wake-up was lost) runs here. */
	for (c = 0; c < s_ncpus; c++) {
		host_cpu_bind(c);
		host_poll_drain();
	}
	totals(handled, drops);
	for (c = nw; c < s_ncpus; c++) {
		for (i = 0; i < NPROTO; i++)
			rejected[i] += producers[c].pr_rejected[i];
		errors += producers[c].pr_errors;
	}
	printf("netisr stress P=%u W=%u: %llu packets in %.2f s, "
	    "%u policy switches\n", np, nw, (unsigned long long)total,
	    (double)(t1 - t0) / 1e9, nswitches);
	for (i = 0; i < NPROTO; i++)
		printf("  proto %u: sent %llu handled %llu qdrops %llu\n",
		    protos[i], (unsigned long long)sent[i],
		    (unsigned long long)handled[i],
		    (unsigned long long)drops[i]);
	for (c = 0; c < s_ncpus; c++)
		for (i = 0; i < NPROTO; i++) {
			struct netisr_work_stats s;

			netisr_work_stats(c, protos[i], &s);
			direct += s.nws_dispatched;
			hybrid += s.nws_hybrid_dispatched;
			queued += s.nws_queued;
		}
	printf("  direct %llu hybrid-inline %llu queued %llu\n",
	    (unsigned long long)direct, (unsigned long long)hybrid,
	    (unsigned long long)queued);
	ck_assert_msg(converged, "queued work left undone: lost wake-up");
	ck_assert_uint_eq(errors, 0);
	for (c = 0; c < s_ncpus; c++) {
		misordered += obs[c].co_misordered;
		for (i = 0; i < NPROTO; i++) {
			struct netisr_work_stats s;

			netisr_work_stats(c, protos[i], &s);
			seen[i] += obs[c].co_handled[i];
			ck_assert_uint_eq(s.nws_len, 0);
			ck_assert_uint_le(s.nws_watermark, QLIMIT);
			/* Handled on this CPU: as observed, and accounted. */
			ck_assert_uint_eq(obs[c].co_handled[i], s.nws_handled);
			ck_assert_uint_eq(s.nws_handled, s.nws_dispatched +
			    s.nws_hybrid_dispatched + s.nws_queued);
			/* Each drop counted where the packet was bound. */
			ck_assert_uint_eq(drops_at[c][i], s.nws_qdrops);
		}
	}
	for (i = 0; i < NPROTO; i++) {
		ck_assert_uint_eq(sent[i], handled[i] + drops[i]);
		ck_assert_uint_eq(seen[i], handled[i]);
		ck_assert_uint_eq(rejected[i], drops[i]);
	}
	ck_assert_uint_eq(sent[0] + sent[1] + sent[2], total);
	ck_assert_uint_eq(misordered, 0);
	for (c = nw; c < s_ncpus; c++) {
		ck_assert_uint_eq(pool_count(&producers[c]),
		    POOL_PER_PRODUCER);
		free(producers[c].pr_pkts);
	}
	/* Every policy really ran. */
	ck_assert_uint_ge(nswitches, SWITCHES / 2);
	ck_assert_uint_gt(direct, 0);
	ck_assert_uint_gt(hybrid, 0);
	ck_assert_uint_gt(queued, 0);
	ck_assert_uint_gt(drops[0] + drops[1] + drops[2], 0);
}

START_TEST(test_stress_p4_w4)
{
	run_stress(4, 4);
}
END_TEST

START_TEST(test_stress_p8_w2)
{
	run_stress(8, 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_stress");
	TCase *tc = tcase_create("stress");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_stress_p4_w4);
	tcase_add_test(tc, test_stress_p8_w2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_test.c: the "test" protocol (NETISR_TEST, FLOW policy), and the
 * in-guest checks built on it: `selftest netisr` and `bench netisr`.
 *
 * Test packets are preallocated (no allocation while dispatching).  Each
 * carries a flow and a per-flow sequence number; the handler checks that
 * every flow's sequence only goes up and counts packets per CPU and, with
 * a hash, whether the packet ran on the CPU netisr_default_flow2cpu()
 * names.  Flow f is produced by CPU f mod ncpus, so each flow has one
 * source, and order is well defined.
 *
 * Locking: the per-flow and per-CPU counters are atomics; a flow's
 * sequence is written only by the CPU handling that flow at that moment
 * (netisr's ordering guarantee is what the test checks).
 */
#include <stddef.h>

#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/libc.h"
#include "kernel/netisr_kern.h"
#include "kernel/percpu.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"
#include "net/netisr/netisr.h"
#include "net/netisr/toeplitz.h"

#define NT_FLOWS		64
#define NT_PKTS			4096	/* per policy round */
#define NT_WAIT_US		5000000
#define NT_BENCH_ITERS		20000
#define NT_BATCH		32
#define NT_TOEPLITZ_ITERS	20000
#define NT_TUPLE_V4		12

struct nt_pkt {
	struct mbuf	np_m;
	uint32_t	np_flow;
	uint32_t	np_seq;
	uint32_t	np_cpu;		/* producer */
};

static struct nt_pkt nt_pkts[NT_PKTS];
static uint32_t nt_last_seq[NT_FLOWS];
static uint32_t nt_handled, nt_freed, nt_misordered, nt_misplaced;
static uint32_t nt_on_cpu[MAXCPU];
static uint32_t nt_next_seq[NT_FLOWS];
static bool nt_check_place;

static void
nt_handler(struct mbuf *m)
{
	struct nt_pkt *p = (struct nt_pkt *)m;
	uint32_t me = curcpu()->pc_id;

	if (p->np_seq <= nt_last_seq[p->np_flow] && p->np_seq != 0)
		__atomic_fetch_add(&nt_misordered, 1, __ATOMIC_RELAXED);
	nt_last_seq[p->np_flow] = p->np_seq;
	if (nt_check_place && me != netisr_default_flow2cpu(m->m_pkthdr.flowid))
		__atomic_fetch_add(&nt_misplaced, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&nt_on_cpu[me], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&nt_handled, 1, __ATOMIC_RELEASE);
}

static void
nt_free(struct mbuf *m)
{
	(void)m;
	__atomic_fetch_add(&nt_freed, 1, __ATOMIC_RELEASE);
}

static const struct netisr_handler nt_handler_desc = {
	.nh_name = "test",
	.nh_handler = nt_handler,
	.nh_proto = NETISR_TEST,
	.nh_policy = NETISR_POLICY_FLOW,
	.nh_dispatch = NETISR_DISPATCH_DEFAULT,
};

int
netisr_test_register(void)
{
	return netisr_register(&nt_handler_desc);
}

static void
nt_reset(void)
{
	uint32_t i;

	for (i = 0; i < NT_FLOWS; i++)
		nt_last_seq[i] = nt_next_seq[i] = 0;
	for (i = 0; i < MAXCPU; i++)
		nt_on_cpu[i] = 0;
	nt_handled = nt_freed = nt_misordered = nt_misplaced = 0;
}

/* Producer on one CPU: dispatches the packets of the flows it owns. */
static void
nt_produce(void *arg)
{
	uint32_t ncpu = *(uint32_t *)arg, me = curcpu()->pc_id, i;

	for (i = 0; i < NT_PKTS; i++) {
		struct nt_pkt *p = &nt_pkts[i];

		if (p->np_cpu != me)
			continue;
		p->np_m = (struct mbuf){ .m_free = nt_free };
		p->np_m.m_pkthdr.flowid = p->np_flow * 2654435761u;
		M_HASHTYPE_SET(&p->np_m, M_HASHTYPE_OPAQUE);
		netisr_dispatch_src(NETISR_TEST, me, &p->np_m);
	}
	(void)ncpu;
}

static uint64_t
nt_qdrops(void)
{
	uint64_t d;

	netisr_getqdrops(&nt_handler_desc, &d);
	return d;
}

/* One round under policy; returns 0 or the line number of a failure. */
static int
nt_round(struct selftest_ctx *ctx, unsigned policy)
{
	uint32_t ncpu = ncpus_online(), i, c;
	uint64_t t0, drops0;

	ST_CHECK(netisr_set_dispatch(policy) == 0);
	ST_CHECK(netisr_get_dispatch() == policy);
	nt_reset();
	drops0 = nt_qdrops();
	nt_check_place = policy != NETISR_DISPATCH_DIRECT &&
	    netisr_get_cpucount() == ncpu;
	for (i = 0; i < NT_PKTS; i++) {
		nt_pkts[i].np_flow = i % NT_FLOWS;
		nt_pkts[i].np_seq = ++nt_next_seq[i % NT_FLOWS];
		nt_pkts[i].np_cpu = (i % NT_FLOWS) % ncpu;
	}
	for (c = 0; c < ncpu; c++)
		ST_CHECK(smp_call_sync(c, nt_produce, &ncpu) == 0);
	t0 = uptime_us();
	while (__atomic_load_n(&nt_handled, __ATOMIC_ACQUIRE) +
	    __atomic_load_n(&nt_freed, __ATOMIC_ACQUIRE) < NT_PKTS) {
		ST_CHECK(uptime_us() - t0 < NT_WAIT_US);
		coreloop_poll_once();
	}
	ST_CHECK(nt_handled + nt_freed == NT_PKTS);
	ST_CHECK(nt_qdrops() - drops0 == nt_freed);
	ST_CHECK(nt_misordered == 0);
	ST_CHECK(nt_misplaced == 0);
	return 0;
}

SELFTEST(netisr)
{
	unsigned saved = netisr_get_dispatch();
	int err;

	if ((err = nt_round(ctx, NETISR_DISPATCH_DEFERRED)) != 0 ||
	    (err = nt_round(ctx, NETISR_DISPATCH_HYBRID)) != 0 ||
	    (err = nt_round(ctx, NETISR_DISPATCH_DIRECT)) != 0) {
		netisr_set_dispatch(saved);
		return err;
	}
	ST_CHECK(netisr_set_dispatch(saved) == 0);
	return 0;
}

/* ---- bench netisr ------------------------------------------------------ */

static uint32_t
nt_flow_for_cpu(uint32_t cpu)
{
	uint32_t f;

	for (f = 0; f < NETISR_RSS_BUCKETS; f++)
		if (netisr_default_flow2cpu(f) == cpu)
			return f;
	return 0;
}

static void
nt_prep(uint32_t n, uint32_t flowid)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		nt_pkts[i].np_m = (struct mbuf){ .m_free = nt_free };
		nt_pkts[i].np_m.m_pkthdr.flowid = flowid;
		nt_pkts[i].np_flow = 0;
		nt_pkts[i].np_seq = 0;
		M_HASHTYPE_SET(&nt_pkts[i].np_m, M_HASHTYPE_OPAQUE);
	}
}

/* Cycles per packet dispatching under policy to flowid's CPU. */
static uint64_t
nt_bench_dispatch(unsigned policy, uint32_t flowid, bool remote)
{
	uint64_t t0, t1, want;
	uint32_t i, b;

	netisr_set_dispatch(policy);
	nt_reset();
	nt_check_place = false;
	t0 = rdtsc();
	for (i = 0; i < NT_BENCH_ITERS; i += NT_BATCH) {
		nt_prep(NT_BATCH, flowid);
		want = __atomic_load_n(&nt_handled, __ATOMIC_ACQUIRE) +
		    __atomic_load_n(&nt_freed, __ATOMIC_ACQUIRE) + NT_BATCH;
		for (b = 0; b < NT_BATCH; b++)
			netisr_dispatch(NETISR_TEST, &nt_pkts[b].np_m);
		if (!remote)
			while (netisr_poll(curcpu()->pc_id))
				;
		while (__atomic_load_n(&nt_handled, __ATOMIC_ACQUIRE) +
		    __atomic_load_n(&nt_freed, __ATOMIC_ACQUIRE) < want)
			cpu_relax();
	}
	t1 = rdtsc();
	return (t1 - t0) / NT_BENCH_ITERS;
}

static uint64_t
nt_bench_toeplitz(bool fast)
{
	static const uint8_t tuple[NT_TUPLE_V4] = { 66, 9, 149, 187, 161, 142,
	    100, 80, 0x0a, 0xea, 0x06, 0xe6 };
	const struct toeplitz_table *t = toeplitz_default();
	volatile uint32_t sink = 0;
	uint64_t t0;
	uint32_t i;

	t0 = rdtsc();
	for (i = 0; i < NT_TOEPLITZ_ITERS; i++)
		sink ^= fast ? toeplitz_hash(t, tuple, sizeof(tuple)) :
		    toeplitz_hash_ref(toeplitz_ms_key, TOEPLITZ_KEY_LEN, tuple,
		    sizeof(tuple));
	(void)sink;
	return (rdtsc() - t0) / NT_TOEPLITZ_ITERS;
}

static int
cmd_bench(int argc, char **argv)
{
	unsigned saved = netisr_get_dispatch();
	uint32_t me = curcpu()->pc_id, other;

	if (argc != 2 || strcmp(argv[1], "netisr") != 0) {
		printk("usage: bench netisr\n");
		return -1;
	}
	printk("bench: netisr direct %lu cycles/pkt\n",
	    nt_bench_dispatch(NETISR_DISPATCH_DIRECT, nt_flow_for_cpu(me),
	    false));
	printk("bench: netisr hybrid-local %lu cycles/pkt\n",
	    nt_bench_dispatch(NETISR_DISPATCH_HYBRID, nt_flow_for_cpu(me),
	    false));
	printk("bench: netisr deferred-local %lu cycles/pkt\n",
	    nt_bench_dispatch(NETISR_DISPATCH_DEFERRED, nt_flow_for_cpu(me),
	    false));
	if (netisr_get_cpucount() > 1) {
		other = netisr_get_cpuid(me == netisr_get_cpuid(0) ? 1 : 0);
		printk("bench: netisr deferred-remote %lu cycles/pkt "
		    "(batch %d, cpu %u -> %u)\n",
		    nt_bench_dispatch(NETISR_DISPATCH_DEFERRED,
		    nt_flow_for_cpu(other), true), NT_BATCH, me, other);
	}
	netisr_set_dispatch(saved);
	printk("bench: toeplitz ref ipv4 4-tuple %lu cycles\n",
	    nt_bench_toeplitz(false));
	printk("bench: toeplitz fast ipv4 4-tuple %lu cycles\n",
	    nt_bench_toeplitz(true));
	printk("bench: under TCG these include emulation; not targets\n");
	return 0;
}
SHELL_CMD(bench, "bench netisr: dispatch and Toeplitz cost in cycles",
    cmd_bench);

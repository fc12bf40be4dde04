/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp_cmds.c: the `cpus` and `smp ipitest` shell commands.
 *
 * `cpus` shows every CPU's counters; busy % is measured over the window
 * since the previous `cpus` (since the CPU came online, the first time).
 *
 * `smp ipitest [n]` measures IPI round trips for every ordered pair of
 * CPUs (a, b): running on a (through smp_call_sync), it writes its id into
 * b's mailbox, sends VEC_IPI_PING to b, whose handler answers with
 * VEC_IPI_PONG, whose handler on a sets a flag; a times that with the TSC.
 * It prints the median and the 99th percentile in cycles and nanoseconds.
 *
 * Locking: the `cpus` snapshot is touched only by the shell's CPU.  The
 * ipitest mailboxes (pc_ping_from, pc_pong) are atomics; one pair runs at
 * a time because the shell waits for each.
 */
#include <stddef.h>

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/vectors.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"

#define PERMILLE		1000
#define IPITEST_DEFAULT		50
#define IPITEST_MAX		1000
#define IPITEST_TIMEOUT_US	1000000	/* TCG vCPUs can stall for ms */
#define PERCENTILE_99		99
#define PERCENT			100

struct cpus_snap {
	uint64_t	cs_tsc;
	uint64_t	cs_idle;
};

static struct cpus_snap cpus_last[MAXCPU];

static void
print_vector(int vec, const char *owner, uint32_t cpu, uint64_t count)
{
	printk("vector %d cpu %u %s intrs %lu\n", vec, cpu, owner, count);
}

static int
cmd_cpus(int argc, char **argv)
{
	uint64_t now = rdtsc(), window = 0, total, idle, busy;
	struct percpu *pc;
	uint32_t i;

	(void)argc;
	(void)argv;
	if (cpus_last[0].cs_tsc != 0)
		window = now - cpus_last[0].cs_tsc;
	else
		window = now - percpu_get(0)->pc_start_tsc;
	printk("cpus: hz %d uptime %lu us window %lu us\n", CALLOUT_HZ,
	    uptime_us(), tsc_to_us(window));
	for (i = 0; (pc = percpu_get(i)) != NULL; i++) {
		struct cpus_snap *s = &cpus_last[i];

		idle = __atomic_load_n(&pc->pc_idle_cycles, __ATOMIC_RELAXED);
		if (s->cs_tsc == 0) {
			s->cs_tsc = pc->pc_start_tsc;
			s->cs_idle = 0;
		}
		total = now - s->cs_tsc;
		idle -= s->cs_idle;
		busy = total > idle ? total - idle : 0;
		busy = total != 0 ? busy * PERMILLE / total : 0;
		printk("cpu %u: apic %u online %d loops %lu work %lu ipis %lu "
		    "intrs %lu ticks %lu busy %lu.%lu%%\n", pc->pc_id,
		    pc->pc_apic_id, pc->pc_online ? 1 : 0, pc->pc_loops,
		    pc->pc_work, pc->pc_ipis, pc->pc_intrs, pc->pc_ticks,
		    busy / 10, busy % 10);
		s->cs_tsc = now;
		s->cs_idle += idle;
	}
	vector_foreach(print_vector);
	printk("lapic: errors %lu\n", lapic_errors());
	return 0;
}
SHELL_CMD(cpus, "per-CPU loop, work, IPI, interrupt, tick and busy counters",
    cmd_cpus);

struct ipitest_pair {
	uint32_t	ip_to;
	uint32_t	ip_n;
	uint64_t	*ip_samples;
	int		ip_timeouts;
};

static void
ping_intr(struct trapframe *tf)
{
	struct percpu *pc = curcpu(), *from;

	(void)tf;
	__atomic_store_n(&pc->pc_intrs, pc->pc_intrs + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->pc_ipis, pc->pc_ipis + 1, __ATOMIC_RELAXED);
	from = percpu_get(__atomic_load_n(&pc->pc_ping_from,
	    __ATOMIC_ACQUIRE));
	lapic_eoi();
	if (from != NULL)
		lapic_send_ipi(from->pc_apic_id, VEC_IPI_PONG);
}

static void
pong_intr(struct trapframe *tf)
{
	struct percpu *pc = curcpu();

	(void)tf;
	__atomic_store_n(&pc->pc_intrs, pc->pc_intrs + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->pc_ipis, pc->pc_ipis + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&pc->pc_pong, 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

/* Runs on the sending CPU; fills ip_samples with round-trip cycles. */
static void
ipitest_run_pair(void *arg)
{
	struct ipitest_pair *p = arg;
	struct percpu *me = curcpu(), *to = percpu_get(p->ip_to);
	uint64_t t0, limit = IPITEST_TIMEOUT_US * (tsc_hz() / 1000000);
	uint32_t k;

	for (k = 0; k < p->ip_n; k++) {
		__atomic_store_n(&to->pc_ping_from, me->pc_id,
		    __ATOMIC_RELEASE);
		__atomic_store_n(&me->pc_pong, 0, __ATOMIC_SEQ_CST);
		t0 = rdtsc();
		lapic_send_ipi(to->pc_apic_id, VEC_IPI_PING);
		while (!__atomic_load_n(&me->pc_pong, __ATOMIC_ACQUIRE)) {
			if (rdtsc() - t0 > limit) {
				p->ip_timeouts++;
				return;
			}
			cpu_relax();
		}
		p->ip_samples[k] = rdtsc() - t0;
	}
}

static void
sort_u64(uint64_t *v, uint32_t n)
{
	uint32_t i, j;
	uint64_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int
ipitest(uint32_t n)
{
	uint32_t ncpu = ncpus_started(), a, b, pairs = 0;
	struct ipitest_pair p;
	uint64_t med, p99;

	if (ncpu < 2) {
		printk("ipitest: needs at least 2 CPUs\n");
		return -1;
	}
	p.ip_samples = kmem_alloc(n * sizeof(uint64_t));
	if (p.ip_samples == NULL) {
		printk("ipitest: out of memory\n");
		return -1;
	}
	p.ip_n = n;
	for (a = 0; a < ncpu; a++) {
		for (b = 0; b < ncpu; b++) {
			if (a == b)
				continue;
			p.ip_to = b;
			p.ip_timeouts = 0;
			if (smp_call_sync(a, ipitest_run_pair, &p) != 0 ||
			    p.ip_timeouts != 0) {
				printk("ipitest: %u -> %u timed out\n", a, b);
				continue;
			}
			sort_u64(p.ip_samples, n);
			med = p.ip_samples[n / 2];
			p99 = p.ip_samples[(n * PERCENTILE_99) / PERCENT <
			    n ? (n * PERCENTILE_99) / PERCENT : n - 1];
			printk("ipitest: %u -> %u median %lu cycles %lu ns "
			    "p99 %lu cycles %lu ns\n", a, b, med,
			    tsc_to_ns(med), p99, tsc_to_ns(p99));
			pairs++;
		}
	}
	kmem_free(p.ip_samples);
	printk("ipitest: %u pairs, %u round trips each\n", pairs, n);
	return 0;
}

static int
cmd_smp(int argc, char **argv)
{
	uint32_t n = IPITEST_DEFAULT;

	if (argc < 2 || strcmp(argv[1], "ipitest") != 0 || argc > 3 ||
	    (argc == 3 && (kstrtou32(argv[2], IPITEST_MAX, &n) != 0 ||
	    n == 0))) {
		printk("usage: smp ipitest [n], n from 1 to %d\n",
		    IPITEST_MAX);
		return -1;
	}
	return ipitest(n);
}
SHELL_CMD(smp, "smp ipitest [n]: IPI round-trip latency of every CPU pair",
    cmd_smp);

void
smp_cmds_init(void)
{
	trap_register(VEC_IPI_PING, ping_intr);
	trap_register(VEC_IPI_PONG, pong_intr);
}

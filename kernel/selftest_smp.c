/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * selftest_smp.c: in-kernel test cases for the per-core loops: calls to
 * every CPU (sync and async), and per-CPU callouts firing on time.
 *
 * Locking: none; the counters the remote CPUs bump are atomics.
 */
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/callout.h"
#include "kernel/coreloop.h"
#include "kernel/percpu.h"
#include "kernel/selftest.h"

#define ST_ASYNC_PER_CPU	100
#define ST_WAIT_US		2000000
#define ST_CALLOUT_TICKS	3
#define ST_CALLOUT_SLACK	2

static uint32_t st_ran_on[MAXCPU];
static uint32_t st_async_count;

static void
note_cpu(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&st_ran_on[curcpu()->pc_id], 1, __ATOMIC_RELAXED);
}

static void
count_async(void *arg)
{
	uint32_t *expect_cpu = arg;

	if (curcpu()->pc_id == *expect_cpu)
		__atomic_fetch_add(&st_async_count, 1, __ATOMIC_RELAXED);
}

/* Waits for cond while still running this CPU's own work. */
static int
wait_until(uint32_t *v, uint32_t want)
{
	uint64_t t0 = uptime_us();

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		if (uptime_us() - t0 > ST_WAIT_US)
			return -1;
		coreloop_poll_once();
		cpu_relax();
	}
	return 0;
}

SELFTEST(smp_call_every_cpu)
{
	static uint32_t cpus_arg[MAXCPU];
	uint32_t i, n = ncpus_started(), k;

	for (i = 0; i < n; i++) {
		__atomic_store_n(&st_ran_on[i], 0, __ATOMIC_RELAXED);
		ST_CHECK(smp_call_sync(i, note_cpu, NULL) == 0);
		ST_CHECK(__atomic_load_n(&st_ran_on[i], __ATOMIC_RELAXED) == 1);
	}
	ST_CHECK(smp_call_sync(n, note_cpu, NULL) != 0);
	__atomic_store_n(&st_async_count, 0, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++) {
		cpus_arg[i] = i;
		for (k = 0; k < ST_ASYNC_PER_CPU; k++)
			ST_CHECK(smp_call(i, count_async, &cpus_arg[i]) == 0);
	}
	ST_CHECK(wait_until(&st_async_count, n * ST_ASYNC_PER_CPU) == 0);
	ST_CHECK(__atomic_load_n(&st_async_count, __ATOMIC_RELAXED) ==
	    n * ST_ASYNC_PER_CPU);
	return 0;
}

static uint32_t st_callout_fired;
static uint64_t st_callout_tick;

static void
callout_fn(void *arg)
{
	(void)arg;
	st_callout_tick = curcpu()->pc_ticks;
	__atomic_store_n(&st_callout_fired, 1, __ATOMIC_RELEASE);
}

SELFTEST(callout_fires)
{
	struct callout c, never;
	uint64_t armed;

	callout_init(&c);
	callout_init(&never);
	st_callout_fired = 0;
	armed = curcpu()->pc_ticks;
	callout_reset(&c, ST_CALLOUT_TICKS, callout_fn, NULL);
	callout_reset(&never, ST_CALLOUT_TICKS, callout_fn, NULL);
	ST_CHECK(callout_stop(&never));
	ST_CHECK(!callout_stop(&never));
	ST_CHECK(wait_until(&st_callout_fired, 1) == 0);
	ST_CHECK(st_callout_tick >= armed + ST_CALLOUT_TICKS);
	ST_CHECK(st_callout_tick <= armed + ST_CALLOUT_TICKS +
	    ST_CALLOUT_SLACK);
	ST_CHECK(!c.c_pending);
	return 0;
}

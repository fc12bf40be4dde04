/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_host.c: netisr_plat.h over pthreads, for the host unit tests and
 * the host benchmark (see netisr_host.h for the interface).
 *
 * Design: a CPU is a thread with a thread-local CPU id, and a
 * thread-local current vnet (curvnet: per thread, not per CPU id, so a
 * test thread that rebinds keeps its own; 0 in every new thread).  Each
 * CPU has a cache-line-aligned record holding its ready flag (set by
 * netisr_plat_wake(), taken by the runner before it polls), a "sleeping"
 * flag, and a mutex and condition variable for the runner's short sleep.
 * The wake-up handshake is the classic store-then-load pair on both sides,
 * sequentially consistent: the waker stores ready and then loads sleeping;
 * the sleeper, under its mutex, stores sleeping and then loads ready.  At
 * least one of them sees the other's store, and a waker that sees
 * sleeping signals under the mutex, so the signal cannot fall between the
 * sleeper's check and its wait.  A runner polls only when it took a
 * wake-up or its last poll said work was left, so a core that forgets to
 * wake a CPU shows up as work that is never done.
 *
 * The host this runs on may have fewer processors than there are CPU
 * threads (our machine has 2), so netisr_plat_relax() yields every 64
 * calls, like the hosted spinlock.
 *
 * Locking: see netisr_host.h.  host_cpus[] records are shared between the
 * CPU's runner and any waker: hc_ready, hc_sleeping, hc_wakes and hc_stop
 * are atomics; hc_mtx/hc_cv guard the sleep.  The log ring is guarded by
 * host_log_mtx.  host_self and host_curvnet are thread-local.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "kernel/kassert.h"
#include "tests/unit/netisr_host.h"

struct host_cpu {
	uint32_t	hc_ready;	/* a wake-up is pending */
	uint32_t	hc_sleeping;	/* the runner may be in its wait */
	uint32_t	hc_stop;	/* the runner should return */
	uint32_t	hc_started;	/* a runner thread exists */
	uint64_t	hc_wakes;	/* netisr_plat_wake() calls */
	pthread_mutex_t	hc_mtx;
	pthread_cond_t	hc_cv;
	pthread_t	hc_thread;
	host_cpu_fn	*hc_fn;
	void		*hc_arg;
} __attribute__((aligned(64)));

#define HOST_IDLE_SPINS	256	/* relax calls before an idle CPU sleeps */

static struct host_cpu host_cpus[HOST_MAXCPU];
static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static __thread int host_self = -1;
static __thread unsigned host_relax_count;
static __thread unsigned host_curvnet;

static pthread_mutex_t host_log_mtx = PTHREAD_MUTEX_INITIALIZER;
static char host_log_ring[HOST_LOG_LINES][HOST_LOG_LINE_MAX];
static unsigned host_log_next;		/* lines ever logged, mod ring */
static unsigned host_log_count;		/* lines kept, <= HOST_LOG_LINES */
static int host_log_echo_on = 1;

static void
host_init_once(void)
{
	unsigned i;

	for (i = 0; i < HOST_MAXCPU; i++) {
		pthread_mutex_init(&host_cpus[i].hc_mtx, NULL);
		pthread_cond_init(&host_cpus[i].hc_cv, NULL);
	}
}

static struct host_cpu *
host_cpu_get(unsigned cpu)
{
	if (cpu >= HOST_MAXCPU)
		kassert_fail(__FILE__, __LINE__, "netisr_host: bad cpu %u",
		    cpu);
	pthread_once(&host_once, host_init_once);
	return &host_cpus[cpu];
}

void
kassert_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "KASSERT failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* ---- netisr_plat.h ---------------------------------------------------- */

unsigned
netisr_plat_curcpu(void)
{
	if (host_self < 0)
		kassert_fail(__FILE__, __LINE__,
		    "netisr_plat_curcpu: thread not bound to a CPU");
	return (unsigned)host_self;
}

void
netisr_plat_wake(unsigned cpu)
{
	struct host_cpu *hc = host_cpu_get(cpu);

	__atomic_fetch_add(&hc->hc_wakes, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&hc->hc_ready, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&hc->hc_sleeping, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&hc->hc_mtx);
		pthread_cond_signal(&hc->hc_cv);
		pthread_mutex_unlock(&hc->hc_mtx);
	}
}

/* No core-loop pollers here: only netisr's own depth check applies. */
bool
netisr_plat_may_wait(void)
{
	return true;
}

void
netisr_plat_relax(void)
{
	_mm_pause();
	if (++host_relax_count % 64 == 0)
		sched_yield();
}

void
netisr_plat_log(const char *line)
{
	pthread_mutex_lock(&host_log_mtx);
	snprintf(host_log_ring[host_log_next], HOST_LOG_LINE_MAX, "%s", line);
	host_log_next = (host_log_next + 1) % HOST_LOG_LINES;
	if (host_log_count < HOST_LOG_LINES)
		host_log_count++;
	if (host_log_echo_on)
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&host_log_mtx);
}

uint64_t
netisr_plat_cycles(void)
{
	return __rdtsc();
}

unsigned
netisr_plat_curvnet(void)
{
	return host_curvnet;
}

unsigned
netisr_plat_curvnet_swap(unsigned vnet)
{
	unsigned old = host_curvnet;

	host_curvnet = vnet;
	return old;
}

/* ---- CPU identity and state -------------------------------------------- */

void
host_cpu_bind(unsigned cpu)
{
	(void)host_cpu_get(cpu);
	host_self = (int)cpu;
}

int
host_cpu_self(void)
{
	return host_self;
}

bool
host_cpu_ready(unsigned cpu)
{
	return __atomic_load_n(&host_cpu_get(cpu)->hc_ready,
	    __ATOMIC_SEQ_CST) != 0;
}

bool
host_cpu_take_ready(unsigned cpu)
{
	struct host_cpu *hc = host_cpu_get(cpu);

	/* A cheap look first keeps the line shared while nothing is due. */
	if (__atomic_load_n(&hc->hc_ready, __ATOMIC_RELAXED) == 0)
		return false;
	return __atomic_exchange_n(&hc->hc_ready, 0, __ATOMIC_SEQ_CST) != 0;
}

uint64_t
host_wake_count(unsigned cpu)
{
	return __atomic_load_n(&host_cpu_get(cpu)->hc_wakes,
	    __ATOMIC_RELAXED);
}

void
host_poll_drain(void)
{
	unsigned cpu = netisr_plat_curcpu();

	(void)host_cpu_take_ready(cpu);
	while (netisr_poll(cpu))
		(void)host_cpu_take_ready(cpu);
}

void
host_reset(void)
{
	unsigned i;

	for (i = 0; i < HOST_MAXCPU; i++) {
		struct host_cpu *hc = host_cpu_get(i);

		__atomic_store_n(&hc->hc_ready, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&hc->hc_wakes, 0, __ATOMIC_RELAXED);
	}
	host_log_clear();
}

int
host_pin(unsigned hostcpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	CPU_ZERO(&set);
	CPU_SET(hostcpu % (unsigned)n, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- CPU threads --------------------------------------------------------- */

/* Waits up to a millisecond for a wake-up; see the handshake above. */
static void
host_cpu_sleep(struct host_cpu *hc)
{
	struct timespec ts;
	unsigned spins;

	/* Spin (and yield) a little first: a wake-up is often near. */
	for (spins = 0; spins < HOST_IDLE_SPINS; spins++) {
		if (__atomic_load_n(&hc->hc_ready, __ATOMIC_RELAXED) != 0)
			return;
		netisr_plat_relax();
	}
	pthread_mutex_lock(&hc->hc_mtx);
	__atomic_store_n(&hc->hc_sleeping, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&hc->hc_ready, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&hc->hc_stop, __ATOMIC_ACQUIRE) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&hc->hc_cv, &hc->hc_mtx, &ts);
	}
	__atomic_store_n(&hc->hc_sleeping, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&hc->hc_mtx);
}

static void *
host_cpu_main(void *arg)
{
	struct host_cpu *hc = arg;
	unsigned cpu = (unsigned)(hc - host_cpus), passes;
	bool more = false, busy;

	host_cpu_bind(cpu);
	while (__atomic_load_n(&hc->hc_stop, __ATOMIC_ACQUIRE) == 0) {
		busy = false;
		/* A few passes, then the hook, so neither starves the other. */
		for (passes = 0; passes < 8; passes++) {
			if (!host_cpu_take_ready(cpu) && !more)
				break;
			more = netisr_poll(cpu);
			busy = true;
		}
		if (hc->hc_fn != NULL && hc->hc_fn(cpu, hc->hc_arg))
			busy = true;
		if (!busy && !more)
			host_cpu_sleep(hc);
	}
	return NULL;
}

void
host_cpus_start_range(unsigned first, unsigned n, host_cpu_fn *fn, void *arg)
{
	unsigned i;
	int error;

	for (i = first; i < first + n; i++) {
		struct host_cpu *hc = host_cpu_get(i);

		if (hc->hc_started)
			kassert_fail(__FILE__, __LINE__,
			    "host_cpus_start: cpu %u already running", i);
		hc->hc_fn = fn;
		hc->hc_arg = arg;
		__atomic_store_n(&hc->hc_stop, 0, __ATOMIC_RELEASE);
		error = pthread_create(&hc->hc_thread, NULL, host_cpu_main, hc);
		if (error != 0)
			kassert_fail(__FILE__, __LINE__,
			    "host_cpus_start: pthread_create: %s",
			    strerror(error));
		hc->hc_started = 1;
	}
}

void
host_cpus_start(unsigned n, host_cpu_fn *fn, void *arg)
{
	host_cpus_start_range(0, n, fn, arg);
}

void
host_cpus_stop(void)
{
	unsigned i;

	for (i = 0; i < HOST_MAXCPU; i++) {
		struct host_cpu *hc = host_cpu_get(i);

		if (!hc->hc_started)
			continue;
		__atomic_store_n(&hc->hc_stop, 1, __ATOMIC_RELEASE);
		pthread_mutex_lock(&hc->hc_mtx);
		pthread_cond_signal(&hc->hc_cv);
		pthread_mutex_unlock(&hc->hc_mtx);
	}
	for (i = 0; i < HOST_MAXCPU; i++) {
		struct host_cpu *hc = &host_cpus[i];

		if (!hc->hc_started)
			continue;
		pthread_join(hc->hc_thread, NULL);
		hc->hc_started = 0;
		hc->hc_fn = NULL;
		hc->hc_arg = NULL;
	}
}

/* ---- the log ring ---------------------------------------------------------- */

void
host_log_echo(bool on)
{
	pthread_mutex_lock(&host_log_mtx);
	host_log_echo_on = on;
	pthread_mutex_unlock(&host_log_mtx);
}

bool
host_log_contains(const char *substr)
{
	unsigned i;
	bool found = false;

	pthread_mutex_lock(&host_log_mtx);
	for (i = 0; i < host_log_count && !found; i++)
		found = strstr(host_log_ring[i], substr) != NULL;
	pthread_mutex_unlock(&host_log_mtx);
	return found;
}

void
host_log_clear(void)
{
	pthread_mutex_lock(&host_log_mtx);
	host_log_next = 0;
	host_log_count = 0;
	memset(host_log_ring, 0, sizeof(host_log_ring));
	pthread_mutex_unlock(&host_log_mtx);
}

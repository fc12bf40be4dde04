/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_sys.c: what lwIP needs from its platform in a NO_SYS build: the
 * core lock and its assertion, the assertion hook, a millisecond clock,
 * random numbers, atoi and its timers.
 *
 * lwIP's timers (sys_check_timeouts) run from a callout on CPU 0 every
 * tick, under the core lock.
 *
 * Locking: lwipg_core (a test-and-set lock) protects all of lwIP; lwipg_owner
 * records the holding CPU in every build, so a transmit completion can
 * tell whether it runs inside linkoutput (lock already held here) or from
 * the driver's reclaim poller (must take it).  lwipg_core_lock_checks is
 * written only by the holder (it counts LWIP_ASSERT_CORE_LOCKED calls in
 * KASSERT builds, so `netstat -s` proves the check runs); lwipg_assertions
 * is atomic, since a failing assertion may not hold the lock.
 * lwipg_core_acquires, _contended and _wait_cycles are written by the
 * holder just after taking the lock (the wait is timed only when the
 * first try fails, so an uncontended acquisition costs one increment).
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/callout.h"
#include "kernel/kassert.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "lwip/debug.h"
#include "lwip/timeouts.h"
#include "net/lwip-glue/lwipg.h"

#define LWIPG_TIMER_TICKS	1	/* sys_check_timeouts every tick */
#define US_PER_MS		1000
#define LWIPG_NO_OWNER		0xffffffffu

#ifdef LWIP_NOASSERT
#error "LWIP_NOASSERT: lwIP's assertions must stay compiled in"
#endif

/*
 * The core lock is a test-and-test-and-set lock, not a ticket lock: with
 * more vCPUs than host CPUs (TCG on a small host), a ticket lock hands the
 * lock to the next waiter in line even while that waiter's vCPU is not
 * running, and everyone behind it stalls.  Here whichever running CPU
 * sees it free takes it.
 */
static uint32_t lwipg_core;
static struct callout lwipg_timer;
static uint64_t lwipg_rand_state;

static uint32_t lwipg_owner = LWIPG_NO_OWNER;

uint64_t lwipg_assertions;
uint64_t lwipg_core_lock_checks;
uint64_t lwipg_core_acquires;
uint64_t lwipg_core_contended;
uint64_t lwipg_core_wait_cycles;

void
lwipg_core_lock(void)
{
	uint64_t t0 = 0;

	KASSERT(!lwipg_core_owned(), ("lwipg_core_lock: recursive"));
	for (;;) {
		if (__atomic_load_n(&lwipg_core, __ATOMIC_RELAXED) == 0 &&
		    !__atomic_exchange_n(&lwipg_core, 1, __ATOMIC_ACQUIRE))
			break;
		if (t0 == 0)
			t0 = rdtsc();
		cpu_relax();
	}
	__atomic_store_n(&lwipg_owner, curcpu()->pc_id, __ATOMIC_RELAXED);
	lwipg_core_acquires++;
	if (t0 != 0) {
		lwipg_core_contended++;
		lwipg_core_wait_cycles += rdtsc() - t0;
	}
}

void
lwipg_core_unlock(void)
{
	KASSERT(lwipg_core_owned(), ("lwipg_core_unlock: not held here"));
	lwipg_tso_flush_all();	/* no segment waits past the hold */
	__atomic_store_n(&lwipg_owner, LWIPG_NO_OWNER, __ATOMIC_RELAXED);
	__atomic_store_n(&lwipg_core, 0, __ATOMIC_RELEASE);
}

/* True if the calling CPU holds the core lock (all builds). */
bool
lwipg_core_owned(void)
{
	return __atomic_load_n(&lwipg_owner, __ATOMIC_RELAXED) ==
	    curcpu()->pc_id;
}

/*
 * LWIP_ASSERT_CORE_LOCKED: lwIP calls this at its API entries and inputs.
 * Counted only when the KASSERT is compiled in, so a growing count means
 * the check really runs.
 */
void
lwipg_assert_core_locked(void)
{
	KASSERT(lwipg_core_owned(), ("lwIP entered without the core lock"));
#ifdef KASSERT_ENABLE
	lwipg_core_lock_checks++;
#endif
}

/* LWIP_PLATFORM_ASSERT: count the failure (netstat -s), then stop. */
void
lwipg_assert_fail(const char *msg, const char *file, int line)
{
	__atomic_fetch_add(&lwipg_assertions, 1, __ATOMIC_RELAXED);
	panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

uint32_t
sys_now(void)
{
	return (uint32_t)(uptime_us() / US_PER_MS);
}

/* xorshift64*, seeded from the TSC; lwIP uses it for ports and ISNs. */
unsigned int
lwipg_rand(void)
{
	uint64_t x = lwipg_rand_state;

	if (x == 0)
		x = rdtsc() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	lwipg_rand_state = x;
	return (unsigned int)((x * 0x2545f4914f6cdd1dull) >> 32);
}

int
atoi(const char *s)
{
	int v = 0, neg = 0;

	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

static void
lwipg_tick(void *arg)
{
	(void)arg;
	lwipg_core_lock();
	sys_check_timeouts();
	lwipg_core_unlock();
	callout_reset(&lwipg_timer, LWIPG_TIMER_TICKS, lwipg_tick, NULL);
}

/* Starts lwIP's timers on the calling CPU (CPU 0, at boot). */
void
lwipg_timers_start(void)
{
	callout_init(&lwipg_timer);
	callout_reset(&lwipg_timer, LWIPG_TIMER_TICKS, lwipg_tick, NULL);
}

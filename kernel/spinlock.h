/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/spinlock.h: portable ticket spinlock (header only).
 *
 * A ticket lock hands out tickets in order from sl_next and serves them in
 * order through sl_owner_ticket, so waiters acquire the lock first come,
 * first served and none can starve.  Both counters wrap around freely in
 * 32 bits; only their equality matters.
 *
 * Design: everything is written with the compiler's __atomic builtins so
 * that the same code runs on bare metal and under ThreadSanitizer on the
 * host, which understands these builtins and therefore sees the
 * acquire/release pairs that order the critical sections.  Taking a ticket
 * is a relaxed fetch-and-add; waiting is an acquire load of the ticket now
 * served; releasing is a release store of the next ticket, done only by
 * the holder.  Waiters spin with the PAUSE hint.  In hosted builds only
 * (the host unit tests, where threads can outnumber CPUs and get
 * preempted), a waiter also calls sched_yield() every SPINLOCK_HOSTED_SPINS
 * pauses; the freestanding kernel build never does.
 *
 * The lock does not disable interrupts: code that can run in interrupt
 * context must not share a lock with code that runs with interrupts
 * enabled on the same CPU.  In the kernel's debug build (freestanding with
 * KASSERT_ENABLE) each lock records its owner CPU: taking a lock this CPU
 * already holds, or releasing one it does not hold, is a KASSERT failure,
 * and spinlock_owned() tells whether the calling CPU holds it.  The
 * platform supplies spinlock_cpu_self() (kernel/percpu.c).  Host builds
 * have no CPU identity and skip the owner checks.
 *
 * Locking:
 *	sl_next		next ticket to hand out; atomic, updated by
 *			spinlock_lock() and spinlock_trylock().
 *	sl_owner_ticket	ticket being served; written only by the holder
 *			in spinlock_unlock().
 *	sl_owner_cpu	1 + the holder's CPU id, 0 when free; written by
 *			the holder only (debug kernel builds).
 *	spinlock_init() must run before the lock is shared.
 *	spinlock_lock() / spinlock_trylock() take the lock;
 *	spinlock_unlock() is called with the lock held and releases it.
 */

#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/kassert.h"

#if !__STDC_HOSTED__ && defined(KASSERT_ENABLE)
#define SPINLOCK_TRACK_OWNER	1
uint32_t spinlock_cpu_self(void);
#endif

struct spinlock {
	uint32_t	sl_next;		/* next ticket to hand out */
	uint32_t	sl_owner_ticket;	/* ticket allowed to hold it */
	uint32_t	sl_owner_cpu;		/* 1 + holder CPU, 0 if free */
};

#define SPINLOCK_INITIALIZER	{ .sl_next = 0, .sl_owner_ticket = 0, \
				  .sl_owner_cpu = 0 }

#if __STDC_HOSTED__
/*
 * Hosted builds only (the unit tests; the kernel is built freestanding and
 * never gets this).  On a host OS a ticket holder, or the waiter whose turn
 * is next, can be preempted, and the tests run more threads than CPUs; a
 * pure spin then burns whole time slices in every waiter behind it.  After
 * SPINLOCK_HOSTED_SPINS pauses a hosted waiter gives its CPU away.
 */
int	sched_yield(void);
#define SPINLOCK_HOSTED_SPINS	64
#endif

/*
 * Tell the CPU we are busy-waiting (saves power, helps the SMT sibling).
 * *spins counts the pauses of the current wait.
 */
static inline void
spinlock_relax(unsigned int *spins)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
#if __STDC_HOSTED__
	if (++*spins >= SPINLOCK_HOSTED_SPINS) {
		*spins = 0;
		(void)sched_yield();
	}
#else
	(void)spins;
#endif
}

static inline void
spinlock_init(struct spinlock *sl)
{
	__atomic_store_n(&sl->sl_next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->sl_owner_ticket, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->sl_owner_cpu, 0, __ATOMIC_RELAXED);
}

/* Records (or, with 0, clears) the holder; debug kernel builds only. */
static inline void
spinlock_set_owner(struct spinlock *sl, bool held)
{
#ifdef SPINLOCK_TRACK_OWNER
	__atomic_store_n(&sl->sl_owner_cpu, held ? spinlock_cpu_self() + 1 : 0,
	    __ATOMIC_RELAXED);
#else
	(void)sl;
	(void)held;
#endif
}

/* True if the calling CPU holds sl (always false without owner tracking). */
static inline bool
spinlock_owned(const struct spinlock *sl)
{
#ifdef SPINLOCK_TRACK_OWNER
	return __atomic_load_n(&sl->sl_owner_cpu, __ATOMIC_RELAXED) ==
	    spinlock_cpu_self() + 1;
#else
	(void)sl;
	return false;
#endif
}

/* Takes sl; spins until it is ours. */
static inline void
spinlock_lock(struct spinlock *sl)
{
	uint32_t ticket;
	unsigned int spins;

	KASSERT(!spinlock_owned(sl), ("spinlock_lock: %p: recursive", sl));
	spins = 0;
	ticket = __atomic_fetch_add(&sl->sl_next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&sl->sl_owner_ticket, __ATOMIC_ACQUIRE) !=
	    ticket)
		spinlock_relax(&spins);
	spinlock_set_owner(sl, true);
}

/* Takes sl if it is free right now; returns true if it was taken. */
static inline bool
spinlock_trylock(struct spinlock *sl)
{
	uint32_t owner, expected;

	owner = __atomic_load_n(&sl->sl_owner_ticket, __ATOMIC_ACQUIRE);
	expected = owner;
	if (!__atomic_compare_exchange_n(&sl->sl_next, &expected,
	    owner + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	spinlock_set_owner(sl, true);
	return true;
}

/* Called with sl held; releases it to the next ticket in line. */
static inline void
spinlock_unlock(struct spinlock *sl)
{
	uint32_t owner;

#ifdef SPINLOCK_TRACK_OWNER
	KASSERT(spinlock_owned(sl), ("spinlock_unlock: %p: not held by cpu %u",
	    sl, spinlock_cpu_self()));
#endif
	spinlock_set_owner(sl, false);
	owner = __atomic_load_n(&sl->sl_owner_ticket, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->sl_owner_ticket, owner + 1, __ATOMIC_RELEASE);
}

/*
 * Best effort: true if somebody (not necessarily the caller) holds sl or
 * waits for it.  Good for "KASSERT(spinlock_held(...))" sanity checks,
 * not for deciding whether to take the lock.
 */
static inline bool
spinlock_held(const struct spinlock *sl)
{
	return (__atomic_load_n(&sl->sl_next, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&sl->sl_owner_ticket, __ATOMIC_RELAXED));
}

#endif /* KERNEL_SPINLOCK_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netmsg.c: DragonFly-style messages between CPUs, the barrier, and
 * rollups.
 *
 * Every CPU has a lock-free message queue (kernel/workq.h) drained at the
 * start of each netisr_poll() on that CPU.  A message's function runs
 * there and returns a result, which is the reply unless the function
 * passed the message on with netisr_forwardmsg().
 *  - netisr_sendmsg(msg, cpu): asynchronous.
 *  - netisr_domsg(msg, cpu): synchronous; inline when already on cpu.  The
 *    waiting CPU keeps running its own messages, so two CPUs messaging
 *    each other, or a chain that passes through the waiter, cannot
 *    deadlock.
 *  - netisr_domsg_global(msg): hops CPU 0, 1, ... in order; the last
 *    replies.
 *  - The barrier: the holder sends every other CPU a park message; each
 *    parks inside it (so it runs nothing else) and, on request, drains its
 *    own packet queues.  The holder repeats drain rounds until every queue
 *    is empty, since draining may queue packets on CPUs that already
 *    drained.  Until netisr_barrier_rem(), no handler runs anywhere except
 *    on the holder.
 *  - Rollups run after each worker pass that handled packets (for
 *    example to flush delayed TCP ACKs).
 *
 * Re-entry: every wait here (domsg's, and the barrier's for its lock)
 * runs this CPU's messages, so that CPUs waiting for each other cannot
 * deadlock; and a message may be another CPU's barrier park, which drains
 * this CPU's queues, that is, runs the worker.  A wait inside a handler
 * would therefore run the worker nested in it: a second pass over queues
 * whose batch the outer pass holds, the handler re-entered (under the
 * lwIP core lock: a deadlock), or an unregistration completing while the
 * outer pass still calls the old handler.  So a CPU waits only at netisr
 * depth 0 (nws_depth, netisr_var.h: not inside a handler, m2flow,
 * m2cpuid, drainedcpu, a rollup or the worker's pass) and where the
 * platform allows it (netisr_plat_may_wait(): in the kernel, not inside a
 * core-loop poller other than netisr's own).  Elsewhere netisr_domsg(),
 * netisr_domsg_global() and netisr_barrier_set() (and with it
 * netisr_set_dispatch() and netisr_unregister()) do nothing and return
 * -EDEADLK, counted in netisr_refused_waits (`netstat -Q`).  Refusing is
 * the safe choice: a wait that skipped parks would leave the barrier
 * holder waiting for queues this CPU drains only after its handler
 * returns, and one that skipped its own messages would deadlock two CPUs
 * messaging each other.  Message functions run at depth 0 and may use
 * netisr_domsg() (not the barrier: see netisr_barrier_enter()).
 *
 * Forbidden inside netisr callbacks and under the lwIP core lock
 * (net/lwip-glue/lwipg_sys.c; not checked here): the calls above, and the
 * kernel's smp_call_sync(), coreloop_poll_once() and coreloop_run_until()
 * (kernel/coreloop.c), which run this CPU's pollers, the netisr worker
 * among them.  Allowed anywhere: netisr_sendmsg(), netisr_forwardmsg(),
 * netisr_replymsg(), dispatching and queueing packets.
 *
 * Locking: netmsg_barrier_lock makes barrier holders take turns; a CPU
 * waiting for it keeps running its messages so it can park for the current
 * holder.  The holder must not domsg another CPU while it holds the
 * barrier (that CPU is parked).  The barrier's counters and
 * netisr_refused_waits are atomics.  Rollups are registered at boot,
 * before any worker runs.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

static struct spinlock netmsg_barrier_lock = SPINLOCK_INITIALIZER;
static unsigned barrier_holder = NETISR_CPUID_NONE;
static uint32_t barrier_arrived;	/* CPUs parked */
static uint32_t barrier_left;		/* CPUs that left after release */
static uint32_t barrier_round;		/* drain round requested */
static uint32_t barrier_acks;		/* CPUs done with this round */
static uint32_t barrier_release;	/* 1: parked CPUs may go */
static struct netmsg barrier_park[NETISR_MAXCPU];

uint64_t netisr_refused_waits;		/* atomic; see Re-entry above */

/*
 * Per CPU: the message function now running has given its message away
 * (forwarded it, or it is a barrier park message), so run_msg must not
 * touch the message again.  Only the owning CPU reads or writes its slot.
 */
static bool netmsg_noreply[NETISR_MAXCPU];

static netisr_rollup_fn *netmsg_rollups[NETISR_MAX_ROLLUPS];
static unsigned netmsg_nrollups;

/* Resets cpu's queue (and, for CPU 0, the rollups): netisr_init. */
void
netmsg_init_cpu(unsigned cpu)
{
	workq_init(&netisr_ws[cpu].nws_msgq);
	netmsg_noreply[cpu] = false;
	if (cpu == 0)
		netmsg_nrollups = 0;
}

void
netmsg_init(struct netmsg *msg, netmsg_fn *fn, void *arg)
{
	msg->nm_wi.wi_next = NULL;
	msg->nm_wi.wi_fn = NULL;
	msg->nm_fn = fn;
	msg->nm_arg = arg;
	msg->nm_result = 0;
	msg->nm_done = 0;
	msg->nm_hops = 0;
	msg->nm_forwarded = 0;
	msg->nm_chain_fn = NULL;
}

static struct netmsg *
msg_of(struct workq_item *wi)
{
	return (struct netmsg *)((char *)wi - offsetof(struct netmsg, nm_wi));
}

void
netisr_replymsg(struct netmsg *msg, int result)
{
	msg->nm_result = result;
	__atomic_store_n(&msg->nm_done, 1, __ATOMIC_RELEASE);
}

/*
 * Runs msg's function and replies with its result, unless the function
 * gave the message away.  May nest (a function waiting in domsg runs this
 * CPU's messages), so the no-reply flag is saved and restored.
 */
static void
run_msg(struct netmsg *msg)
{
	unsigned me = netisr_plat_curcpu();
	bool saved = netmsg_noreply[me], gone;
	int r;

	netmsg_noreply[me] = false;
	r = msg->nm_fn(msg);
	gone = netmsg_noreply[me];
	netmsg_noreply[me] = saved;
	if (!gone)
		netisr_replymsg(msg, r);
}

/* Runs every message queued for cpu, oldest first.  On cpu only. */
void
netmsg_run_queue(unsigned cpu)
{
	struct workq_item *wi, *next;

	for (wi = workq_take_all(&netisr_ws[cpu].nws_msgq); wi != NULL;
	    wi = next) {
		next = wi->wi_next;
		run_msg(msg_of(wi));
	}
}

void
netisr_sendmsg(struct netmsg *msg, unsigned cpu)
{
	KASSERT(cpu < netisr_ncpus, ("%s: cpu %u", __func__, cpu));
	__atomic_store_n(&msg->nm_done, 0, __ATOMIC_RELAXED);
	workq_push(&netisr_ws[cpu].nws_msgq, &msg->nm_wi);
	netisr_plat_wake(cpu);
}

/*
 * True if the calling CPU may wait for other CPUs here (see Re-entry
 * above); otherwise counts the refusal and returns false.
 */
static bool
may_wait(void)
{
	if (netisr_depth(netisr_plat_curcpu()) == 0 && netisr_plat_may_wait())
		return true;
	__atomic_fetch_add(&netisr_refused_waits, 1, __ATOMIC_RELAXED);
	return false;
}

static void
wait_done(struct netmsg *msg)
{
	unsigned me = netisr_plat_curcpu();

	while (!__atomic_load_n(&msg->nm_done, __ATOMIC_ACQUIRE)) {
		netmsg_run_queue(me);
		netisr_plat_relax();
	}
}

/* -EDEADLK, and msg untouched, where this CPU must not wait. */
int
netisr_domsg(struct netmsg *msg, unsigned cpu)
{
	if (cpu >= netisr_ncpus)
		return -EINVAL;
	if (!may_wait())
		return -EDEADLK;
	if (cpu == netisr_plat_curcpu()) {
		__atomic_store_n(&msg->nm_done, 0, __ATOMIC_RELAXED);
		run_msg(msg);
	} else {
		netisr_sendmsg(msg, cpu);
	}
	wait_done(msg);
	return msg->nm_result;
}

/*
 * From inside a message function: pass msg on to cpu instead of replying.
 * The message belongs to cpu from the push on; nothing here touches it
 * afterwards.
 */
void
netisr_forwardmsg(struct netmsg *msg, unsigned cpu)
{
	KASSERT(cpu < netisr_ncpus, ("%s: cpu %u", __func__, cpu));
	netmsg_noreply[netisr_plat_curcpu()] = true;
	msg->nm_hops++;
	msg->nm_forwarded = 1;
	workq_push(&netisr_ws[cpu].nws_msgq, &msg->nm_wi);
	netisr_plat_wake(cpu);
}

static int
global_hop(struct netmsg *msg)
{
	unsigned me = netisr_plat_curcpu();
	int r = msg->nm_chain_fn(msg);

	if (me + 1 < netisr_ncpus) {
		netisr_forwardmsg(msg, me + 1);
		return 0;
	}
	msg->nm_hops++;
	msg->nm_fn = msg->nm_chain_fn;		/* reusable as it was */
	return r;
}

/* Runs msg's function on CPU 0, 1, ..., ncpus - 1 in turn. */
int
netisr_domsg_global(struct netmsg *msg)
{
	if (!may_wait())
		return -EDEADLK;
	msg->nm_chain_fn = msg->nm_fn;
	msg->nm_fn = global_hop;
	msg->nm_hops = 0;
	return netisr_domsg(msg, 0);
}

/* Drains this CPU's packet queues completely. */
static void
drain_local(unsigned cpu)
{
	while (netisr_poll_packets(cpu))
		;
}

static int
barrier_park_fn(struct netmsg *msg)
{
	unsigned me = netisr_plat_curcpu();
	uint32_t done_round = 0, r;

	(void)msg;
	__atomic_fetch_add(&barrier_arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&barrier_release, __ATOMIC_ACQUIRE)) {
		r = __atomic_load_n(&barrier_round, __ATOMIC_ACQUIRE);
		if (r != done_round) {
			drain_local(me);
			done_round = r;
			__atomic_fetch_add(&barrier_acks, 1, __ATOMIC_ACQ_REL);
		}
		netisr_plat_relax();
	}
	/* The holder may reuse this message as soon as it sees us leave. */
	netmsg_noreply[me] = true;
	__atomic_fetch_add(&barrier_left, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static void
wait_count(uint32_t *counter, uint32_t want)
{
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want)
		netisr_plat_relax();
}

/*
 * Parks every other CPU; with drain, also empties every packet queue.
 * Called on a CPU, never from inside a message function; -EDEADLK, with
 * nothing done, where this CPU must not wait (see Re-entry above).
 */
int
netisr_barrier_enter(bool drain)
{
	unsigned me = netisr_plat_curcpu(), cpu, others = netisr_ncpus - 1;

	if (!may_wait())
		return -EDEADLK;
	while (!spinlock_trylock(&netmsg_barrier_lock)) {
		netmsg_run_queue(me);		/* park for the holder */
		netisr_plat_relax();
	}
	__atomic_store_n(&barrier_holder, me, __ATOMIC_RELAXED);
	__atomic_store_n(&barrier_arrived, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&barrier_left, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&barrier_round, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&barrier_release, 0, __ATOMIC_RELEASE);
	for (cpu = 0; cpu < netisr_ncpus; cpu++) {
		if (cpu == me)
			continue;
		netmsg_init(&barrier_park[cpu], barrier_park_fn, NULL);
		netisr_sendmsg(&barrier_park[cpu], cpu);
	}
	wait_count(&barrier_arrived, others);
	if (!drain)
		return 0;
	do {
		__atomic_store_n(&barrier_acks, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&barrier_round, 1, __ATOMIC_ACQ_REL);
		drain_local(me);
		wait_count(&barrier_acks, others);
	} while (!netisr_all_idle());
	return 0;
}

int
netisr_barrier_set(void)
{
	return netisr_barrier_enter(true);
}

void
netisr_barrier_rem(void)
{
	KASSERT(netisr_barrier_held(), ("%s: barrier not held here",
	    __func__));
	__atomic_store_n(&barrier_release, 1, __ATOMIC_RELEASE);
	wait_count(&barrier_left, netisr_ncpus - 1);
	__atomic_store_n(&barrier_holder, NETISR_CPUID_NONE, __ATOMIC_RELAXED);
	spinlock_unlock(&netmsg_barrier_lock);
}

/* True if the calling CPU holds the barrier. */
bool
netisr_barrier_held(void)
{
	return __atomic_load_n(&barrier_holder, __ATOMIC_RELAXED) ==
	    netisr_plat_curcpu();
}

int
netisr_register_rollup(netisr_rollup_fn *fn)
{
	if (fn == NULL)
		return -EINVAL;
	if (netmsg_nrollups == NETISR_MAX_ROLLUPS)
		return -ENOSPC;
	netmsg_rollups[netmsg_nrollups++] = fn;
	return 0;
}

void
netisr_run_rollups(unsigned cpu)
{
	unsigned i;

	for (i = 0; i < netmsg_nrollups; i++)
		netmsg_rollups[i](cpu);
}

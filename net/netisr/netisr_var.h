/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_var.h: netisr's internal state, shared by netisr.c (placement,
 * dispatch, the worker), netisr_ctl.c (registration, limits, counters),
 * netisr_vnet.c (per-vnet enabling and purging) and netmsg.c (messages,
 * the barrier).
 *
 * Locking (see also netisr.c):
 *	nws_lock	one per workstream (CPU): its per-protocol queues,
 *			nw_len, nw_watermark, nw_queued, nws_flags and
 *			nws_pending.  Taken by the CPUs that enqueue to it and
 *			by its own worker; never by the direct path.
 *	owner-only	nw_dispatched, nw_hybrid_dispatched, nw_handled and
 *			nws_depth are written only by the workstream's own
 *			CPU (relaxed atomic stores, so others may read them).
 *	atomic		nw_qdrops (drops happen on any CPU), nw_purged (also
 *			updated under nws_lock together with nw_len), the
 *			per-vnet counters nws_vnet[][] (any CPU purges), and
 *			the global netisr_unregistered_drops,
 *			netisr_badvnet_drops and netisr_refused_waits.
 *	netisr_reg_lock	registration: netisr_proto[] changes; readers use
 *			an acquire load of np_handler.  Unregistration also
 *			holds the barrier.
 *	np_vnets	enable bit per vnet: changed with atomic read-modify-
 *			writes under netisr_reg_lock; a bit is cleared only
 *			under the barrier as well (netisr_vnet.c).  The hot
 *			path reads it with a relaxed load, no lock.
 */
#ifndef NET_NETISR_NETISR_VAR_H
#define NET_NETISR_NETISR_VAR_H

#include "kernel/kassert.h"
#include "kernel/spinlock.h"
#include "kernel/workq.h"
#include "net/netisr/netisr.h"

#define NWS_RUNNING	0x1	/* the worker is draining */
#define NWS_DISPATCHING	0x2	/* a hybrid dispatch runs inline */
#define NWS_SCHEDULED	0x4	/* the worker has been asked to run */
/*
 * Invariant (under nws_lock): NWS_SCHEDULED is set only while nws_pending
 * is not 0, so a worker that finds nothing pending owes no wake-up.
 */
#define NETISR_CACHE_LINE 64
#define NETISR_MAX_ROLLUPS 8

struct netisr_proto {
	const char		*np_name;
	netisr_handler_t	*np_handler;
	netisr_batch_handler_t	*np_handler_batch; /* set before np_handler */
	netisr_m2flow_t		*np_m2flow;
	netisr_m2cpuid_t	*np_m2cpuid;
	netisr_drainedcpu_t	*np_drainedcpu;
	unsigned		np_qlimit;
	unsigned		np_policy;
	unsigned		np_dispatch;
	uint64_t		np_vnets;	/* bit v: enabled in vnet v */
};

struct netisr_work {
	struct mbuf	*nw_head;
	struct mbuf	*nw_tail;
	unsigned	nw_len;
	unsigned	nw_qlimit;
	unsigned	nw_watermark;
	uint64_t	nw_queued;
	uint64_t	nw_qdrops;
	uint64_t	nw_dispatched;
	uint64_t	nw_hybrid_dispatched;
	uint64_t	nw_handled;
	uint64_t	nw_purged;	/* queued, freed: vnet disabled */
	uint64_t	nw_batches;	/* batch-handler calls (owner CPU) */
};

/* One CPU's count of one (vnet, protocol)'s packets freed unhandled. */
struct netisr_vnet_count {
	uint64_t	nvc_drops;	/* at dispatch or queue */
	uint64_t	nvc_purged;	/* from a queue */
};

struct netisr_workstream {
	struct spinlock		nws_lock;
	unsigned		nws_cpu;
	unsigned		nws_flags;	/* NWS_* */
	unsigned		nws_pending;	/* bit per protocol */
	/*
	 * Nesting of netisr callbacks on this CPU: the worker's packet pass
	 * (handlers, drainedcpu, rollups) and handlers or placement
	 * callbacks run by direct or hybrid dispatch.  The worker runs only
	 * at depth 0, and nothing waits for another CPU above it (netmsg.c).
	 */
	unsigned		nws_depth __attribute__((aligned(NETISR_CACHE_LINE)));
	struct workq		nws_msgq __attribute__((aligned(NETISR_CACHE_LINE)));
	struct netisr_work	nws_work[NETISR_MAXPROT];
	/* Counted on the CPU that frees; read by summing over CPUs. */
	struct netisr_vnet_count nws_vnet[NETISR_MAXVNETS][NETISR_MAXPROT]
	    __attribute__((aligned(NETISR_CACHE_LINE)));
} __attribute__((aligned(NETISR_CACHE_LINE)));

extern struct netisr_workstream netisr_ws[NETISR_MAXCPU];
extern unsigned netisr_ncpus;

/* netisr.c's state, shared with netisr_ctl.c only. */
#define NETISR_DISPATCH_NAMES	4
extern struct netisr_proto netisr_proto[NETISR_MAXPROT];
extern struct spinlock netisr_reg_lock;	/* registration, limits */
extern unsigned nws_array[NETISR_MAXCPU];
extern unsigned nws_count;
extern unsigned netisr_dispatch_policy;	/* changed under the barrier */
extern unsigned netisr_defaultqlimit;
extern unsigned netisr_maxqlimit;
extern unsigned netisr_maxthreads;
extern uint64_t netisr_unregistered_drops;
extern uint64_t netisr_badvnet_drops;
extern uint64_t netisr_refused_waits;
extern const char *const netisr_dispatch_names[NETISR_DISPATCH_NAMES];

bool	ns_streq(const char *a, const char *b);
void	netisr_count_unregistered(uint64_t n);
struct netisr_proto *proto_of(const struct netisr_handler *nhp);

bool	netisr_poll_packets(unsigned cpu);
bool	netisr_all_idle(void);
void	netisr_run_handlers(struct netisr_work *nw, netisr_handler_t *h,
	    netisr_batch_handler_t *hb, struct mbuf **ms, unsigned n);
void	netmsg_run_queue(unsigned cpu);
void	netmsg_init_cpu(unsigned cpu);
int	netisr_barrier_enter(bool drain);
void	netisr_run_rollups(unsigned cpu);

static inline void
netisr_owner_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

/*
 * nws_depth: this CPU enters or leaves a netisr callback.  Relaxed atomics
 * only so that a test may read another CPU's depth; only cpu writes it.
 */
static inline unsigned
netisr_depth(unsigned cpu)
{
	return __atomic_load_n(&netisr_ws[cpu].nws_depth, __ATOMIC_RELAXED);
}

static inline void
netisr_depth_enter(unsigned cpu)
{
	__atomic_store_n(&netisr_ws[cpu].nws_depth, netisr_depth(cpu) + 1,
	    __ATOMIC_RELAXED);
}

static inline void
netisr_depth_leave(unsigned cpu)
{
	KASSERT(netisr_depth(cpu) > 0, ("%s: cpu %u not in a callback",
	    __func__, cpu));
	__atomic_store_n(&netisr_ws[cpu].nws_depth, netisr_depth(cpu) - 1,
	    __ATOMIC_RELAXED);
}

/* True if vnet is a vnet number and its bit is set in vnets (np_vnets). */
static inline bool
netisr_vnet_in(uint64_t vnets, unsigned vnet)
{
	return vnet < NETISR_MAXVNETS && (vnets >> vnet & 1) != 0;
}

/* The protocol's enable bits: one relaxed load (see np_vnets above). */
static inline uint64_t
netisr_vnets_of(const struct netisr_proto *np)
{
	return __atomic_load_n(&np->np_vnets, __ATOMIC_RELAXED);
}

/*
 * Counts a packet of (vnet, proto) freed unhandled on cpu: at the door
 * (purged false) or taken from a queue (purged true).  A vnet out of range
 * counts in netisr_badvnet_drops.
 */
static inline void
netisr_count_vnet(unsigned cpu, unsigned vnet, unsigned proto, bool purged)
{
	struct netisr_vnet_count *c;

	if (vnet >= NETISR_MAXVNETS) {
		__atomic_fetch_add(&netisr_badvnet_drops, 1, __ATOMIC_RELAXED);
		return;
	}
	c = &netisr_ws[cpu].nws_vnet[vnet][proto];
	__atomic_fetch_add(purged ? &c->nvc_purged : &c->nvc_drops, 1,
	    __ATOMIC_RELAXED);
}

/* Zeroes proto's per-vnet counters on cpu (init, unregister). */
static inline void
netisr_vnet_counts_clear(unsigned cpu, unsigned proto)
{
	unsigned v;

	for (v = 0; v < NETISR_MAXVNETS; v++) {
		__atomic_store_n(&netisr_ws[cpu].nws_vnet[v][proto].nvc_drops,
		    0, __ATOMIC_RELAXED);
		__atomic_store_n(&netisr_ws[cpu].nws_vnet[v][proto].nvc_purged,
		    0, __ATOMIC_RELAXED);
	}
}

/* nws_pending changes under nws_lock; lock-free readers load it atomically. */
static inline void
pending_set(struct netisr_workstream *nws, unsigned bits)
{
	__atomic_store_n(&nws->nws_pending, nws->nws_pending | bits,
	    __ATOMIC_RELEASE);
}

static inline void
pending_clear(struct netisr_workstream *nws, unsigned bits)
{
	__atomic_store_n(&nws->nws_pending, nws->nws_pending & ~bits,
	    __ATOMIC_RELEASE);
}

#endif /* NET_NETISR_NETISR_VAR_H */

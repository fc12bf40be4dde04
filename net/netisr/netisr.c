/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr.c: the netisr(9) core: registration, work placement, dispatch,
 * per-CPU workstreams and their worker.  Portable C over netisr_plat.h;
 * the same file runs in the kernel and in the host tests.
 *
 * What netisr promises:
 *  - Ordering: packets of one source (SOURCE policy) or one flow id (FLOW
 *    policy) are handled in the order they were dispatched.  Queues are
 *    FIFO per protocol per CPU; hybrid dispatch never runs a packet inline
 *    while earlier work for that CPU is queued or running; the global
 *    dispatch policy changes only under the barrier, after every queue has
 *    drained (netmsg.c).
 *  - Affinity: a flow's CPU is netisr_default_flow2cpu(flowid), the same
 *    128-bucket table the NIC's RSS uses (rss.c), so with RSS packets are
 *    handled where they arrived.
 *  - Accounting: every packet is handled or dropped, and every drop is
 *    counted, never silent: per protocol and workstream in qdrops (queue
 *    full; m2flow or m2cpuid consumed the packet), and globally in
 *    netisr_unregistered_drops for a packet whose protocol has no handler
 *    (any number: 0, unregistered ones, and NETISR_MAXPROT and above) and
 *    for the queued packets netisr_unregister() frees.  A packet whose
 *    vnet has its protocol disabled is freed at the door and counted per
 *    vnet and protocol (vnet drops; a vnet out of range in the bad-vnet
 *    drops); a queued one freed for that reason (netisr_unregister_vnet(),
 *    or the worker's check) is counted in the workstream's purged and per
 *    vnet and protocol.  Per protocol and CPU, dispatched +
 *    hybrid_dispatched + queued = handled + len + purged, and every
 *    packet a producer hands over is in exactly one of handled, qdrops,
 *    len, purged, the vnet drops, the bad-vnet drops or the unregistered
 *    drops (until netisr_unregister() zeroes the protocol's counters).
 *    `netstat -Q` shows the workstream and global counters.
 *  - vnets: a handler runs with curvnet set to its packet's vnet, and
 *    never for a packet whose vnet has the protocol disabled (netisr.h
 *    states the guarantee; netisr_vnet.c implements the control side).
 *  - Re-entry: handlers, placement callbacks, drainedcpu and rollups run
 *    at nws_depth > 0 on their CPU; the worker's packet pass runs only at
 *    depth 0 (KASSERT).  Above depth 0 netisr_poll() runs nothing, and
 *    the calls that wait for other CPUs (domsg, the barrier,
 *    set_dispatch, unregister) refuse with -EDEADLK (netmsg.c), so no
 *    wait loop can run the worker nested.
 *  - No global lock per packet: a workstream's lock is taken only by the
 *    CPUs enqueueing to it and by its worker; the direct path takes none.
 *
 * Placement follows FreeBSD (facts in docs/DESIGN.md): with one workstream
 * no callback is called; CPU policy asks m2cpuid; FLOW uses the flow id,
 * computing it with m2flow when the packet has none; SOURCE (and every
 * fallback) uses nws_array[(ifindex + source) % count].
 *
 * Batches: netisr_dispatch_batch() hands a driver's poll to the protocol
 * at once: one lock acquisition and at most one wake-up per target CPU
 * when queued, one call of the batch handler (nh_handler_batch) per run
 * of one vnet's packets when direct.  The worker calls the batch handler
 * too, NETISR_RUN_CHUNK packets at a time.
 *
 * The worker is in netisr_worker.c; registration, limits, counters and
 * tunables are in netisr_ctl.c.
 *
 * Locking: see netisr_var.h.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

struct netisr_workstream netisr_ws[NETISR_MAXCPU];
unsigned netisr_ncpus;

struct netisr_proto netisr_proto[NETISR_MAXPROT];
struct spinlock netisr_reg_lock = SPINLOCK_INITIALIZER;
unsigned nws_array[NETISR_MAXCPU];
unsigned nws_count;
unsigned netisr_dispatch_policy = NETISR_DISPATCH_DIRECT;
unsigned netisr_defaultqlimit = NETISR_DEFAULT_QLIMIT;
unsigned netisr_maxqlimit = NETISR_DEFAULT_MAXQLIMIT;
unsigned netisr_maxthreads;
uint64_t netisr_unregistered_drops;	/* atomic */
uint64_t netisr_badvnet_drops;		/* atomic */

const char *const netisr_dispatch_names[NETISR_DISPATCH_NAMES] = {
	[NETISR_DISPATCH_DEFAULT] = "default",
	[NETISR_DISPATCH_DEFERRED] = "deferred",
	[NETISR_DISPATCH_HYBRID] = "hybrid",
	[NETISR_DISPATCH_DIRECT] = "direct",
};

/* Counts n packets freed because their protocol has no handler. */
void
netisr_count_unregistered(uint64_t n)
{
	__atomic_fetch_add(&netisr_unregistered_drops, n, __ATOMIC_RELAXED);
}

int
netisr_init(const struct netisr_config *cfg)
{
	unsigned i, p;

	if (cfg->nc_ncpus == 0 || cfg->nc_ncpus > NETISR_MAXCPU ||
	    cfg->nc_maxqlimit == 0 || cfg->nc_defaultqlimit == 0 ||
	    cfg->nc_defaultqlimit > cfg->nc_maxqlimit ||
	    cfg->nc_dispatch < NETISR_DISPATCH_DEFERRED ||
	    cfg->nc_dispatch > NETISR_DISPATCH_DIRECT)
		return -EINVAL;
	netisr_ncpus = cfg->nc_ncpus;
	netisr_maxthreads = cfg->nc_maxthreads == 0 ||
	    cfg->nc_maxthreads > cfg->nc_ncpus ? cfg->nc_ncpus :
	    cfg->nc_maxthreads;
	netisr_defaultqlimit = cfg->nc_defaultqlimit;
	netisr_maxqlimit = cfg->nc_maxqlimit;
	__atomic_store_n(&netisr_dispatch_policy, cfg->nc_dispatch,
	    __ATOMIC_RELEASE);
	for (i = 0; i < netisr_ncpus; i++) {
		struct netisr_workstream *nws = &netisr_ws[i];

		spinlock_init(&nws->nws_lock);
		nws->nws_cpu = i;
		nws->nws_flags = 0;
		nws->nws_pending = 0;
		nws->nws_depth = 0;
		for (p = 0; p < NETISR_MAXPROT; p++) {
			struct netisr_work *nw = &nws->nws_work[p];

			nw->nw_head = nw->nw_tail = NULL;
			nw->nw_len = nw->nw_watermark = 0;
			nw->nw_qlimit = 0;
			nw->nw_queued = nw->nw_qdrops = nw->nw_dispatched = 0;
			nw->nw_hybrid_dispatched = nw->nw_handled = 0;
			nw->nw_batches = 0;
			nw->nw_purged = 0;
			netisr_vnet_counts_clear(i, p);
		}
		netmsg_init_cpu(i);
	}
	for (p = 0; p < NETISR_MAXPROT; p++)
		netisr_proto[p] = (struct netisr_proto){ 0 };
	nws_count = netisr_maxthreads;
	for (i = 0; i < nws_count; i++)
		nws_array[i] = i;
	netisr_rss_init(nws_array, nws_count);
	return 0;
}

/* ---- placement --------------------------------------------------------- */

static unsigned
source_cpu(const struct mbuf *m, uintptr_t source)
{
	return nws_array[(m->m_pkthdr.rcvif + source) % nws_count];
}

/*
 * Picks the workstream CPU for m (facts: "Choosing the target
 * workstream").  Returns m, possibly replaced by a callback, or NULL when a
 * callback consumed it (the caller counts the drop).
 */
static struct mbuf *
select_cpuid(const struct netisr_proto *np, unsigned dispatch,
    uintptr_t source, struct mbuf *m, unsigned *cpuid)
{
	unsigned c, cur;

	if (nws_count == 1) {
		*cpuid = nws_array[0];
		return m;
	}
	cur = netisr_plat_curcpu();
	if (np->np_policy == NETISR_POLICY_CPU) {
		netisr_depth_enter(cur);
		m = np->np_m2cpuid(m, source, &c);
		netisr_depth_leave(cur);
		if (m == NULL)
			return NULL;
		if (c != NETISR_CPUID_NONE)
			*cpuid = nws_array[c % nws_count];
		else if (dispatch == NETISR_DISPATCH_HYBRID)
			*cpuid = cur;
		else
			*cpuid = source_cpu(m, source);
		return m;
	}
	if (np->np_policy == NETISR_POLICY_FLOW) {
		if (M_HASHTYPE_GET(m) == M_HASHTYPE_NONE &&
		    np->np_m2flow != NULL) {
			netisr_depth_enter(cur);
			m = np->np_m2flow(m, source);
			netisr_depth_leave(cur);
			if (m == NULL)
				return NULL;
		}
		if (M_HASHTYPE_GET(m) != M_HASHTYPE_NONE) {
			*cpuid = netisr_default_flow2cpu(m->m_pkthdr.flowid);
			return m;
		}
	}
	*cpuid = source_cpu(m, source);
	return m;
}

static void
count_drop(unsigned cpu, unsigned proto)
{
	__atomic_fetch_add(&netisr_ws[cpu].nws_work[proto].nw_qdrops, 1,
	    __ATOMIC_RELAXED);
}

/* Under nws_lock: the NWS_SCHEDULED invariant of netisr_var.h. */
static void
check_scheduled(const struct netisr_workstream *nws, const char *where)
{
	KASSERT((nws->nws_flags & NWS_SCHEDULED) == 0 || nws->nws_pending != 0,
	    ("%s: cpu %u: NWS_SCHEDULED with nothing pending", where,
	    nws->nws_cpu));
	(void)nws;
	(void)where;
}

/* Appends m to cpu's queue for proto, or drops it.  Wakes cpu if needed. */
static int
queue_workstream(unsigned cpu, unsigned proto, struct mbuf *m)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];
	struct netisr_work *nw = &nws->nws_work[proto];
	bool wake = false;

	m->m_nextpkt = NULL;
	spinlock_lock(&nws->nws_lock);
	check_scheduled(nws, __func__);
	if (nw->nw_len >= nw->nw_qlimit) {
		spinlock_unlock(&nws->nws_lock);
		count_drop(cpu, proto);
		m_freem(m);
		return -ENOBUFS;
	}
	if (nw->nw_tail != NULL)
		nw->nw_tail->m_nextpkt = m;
	else
		nw->nw_head = m;
	nw->nw_tail = m;
	nw->nw_len++;
	if (nw->nw_len > nw->nw_watermark)
		nw->nw_watermark = nw->nw_len;
	nw->nw_queued++;
	pending_set(nws, 1u << proto);
	if ((nws->nws_flags & (NWS_RUNNING | NWS_DISPATCHING |
	    NWS_SCHEDULED)) == 0) {
		nws->nws_flags |= NWS_SCHEDULED;
		wake = true;
	}
	spinlock_unlock(&nws->nws_lock);
	if (wake)
		netisr_plat_wake(cpu);
	return 0;
}

/*
 * Admits m if its vnet has proto enabled (bits: np_vnets, one relaxed
 * load).  Otherwise frees m, counts it on this CPU per vnet and protocol
 * (or as a bad vnet) and returns -EPROTONOSUPPORT (-EINVAL for a vnet out
 * of range).  Before placement, as FreeBSD's check of V_netisr_enable.
 */
static int
vnet_admit(uint64_t vnets, unsigned proto, struct mbuf *m)
{
	unsigned vnet = m->m_pkthdr.vnet;

	if (netisr_vnet_in(vnets, vnet))
		return 0;
	netisr_count_vnet(netisr_plat_curcpu(), vnet, proto, false);
	m_freem(m);
	return vnet < NETISR_MAXVNETS ? -EPROTONOSUPPORT : -EINVAL;
}

/* Runs h on m in m's vnet (m may be gone when h returns). */
static inline void
run_handler(netisr_handler_t *h, struct mbuf *m)
{
	CURVNET_SET(m->m_pkthdr.vnet);
	h(m);
	CURVNET_RESTORE();
}

/*
 * Runs n packets through proto's handlers on this CPU (cpu), counted in
 * nw (handled; the caller counts how they got here): the batch handler
 * once per run of packets of one vnet, or the handler once per packet.
 */
void
netisr_run_handlers(struct netisr_work *nw, netisr_handler_t *h,
    netisr_batch_handler_t *hb, struct mbuf **ms, unsigned n)
{
	unsigned i, j;

	netisr_owner_add(&nw->nw_handled, n);
	if (hb == NULL) {
		for (i = 0; i < n; i++)
			run_handler(h, ms[i]);
		return;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n &&
		    ms[j]->m_pkthdr.vnet == ms[i]->m_pkthdr.vnet; j++)
			;
		netisr_owner_add(&nw->nw_batches, 1);
		CURVNET_SET(ms[i]->m_pkthdr.vnet);
		hb(&ms[i], j - i);
		CURVNET_RESTORE();
	}
}

/*
 * The protocol m is dispatched to, and its handler.  -EPROTONOSUPPORT if
 * it has none: m is then freed and counted, whatever the number (0 and
 * numbers of NETISR_MAXPROT and above can never be registered).  Then
 * m's vnet must have the protocol enabled (vnet_admit()).  A NULL m is no
 * packet: nothing to free or count.
 */
static int
proto_for_dispatch(unsigned proto, struct mbuf *m, struct netisr_proto **npp,
    netisr_handler_t **hp)
{
	struct netisr_proto *np;

	if (m == NULL)
		return -EPROTONOSUPPORT;
	if (proto == 0 || proto >= NETISR_MAXPROT) {
		netisr_count_unregistered(1);
		m_freem(m);
		return -EPROTONOSUPPORT;
	}
	np = &netisr_proto[proto];
	*hp = __atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE);
	if (*hp == NULL) {
		netisr_count_unregistered(1);
		m_freem(m);
		return -EPROTONOSUPPORT;
	}
	*npp = np;
	return vnet_admit(netisr_vnets_of(np), proto, m);
}

int
netisr_queue_src(unsigned proto, uintptr_t source, struct mbuf *m)
{
	netisr_handler_t *h;
	struct netisr_proto *np;
	unsigned cpu;
	int err;

	if ((err = proto_for_dispatch(proto, m, &np, &h)) != 0)
		return err;
	m = select_cpuid(np, NETISR_DISPATCH_DEFERRED, source, m, &cpu);
	if (m == NULL) {
		count_drop(netisr_plat_curcpu(), proto);
		return -ENOBUFS;
	}
	return queue_workstream(cpu, proto, m);
}

int
netisr_queue(unsigned proto, struct mbuf *m)
{
	return netisr_queue_src(proto, 0, m);
}

/* Hybrid, target is this CPU: inline unless work is queued or running. */
static int
hybrid_local(unsigned cpu, unsigned proto, netisr_handler_t *h,
    struct mbuf *m)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];
	struct netisr_work *nw = &nws->nws_work[proto];
	bool wake = false;

	spinlock_lock(&nws->nws_lock);
	check_scheduled(nws, __func__);
	if (nws->nws_flags & (NWS_RUNNING | NWS_DISPATCHING | NWS_SCHEDULED)) {
		spinlock_unlock(&nws->nws_lock);
		return queue_workstream(cpu, proto, m);
	}
	nws->nws_flags |= NWS_DISPATCHING;
	spinlock_unlock(&nws->nws_lock);
	netisr_owner_add(&nw->nw_hybrid_dispatched, 1);
	netisr_owner_add(&nw->nw_handled, 1);
	netisr_depth_enter(cpu);
	run_handler(h, m);
	netisr_depth_leave(cpu);
	spinlock_lock(&nws->nws_lock);
	nws->nws_flags &= ~NWS_DISPATCHING;
	if (nws->nws_pending != 0 && (nws->nws_flags & NWS_SCHEDULED) == 0) {
		nws->nws_flags |= NWS_SCHEDULED;
		wake = true;
	}
	spinlock_unlock(&nws->nws_lock);
	if (wake)
		netisr_plat_wake(cpu);
	return 0;
}

int
netisr_dispatch_src(unsigned proto, uintptr_t source, struct mbuf *m)
{
	netisr_handler_t *h;
	struct netisr_proto *np;
	unsigned policy, cur, cpu;
	int err;

	if ((err = proto_for_dispatch(proto, m, &np, &h)) != 0)
		return err;
	policy = np->np_dispatch != NETISR_DISPATCH_DEFAULT ? np->np_dispatch :
	    __atomic_load_n(&netisr_dispatch_policy, __ATOMIC_ACQUIRE);
	cur = netisr_plat_curcpu();
	if (policy == NETISR_DISPATCH_DIRECT) {
		struct netisr_work *nw = &netisr_ws[cur].nws_work[proto];

		netisr_owner_add(&nw->nw_dispatched, 1);
		netisr_owner_add(&nw->nw_handled, 1);
		netisr_depth_enter(cur);
		run_handler(h, m);
		netisr_depth_leave(cur);
		return 0;
	}
	m = select_cpuid(np, policy, source, m, &cpu);
	if (m == NULL) {
		count_drop(cur, proto);
		return -ENOBUFS;
	}
	if (policy == NETISR_DISPATCH_DEFERRED || cpu != cur)
		return queue_workstream(cpu, proto, m);
	return hybrid_local(cur, proto, h, m);
}

int
netisr_dispatch(unsigned proto, struct mbuf *m)
{
	return netisr_dispatch_src(proto, 0, m);
}

/*
 * Appends the list first..last (n packets, in order) to cpu's queue for
 * proto with one lock acquisition; what does not fit is dropped from the
 * end and counted.  Returns the number dropped.
 */
static unsigned
queue_workstream_list(unsigned cpu, unsigned proto, struct mbuf *first,
    unsigned n)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];
	struct netisr_work *nw = &nws->nws_work[proto];
	struct mbuf *m = first, *last = NULL, *rest;
	unsigned room, k, dropped;
	bool wake = false;

	spinlock_lock(&nws->nws_lock);
	check_scheduled(nws, __func__);
	room = nw->nw_qlimit > nw->nw_len ? nw->nw_qlimit - nw->nw_len : 0;
	for (k = 0; k < n && k < room; k++) {
		last = m;
		m = m->m_nextpkt;
	}
	rest = m;
	if (last != NULL) {
		last->m_nextpkt = NULL;
		if (nw->nw_tail != NULL)
			nw->nw_tail->m_nextpkt = first;
		else
			nw->nw_head = first;
		nw->nw_tail = last;
		nw->nw_len += k;
		if (nw->nw_len > nw->nw_watermark)
			nw->nw_watermark = nw->nw_len;
		nw->nw_queued += k;
		pending_set(nws, 1u << proto);
		if ((nws->nws_flags & (NWS_RUNNING | NWS_DISPATCHING |
		    NWS_SCHEDULED)) == 0) {
			nws->nws_flags |= NWS_SCHEDULED;
			wake = true;
		}
	}
	spinlock_unlock(&nws->nws_lock);
	if (wake)
		netisr_plat_wake(cpu);
	for (dropped = 0; rest != NULL; rest = m, dropped++) {
		m = rest->m_nextpkt;
		rest->m_nextpkt = NULL;
		count_drop(cpu, proto);
		m_freem(rest);
	}
	return dropped;
}

/*
 * Dispatches n packets from one source, as netisr_dispatch_src() on each
 * in turn would, except that packets queued for the same workstream are
 * appended with one lock acquisition (a driver's poll hands its whole
 * batch over at once).  Order is kept per target CPU, and so per flow.
 * Under direct dispatch the admitted packets run here together, through
 * the protocol's batch handler if it has one.  ms[] is scratch: its
 * contents are undefined on return.  Returns the number of packets
 * dropped.
 */
unsigned
netisr_dispatch_batch(unsigned proto, uintptr_t source, struct mbuf **ms,
    unsigned n)
{
	struct mbuf *head[NETISR_MAXCPU], *tail[NETISR_MAXCPU], *m;
	unsigned cnt[NETISR_MAXCPU], policy, cur, cpu, i, dropped = 0;
	unsigned ndirect = 0;
	netisr_batch_handler_t *hb;
	netisr_handler_t *h;
	struct netisr_proto *np;
	uint64_t vnets;

	if (n == 0)
		return 0;
	if (proto == 0 || proto >= NETISR_MAXPROT ||
	    __atomic_load_n(&netisr_proto[proto].np_handler,
	    __ATOMIC_ACQUIRE) == NULL) {
		for (i = 0; i < n; i++)
			if (ms[i] != NULL &&
			    netisr_dispatch_src(proto, source, ms[i]) != 0)
				dropped++;
		return dropped;
	}
	np = &netisr_proto[proto];
	h = __atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE);
	hb = np->np_handler_batch;
	vnets = netisr_vnets_of(np);
	policy = np->np_dispatch != NETISR_DISPATCH_DEFAULT ? np->np_dispatch :
	    __atomic_load_n(&netisr_dispatch_policy, __ATOMIC_ACQUIRE);
	cur = netisr_plat_curcpu();
	if (policy == NETISR_DISPATCH_DIRECT) {
		/* Admitted packets, compacted in order, run here at once. */
		struct netisr_work *nw = &netisr_ws[cur].nws_work[proto];

		for (i = 0; i < n; i++) {
			if (ms[i] == NULL)
				continue;
			if (vnet_admit(vnets, proto, ms[i]) != 0)
				dropped++;
			else
				ms[ndirect++] = ms[i];
		}
		if (ndirect == 0)
			return dropped;
		netisr_owner_add(&nw->nw_dispatched, ndirect);
		netisr_depth_enter(cur);
		netisr_run_handlers(nw, h, hb, ms, ndirect);
		netisr_depth_leave(cur);
		return dropped;
	}
	for (cpu = 0; cpu < netisr_ncpus; cpu++) {
		head[cpu] = tail[cpu] = NULL;
		cnt[cpu] = 0;
	}
	for (i = 0; i < n; i++) {
		m = ms[i];
		if (m == NULL)
			continue;
		if (vnet_admit(vnets, proto, m) != 0) {
			dropped++;
			continue;
		}
		m = select_cpuid(np, policy, source, m, &cpu);
		if (m == NULL) {
			count_drop(cur, proto);
			dropped++;
			continue;
		}
		if (policy == NETISR_DISPATCH_HYBRID && cpu == cur &&
		    head[cur] == NULL) {
			if (hybrid_local(cur, proto, h, m) != 0)
				dropped++;
			continue;
		}
		m->m_nextpkt = NULL;
		if (tail[cpu] != NULL)
			tail[cpu]->m_nextpkt = m;
		else
			head[cpu] = m;
		tail[cpu] = m;
		cnt[cpu]++;
	}
	for (cpu = 0; cpu < netisr_ncpus; cpu++)
		if (head[cpu] != NULL)
			dropped += queue_workstream_list(cpu, proto, head[cpu],
			    cnt[cpu]);
	return dropped;
}

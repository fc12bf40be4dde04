/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_vnet.c: virtual network stacks (vnets), the control side of
 * FreeBSD's VIMAGE netisr: enabling a registered protocol in a vnet
 * (netisr_register_vnet()), disabling it there and purging that vnet's
 * queued packets of it (netisr_unregister_vnet()), and the per-vnet
 * enable bits and counters.  Portable, like netisr.c.
 *
 * Design: every protocol has one 64-bit word of enable bits, np_vnets,
 * bit v for vnet v (netisr_var.h).  netisr_register() sets bit 0 only,
 * netisr_unregister() clears them all (netisr_ctl.c).  The data path
 * (netisr.c) reads the word with one relaxed load per packet, or per
 * batch, and frees a packet whose vnet's bit is clear: at the door,
 * before placement (counted as a vnet drop on the dispatching CPU), or,
 * should one ever be queued, when the worker takes it off its queue
 * (counted as purged on the worker's CPU).  Every handler runs inside
 * CURVNET_SET(m->m_pkthdr.vnet).  Counters are per CPU, per vnet and per
 * protocol; the accessors sum them.
 *
 * Enabling needs no barrier: a packet that missed the new bit was freed
 * and counted, one that saw it is handled as usual.  Disabling takes the
 * barrier, as netisr_unregister() does, which gives netisr.h's guarantee:
 * with every other CPU parked (inside a message, so between packets,
 * never between a packet's enable check and its handler call or
 * enqueue) and the caller itself at depth 0, no handler of the protocol
 * is running anywhere and no packet is half-way in; the bit is cleared
 * and every workstream's queue for the protocol is walked under its lock,
 * freeing the packets of that vnet and keeping the others in order.  The
 * barrier's release orders the cleared bit before anything a parked CPU
 * does next, so from then on that vnet's packets are dropped at the door.
 * The worker's own check stays as a second line: it costs one load per
 * batch and keeps the promise "never handled in a disabled vnet" local to
 * the code that calls handlers.  FreeBSD gets the same effect from its
 * netisr rmlock, which dispatch holds read-locked around the handler.
 *
 * Differences from FreeBSD: a packet's vnet is m_pkthdr.vnet (FreeBSD
 * uses curvnet, which the driver sets from the receiving interface), so
 * the check at the door reads the packet, not the caller's curvnet; a
 * packet dropped there is counted (FreeBSD counts nothing) and the call
 * returns -EPROTONOSUPPORT (FreeBSD's ENOPROTOOPT is not in
 * kernel/errno.h); a purged packet is counted, and the workstream's
 * counter identity keeps it (dispatched + hybrid_dispatched + queued =
 * handled + len + purged), where FreeBSD only lowers nw_len.
 *
 * Locking: np_vnets changes with atomic read-modify-writes under
 * netisr_reg_lock; a bit is cleared only with the barrier held as well
 * (barrier first, then netisr_reg_lock, as netisr_unregister()).  Each
 * queue is walked under its nws_lock; purged packets are freed after
 * every lock and the barrier are released.  The per-vnet counters
 * (nws_vnet[][]) and nw_purged are atomics; nw_purged changes under
 * nws_lock together with nw_len, so a snapshot sees both or neither.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

/*
 * Enables a registered protocol in curvnet.  0, or -ENOENT (not
 * registered), -EINVAL (curvnet >= NETISR_MAXVNETS).  Enabling twice is
 * not an error.  Takes and releases netisr_reg_lock; never waits for
 * another CPU, so it is allowed inside a netisr callback.
 */
int
netisr_register_vnet(const struct netisr_handler *nhp)
{
	struct netisr_proto *np = proto_of(nhp);
	unsigned vnet = curvnet;

	if (np == NULL)
		return -ENOENT;
	if (vnet >= NETISR_MAXVNETS)
		return -EINVAL;
	spinlock_lock(&netisr_reg_lock);
	if (proto_of(nhp) != np) {		/* unregistered meanwhile */
		spinlock_unlock(&netisr_reg_lock);
		return -ENOENT;
	}
	__atomic_fetch_or(&np->np_vnets, 1ull << vnet, __ATOMIC_RELEASE);
	spinlock_unlock(&netisr_reg_lock);
	return 0;
}

/*
 * Under the barrier, netisr_reg_lock and nothing else: takes cpu's
 * queued packets of (vnet, proto) off its queue, in order, appends them
 * to *tailp's list and counts them as purged.  Returns how many.  Takes
 * and releases cpu's nws_lock.
 */
static unsigned
purge_cpu(unsigned cpu, unsigned vnet, unsigned proto, struct mbuf ***tailp)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];
	struct netisr_work *nw = &nws->nws_work[proto];
	struct mbuf **pp, *m, *last = NULL;
	unsigned n = 0;

	spinlock_lock(&nws->nws_lock);
	KASSERT((nws->nws_flags & (NWS_RUNNING | NWS_DISPATCHING)) == 0,
	    ("%s: cpu %u runs handlers under the barrier", __func__, cpu));
	for (pp = &nw->nw_head; (m = *pp) != NULL;) {
		if (m->m_pkthdr.vnet != vnet) {
			last = m;
			pp = &m->m_nextpkt;
			continue;
		}
		*pp = m->m_nextpkt;		/* unlink, keep the rest */
		m->m_nextpkt = NULL;
		**tailp = m;
		*tailp = &m->m_nextpkt;
		n++;
	}
	nw->nw_tail = last;
	KASSERT(nw->nw_len >= n, ("%s: cpu %u proto %u: len %u, purged %u",
	    __func__, cpu, proto, nw->nw_len, n));
	nw->nw_len -= n;
	__atomic_fetch_add(&nw->nw_purged, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&nws->nws_vnet[vnet][proto].nvc_purged, n,
	    __ATOMIC_RELAXED);
	if (nw->nw_head == NULL) {
		pending_clear(nws, 1u << proto);
		/* As netisr_unregister(): no stale NWS_SCHEDULED. */
		if (nws->nws_pending == 0)
			nws->nws_flags &= ~NWS_SCHEDULED;
	}
	spinlock_unlock(&nws->nws_lock);
	return n;
}

/*
 * Disables a registered protocol in curvnet and frees that vnet's queued
 * packets of it on every CPU (m_freem, counted as purged per workstream
 * and per vnet); other vnets' packets and other protocols stay queued, in
 * order.  0, or -ENOENT (not registered), -EINVAL (curvnet out of range),
 * -EDEADLK (inside a netisr callback or a foreign poller: the barrier
 * cannot be taken there).  Called with no lock held; takes the barrier,
 * then netisr_reg_lock, then each nws_lock in turn; frees the packets
 * after releasing them all.
 */
int
netisr_unregister_vnet(const struct netisr_handler *nhp)
{
	struct netisr_proto *np = proto_of(nhp);
	unsigned vnet = curvnet, proto, i;
	struct mbuf *list = NULL, **tail = &list, *m, *next;
	int err;

	if (np == NULL)
		return -ENOENT;
	if (vnet >= NETISR_MAXVNETS)
		return -EINVAL;
	proto = nhp->nh_proto;
	if ((err = netisr_barrier_enter(false)) != 0)
		return err;
	spinlock_lock(&netisr_reg_lock);
	if (proto_of(nhp) != np) {		/* unregistered meanwhile */
		err = -ENOENT;
		goto out;
	}
	__atomic_fetch_and(&np->np_vnets, ~(1ull << vnet), __ATOMIC_RELEASE);
	for (i = 0; i < netisr_ncpus; i++)
		(void)purge_cpu(i, vnet, proto, &tail);
out:
	spinlock_unlock(&netisr_reg_lock);
	netisr_barrier_rem();
	for (m = list; m != NULL; m = next) {
		next = m->m_nextpkt;
		m->m_nextpkt = NULL;
		m_freem(m);
	}
	return err;
}

/* True if proto is registered and enabled in vnet.  Lock-free. */
bool
netisr_vnet_enabled(unsigned vnet, unsigned proto)
{
	const struct netisr_proto *np;

	if (vnet >= NETISR_MAXVNETS || proto == 0 || proto >= NETISR_MAXPROT)
		return false;
	np = &netisr_proto[proto];
	if (__atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE) == NULL)
		return false;
	return netisr_vnet_in(netisr_vnets_of(np), vnet);
}

/* Sums one per-CPU counter of (vnet, proto) over the CPUs.  Lock-free. */
static uint64_t
vnet_sum(unsigned vnet, unsigned proto, bool purged)
{
	const struct netisr_vnet_count *c;
	uint64_t sum = 0;
	unsigned i;

	if (vnet >= NETISR_MAXVNETS || proto == 0 || proto >= NETISR_MAXPROT)
		return 0;
	for (i = 0; i < netisr_ncpus; i++) {
		c = &netisr_ws[i].nws_vnet[vnet][proto];
		sum += __atomic_load_n(purged ? &c->nvc_purged : &c->nvc_drops,
		    __ATOMIC_RELAXED);
	}
	return sum;
}

uint64_t
netisr_get_vnet_drops(unsigned vnet, unsigned proto)
{
	return vnet_sum(vnet, proto, false);
}

uint64_t
netisr_get_vnet_purged(unsigned vnet, unsigned proto)
{
	return vnet_sum(vnet, proto, true);
}

uint64_t
netisr_get_badvnet_drops(void)
{
	return __atomic_load_n(&netisr_badvnet_drops, __ATOMIC_RELAXED);
}

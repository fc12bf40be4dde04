/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_worker.c: the per-CPU worker that drains the queues netisr.c
 * fills (deferred and hybrid dispatch, netisr_queue): messages first
 * (netmsg.c), then each protocol's queue in ascending protocol order, at
 * most NETISR_BATCH_CAP packets per protocol per pass, through the
 * protocol's batch handler NETISR_RUN_CHUNK packets at a time when it
 * has one (one call per run of one vnet's packets), or its handler per
 * packet.
 *
 * Locking: see netisr_var.h.  The worker takes its workstream's lock to
 * detach a queue's packets and drops it while handlers run; NWS_RUNNING
 * marks the pass.
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/netisr/netisr_plat.h"
#include "net/netisr/netisr_var.h"

/*
 * The worker hands a queue's packets to a batch handler this many at a
 * time (an on-stack array; a pass takes up to NETISR_BATCH_CAP).
 */
#define NETISR_RUN_CHUNK	64

/*
 * Runs this CPU's queued packets: protocols in ascending order, at most
 * NETISR_BATCH_CAP per protocol, handlers with the lock dropped, each in
 * its packet's vnet.  A packet whose vnet has the protocol disabled is
 * freed and counted as purged instead (netisr.h: the vnet guarantee).
 * Returns true if packets are left (the caller polls again after other
 * work).  Only at depth 0: never inside a handler, nor inside itself.
 */
bool
netisr_poll_packets(unsigned cpu)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];
	struct mbuf *batch, *m, *next, *last, *run[NETISR_RUN_CHUNK];
	unsigned proto, n, purged, k, ran = 0;
	netisr_batch_handler_t *hb;
	netisr_handler_t *h;
	uint64_t vnets;
	bool more;

	KASSERT(netisr_depth(cpu) == 0, ("%s: cpu %u: worker entered at "
	    "depth %u (inside a handler or itself)", __func__, cpu,
	    netisr_depth(cpu)));
	/*
	 * Lock-free look first: an idle worker polling in a loop must not
	 * pull the lock's cache line away from the CPUs enqueueing here.
	 * pending is set under the lock before the producer wakes us, so a
	 * wake-up always finds it.
	 */
	if (__atomic_load_n(&nws->nws_pending, __ATOMIC_ACQUIRE) == 0)
		return false;
	spinlock_lock(&nws->nws_lock);
	nws->nws_flags &= ~NWS_SCHEDULED;
	if (nws->nws_pending == 0) {
		spinlock_unlock(&nws->nws_lock);
		return false;
	}
	nws->nws_flags |= NWS_RUNNING;
	netisr_depth_enter(cpu);
	for (proto = 1; proto < NETISR_MAXPROT; proto++) {
		struct netisr_work *nw = &nws->nws_work[proto];
		struct netisr_proto *np = &netisr_proto[proto];

		if ((nws->nws_pending & (1u << proto)) == 0)
			continue;
		batch = nw->nw_head;
		last = NULL;
		for (n = 0, m = batch; n < NETISR_BATCH_CAP && m != NULL; n++) {
			last = m;
			m = m->m_nextpkt;
		}
		if (last != NULL)
			last->m_nextpkt = NULL;
		nw->nw_head = m;
		nw->nw_len -= n;
		if (m == NULL) {
			nw->nw_tail = NULL;
			pending_clear(nws, 1u << proto);
		}
		spinlock_unlock(&nws->nws_lock);
		/*
		 * Unregistration flushes the queues under the barrier, and
		 * this CPU parks for it only between passes, so a protocol
		 * whose packets we just took still has its handler.
		 */
		h = __atomic_load_n(&np->np_handler, __ATOMIC_ACQUIRE);
		KASSERT(h != NULL, ("%s: cpu %u: proto %u queued without a "
		    "handler", __func__, cpu, proto));
		hb = np->np_handler_batch;
		vnets = netisr_vnets_of(np);
		for (m = batch, purged = 0, k = 0; m != NULL; m = next) {
			next = m->m_nextpkt;
			m->m_nextpkt = NULL;
			if (h == NULL) {
				m_freem(m);
			} else if (netisr_vnet_in(vnets, m->m_pkthdr.vnet)) {
				run[k++] = m;
				if (k == NETISR_RUN_CHUNK) {
					netisr_run_handlers(nw, h, hb, run, k);
					k = 0;
				}
			} else {
				netisr_count_vnet(cpu, m->m_pkthdr.vnet, proto,
				    true);
				m_freem(m);
				purged++;
			}
		}
		if (k != 0)
			netisr_run_handlers(nw, h, hb, run, k);
		if (h != NULL) {
			if (purged != 0)
				__atomic_fetch_add(&nw->nw_purged, purged,
				    __ATOMIC_RELAXED);
		} else {
			netisr_count_unregistered(n);
		}
		if (np->np_drainedcpu != NULL)
			np->np_drainedcpu(cpu);
		ran += n;
		spinlock_lock(&nws->nws_lock);
	}
	nws->nws_flags &= ~NWS_RUNNING;
	more = nws->nws_pending != 0;
	if (more)
		nws->nws_flags |= NWS_SCHEDULED;
	spinlock_unlock(&nws->nws_lock);
	if (ran != 0)
		netisr_run_rollups(cpu);
	netisr_depth_leave(cpu);
	return more;
}

/*
 * The worker.  Called inside a netisr callback (a handler waiting in the
 * kernel's smp_call_sync runs the core loop), it runs nothing: messages
 * could park this CPU for a barrier and drain it, which is the worker
 * nested.  It returns whether work is waiting, to be polled again from
 * the loop's top level.
 */
bool
netisr_poll(unsigned cpu)
{
	struct netisr_workstream *nws = &netisr_ws[cpu];

	KASSERT(cpu == netisr_plat_curcpu(), ("%s: cpu %u polled on %u",
	    __func__, cpu, netisr_plat_curcpu()));
	if (netisr_depth(cpu) != 0)
		return __atomic_load_n(&nws->nws_pending, __ATOMIC_ACQUIRE) !=
		    0 || !workq_empty(&nws->nws_msgq);
	netmsg_run_queue(cpu);
	return netisr_poll_packets(cpu) || !workq_empty(&nws->nws_msgq);
}

bool
netisr_all_idle(void)
{
	unsigned i, pending;

	for (i = 0; i < netisr_ncpus; i++) {
		spinlock_lock(&netisr_ws[i].nws_lock);
		pending = netisr_ws[i].nws_pending;
		spinlock_unlock(&netisr_ws[i].nws_lock);
		if (pending != 0)
			return false;
	}
	return true;
}

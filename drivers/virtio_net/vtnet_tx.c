/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_tx.c: virtio-net transmit.
 *
 * A CPU transmits on its own queue (cpu mod N, net/netisr/rss.h), or,
 * given a flow hash, on the queue of the CPU that owns the flow.  The
 * interface layer's transmit (ifo_transmit) is vtnet_if_transmit.  Each
 * frame takes a tx slot, which
 * holds the virtio_net_hdr the device reads and, when INDIRECT_DESC was
 * negotiated, the indirect descriptor table for the frame's segments, so
 * a multi-segment frame costs one ring descriptor.  The header goes first
 * and the caller's segments follow without copying; the caller's done
 * callback runs when the device has finished with them.  With CSUM the
 * caller may ask for checksum offload (NEEDS_CSUM).  A full ring returns
 * -ENOBUFS and is counted, never waited for.
 *
 * Completions, in batches, with the interrupt mostly off (as OpenBSD's
 * vio and FreeBSD's vtnet do it; no code taken from either):
 *   - A transmit first reclaims up to VTNET_TX_DONE_BATCH chains the
 *     device finished (VTNET_TX_RECLAIM_MIN says why not wait for
 *     more), so a sending CPU keeps its ring drained itself
 *     in batches and the queue's interrupt stays off (used_event parked,
 *     vq_intr_disable) while the ring has room.
 *   - A transmit that leaves fewer than a quarter of the ring's
 *     descriptors free (size / VTNET_TX_INTR_LOW_DIV: with INDIRECT_DESC
 *     one per frame, 64 of 256) arms the interrupt postponed
 *     (vq_intr_postpone): it comes once about 3/4 of the chains then
 *     outstanding are used, so one interrupt returns a large batch.  A
 *     quarter, not OpenBSD's full ring: the sender can go on queueing 64
 *     frames (up to 16 segments each) while the device catches up and the
 *     interrupt is on its way, so a transmit is not refused because
 *     completions wait; earlier would take interrupts a sender that
 *     reclaims as it goes does not need.  The arming re-checks after its
 *     full fence (the device already past the mark): then the poller is
 *     marked at once.  The poller (vtnet_tx_poll) reclaims everything,
 *     then parks the interrupt again if the ring has room, or re-arms it
 *     postponed if the device is still behind.
 *   - Idle bound: a transmit that leaves chains outstanding arms, unless
 *     it is armed already (vtx_idle_armed: one test per packet), a
 *     VTNET_TX_IDLE_TICKS callout on the queue's CPU; from another CPU it
 *     asks the queue's poller to arm it (vtx_idle_ask, a poller mark).
 *     The callout reclaims everything and re-arms itself while chains stay
 *     outstanding.  So once traffic stops, a chain the device has used is
 *     reclaimed (its lwIP pbuf, or a lent rx buffer such as an echo
 *     request's, freed) at most one tick (10 ms) plus one core-loop pass
 *     after the device used it; the watchdog below marks the poller every
 *     50 ms too, as a second line.
 *   - Counted per queue, summed by `netstat -i` (`tx done ...`): chains
 *     reclaimed, non-empty batches, tx interrupts, postponed armings,
 *     callout runs, chains outstanding.
 * No allocation, print or global lock per packet: the flag test and, in
 * a rare transmit, a callout insertion or a poller mark.
 *
 * Lost notifications.  With EVENT_IDX the driver rings the doorbell only
 * when its avail idx crosses the device's avail_event, so one notification
 * the device misses silences the queue for good: the device waits to be
 * told, the driver thinks it was, and once the ring is full every
 * transmit fails.  QEMU 7.2's virtio-net can get there: when its backend
 * was busy, tx_complete() re-enables notification and flushes, and each
 * pop in that flush moves avail_event to its last_avail_idx with no full
 * barrier before the pop re-reads avail idx and finds the ring empty
 * (virtqueue_split_pop, virtio_queue_empty).  A descriptor published in
 * that window is seen by neither side: the driver read the older
 * avail_event (no kick), the device the older avail idx (nothing to do).
 * Two things recover from any such state, whoever lost the notification:
 *   - a transmit that finds the ring full rings the doorbell once (until
 *     a transmit succeeds again): vtx_full_kicks;
 *   - the transmit watchdog (CPU 0, every VTNET_TX_WD_TICKS) rings the
 *     doorbell of a queue with published chains whose used idx has not
 *     moved since the last check (vtx_wd_kicks), prints the ring state
 *     once per queue after VTNET_TX_WD_REPORT such checks, and marks the
 *     queue's poller when completions wait to be reclaimed (a lost
 *     interrupt, or a late idle callout).  A spurious doorbell costs the
 *     device one look.
 *
 * Locking: vtx_lock protects the ring (its interrupt state too), the slot
 * free list, the idle flags and the counters.  Completion callbacks run
 * after it is dropped, never under it.  vtx_idle_co is armed, under
 * vtx_lock, only on the queue's CPU, whose core loop alone touches its
 * callout list.  With at least as many queues as CPUs only the owning CPU
 * and, every 50 ms, the watchdog take vtx_lock, so it is uncontended.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"
#include "kernel/callout.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"
#include "kernel/prof.h"
#include "net/netisr/rss.h"

#define VTNET_TX_DONE_BATCH	32
/*
 * A transmit reclaims once this many chains are used: 1, every time.  A
 * completion holds the stack's buffers (a GSO frame up to 48 lwIP pbufs),
 * so waiting for a batch to form costs the stack its pools: at 16, iperf3
 * -R -P 4 at -smp 2 ran lwIP's pbuf pool dry (memp pbuf err 44), the
 * senders stalled until their next ACK or poll, and the run fell to 75
 * Mbit/s.  Batches still form: whatever finished since the last transmit.
 */
#define VTNET_TX_RECLAIM_MIN	1

struct vtnet_tx_done {
	vtnet_tx_done_fn	*td_fn;
	void			*td_arg;
};

struct vtnet_tx_slot {
	struct vtnet_hdr	vts_hdr;
	struct vring_desc	vts_indirect[VTNET_TX_MAX_SEGS + 1];
	struct vtnet_tx_slot	*vts_next;
	uint32_t		vts_len;
	vtnet_tx_done_fn	*vts_done;
	void			*vts_arg;
};

size_t
vtnet_tx_slot_bytes(void)
{
	return sizeof(struct vtnet_tx_slot);
}

int
vtnet_tx_setup(struct vtnet_softc *sc, struct vtnet_txq *txq)
{
	uint16_t q = (uint16_t)(2 * txq->vtx_id + 1), size, i;
	void *desc, *avail, *used;
	int err;

	spinlock_init(&txq->vtx_lock);
	size = virtio_pci_queue_max(&sc->vs_vp, q);
	if (size > sc->vs_ring_max)
		size = sc->vs_ring_max;
	txq->vtx_size = size;
	desc = vtnet_ring_alloc(vq_desc_bytes(size));
	avail = vtnet_ring_alloc(vq_avail_bytes(size));
	used = vtnet_ring_alloc(vq_used_bytes(size));
	txq->vtx_cookies = vtnet_ring_alloc(size * sizeof(void *));
	txq->vtx_slots = vtnet_ring_alloc(size * sizeof(struct vtnet_tx_slot));
	if (desc == NULL || avail == NULL || used == NULL ||
	    txq->vtx_cookies == NULL || txq->vtx_slots == NULL)
		return -ENOMEM;
	txq->vtx_free = NULL;
	for (i = 0; i < size; i++) {
		txq->vtx_slots[i].vts_next = txq->vtx_free;
		txq->vtx_free = &txq->vtx_slots[i];
	}
	err = vq_init(&txq->vtx_vq, size, desc, avail, used, txq->vtx_cookies,
	    sc->vs_event_idx, sc->vs_indirect);
	if (err != 0)
		return err;
	vq_intr_disable(&txq->vtx_vq);	/* off while the ring has room */
	callout_init(&txq->vtx_idle_co);
	txq->vtx_idle_armed = false;
	txq->vtx_idle_ask = false;
	return virtio_pci_queue_setup(&sc->vs_vp, q, size, q, vq_phys(desc),
	    vq_phys(avail), vq_phys(used), &txq->vtx_notify);
}

/*
 * Frees completed slots, collecting their callbacks into done[] (at most
 * VTNET_TX_DONE_BATCH) to be run once vtx_lock is dropped: a callback may
 * take a stack's lock that a transmitting CPU holds while it waits for
 * vtx_lock.  Called with vtx_lock.  Returns the number collected.
 */
static unsigned
tx_reclaim(struct vtnet_txq *txq, struct vtnet_tx_done *done)
{
	struct vtnet_tx_slot *slot;
	uint32_t len;
	unsigned n = 0;

	while (n < VTNET_TX_DONE_BATCH &&
	    (slot = vq_get_used(&txq->vtx_vq, &len)) != NULL) {
		done[n].td_fn = slot->vts_done;
		done[n].td_arg = slot->vts_arg;
		n++;
		slot->vts_next = txq->vtx_free;
		txq->vtx_free = slot;
	}
	if (n > 0) {
		txq->vtx_reclaimed += n;
		txq->vtx_batches++;
	}
	return n;
}

/* Chains given to the device and not reclaimed.  vtx_lock held. */
static uint16_t
tx_outstanding(const struct vtnet_txq *txq)
{
	return (uint16_t)(txq->vtx_vq.vq_avail_idx - txq->vtx_vq.vq_last_used);
}

/* Fewer than a quarter of the descriptors free.  vtx_lock held. */
static bool
tx_nearly_full(const struct vtnet_txq *txq)
{
	return vq_nfree(&txq->vtx_vq) < txq->vtx_size / VTNET_TX_INTR_LOW_DIV;
}

/*
 * Arms the interrupt to come once about 3/4 of the outstanding chains are
 * used.  vtx_lock held.  Returns true if they already are: then the
 * interrupt may not come, and the caller must see the poller runs.
 */
static bool
tx_intr_postpone(struct vtnet_txq *txq)
{
	uint16_t out = tx_outstanding(txq);

	txq->vtx_intr_arms++;
	return vq_intr_postpone(&txq->vtx_vq, (uint16_t)(out - out / 4));
}

static void
tx_run_done(const struct vtnet_tx_done *done, unsigned n)
{
	unsigned i;

	if (n == 0)
		return;
	prof_enter(PROF_TX_DONE);
	for (i = 0; i < n; i++)
		if (done[i].td_fn != NULL)
			done[i].td_fn(done[i].td_arg);
	prof_leave();
}

static void
tx_doorbell(struct vtnet_txq *txq)
{
	*txq->vtx_notify = (uint16_t)(2 * txq->vtx_id + 1);
}

/* One queue's check, vtx_lock held.  Returns true to print its state. */
static bool
tx_watchdog_check(struct vtnet_txq *txq)
{
	struct virtqueue *vq = &txq->vtx_vq;
	uint16_t used;

	used = __atomic_load_n(&vq->vq_used->vu_idx, __ATOMIC_ACQUIRE);
	if (used != vq->vq_last_used)	/* completions to reclaim */
		coreloop_mark_pending(txq->vtx_pc, 1u << txq->vtx_bit);
	if (used == vq->vq_avail_pub || used != txq->vtx_wd_used) {
		/* Nothing outstanding, or the device made progress. */
		txq->vtx_wd_used = used;
		txq->vtx_wd_stuck = 0;
		return false;
	}
	tx_doorbell(txq);
	txq->vtx_wd_kicks++;
	if (txq->vtx_wd_stuck < VTNET_TX_WD_REPORT)
		txq->vtx_wd_stuck++;
	if (txq->vtx_wd_stuck < VTNET_TX_WD_REPORT || txq->vtx_wd_reported)
		return false;
	txq->vtx_wd_reported = true;
	return true;
}

/*
 * CPU 0, every VTNET_TX_WD_TICKS, one callout per device (vs_tx_wd):
 * doorbell for queues that stopped.
 */
static void
tx_watchdog(void *arg)
{
	struct vtnet_softc *sc = arg;
	struct vtnet_txq *txq;
	struct virtqueue *vq;
	uint16_t q, avail, pub, used, last, aev;
	uint64_t kicks, supp;
	bool report;

	for (q = 0; q < sc->vs_nqueues; q++) {
		txq = &sc->vs_txq[q];
		vq = &txq->vtx_vq;
		spinlock_lock(&txq->vtx_lock);
		report = tx_watchdog_check(txq);
		avail = vq->vq_avail_idx;
		pub = vq->vq_avail_pub;
		used = vq->vq_used->vu_idx;
		last = vq->vq_last_used;
		aev = *vring_avail_event(vq->vq_used, vq->vq_size);
		kicks = vq->vq_kicks;
		supp = vq->vq_kicks_suppressed;
		spinlock_unlock(&txq->vtx_lock);
		if (report)
			printk("%s: tx%u: no progress for %u ms with %u "
			    "chains published: avail %u published %u used %u "
			    "last_used %u avail_event %u kicks %lu suppressed "
			    "%lu; doorbell rung (printed once)\n",
			    vtnet_name(sc), q,
			    VTNET_TX_WD_REPORT * VTNET_TX_WD_TICKS *
			    (1000 / CALLOUT_HZ), (uint16_t)(pub - used), avail,
			    pub, used, last, aev, kicks, supp);
	}
	callout_reset(&sc->vs_tx_wd, VTNET_TX_WD_TICKS, tx_watchdog, sc);
}

/* On CPU 0, after the queues are started. */
void
vtnet_tx_watchdog_start(struct vtnet_softc *sc)
{
	callout_init(&sc->vs_tx_wd);
	callout_reset(&sc->vs_tx_wd, VTNET_TX_WD_TICKS, tx_watchdog, sc);
}

/*
 * The ring is full: ring the doorbell once, in case the device is waiting
 * for a notification it missed.  vtx_lock held.
 */
static void
tx_full(struct vtnet_txq *txq)
{
	txq->vtx_full++;
	txq->vtx_drops++;
	if (!txq->vtx_full_kicked) {
		txq->vtx_full_kicked = true;
		txq->vtx_full_kicks++;
		tx_doorbell(txq);
	}
}

/*
 * Fault injection (`vtnet losekick`): the next n doorbells that transmits
 * on queue q would ring are not rung, as if the device had missed them.
 */
int
vtnet_tx_lose_kicks(struct vtnet_softc *sc, uint16_t q, uint32_t n)
{
	struct vtnet_txq *txq;

	if (q >= sc->vs_nqueues)
		return -EINVAL;
	txq = &sc->vs_txq[q];
	spinlock_lock(&txq->vtx_lock);
	txq->vtx_lose_kicks = n;
	spinlock_unlock(&txq->vtx_lock);
	return 0;
}

static void tx_idle(void *arg);

/*
 * After reclaiming all the device had finished, on the queue's CPU,
 * vtx_lock held: park the interrupt if the ring has room, else re-arm it
 * postponed; arm the idle callout if chains are outstanding and it is not
 * armed, or another CPU asked.  Returns true to reclaim again (the
 * postponed mark was already passed).
 */
static bool
tx_settle(struct vtnet_txq *txq)
{
	struct virtqueue *vq = &txq->vtx_vq;
	bool again = false;

	if (!tx_nearly_full(txq))
		vq_intr_disable(vq);
	else if (vq->vq_intr_off)
		again = tx_intr_postpone(txq);
	if (tx_outstanding(txq) == 0 || vq_is_broken(vq)) {
		if (txq->vtx_idle_ask) {	/* nothing left to wait for */
			txq->vtx_idle_ask = false;
			txq->vtx_idle_armed = false;
		}
	} else if (!txq->vtx_idle_armed || txq->vtx_idle_ask) {
		txq->vtx_idle_armed = true;
		txq->vtx_idle_ask = false;
		callout_reset(&txq->vtx_idle_co, VTNET_TX_IDLE_TICKS, tx_idle,
		    txq);
	}
	return again;
}

/* Reclaims everything and settles; on the queue's CPU. */
static void
tx_drain(struct vtnet_txq *txq)
{
	struct vtnet_tx_done done[VTNET_TX_DONE_BATCH];
	unsigned n;
	bool again;

	KASSERT(curcpu() == txq->vtx_pc, ("%s: tx%u drained on cpu %u",
	    vtnet_name(txq->vtx_sc), txq->vtx_id, curcpu()->pc_id));
	do {
		spinlock_lock(&txq->vtx_lock);
		n = tx_reclaim(txq, done);
		again = n == VTNET_TX_DONE_BATCH || tx_settle(txq);
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(done, n);
	} while (again);
}

/* vtx_idle_co, on the queue's CPU: the idle bound (see the top). */
static void
tx_idle(void *arg)
{
	struct vtnet_txq *txq = arg;

	spinlock_lock(&txq->vtx_lock);
	txq->vtx_idle_armed = false;
	txq->vtx_timer_polls++;
	spinlock_unlock(&txq->vtx_lock);
	tx_drain(txq);
}

/* The tx interrupt's poller, on the queue's CPU. */
bool
vtnet_tx_poll(void *arg)
{
	prof_enter(PROF_TX_DRIVER);
	tx_drain(arg);
	prof_leave();
	return false;
}

/*
 * After a transmit, vtx_lock held, on any CPU: arm the postponed
 * interrupt if the ring is nearly full, and see that the idle callout
 * will run if chains are outstanding.  Returns true if the queue's poller
 * must be marked (once vtx_lock is dropped).
 */
static bool
tx_after_send(struct vtnet_txq *txq)
{
	bool mark = false;

	if (txq->vtx_vq.vq_intr_off && tx_nearly_full(txq))
		mark = tx_intr_postpone(txq);
	if (!txq->vtx_idle_armed) {	/* a chain was just added */
		txq->vtx_idle_armed = true;
		if (curcpu() == txq->vtx_pc)
			callout_reset(&txq->vtx_idle_co, VTNET_TX_IDLE_TICKS,
			    tx_idle, txq);
		else {
			txq->vtx_idle_ask = true;
			mark = true;
		}
	}
	return mark;
}

/*
 * Fills the header's GSO part (5.1.6.2): the device cuts the frame into
 * segments of itc_mss payload bytes behind copies of its first
 * itc_hdr_len bytes.  The caller already asked for NEEDS_CSUM, which GSO
 * needs.  vtx_lock held.  Returns 0, or -EINVAL (not negotiated, or
 * without the checksum request) with nothing changed but a counter.
 */
static int
tx_gso(const struct vtnet_softc *sc, struct vtnet_txq *txq,
    struct vtnet_hdr *h, const struct if_tx_csum *csum,
    const struct if_seg *segs, unsigned nsegs)
{
	uint32_t len = 0, payload;
	unsigned i;

	if ((h->vh_flags & VTNET_HDR_F_NEEDS_CSUM) == 0 || csum->itc_mss == 0 ||
	    (csum->itc_gso == IF_GSO_TCPV4 ? !sc->vs_host_tso4 :
	    csum->itc_gso == IF_GSO_TCPV6 ? !sc->vs_host_tso6 : true)) {
		txq->vtx_tso_refused++;
		return -EINVAL;
	}
	for (i = 0; i < nsegs; i++)
		len += segs[i].ifs_len;
	if (len <= csum->itc_hdr_len) {
		txq->vtx_tso_refused++;
		return -EINVAL;
	}
	payload = len - csum->itc_hdr_len;
	h->vh_gso_type = csum->itc_gso == IF_GSO_TCPV4 ? VTNET_HDR_GSO_TCPV4 :
	    VTNET_HDR_GSO_TCPV6;
	h->vh_hdr_len = csum->itc_hdr_len;
	h->vh_gso_size = csum->itc_mss;
	txq->vtx_tso++;
	txq->vtx_tso_segs += (payload + csum->itc_mss - 1) / csum->itc_mss;
	return 0;
}

/*
 * The tx queue for flowid: the calling CPU's (IF_FLOWID_CURCPU), or the
 * one the flow's CPU transmits on.
 */
static uint16_t
vtnet_tx_queue(const struct vtnet_softc *sc, uint32_t flowid)
{
	uint32_t cpu = flowid == IF_FLOWID_CURCPU ? curcpu()->pc_id :
	    netisr_default_flow2cpu(flowid);

	return (uint16_t)netisr_rss_cpu_queue(cpu, sc->vs_nqueues);
}

/*
 * Sends one frame made of nsegs segments on the queue flowid picks (see
 * vtnet_tx_queue).  done(arg)
 * runs once the device no longer needs the segments (also on failure, by
 * the caller: on error nothing was queued).  csum, if not NULL and CSUM
 * was negotiated, asks the device to fill in the checksum.
 */
int
vtnet_transmit(struct vtnet_softc *sc, const struct if_seg *segs,
    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
    vtnet_tx_done_fn *done, void *arg)
{
	struct vtnet_txq *txq = &sc->vs_txq[vtnet_tx_queue(sc, flowid)];
	struct vtnet_tx_done fin[VTNET_TX_DONE_BATCH];
	struct vq_seg all[VTNET_TX_MAX_SEGS + 1];
	unsigned ndone;
	bool mark;
	struct vtnet_tx_slot *slot;
	uint32_t len = 0;
	unsigned i;
	int err;

	if (nsegs == 0 || nsegs > VTNET_TX_MAX_SEGS)
		return -EINVAL;
	spinlock_lock(&txq->vtx_lock);
	ndone = 0;
	if (vq_used_count(&txq->vtx_vq) >= VTNET_TX_RECLAIM_MIN ||
	    tx_nearly_full(txq))
		ndone = tx_reclaim(txq, fin);
	slot = txq->vtx_free;
	if (slot == NULL) {
		tx_full(txq);
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(fin, ndone);
		return -ENOBUFS;
	}
	memset(&slot->vts_hdr, 0, sizeof(slot->vts_hdr));
	if (csum != NULL && sc->vs_csum) {
		slot->vts_hdr.vh_flags = VTNET_HDR_F_NEEDS_CSUM;
		slot->vts_hdr.vh_csum_start = csum->itc_start;
		slot->vts_hdr.vh_csum_offset = csum->itc_offset;
		txq->vtx_csum++;
	}
	if (csum != NULL && csum->itc_gso != IF_GSO_NONE &&
	    (err = tx_gso(sc, txq, &slot->vts_hdr, csum, segs, nsegs)) != 0) {
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(fin, ndone);
		return err;
	}
	all[0].vs_addr = &slot->vts_hdr;
	all[0].vs_len = sc->vs_hdr_len;
	for (i = 0; i < nsegs; i++) {
		all[i + 1].vs_addr = segs[i].ifs_addr;
		all[i + 1].vs_len = segs[i].ifs_len;
		len += segs[i].ifs_len;
	}
	err = vq_add(&txq->vtx_vq, all, nsegs + 1, 0, slot,
	    sc->vs_indirect ? slot->vts_indirect : NULL);
	if (err != 0) {
		tx_full(txq);
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(fin, ndone);
		return -ENOBUFS;
	}
	txq->vtx_free = slot->vts_next;
	txq->vtx_full_kicked = false;
	slot->vts_len = len;
	slot->vts_done = done;
	slot->vts_arg = arg;
	txq->vtx_packets++;
	txq->vtx_bytes += len;
	prof_tx(1, len);
	if (vq_kick_prepare(&txq->vtx_vq)) {
		if (txq->vtx_lose_kicks > 0) {
			txq->vtx_lose_kicks--;	/* `vtnet losekick` */
			txq->vtx_kicks_lost++;
		} else
			tx_doorbell(txq);
	}
	mark = tx_after_send(txq);
	spinlock_unlock(&txq->vtx_lock);
	if (mark)
		coreloop_mark_pending(txq->vtx_pc, 1u << txq->vtx_bit);
	tx_run_done(fin, ndone);
	return 0;
}

/* The interface layer's ifo_transmit. */
int
vtnet_if_transmit(struct ifnet *ifp, const struct if_seg *segs,
    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
    if_tx_done_fn *done, void *arg)
{
	int err;

	prof_enter(PROF_TX_DRIVER);
	err = vtnet_transmit(ifp->if_softc, segs, nsegs, csum, flowid, done,
	    arg);
	prof_leave();
	return err;
}

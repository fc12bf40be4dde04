/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_tx.c: virtio-net transmit.
 *
 * A CPU transmits on queue (cpu mod N).  Each frame takes a tx slot, which
 * holds the virtio_net_hdr the device reads and, when INDIRECT_DESC was
 * negotiated, the indirect descriptor table for the frame's segments, so
 * a multi-segment frame costs one ring descriptor.  The header goes first
 * and the caller's segments follow without copying; the caller's done
 * callback runs when the device has finished with them.  With CSUM the
 * caller may ask for checksum offload (NEEDS_CSUM).  A full ring returns
 * -ENOBUFS and is counted, never waited for.  Completions are reclaimed on
 * the queue's CPU: by the tx interrupt's poller and before each transmit.
 *
 * Locking: vtx_lock protects the ring, the slot free list and the
 * counters.  Completion callbacks run after it is dropped, never under it.  With at least as many queues as CPUs only the owning CPU
 * takes it, so it is uncontended.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "kernel/errno.h"
#include "kernel/libc.h"

#define VTNET_TX_DONE_BATCH	32

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

int
vtnet_tx_setup(struct vtnet_softc *sc, struct vtnet_txq *txq)
{
	uint16_t q = (uint16_t)(2 * txq->vtx_id + 1), size, i;
	void *desc, *avail, *used;
	int err;

	spinlock_init(&txq->vtx_lock);
	size = virtio_pci_queue_max(&sc->vs_vp, q);
	if (size > VTNET_QUEUE_SIZE_MAX)
		size = VTNET_QUEUE_SIZE_MAX;
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
	return n;
}

static void
tx_run_done(const struct vtnet_tx_done *done, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (done[i].td_fn != NULL)
			done[i].td_fn(done[i].td_arg);
}

/* The tx interrupt's poller, on the queue's CPU. */
bool
vtnet_tx_poll(void *arg)
{
	struct vtnet_tx_done done[VTNET_TX_DONE_BATCH];
	struct vtnet_txq *txq = arg;
	unsigned n;

	do {
		spinlock_lock(&txq->vtx_lock);
		n = tx_reclaim(txq, done);
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(done, n);
	} while (n == VTNET_TX_DONE_BATCH);
	return false;
}

/*
 * Sends one frame made of nsegs segments on this CPU's queue.  done(arg)
 * runs once the device no longer needs the segments (also on failure, by
 * the caller: on error nothing was queued).  csum, if not NULL and CSUM
 * was negotiated, asks the device to fill in the checksum.
 */
int
vtnet_transmit(struct vtnet_softc *sc, const struct vq_seg *segs,
    unsigned nsegs, const struct vtnet_tx_csum *csum, vtnet_tx_done_fn *done,
    void *arg)
{
	struct vtnet_txq *txq = &sc->vs_txq[curcpu()->pc_id % sc->vs_nqueues];
	struct vtnet_tx_done fin[VTNET_TX_DONE_BATCH];
	struct vq_seg all[VTNET_TX_MAX_SEGS + 1];
	unsigned ndone;
	struct vtnet_tx_slot *slot;
	uint32_t len = 0;
	unsigned i;
	int err;

	if (nsegs == 0 || nsegs > VTNET_TX_MAX_SEGS)
		return -EINVAL;
	spinlock_lock(&txq->vtx_lock);
	ndone = tx_reclaim(txq, fin);
	slot = txq->vtx_free;
	if (slot == NULL) {
		txq->vtx_full++;
		txq->vtx_drops++;
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(fin, ndone);
		return -ENOBUFS;
	}
	memset(&slot->vts_hdr, 0, sizeof(slot->vts_hdr));
	if (csum != NULL && sc->vs_csum) {
		slot->vts_hdr.vh_flags = VTNET_HDR_F_NEEDS_CSUM;
		slot->vts_hdr.vh_csum_start = csum->vtc_start;
		slot->vts_hdr.vh_csum_offset = csum->vtc_offset;
		txq->vtx_csum++;
	}
	all[0].vs_addr = &slot->vts_hdr;
	all[0].vs_len = sc->vs_hdr_len;
	for (i = 0; i < nsegs; i++) {
		all[i + 1] = segs[i];
		len += segs[i].vs_len;
	}
	err = vq_add(&txq->vtx_vq, all, nsegs + 1, 0, slot,
	    sc->vs_indirect ? slot->vts_indirect : NULL);
	if (err != 0) {
		txq->vtx_full++;
		txq->vtx_drops++;
		spinlock_unlock(&txq->vtx_lock);
		tx_run_done(fin, ndone);
		return -ENOBUFS;
	}
	txq->vtx_free = slot->vts_next;
	slot->vts_len = len;
	slot->vts_done = done;
	slot->vts_arg = arg;
	txq->vtx_packets++;
	txq->vtx_bytes += len;
	if (vq_kick_prepare(&txq->vtx_vq))
		*txq->vtx_notify = (uint16_t)(2 * txq->vtx_id + 1);
	spinlock_unlock(&txq->vtx_lock);
	tx_run_done(fin, ndone);
	return 0;
}

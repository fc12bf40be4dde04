/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_health.c: what the device did wrong, counted and reported.
 *
 * Everything the device writes is input (drivers/virtio/virtqueue.h): a
 * bad used entry is skipped or clamped and counted in its virtqueue, a
 * used idx that runs past the published chains stops the queue, and a
 * control command that times out keeps its buffer until the device gives
 * it back (vtnet_ctrl.c).  The hot paths only count.  This file reports: a
 * callout on CPU 0 looks at every queue once a second and prints one line
 * the first time a queue shows bad input, and one more if the queue is
 * stopped, each callout and line the device's own (vtnet<unit>: ...);
 * `vtnet [unit] rings` prints the counters themselves, one line per
 * queue after the ring lines:
 *
 *	rx<k>: bad-id <n> bad-dup <n> bad-len <n> bad-idx <n> bad-chain <n>
 *	    broken <0|1>
 *	tx<k>: (the same)
 *	ctrl: (the same) timeouts <n> late <n> refused <n> pending <0|1>
 *
 * A stopped queue stays stopped: the device needs a reset, which the
 * driver does not do on its own.
 *
 * The rx watchdog, a second callout on CPU 0 per device (vs_rx_wd),
 * rings the doorbell of every rx queue that saw no frame for
 * VTNET_RX_WD_TICKS (`vtnet rings` counts them, wd-kicks): QEMU flushes
 * packets parked for a starved queue only when that queue is notified
 * (vtnet_rx.c, rx_doorbell_all).
 *
 * Locking: the counters are each written by their queue's owner and read
 * here racily (aligned 64-bit loads); a device's vs_health_co and
 * vs_health_seen[] belong to CPU 0's callout alone, vs_rx_wd and each
 * queue's vrx_wd_seen and vrx_wd_kicks to the rx watchdog.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "kernel/callout.h"
#include "kernel/console.h"
#include "kernel/printf.h"

#define VTNET_HEALTH_TICKS	CALLOUT_HZ	/* look once a second */
#define VTNET_HEALTH_BAD	0x1	/* reported: bad used entries */
#define VTNET_HEALTH_BROKEN	0x2	/* reported: queue stopped */
#define VTNET_HEALTH_NAME	8	/* "ctrl", "rx15" */
/* vs_health_seen: rx k at 2k, tx k at 2k+1, control last (vtnet.h). */
#define VTNET_HEALTH_CTRL	(VTNET_HEALTH_NQ - 1)

/* Bad used entries of every kind the virtqueue counted. */
static uint64_t
vtnet_vq_bad(const struct virtqueue *vq)
{
	return vq->vq_bad_id + vq->vq_bad_dup + vq->vq_bad_len +
	    vq->vq_bad_idx + vq->vq_bad_chain;
}

static void
vtnet_health_vq(const struct vtnet_softc *sc, const struct virtqueue *vq,
    const char *name, uint8_t *seen)
{
	bool broken = vq_is_broken(vq);

	if (vtnet_vq_bad(vq) != 0 && (*seen & VTNET_HEALTH_BAD) == 0) {
		*seen |= VTNET_HEALTH_BAD | (broken ? VTNET_HEALTH_BROKEN : 0);
		printk("%s: %s: bad used entries from the device (id %lu "
		    "dup %lu len %lu idx %lu chain %lu), dropped and counted"
		    "%s\n", vtnet_name(sc), name, vq->vq_bad_id, vq->vq_bad_dup,
		    vq->vq_bad_len, vq->vq_bad_idx, vq->vq_bad_chain,
		    broken ? "; queue stopped until a device reset" : "");
	}
	if (broken && (*seen & VTNET_HEALTH_BROKEN) == 0) {
		*seen |= VTNET_HEALTH_BROKEN;
		printk("%s: %s: used idx %u ran past the %u chains "
		    "published (driver at %u); queue stopped until a device "
		    "reset\n", vtnet_name(sc), name, vq->vq_used->vu_idx, vq->vq_avail_pub,
		    vq->vq_last_used);
	}
}

static bool
vtnet_has_ctrlq(const struct vtnet_softc *sc)
{
	return virtio_has(&sc->vs_vp, VTNET_F_CTRL_VQ) &&
	    sc->vs_ctrl_buf != NULL;
}

/* CPU 0, every VTNET_HEALTH_TICKS. */
static void
vtnet_health_check(void *arg)
{
	struct vtnet_softc *sc = arg;
	char name[VTNET_HEALTH_NAME];
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++) {
		ksnprintf(name, sizeof(name), "rx%u", q);
		vtnet_health_vq(sc, &sc->vs_rxq[q].vrx_vq, name,
		    &sc->vs_health_seen[2 * q]);
		ksnprintf(name, sizeof(name), "tx%u", q);
		vtnet_health_vq(sc, &sc->vs_txq[q].vtx_vq, name,
		    &sc->vs_health_seen[2 * q + 1]);
	}
	if (vtnet_has_ctrlq(sc))
		vtnet_health_vq(sc, &sc->vs_ctrlq, "ctrl",
		    &sc->vs_health_seen[VTNET_HEALTH_CTRL]);
	callout_reset(&sc->vs_health_co, VTNET_HEALTH_TICKS,
	    vtnet_health_check, sc);
}

/* On CPU 0, at the end of attach. */
void
vtnet_health_start(struct vtnet_softc *sc)
{
	callout_init(&sc->vs_health_co);
	callout_reset(&sc->vs_health_co, VTNET_HEALTH_TICKS,
	    vtnet_health_check, sc);
}

static void
vtnet_bad_print(const struct virtqueue *vq, const char *name,
    const char *more)
{
	printk("%s: bad-id %lu bad-dup %lu bad-len %lu bad-idx %lu "
	    "bad-chain %lu broken %d%s\n", name, vq->vq_bad_id,
	    vq->vq_bad_dup, vq->vq_bad_len, vq->vq_bad_idx, vq->vq_bad_chain,
	    vq_is_broken(vq), more);
}

/* The `vtnet rings` lines for device input (format at the top). */
void
vtnet_health_print(struct vtnet_softc *sc)
{
	char name[VTNET_HEALTH_NAME], more[PRINTK_LINE_MAX / 2];
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++) {
		ksnprintf(name, sizeof(name), "rx%u", q);
		vtnet_bad_print(&sc->vs_rxq[q].vrx_vq, name, "");
	}
	for (q = 0; q < sc->vs_nqueues; q++) {
		ksnprintf(name, sizeof(name), "tx%u", q);
		vtnet_bad_print(&sc->vs_txq[q].vtx_vq, name, "");
	}
	if (!vtnet_has_ctrlq(sc))
		return;
	ksnprintf(more, sizeof(more), " timeouts %lu late %lu refused %lu "
	    "pending %d", sc->vs_ctrl_timeouts, sc->vs_ctrl_late,
	    sc->vs_ctrl_refused, sc->vs_ctrl_pending);
	vtnet_bad_print(&sc->vs_ctrlq, "ctrl", more);
}

/*
 * CPU 0, every VTNET_RX_WD_TICKS, one callout per device (vs_rx_wd):
 * doorbell for queues with no traffic.
 */
static void
rx_watchdog(void *arg)
{
	struct vtnet_softc *sc = arg;
	struct vtnet_rxq *rxq;
	uint64_t seen;
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++) {
		rxq = &sc->vs_rxq[q];
		seen = __atomic_load_n(&rxq->vrx_packets, __ATOMIC_RELAXED);
		if (seen == rxq->vrx_wd_seen) {
			vtnet_rx_doorbell(rxq);
			rxq->vrx_wd_kicks++;
		}
		rxq->vrx_wd_seen = seen;
	}
	callout_reset(&sc->vs_rx_wd, VTNET_RX_WD_TICKS, rx_watchdog, sc);
}

/* On CPU 0, after the queues are started. */
void
vtnet_rx_watchdog_start(struct vtnet_softc *sc)
{
	callout_init(&sc->vs_rx_wd);
	callout_reset(&sc->vs_rx_wd, VTNET_RX_WD_TICKS, rx_watchdog, sc);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/virtio_simdev.c: the simulated virtio device that
 * test_virtqueue.c drives drivers/virtio/virtqueue.c against; the design
 * is described in virtio_simdev.h.
 *
 * Locking: none; single-threaded.
 */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "tests/unit/virtio_simdev.h"

struct virtqueue vq;
struct simdev sd;
uint64_t rng_state;

uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((uint32_t)(rng_state >> 16));
}

static void *
zalloc_pages(size_t bytes)
{
	size_t n = (bytes + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, n);

	ck_assert_ptr_nonnull(p);
	return (memset(p, 0, n));
}

/* Zeroed rings with vq on them; the device asleep (flags, events 0). */
void
setup(uint16_t size, bool ev, bool ind)
{
	memset(&sd, 0, sizeof(sd));
	sd.sd_desc = zalloc_pages(vq_desc_bytes(size));
	sd.sd_avail = zalloc_pages(vq_avail_bytes(size));
	sd.sd_used = zalloc_pages(vq_used_bytes(size));
	sd.sd_cookies = calloc(size, sizeof(void *));
	sd.sd_size = size;
	sd.sd_event_idx = ev;
	sd.sd_sleeping = true;
	sd.sd_flight = calloc(size, sizeof(struct sd_chain));
	sd.sd_busy = calloc(size, sizeof(bool));
	sd.sd_tag = calloc(size, sizeof(long));
	ck_assert_int_eq(vq_init(&vq, size, sd.sd_desc, sd.sd_avail,
	    sd.sd_used, sd.sd_cookies, ev, ind), 0);
}

void
teardown(void)
{
	void *p[] = { sd.sd_desc, sd.sd_avail, sd.sd_used, sd.sd_cookies,
	    sd.sd_flight, sd.sd_busy, sd.sd_tag };
	unsigned i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		free(p[i]);
}

/* Awake and polling: no kicks wanted (2.7.10). */
void
sd_wake(void)
{
	sd.sd_sleeping = false;
	if (sd.sd_event_idx)
		*vring_avail_event(sd.sd_used, sd.sd_size) =
		    (uint16_t)(sd.sd_last_avail - 1);
	else
		sd.sd_used->vu_flags = VRING_USED_F_NO_NOTIFY;
}

/* Sleeps unless more than slack unseen buffers wait (0 w/o EVENT_IDX). */
void
sd_sleep(unsigned slack)
{
	uint16_t aidx;

	if (sd.sd_event_idx) {
		sd.sd_avail_event = sd.sd_last_avail + slack;
		*vring_avail_event(sd.sd_used, sd.sd_size) =
		    (uint16_t)sd.sd_avail_event;
	} else {
		slack = 0;
		sd.sd_used->vu_flags = 0;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	aidx = __atomic_load_n(&sd.sd_avail->va_idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(aidx - (uint16_t)sd.sd_last_avail) > slack)
		sd_wake();
	else
		sd.sd_sleeping = true;
}

static bool
sd_seg_add(struct sd_chain *c, const struct vring_desc *d)
{
	bool w = (d->vd_flags & VRING_DESC_F_WRITE) != 0;

	if (c->sc_nseg == SD_MAXSEG)
		return (false);
	/* 2.7.4.2: device-writable after device-readable only. */
	if (!w && c->sc_nseg > 0 &&
	    (c->sc_seg[c->sc_nseg - 1].vd_flags & VRING_DESC_F_WRITE))
		return (false);
	c->sc_seg[c->sc_nseg++] = *d;
	c->sc_wlen += w ? d->vd_len : 0;
	return (true);
}

/* Walks a chain; an indirect descriptor must stand alone (this driver). */
static bool
sd_walk(uint16_t idx, struct sd_chain *c)
{
	const struct vring_desc *tbl = sd.sd_desc, *d;
	unsigned n, lim = sd.sd_size;

	memset(c, 0, sizeof(*c));
	c->sc_head = idx;
	c->sc_tag = -1;
	for (n = 0; idx < lim && n < lim && n < SD_MAXSEG; n++) {
		d = &tbl[idx];
		if (!c->sc_indirect) {
			if (sd.sd_busy[idx])
				return (false);
			c->sc_desc[c->sc_ndesc++] = idx;
		}
		if (d->vd_flags & VRING_DESC_F_INDIRECT) {
			if (c->sc_indirect || n != 0 || d->vd_len == 0 ||
			    d->vd_flags != VRING_DESC_F_INDIRECT ||
			    d->vd_len % 16 != 0)
				return (false);
			c->sc_indirect = true;
			tbl = vq_virt(d->vd_addr);
			lim = d->vd_len / 16;
			idx = 0;
			n = -1u;		/* the table starts afresh */
			continue;
		}
		if (!sd_seg_add(c, d))
			return (false);
		if (!(d->vd_flags & VRING_DESC_F_NEXT))
			return (true);
		idx = d->vd_next;
	}
	return (false);
}

/* Takes up to max published chains into sd_flight; returns how many. */
unsigned
sd_take(unsigned max)
{
	struct sd_chain *c;
	unsigned n = 0, i;
	uint16_t aidx, head;

	aidx = __atomic_load_n(&sd.sd_avail->va_idx, __ATOMIC_ACQUIRE);
	while (n < max && aidx != (uint16_t)sd.sd_last_avail) {
		head = sd.sd_avail->va_ring[sd.sd_last_avail++ &
		    (sd.sd_size - 1)];
		c = &sd.sd_flight[sd.sd_nflight];
		if (sd.sd_nflight == sd.sd_size || !sd_walk(head, c)) {
			sd.sd_bad++;
			continue;
		}
		for (i = 0; i < c->sc_ndesc; i++)
			sd.sd_busy[c->sc_desc[i]] = true;
		sd.sd_nflight++;
		n++;
	}
	if (!sd.sd_sleeping)
		sd_wake();		/* keeps avail_event behind us */
	return (n);
}

/* Writes the used element for sd_flight[j], unpublished; j is reused. */
void
sd_put(unsigned j, uint32_t len)
{
	struct sd_chain *c = &sd.sd_flight[j];
	unsigned i, slot = sd.sd_used_idx++ & (sd.sd_size - 1);

	sd.sd_used->vu_ring[slot].vu_id = c->sc_head;
	sd.sd_used->vu_ring[slot].vu_len = len;
	sd.sd_tag[slot] = c->sc_tag;
	for (i = 0; i < c->sc_ndesc; i++)
		sd.sd_busy[c->sc_desc[i]] = false;
	*c = sd.sd_flight[--sd.sd_nflight];
}

/* Writes an arbitrary used element, unpublished: a broken device. */
void
sd_put_raw(uint32_t id, uint32_t len)
{
	unsigned slot = sd.sd_used_idx++ & (sd.sd_size - 1);

	sd.sd_used->vu_ring[slot].vu_id = id;
	sd.sd_used->vu_ring[slot].vu_len = len;
	sd.sd_tag[slot] = -1;
}

/* Publishes used idx (was old); true if the device would interrupt. */
bool
sd_publish(uint16_t old)
{
	uint16_t new = (uint16_t)sd.sd_used_idx, ue, p;
	bool irq = false;

	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&sd.sd_used->vu_idx, new, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!sd.sd_event_idx)
		return (!(sd.sd_avail->va_flags & VRING_AVAIL_F_NO_INTERRUPT));
	sd.sd_bad += sd.sd_avail->va_flags != 0;	/* 2.7.7.1 */
	ue = *vring_used_event(sd.sd_avail, sd.sd_size);
	for (p = old; p != new; p++)
		irq |= p == ue;
	return (irq);
}

/* Returns up to k random chains, writing all or (sometimes) part. */
bool
sd_complete(unsigned k)
{
	uint16_t old = (uint16_t)sd.sd_used_idx;
	uint32_t len;
	unsigned j;

	for (; k > 0 && sd.sd_nflight > 0; k--) {
		j = rnd() % sd.sd_nflight;
		len = sd.sd_flight[j].sc_wlen;
		sd_put(j, rnd() % 4 == 0 ? rnd() % (len + 1) : len);
	}
	return (sd_publish(old));
}

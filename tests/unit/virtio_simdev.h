/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/virtio_simdev.h: a simulated virtio device for the host unit
 * tests of drivers/virtio/virtqueue.c (see test_virtqueue.c).
 *
 * Design: the device (struct simdev, which also owns the ring memory) is
 * written from the spec, not from the driver.  It walks each published
 * chain, direct or indirect, checking its shape and that no descriptor is
 * in two chains; returns chains in any order; decides "would interrupt"
 * from VRING_AVAIL_F_NO_INTERRUPT or the 2.7.7 rule (an entry placed at
 * index used_event).  Polling, it suppresses kicks (NO_NOTIFY, or
 * avail_event parked behind it); going to sleep it asks for them again,
 * perhaps only a few buffers later (avail_event ahead), then fences and
 * re-checks avail idx.  Protocol violations are counted in sd_bad rather
 * than asserted, so hot loops can check once at the end.  For the
 * bad-input tests, sd_put_raw() writes any used element at all, as a
 * broken device would; it changes nothing else the device tracks.
 *
 * There is one device, sd, with the driver's queue vq on its rings, and
 * one xorshift generator, rnd(), that the device uses to pick which
 * chains to return and how much of them to write; tests seed it through
 * rng_state.
 *
 * Locking: none; single-threaded.
 */

#ifndef TESTS_UNIT_VIRTIO_SIMDEV_H
#define TESTS_UNIT_VIRTIO_SIMDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtqueue.h"

#define SD_MAXSEG	8		/* longest chain the device takes */

struct sd_chain {
	uint16_t		sc_head;
	bool			sc_indirect;
	unsigned		sc_nseg, sc_ndesc;
	struct vring_desc	sc_seg[SD_MAXSEG];	/* as the device saw them */
	uint16_t		sc_desc[SD_MAXSEG];	/* ring descriptors held */
	uint32_t		sc_wlen;		/* writable bytes */
	long			sc_tag;			/* harness's request */
};

struct simdev {
	struct vring_desc	*sd_desc;
	struct vring_avail	*sd_avail;
	struct vring_used	*sd_used;
	void			**sd_cookies;	/* the driver's, to free */
	uint16_t		sd_size;
	bool			sd_event_idx;
	uint32_t		sd_last_avail;	/* chains taken, unwrapped */
	uint32_t		sd_used_idx;	/* chains returned, unwrapped */
	bool			sd_sleeping;	/* needs a kick to look */
	uint32_t		sd_avail_event;	/* unwrapped, while asleep */
	struct sd_chain		*sd_flight;	/* taken, not returned */
	unsigned		sd_nflight;
	bool			*sd_busy;	/* descriptor in a chain */
	long			*sd_tag;	/* by used slot: sc_tag */
	unsigned		sd_bad;		/* protocol violations */
};

extern struct virtqueue	vq;		/* the driver's queue under test */
extern struct simdev	sd;		/* the device on vq's rings */
extern uint64_t		rng_state;	/* rnd()'s state; tests seed it */

uint32_t	rnd(void);
void		setup(uint16_t size, bool ev, bool ind);
void		teardown(void);
void		sd_wake(void);
void		sd_sleep(unsigned slack);
unsigned	sd_take(unsigned max);
void		sd_put(unsigned j, uint32_t len);
void		sd_put_raw(uint32_t id, uint32_t len);
bool		sd_publish(uint16_t old);
bool		sd_complete(unsigned k);

#endif /* TESTS_UNIT_VIRTIO_SIMDEV_H */

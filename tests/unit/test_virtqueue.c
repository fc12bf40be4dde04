/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_virtqueue.c: host unit tests for
 * drivers/virtio/virtqueue.c.
 *
 * Runs the split virtqueue against a simulated device with the Check
 * framework: ring layout and vq_init() argument checks, chains and their
 * flags, free-descriptor accounting to -ENOSPC and back, out-of-order
 * completion, indirect tables, kick and interrupt suppression with and
 * without EVENT_IDX, vring_need_event() against an unwrapped reference
 * around the 16-bit wrap, long random runs, and the KASSERTs on bad ids.
 *
 * Design: the simulated device (struct simdev, which also owns the ring
 * memory) is written from the spec, not from the driver.  It reads avail
 * idx and ring, walks each chain, direct or indirect, checking its shape
 * and that no descriptor is in two chains at once, returns chains in any
 * order, and decides "would interrupt" from VRING_AVAIL_F_NO_INTERRUPT or,
 * with EVENT_IDX, by the 2.7.7 rule (an entry placed at index used_event).
 * While it polls it suppresses kicks (NO_NOTIFY, or avail_event parked
 * behind it); going to sleep it re-enables them, possibly asking to be
 * woken only a few buffers later (avail_event ahead), fences and
 * re-checks avail idx.  The long runs keep 32-bit unwrapped counters and
 * check every decision: vq_kick_prepare() returns exactly what the
 * sleeping device asked for, a sleeping device never holds more unseen
 * buffers than it allowed, a driver that re-armed interrupts gets one at
 * the next completion and one that disabled them gets none,
 * vq_intr_enable() reports pending entries exactly, and each cookie (a
 * request) comes back once, in used-ring order, with the device's length.
 * Hot loops count mismatches and assert once at the end.  kassert_fail()
 * prints and abort()s, so KASSERTs are tests that must die with SIGABRT.
 *
 * Locking: none; single-threaded.
 */

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "kernel/errno.h"

#define SD_MAXSEG	8		/* longest chain the device takes */
#define LR_MAXSEG	6		/* longest chain of the long run */
#define LR_BUF		32		/* bytes per long-run segment */
#define LR_SEED		0x7669727471756575ULL
#define LR_OPS		700000
#define LR_WRAPS	3
#define LONG_TIMEOUT	120

void
kassert_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "KASSERT failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((uint32_t)(rng_state >> 16));
}

/* ---- simulated device ---- */

struct sd_chain {
	uint16_t		sc_head;
	bool			sc_indirect;
	unsigned		sc_nseg;
	struct vring_desc	sc_seg[SD_MAXSEG];	/* as the device saw them */
	uint16_t		sc_desc[SD_MAXSEG];	/* ring descriptors held */
	unsigned		sc_ndesc;
	uint32_t		sc_wlen;		/* writable bytes */
	long			sc_tag;			/* harness's request */
};

struct sd_done {
	long			dd_tag;
	uint32_t		dd_len;
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
	struct sd_done		*sd_log;	/* by used index */
	unsigned		sd_bad;		/* protocol violations */
};

static struct virtqueue vq;
static struct simdev sd;

static void *
zalloc_pages(size_t bytes)
{
	size_t n = (bytes + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, n);

	ck_assert_ptr_nonnull(p);
	return (memset(p, 0, n));
}

/* Zeroed rings, vq initialised on them, device asleep (flags/events 0). */
static void
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
	sd.sd_log = calloc(size, sizeof(struct sd_done));
	ck_assert_int_eq(vq_init(&vq, size, sd.sd_desc, sd.sd_avail,
	    sd.sd_used, sd.sd_cookies, ev, ind), 0);
}

static void
teardown(void)
{
	free(sd.sd_desc);
	free(sd.sd_avail);
	free(sd.sd_used);
	free(sd.sd_cookies);
	free(sd.sd_flight);
	free(sd.sd_busy);
	free(sd.sd_log);
}

/* Polling: no kicks wanted (2.7.10). */
static void
sd_park(void)
{
	if (sd.sd_event_idx)
		*vring_avail_event(sd.sd_used, sd.sd_size) =
		    (uint16_t)(sd.sd_last_avail - 1);
	else
		sd.sd_used->vu_flags = VRING_USED_F_NO_NOTIFY;
}

static void
sd_wake(void)
{
	sd.sd_sleeping = false;
	sd_park();
}

/* Sleeps unless more than slack unseen buffers wait (0 w/o EVENT_IDX). */
static void
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
		sd_park();
	else
		sd.sd_sleeping = true;
}

static bool
sd_seg_add(struct sd_chain *c, const struct vring_desc *d)
{
	bool w = (d->vd_flags & VRING_DESC_F_WRITE) != 0;

	if (c->sc_nseg == SD_MAXSEG || (d->vd_flags & VRING_DESC_F_INDIRECT))
		return (false);
	/* 2.7.4.2: device-writable after device-readable only. */
	if (!w && c->sc_nseg > 0 &&
	    (c->sc_seg[c->sc_nseg - 1].vd_flags & VRING_DESC_F_WRITE))
		return (false);
	c->sc_seg[c->sc_nseg++] = *d;
	c->sc_wlen += w ? d->vd_len : 0;
	return (true);
}

static bool
sd_walk(uint16_t head, struct sd_chain *c)
{
	const struct vring_desc *d, *tbl;
	unsigned n, tn, i;
	uint16_t idx = head;

	memset(c, 0, sizeof(*c));
	c->sc_head = head;
	c->sc_tag = -1;
	for (n = 0;; n++) {
		if (idx >= sd.sd_size || n >= SD_MAXSEG || sd.sd_busy[idx])
			return (false);
		c->sc_desc[c->sc_ndesc++] = idx;
		d = &sd.sd_desc[idx];
		if (d->vd_flags & VRING_DESC_F_INDIRECT) {
			/* This driver: an indirect descriptor stands alone. */
			if (n != 0 || d->vd_flags != VRING_DESC_F_INDIRECT ||
			    d->vd_len == 0 || d->vd_len % 16 != 0)
				return (false);
			tbl = vq_virt(d->vd_addr);
			tn = d->vd_len / 16;
			for (i = 0, n = 0;; n++) {
				if (i >= tn || n >= tn || !sd_seg_add(c, &tbl[i]))
					return (false);
				if (!(tbl[i].vd_flags & VRING_DESC_F_NEXT))
					break;
				i = tbl[i].vd_next;
			}
			c->sc_indirect = true;
			return (true);
		}
		if (!sd_seg_add(c, d))
			return (false);
		if (!(d->vd_flags & VRING_DESC_F_NEXT))
			return (true);
		idx = d->vd_next;
	}
}

/* Takes up to max published chains into sd_flight; returns how many. */
static unsigned
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
		sd_park();
	return (n);
}

/* Writes the used element for sd_flight[j], unpublished; j is reused. */
static void
sd_put(unsigned j, uint32_t len)
{
	struct sd_chain *c = &sd.sd_flight[j];
	unsigned i, slot = sd.sd_used_idx++ & (sd.sd_size - 1);

	sd.sd_used->vu_ring[slot].vu_id = c->sc_head;
	sd.sd_used->vu_ring[slot].vu_len = len;
	sd.sd_log[slot].dd_tag = c->sc_tag;
	sd.sd_log[slot].dd_len = len;
	for (i = 0; i < c->sc_ndesc; i++)
		sd.sd_busy[c->sc_desc[i]] = false;
	*c = sd.sd_flight[--sd.sd_nflight];
}

/* Publishes used idx (from old); true if the device would interrupt. */
static bool
sd_publish(uint16_t old)
{
	uint16_t new = (uint16_t)sd.sd_used_idx, ue, p;
	bool irq = false;

	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&sd.sd_used->vu_idx, new, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!sd.sd_event_idx)
		return (!(sd.sd_avail->va_flags & VRING_AVAIL_F_NO_INTERRUPT));
	sd.sd_bad += sd.sd_avail->va_flags != 0;  /* 2.7.7.1: 0 w/ EVENT_IDX */
	ue = *vring_used_event(sd.sd_avail, sd.sd_size);
	for (p = old; p != new; p++)
		irq |= p == ue;
	return (irq);
}

/* Returns up to k random chains, writing all or (sometimes) part. */
static bool
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

/* ---- directed tests ---- */

static char ck_cookie[64];
#define CK(i)		((void *)&ck_cookie[(i)])
#define SEGS(b, l)	{ { (b)[0], (l) }, { (b)[1], (l) + 1 }, \
			  { (b)[2], (l) + 2 }, { (b)[3], (l) + 3 }, \
			  { (b)[4], (l) + 4 }, { (b)[5], (l) + 5 } }
static uint8_t bufs[6][16];

START_TEST(test_layout)
{
	static const uint16_t sizes[] = { 1, 2, 256, 32768 };
	unsigned i;
	uint16_t s;
	char *d, *a, *u;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = sizes[i];
		ck_assert_uint_eq(vq_desc_bytes(s), 16 * (size_t)s);
		ck_assert_uint_eq(vq_avail_bytes(s), 6 + 2 * (size_t)s);
		ck_assert_uint_eq(vq_used_bytes(s), 6 + 8 * (size_t)s);
		setup(s, true, true);
		ck_assert_uint_eq(vq_nfree(&vq), s);
		ck_assert_uint_eq((char *)vring_used_event(sd.sd_avail, s) -
		    (char *)sd.sd_avail, 4 + 2 * (size_t)s);
		ck_assert_uint_eq((char *)vring_avail_event(sd.sd_used, s) -
		    (char *)sd.sd_used, 4 + 8 * (size_t)s);
		teardown();
	}
	setup(8, false, false);
	d = (char *)sd.sd_desc;
	a = (char *)sd.sd_avail;
	u = (char *)sd.sd_used;
#define INIT(n, d, a, u, c) vq_init(&vq, (n), (d), (a), (u), (c), 0, 0)
	ck_assert_int_eq(INIT(0, d, a, u, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(6, d, a, u, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(65535, d, a, u, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(4, d + 8, a, u, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(4, d, a + 1, u, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(4, d, a, u + 2, sd.sd_cookies), -EINVAL);
	ck_assert_int_eq(INIT(4, d, a, u, NULL), -EINVAL);
	ck_assert_int_eq(INIT(4, d, a + 2, u + 4, sd.sd_cookies), 0);
#undef INIT
	teardown();
}
END_TEST

START_TEST(test_chains)
{
	struct vq_seg seg[6] = SEGS(bufs, 4);
	struct sd_chain *c;
	uint32_t len;
	unsigned i;

	setup(8, false, false);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(0), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, &seg[1], 0, 1, CK(1), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 2, 3, CK(2), NULL), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 1);
	ck_assert_uint_eq(sd_take(8), 0);	/* not before the kick */
	ck_assert(vq_kick_prepare(&vq));
	ck_assert(!vq_kick_prepare(&vq));	/* nothing new */
	ck_assert_uint_eq(vq.vq_kicks, 1);
	ck_assert_uint_eq(sd_take(8), 3);
	ck_assert_uint_eq(sd.sd_bad, 0);
	c = sd.sd_flight;
	ck_assert(c[0].sc_nseg == 1 && c[0].sc_seg[0].vd_flags == 0);
	ck_assert(c[1].sc_nseg == 1 &&
	    c[1].sc_seg[0].vd_flags == VRING_DESC_F_WRITE);
	ck_assert(c[2].sc_nseg == 5 && c[2].sc_ndesc == 5 && !c[2].sc_indirect);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(c[2].sc_seg[i].vd_addr, vq_phys(bufs[i]));
		ck_assert_uint_eq(c[2].sc_seg[i].vd_len, 4 + i);
		ck_assert_uint_eq(c[2].sc_seg[i].vd_flags, (i >= 2 ?
		    VRING_DESC_F_WRITE : 0) | (i < 4 ? VRING_DESC_F_NEXT : 0));
	}
	ck_assert_uint_eq(c[2].sc_wlen, 6 + 7 + 8);
	sd_put(2, 21);
	sd_put(0, 0);
	sd_put(0, 5);		/* sd_put(0) moved chain 1 to slot 0 */
	ck_assert(!vq_has_used(&vq));
	ck_assert(sd_publish(0));
	ck_assert(vq_has_used(&vq));
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(2));
	ck_assert_uint_eq(len, 21);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_eq(vq_get_used(&vq, NULL), CK(1));
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	ck_assert(!vq_has_used(&vq));
	ck_assert_uint_eq(vq_nfree(&vq), 8);
	ck_assert_uint_eq(vq.vq_bad_used, 0);
	teardown();
}
END_TEST

START_TEST(test_full_and_args)
{
	struct vq_seg seg[6] = SEGS(bufs, 1), many[9];
	unsigned i;

	setup(8, false, false);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(i), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(8), NULL), -ENOSPC);
	ck_assert_uint_eq(vq.vq_full, 1);
	ck_assert(vq_kick_prepare(&vq));
	ck_assert_uint_eq(sd_take(8), 8);
	ck_assert(sd_complete(3));
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert_uint_eq(vq_nfree(&vq), 3);
	ck_assert_int_eq(vq_add(&vq, seg, 2, 2, CK(9), NULL), -ENOSPC);
	ck_assert_uint_eq(vq.vq_full, 2);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 2, CK(9), NULL), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 0);
	/* Bad arguments are -EINVAL, not "full". */
	for (i = 0; i < 9; i++)
		many[i] = seg[0];
	ck_assert_int_eq(vq_add(&vq, many, 5, 4, CK(10), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, 0, 0, CK(10), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, NULL, 1, 0, CK(10), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, ~0u, 2, CK(10), NULL), -EINVAL);
	seg[0].vs_addr = NULL;
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(10), NULL), -EINVAL);
	seg[0].vs_addr = bufs[0];
	seg[0].vs_len = seg[1].vs_len = 0x80000000u;
	ck_assert_int_eq(vq_add(&vq, seg, 2, 0, CK(10), NULL), -EINVAL);
	ck_assert_uint_eq(vq.vq_full, 2);
	teardown();
}
END_TEST

START_TEST(test_out_of_order)
{
	struct vq_seg seg[6] = SEGS(bufs, 8);
	unsigned i, n, round, used;

	setup(16, true, false);
	for (round = 0; round < 8; round++) {
		/* Chains of 1, 2, 3, 1, 2, 3, ... descriptors until full. */
		for (n = used = 0; vq_add(&vq, seg, 1, n % 3, CK(n),
		    NULL) == 0; n++)
			used += 1 + n % 3;
		ck_assert_uint_eq(vq_nfree(&vq), 16 - used);
		ck_assert_uint_eq(vq_kick_prepare(&vq), round == 0);
		ck_assert_uint_eq(sd_take(16), n);
		/* Newest first, so descriptor order gets scrambled. */
		for (i = 0; i < n; i++) {
			sd.sd_flight[sd.sd_nflight - 1].sc_tag = n - 1 - i;
			sd_put(sd.sd_nflight - 1, 0);
		}
		ck_assert(sd_publish((uint16_t)(sd.sd_used_idx - n)));
		for (i = 0; i < n; i++)
			ck_assert_ptr_eq(vq_get_used(&vq, NULL), CK(n - 1 - i));
		ck_assert_ptr_null(vq_get_used(&vq, NULL));
		ck_assert_uint_eq(vq_nfree(&vq), 16);
	}
	ck_assert_uint_eq(sd.sd_bad, 0);
	teardown();
}
END_TEST

START_TEST(test_indirect)
{
	struct vq_seg seg[6] = SEGS(bufs, 1);
	struct vring_desc tbl[6], tbl2[6];
	struct sd_chain *c;
	uint32_t len;
	unsigned i;

	setup(4, false, true);
	/* Longer than the queue size: not even indirect (2.7.5.3.1). */
	ck_assert_int_eq(vq_add(&vq, seg, 3, 2, CK(9), tbl), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, 2, 2, CK(0), tbl), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 3);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(tbl[i].vd_addr, vq_phys(bufs[i]));
		ck_assert_uint_eq(tbl[i].vd_flags, (i >= 2 ?
		    VRING_DESC_F_WRITE : 0) | (i < 3 ? VRING_DESC_F_NEXT : 0));
		ck_assert_uint_eq(tbl[i].vd_next, i < 3 ? i + 1 : 0);
	}
	/* One seg with a table, or two without one: direct. */
	ck_assert_int_eq(vq_add(&vq, seg, 0, 1, CK(1), tbl2), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 1, CK(2), NULL), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 0);
	ck_assert(vq_kick_prepare(&vq));
	ck_assert_uint_eq(sd_take(4), 3);
	ck_assert_uint_eq(sd.sd_bad, 0);
	c = sd.sd_flight;
	ck_assert(c[0].sc_indirect && c[0].sc_nseg == 4 && c[0].sc_ndesc == 1);
	ck_assert(sd.sd_desc[c[0].sc_head].vd_flags == VRING_DESC_F_INDIRECT);
	ck_assert_uint_eq(sd.sd_desc[c[0].sc_head].vd_len, 4 * 16);
	ck_assert_uint_eq(c[0].sc_wlen, 3 + 4);
	ck_assert(!c[1].sc_indirect && c[1].sc_ndesc == 1);
	ck_assert(!c[2].sc_indirect && c[2].sc_ndesc == 2);
	/* A device claiming more than the buffer holds is clamped. */
	sd_put(0, 100);
	sd_publish(0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(vq.vq_bad_used, 1);
	ck_assert_uint_eq(vq_nfree(&vq), 1);
	teardown();
	/* Without the feature the table is not used. */
	setup(8, false, false);
	ck_assert_int_eq(vq_add(&vq, seg, 3, 3, CK(0), tbl), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 2);
	teardown();
}
END_TEST

START_TEST(test_kick_suppression)
{
	struct vq_seg seg[6] = SEGS(bufs, 4);
	uint16_t *aev;
	unsigned i;

	setup(16, false, false);
	vq_add(&vq, seg, 1, 0, CK(0), NULL);
	ck_assert_uint_eq(sd.sd_avail->va_idx, 0);	/* not yet */
	sd.sd_used->vu_flags = VRING_USED_F_NO_NOTIFY;
	ck_assert(!vq_kick_prepare(&vq));
	ck_assert_uint_eq(sd.sd_avail->va_idx, 1);	/* published anyway */
	vq_add(&vq, seg, 1, 0, CK(1), NULL);
	sd.sd_used->vu_flags = 0;
	ck_assert(vq_kick_prepare(&vq));
	ck_assert(vq.vq_kicks == 1 && vq.vq_kicks_suppressed == 1);
	teardown();

	setup(16, true, false);
	aev = vring_avail_event(sd.sd_used, 16);
	*aev = 5;
	for (i = 0; i < 3; i++)
		vq_add(&vq, seg, 1, 0, CK(i), NULL);
	ck_assert(!vq_kick_prepare(&vq));		/* 5 not in [0,3) */
	for (; i < 6; i++)
		vq_add(&vq, seg, 1, 0, CK(i), NULL);
	ck_assert(vq_kick_prepare(&vq));		/* 5 in [3,6) */
	*aev = 6;
	sd.sd_used->vu_flags = VRING_USED_F_NO_NOTIFY;	/* to be ignored */
	vq_add(&vq, seg, 1, 0, CK(6), NULL);
	ck_assert(vq_kick_prepare(&vq));		/* 6 in [6,7) */
	vq_add(&vq, seg, 1, 0, CK(7), NULL);
	ck_assert(!vq_kick_prepare(&vq));		/* 6 not in [7,8) */
	teardown();
}
END_TEST

START_TEST(test_intr_suppression)
{
	struct vq_seg seg[6] = SEGS(bufs, 4);
	uint16_t *uev;
	int ev;

	for (ev = 0; ev < 2; ev++) {
		setup(16, ev, false);
		uev = vring_used_event(sd.sd_avail, 16);
		vq_add(&vq, seg, 0, 1, CK(0), NULL);
		vq_add(&vq, seg, 0, 1, CK(1), NULL);
		vq_kick_prepare(&vq);
		sd_take(16);
		vq_intr_disable(&vq);
		ck_assert_uint_eq(sd.sd_avail->va_flags,
		    ev ? 0 : VRING_AVAIL_F_NO_INTERRUPT);
		ck_assert_uint_eq(*uev, ev ? 0xffff : 0);	/* parked */
		ck_assert(!sd_complete(1));
		ck_assert(vq_intr_enable(&vq));		/* one waiting */
		ck_assert_uint_eq(sd.sd_avail->va_flags, 0);
		ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
		ck_assert_uint_eq(*uev, ev ? 1 : 0);	/* armed: the next */
		ck_assert(!vq_intr_enable(&vq));
		ck_assert(sd_complete(1));
		ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
		ck_assert_ptr_null(vq_get_used(&vq, NULL));
		ck_assert_uint_eq(sd.sd_bad, 0);
		teardown();
	}
}
END_TEST

/* Interrupts off for a long time: none at all, across index wraps. */
START_TEST(test_intr_disabled_long)
{
	struct vq_seg seg[6] = SEGS(bufs, 4);
	unsigned i, irqs, got;
	int ev;

	for (ev = 0; ev < 2; ev++) {
		setup(64, ev, false);
		sd_wake();
		vq_intr_disable(&vq);
		irqs = got = 0;
		for (i = 0; i < 20000; i++) {
			while (vq_add(&vq, seg, 0, 1, CK(0), NULL) == 0)
				;
			vq_kick_prepare(&vq);
			sd_take(64);
			irqs += sd_complete(1 + i % 64);
			while (vq_get_used(&vq, NULL) != NULL)
				got++;
		}
		ck_assert_uint_eq(irqs, 0);
		ck_assert_uint_eq(got, sd.sd_used_idx);
		ck_assert_uint_ge(got, LR_WRAPS * 65536);
		ck_assert(!vq_intr_enable(&vq));
		ck_assert(sd_complete(1));
		ck_assert_uint_eq(sd.sd_bad, 0);
		teardown();
	}
}
END_TEST

/* 2.7.10 in words: event_idx is one of the indices in [old, new). */
static bool
ref_need_event(uint32_t ev, uint32_t new, uint32_t old)
{
	return (old <= ev && ev < new);
}

START_TEST(test_need_event)
{
	static const uint32_t bases[] = { 65536, 98304, 131072 };
	static const uint32_t wide[] = { 255, 4096, 32767, 32768, 65535 };
	uint32_t old, new, ev, d, bad = 0, n = 0;
	unsigned b;

	/* Every old/new/event near the wrap (65535 -> 0) and mid-range. */
	for (b = 0; b < 3; b++)
		for (old = bases[b] - 96; old < bases[b] + 96; old++)
			for (d = 0; d <= 96; d++) {
				new = old + d;
				for (ev = old - 128; ev < new + 128; ev++, n++)
					bad += vring_need_event((uint16_t)ev,
					    (uint16_t)new, (uint16_t)old) !=
					    ref_need_event(ev, new, old);
			}
	/* Wide windows: every residue of the event once. */
	for (b = 0; b < 5; b++) {
		old = 131072 - 3 - wide[b] / 2;
		new = old + wide[b];
		for (ev = new - 65536; ev < new; ev++, n++)
			bad += vring_need_event((uint16_t)ev, (uint16_t)new,
			    (uint16_t)old) != ref_need_event(ev, new, old);
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(n, 5000000);
}
END_TEST

#ifdef KASSERT_ENABLE
static void
bad_used(uint32_t id)
{
	struct vq_seg seg[6] = SEGS(bufs, 4);

	setup(8, false, false);
	vq_add(&vq, seg, 1, 0, CK(0), NULL);
	vq_kick_prepare(&vq);
	sd.sd_used->vu_ring[0].vu_id = id;
	sd.sd_used->vu_idx = 1;
	vq_get_used(&vq, NULL);
}

START_TEST(test_used_id_out_of_range_asserts)
{
	bad_used(8);
}
END_TEST

START_TEST(test_used_id_not_a_head_asserts)
{
	bad_used(3);
}
END_TEST
#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_virtqueue.c: host unit tests for
 * drivers/virtio/virtqueue.c against a simulated device.
 *
 * Design: the device (virtio_simdev.h) is written from the spec, not from
 * the driver, and counts protocol violations in sd.sd_bad.  Directed tests
 * pin exact values; the long runs keep 32-bit unwrapped counters and check
 * every decision: kicks exactly when the sleeping device asked, no buffer
 * stranded with a sleeping device, an interrupt at the first completion
 * after re-arming and none while disabled, vq_intr_enable() exact,
 * vq_intr_postpone() one interrupt at its n-th completion, each
 * cookie back once in used order with the device's length.  Hot loops
 * count mismatches and assert once.  kassert_fail() abort()s.  A device
 * that breaks the protocol is test_virtqueue_bad.c's subject.
 *
 * Locking: none; single-threaded.
 */

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "kernel/errno.h"
#include "tests/unit/virtio_simdev.h"

#define LR_MAXSEG	6		/* longest chain of the long run */
#define LR_BUF		32		/* bytes per long-run segment */
#define LR_SEED		0x7669727471756575ULL
#define LR_OPS		500000		/* at least; on until LR_WRAPS */
#define LR_WRAPS	3		/* 16-bit index wraps per run */
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

/* ---- directed tests ---- */

static char ck_cookie[64];
static uint8_t bufs[6][16];
#define CK(i)		((void *)&ck_cookie[(i)])
#define SEGS(l)		{ { bufs[0], (l) }, { bufs[1], (l) + 1 }, \
			  { bufs[2], (l) + 2 }, { bufs[3], (l) + 3 }, \
			  { bufs[4], (l) + 4 }, { bufs[5], (l) + 5 } }

START_TEST(test_layout)
{
	static const uint16_t sizes[] = { 1, 2, 256, 32768 };
	static const struct { uint16_t n, d, a, u; } bad[] = {
		{ 0, 0, 0, 0 }, { 6, 0, 0, 0 }, { 65535, 0, 0, 0 },
		{ 4, 8, 0, 0 }, { 4, 0, 1, 0 }, { 4, 0, 0, 2 },
	};
	unsigned i;
	uint16_t s;

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
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(vq_init(&vq, bad[i].n,
		    (char *)sd.sd_desc + bad[i].d,
		    (char *)sd.sd_avail + bad[i].a,
		    (char *)sd.sd_used + bad[i].u, sd.sd_cookies, 0, 0),
		    -EINVAL);
	ck_assert_int_eq(vq_init(&vq, 4, sd.sd_desc, sd.sd_avail, sd.sd_used,
	    NULL, 0, 0), -EINVAL);
	ck_assert_int_eq(vq_init(&vq, 4, sd.sd_desc, (char *)sd.sd_avail + 2,
	    (char *)sd.sd_used + 4, sd.sd_cookies, 0, 0), 0);
	teardown();
}
END_TEST

/* Chain shapes and flags, direct and indirect; out-of-order return. */
START_TEST(test_chains)
{
	struct vq_seg seg[6] = SEGS(4);
	struct vring_desc tbl[6];
	struct sd_chain *c;
	uint32_t len;
	unsigned i;

	setup(8, false, true);
	c = sd.sd_flight;
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(0), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, &seg[1], 0, 1, CK(1), tbl), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 2, 3, CK(2), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 2, 3, CK(3), tbl), 0);
	ck_assert_uint_eq(vq_nfree(&vq), 0);
	ck_assert_uint_eq(sd_take(8), 0);	/* not before the kick */
	ck_assert(vq_kick_prepare(&vq));
	ck_assert(!vq_kick_prepare(&vq));	/* nothing new */
	ck_assert_uint_eq(sd_take(8), 4);
	ck_assert_uint_eq(sd.sd_bad, 0);
	ck_assert(c[0].sc_nseg == 1 && c[0].sc_seg[0].vd_flags == 0);
	ck_assert(c[1].sc_nseg == 1 && !c[1].sc_indirect &&
	    c[1].sc_seg[0].vd_flags == VRING_DESC_F_WRITE);
	ck_assert(c[2].sc_ndesc == 5 && !c[2].sc_indirect);
	ck_assert(c[3].sc_ndesc == 1 && c[3].sc_indirect);
	ck_assert_uint_eq(sd.sd_desc[c[3].sc_head].vd_len, 5 * 16);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(c[2 + i / 5].sc_nseg, 5);
		ck_assert_uint_eq(c[2 + i / 5].sc_seg[i % 5].vd_addr,
		    vq_phys(bufs[i % 5]));
		ck_assert_uint_eq(c[2 + i / 5].sc_seg[i % 5].vd_len, 4 + i % 5);
		ck_assert_uint_eq(c[2 + i / 5].sc_seg[i % 5].vd_flags,
		    (i % 5 >= 2 ? VRING_DESC_F_WRITE : 0) |
		    (i % 5 < 4 ? VRING_DESC_F_NEXT : 0));
		ck_assert_uint_eq(tbl[i % 5].vd_next, i % 5 < 4 ? i % 5 + 1 : 0);
	}
	ck_assert_uint_eq(c[2].sc_wlen, 6 + 7 + 8);
	sd_put(2, 21);		/* chain 3 moves to slot 2 */
	sd_put(0, 0);		/* chain 3 moves to slot 0 */
	sd_put(0, 100);		/* more than chain 3 holds */
	sd_put(0, 5);
	ck_assert(!vq_has_used(&vq));
	ck_assert(sd_publish(0));
	ck_assert(vq_has_used(&vq));
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(2));
	ck_assert_uint_eq(len, 21);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(vq.vq_bad_len, 0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(3));
	ck_assert_uint_eq(len, 21);		/* clamped */
	ck_assert_uint_eq(vq.vq_bad_len, 1);
	ck_assert_ptr_eq(vq_get_used(&vq, NULL), CK(1));
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	ck_assert(!vq_has_used(&vq));
	ck_assert_uint_eq(vq_nfree(&vq), 8);
	teardown();
}
END_TEST

START_TEST(test_full_and_args)
{
	struct vq_seg seg[6] = SEGS(1), many[9];
	struct vring_desc tbl[9];
	unsigned i;

	setup(8, false, true);
	for (i = 0; i < 9; i++)
		many[i] = seg[0];
	/* Never fits, not even indirect (2.7.5.3.1): -EINVAL. */
	ck_assert_int_eq(vq_add(&vq, many, 5, 4, CK(0), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, many, 5, 4, CK(0), tbl), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, 0, 0, CK(0), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, NULL, 1, 0, CK(0), NULL), -EINVAL);
	ck_assert_int_eq(vq_add(&vq, seg, ~0u, 2, CK(0), NULL), -EINVAL);
	many[0].vs_addr = NULL;
	ck_assert_int_eq(vq_add(&vq, many, 1, 0, CK(0), NULL), -EINVAL);
	seg[0].vs_len = seg[1].vs_len = 0x80000000u;
	ck_assert_int_eq(vq_add(&vq, seg, 2, 0, CK(0), NULL), -EINVAL);
	seg[0].vs_len = seg[1].vs_len = 1;
	many[0] = seg[2];
	ck_assert_uint_eq(vq_nfree(&vq), 8);
	/* Full is -ENOSPC; an indirect chain still fits in one. */
	ck_assert_int_eq(vq_add(&vq, many, 3, 4, CK(0), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 1, CK(1), NULL), -ENOSPC);
	ck_assert_uint_eq(vq.vq_full, 1);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 1, CK(1), tbl), 0);
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(2), tbl), -ENOSPC);
	ck_assert_uint_eq(vq.vq_full, 2);
	ck_assert(vq_kick_prepare(&vq));
	ck_assert_uint_eq(sd_take(8), 2);
	ck_assert(sd_complete(1));
	ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert_int_eq(vq_add(&vq, seg, 1, 0, CK(2), NULL), 0);
	ck_assert_uint_eq(sd.sd_bad, 0);
	teardown();
}
END_TEST

/* Both directions, exact values, without (_i 0) and with EVENT_IDX. */
START_TEST(test_suppression)
{
	struct vq_seg seg[6] = SEGS(4);
	uint16_t *aev, *uev;
	bool ev = _i;
	unsigned i;

	setup(16, ev, false);
	aev = vring_avail_event(sd.sd_used, 16);
	uev = vring_used_event(sd.sd_avail, 16);
	for (i = 0; i < 3; i++)
		vq_add(&vq, seg, 0, 1, CK(i), NULL);
	ck_assert_uint_eq(sd.sd_avail->va_idx, 0);	/* not yet */
	sd.sd_used->vu_flags = VRING_USED_F_NO_NOTIFY;	/* ignored w/ EV */
	*aev = 5;
	ck_assert(!vq_kick_prepare(&vq));		/* 5 !in [0,3) */
	ck_assert_uint_eq(sd.sd_avail->va_idx, 3);	/* published anyway */
	for (; i < 6; i++)
		vq_add(&vq, seg, 0, 1, CK(i), NULL);
	sd.sd_used->vu_flags = ev ? VRING_USED_F_NO_NOTIFY : 0;
	ck_assert(vq_kick_prepare(&vq));		/* 5 in [3,6) */
	ck_assert(vq.vq_kicks == 1 && vq.vq_kicks_suppressed == 1);
	vq_add(&vq, seg, 0, 1, CK(6), NULL);
	*aev = 7;
	ck_assert_int_eq(vq_kick_prepare(&vq), !ev);	/* 7 !in [6,7) */

	sd_take(16);
	ck_assert_uint_eq(*uev, 0);		/* after the first entry */
	vq_intr_disable(&vq);
	ck_assert_uint_eq(sd.sd_avail->va_flags,
	    ev ? 0 : VRING_AVAIL_F_NO_INTERRUPT);
	ck_assert_uint_eq(*uev, ev ? 0xffff : 0);	/* parked behind */
	ck_assert(!sd_complete(2));
	ck_assert(vq_intr_enable(&vq));		/* two waiting */
	ck_assert_uint_eq(sd.sd_avail->va_flags, 0);
	ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert_uint_eq(*uev, ev ? 1 : 0);	/* armed: the next one */
	ck_assert(vq_intr_enable(&vq));		/* one waiting */
	ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert(!vq_intr_enable(&vq));
	ck_assert(sd_complete(2));
	ck_assert_int_eq(sd_complete(1), !ev);	/* one interrupt per arming */
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert(sd_complete(1));		/* drained, armed again */
	ck_assert_uint_eq(sd.sd_bad, 0);
	teardown();
}
END_TEST

/*
 * vq_intr_postpone(): one interrupt at the n-th completion from here,
 * none before, none after (spent and parked), even when the driver
 * consumes on the way; the re-check when the device is already there.
 * Without EVENT_IDX (_i 0) it is vq_intr_enable().
 */
START_TEST(test_intr_postpone)
{
	struct vq_seg seg[6] = SEGS(4);
	uint16_t *uev;
	bool ev = _i;
	unsigned i;

	setup(16, ev, false);
	uev = vring_used_event(sd.sd_avail, 16);
	vq_intr_disable(&vq);
	for (i = 0; i < 12; i++)
		ck_assert_int_eq(vq_add(&vq, seg, 0, 1, CK(i), NULL), 0);
	vq_kick_prepare(&vq);
	ck_assert_uint_eq(sd_take(16), 12);
	ck_assert(!vq_intr_postpone(&vq, 8));		/* none used yet */
	ck_assert(!vq.vq_intr_off);
	if (!ev) {
		ck_assert_uint_eq(sd.sd_avail->va_flags, 0);
		ck_assert(sd_complete(1));		/* enabled: at once */
		teardown();
		return;
	}
	ck_assert_uint_eq(*uev, 7);			/* the 8th entry */
	ck_assert(!sd_complete(3));
	for (i = 0; i < 3; i++)				/* consumed on the way */
		ck_assert_ptr_nonnull(vq_get_used(&vq, NULL));
	ck_assert_uint_eq(*uev, 7);			/* not moved */
	ck_assert(!sd_complete(4));			/* entries 3..6 */
	ck_assert(sd_complete(1));			/* entry 7: the one */
	ck_assert(!sd_complete(1));			/* then none */
	while (vq_get_used(&vq, NULL) != NULL)
		;
	ck_assert(vq.vq_intr_off && !vq.vq_intr_postponed); /* spent */
	ck_assert_uint_eq(vq.vq_last_used, 9);
	ck_assert_uint_eq(*uev, 7);		/* parked behind the driver */
	ck_assert(!sd_complete(2));
	while (vq_get_used(&vq, NULL) != NULL)
		;
	/* The device already past the target: the caller must consume. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(vq_add(&vq, seg, 0, 1, CK(i), NULL), 0);
	vq_kick_prepare(&vq);
	sd_take(16);
	ck_assert(!sd_complete(3));
	ck_assert(vq_intr_postpone(&vq, 2));		/* 3 >= 2 waiting */
	ck_assert(!vq_intr_postpone(&vq, 4));		/* 3 < 4 */
	ck_assert(sd_complete(1));			/* the 4th */
	vq_intr_disable(&vq);				/* cancels */
	ck_assert(vq.vq_intr_off && !vq.vq_intr_postponed);
	ck_assert_uint_eq(sd.sd_bad, 0);
	teardown();
}
END_TEST

/* Interrupts off for a long time: none at all, across index wraps. */
START_TEST(test_intr_disabled_long)
{
	struct vq_seg seg[6] = SEGS(4);
	unsigned i, irqs = 0, got = 0;

	setup(64, _i, false);
	sd_wake();
	vq_intr_disable(&vq);
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

/* ---- long random runs ---- */

struct lreq {
	struct vq_seg		lr_seg[LR_MAXSEG];
	struct vring_desc	lr_table[LR_MAXSEG];
	uint8_t			lr_buf[LR_MAXSEG][LR_BUF];
	unsigned		lr_nout, lr_n, lr_ndesc;
	bool			lr_busy, lr_taken, lr_ind;
};

/* Driver-side truth (unwrapped) and the mismatch counters. */
static struct {
	struct lreq	*l_req;
	unsigned	l_nreq, l_held;		/* descriptors held */
	uint32_t	l_added, l_published, l_consumed, l_full;
	bool		l_armed, l_irq;		/* interrupts on; one pending */
	unsigned	l_add, l_kick, l_lost, l_chain, l_cookie;
	unsigned	l_stranded, l_unsup, l_extra, l_enable;
} L;

static void
lr_add(void)
{
	struct lreq *q = &L.l_req[rnd() % L.l_nreq];
	struct vring_desc *tbl;
	unsigned i, off, need, nin;
	int rc;

	if (q->lr_busy)
		return;
	q->lr_nout = rnd() % 4;
	nin = rnd() % 4;
	q->lr_nout += q->lr_nout + nin == 0;
	q->lr_n = q->lr_nout + nin;
	for (i = 0; i < q->lr_n; i++) {
		off = rnd() % 8;
		q->lr_seg[i].vs_addr = &q->lr_buf[i][off];
		q->lr_seg[i].vs_len = 1 + rnd() % (LR_BUF - off);
	}
	/* A table the queue may not use (1 seg, or no feature) is ignored. */
	tbl = rnd() % 2 ? q->lr_table : NULL;
	q->lr_ind = vq.vq_indirect && q->lr_n > 1 && tbl != NULL;
	need = q->lr_ind ? 1 : q->lr_n;
	L.l_add += vq_nfree(&vq) != sd.sd_size - L.l_held;
	rc = vq_add(&vq, q->lr_seg, q->lr_nout, nin, q, tbl);
	L.l_full += need > sd.sd_size - L.l_held;
	L.l_add += rc != (need > sd.sd_size - L.l_held ? -ENOSPC : 0);
	if (rc == 0) {
		q->lr_busy = true;
		q->lr_ndesc = need;
		L.l_held += need;
		L.l_added++;
	}
}

static void
lr_kick(void)
{
	uint32_t old = L.l_published, new = L.l_added, ev = sd.sd_avail_event;
	bool want, kick;

	want = sd.sd_sleeping && (sd.sd_event_idx ? old <= ev && ev < new :
	    old != new);
	kick = vq_kick_prepare(&vq);
	L.l_kick += kick != want;
	L.l_published = new;
	if (kick)
		sd_wake();
	/* A sleeping device has no more unseen buffers than it allowed. */
	L.l_lost += sd.sd_sleeping && L.l_published - sd.sd_last_avail >
	    (sd.sd_event_idx ? ev - sd.sd_last_avail : 0);
}

/* The device takes chains: each must be exactly a busy request's. */
static void
lr_take(unsigned max)
{
	struct sd_chain *c;
	struct lreq *q;
	unsigned j, i;
	uintptr_t a;

	j = sd.sd_nflight;
	sd_take(max);
	for (; j < sd.sd_nflight; j++) {
		c = &sd.sd_flight[j];
		a = (uintptr_t)vq_virt(c->sc_seg[0].vd_addr) -
		    (uintptr_t)L.l_req;
		q = &L.l_req[a / sizeof(*q)];
		if (a >= L.l_nreq * sizeof(*q) || !q->lr_busy || q->lr_taken ||
		    c->sc_nseg != q->lr_n || c->sc_indirect != q->lr_ind) {
			L.l_chain++;
			continue;
		}
		for (i = 0; i < q->lr_n; i++)
			L.l_chain += c->sc_seg[i].vd_addr !=
			    vq_phys(q->lr_seg[i].vs_addr) ||
			    c->sc_seg[i].vd_len != q->lr_seg[i].vs_len ||
			    !(c->sc_seg[i].vd_flags & VRING_DESC_F_WRITE) !=
			    (i < q->lr_nout);
		q->lr_taken = true;
		c->sc_tag = (long)(q - L.l_req);
	}
}

static void
lr_complete(void)
{
	bool pending = sd.sd_used_idx != L.l_consumed, irq;

	if (sd.sd_nflight == 0)
		return;
	irq = sd_complete(1 + rnd() % 4);
	if (L.l_armed && !L.l_irq)	/* idle: this one must interrupt */
		L.l_stranded += pending || !irq;
	else if (!L.l_armed)
		L.l_unsup += irq;
	else if (sd.sd_event_idx)	/* EVENT_IDX: one per arming */
		L.l_extra += irq;
	L.l_irq |= L.l_armed && irq;
}

/* One vq_get_used(): the next used slot's request, exactly once. */
static bool
lr_get(void)
{
	unsigned slot = L.l_consumed & (sd.sd_size - 1);
	long tag = sd.sd_tag[slot];
	struct lreq *q = &L.l_req[tag < 0 ? 0 : tag];
	uint32_t len;
	void *ck;

	if ((ck = vq_get_used(&vq, &len)) == NULL)
		return (false);
	if (L.l_consumed++ == sd.sd_used_idx || tag < 0 || ck != q ||
	    len != sd.sd_used->vu_ring[slot].vu_len || !q->lr_busy ||
	    !q->lr_taken) {
		L.l_cookie++;
		return (true);
	}
	q->lr_busy = q->lr_taken = false;
	L.l_held -= q->lr_ndesc;
	return (true);
}

/* The driver's interrupt handler and poll loop. */
static void
lr_service(void)
{
	bool pending, got;
	unsigned k;

	if (L.l_armed) {
		if (!L.l_irq)
			return;
		L.l_irq = false;
		if (rnd() % 2 == 0) {		/* simple handler: drain */
			while (lr_get())
				;
		} else {			/* NAPI style: poll later */
			vq_intr_disable(&vq);
			L.l_armed = false;
		}
		return;
	}
	if (rnd() % 3 == 0) {
		pending = sd.sd_used_idx != L.l_consumed;
		got = vq_intr_enable(&vq);
		L.l_enable += got != pending;
		if (got)
			vq_intr_disable(&vq);
		else
			L.l_armed = true;
		return;
	}
	for (k = 1 + rnd() % 8; k > 0 && lr_get(); k--)
		;
}

static void
long_run(uint16_t size, bool ev, bool ind)
{
	unsigned i, r;

	setup(size, ev, ind);
	memset(&L, 0, sizeof(L));
	L.l_nreq = size + size / 2 + 8;
	L.l_req = calloc(L.l_nreq, sizeof(struct lreq));
	L.l_armed = true;
	rng_state = LR_SEED ^ size ^ (uint64_t)ev << 20 ^ (uint64_t)ind << 21;
	for (i = 0; i < LR_OPS || (L.l_added < LR_WRAPS * 65536 + 1000 &&
	    i < 8 * LR_OPS); i++) {
		r = rnd() % 100;
		if (r < 30)
			lr_add();
		else if (r < 42)
			lr_kick();
		else if (r < 57 && !sd.sd_sleeping)
			lr_take(1 + rnd() % 4);
		else if (r < 57 && rnd() % 64 == 0)
			sd_wake();		/* the device's own timer */
		else if (r < 72)
			lr_complete();
		else if (r < 77 && !sd.sd_sleeping)
			sd_sleep(rnd() % 3);
		else if (r >= 77)
			lr_service();
	}
	/* Drain: everything added comes back exactly once. */
	lr_kick();
	sd_wake();
	lr_take(size);
	while (sd.sd_nflight > 0)
		sd_complete(size);
	while (lr_get())
		;
	ck_assert_msg(L.l_add + L.l_kick + L.l_lost + L.l_chain + L.l_cookie +
	    L.l_stranded + L.l_unsup + L.l_extra + L.l_enable + sd.sd_bad == 0,
	    "size %u ev %d ind %d: add %u kick %u lost %u chain %u cookie %u "
	    "stranded %u unsuppressed %u extra %u enable %u device %u", size,
	    ev, ind, L.l_add, L.l_kick, L.l_lost, L.l_chain, L.l_cookie,
	    L.l_stranded, L.l_unsup, L.l_extra, L.l_enable, sd.sd_bad);
	ck_assert_uint_eq(L.l_consumed, L.l_added);
	ck_assert_uint_eq(L.l_held, 0);
	ck_assert_uint_eq(vq_nfree(&vq), size);
	ck_assert_uint_ge(L.l_added, LR_WRAPS * 65536);
	ck_assert_uint_gt(vq.vq_kicks_suppressed, 0);
	ck_assert_uint_eq(vq.vq_full, L.l_full);
	free(L.l_req);
	teardown();
}

START_TEST(test_long_run)
{
	static const struct { uint16_t size; bool ev, ind; } cfg[] = {
		{ 8, true, true }, { 64, false, false }, { 64, true, false },
		{ 256, false, true },
	};

	long_run(cfg[_i].size, cfg[_i].ev, cfg[_i].ind);
}
END_TEST

static Suite *
virtqueue_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("virtqueue");
	tc = tcase_create("virtqueue");
	tcase_set_timeout(tc, LONG_TIMEOUT);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_chains);
	tcase_add_test(tc, test_full_and_args);
	tcase_add_loop_test(tc, test_suppression, 0, 2);
	tcase_add_test(tc, test_need_event);
	tcase_add_loop_test(tc, test_intr_disabled_long, 0, 2);
	tcase_add_loop_test(tc, test_intr_postpone, 0, 2);
	tcase_add_loop_test(tc, test_long_run, 0, 4);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(virtqueue_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

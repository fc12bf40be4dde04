/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_virtqueue_bad.c: drivers/virtio/virtqueue.c against a
 * device that breaks the protocol (virtio 1.2, 2.7.8).
 *
 * Design: what a device writes is input, never an invariant.  The directed
 * tests write one kind of bad used entry each, through sd_put_raw() or by
 * storing vu_idx directly: an id out of range, a duplicate, a descriptor
 * that is no chain head, an idx that jumps ahead or goes backwards, a
 * length beyond the writable bytes.  Each checks the counter of its kind,
 * that the good entries around it come back exactly once, and that
 * vq_nfree() still equals the descriptors the outstanding chains hold.
 * Before the driver validated device input, every one of them except the
 * length test died on a KASSERT (abort) in vq_get_used().  A corrupted
 * descriptor table, on the other hand, is the driver's own state and
 * still a KASSERT.
 *
 * The hostile run mixes all of it at random with a device of its own that
 * follows only the avail ring (the simulated device's chain tracking
 * assumes a well-behaved driver view).  It is exact: it knows the idx it
 * published (W) and the chains the driver published (P), so after every
 * vq_get_used() the queue must be broken exactly when W ran past P, and
 * once drained the driver's returns and skip counters must add up to W.
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
#include "tests/unit/virtio_simdev.h"

#define HR_MAXSEG	3		/* longest chain of the hostile run */
#define HR_BUF		32		/* bytes per hostile-run segment */
#define HR_SEED		0x686f7374696c6521ULL
#define HR_EPOCHS	1000		/* fresh queues per configuration */
#define HR_EPOCH_OPS	4000		/* operations per queue, at most */
#define HR_GARBAGE_PCT	4		/* device writes that are garbage */
#define HR_JUMP_ODDS	5000		/* 1 in this: the device jumps idx */
#define HR_GREEDY_ODDS	1000		/* 1 in this: it ignores its slack */
#define TEST_TIMEOUT	120

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

static char ck_cookie[8];
static uint8_t bufs[4][64];
static struct vring_desc tbl_b[3], tbl_d[2];
#define CK(i)		((void *)&ck_cookie[(i)])

/*
 * Four chains, published and taken by the device (sd_flight 0..3):
 *   A  head 0   1 readable                  writable 0
 *   B  head 1   1 readable + 2 writable     writable 24 (direct: 1..3)
 *   C           1 writable                  writable 64
 *   D           2 writable                  writable 48
 * With ind, B and D are indirect (one descriptor each).
 */
#define A_W		0
#define B_W		24
#define C_W		64
#define D_W		48

static unsigned
four_chains(uint16_t size, bool ind)
{
	struct vq_seg sa[1] = { { bufs[0], 4 } };
	struct vq_seg sb[3] = { { bufs[1], 4 }, { bufs[1] + 8, 8 },
	    { bufs[1] + 16, 16 } };
	struct vq_seg sc[1] = { { bufs[2], 64 } };
	struct vq_seg sdd[2] = { { bufs[3], 16 }, { bufs[3] + 16, 32 } };

	setup(size, false, ind);
	ck_assert_int_eq(vq_add(&vq, sa, 1, 0, CK(0), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, sb, 1, 2, CK(1), tbl_b), 0);
	ck_assert_int_eq(vq_add(&vq, sc, 0, 1, CK(2), NULL), 0);
	ck_assert_int_eq(vq_add(&vq, sdd, 0, 2, CK(3), tbl_d), 0);
	vq_kick_prepare(&vq);
	ck_assert_uint_eq(sd_take(size), 4);
	ck_assert_uint_eq(sd.sd_flight[1].sc_wlen, B_W);
	return (ind ? 4 : 7);		/* descriptors held */
}

/* Device-side: the flight slot now holding chain cookie i's head. */
static unsigned
flight_of(uint16_t head)
{
	unsigned j;

	for (j = 0; j < sd.sd_nflight; j++)
		if (sd.sd_flight[j].sc_head == head)
			return (j);
	ck_abort_msg("head %u not in flight", head);
	return (0);
}

static void
no_bad_but(uint64_t id, uint64_t dup, uint64_t len, uint64_t idx)
{
	ck_assert_uint_eq(vq.vq_bad_id, id);
	ck_assert_uint_eq(vq.vq_bad_dup, dup);
	ck_assert_uint_eq(vq.vq_bad_len, len);
	ck_assert_uint_eq(vq.vq_bad_idx, idx);
	ck_assert_uint_eq(vq.vq_bad_chain, 0);
	ck_assert_int_eq(vq_is_broken(&vq), idx != 0);
}

/* An id >= size in place of A's entry: skipped; A stays held. */
START_TEST(test_bad_id_range)
{
	static const uint32_t ids[] = { 16, 0x10000, 0xffffffffu };
	unsigned held = four_chains(16, _i == 1);
	uint32_t len;

	sd_put_raw(ids[_i], 4);			/* A, corrupted */
	sd_put(flight_of(1), B_W);
	sd_publish(0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(1));
	ck_assert_uint_eq(len, B_W);
	held -= _i == 1 ? 1 : 3;
	ck_assert_uint_eq(vq_nfree(&vq), 16 - held);
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	no_bad_but(1, 0, 0, 0);
	ck_assert_uint_eq(sd.sd_bad, 0);
	teardown();
}
END_TEST

/*
 * B returned twice: the second is skipped, B's cookie comes back once.
 * Then one entry more than the chains published: the queue stops.
 */
START_TEST(test_bad_id_dup)
{
	unsigned held = four_chains(16, _i);
	uint32_t len;

	sd_put(flight_of(1), B_W);
	sd_put_raw(1, B_W);			/* B again */
	sd_put(flight_of(0), 0);		/* A */
	sd_publish(0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(1));
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	held -= (_i ? 1 : 3) + 1;
	ck_assert_uint_eq(vq_nfree(&vq), 16 - held);
	no_bad_but(0, 1, 0, 0);
	/* C and D: five entries for four chains. */
	sd_put(0, C_W);
	sd_put(0, D_W);
	sd_publish(3);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), NULL);
	no_bad_but(0, 1, 0, 1);
	ck_assert_uint_eq(vq_nfree(&vq), 16 - held);	/* kept: in use */
	teardown();
}
END_TEST

/* Ids of a descriptor inside B and of a free one: not heads, skipped. */
START_TEST(test_bad_id_not_head)
{
	uint32_t len;

	ck_assert_uint_eq(four_chains(16, false), 7);
	sd_put_raw(2, 8);		/* B's second descriptor */
	sd_put_raw(12, 8);		/* never handed out */
	sd_put(flight_of(0), 0);	/* A */
	sd_put(flight_of(1), 3);	/* B */
	sd_publish(0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(1));
	ck_assert_uint_eq(len, 3);
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	ck_assert_uint_eq(vq_nfree(&vq), 16 - 3);	/* C, D: 1 + 2 */
	no_bad_but(0, 2, 0, 0);
	teardown();
}
END_TEST

/*
 * Used idx past the published chains: size + 1 ahead (_i 0), ahead but
 * within the size (1), behind (2), and a jump after one good entry (3).
 * The queue stops for good: nothing returned, nothing taken, chains kept.
 */
START_TEST(test_bad_idx)
{
	static const uint16_t idx[] = { 17, 5, 0xffff, 0x8001 };
	struct vq_seg seg = { bufs[0], 4 };
	unsigned held = four_chains(16, false);
	uint32_t len;
	int i;

	if (_i == 3) {
		sd_put(flight_of(0), 0);
		sd_publish(0);
		ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
		held--;
	}
	sd.sd_used->vu_idx = idx[_i];
	ck_assert(vq_has_used(&vq));		/* not known yet */
	for (i = 0; i < 3; i++)
		ck_assert_ptr_null(vq_get_used(&vq, &len));
	no_bad_but(0, 0, 0, 1);
	ck_assert(!vq_has_used(&vq));
	ck_assert(!vq_intr_enable(&vq));
	ck_assert_uint_eq(vq_nfree(&vq), 16 - held);
	ck_assert_int_eq(vq_add(&vq, &seg, 1, 0, CK(4), NULL), -EIO);
	ck_assert_uint_eq(vq_nfree(&vq), 16 - held);
	/* Even the real entries, written afterwards, stay unread. */
	sd_put(0, 0);
	sd_publish(0);
	ck_assert_ptr_null(vq_get_used(&vq, &len));
	ck_assert_uint_eq(vq.vq_bad_idx, 1);
	teardown();
}
END_TEST

/* Lengths beyond the writable bytes, direct (_i 0) and indirect (1). */
START_TEST(test_bad_len)
{
	uint32_t len = 0;

	four_chains(16, _i);
	sd_put(flight_of(1), 0xffffffffu);	/* B */
	sd_put(flight_of(0), 1);		/* A: nothing writable */
	sd_put(0, 0);				/* C (flight: C, D) */
	sd_put(0, 0x10000);			/* D */
	sd_publish(0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(1));
	ck_assert_uint_eq(len, B_W);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(0));
	ck_assert_uint_eq(len, A_W);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(2));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_eq(vq_get_used(&vq, &len), CK(3));
	ck_assert_uint_eq(len, D_W);
	ck_assert_uint_eq(vq_nfree(&vq), 16);
	no_bad_but(0, 0, 3, 0);
	teardown();
}
END_TEST

#ifdef KASSERT_ENABLE
/* The descriptor table is ours: a broken chain in it is a KASSERT. */
START_TEST(test_own_chain_asserts)
{
	four_chains(16, false);
	sd.sd_desc[2].vd_next = 200;		/* inside B */
	sd_put(flight_of(1), 0);
	sd_publish(0);
	vq_get_used(&vq, NULL);
}
END_TEST
#endif

/* ---- the hostile run ---- */

struct hreq {
	struct vq_seg		h_seg[HR_MAXSEG];
	struct vring_desc	h_tbl[HR_MAXSEG];
	uint8_t			h_buf[HR_MAXSEG][HR_BUF];
	uint32_t		h_wlen;
	unsigned		h_ndesc;
	bool			h_busy;
};

static struct {
	struct hreq	*h_req;
	unsigned	h_nreq;
	uint16_t	*h_heads;	/* device: taken, not returned */
	unsigned	h_nheads;
	uint32_t	h_seen;		/* device: avail entries taken */
	uint32_t	h_w;		/* device: used idx published (W) */
	uint32_t	h_added, h_p;	/* driver: chains added, published */
	unsigned	h_held;		/* driver: descriptors held */
	uint64_t	h_returned, h_outrange;
	bool		h_broken;	/* expected */
	unsigned	h_twice, h_len, h_nfree, h_add, h_state, h_sum;
	uint64_t	h_breaks, h_garbage, h_total;	/* coverage */
} H;

static void
hr_add(void)
{
	struct hreq *q = &H.h_req[rnd() % H.h_nreq];
	unsigned i, nout, nin, need;
	bool ind;
	int rc;

	if (q->h_busy)
		return;
	switch (rnd() % 3) {
	case 0:				/* rx-like */
		nout = 0;
		nin = 1 + rnd() % HR_MAXSEG;
		break;
	case 1:				/* tx-like */
		nout = 1 + rnd() % HR_MAXSEG;
		nin = 0;
		break;
	default:
		nout = 1 + rnd() % (HR_MAXSEG - 1);
		nin = 1 + rnd() % (HR_MAXSEG - nout);
		break;
	}
	q->h_wlen = 0;
	for (i = 0; i < nout + nin; i++) {
		q->h_seg[i].vs_addr = q->h_buf[i];
		q->h_seg[i].vs_len = 1 + rnd() % HR_BUF;
		if (i >= nout)
			q->h_wlen += q->h_seg[i].vs_len;
	}
	ind = vq.vq_indirect && nout + nin > 1 && rnd() % 2 == 0;
	need = ind ? 1 : nout + nin;
	rc = vq_add(&vq, q->h_seg, nout, nin, q, ind ? q->h_tbl : NULL);
	H.h_add += rc != (H.h_broken ? -EIO :
	    need > sd.sd_size - H.h_held ? -ENOSPC : 0);
	if (rc == 0) {
		q->h_busy = true;
		q->h_ndesc = need;
		H.h_held += need;
		H.h_added++;
	}
}

static void
hr_kick(void)
{
	vq_kick_prepare(&vq);
	H.h_p = H.h_added;
}

static void
hr_take(void)
{
	uint16_t aidx = sd.sd_avail->va_idx;

	for (; (uint16_t)H.h_seen != aidx; H.h_seen++)
		H.h_heads[H.h_nheads++] = sd.sd_avail->va_ring[H.h_seen &
		    (sd.sd_size - 1)];
}

static bool	hr_get(void);

/*
 * The device writes one used entry, good or not, and publishes it; or,
 * now and then, publishes an idx anywhere past the chains published
 * (ahead, or behind modulo 65536), which the next vq_get_used() must
 * catch, so that comes at once.
 */
static void
hr_put(void)
{
	unsigned k, slot = H.h_w & (sd.sd_size - 1);
	uint32_t id, len;

	if (rnd() % HR_JUMP_ODDS == 0) {
		H.h_w = H.h_p + 1 + rnd() % (0x10000 - sd.sd_size - 1);
		sd.sd_used->vu_idx = (uint16_t)H.h_w;
		hr_get();
		return;
	}
	if (H.h_w >= H.h_seen && rnd() % HR_GREEDY_ODDS != 0)
		return;			/* nothing it may return */
	if (rnd() % 100 < HR_GARBAGE_PCT || H.h_nheads == 0) {
		H.h_garbage++;
		if (rnd() % 2 == 0) {
			id = sd.sd_size + rnd() % 0x20000;
			H.h_outrange++;
		} else
			id = rnd() % sd.sd_size;
		len = rnd();
	} else {
		k = rnd() % H.h_nheads;
		id = H.h_heads[k];
		H.h_heads[k] = H.h_heads[--H.h_nheads];
		len = rnd() % 8 == 0 ? rnd() : rnd() % (HR_BUF * HR_MAXSEG);
	}
	sd.sd_used->vu_ring[slot].vu_id = id;
	sd.sd_used->vu_ring[slot].vu_len = len;
	H.h_w++;
	__atomic_store_n(&sd.sd_used->vu_idx, (uint16_t)H.h_w,
	    __ATOMIC_RELEASE);
}

/* One vq_get_used(), checked against everything the model knows. */
static bool
hr_get(void)
{
	struct hreq *q;
	uint32_t len;
	uintptr_t a;
	void *ck;

	/* 2.7.8: more used entries than chains published. */
	H.h_broken |= (uint16_t)(H.h_w - vq.vq_last_used) >
	    (uint16_t)(H.h_p - vq.vq_last_used);
	ck = vq_get_used(&vq, &len);
	H.h_state += vq_is_broken(&vq) != H.h_broken;
	if (ck != NULL) {
		a = (uintptr_t)ck - (uintptr_t)H.h_req;
		q = &H.h_req[a / sizeof(*q)];
		if (a >= H.h_nreq * sizeof(*q) || a % sizeof(*q) != 0 ||
		    !q->h_busy) {
			H.h_twice++;
			return (true);
		}
		H.h_len += len > q->h_wlen;
		q->h_busy = false;
		H.h_held -= q->h_ndesc;
		H.h_returned++;
	} else if (!H.h_broken) {
		/* Drained: every entry published is accounted for. */
		H.h_sum += H.h_returned + vq.vq_bad_id + vq.vq_bad_dup !=
		    H.h_w || vq.vq_bad_id != H.h_outrange;
	}
	H.h_nfree += vq_nfree(&vq) != sd.sd_size - H.h_held;
	return (ck != NULL);
}

static void
hr_epoch(uint16_t size, bool ev, bool ind)
{
	unsigned i, r;

	setup(size, ev, ind);
	H.h_nheads = 0;
	H.h_seen = H.h_w = H.h_added = H.h_p = 0;
	H.h_held = 0;
	H.h_returned = H.h_outrange = 0;
	H.h_broken = false;
	for (i = 0; i < H.h_nreq; i++)
		H.h_req[i].h_busy = false;
	for (i = 0; i < HR_EPOCH_OPS && !H.h_broken; i++) {
		r = rnd() % 100;
		if (r < 30)
			hr_add();
		else if (r < 45)
			hr_kick();
		else if (r < 60)
			hr_take();
		else if (r < 80)
			hr_put();
		else
			while (hr_get() && rnd() % 4 != 0)
				;
	}
	H.h_breaks += H.h_broken;
	H.h_total += H.h_returned;
	if (H.h_broken) {
		/* Stopped for good: nothing back, nothing taken. */
		hr_add();
		hr_take();
		hr_put();
		H.h_twice += hr_get();
		H.h_state += !vq_is_broken(&vq) || vq.vq_bad_idx != 1;
	}
	teardown();
}

START_TEST(test_hostile_run)
{
	static const struct { uint16_t size; bool ev, ind; } cfg[] = {
		{ 8, false, true }, { 16, true, false }, { 64, true, true },
	};
	unsigned e;

	memset(&H, 0, sizeof(H));
	H.h_nreq = 2 * cfg[_i].size;
	H.h_req = calloc(H.h_nreq, sizeof(struct hreq));
	H.h_heads = calloc(cfg[_i].size + HR_EPOCH_OPS, sizeof(uint16_t));
	rng_state = HR_SEED ^ (uint64_t)_i << 32;
	for (e = 0; e < HR_EPOCHS; e++)
		hr_epoch(cfg[_i].size, cfg[_i].ev, cfg[_i].ind);
	ck_assert_msg(H.h_twice + H.h_len + H.h_nfree + H.h_add + H.h_state +
	    H.h_sum == 0, "cfg %d: twice %u len %u nfree %u add %u state %u "
	    "sum %u", _i, H.h_twice, H.h_len, H.h_nfree, H.h_add, H.h_state,
	    H.h_sum);
	/* The run reached what it is about. */
	ck_assert_uint_gt(H.h_breaks, HR_EPOCHS / 10);
	ck_assert_uint_gt(H.h_garbage, HR_EPOCHS);
	ck_assert_uint_gt(H.h_total, 100 * HR_EPOCHS);
	free(H.h_req);
	free(H.h_heads);
}
END_TEST

static Suite *
virtqueue_bad_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("virtqueue_bad");
	tc = tcase_create("virtqueue_bad");
	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_loop_test(tc, test_bad_id_range, 0, 3);
	tcase_add_loop_test(tc, test_bad_id_dup, 0, 2);
	tcase_add_test(tc, test_bad_id_not_head);
	tcase_add_loop_test(tc, test_bad_idx, 0, 4);
	tcase_add_loop_test(tc, test_bad_len, 0, 2);
#ifdef KASSERT_ENABLE
	tcase_add_test_raise_signal(tc, test_own_chain_asserts, SIGABRT);
#endif
	tcase_add_loop_test(tc, test_hostile_run, 0, 3);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(virtqueue_bad_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

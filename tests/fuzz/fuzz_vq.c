/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/fuzz/fuzz_vq.c: libFuzzer target for the driver side of a split
 * virtqueue (drivers/virtio/virtqueue.c) and the receive header check
 * (drivers/virtio_net/vtnet_hdr.c), against a device that writes anything.
 *
 * Design: the input is a script.  Two bytes pick the queue (size 1 to 256,
 * EVENT_IDX, INDIRECT_DESC) and what the header check is told was
 * negotiated (a 12- or 20-byte header, GUEST_CSUM, MRG_RXBUF).  Then each
 * op byte is one step of the driver or of the device, with its arguments
 * from the following bytes (0 once the input runs out):
 *
 *   driver: add an rx-like (writable), tx-like (readable) or mixed
 *	chain, direct or indirect; kick; get used (1 to 8 times);
 *	interrupts off / on.
 *   device: take the published heads; write a used entry for a head it
 *	took (after writing any virtio_net_hdr into its first buffer), or
 *	for any id, with any length; publish its used idx; publish any
 *	used idx (jumps, backwards); write vu_flags and avail_event.
 *
 * The harness keeps the driver-side truth (which requests the device
 * holds, their writable bytes and descriptors) and aborts when the driver
 * breaks a promise: a cookie that is not outstanding (returned twice, or
 * never given), a length beyond the writable bytes, vq_nfree() not the
 * descriptors free (or above the size), a vq_add() result other than the
 * one the state calls for, entries unaccounted for (returns plus skips
 * must equal the entries consumed), or anything at all from a broken
 * queue.  Every header from an rx-like chain goes through
 * vtnet_rx_hdr_check(); when it accepts NEEDS_CSUM, the checksum is
 * completed as the rx path does, over an exact-size copy of the frame, so
 * AddressSanitizer reports an offset the check let through; when it
 * accepts a GSO header (FZ_CF_TSO), vtnet_rx_gso_check() reads such a
 * copy too.  KASSERTs are
 * on: any that fires on device input is a bug.
 *
 * Locking: none; libFuzzer runs one input at a time.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"
#include "kernel/errno.h"

#define FZ_MAXSIZE	256		/* largest queue (vtnet's maximum) */
#define FZ_SIZES	9		/* 1, 2, 4, ... 256 */
#define FZ_MAXSEG	3		/* segments per request */
#define FZ_SEG		512		/* bytes per segment */
#define FZ_NREQ		(2 * FZ_MAXSIZE)
#define FZ_SEEN		1024		/* heads the device remembers */
#define FZ_GETS		8		/* most vq_get_used() per op */
#define FZ_CSUM_LEN	2

/* Config byte 1. */
#define FZ_CF_EVENT	0x01
#define FZ_CF_INDIRECT	0x02
#define FZ_CF_HASH	0x04
#define FZ_CF_CSUM	0x08
#define FZ_CF_MRG	0x10
#define FZ_CF_TSO	0x20	/* GUEST_TSO4/6: GSO headers are checked */
/* Chain-shape byte of the add ops: indirect, and segments - 1. */
#define FZ_ADD_IND	0x80
#define FZ_ADD_SEGS	0x7f

enum fz_op {
	FZ_ADD_RX, FZ_ADD_TX, FZ_ADD_MIX, FZ_KICK, FZ_TAKE, FZ_PUT,
	FZ_PUT_RAW, FZ_PUBLISH, FZ_JUMP, FZ_GET, FZ_INTR, FZ_DEVFLAGS,
	FZ_NOPS
};

struct fz_req {
	uint8_t			r_buf[FZ_MAXSEG][FZ_SEG];
	struct vring_desc	r_tbl[FZ_MAXSEG];
	struct vq_seg		r_seg[FZ_MAXSEG];
	unsigned		r_nout, r_nin, r_ndesc;
	uint32_t		r_wlen;
	bool			r_busy;
};

static struct fz_req fz_req[FZ_NREQ];
static struct vring_desc fz_desc[FZ_MAXSIZE]
    __attribute__((aligned(VQ_DESC_ALIGN)));
static uint8_t fz_avail[6 + 2 * FZ_MAXSIZE]
    __attribute__((aligned(VQ_AVAIL_ALIGN)));
static uint8_t fz_used[6 + 8 * FZ_MAXSIZE]
    __attribute__((aligned(VQ_USED_ALIGN)));
static void *fz_cookies[FZ_MAXSIZE];

static struct {
	struct virtqueue	vq;
	const uint8_t		*in, *end;	/* the script */
	struct fz_req		*head2req[FZ_MAXSIZE]; /* last added */
	uint16_t		seen[FZ_SEEN];	/* device: heads taken */
	unsigned		nseen;
	uint16_t		dev_avail;	/* device: next avail entry */
	uint16_t		dev_used;	/* device: used entries written */
	unsigned		held;		/* descriptors outstanding */
	uint64_t		returned;
	uint32_t		hdr_len, rxf;
} F;

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

static void
fz_fail(const char *what)
{
	fprintf(stderr, "fuzz_vq: %s\n", what);
	abort();
}

static uint8_t
in8(void)
{
	return F.in < F.end ? *F.in++ : 0;
}

static uint16_t
in16(void)
{
	uint16_t v = in8();

	return (uint16_t)(v | in8() << 8);
}

static uint32_t
in32(void)
{
	uint32_t v = in16();

	return v | (uint32_t)in16() << 16;
}

static struct vring_avail *
fz_av(void)
{
	return (struct vring_avail *)(void *)fz_avail;
}

static struct vring_used *
fz_us(void)
{
	return (struct vring_used *)(void *)fz_used;
}

/* The driver adds a chain of nout readable and nin writable segments. */
static void
fz_add(unsigned nout, unsigned nin, bool want_ind)
{
	struct fz_req *q = &fz_req[in16() % FZ_NREQ];
	unsigned i, n = nout + nin, need;
	bool ind;
	int rc, want;

	for (i = 0; q->r_busy && i < FZ_NREQ; i++)
		q = &fz_req[(q - fz_req + 1) % FZ_NREQ];
	if (q->r_busy)
		return;
	q->r_wlen = 0;
	for (i = 0; i < n; i++) {
		q->r_seg[i].vs_addr = q->r_buf[i];
		q->r_seg[i].vs_len = in16() % (FZ_SEG + 1);
		if (i >= nout)
			q->r_wlen += q->r_seg[i].vs_len;
	}
	ind = F.vq.vq_indirect && want_ind && n > 1;
	need = ind ? 1 : n;
	rc = vq_add(&F.vq, q->r_seg, nout, nin, q, want_ind ? q->r_tbl :
	    NULL);
	want = n > F.vq.vq_size ? -EINVAL : vq_is_broken(&F.vq) ? -EIO :
	    need > F.vq.vq_size - F.held ? -ENOSPC : 0;
	if (rc != want)
		fz_fail("vq_add result");
	if (rc != 0)
		return;
	q->r_busy = true;
	q->r_nout = nout;
	q->r_nin = nin;
	q->r_ndesc = need;
	F.held += need;
	F.head2req[fz_av()->va_ring[(uint16_t)(F.vq.vq_avail_idx - 1) &
	    F.vq.vq_mask]] = q;
}

/* The device takes every published head it has not seen. */
static void
fz_take(void)
{
	uint16_t aidx = __atomic_load_n(&fz_av()->va_idx, __ATOMIC_ACQUIRE);

	for (; F.dev_avail != aidx; F.dev_avail++)
		if (F.nseen < FZ_SEEN)
			F.seen[F.nseen++] = fz_av()->va_ring[F.dev_avail &
			    F.vq.vq_mask];
}

static void
fz_used_elem(uint32_t id, uint32_t len)
{
	struct vring_used_elem *e = &fz_us()->vu_ring[F.dev_used &
	    F.vq.vq_mask];

	e->vu_id = id;
	e->vu_len = len;
	F.dev_used++;
}

/*
 * The device returns a head it took, after writing a virtio_net_hdr
 * (arbitrary) and a few frame bytes into the request's first writable
 * segment.
 */
static void
fz_put(void)
{
	struct vtnet_hdr h;
	struct fz_req *q;
	unsigned k, first;
	uint32_t len;
	uint8_t mode;

	if (F.nseen == 0)
		return;
	k = in16() % F.nseen;
	q = F.head2req[F.seen[k]];
	fz_used_elem(F.seen[k], 0);
	F.seen[k] = F.seen[--F.nseen];
	mode = in8();
	len = (mode & 3) == 0 ? in32() : q != NULL ? q->r_wlen - (mode >> 2) :
	    in16();
	fz_us()->vu_ring[(uint16_t)(F.dev_used - 1) & F.vq.vq_mask].vu_len =
	    len;
	if (q == NULL || q->r_nin == 0)
		return;
	first = q->r_nout;
	for (k = 0; k < sizeof(h); k++)
		((uint8_t *)&h)[k] = in8();
	memcpy(q->r_buf[first], &h, sizeof(h));
	for (k = sizeof(h); k < FZ_SEG && (mode & 0x80) != 0 && k < 64; k++)
		q->r_buf[first][k] = in8();
}

/* Gathers bytes [from, to) of q's writable segments into out. */
static void
fz_gather(const struct fz_req *q, uint32_t from, uint32_t to, uint8_t *out)
{
	uint32_t pos = 0, n, a, b;
	unsigned i;

	for (i = q->r_nout; i < q->r_nout + q->r_nin; i++) {
		n = q->r_seg[i].vs_len;
		a = from > pos ? from - pos : 0;
		b = to - pos < n ? to - pos : n;
		if (a < b)
			memcpy(out + pos + a - from, q->r_buf[i] + a, b - a);
		pos += n;
		if (pos >= to)
			break;
	}
}

/* rx_complete_csum() of vtnet_rx.c, on an exact-size frame copy. */
static void
fz_complete_csum(const struct fz_req *q, uint32_t len,
    const struct vtnet_hdr *h)
{
	uint32_t flen = len - F.hdr_len, start = h->vh_csum_start, i;
	uint32_t at = start + h->vh_csum_offset;
	uint64_t sum = 0;
	uint16_t c;
	uint8_t *f = malloc(flen);

	if (f == NULL)
		fz_fail("malloc");
	fz_gather(q, F.hdr_len, len, f);
	for (i = start; i + 1 < flen; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	if (i < flen)
		sum += (uint32_t)f[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	f[at] = (uint8_t)(c >> 8);
	f[at + 1] = (uint8_t)c;
	free(f);
}

/*
 * A GSO header the check accepted: vtnet_rx_gso_check() on an exact-size
 * copy of the frame (this one buffer its first and only one), so that
 * AddressSanitizer reports a read past it; what it accepts must hold
 * what it promises (vtnet_hdr.h).
 */
static void
fz_gso(const struct fz_req *q, uint32_t len, const struct vtnet_hdr *h)
{
	uint32_t flen = len - F.hdr_len, l3, dgram;
	uint8_t *f = malloc(flen);
	int rc;

	if (f == NULL)
		fz_fail("malloc");
	fz_gather(q, F.hdr_len, len, f);
	rc = vtnet_rx_gso_check(h, f, flen, flen);
	if (rc < 0 || rc >= VTNET_GSOE_COUNT || vtnet_gsoe_name(rc) == NULL)
		fz_fail("gso reason code");
	if (rc == VTNET_GSOE_OK) {
		if (h->vh_gso_type == VTNET_HDR_GSO_TCPV4) {
			l3 = (uint32_t)(f[14] & 0x0f) * 4;
			dgram = (uint32_t)f[16] << 8 | f[17];
		} else {
			l3 = 40;
			dgram = 40 + ((uint32_t)f[18] << 8 | f[19]);
		}
		if (dgram != flen - VTNET_ETHER_HDR_LEN ||
		    VTNET_ETHER_HDR_LEN + l3 + (uint32_t)(f[14 + l3 + 12] >>
		    4) * 4 > flen || h->vh_hdr_len > flen)
			fz_fail("gso frame accepted");
	}
	free(f);
}

/* The rx path's view of a returned rx-like buffer. */
static void
fz_rx(const struct fz_req *q, uint32_t len)
{
	struct vtnet_hdr h;
	int rc;

	if (q->r_nout != 0 || q->r_seg[0].vs_len < sizeof(h))
		return;
	memcpy(&h, q->r_buf[0], sizeof(h));
	rc = vtnet_rx_hdr_check(&h, len, F.hdr_len, F.rxf);
	if (rc < 0 || rc >= VTNET_RXE_COUNT || vtnet_rxe_name(rc) == NULL)
		fz_fail("reason code");
	if (rc != VTNET_RXE_OK)
		return;
	if (len < F.hdr_len + VTNET_ETHER_HDR_LEN ||
	    (h.vh_gso_type != 0 && ((F.rxf & VTNET_RXH_GUEST_TSO4) == 0 ||
	    (h.vh_gso_type != VTNET_HDR_GSO_TCPV4 &&
	    h.vh_gso_type != VTNET_HDR_GSO_TCPV6))) ||
	    (F.hdr_len == VTNET_HDR_LEN_HASH &&
	    h.vh_hash_report > VTNET_HASH_REPORT_MAX))
		fz_fail("header accepted");
	if (h.vh_gso_type != 0)
		fz_gso(q, len, &h);
	if ((h.vh_flags & VTNET_HDR_F_NEEDS_CSUM) != 0) {
		if ((F.rxf & VTNET_RXH_GUEST_CSUM) == 0)
			fz_fail("NEEDS_CSUM accepted without GUEST_CSUM");
		fz_complete_csum(q, len, &h);
	}
}

/* One vq_get_used(), checked. */
static bool
fz_get(void)
{
	uintptr_t a;
	struct fz_req *q;
	uint32_t len = 0;
	bool broken = vq_is_broken(&F.vq);
	void *ck;

	ck = vq_get_used(&F.vq, &len);
	if (ck != NULL) {
		if (broken)
			fz_fail("a buffer from a broken queue");
		a = (uintptr_t)ck - (uintptr_t)fz_req;
		q = &fz_req[a / sizeof(*q)];
		if (a >= sizeof(fz_req) || a % sizeof(*q) != 0)
			fz_fail("foreign cookie");
		if (!q->r_busy)
			fz_fail("cookie returned twice");
		if (len > q->r_wlen)
			fz_fail("length beyond the writable bytes");
		q->r_busy = false;
		F.held -= q->r_ndesc;
		F.returned++;
		fz_rx(q, len);
	}
	if (vq_nfree(&F.vq) != F.vq.vq_size - F.held ||
	    vq_nfree(&F.vq) > F.vq.vq_size)
		fz_fail("nfree");
	if ((uint16_t)(F.returned + F.vq.vq_bad_id + F.vq.vq_bad_dup) !=
	    F.vq.vq_last_used || F.vq.vq_bad_chain != 0)
		fz_fail("used entries unaccounted for");
	if (vq_is_broken(&F.vq) && vq_has_used(&F.vq))
		fz_fail("a broken queue with buffers");
	return (ck != NULL);
}

static int
fz_setup(void)
{
	uint8_t sz = in8(), cf = in8();
	unsigned i;

	memset(fz_desc, 0, sizeof(fz_desc));
	memset(fz_avail, 0, sizeof(fz_avail));
	memset(fz_used, 0, sizeof(fz_used));
	for (i = 0; i < FZ_NREQ; i++)
		fz_req[i].r_busy = false;
	memset(F.head2req, 0, sizeof(F.head2req));
	F.nseen = 0;
	F.dev_avail = F.dev_used = 0;
	F.held = 0;
	F.returned = 0;
	F.hdr_len = (cf & FZ_CF_HASH) ? VTNET_HDR_LEN_HASH : VTNET_HDR_LEN;
	F.rxf = ((cf & FZ_CF_CSUM) ? VTNET_RXH_GUEST_CSUM : 0) |
	    ((cf & FZ_CF_MRG) ? VTNET_RXH_MRG_RXBUF : 0) |
	    ((cf & FZ_CF_TSO) ? VTNET_RXH_GUEST_TSO4 | VTNET_RXH_GUEST_TSO6 :
	    0);
	return (vq_init(&F.vq, (uint16_t)(1u << (sz % FZ_SIZES)), fz_desc,
	    fz_avail, fz_used, fz_cookies, (cf & FZ_CF_EVENT) != 0,
	    (cf & FZ_CF_INDIRECT) != 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned n, shape;

	F.in = data;
	F.end = data + size;
	if (fz_setup() != 0)
		fz_fail("vq_init");
	while (F.in < F.end) {
		switch (in8() % FZ_NOPS) {
		case FZ_ADD_RX:
			shape = in8();
			fz_add(0, 1 + (shape & FZ_ADD_SEGS) % FZ_MAXSEG,
			    shape & FZ_ADD_IND);
			break;
		case FZ_ADD_TX:
			shape = in8();
			fz_add(1 + (shape & FZ_ADD_SEGS) % FZ_MAXSEG, 0,
			    shape & FZ_ADD_IND);
			break;
		case FZ_ADD_MIX:
			shape = in8();
			n = 1 + (shape & FZ_ADD_SEGS) % (FZ_MAXSEG - 1);
			fz_add(n, FZ_MAXSEG - n, shape & FZ_ADD_IND);
			break;
		case FZ_KICK:
			vq_kick_prepare(&F.vq);
			break;
		case FZ_TAKE:
			fz_take();
			break;
		case FZ_PUT:
			fz_put();
			break;
		case FZ_PUT_RAW:
			fz_used_elem(in32(), in32());
			break;
		case FZ_PUBLISH:
			__atomic_store_n(&fz_us()->vu_idx, F.dev_used,
			    __ATOMIC_RELEASE);
			break;
		case FZ_JUMP:
			fz_us()->vu_idx = in16();
			break;
		case FZ_GET:
			for (n = 1 + in8() % FZ_GETS; n > 0 && fz_get(); n--)
				;
			break;
		case FZ_INTR:
			if (in8() & 1)
				vq_intr_disable(&F.vq);
			else
				(void)vq_intr_enable(&F.vq);
			break;
		case FZ_DEVFLAGS:
			fz_us()->vu_flags = in16();
			*vring_avail_event(fz_us(), F.vq.vq_size) = in16();
			break;
		}
	}
	return (0);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_hdr.c: vtnet_rx_hdr_check(), the receive header's validation
 * (virtio 1.2, 5.1.6.4); the rules and their order are in vtnet_hdr.h.
 *
 * Portable: built freestanding into the kernel and hosted into the fuzz
 * target tests/fuzz/fuzz_vq.c.  Each field is read once.  A device must
 * not write a buffer it has returned; if a broken one did, the caller's
 * own bounds (rx_complete_csum() checks again) are the backstop.
 *
 * Locking: none; pure.
 */
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"
#include "kernel/kassert.h"

/* Flags this driver understands (5.1.6). */
#define VTNET_HDR_F_KNOWN \
	(VTNET_HDR_F_NEEDS_CSUM | VTNET_HDR_F_DATA_VALID)
#define VTNET_CSUM_FIELD_LEN	2	/* the ones' complement sum, 16 bits */

_Static_assert(offsetof(struct vtnet_hdr, vh_csum_start) == 6,
    "csum_start (5.1.6)");
_Static_assert(offsetof(struct vtnet_hdr, vh_num_buffers) == 10,
    "num_buffers (5.1.6)");
_Static_assert(offsetof(struct vtnet_hdr, vh_hash_report) == 16,
    "hash_report (5.1.6)");

static const char *const vtnet_rxe_names[VTNET_RXE_COUNT] = {
	[VTNET_RXE_OK] = "ok",
	[VTNET_RXE_SHORT] = "short",
	[VTNET_RXE_NUM_BUFFERS] = "num-buffers",
	[VTNET_RXE_MERGED] = "merged",
	[VTNET_RXE_GSO] = "gso",
	[VTNET_RXE_FLAGS] = "flags",
	[VTNET_RXE_BAD_CSUM_START] = "csum-start",
	[VTNET_RXE_BAD_CSUM_OFFSET] = "csum-offset",
	[VTNET_RXE_HASH_REPORT] = "hash-report",
};

const char *
vtnet_rxe_name(int reason)
{
	if (reason < 0 || reason >= VTNET_RXE_COUNT)
		return "?";
	return vtnet_rxe_names[reason];
}

/* 5.1.6.4: num_buffers is 1 unless MRG_RXBUF merged buffers. */
static int
vtnet_rx_hdr_nbuf(uint16_t nbuf, uint32_t rxf)
{
	if ((rxf & VTNET_RXH_MRG_RXBUF) != 0) {
		if (nbuf == 0)
			return VTNET_RXE_NUM_BUFFERS;
		return nbuf > 1 ? VTNET_RXE_MERGED : VTNET_RXE_OK;
	}
	/* Without MRG_RXBUF QEMU leaves the field unwritten (0). */
	return nbuf > 1 ? VTNET_RXE_NUM_BUFFERS : VTNET_RXE_OK;
}

/* 5.1.6.4.1: with NEEDS_CSUM the checksum field must be in the frame. */
static int
vtnet_rx_hdr_csum(uint32_t start, uint32_t offset, uint32_t flen)
{
	if (start < VTNET_ETHER_HDR_LEN || start >= flen)
		return VTNET_RXE_BAD_CSUM_START;
	if (offset > flen - start ||
	    flen - start - offset < VTNET_CSUM_FIELD_LEN)
		return VTNET_RXE_BAD_CSUM_OFFSET;
	return VTNET_RXE_OK;
}

int
vtnet_rx_hdr_check(const struct vtnet_hdr *h, uint32_t used_len,
    uint32_t hdr_len, uint32_t rxf)
{
	uint32_t flen;
	uint16_t report;
	uint8_t flags;
	int err;

	KASSERT(hdr_len == VTNET_HDR_LEN || hdr_len == VTNET_HDR_LEN_HASH,
	    ("%s: header length %u", __func__, hdr_len));
	if (used_len < hdr_len)
		return VTNET_RXE_SHORT;
	if ((err = vtnet_rx_hdr_nbuf(h->vh_num_buffers, rxf)) != 0)
		return err;
	if (used_len - hdr_len < VTNET_ETHER_HDR_LEN)
		return VTNET_RXE_SHORT;
	flen = used_len - hdr_len;
	/* 5.1.6.4.1: no GUEST_TSO4/6, UFO or USO, so GSO_NONE. */
	if (h->vh_gso_type != VTNET_HDR_GSO_NONE)
		return VTNET_RXE_GSO;
	flags = h->vh_flags;
	if ((flags & ~VTNET_HDR_F_KNOWN) != 0)
		return VTNET_RXE_FLAGS;
	if ((flags & VTNET_HDR_F_NEEDS_CSUM) != 0) {
		/* 5.1.6.4.1: NEEDS_CSUM only with GUEST_CSUM. */
		if ((rxf & VTNET_RXH_GUEST_CSUM) == 0)
			return VTNET_RXE_FLAGS;
		if ((err = vtnet_rx_hdr_csum(h->vh_csum_start,
		    h->vh_csum_offset, flen)) != 0)
			return err;
	}
	if (hdr_len == VTNET_HDR_LEN_HASH) {
		report = h->vh_hash_report;
		if (report > VTNET_HASH_REPORT_MAX)
			return VTNET_RXE_HASH_REPORT;
	}
	return VTNET_RXE_OK;
}

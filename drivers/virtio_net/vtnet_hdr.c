/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_hdr.c: vtnet_rx_hdr_check(), the receive header's validation
 * (virtio 1.2, 5.1.6.4), and vtnet_rx_gso_check(), a GSO frame's against
 * its own Ethernet, IP and TCP headers; the rules and their order are in
 * vtnet_hdr.h.
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

/* What vtnet_rx_gso_check() reads of a frame's headers. */
#define GSO_ETHER_TYPE_OFF	12
#define GSO_ETHERTYPE_IPV4	0x0800
#define GSO_ETHERTYPE_IPV6	0x86dd
#define GSO_IP4_HLEN		20	/* RFC 791, 3.1 */
#define GSO_IP4_VERSION		4
#define GSO_IP4_LEN_OFF		2	/* total length */
#define GSO_IP4_FRAG_OFF	6	/* flags and fragment offset */
#define GSO_IP4_FRAG_MASK	0x3fff	/* MF and the offset */
#define GSO_IP4_PROTO_OFF	9
#define GSO_IP6_HLEN		40	/* RFC 8200, 3 */
#define GSO_IP6_VERSION		6
#define GSO_IP6_PLEN_OFF	4	/* payload length */
#define GSO_IP6_NXT_OFF		6	/* next header */
#define GSO_IPPROTO_TCP		6
#define GSO_TCP_HLEN		20	/* RFC 9293, 3.1 */
#define GSO_TCP_DOFF_OFF	12	/* data offset, in 32-bit words */
#define GSO_TCP_CSUM_OFF	16	/* the checksum */

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
	if ((rxf & VTNET_RXH_MRG_RXBUF) != 0)
		return nbuf == 0 || nbuf > VTNET_RX_CHAIN_MAX ?
		    VTNET_RXE_NUM_BUFFERS : VTNET_RXE_OK;
	/* Without MRG_RXBUF QEMU leaves the field unwritten (0). */
	return nbuf > 1 ? VTNET_RXE_NUM_BUFFERS : VTNET_RXE_OK;
}

/*
 * 5.1.6.4.1: gso_type is NONE unless a GUEST_TSO/UFO/USO feature was
 * negotiated; we take TCPv4 and TCPv6 when asked for, without the ECN
 * bit (no GUEST_ECN).  A frame over several buffers is a GSO frame, or
 * one bigger than any MTU we offer.
 */
static int
vtnet_rx_hdr_gso(uint8_t gso, uint16_t nbuf, uint32_t rxf)
{
	switch (gso) {
	case VTNET_HDR_GSO_NONE:
		return nbuf > 1 ? VTNET_RXE_MERGED : VTNET_RXE_OK;
	case VTNET_HDR_GSO_TCPV4:
		return (rxf & VTNET_RXH_GUEST_TSO4) != 0 ? VTNET_RXE_OK :
		    VTNET_RXE_GSO;
	case VTNET_HDR_GSO_TCPV6:
		return (rxf & VTNET_RXH_GUEST_TSO6) != 0 ? VTNET_RXE_OK :
		    VTNET_RXE_GSO;
	default:
		return VTNET_RXE_GSO;
	}
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
	uint16_t report, nbuf;
	uint8_t flags;
	int err;

	KASSERT(hdr_len == VTNET_HDR_LEN || hdr_len == VTNET_HDR_LEN_HASH,
	    ("%s: header length %u", __func__, hdr_len));
	if (used_len < hdr_len)
		return VTNET_RXE_SHORT;
	nbuf = h->vh_num_buffers;
	if ((err = vtnet_rx_hdr_nbuf(nbuf, rxf)) != 0)
		return err;
	if ((err = vtnet_rx_hdr_gso(h->vh_gso_type, nbuf, rxf)) != 0)
		return err;
	if (used_len - hdr_len < VTNET_ETHER_HDR_LEN)
		return VTNET_RXE_SHORT;
	flen = used_len - hdr_len;	/* of the first buffer */
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

/* ---- GSO frames ---------------------------------------------------------- */

static const char *const vtnet_gsoe_names[VTNET_GSOE_COUNT] = {
	[VTNET_GSOE_OK] = "ok",
	[VTNET_GSOE_L3] = "l3",
	[VTNET_GSOE_L4] = "l4",
	[VTNET_GSOE_TOO_BIG] = "too-big",
	[VTNET_GSOE_LENGTH] = "length",
	[VTNET_GSOE_HDR_LEN] = "hdr-len",
	[VTNET_GSOE_GSO_SIZE] = "gso-size",
	[VTNET_GSOE_CSUM] = "csum",
	[VTNET_GSOE_CHAIN] = "chain",
};

const char *
vtnet_gsoe_name(int reason)
{
	if (reason < 0 || reason >= VTNET_GSOE_COUNT)
		return "?";
	return vtnet_gsoe_names[reason];
}

static uint32_t
gso_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/*
 * The IP header of a GSO frame (RFC 791, 3.1; RFC 8200, 3): the
 * gso_type's version, TCP right after it (no IPv4 fragment, no IPv6
 * extension header: Linux segments neither), all in the first buffer.
 * Sets *l3 to its length and *dgram to the datagram length it claims.
 */
static int
gso_ip(uint8_t gso, const uint8_t *ip, uint32_t avail, uint32_t *l3,
    uint32_t *dgram)
{
	if (gso == VTNET_HDR_GSO_TCPV4) {
		if (avail < GSO_IP4_HLEN || (ip[0] >> 4) != GSO_IP4_VERSION)
			return VTNET_GSOE_L3;
		*l3 = (uint32_t)(ip[0] & 0x0f) * 4;
		if (*l3 < GSO_IP4_HLEN || *l3 > avail ||
		    ip[GSO_IP4_PROTO_OFF] != GSO_IPPROTO_TCP ||
		    (gso_be16(ip + GSO_IP4_FRAG_OFF) & GSO_IP4_FRAG_MASK) != 0)
			return VTNET_GSOE_L3;
		*dgram = gso_be16(ip + GSO_IP4_LEN_OFF);
		return VTNET_GSOE_OK;
	}
	if (avail < GSO_IP6_HLEN || (ip[0] >> 4) != GSO_IP6_VERSION ||
	    ip[GSO_IP6_NXT_OFF] != GSO_IPPROTO_TCP)
		return VTNET_GSOE_L3;
	*l3 = GSO_IP6_HLEN;
	*dgram = GSO_IP6_HLEN + gso_be16(ip + GSO_IP6_PLEN_OFF);
	return VTNET_GSOE_OK;
}

int
vtnet_rx_gso_check(const struct vtnet_hdr *h, const uint8_t *f,
    uint32_t first_len, uint32_t flen)
{
	uint32_t type, l3, l4, dgram, hdrs, hdr_len;
	uint8_t gso = h->vh_gso_type, flags = h->vh_flags;
	int err;

	KASSERT(first_len <= flen && first_len >= VTNET_ETHER_HDR_LEN,
	    ("%s: first %u of %u", __func__, first_len, flen));
	/* Read again: a device that rewrote it since is refused here. */
	if (gso != VTNET_HDR_GSO_TCPV4 && gso != VTNET_HDR_GSO_TCPV6)
		return VTNET_GSOE_L3;
	type = gso_be16(f + GSO_ETHER_TYPE_OFF);
	if (type != (gso == VTNET_HDR_GSO_TCPV4 ? GSO_ETHERTYPE_IPV4 :
	    GSO_ETHERTYPE_IPV6))
		return VTNET_GSOE_L3;
	if ((err = gso_ip(gso, f + VTNET_ETHER_HDR_LEN,
	    first_len - VTNET_ETHER_HDR_LEN, &l3, &dgram)) != 0)
		return err;
	/* Checked before the length: an IPv6 one may claim 40 + 65535. */
	if (flen - VTNET_ETHER_HDR_LEN > VTNET_IP_DATAGRAM_MAX ||
	    dgram > VTNET_IP_DATAGRAM_MAX)
		return VTNET_GSOE_TOO_BIG;
	if (dgram != flen - VTNET_ETHER_HDR_LEN)
		return VTNET_GSOE_LENGTH;
	/* RFC 9293, 3.1: the TCP header, options included. */
	hdrs = VTNET_ETHER_HDR_LEN + l3;
	if (first_len - hdrs < GSO_TCP_HLEN)
		return VTNET_GSOE_L4;
	l4 = (uint32_t)(f[hdrs + GSO_TCP_DOFF_OFF] >> 4) * 4;
	if (l4 < GSO_TCP_HLEN || l4 > first_len - hdrs || l4 > dgram - l3)
		return VTNET_GSOE_L4;
	/*
	 * 5.1.6.4.1: hdr_len is the headers' length or more (Linux's tap
	 * reports its linear part); never past the frame.
	 */
	hdr_len = h->vh_hdr_len;
	if (hdr_len < hdrs + l4 || hdr_len > flen)
		return VTNET_GSOE_HDR_LEN;
	if (h->vh_gso_size == 0)
		return VTNET_GSOE_GSO_SIZE;
	/*
	 * 5.1.6.4.1: a GSO frame comes with NEEDS_CSUM (the device may
	 * instead vouch with DATA_VALID); its partial sum is the TCP one.
	 */
	if ((flags & VTNET_HDR_F_NEEDS_CSUM) != 0) {
		if (h->vh_csum_start != hdrs ||
		    h->vh_csum_offset != GSO_TCP_CSUM_OFF)
			return VTNET_GSOE_CSUM;
	} else if ((flags & VTNET_HDR_F_DATA_VALID) == 0)
		return VTNET_GSOE_CSUM;
	return VTNET_GSOE_OK;
}

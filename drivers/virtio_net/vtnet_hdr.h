/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_hdr.h: checking the virtio_net_hdr the device wrote in front of a
 * received frame (virtio 1.2, 5.1.6.4).
 *
 * The header is device input like the used ring: every field is checked
 * against what was negotiated before the receive path acts on it, and a
 * bad header is a reason code the caller counts and drops by (never a
 * KASSERT).  vtnet_rx_hdr_check() is pure and portable: the kernel's rx
 * path calls it, and tests/fuzz/fuzz_vq.c runs it on arbitrary headers.
 *
 * The caller passes the negotiated features that matter here as
 * VTNET_RXH_* bits, the header length in use (12, or 20 with
 * HASH_REPORT), and the used length the virtqueue returned (already
 * clamped to the buffer).  Order of checks: the header itself must have
 * been written (SHORT), then num_buffers (0, or more than any frame
 * needs: NUM_BUFFERS), gso_type (one we did not negotiate: GSO), several
 * buffers without GSO (MERGED: a frame that big is over the MTU), then
 * room for an Ethernet header in the first buffer (SHORT), flags, the
 * checksum offsets (against the first buffer: with GSO they must point at
 * the TCP header, which vtnet_rx_gso_check() requires there), the hash
 * report.  With MRG_RXBUF, whatever the verdict other than SHORT and
 * NUM_BUFFERS, the frame is num_buffers buffers (1 ..
 * VTNET_RX_CHAIN_MAX), and the caller takes the other num_buffers - 1
 * off the used ring with it, to deliver or to give back.
 *
 * A GSO frame (GUEST_TSO4/6, with MRG_RXBUF: a large TCP segment over
 * several buffers) is then checked against its own headers by
 * vtnet_rx_gso_check(), with the first buffer's bytes and the frame's
 * total length: a reason of enum vtnet_gsoe, counted apart (`netstat
 * -i`'s `rx gso drops` line).  DATA_VALID without GUEST_CSUM is not an
 * error (a Linux tap sets it and QEMU passes it through) but means
 * nothing: the caller must ignore it then.
 *
 * Locking: none; pure.
 */
#ifndef DRIVERS_VIRTIO_NET_VTNET_HDR_H
#define DRIVERS_VIRTIO_NET_VTNET_HDR_H

#include <stdint.h>

struct vtnet_hdr;

/* What was negotiated, for vtnet_rx_hdr_check()'s rxf argument. */
#define VTNET_RXH_GUEST_CSUM	0x1	/* VIRTIO_NET_F_GUEST_CSUM */
#define VTNET_RXH_MRG_RXBUF	0x2	/* VIRTIO_NET_F_MRG_RXBUF */
#define VTNET_RXH_GUEST_TSO4	0x4	/* VIRTIO_NET_F_GUEST_TSO4 */
#define VTNET_RXH_GUEST_TSO6	0x8	/* VIRTIO_NET_F_GUEST_TSO6 */

/* Header fields not in vtnet.h (5.1.6). */
#define VTNET_HDR_F_RSC_INFO	4	/* only with VIRTIO_NET_F_RSC_EXT */
#define VTNET_HDR_GSO_NONE	0
#define VTNET_HDR_GSO_TCPV4	1
#define VTNET_HDR_GSO_TCPV6	4
#define VTNET_HDR_GSO_ECN	0x80	/* only with VIRTIO_NET_F_GUEST_ECN */

/*
 * The largest frame a device may form from one GSO packet: Linux's 64 KiB
 * GSO limit plus an Ethernet header and a VLAN tag; with the longest
 * virtio header, that many 4 KiB buffers at most (17).  A frame the stack
 * takes is smaller still: its IP datagram fits lwIP's 16-bit pbuf length.
 */
#define VTNET_GSO_FRAME_MAX	(65536 + 14 + 4)
#define VTNET_RX_CHAIN_MAX	((VTNET_HDR_LEN_HASH + VTNET_GSO_FRAME_MAX + \
				  VTNET_RX_BUF_SIZE - 1) / VTNET_RX_BUF_SIZE)
#define VTNET_IP_DATAGRAM_MAX	65535	/* lwIP's u16 pbuf tot_len */
#define VTNET_HASH_REPORT_MAX	9	/* VIRTIO_NET_HASH_REPORT_UDPv6_EX */

/* Why a received header was refused: 0 is fine. */
enum vtnet_rxe {
	VTNET_RXE_OK = 0,
	VTNET_RXE_SHORT,	/* used_len < header, or < header + 14 */
	VTNET_RXE_NUM_BUFFERS,	/* 0 or > VTNET_RX_CHAIN_MAX with
				   MRG_RXBUF; > 1 without it */
	VTNET_RXE_MERGED,	/* > 1 with MRG_RXBUF and no GSO: drop the
				   buffer and the num_buffers - 1 that follow */
	VTNET_RXE_GSO,		/* gso_type not NONE and not a TCPv4/TCPv6
				   that was negotiated (ECN, UDP, ...) */
	VTNET_RXE_FLAGS,	/* unknown flag, RSC_INFO, or NEEDS_CSUM
				   without GUEST_CSUM */
	VTNET_RXE_BAD_CSUM_START, /* NEEDS_CSUM: csum_start inside the
				   Ethernet header or past the frame */
	VTNET_RXE_BAD_CSUM_OFFSET, /* NEEDS_CSUM: the 16-bit checksum
				   field runs past the frame */
	VTNET_RXE_HASH_REPORT,	/* hash_report beyond the spec's types */
	VTNET_RXE_COUNT		/* number of codes, for counter arrays */
};

/*
 * Checks header h of a buffer the device used used_len bytes of; hdr_len
 * is VTNET_HDR_LEN or VTNET_HDR_LEN_HASH, rxf the VTNET_RXH_* bits.
 * Returns VTNET_RXE_OK (0) or the first reason, an enum vtnet_rxe.  When
 * it returns 0 and NEEDS_CSUM is set (with GUEST_CSUM), the checksum
 * field csum_start + csum_offset .. + 2 lies inside the frame, which is
 * used_len - hdr_len bytes.
 */
int	vtnet_rx_hdr_check(const struct vtnet_hdr *h, uint32_t used_len,
	    uint32_t hdr_len, uint32_t rxf);

/* A short name for a reason code ("short", "gso", ...), for counters. */
const char *vtnet_rxe_name(int reason);

/* Why a GSO frame that passed vtnet_rx_hdr_check() was refused. */
enum vtnet_gsoe {
	VTNET_GSOE_OK = 0,
	VTNET_GSOE_L3,		/* not the gso_type's IP version, not TCP, an
				   IPv4 fragment, IPv6 extension headers, or
				   the IP header not in the first buffer */
	VTNET_GSOE_L4,		/* TCP data offset under 20, or the TCP
				   header past the first buffer or past the
				   IP length */
	VTNET_GSOE_TOO_BIG,	/* IP datagram over VTNET_IP_DATAGRAM_MAX */
	VTNET_GSOE_LENGTH,	/* IP length != the bytes received */
	VTNET_GSOE_HDR_LEN,	/* hdr_len under the headers or past the
				   frame */
	VTNET_GSOE_GSO_SIZE,	/* gso_size 0 */
	VTNET_GSOE_CSUM,	/* neither NEEDS_CSUM nor DATA_VALID, or
				   NEEDS_CSUM not at the TCP checksum */
	VTNET_GSOE_CHAIN,	/* (the driver's) fewer used buffers than
				   num_buffers, or an empty one */
	VTNET_GSOE_COUNT
};

/*
 * Checks GSO frame h (gso_type TCPV4 or TCPV6; vtnet_rx_hdr_check() said
 * OK) whose first buffer holds the first first_len bytes f of its flen
 * bytes (Ethernet header on).  Returns VTNET_GSOE_OK (0) or the first
 * reason; with 0, the Ethernet, IP and TCP headers all lie in f, the IP
 * datagram is flen - 14 <= VTNET_IP_DATAGRAM_MAX bytes, as its header
 * says, and the L4 checksum is NEEDS_CSUM at the TCP checksum or
 * DATA_VALID.
 */
int	vtnet_rx_gso_check(const struct vtnet_hdr *h, const uint8_t *f,
	    uint32_t first_len, uint32_t flen);

/* A short name for a vtnet_gsoe reason ("l3", "too-big", ...). */
const char *vtnet_gsoe_name(int reason);

#endif /* DRIVERS_VIRTIO_NET_VTNET_HDR_H */

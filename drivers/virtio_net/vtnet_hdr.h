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
 * been written (SHORT), then num_buffers (so that with MRG_RXBUF a caller
 * knows how many more buffers belong to this frame even if it drops it),
 * then room for an Ethernet header (SHORT), gso_type, flags, the checksum
 * offsets, the hash report.  DATA_VALID without GUEST_CSUM is not an
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

/* Header fields not in vtnet.h (5.1.6). */
#define VTNET_HDR_F_RSC_INFO	4	/* only with VIRTIO_NET_F_RSC_EXT */
#define VTNET_HDR_GSO_NONE	0
#define VTNET_HDR_GSO_TCPV4	1
#define VTNET_HDR_GSO_TCPV6	4
#define VTNET_HASH_REPORT_MAX	9	/* VIRTIO_NET_HASH_REPORT_UDPv6_EX */

/* Why a received header was refused: 0 is fine. */
enum vtnet_rxe {
	VTNET_RXE_OK = 0,
	VTNET_RXE_SHORT,	/* used_len < header, or < header + 14 */
	VTNET_RXE_NUM_BUFFERS,	/* 0 with MRG_RXBUF; > 1 without it */
	VTNET_RXE_MERGED,	/* > 1 with MRG_RXBUF: drop the buffer and
				   the num_buffers - 1 that follow */
	VTNET_RXE_GSO,		/* gso_type not NONE: no GSO negotiated */
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

#endif /* DRIVERS_VIRTIO_NET_VTNET_HDR_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_vtnet_hdr.c: host tests for
 * drivers/virtio_net/vtnet_hdr.c, the receive header check (virtio 1.2,
 * 5.1.6.4).
 *
 * One table row per rule, at its edge: the header, the used length, the
 * header length (12, or 20 with HASH_REPORT), what was negotiated, and
 * the reason code expected.  A frame is used_len - hdr_len bytes; 60 is
 * the shortest Ethernet frame, 14 its header.  Then
 * vtnet_rx_gso_check(), a GSO frame against its own headers, one row per
 * rule, each a change to a good TCPv4 or TCPv6 frame.
 *
 * Locking: none; single-threaded.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"

#define H12		VTNET_HDR_LEN
#define H20		VTNET_HDR_LEN_HASH
#define CS		VTNET_RXH_GUEST_CSUM
#define MRG		VTNET_RXH_MRG_RXBUF
#define TSO		(VTNET_RXH_GUEST_CSUM | VTNET_RXH_MRG_RXBUF | \
			 VTNET_RXH_GUEST_TSO4 | VTNET_RXH_GUEST_TSO6)
#define G4		VTNET_HDR_GSO_TCPV4
#define G6		VTNET_HDR_GSO_TCPV6
#define NMAX		VTNET_RX_CHAIN_MAX
#define NEEDS		VTNET_HDR_F_NEEDS_CSUM
#define VALID		VTNET_HDR_F_DATA_VALID

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

static const struct hcase {
	uint8_t		c_flags, c_gso;
	uint16_t	c_start, c_off, c_nbuf, c_report;
	uint32_t	c_used, c_hlen, c_rxf;
	int		c_want;
} hcases[] = {
	/* Plain frames; num_buffers 0 without MRG_RXBUF (QEMU leaves it). */
	{ 0, 0, 0, 0, 1, 0, H12 + 60, H12, 0, VTNET_RXE_OK },
	{ 0, 0, 0, 0, 0, 0, H12 + 60, H12, 0, VTNET_RXE_OK },
	{ 0, 0, 0, 0, 1, 0, H12 + 14, H12, CS | MRG, VTNET_RXE_OK },
	/* Too short for the header, then for an Ethernet header. */
	{ 0, 0, 0, 0, 1, 0, H12 - 1, H12, 0, VTNET_RXE_SHORT },
	{ 0, 0, 0, 0, 1, 0, H12 + 13, H12, 0, VTNET_RXE_SHORT },
	{ 0, 0, 0, 0, 1, 0, H20 + 13, H20, 0, VTNET_RXE_SHORT },
	{ 0, 0, 0, 0, 1, 0, 0, H20, 0, VTNET_RXE_SHORT },
	/* num_buffers. */
	{ 0, 0, 0, 0, 2, 0, H12 + 60, H12, 0, VTNET_RXE_NUM_BUFFERS },
	{ 0, 0, 0, 0, 0, 0, H12 + 60, H12, MRG, VTNET_RXE_NUM_BUFFERS },
	{ 0, 0, 0, 0, 3, 0, H12 + 60, H12, MRG, VTNET_RXE_MERGED },
	{ 0, 0, 0, 0, 3, 0, H12 + 2, H12, MRG, VTNET_RXE_MERGED },
	/* GSO was never negotiated; ECN alone is not NONE either. */
	{ 0, 1, 0, 0, 1, 0, H12 + 60, H12, CS, VTNET_RXE_GSO },
	{ 0, 0x80, 0, 0, 1, 0, H12 + 60, H12, CS, VTNET_RXE_GSO },
	/* Flags: unknown bits, RSC_INFO, NEEDS_CSUM without GUEST_CSUM. */
	{ 0x08, 0, 0, 0, 1, 0, H12 + 60, H12, CS, VTNET_RXE_FLAGS },
	{ VTNET_HDR_F_RSC_INFO, 0, 0, 0, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_FLAGS },
	{ NEEDS, 0, 34, 16, 1, 0, H12 + 60, H12, 0, VTNET_RXE_FLAGS },
	/* DATA_VALID without GUEST_CSUM: tolerated, means nothing. */
	{ VALID, 0, 0, 0, 1, 0, H12 + 60, H12, 0, VTNET_RXE_OK },
	{ VALID, 0, 0, 0, 1, 0, H12 + 60, H12, CS, VTNET_RXE_OK },
	/* NEEDS_CSUM: TCP over IPv4 in 60 bytes, field at 50..51. */
	{ NEEDS, 0, 34, 16, 1, 0, H12 + 60, H12, CS, VTNET_RXE_OK },
	{ NEEDS, 0, 14, 44, 1, 0, H12 + 60, H12, CS, VTNET_RXE_OK },
	{ NEEDS, 0, 34, 24, 1, 0, H12 + 60, H12, CS, VTNET_RXE_OK },
	{ NEEDS, 0, 34, 25, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_BAD_CSUM_OFFSET },
	{ NEEDS, 0, 58, 0, 1, 0, H12 + 60, H12, CS, VTNET_RXE_OK },
	{ NEEDS, 0, 59, 0, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_BAD_CSUM_OFFSET },
	{ NEEDS, 0, 34, 0xffff, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_BAD_CSUM_OFFSET },
	{ NEEDS, 0, 13, 16, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_BAD_CSUM_START },
	{ NEEDS, 0, 60, 0, 1, 0, H12 + 60, H12, CS,
	  VTNET_RXE_BAD_CSUM_START },
	{ NEEDS, 0, 0xffff, 0xffff, 1, 0, H20 + 60, H20, CS,
	  VTNET_RXE_BAD_CSUM_START },
	/* Hash report: checked only with the 20-byte header. */
	{ 0, 0, 0, 0, 1, VTNET_HASH_UDPV6, H20 + 60, H20, 0, VTNET_RXE_OK },
	{ 0, 0, 0, 0, 1, VTNET_HASH_REPORT_MAX, H20 + 60, H20, 0,
	  VTNET_RXE_OK },
	{ 0, 0, 0, 0, 1, VTNET_HASH_REPORT_MAX + 1, H20 + 60, H20, 0,
	  VTNET_RXE_HASH_REPORT },
	{ 0, 0, 0, 0, 1, 0xffff, H12 + 60, H12, 0, VTNET_RXE_OK },
	/* GSO (GUEST_TSO4/6 with MRG_RXBUF): chains of 1..NMAX buffers. */
	{ NEEDS, G4, 34, 16, 1, 0, H12 + 60, H12, TSO, VTNET_RXE_OK },
	{ NEEDS, G4, 34, 16, NMAX, 0, H12 + 60, H12, TSO, VTNET_RXE_OK },
	{ NEEDS, G6, 54, 16, 2, 0, H20 + 74, H20, TSO, VTNET_RXE_OK },
	{ NEEDS, G4, 34, 16, NMAX + 1, 0, H12 + 60, H12, TSO,
	  VTNET_RXE_NUM_BUFFERS },
	{ NEEDS, G4, 34, 16, 0xffff, 0, H12 + 60, H12, TSO,
	  VTNET_RXE_NUM_BUFFERS },
	{ NEEDS, G4, 34, 16, 2, 0, H12 + 60, H12,
	  TSO & ~VTNET_RXH_GUEST_TSO4, VTNET_RXE_GSO },
	{ NEEDS, G6, 54, 16, 2, 0, H12 + 74, H12,
	  TSO & ~VTNET_RXH_GUEST_TSO6, VTNET_RXE_GSO },
	{ NEEDS, G4 | VTNET_HDR_GSO_ECN, 34, 16, 2, 0, H12 + 60, H12, TSO,
	  VTNET_RXE_GSO },
	{ NEEDS, 3 /* UDP */, 34, 6, 2, 0, H12 + 60, H12, TSO,
	  VTNET_RXE_GSO },
	/* Several buffers without GSO: MERGED, before the short check. */
	{ 0, 0, 0, 0, 2, 0, H12 + 2, H12, TSO, VTNET_RXE_MERGED },
	/* A GSO chain's first buffer must still hold an Ethernet header,
	   and its checksum offsets lie in the first buffer. */
	{ NEEDS, G4, 34, 16, 2, 0, H12 + 13, H12, TSO, VTNET_RXE_SHORT },
	{ NEEDS, G4, 34, 16, 2, 0, H12 + 34, H12, TSO,
	  VTNET_RXE_BAD_CSUM_START },
};

START_TEST(test_rules)
{
	const struct hcase *c = &hcases[_i];
	struct vtnet_hdr h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.vh_flags = c->c_flags;
	h.vh_gso_type = c->c_gso;
	h.vh_csum_start = c->c_start;
	h.vh_csum_offset = c->c_off;
	h.vh_num_buffers = c->c_nbuf;
	h.vh_hash_report = c->c_report;
	rc = vtnet_rx_hdr_check(&h, c->c_used, c->c_hlen, c->c_rxf);
	ck_assert_msg(rc == c->c_want, "case %d: %s, want %s", _i,
	    vtnet_rxe_name(rc), vtnet_rxe_name(c->c_want));
}
END_TEST

/*
 * vtnet_rx_gso_check(): a TCPv4 or TCPv6 frame of flen bytes whose first
 * buffer holds first of them; one row per rule, each a change to a good
 * frame (IPv4: 14 + 20 + 32-byte TCP header with options; IPv6: 14 +
 * 40 + 20).
 */
#define GF_MAX		256

enum gmut {
	M_NONE, M_ETYPE, M_IPVER, M_PROTO, M_FRAG, M_DF, M_IHL_BIG, M_V6EXT,
	M_DOFF_SMALL, M_DOFF_PAST, M_IPLEN, M_HDRLEN_SMALL, M_HDRLEN_BIG,
	M_HDRLEN_LINEAR, M_GSOSIZE, M_NOCSUM, M_VALID, M_CSTART, M_COFF,
	M_FIRST_SHORT, M_V6BIG, M_V4BIG
};

static const struct gcase {
	uint8_t		g_gso;
	enum gmut	g_mut;
	uint32_t	g_flen;		/* the whole frame */
	int		g_want;
} gcases[] = {
	{ G4, M_NONE, 14 + 65535, VTNET_GSOE_OK },
	{ G4, M_NONE, 2000, VTNET_GSOE_OK },
	{ G4, M_DF, 30000, VTNET_GSOE_OK },
	{ G4, M_VALID, 30000, VTNET_GSOE_OK },
	{ G4, M_HDRLEN_LINEAR, 30000, VTNET_GSOE_OK },
	{ G6, M_NONE, 14 + 65535, VTNET_GSOE_OK },
	{ G6, M_NONE, 3000, VTNET_GSOE_OK },
	{ G4, M_ETYPE, 30000, VTNET_GSOE_L3 },
	{ G6, M_ETYPE, 30000, VTNET_GSOE_L3 },
	{ G4, M_IPVER, 30000, VTNET_GSOE_L3 },
	{ G6, M_IPVER, 30000, VTNET_GSOE_L3 },
	{ G4, M_PROTO, 30000, VTNET_GSOE_L3 },
	{ G6, M_PROTO, 30000, VTNET_GSOE_L3 },
	{ G4, M_FRAG, 30000, VTNET_GSOE_L3 },
	{ G4, M_IHL_BIG, 30000, VTNET_GSOE_L3 },
	{ G6, M_V6EXT, 30000, VTNET_GSOE_L3 },
	{ G4, M_FIRST_SHORT, 30000, VTNET_GSOE_L3 },
	{ G4, M_DOFF_SMALL, 30000, VTNET_GSOE_L4 },
	{ G4, M_DOFF_PAST, 30000, VTNET_GSOE_L4 },
	{ G6, M_DOFF_PAST, 30000, VTNET_GSOE_L4 },
	{ G4, M_NONE, 14 + 65536, VTNET_GSOE_TOO_BIG },
	{ G6, M_V6BIG, 14 + 65535, VTNET_GSOE_TOO_BIG },
	{ G4, M_V4BIG, 14 + 65536, VTNET_GSOE_TOO_BIG },
	{ G4, M_IPLEN, 30000, VTNET_GSOE_LENGTH },
	{ G6, M_IPLEN, 30000, VTNET_GSOE_LENGTH },
	{ G4, M_HDRLEN_SMALL, 30000, VTNET_GSOE_HDR_LEN },
	{ G4, M_HDRLEN_BIG, 30000, VTNET_GSOE_HDR_LEN },
	{ G4, M_GSOSIZE, 30000, VTNET_GSOE_GSO_SIZE },
	{ G4, M_NOCSUM, 30000, VTNET_GSOE_CSUM },
	{ G4, M_CSTART, 30000, VTNET_GSOE_CSUM },
	{ G6, M_COFF, 30000, VTNET_GSOE_CSUM },
	/* A rewritten gso_type (read again by the check): refused. */
	{ 0, M_NONE, 30000, VTNET_GSOE_L3 },
};

static void
gput16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

START_TEST(test_gso)
{
	const struct gcase *c = &gcases[_i];
	uint8_t f[GF_MAX];
	uint32_t l3 = c->g_gso == G6 ? 40 : 20, l4 = c->g_gso == G6 ? 20 : 32;
	uint32_t hdrs = 14 + l3 + l4, first = VTNET_RX_BUF_SIZE - H12;
	struct vtnet_hdr h;
	uint8_t *ip = f + 14, *t = f + 14 + l3;
	int rc;

	memset(f, 0, sizeof(f));
	memset(&h, 0, sizeof(h));
	if (c->g_flen < first)
		first = c->g_flen;
	h.vh_flags = NEEDS;
	h.vh_gso_type = c->g_gso;
	h.vh_hdr_len = (uint16_t)hdrs;
	h.vh_gso_size = 1448;
	h.vh_csum_start = (uint16_t)(14 + l3);
	h.vh_csum_offset = 16;
	h.vh_num_buffers = 2;
	if (c->g_gso == G6) {
		gput16(f + 12, 0x86dd);
		ip[0] = 0x60;
		gput16(ip + 4, c->g_flen - 14 - 40);
		ip[6] = 6;
	} else {
		gput16(f + 12, 0x0800);
		ip[0] = 0x45;
		gput16(ip + 2, c->g_flen - 14);
		ip[9] = 6;
	}
	t[12] = (uint8_t)((l4 / 4) << 4);
	switch (c->g_mut) {
	case M_ETYPE:
		gput16(f + 12, c->g_gso == G6 ? 0x0800 : 0x86dd);
		break;
	case M_IPVER:
		ip[0] = c->g_gso == G6 ? 0x45 : 0x65;
		break;
	case M_PROTO:
		ip[c->g_gso == G6 ? 6 : 9] = 17;
		break;
	case M_FRAG:
		ip[6] = 0x20;		/* MF */
		break;
	case M_DF:
		ip[6] = 0x40;		/* DF: fine */
		break;
	case M_IHL_BIG:
		ip[0] = 0x4f;		/* 60 bytes: past a 40-byte buffer */
		first = 14 + 40;
		break;
	case M_V6EXT:
		ip[6] = 0;		/* hop-by-hop options first */
		break;
	case M_FIRST_SHORT:
		first = 14 + 19;
		break;
	case M_DOFF_SMALL:
		t[12] = 4 << 4;
		break;
	case M_DOFF_PAST:
		first = hdrs - 1;
		break;
	case M_IPLEN:
		if (c->g_gso == G6)
			gput16(ip + 4, c->g_flen - 14 - 40 - 1);
		else
			gput16(ip + 2, c->g_flen - 14 + 1);
		break;
	case M_V6BIG:
		gput16(ip + 4, 65535 - 40 + 1);
		break;
	case M_V4BIG:
		gput16(ip + 2, 0);	/* a 64 KiB TSO frame's wrapped length */
		break;
	case M_HDRLEN_SMALL:
		h.vh_hdr_len = (uint16_t)(hdrs - 1);
		break;
	case M_HDRLEN_BIG:
		h.vh_hdr_len = (uint16_t)(c->g_flen + 1);
		break;
	case M_HDRLEN_LINEAR:
		h.vh_hdr_len = (uint16_t)(hdrs + 1000);	/* tap's linear part */
		break;
	case M_GSOSIZE:
		h.vh_gso_size = 0;
		break;
	case M_NOCSUM:
		h.vh_flags = 0;
		break;
	case M_VALID:
		h.vh_flags = VALID;
		break;
	case M_CSTART:
		h.vh_csum_start = (uint16_t)(14 + l3 + 4);
		break;
	case M_COFF:
		h.vh_csum_offset = 6;
		break;
	case M_NONE:
		break;
	}
	rc = vtnet_rx_gso_check(&h, f, first, c->g_flen);
	ck_assert_msg(rc == c->g_want, "case %d: %s, want %s", _i,
	    vtnet_gsoe_name(rc), vtnet_gsoe_name(c->g_want));
}
END_TEST

START_TEST(test_gso_names)
{
	int r;

	for (r = 0; r < VTNET_GSOE_COUNT; r++)
		ck_assert_ptr_nonnull(vtnet_gsoe_name(r));
	ck_assert_str_eq(vtnet_gsoe_name(VTNET_GSOE_LENGTH), "length");
	ck_assert_str_eq(vtnet_gsoe_name(VTNET_GSOE_COUNT), "?");
	ck_assert_int_le(VTNET_GSOE_COUNT, VTNET_GSOE_MAX);
	/* 64 KiB + Ethernet + VLAN + the 20-byte header: 17 4-KiB buffers. */
	ck_assert_int_eq(VTNET_RX_CHAIN_MAX, 17);
}
END_TEST

START_TEST(test_names)
{
	int r;

	for (r = 0; r < VTNET_RXE_COUNT; r++)
		ck_assert_ptr_nonnull(vtnet_rxe_name(r));
	ck_assert_str_eq(vtnet_rxe_name(VTNET_RXE_OK), "ok");
	ck_assert_str_eq(vtnet_rxe_name(VTNET_RXE_COUNT), "?");
	ck_assert_str_eq(vtnet_rxe_name(-1), "?");
}
END_TEST

static Suite *
vtnet_hdr_suite(void)
{
	Suite *s = suite_create("vtnet_hdr");
	TCase *tc = tcase_create("rx");

	tcase_add_loop_test(tc, test_rules, 0,
	    (int)(sizeof(hcases) / sizeof(hcases[0])));
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_gso, 0,
	    (int)(sizeof(gcases) / sizeof(gcases[0])));
	tcase_add_test(tc, test_gso_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(vtnet_hdr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_vtnet_hdr.c: host tests for
 * drivers/virtio_net/vtnet_hdr.c, the receive header check (virtio 1.2,
 * 5.1.6.4).
 *
 * One table row per rule, at its edge: the header, the used length, the
 * header length (12, or 20 with HASH_REPORT), what was negotiated, and
 * the reason code expected.  A frame is used_len - hdr_len bytes; 60 is
 * the shortest Ethernet frame, 14 its header.
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

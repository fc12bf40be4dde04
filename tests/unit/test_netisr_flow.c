/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_netisr_flow.c: host tests for net/netisr/netisr_flow.c, the
 * software flow ids of the FLOW policy: TCP and UDP hash the 4-tuple
 * (the Microsoft vectors), fragments and other protocols the addresses
 * only, and short or malformed headers are dropped (m_free called, NULL).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/netisr/netisr_flow.h"
#include "net/netisr/toeplitz.h"

static int frees;

static void
count_free(struct mbuf *m)
{
	(void)m;
	frees++;
}

/* 66.9.149.187:2794 -> 161.142.100.80:1766, the first vector. */
static void
ipv4_packet(uint8_t *p, uint8_t proto, uint16_t frag)
{
	static const uint8_t src[4] = { 66, 9, 149, 187 };
	static const uint8_t dst[4] = { 161, 142, 100, 80 };

	memset(p, 0, 28);
	p[0] = 0x45;
	p[6] = frag >> 8;
	p[7] = frag & 0xff;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	p[20] = 2794 >> 8;
	p[21] = 2794 & 0xff;
	p[22] = 1766 >> 8;
	p[23] = 1766 & 0xff;
}

static struct mbuf *
mk(struct mbuf *m, uint8_t *p, uint32_t len)
{
	memset(m, 0, sizeof(*m));
	m->m_data = p;
	m->m_len = len;
	m->m_free = count_free;
	return m;
}

START_TEST(test_ipv4_tuples)
{
	uint8_t p[28];
	struct mbuf mb, *m;

	toeplitz_init_default();
	ipv4_packet(p, 6, 0);
	m = netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0);
	ck_assert_ptr_eq(m, &mb);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x51ccc178);
	ck_assert_uint_eq(M_HASHTYPE_GET(m), M_HASHTYPE_RSS_TCP_IPV4);
	ipv4_packet(p, 17, 0);
	m = netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x51ccc178);
	ck_assert_uint_eq(M_HASHTYPE_GET(m), M_HASHTYPE_RSS_UDP_IPV4);
	/* A fragment (MF set) and ICMP hash on addresses only. */
	ipv4_packet(p, 17, 0x2000);
	m = netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x323e8fc2);
	ck_assert_uint_eq(M_HASHTYPE_GET(m), M_HASHTYPE_RSS_IPV4);
	ipv4_packet(p, 17, 0x0010);		/* non-first fragment */
	m = netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x323e8fc2);
	ipv4_packet(p, 1, 0);
	m = netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x323e8fc2);
	/* No room for ports: addresses only. */
	ipv4_packet(p, 6, 0);
	m = netisr_m2flow_ipv4(mk(&mb, p, 22), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x323e8fc2);
}
END_TEST

START_TEST(test_ipv4_malformed)
{
	uint8_t p[28];
	struct mbuf mb;

	toeplitz_init_default();
	frees = 0;
	ipv4_packet(p, 6, 0);
	ck_assert_ptr_null(netisr_m2flow_ipv4(mk(&mb, p, 19), 0));
	p[0] = 0x65;				/* version 6 */
	ck_assert_ptr_null(netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0));
	p[0] = 0x44;				/* IHL 16 bytes */
	ck_assert_ptr_null(netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0));
	p[0] = 0x48;				/* IHL 32 > 28 bytes */
	ck_assert_ptr_null(netisr_m2flow_ipv4(mk(&mb, p, sizeof(p)), 0));
	ck_assert_int_eq(frees, 4);
}
END_TEST

START_TEST(test_ipv6_tuples)
{
	/* 3ffe:2501:200:1fff::7 port 2794 -> 3ffe:2501:200:3::1 port 1766 */
	static const uint8_t src[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00,
	    0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7 };
	static const uint8_t dst[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00,
	    0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t p[44];
	struct mbuf mb, *m;

	toeplitz_init_default();
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[6] = 6;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	p[40] = 2794 >> 8;
	p[41] = 2794 & 0xff;
	p[42] = 1766 >> 8;
	p[43] = 1766 & 0xff;
	m = netisr_m2flow_ipv6(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x40207d3d);
	ck_assert_uint_eq(M_HASHTYPE_GET(m), M_HASHTYPE_RSS_TCP_IPV6);
	p[6] = 58;				/* ICMPv6 */
	m = netisr_m2flow_ipv6(mk(&mb, p, sizeof(p)), 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0x2cc18cd5);
	ck_assert_uint_eq(M_HASHTYPE_GET(m), M_HASHTYPE_RSS_IPV6);
	frees = 0;
	ck_assert_ptr_null(netisr_m2flow_ipv6(mk(&mb, p, 39), 0));
	ck_assert_int_eq(frees, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netisr_flow");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ipv4_tuples);
	tcase_add_test(tc, test_ipv4_malformed);
	tcase_add_test(tc, test_ipv6_tuples);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

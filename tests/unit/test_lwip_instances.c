/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_lwip_instances.c: three lwIP 2.1.3 instances in one program,
 * without changing lwIP (issue 12, groundwork).
 *
 * The instances are three renamed copies of one relocatable object (lwIP
 * + tests/unit/lwip_inst_wrap.c, made by scripts/lwip-instances.sh, see
 * lwip_instances.mk), reached only through their descriptors lwip_inst_0,
 * _1 and _2.  This file is the platform they share: the symbols the copies
 * leave undefined (printk, sys_now, lwipg_rand and the glue's hooks)
 * resolve here, once.
 *
 * What it proves, in three configurations (different IPs and MACs; the
 * same IP; the same IP and MAC):
 *   - each copy has its own code and state: every function pointer and
 *     state pointer differs between descriptors, and the state pointers
 *     are the renamed symbols (lwip_stats__i<k>);
 *   - init: each instance sends exactly one frame, a gratuitous ARP with
 *     its own addresses, into its own capture;
 *   - an ICMP echo request to instance 0 gives exactly one echo reply,
 *     from instance 0 (addresses, id, sequence, data and checksums
 *     checked), and no frame from the others; ICMP recv counts 1 in
 *     instance 0 and 0 in the others, and its PBUF_POOL is back to 0;
 *   - an ARP request to instance 1 puts the sender into instance 1's ARP
 *     table only, and counts in its etharp recv only;
 *   - PBUF_POOL pbufs taken through one descriptor show in that
 *     instance's memp 'used' only;
 *   - the undefined hooks are shared: the one lwipg_assert_core_locked
 *     here is called by every instance.
 *
 * Locking: none; each test runs in its own process (Check forks, set
 * explicitly: lwIP state from one test must not leak into the next).
 */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/lwip_inst.h"

_Static_assert(LWIP_INST_N == 3, "lwip_instances.mk makes three copies");
#define NINST		LWIP_INST_N

extern const struct lwip_inst lwip_inst_0, lwip_inst_1, lwip_inst_2;
static const struct lwip_inst *const inst[NINST] = {
	&lwip_inst_0, &lwip_inst_1, &lwip_inst_2,
};
/* Renamed globals of each copy: lwip_stats, lwip_init. */
extern char lwip_stats__i0[], lwip_stats__i1[], lwip_stats__i2[];
static const void *const stats_sym[NINST] = {
	lwip_stats__i0, lwip_stats__i1, lwip_stats__i2,
};
extern void lwip_init__i0(void), lwip_init__i1(void), lwip_init__i2(void);
static void (*const init_sym[NINST])(void) = {
	lwip_init__i0, lwip_init__i1, lwip_init__i2,
};

/* ---- the platform the copies share (their undefined symbols) ----------- */

static unsigned long lock_checks;	/* lwipg_assert_core_locked calls */
static uint32_t now_ms;
static uint64_t rand_state = 0x9e3779b97f4a7c15ull;

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwipg_assert_fail(const char *msg, const char *file, int line)
    __attribute__((noreturn));
void lwipg_assert_core_locked(void);
uint32_t sys_now(void);
unsigned int lwipg_rand(void);
struct netif;
struct ip6_addr;
const struct ip6_addr *lwipg_nd6_gw(struct netif *nif,
    const struct ip6_addr *dest);

void
printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
lwipg_assert_fail(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file,
	    line);
	abort();
}

void
lwipg_assert_core_locked(void)
{
	lock_checks++;
}

uint32_t
sys_now(void)
{
	return now_ms;
}

unsigned int
lwipg_rand(void)
{
	uint64_t x = rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rand_state = x;
	return (unsigned int)((x * 0x2545f4914f6cdd1dull) >> 32);
}

const struct ip6_addr *
lwipg_nd6_gw(struct netif *nif, const struct ip6_addr *dest)
{
	(void)nif;
	(void)dest;
	return NULL;
}

/* ---- configurations and frames ------------------------------------------ */

enum { CONF_DIFFERENT, CONF_SAME_IP, CONF_SAME_IP_MAC, NCONF };

#define ETH_HLEN	14
#define ETHTYPE_IP	0x0800
#define ETHTYPE_ARP	0x0806
#define ARP_LEN		28
#define IP_HLEN		20
#define ICMP_HLEN	8
#define ICMP_ECHO	8
#define ICMP_ER		0
#define ECHO_ID		0x1234
#define ECHO_SEQ	7
#define ECHO_DATA	32

static const uint8_t peer_ip[4] = { 10, 0, 0, 99 };
static const uint8_t peer_mac[6] = { 0x02, 0xee, 0, 0, 0, 0x99 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t my_ip[NINST][4];
static uint8_t my_mac[NINST][6];

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum (RFC 1071) of len bytes, as stored. */
static uint16_t
cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t
eth_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

/* An ARP request from the peer asking who has tip. */
static size_t
arp_request(uint8_t *f, const uint8_t tip[4])
{
	uint8_t *a = f + eth_hdr(f, bcast, peer_mac, ETHTYPE_ARP);

	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETHTYPE_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);		/* request */
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tip, 4);
	return ETH_HLEN + ARP_LEN;
}

/* An ICMP echo request from the peer to (dmac, dip). */
static size_t
echo_request(uint8_t *f, const uint8_t dmac[6], const uint8_t dip[4])
{
	uint8_t *ip = f + eth_hdr(f, dmac, peer_mac, ETHTYPE_IP);
	uint8_t *icmp = ip + IP_HLEN;
	unsigned i;

	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, IP_HLEN + ICMP_HLEN + ECHO_DATA);
	put16(ip + 4, 0x4242);
	ip[8] = 64;
	ip[9] = 1;			/* ICMP */
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, dip, 4);
	put16(ip + 10, cksum(ip, IP_HLEN));
	memset(icmp, 0, ICMP_HLEN);
	icmp[0] = ICMP_ECHO;
	put16(icmp + 4, ECHO_ID);
	put16(icmp + 6, ECHO_SEQ);
	for (i = 0; i < ECHO_DATA; i++)
		icmp[ICMP_HLEN + i] = (uint8_t)(0xa0 + i);
	put16(icmp + 2, cksum(icmp, ICMP_HLEN + ECHO_DATA));
	return ETH_HLEN + IP_HLEN + ICMP_HLEN + ECHO_DATA;
}

static bool
is_arp(const uint8_t *f, size_t len, uint16_t op, const uint8_t sha[6],
    const uint8_t spa[4])
{
	return len >= ETH_HLEN + ARP_LEN && get16(f + 12) == ETHTYPE_ARP &&
	    get16(f + ETH_HLEN + 6) == op &&
	    memcmp(f + ETH_HLEN + 8, sha, 6) == 0 &&
	    memcmp(f + ETH_HLEN + 14, spa, 4) == 0;
}

static bool
is_echo_reply(const uint8_t *f, size_t len)
{
	return len >= ETH_HLEN + IP_HLEN + ICMP_HLEN &&
	    get16(f + 12) == ETHTYPE_IP && f[ETH_HLEN + 9] == 1 &&
	    f[ETH_HLEN + IP_HLEN] == ICMP_ER;
}

/* The addresses of instance k in configuration conf. */
static void
conf_addrs(int conf, unsigned k)
{
	static const uint8_t mac0[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(my_ip[k], (const uint8_t[4]){ 10, 0, 0, 1 }, 4);
	if (conf == CONF_DIFFERENT)
		my_ip[k][3] = (uint8_t)(1 + k);
	memcpy(my_mac[k], mac0, 6);
	my_mac[k][5] = (uint8_t)(conf == CONF_SAME_IP_MAC ? 1 : 1 + k);
}

/* Brings every instance up in configuration conf; clears their captures. */
static void
setup(int conf)
{
	unsigned k;

	for (k = 0; k < NINST; k++) {
		conf_addrs(conf, k);
		ck_assert_int_eq(inst[k]->li_init(my_ip[k], my_mac[k]), 0);
	}
	for (k = 0; k < NINST; k++)
		inst[k]->li_tx_clear();
}

/* ---- tests ---------------------------------------------------------------- */

/* Copies a and b share function f of the table. */
#define SHARED_FN(a, b, f)	(inst[a]->f == inst[b]->f)

/* Every copy has its own code and state; the state is its renamed globals. */
START_TEST(test_descriptors_distinct)
{
	unsigned a, b, shared;

	for (a = 0; a < NINST; a++) {
		ck_assert_ptr_eq(inst[a]->li_stats, stats_sym[a]);
		for (b = a + 1; b < NINST; b++) {
			ck_assert_ptr_ne(inst[a], inst[b]);
			shared = SHARED_FN(a, b, li_init) +
			    SHARED_FN(a, b, li_input) +
			    SHARED_FN(a, b, li_timers) +
			    SHARED_FN(a, b, li_tx_count) +
			    SHARED_FN(a, b, li_tx_frame) +
			    SHARED_FN(a, b, li_tx_clear) +
			    SHARED_FN(a, b, li_icmp_recv) +
			    SHARED_FN(a, b, li_etharp_recv) +
			    SHARED_FN(a, b, li_pbuf_pool_used) +
			    SHARED_FN(a, b, li_arp_lookup) +
			    SHARED_FN(a, b, li_pbuf_alloc) +
			    SHARED_FN(a, b, li_pbuf_free);
			ck_assert_uint_eq(shared, 0);
			ck_assert_ptr_ne(init_sym[a], init_sym[b]);
			ck_assert_ptr_ne(inst[a]->li_stats, inst[b]->li_stats);
			ck_assert_ptr_ne(inst[a]->li_netif, inst[b]->li_netif);
			ck_assert_ptr_ne(inst[a]->li_tcp_active_pcbs,
			    inst[b]->li_tcp_active_pcbs);
			ck_assert_ptr_ne(inst[a]->li_udp_pcbs,
			    inst[b]->li_udp_pcbs);
		}
	}
}
END_TEST

/* Each instance announces itself once, into its own capture only; the
 * shared core-lock hook is entered by every one of them. */
START_TEST(test_init)
{
	const uint8_t *f;
	unsigned long before;
	unsigned k, j;
	size_t len;

	for (k = 0; k < NINST; k++) {
		before = lock_checks;
		conf_addrs(_i, k);
		ck_assert_int_eq(inst[k]->li_init(my_ip[k], my_mac[k]), 0);
		ck_assert_uint_gt(lock_checks, before);
		for (j = 0; j < NINST; j++)
			ck_assert_uint_eq(inst[j]->li_tx_count(), j == k);
		len = inst[k]->li_tx_frame(0, &f);
		ck_assert_uint_eq(len, ETH_HLEN + ARP_LEN);
		ck_assert_mem_eq(f, bcast, 6);
		ck_assert(is_arp(f, len, 1, my_mac[k], my_ip[k]));
		ck_assert_mem_eq(f + ETH_HLEN + 24, my_ip[k], 4); /* gratuitous */
		inst[k]->li_tx_clear();
	}
	for (k = 0; k < NINST; k++) {
		ck_assert_uint_eq(inst[k]->li_icmp_recv(), 0);
		ck_assert_uint_eq(inst[k]->li_etharp_recv(), 0);
		ck_assert_uint_eq(inst[k]->li_pbuf_pool_used(), 0);
	}
}
END_TEST

/* An echo request to instance 0: one reply, from instance 0 only. */
START_TEST(test_echo)
{
	uint8_t req[128], frame[128];
	const uint8_t *f;
	const uint8_t *rip, *ricmp;
	size_t qlen, len;
	unsigned k;

	setup(_i);
	/* The peer ARPs first, so the reply needs no ARP round of its own. */
	len = arp_request(frame, my_ip[0]);
	ck_assert_int_eq(inst[0]->li_input(frame, len), 0);
	ck_assert_uint_eq(inst[0]->li_tx_count(), 1);
	len = inst[0]->li_tx_frame(0, &f);
	ck_assert(is_arp(f, len, 2, my_mac[0], my_ip[0]));
	inst[0]->li_tx_clear();

	qlen = echo_request(req, my_mac[0], my_ip[0]);
	ck_assert_int_eq(inst[0]->li_input(req, qlen), 0);

	ck_assert_uint_eq(inst[0]->li_tx_count(), 1);
	len = inst[0]->li_tx_frame(0, &f);
	ck_assert_uint_eq(len, qlen);
	ck_assert(is_echo_reply(f, len));
	ck_assert_mem_eq(f, peer_mac, 6);
	ck_assert_mem_eq(f + 6, my_mac[0], 6);
	rip = f + ETH_HLEN;
	ricmp = rip + IP_HLEN;
	ck_assert_uint_eq(cksum(rip, IP_HLEN), 0);
	ck_assert_mem_eq(rip + 12, my_ip[0], 4);
	ck_assert_mem_eq(rip + 16, peer_ip, 4);
	ck_assert_uint_eq(cksum(ricmp, ICMP_HLEN + ECHO_DATA), 0);
	ck_assert_uint_eq(get16(ricmp + 4), ECHO_ID);
	ck_assert_uint_eq(get16(ricmp + 6), ECHO_SEQ);
	ck_assert_mem_eq(ricmp + ICMP_HLEN, req + ETH_HLEN + IP_HLEN + ICMP_HLEN,
	    ECHO_DATA);

	ck_assert_uint_eq(inst[0]->li_icmp_recv(), 1);
	ck_assert_uint_eq(inst[0]->li_etharp_recv(), 1);
	ck_assert_uint_eq(inst[0]->li_pbuf_pool_used(), 0); /* all returned */
	for (k = 1; k < NINST; k++) {
		ck_assert_uint_eq(inst[k]->li_tx_count(), 0);
		ck_assert_uint_eq(inst[k]->li_icmp_recv(), 0);
		ck_assert_uint_eq(inst[k]->li_etharp_recv(), 0);
	}
}
END_TEST

/* An ARP request to instance 1: only its ARP table learns the sender. */
START_TEST(test_arp)
{
	uint8_t frame[64], mac[6];
	const uint8_t *f;
	size_t len;
	unsigned k;

	setup(_i);
	for (k = 0; k < NINST; k++)
		ck_assert_int_ne(inst[k]->li_arp_lookup(peer_ip, mac), 0);
	len = arp_request(frame, my_ip[1]);
	ck_assert_int_eq(inst[1]->li_input(frame, len), 0);

	memset(mac, 0, sizeof(mac));
	ck_assert_int_eq(inst[1]->li_arp_lookup(peer_ip, mac), 0);
	ck_assert_mem_eq(mac, peer_mac, 6);
	ck_assert_uint_eq(inst[1]->li_etharp_recv(), 1);
	ck_assert_uint_eq(inst[1]->li_tx_count(), 1);
	len = inst[1]->li_tx_frame(0, &f);
	ck_assert(is_arp(f, len, 2, my_mac[1], my_ip[1]));
	ck_assert_mem_eq(f, peer_mac, 6);
	for (k = 0; k < NINST; k++) {
		if (k == 1)
			continue;
		ck_assert_int_ne(inst[k]->li_arp_lookup(peer_ip, mac), 0);
		ck_assert_uint_eq(inst[k]->li_etharp_recv(), 0);
		ck_assert_uint_eq(inst[k]->li_tx_count(), 0);
	}
}
END_TEST

/* PBUF_POOL pbufs count in the pool of the instance that gave them. */
START_TEST(test_pbuf_pool)
{
	void *p0, *p1a, *p1b;

	setup(_i);
	ck_assert_uint_eq(inst[0]->li_pbuf_pool_used(), 0);
	ck_assert_uint_eq(inst[1]->li_pbuf_pool_used(), 0);
	ck_assert_uint_eq(inst[2]->li_pbuf_pool_used(), 0);

	p0 = inst[0]->li_pbuf_alloc(100);
	ck_assert_ptr_nonnull(p0);
	ck_assert_uint_eq(inst[0]->li_pbuf_pool_used(), 1);
	ck_assert_uint_eq(inst[1]->li_pbuf_pool_used(), 0);
	ck_assert_uint_eq(inst[2]->li_pbuf_pool_used(), 0);

	p1a = inst[1]->li_pbuf_alloc(100);
	p1b = inst[1]->li_pbuf_alloc(100);
	ck_assert_ptr_nonnull(p1a);
	ck_assert_ptr_nonnull(p1b);
	ck_assert_uint_eq(inst[0]->li_pbuf_pool_used(), 1);
	ck_assert_uint_eq(inst[1]->li_pbuf_pool_used(), 2);
	ck_assert_uint_eq(inst[2]->li_pbuf_pool_used(), 0);

	inst[0]->li_pbuf_free(p0);
	ck_assert_uint_eq(inst[0]->li_pbuf_pool_used(), 0);
	ck_assert_uint_eq(inst[1]->li_pbuf_pool_used(), 2);
	inst[1]->li_pbuf_free(p1a);
	inst[1]->li_pbuf_free(p1b);
	ck_assert_uint_eq(inst[1]->li_pbuf_pool_used(), 0);
}
END_TEST

static Suite *
lwip_instances_suite(void)
{
	Suite *s = suite_create("lwip_instances");
	TCase *tc = tcase_create("isolation");

	tcase_add_test(tc, test_descriptors_distinct);
	tcase_add_loop_test(tc, test_init, 0, NCONF);
	tcase_add_loop_test(tc, test_echo, 0, NCONF);
	tcase_add_loop_test(tc, test_arp, 0, NCONF);
	tcase_add_loop_test(tc, test_pbuf_pool, 0, NCONF);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lwip_instances_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

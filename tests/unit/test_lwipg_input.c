/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_lwipg_input.c: host tests for the checks in
 * net/lwip-glue/lwipg_input.c (defect 6): a packet too short or
 * malformed for lwIP is dropped by its handler and counted under its
 * name, and lwIP never sees it; a good packet, padded or not, goes
 * through.
 *
 * Design: the stack is the fuzzer's (tests/fuzz/fuzz_shim.h): the
 * kernel's glue, netisr and lwIP over host shims, brought up as kmain
 * does, with netisr's direct dispatch (the kernel's default) so a frame
 * has reached its handler when fuzz_vtnet_rx() returns.  "lwIP never saw
 * it" is checked on lwIP's own counters: link.recv, which the glue bumps
 * for every pbuf it hands lwIP, and the etharp, ip and ip6 blocks do not
 * move, nothing is transmitted, and the rx buffer is back in the ring.
 * test_tcp_persist_guard replays the lwIP 2.1.3 bug the IP handlers guard
 * against (a zero-window probe acknowledged while the window stays shut
 * used to fail an lwIP assertion at the next tcp_slowtmr), with the
 * fuzzer's fix-up (tests/fuzz/fuzz_fixup.c) filling in sequence numbers.
 * The last test reads `netstat -s` and checks the glue's drop and guard
 * lines word for word.
 *
 * Locking: none; each test runs in its own process (Check forks) and
 * brings the stack up there.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/stats.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_inst.h"
#include "net/netisr/netisr.h"
#include "net/netisr/toeplitz.h"
#include "tests/fuzz/fuzz_frames.h"
#include "tests/fuzz/fuzz_shim.h"

#define ETH_HLEN	14
#define ETH_MIN_FRAME	60	/* without the FCS: shorter is padded */
#define ARP_LEN		28
#define IP4_HLEN	20
#define IP6_HLEN	40
#define UDP_HLEN	8
#define ECHO_PORT	7
#define TCP_HLEN	20
#define TCP_SYN		0x02
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCPOPT_MSS_KIND	2
#define PEER_PORT	40000
#define PERSIST_MS	5000	/* a few persist probes (1.5 s, 3 s, ...) */
#define SLOWTMR_MS	2000	/* several tcp_slowtmr runs */
#define FRAME_MAX	256
#define NETSTAT_LINE_MAX	512

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t peer_ip[4] = { 10, 0, 2, 2 };
static const uint8_t our_ip6[16] = { 0xfd, 0x00, 0x00, 0x01, [15] = 0x15 };
static const uint8_t peer_ip6[16] = { 0xfd, 0x00, 0x00, 0x01, [15] = 0x02 };

/* What must not move when a handler drops a packet. */
struct seen {
	uint64_t	se_tx;
	uint32_t	se_link_recv;
	struct stats_proto se_etharp, se_ip, se_ip6;
};

static void
stack_up(void)
{
	static bool up;

	if (!up) {
		fuzz_stack_init(NETISR_DISPATCH_DIRECT);
		up = true;
	}
}

static void
seen_take(struct seen *s)
{
	s->se_tx = fuzz_vtnet_tx_frames();
	s->se_link_recv = lwip_stats.link.recv;
	s->se_etharp = lwip_stats.etharp;
	s->se_ip = lwip_stats.ip;
	s->se_ip6 = lwip_stats.ip6;
}

static void
assert_lwip_unseen(const struct seen *s)
{
	ck_assert_uint_eq(fuzz_vtnet_tx_frames(), s->se_tx);
	ck_assert_uint_eq(lwip_stats.link.recv, s->se_link_recv);
	ck_assert_mem_eq(&lwip_stats.etharp, &s->se_etharp,
	    sizeof(s->se_etharp));
	ck_assert_mem_eq(&lwip_stats.ip, &s->se_ip, sizeof(s->se_ip));
	ck_assert_mem_eq(&lwip_stats.ip6, &s->se_ip6, sizeof(s->se_ip6));
	ck_assert_uint_eq(fuzz_vtnet_rx_held(), 0);
}

static void
rx(const uint8_t *f, size_t len, bool csum_valid)
{
	struct fuzz_rx r = { .fr_csum_valid = csum_valid };

	ck_assert_int_eq(fuzz_vtnet_rx(f, len, &r), 0);
	fuzz_stack_poll();
}

/* Receives f, which its handler must drop, counting it in *counter. */
static void
rx_dropped(const uint8_t *f, size_t len, const uint64_t *counter)
{
	struct seen s;
	uint64_t before = *counter;

	seen_take(&s);
	rx(f, len, false);
	ck_assert_msg(*counter == before + 1, "%zu-byte frame: counter %llu, "
	    "want %llu", len, (unsigned long long)*counter,
	    (unsigned long long)before + 1);
	assert_lwip_unseen(&s);
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet header to us; returns the payload. */
static uint8_t *
eth(uint8_t *f, unsigned type)
{
	memset(f, 0, FRAME_MAX);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, type);
	return f + ETH_HLEN;
}

/* A who-has for our address from the peer, as the frame's payload. */
static void
arp_request(uint8_t *f)
{
	uint8_t *a = eth(f, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memcpy(a + 24, our_ip, 4);
}

/* A UDP datagram of n data bytes to the echo port; returns its length. */
static size_t
udp4(uint8_t *f, size_t n)
{
	uint8_t *ip = eth(f, 0x0800), *u = ip + IP4_HLEN;

	ip[0] = 0x45;
	put16(ip + 2, IP4_HLEN + UDP_HLEN + n);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, our_ip, 4);
	put16(ip + 10, ip_csum(ip, IP4_HLEN));
	put16(u, 40000);
	put16(u + 2, ECHO_PORT);
	put16(u + 4, UDP_HLEN + n);
	put16(u + 6, 1);	/* wrong, but the device vouched (csum_valid) */
	return ETH_HLEN + IP4_HLEN + UDP_HLEN + n;
}

static size_t
udp6(uint8_t *f, size_t n)
{
	uint8_t *ip = eth(f, 0x86dd), *u = ip + IP6_HLEN;

	ip[0] = 0x60;
	put16(ip + 4, UDP_HLEN + n);
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, peer_ip6, 16);
	memcpy(ip + 24, our_ip6, 16);
	put16(u, 40000);
	put16(u + 2, ECHO_PORT);
	put16(u + 4, UDP_HLEN + n);
	put16(u + 6, 1);
	return ETH_HLEN + IP6_HLEN + UDP_HLEN + n;
}

/* Receives f, which lwIP must get: ip/ip6 recv moves, nothing of ours. */
static void
rx_accepted(const uint8_t *f, size_t len, const uint32_t *lwip_recv)
{
	struct lwipg_stats g = lwipg_stats;
	uint32_t link = lwip_stats.link.recv, recv = *lwip_recv;

	rx(f, len, true);
	ck_assert_uint_eq(lwip_stats.link.recv, link + 1);
	ck_assert_uint_eq(*lwip_recv, recv + 1);
	g.ls_zero_copy++;
	g.ls_rx_csum_trusted = lwipg_stats.ls_rx_csum_trusted;
	ck_assert_mem_eq(&lwipg_stats, &g, sizeof(g));
}

/*
 * A TCP segment to the echo port with n data bytes and our window win;
 * seq and ack are relative, fuzz_fixup() makes them lwIP's (0 and 0: the
 * next segment, acknowledging everything sent) and fills in checksums.
 */
static size_t
tcp4(uint8_t *f, unsigned flags, unsigned win, const char *data)
{
	uint8_t *ip = eth(f, 0x0800), *t = ip + IP4_HLEN;
	size_t n = strlen(data);

	ip[0] = 0x45;
	put16(ip + 2, IP4_HLEN + TCP_HLEN + n);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, our_ip, 4);
	put16(t, PEER_PORT);
	put16(t + 2, ECHO_PORT);
	t[12] = (TCP_HLEN / 4) << 4;
	t[13] = (uint8_t)flags;
	put16(t + 14, win);
	memcpy(t + TCP_HLEN, data, n);
	fuzz_fixup(f, ETH_HLEN + IP4_HLEN + TCP_HLEN + n);
	return ETH_HLEN + IP4_HLEN + TCP_HLEN + n;
}

/* A SYN to the echo port with options opts (n bytes, padded to 4). */
static size_t
tcp4_opts(uint8_t *f, const uint8_t *opts, size_t n)
{
	size_t olen = (n + 3) / 4 * 4, len = tcp4(f, TCP_SYN, 65535, "");
	uint8_t *t = f + ETH_HLEN + IP4_HLEN;

	memset(t + TCP_HLEN, 0, olen);
	memcpy(t + TCP_HLEN, opts, n);
	t[12] = (uint8_t)(((TCP_HLEN + olen) / 4) << 4);
	put16(f + ETH_HLEN + 2, IP4_HLEN + TCP_HLEN + olen);
	len += olen;
	fuzz_fixup(f, len);
	return len;
}

START_TEST(test_runts)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	arp_request(f);
	for (len = 0; len < ETH_HLEN; len++) {
		struct ether_stats before, after;
		struct seen s;

		/* net/if/if_ethersubr.c counts them, before lwIP. */
		ether_get_stats(&before);
		seen_take(&s);
		rx(f, len, false);
		ether_get_stats(&after);
		ck_assert_uint_eq(after.es_runts, before.es_runts + 1);
		assert_lwip_unseen(&s);
	}
}
END_TEST

/* Defect 6: ARP frames of 14 to 41 bytes reached etharp_input. */
START_TEST(test_arp_toosmall)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	arp_request(f);
	for (len = ETH_HLEN; len < ETH_HLEN + ARP_LEN; len++)
		rx_dropped(f, len, &lwipg_stats.ls_arp_toosmall);
	ck_assert_uint_eq(lwipg_stats.ls_arp_toosmall, ARP_LEN);
}
END_TEST

START_TEST(test_arp_badformat)
{
	static const struct {
		size_t	off;
		uint8_t	v;
	} bad[] = {
		{ 1, 6 },		/* hardware type 6 (IEEE 802) */
		{ 2, 0x86 },		/* protocol 0x86dd */
		{ 4, 8 },		/* hardware length 8 */
		{ 5, 16 },		/* protocol length 16 */
	};
	uint8_t f[FRAME_MAX];
	size_t i;

	stack_up();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arp_request(f);
		f[ETH_HLEN + bad[i].off] = bad[i].v;
		rx_dropped(f, ETH_MIN_FRAME, &lwipg_stats.ls_arp_badformat);
	}
	ck_assert_uint_eq(lwipg_stats.ls_arp_toosmall, 0);
}
END_TEST

START_TEST(test_arp_ok)
{
	uint8_t f[FRAME_MAX];
	uint64_t tx;
	size_t len;

	stack_up();
	for (len = ETH_HLEN + ARP_LEN; len <= ETH_MIN_FRAME; len +=
	    ETH_MIN_FRAME - ETH_HLEN - ARP_LEN) {
		arp_request(f);
		tx = fuzz_vtnet_tx_frames();
		rx(f, len, false);
		ck_assert_uint_eq(fuzz_vtnet_tx_frames(), tx + 1); /* reply */
	}
	ck_assert_uint_eq(lwip_stats.etharp.recv, 2);
	ck_assert_uint_eq(lwipg_stats.ls_arp_toosmall +
	    lwipg_stats.ls_arp_badformat, 0);
}
END_TEST

START_TEST(test_ip_toosmall)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	udp4(f, 4);
	for (len = ETH_HLEN; len < ETH_HLEN + IP4_HLEN; len++)
		rx_dropped(f, len, &lwipg_stats.ls_ip_toosmall);
}
END_TEST

START_TEST(test_ip_badvers)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp4(f, 4);

	stack_up();
	f[ETH_HLEN] = 0x65;
	rx_dropped(f, len, &lwipg_stats.ls_ip_badvers);
}
END_TEST

START_TEST(test_ip_badhlen)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp4(f, 4);

	stack_up();
	f[ETH_HLEN] = 0x44;		/* IHL 4: 16 bytes */
	rx_dropped(f, len, &lwipg_stats.ls_ip_badhlen);
	f[ETH_HLEN] = 0x4f;		/* IHL 15: 60 bytes, frame has 32 */
	rx_dropped(f, len, &lwipg_stats.ls_ip_badhlen);
}
END_TEST

START_TEST(test_ip_badlen)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp4(f, 4);

	stack_up();
	put16(f + ETH_HLEN + 2, IP4_HLEN - 1);
	rx_dropped(f, len, &lwipg_stats.ls_ip_badlen);
}
END_TEST

START_TEST(test_ip_tooshort)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp4(f, 4);

	stack_up();
	rx_dropped(f, len - 1, &lwipg_stats.ls_ip_tooshort);
	put16(f + ETH_HLEN + 2, 100);
	rx_dropped(f, len, &lwipg_stats.ls_ip_tooshort);
}
END_TEST

/* A frame longer than the IPv4 total length is Ethernet padding: fine. */
START_TEST(test_ip_ok)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp4(f, 4);

	stack_up();
	ck_assert_uint_lt(len, ETH_MIN_FRAME);
	rx_accepted(f, len, &lwip_stats.ip.recv);
	rx_accepted(f, ETH_MIN_FRAME, &lwip_stats.ip.recv);
	ck_assert_uint_eq(lwip_stats.udp.recv, 2);
}
END_TEST

START_TEST(test_ip6_toosmall)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	udp6(f, 4);
	for (len = ETH_HLEN; len < ETH_HLEN + IP6_HLEN; len++)
		rx_dropped(f, len, &lwipg_stats.ls_ip6_toosmall);
}
END_TEST

START_TEST(test_ip6_badvers)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp6(f, 4);

	stack_up();
	f[ETH_HLEN] = 0x40;
	rx_dropped(f, len, &lwipg_stats.ls_ip6_badvers);
}
END_TEST

START_TEST(test_ip6_tooshort)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp6(f, 4);

	stack_up();
	rx_dropped(f, len - 1, &lwipg_stats.ls_ip6_tooshort);
	put16(f + ETH_HLEN + 4, 0xffff);
	rx_dropped(f, len, &lwipg_stats.ls_ip6_tooshort);
}
END_TEST

/*
 * An IPv6 packet whose payload is ext (n bytes) and then a UDP datagram
 * to the echo port, if udp; returns the frame's length.
 */
static size_t
ip6_ext(uint8_t *f, unsigned nxt, const uint8_t *ext, size_t n, bool udp)
{
	size_t len = udp6(f, 4) - ETH_HLEN - IP6_HLEN;
	uint8_t *ip = f + ETH_HLEN;

	if (!udp)
		len = 0;
	memmove(ip + IP6_HLEN + n, ip + IP6_HLEN, len);
	if (n != 0)
		memcpy(ip + IP6_HLEN, ext, n);
	ip[6] = (uint8_t)nxt;
	put16(ip + 4, n + len);
	return ETH_HLEN + IP6_HLEN + n + len;
}

/* lwIP 2.1.3 reads an extension header's length byte unchecked. */
START_TEST(test_ip6_badext)
{
	/* hop-by-hop, then destination options (60) with no room left */
	static const uint8_t hbh_dst[] = { 60, 0, 1, 4, 0, 0, 0, 0 };
	/* a first fragment (M set), then hop-by-hop cut at the end */
	static const uint8_t frag_hbh[] = { 0, 0, 0, 1, 0, 0, 0, 7 };
	/* a padded hop-by-hop header, then UDP: fine */
	static const uint8_t hbh_udp[] = { 17, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	len = ip6_ext(f, 0, NULL, 0, false);	/* hop-by-hop, no bytes */
	rx_dropped(f, len + 1, &lwipg_stats.ls_ip6_badext);
	len = ip6_ext(f, 0, hbh_dst, sizeof(hbh_dst), false);
	rx_dropped(f, len, &lwipg_stats.ls_ip6_badext);
	len = ip6_ext(f, 44, frag_hbh, sizeof(frag_hbh), false);
	f[len] = 0;		/* one byte of hop-by-hop: no length byte */
	put16(f + ETH_HLEN + 4, sizeof(frag_hbh) + 1);
	rx_dropped(f, len + 1, &lwipg_stats.ls_ip6_badext);
	len = ip6_ext(f, 0, hbh_udp, sizeof(hbh_udp), true);
	rx_accepted(f, len, &lwip_stats.ip6.recv);
	ck_assert_uint_eq(lwip_stats.udp.recv, 1);
}
END_TEST

START_TEST(test_ip6_ok)
{
	uint8_t f[FRAME_MAX];
	size_t len = udp6(f, 4);

	stack_up();
	rx_accepted(f, len, &lwip_stats.ip6.recv);
	rx_accepted(f, len + 9, &lwip_stats.ip6.recv);	/* padded */
	ck_assert_uint_eq(lwip_stats.udp.recv, 2);
}
END_TEST

/*
 * The peer shuts its window, echo has one byte to send, lwIP probes with
 * it, and the peer acknowledges the probe with the window still shut:
 * tcp_receive empties the unsent queue and leaves the persist timer
 * running.  Without the guard the next tcp_slowtmr fails an lwIP
 * assertion (and the kernel panics); with it, the timer is stopped and
 * counted, and the connection carries on when the window opens.
 */
START_TEST(test_tcp_persist_guard)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	arp_request(f);
	rx(f, ETH_HLEN + ARP_LEN, false);	/* replies go out at once */
	len = tcp4(f, TCP_SYN, 65535, "");
	rx(f, len, false);
	len = tcp4(f, TCP_ACK, 0, "");
	rx(f, len, false);
	len = tcp4(f, TCP_ACK | TCP_PSH, 0, "X");
	rx(f, len, false);
	ck_assert_uint_eq(lwipg_stats.ls_tcp_persist_stopped, 0);
	fuzz_clock_advance(PERSIST_MS);
	len = tcp4(f, TCP_ACK, 0, "");		/* acknowledges the probe */
	rx(f, len, false);
	ck_assert_uint_eq(lwipg_stats.ls_tcp_persist_stopped, 1);
	fuzz_clock_advance(SLOWTMR_MS);
	len = tcp4(f, TCP_ACK | TCP_PSH, 65535, "more");
	rx(f, len, false);
	fuzz_clock_advance(SLOWTMR_MS);
	ck_assert_uint_eq(lwipg_assertions, 0);
	ck_assert_uint_eq(lwipg_stats.ls_tcp_persist_stopped, 1);
}
END_TEST

/* lwIP 2.1.3's tcp_parseopt reads an option's length byte unchecked. */
START_TEST(test_tcp_badopt)
{
	static const uint8_t dangling[] = { 1, 1, 1, TCPOPT_MSS_KIND };
	static const uint8_t fine[] = { TCPOPT_MSS_KIND, 4, 0x05, 0xb4 };
	uint8_t f[FRAME_MAX];
	size_t len;

	stack_up();
	len = tcp4_opts(f, dangling, sizeof(dangling));
	rx_dropped(f, len, &lwipg_stats.ls_tcp_badopt);
	len = tcp4_opts(f, dangling, sizeof(dangling) - 1);	/* NOPs */
	rx(f, len, false);
	len = tcp4_opts(f, fine, sizeof(fine));
	rx(f, len, false);
	ck_assert_uint_eq(lwipg_stats.ls_tcp_badopt, 1);
	ck_assert_uint_eq(lwip_stats.tcp.recv, 2);
}
END_TEST

/* The names other tests parse: one line, these words, in this order. */
START_TEST(test_netstat_line)
{
	uint8_t f[FRAME_MAX];
	char want[NETSTAT_LINE_MAX];

	stack_up();
	arp_request(f);
	rx(f, ETH_HLEN + 1, false);
	udp6(f, 4);
	f[ETH_HLEN] = 0x40;
	rx(f, ETH_HLEN + IP6_HLEN, false);
	rx(f, ETH_HLEN + IP6_HLEN, false);
	fuzz_log_clear();
	lwipg_print_stats();
	snprintf(want, sizeof(want), "lwip: rx-drop arp-toosmall 1 "
	    "arp-badformat 0 ip-toosmall 0 ip-badvers 0 ip-badhlen 0 "
	    "ip-badlen 0 ip-tooshort 0 ip6-toosmall 0 ip6-badvers 2 "
	    "ip6-tooshort 0 ip6-badext 0 tcp-badopt 0 arp-conflict 0 "
	    "udp-toosmall 0\n");
	ck_assert_msg(fuzz_log_contains(want), "no line %s", want);
	ck_assert(fuzz_log_contains(
	    "lwip: guard tcp-persist-stopped 0 syn-evicted 0\n"));
}
END_TEST

/*
 * Transmit flow ids (lwipg_netif.c): a TCP or UDP frame's is the Toeplitz
 * hash its reply gets on receive (netisr_m2flow_*: src and dst swapped),
 * so a flow leaves by the queue that receives it; anything else, and an
 * IPv4 fragment, goes out on the sending CPU's queue.
 */
static uint32_t
tx_frame(uint8_t *f, uint16_t type, const uint8_t *l3, size_t l3len)
{
	memset(f, 0, ETH_HLEN);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	memcpy(f + ETH_HLEN, l3, l3len);
	return (uint32_t)(ETH_HLEN + l3len);
}

START_TEST(test_tx_flowid)
{
	static const uint8_t ours[4] = { 10, 0, 2, 15 };
	static const uint8_t peer[4] = { 10, 0, 2, 2 };
	static const uint8_t ours6[16] = { 0xfd, 0, [15] = 0x15 };
	static const uint8_t peer6[16] = { 0xfd, 0, [15] = 0x02 };
	const uint16_t sport = htons(5201), dport = htons(40000);
	uint8_t ip[60], f[ETH_HLEN + 60];
	uint32_t len;

	toeplitz_init_default();
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[9] = 6;				/* TCP */
	memcpy(ip + 12, ours, 4);
	memcpy(ip + 16, peer, 4);
	memcpy(ip + 20, &sport, 2);
	memcpy(ip + 22, &dport, 2);
	len = tx_frame(f, 0x0800, ip, 40);
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), toeplitz_ipv4_ports(
	    toeplitz_default(), peer, ours, dport, sport));
	ip[9] = 17;				/* UDP */
	len = tx_frame(f, 0x0800, ip, 28);
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), toeplitz_ipv4_ports(
	    toeplitz_default(), peer, ours, dport, sport));
	ip[6] = 0x20;				/* MF: a fragment */
	len = tx_frame(f, 0x0800, ip, 28);
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), IF_FLOWID_CURCPU);
	ip[6] = 0;
	ip[9] = 1;				/* ICMP */
	len = tx_frame(f, 0x0800, ip, 28);
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), IF_FLOWID_CURCPU);
	len = tx_frame(f, 0x0806, ip, 28);	/* ARP */
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), IF_FLOWID_CURCPU);
	ck_assert_uint_eq(lwipg_tx_flowid(f, ETH_HLEN + 20), IF_FLOWID_CURCPU);

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x60;
	ip[6] = 6;				/* TCP */
	memcpy(ip + 8, ours6, 16);
	memcpy(ip + 24, peer6, 16);
	memcpy(ip + 40, &sport, 2);
	memcpy(ip + 42, &dport, 2);
	len = tx_frame(f, 0x86dd, ip, 60);
	ck_assert_uint_eq(lwipg_tx_flowid(f, len), toeplitz_ipv6_ports(
	    toeplitz_default(), peer6, ours6, dport, sport));
}
END_TEST

/* ---- chains: a frame over several rx buffers (a merged large segment) */

#define CHAIN_DATA	8000	/* UDP bytes: several buffers, fragmented
				   replies */
#define CHAIN_SPLIT	1000	/* bytes per buffer */

static uint8_t chain_frame[ETH_HLEN + IP4_HLEN + UDP_HLEN + CHAIN_DATA];

/* A CHAIN_DATA-byte UDP datagram to the echo port, in chain_frame. */
static size_t
udp4_big(void)
{
	uint8_t small[FRAME_MAX];
	size_t len = udp4(small, 0);

	memcpy(chain_frame, small, len);
	put16(chain_frame + ETH_HLEN + 2, IP4_HLEN + UDP_HLEN + CHAIN_DATA);
	put16(chain_frame + ETH_HLEN + 10, 0);
	put16(chain_frame + ETH_HLEN + 10,
	    ip_csum(chain_frame + ETH_HLEN, IP4_HLEN));
	put16(chain_frame + ETH_HLEN + IP4_HLEN + 4, UDP_HLEN + CHAIN_DATA);
	memset(chain_frame + len, 0xa5, CHAIN_DATA);
	return len + CHAIN_DATA;
}

/*
 * Receives chain_frame in buffers of split bytes; lwIP must take it as
 * one datagram (zero-copy, or copied when copy), echo it (fragmented),
 * and give every buffer back.
 */
static void
chain_accepted(size_t len, uint32_t split, bool copy)
{
	struct fuzz_rx r = { .fr_csum_valid = true, .fr_split = split,
	    .fr_copy = copy };
	uint64_t zc = lwipg_stats.ls_zero_copy, cp = lwipg_stats.ls_copied;
	uint64_t tx = fuzz_vtnet_tx_frames();
	uint32_t link = lwip_stats.link.recv, udp = lwip_stats.udp.recv;

	ck_assert_int_eq(fuzz_vtnet_rx(chain_frame, len, &r), 0);
	fuzz_stack_poll();
	ck_assert_uint_eq(lwip_stats.link.recv, link + 1);
	ck_assert_uint_eq(lwip_stats.udp.recv, udp + 1);
	ck_assert_uint_eq(lwipg_stats.ls_zero_copy, zc + !copy);
	ck_assert_uint_eq(lwipg_stats.ls_copied, cp + copy);
	/* The echo: CHAIN_DATA bytes back, in MTU-sized fragments. */
	ck_assert_uint_eq(fuzz_vtnet_tx_frames(),
	    tx + (IP4_HLEN + UDP_HLEN + CHAIN_DATA + 1479) / 1480);
	ck_assert_uint_eq(fuzz_vtnet_rx_held(), 0);
}

/* The peer asks for us, so lwIP knows its MAC for the echo. */
static void
chain_peer_arp(void)
{
	uint8_t f[FRAME_MAX];

	arp_request(f);
	rx(f, ETH_MIN_FRAME, false);
}

/* A chain becomes a pbuf chain, zero-copy; the buffers all come back. */
START_TEST(test_chain_zero_copy)
{
	size_t len = udp4_big();

	stack_up();
	chain_peer_arp();
	chain_accepted(len, CHAIN_SPLIT, false);
	/* Uneven pieces, the last one a single byte. */
	chain_accepted(len, (uint32_t)(len - 1) / 4, false);
	chain_accepted(len, FUZZ_FRAME_MAX, false);
}
END_TEST

/* Scarce buffers: the chain is copied into pool pbufs, every buffer
 * goes back at once. */
START_TEST(test_chain_copied)
{
	size_t len = udp4_big();

	stack_up();
	chain_peer_arp();
	chain_accepted(len, CHAIN_SPLIT, true);
	ck_assert_uint_eq(lwip_stats.memp[MEMP_PBUF_POOL]->used, 0);
}
END_TEST

/*
 * Headers split from the first buffer are refused, counted, never seen
 * by lwIP: the IPv4 header, TCP options, an IPv6 extension header.
 */
START_TEST(test_chain_split_headers)
{
	static const uint8_t mss[] = { TCPOPT_MSS_KIND, 4, 0x05, 0xb4 };
	size_t len = udp4_big(), tlen;
	struct fuzz_rx r = { .fr_split = ETH_HLEN + IP4_HLEN - 1 };
	uint64_t before = lwipg_stats.ls_ip_toosmall;
	uint8_t f[FRAME_MAX];
	struct seen s;

	stack_up();
	seen_take(&s);
	ck_assert_int_eq(fuzz_vtnet_rx(chain_frame, len, &r), 0);
	fuzz_stack_poll();
	ck_assert_uint_eq(lwipg_stats.ls_ip_toosmall, before + 1);
	assert_lwip_unseen(&s);

	/* A SYN whose MSS option lies in the second buffer. */
	tlen = tcp4_opts(f, mss, sizeof(mss));
	r.fr_split = ETH_HLEN + IP4_HLEN + TCP_HLEN + 1;
	before = lwipg_stats.ls_tcp_badopt;
	seen_take(&s);
	ck_assert_int_eq(fuzz_vtnet_rx(f, tlen, &r), 0);
	fuzz_stack_poll();
	ck_assert_uint_eq(lwipg_stats.ls_tcp_badopt, before + 1);
	assert_lwip_unseen(&s);
}
END_TEST

/* More than lwIP's u16 tot_len holds: dropped as no-pbuf. */
START_TEST(test_chain_too_big)
{
	static uint8_t big[FUZZ_CHAIN_FRAME_MAX];
	struct fuzz_rx r = { .fr_split = FUZZ_FRAME_MAX };
	uint64_t before = lwipg_stats.ls_no_pbuf;
	size_t len = udp4_big();

	stack_up();
	memcpy(big, chain_frame, len);
	/* IP says 65535 bytes; the frame after Ethernet is one more. */
	put16(big + ETH_HLEN + 2, 65535);
	put16(big + ETH_HLEN + 10, 0);
	put16(big + ETH_HLEN + 10, ip_csum(big + ETH_HLEN, IP4_HLEN));
	put16(big + ETH_HLEN + IP4_HLEN + 4, 65535 - IP4_HLEN);
	/* One more byte than a pbuf chain holds: dropped. */
	ck_assert_int_eq(fuzz_vtnet_rx(big, sizeof(big), &r), 0);
	fuzz_stack_poll();
	ck_assert_uint_eq(lwipg_stats.ls_no_pbuf, before + 1);
	ck_assert_uint_eq(fuzz_vtnet_rx_held(), 0);
}
END_TEST

static Suite *
lwipg_input_suite(void)
{
	Suite *s = suite_create("lwipg_input");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, test_runts);
	tcase_add_test(tc, test_arp_toosmall);
	tcase_add_test(tc, test_arp_badformat);
	tcase_add_test(tc, test_arp_ok);
	tcase_add_test(tc, test_ip_toosmall);
	tcase_add_test(tc, test_ip_badvers);
	tcase_add_test(tc, test_ip_badhlen);
	tcase_add_test(tc, test_ip_badlen);
	tcase_add_test(tc, test_ip_tooshort);
	tcase_add_test(tc, test_ip_ok);
	tcase_add_test(tc, test_ip6_toosmall);
	tcase_add_test(tc, test_ip6_badvers);
	tcase_add_test(tc, test_ip6_tooshort);
	tcase_add_test(tc, test_ip6_badext);
	tcase_add_test(tc, test_ip6_ok);
	tcase_add_test(tc, test_tcp_badopt);
	tcase_add_test(tc, test_tcp_persist_guard);
	tcase_add_test(tc, test_netstat_line);
	tcase_add_test(tc, test_tx_flowid);
	tcase_add_test(tc, test_chain_zero_copy);
	tcase_add_test(tc, test_chain_copied);
	tcase_add_test(tc, test_chain_split_headers);
	tcase_add_test(tc, test_chain_too_big);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lwipg_input_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

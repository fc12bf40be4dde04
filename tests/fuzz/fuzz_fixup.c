/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_fixup.c: makes a mutated frame acceptable where the fuzzer could
 * hardly guess right on its own, so that it gets past lwIP's first checks
 * into the protocols behind them.  Used for records that ask for it
 * (FUZZ_REC_FIXUP, fuzz_frames.c); the others reach lwIP as they are.
 *
 * - TCP sequence numbers: a segment for a connection lwIP has (matched
 *   by ports and IP version) gets seqno = rcv_nxt + (the low 16 bits of
 *   its seqno, signed) and, if it has ACK, ackno = snd_nxt - (its ackno
 *   modulo the unacknowledged span plus one).  So 0 and 0 in the input
 *   mean "the next segment, acknowledging everything": a handshake and
 *   data need no knowledge of the ISN lwIP picked.
 * - Checksums: the IPv4 header's, and TCP's, UDP's, ICMP's and ICMPv6's
 *   over what the headers say is there (clipped to the frame).  IPv4
 *   fragments and IPv6 packets with extension headers keep their L4
 *   checksum: it covers the whole datagram.
 *
 * Locking: reads lwIP's TCP pcb lists; called outside lwIP, from the one
 * thread (fuzz_shim.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "tests/fuzz/fuzz_frames.h"

#define ETHER_HDR_LEN		14
#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define IP4_HDR_MIN		20
#define IP4_CSUM_OFF		10
#define IP4_FRAG_MASK		0x3fff
#define IP6_HDR_LEN		40
#define PROTO_ICMP		1
#define PROTO_TCP		6
#define PROTO_UDP		17
#define PROTO_ICMP6		58
#define TCP_HDR_MIN		20
#define TCP_SEQ_OFF		4
#define TCP_ACK_OFF		8
#define TCP_FLAGS_OFF		13
#define TCP_FLAG_ACK		0x10
#define TCP_CSUM_OFF		16
#define UDP_HDR_LEN		8
#define UDP_CSUM_OFF		6
#define ICMP_HDR_MIN		4
#define ICMP_CSUM_OFF		2

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Ones' complement sum of n bytes (an odd last byte padded), unfolded. */
static uint32_t
sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint32_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Rewrites seqno/ackno of a segment for one of lwIP's connections. */
static void
fixup_tcp_seq(uint8_t *tcp, size_t n, bool v6)
{
	struct tcp_pcb *pcb;
	uint32_t span, seq, ack;

	if (n < TCP_HDR_MIN)
		return;
	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next)
		if (pcb->local_port == get16(tcp + 2) &&
		    pcb->remote_port == get16(tcp) &&
		    IP_IS_V6_VAL(pcb->remote_ip) == v6)
			break;
	if (pcb == NULL)
		return;
	seq = pcb->rcv_nxt + (uint32_t)(int32_t)(int16_t)get16(tcp +
	    TCP_SEQ_OFF + 2);
	put32(tcp + TCP_SEQ_OFF, seq);
	if (tcp[TCP_FLAGS_OFF] & TCP_FLAG_ACK) {
		span = pcb->snd_nxt - pcb->lastack + 1;
		ack = pcb->snd_nxt - (span == 0 ? 0 :
		    get32(tcp + TCP_ACK_OFF) % span);
		put32(tcp + TCP_ACK_OFF, ack);
	}
}

/* Writes the L4 checksum; pseudo is the pseudo-header's sum, if any. */
static void
fixup_l4(uint8_t *l4, size_t n, unsigned proto, uint32_t pseudo)
{
	size_t off;
	uint32_t c;

	switch (proto) {
	case PROTO_TCP:
		if (n < TCP_HDR_MIN)
			return;
		off = TCP_CSUM_OFF;
		break;
	case PROTO_UDP:
		if (n < UDP_HDR_LEN)
			return;
		off = UDP_CSUM_OFF;
		break;
	case PROTO_ICMP:
	case PROTO_ICMP6:
		if (n < ICMP_HDR_MIN)
			return;
		off = ICMP_CSUM_OFF;
		pseudo = proto == PROTO_ICMP ? 0 : pseudo;
		break;
	default:
		return;
	}
	put16(l4 + off, 0);
	c = ~fold(sum(l4, n, pseudo)) & 0xffff;
	if (c == 0 && proto == PROTO_UDP)
		c = 0xffff;		/* 0 would mean "no checksum" */
	put16(l4 + off, c);
}

static void
fixup_ip4(uint8_t *ip, size_t n)
{
	size_t hlen, end;
	uint32_t pseudo;

	if (n < IP4_HDR_MIN)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > n)
		return;
	end = get16(ip + 2);
	if (end > n)
		end = n;
	if (end >= hlen && (get16(ip + 6) & IP4_FRAG_MASK) == 0) {
		if (ip[9] == PROTO_TCP)
			fixup_tcp_seq(ip + hlen, end - hlen, false);
		pseudo = sum(ip + 12, 8, 0) + ip[9] + (uint32_t)(end - hlen);
		fixup_l4(ip + hlen, end - hlen, ip[9], pseudo);
	}
	put16(ip + IP4_CSUM_OFF, 0);
	put16(ip + IP4_CSUM_OFF, ~fold(sum(ip, hlen, 0)) & 0xffff);
}

static void
fixup_ip6(uint8_t *ip, size_t n)
{
	size_t end;
	uint32_t pseudo;

	if (n < IP6_HDR_LEN)
		return;
	end = IP6_HDR_LEN + get16(ip + 4);
	if (end > n)
		end = n;
	if (ip[6] == PROTO_TCP)
		fixup_tcp_seq(ip + IP6_HDR_LEN, end - IP6_HDR_LEN, true);
	pseudo = sum(ip + 8, 32, 0) + ip[6] + (uint32_t)(end - IP6_HDR_LEN);
	fixup_l4(ip + IP6_HDR_LEN, end - IP6_HDR_LEN, ip[6], pseudo);
}

void
fuzz_fixup(uint8_t *f, size_t len)
{
	if (len < ETHER_HDR_LEN)
		return;
	switch (get16(f + 12)) {
	case ETHERTYPE_IP:
		fixup_ip4(f + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
		break;
	case ETHERTYPE_IPV6:
		fixup_ip6(f + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
		break;
	}
}

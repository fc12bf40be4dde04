/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netisr_flow.c: compute a packet's flow id in software (the FLOW
 * policy's m2flow for IP), with the same Toeplitz key and tuples the NIC
 * uses, so software and hardware agree on a flow's CPU.
 *
 * m_data points at the IP header (the ether handler has stripped the
 * link header) and m_len is the bytes there.  TCP and UDP packets that
 * are not fragments hash on (src, dst, sport, dport); fragments and other
 * protocols hash on (src, dst) only, so every piece of a datagram lands
 * on one CPU.  A header too short or malformed to read returns NULL: the
 * packet is dropped and netisr counts it.  IPv6 extension headers are not
 * walked: a packet whose next header is not TCP or UDP hashes on
 * addresses.
 *
 * Locking: none; reads the packet and the read-only default table.
 */
#include <stddef.h>

#include "net/netisr/netisr_flow.h"
#include "net/netisr/toeplitz.h"

#define IPV4_MIN_HLEN		20
#define IPV4_VERSION		4
#define IPV4_OFF_PROTO		9
#define IPV4_OFF_FRAG		6
#define IPV4_FRAG_MASK		0x3fff	/* MF and fragment offset */
#define IPV4_OFF_SRC		12
#define IPV4_OFF_DST		16
#define IPV6_HLEN		40
#define IPV6_VERSION		6
#define IPV6_OFF_NEXT		6
#define IPV6_OFF_SRC		8
#define IPV6_OFF_DST		24
#define IPPROTO_TCP		6
#define IPPROTO_UDP		17
#define L4_PORTS_LEN		4

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, sizeof(v));	/* raw, network order */
	return v;
}

struct mbuf *
netisr_m2flow_ipv4(struct mbuf *m, uintptr_t source)
{
	const struct toeplitz_table *t = toeplitz_default();
	const uint8_t *ip = m->m_data;
	uint32_t hlen, frag;
	uint8_t proto;

	(void)source;
	if (m->m_len < IPV4_MIN_HLEN || (ip[0] >> 4) != IPV4_VERSION) {
		m_freem(m);
		return NULL;
	}
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HLEN || hlen > m->m_len) {
		m_freem(m);
		return NULL;
	}
	proto = ip[IPV4_OFF_PROTO];
	frag = (uint32_t)ip[IPV4_OFF_FRAG] << 8 | ip[IPV4_OFF_FRAG + 1];
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    (frag & IPV4_FRAG_MASK) == 0 && m->m_len >= hlen + L4_PORTS_LEN) {
		m->m_pkthdr.flowid = toeplitz_ipv4_ports(t, ip + IPV4_OFF_SRC,
		    ip + IPV4_OFF_DST, rd16(ip + hlen), rd16(ip + hlen + 2));
		M_HASHTYPE_SET(m, proto == IPPROTO_TCP ?
		    M_HASHTYPE_RSS_TCP_IPV4 : M_HASHTYPE_RSS_UDP_IPV4);
	} else {
		m->m_pkthdr.flowid = toeplitz_ipv4(t, ip + IPV4_OFF_SRC,
		    ip + IPV4_OFF_DST);
		M_HASHTYPE_SET(m, M_HASHTYPE_RSS_IPV4);
	}
	return m;
}

struct mbuf *
netisr_m2flow_ipv6(struct mbuf *m, uintptr_t source)
{
	const struct toeplitz_table *t = toeplitz_default();
	const uint8_t *ip = m->m_data;
	uint8_t next;

	(void)source;
	if (m->m_len < IPV6_HLEN || (ip[0] >> 4) != IPV6_VERSION) {
		m_freem(m);
		return NULL;
	}
	next = ip[IPV6_OFF_NEXT];
	if ((next == IPPROTO_TCP || next == IPPROTO_UDP) &&
	    m->m_len >= IPV6_HLEN + L4_PORTS_LEN) {
		m->m_pkthdr.flowid = toeplitz_ipv6_ports(t, ip + IPV6_OFF_SRC,
		    ip + IPV6_OFF_DST, rd16(ip + IPV6_HLEN),
		    rd16(ip + IPV6_HLEN + 2));
		M_HASHTYPE_SET(m, next == IPPROTO_TCP ?
		    M_HASHTYPE_RSS_TCP_IPV6 : M_HASHTYPE_RSS_UDP_IPV6);
	} else {
		m->m_pkthdr.flowid = toeplitz_ipv6(t, ip + IPV6_OFF_SRC,
		    ip + IPV6_OFF_DST);
		M_HASHTYPE_SET(m, M_HASHTYPE_RSS_IPV6);
	}
	return m;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mbuf.h: the minimal packet header netisr needs.
 *
 * struct mbuf does not own packet memory: it points at a buffer that its
 * producer (the lwIP glue, a driver, a test) owns, and m_freem() hands the
 * packet back through the producer's m_free callback.  netisr reads and
 * writes only the packet header: length, receiving interface and queue,
 * flow id and hash type, the virtual network stack (vnet) the packet
 * belongs to, and the m_nextpkt link it queues packets with.
 *
 * m_pkthdr.vnet is 0 (the default stack) unless the producer stamps it;
 * the interface layer will set it from the receiving interface.  netisr
 * handles a packet only if its protocol is enabled in that vnet, and runs
 * the handler with curvnet set to it (netisr.h).
 *
 * Chains: a packet may span several buffers, linked by m_next (the
 * first mbuf's m_pkthdr.len is the sum of every m_len; the others' packet
 * headers are unused).  Every mbuf of a chain has its own m_free and
 * owner, and m_freem() frees them all; a consumer that takes the chain
 * apart (the lwIP glue wraps each buffer in its own pbuf) clears m_next
 * first, so that freeing one frees only it.  Headers a layer parses lie
 * in the first mbuf: a layer reads m_len bytes at m_data, and compares
 * lengths the packet claims against m_pkthdr.len.
 *
 * Upper-layer scratch: a producer may embed the mbuf as the first member
 * of a struct m_upper and set M_UPPER in m_flags.  The layer that owns
 * such an mbuf may then keep M_UPPER_LEN bytes of its own state there
 * (the lwIP glue keeps the pbuf_custom that wraps the frame), reached by
 * m_upper(m), and find the mbuf again from that state by m_from_upper():
 * both are pointer arithmetic, with no allocation.
 *
 *	struct m_upper:  +-------------+--------------------------+
 *	                 | struct mbuf | mu_scratch[M_UPPER_LEN]  |
 *	                 +-------------+--------------------------+
 *	                 ^ m             ^ m_upper(m)
 *
 * Locking: an mbuf belongs to exactly one owner at a time (the producer,
 * a workstream queue under its lock, or the handler running it); so does
 * its scratch.
 */
#ifndef NET_NETISR_MBUF_H
#define NET_NETISR_MBUF_H

#include <stddef.h>
#include <stdint.h>

/* Hash types (what the flow id was computed over); as FreeBSD's RSS set. */
#define M_HASHTYPE_NONE		0
#define M_HASHTYPE_OPAQUE	1	/* some stable per-flow value */
#define M_HASHTYPE_RSS_IPV4	2
#define M_HASHTYPE_RSS_TCP_IPV4	3
#define M_HASHTYPE_RSS_UDP_IPV4	4
#define M_HASHTYPE_RSS_IPV6	5
#define M_HASHTYPE_RSS_TCP_IPV6	6
#define M_HASHTYPE_RSS_UDP_IPV6	7

/* m_pkthdr.csum_flags: the L4 checksum was verified (or completed). */
#define CSUM_DATA_VALID		0x01

/* m_flags. */
#define M_UPPER			0x01	/* inside a struct m_upper */

#define M_UPPER_LEN		64	/* bytes of upper-layer scratch */

struct mbuf;
typedef void m_free_fn(struct mbuf *m);

struct m_pkthdr {
	uint32_t	len;		/* bytes in the packet */
	uint32_t	flowid;		/* valid if rsstype != NONE */
	uint16_t	rcvif;		/* receiving interface index */
	uint16_t	rxqueue;	/* receive queue, the dispatch source */
	uint8_t		rsstype;	/* M_HASHTYPE_* */
	uint8_t		csum_flags;	/* producer's checksum knowledge */
	uint16_t	vnet;		/* virtual network stack, 0 default */
};
_Static_assert(sizeof(struct m_pkthdr) == 16,
    "struct m_pkthdr: keep it to 16 bytes (vnet fills the padding)");

struct mbuf {
	struct mbuf	*m_nextpkt;	/* queue link, owned by the queue */
	struct mbuf	*m_next;	/* next buffer of this packet */
	void		*m_data;
	uint32_t	m_len;
	struct m_pkthdr	m_pkthdr;
	uint32_t	m_flags;	/* M_* */
	m_free_fn	*m_free;	/* producer's release; may be NULL */
	void		*m_owner;	/* producer's context */
};

#define M_HASHTYPE_GET(m)	((m)->m_pkthdr.rsstype)
#define M_HASHTYPE_SET(m, t)	((m)->m_pkthdr.rsstype = (uint8_t)(t))

/* An mbuf with upper-layer scratch (see the top). */
struct m_upper {
	struct mbuf	mu_m;		/* first: m_from_upper casts back */
	uint64_t	mu_scratch[M_UPPER_LEN / 8];
};

/* The scratch of m, which must carry M_UPPER. */
static inline void *
m_upper(struct mbuf *m)
{
	return ((struct m_upper *)(void *)m)->mu_scratch;
}

/* The mbuf whose scratch starts at upper. */
static inline struct mbuf *
m_from_upper(void *upper)
{
	return &((struct m_upper *)(void *)((uint8_t *)upper -
	    offsetof(struct m_upper, mu_scratch)))->mu_m;
}

/* Frees every mbuf of m's chain (NULL is fine). */
static inline void
m_freem(struct mbuf *m)
{
	struct mbuf *next;

	for (; m != NULL; m = next) {
		next = m->m_next;	/* m_free may hand m to another CPU */
		if (m->m_free != NULL)
			m->m_free(m);
	}
}

#endif /* NET_NETISR_MBUF_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_input.c: one lwIP instance's protocol handlers.  net/stack/
 * registers ARP, IP and IPv6 with netisr once and calls the handlers of
 * the instance that serves the packet's vnet (curvnet); the frame's netif
 * is its rcvif's (ifp->if_stack), which must be this instance's.
 *
 *   driver rx poll -> if_input -> NETISR_ETHER (net/if/if_ethersubr.c),
 *   which strips the link header and demultiplexes by ethertype to:
 *     NETISR_ARP  (SOURCE)  etharp_input
 *     NETISR_IP   (FLOW)    ip4_input   m2flow: Toeplitz
 *     NETISR_IPV6 (FLOW)    ip6_input   m2flow: Toeplitz
 *
 * lwIP trusts its input to hold the headers it reads (etharp_input reads
 * the 28-byte ARP header unchecked), so each handler first checks, with
 * the mbuf, what lwIP will read, and drops and counts what falls short;
 * lwIP never sees such a packet (its own counters do not move).  The
 * counters, by their `netstat -s` names (lwipg_stats.c, line "lwip:
 * rx-drop ..."), after FreeBSD's arpstat/ipstat/ip6stat:
 *
 *   arp-toosmall    ARP: fewer than the 28 bytes of an Ethernet/IPv4 ARP
 *                   header (RFC 826)
 *   arp-badformat   ARP: hardware type not Ethernet (1), protocol not
 *                   IPv4 (0x0800), or address lengths not 6 and 4
 *   ip-toosmall     IPv4: fewer than 20 bytes (RFC 791)
 *   ip-badvers      IPv4: version not 4
 *   ip-badhlen      IPv4: header length (IHL * 4) under 20 or past the
 *                   frame
 *   ip-badlen       IPv4: total length under the header length
 *   ip-tooshort     IPv4: total length past the frame (a frame longer
 *                   than the total length is Ethernet padding, fine:
 *                   ip4_input trims it)
 *   ip6-toosmall    IPv6: fewer than the 40-byte header (RFC 8200)
 *   ip6-badvers     IPv6: version not 6
 *   ip6-tooshort    IPv6: 40 + payload length past the frame (longer is
 *                   padding, which ip6_input trims)
 *   ip6-badext      IPv6: a hop-by-hop, routing or destination options
 *                   header that starts less than 2 bytes before the end
 *                   of the payload (RFC 8200, 4): ip6_input reads its
 *                   length byte before checking that it is there (an lwIP
 *                   2.1.3 bug).  The walk follows the chain through the
 *                   fragment header of a first fragment, whose pbuf heads
 *                   the reassembled datagram lwIP walks on from.
 *   tcp-badopt      TCP (not fragmented): an option kind other than
 *                   end-of-list or no-op in the last byte of the options
 *                   (RFC 9293, 3.2): tcp_parseopt reads its length byte
 *                   past the header before checking (an lwIP 2.1.3 bug;
 *                   lwIP parses the options of every segment).  A TCP
 *                   header split across fragments is not looked at.
 *
 * One lwIP 2.1.3 bug is guarded against after the fact.  With the peer's
 * window at zero, lwIP's persist timer probes with the first byte (or the
 * FIN) of its unsent queue; when the peer acknowledges that byte and
 * keeps the window shut, tcp_receive frees the segment from the unsent
 * queue but leaves the persist timer running, and the next tcp_slowtmr
 * fails LWIP_ASSERT("persist ticking with empty send buffer"): any peer
 * of a TCP service could panic the kernel.  So after lwIP has handled a
 * packet that may carry TCP, the IP handlers stop the persist timer of
 * every connection left with nothing to send (what tcp_output does when
 * the window opens), counted as
 *
 *   tcp-persist-stopped   (`netstat -s` line "lwip: guard ...")
 *
 * Found by tests/fuzz/fuzz_frames.c; the input that panicked is
 * tests/fuzz/corpus/fuzz_frames/regress-tcp-persist-empty.
 *
 * The handlers run with the lwIP core lock.  A frame becomes a
 * pbuf_custom over the driver's rx buffer (no copy): the pbuf_custom lives
 * in the mbuf's upper-layer scratch (m_upper(), net/netisr/mbuf.h), and
 * freeing the pbuf frees the mbuf, which returns the buffer to its queue.
 * A frame over several buffers (an mbuf chain: a large TCP segment the
 * device merged, GUEST_TSO) becomes a pbuf chain the same way, one
 * pbuf_custom per buffer; lwIP takes a segment of up to 65,535 bytes
 * (its u16 tot_len), and a chain over that, or whose lengths do not add
 * up to m_pkthdr.len, is dropped (`no-pbuf`).  The checks below read the
 * headers in the first buffer only (m_len) and compare the lengths the
 * headers claim with the whole frame (m_pkthdr.len).  When the interface
 * says its ring is running low (if_rx_scarce(): lwIP holds too many
 * buffers, e.g. in TCP's out-of-order queue), or an mbuf has no scratch,
 * the frame is copied into pool pbufs (a chain of them for a large
 * segment) instead and every buffer goes back at once.
 *
 * Locking: every handler takes the core lock and checks its packet under
 * it.  The counters in lwipg_stats are written under the core lock.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/netisr/netisr.h"
#include "net/netisr/netisr_flow.h"

/* RFC 826: the ARP header for Ethernet and IPv4. */
#define ARP_HDR_LEN		28
#define ARP_HRD_ETHER		1	/* ar_hrd: Ethernet */
#define ARP_PRO_IP		0x0800	/* ar_pro: IPv4 */
#define ARP_HLN_ETHER		6	/* ar_hln */
#define ARP_PLN_IP		4	/* ar_pln */
#define ARP_HRD_OFF		0
#define ARP_PRO_OFF		2
#define ARP_HLN_OFF		4
#define ARP_PLN_OFF		5

/* RFC 791, 3.1: the IPv4 header. */
#define IP4_HDR_MIN		20
#define IP4_VERSION		4
#define IP4_LEN_OFF		2	/* total length */
#define IP4_PROTO_OFF		9	/* protocol */

/* RFC 8200, 3: the IPv6 header. */
#define IP6_HDR_LEN		40
#define IP6_VERSION		6
#define IP6_PLEN_OFF		4	/* payload length */
#define IP6_NXT_OFF		6	/* next header */

/* RFC 8200, 4: the extension headers ip6_input walks. */
#define IP6_NXT_HOPOPTS		0
#define IP6_NXT_ROUTING		43
#define IP6_NXT_FRAGMENT	44
#define IP6_NXT_DSTOPTS		60
#define IP6_EXT_MIN		2	/* next header, header length */
#define IP6_EXT_UNIT		8	/* header length counts 8 octets ... */
#define IP6_FRAG_HLEN		8	/* the fragment header */
#define IP6_FRAG_OFF_OFF	2	/* fragment offset and M flag */
#define IP6_FRAG_OFF_MASK	0xfff8

/* RFC 9293, 3.1-3.2: the TCP header and the options lwIP parses. */
#define TCP_HDR_MIN		20
#define TCP_DOFF_OFF		12	/* data offset, in 32-bit words */
#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_MSS		2
#define TCPOPT_WS		3
#define TCPOPT_SACK_PERM	4
#define TCPOLEN_MSS		4
#define TCPOLEN_WS		3
#define TCPOLEN_SACK_PERM	2
#define TCPOLEN_MIN		2	/* kind and length */
#define IP4_FRAG_OFF		6	/* flags and fragment offset */
#define IP4_FRAG_MASK		0x3fff	/* MF and the offset */
#define IP4_OFFSET_MASK		0x1fff	/* fragment offset, no flags */
#define UDP_HDR_MIN		8	/* RFC 768 */
#define UDP_PORTS_LEN		4	/* source and destination port */
#define IP4_DST_OFF		16	/* destination address */

/* IANA protocol numbers. */
#define IPPROTO_TCP_NUM		6
#define IPPROTO_UDP_NUM		17
#define IPPROTO_ICMPV6_NUM	58

_Static_assert(sizeof(struct pbuf_custom) <= M_UPPER_LEN,
    "pbuf_custom fits the mbuf's upper-layer scratch");

static inline uint32_t
be16_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Frees m and counts it in *counter.  Core lock held. */
static bool
input_drop(struct mbuf *m, uint64_t *counter)
{
	(*counter)++;
	m_freem(m);
	return false;
}

/*
 * Whether m holds an ARP header for Ethernet and IPv4, all that
 * etharp_input handles (and reads without checking).  Core lock held.
 * Returns false with m freed and counted if not.
 */
static bool
arp_valid(struct mbuf *m)
{
	const uint8_t *a = m->m_data;

	if (m->m_len < ARP_HDR_LEN)
		return input_drop(m, &lwipg_stats.ls_arp_toosmall);
	if (be16_at(a + ARP_HRD_OFF) != ARP_HRD_ETHER ||
	    be16_at(a + ARP_PRO_OFF) != ARP_PRO_IP ||
	    a[ARP_HLN_OFF] != ARP_HLN_ETHER || a[ARP_PLN_OFF] != ARP_PLN_IP)
		return input_drop(m, &lwipg_stats.ls_arp_badformat);
	return true;
}

/*
 * Whether lwIP's tcp_parseopt, walking the options of the TCP segment at
 * tcp (len bytes, avail of them in the first buffer), reads only inside
 * them: it stops where it does, and the one read it does not check first
 * is an option's length byte.  A header lwIP drops anyway (too short,
 * bad data offset) passes; one not whole in the first buffer (a chain
 * split inside it; the driver never makes one) is refused.
 */
static bool
tcp_opts_valid(const uint8_t *tcp, uint32_t len, uint32_t avail)
{
	uint32_t end, i, olen, want;
	uint8_t kind;

	if (len < TCP_HDR_MIN)
		return true;
	if (avail < TCP_HDR_MIN)
		return false;	/* split across buffers: not looked at */
	end = (uint32_t)(tcp[TCP_DOFF_OFF] >> 4) * 4;
	if (end < TCP_HDR_MIN || end > len)
		return true;
	if (end > avail)
		return false;	/* options split across buffers */
	for (i = TCP_HDR_MIN; i < end; ) {
		kind = tcp[i++];
		if (kind == TCPOPT_EOL)
			return true;
		if (kind == TCPOPT_NOP)
			continue;
		if (i == end)
			return false;	/* no length byte */
		olen = tcp[i++];
		switch (kind) {
		case TCPOPT_MSS:
			want = TCPOLEN_MSS;
			break;
		case TCPOPT_WS:
			want = TCPOLEN_WS;
			break;
		case TCPOPT_SACK_PERM:
			want = TCPOLEN_SACK_PERM;
			break;
		default:
			if (olen < TCPOLEN_MIN)
				return true;	/* lwIP stops */
			i += olen - TCPOLEN_MIN;
			continue;
		}
		if (olen != want || i - TCPOLEN_MIN + want > end)
			return true;		/* lwIP stops */
		i += want - TCPOLEN_MIN;
	}
	return true;
}

/*
 * Whether m holds an IPv4 header whose lengths agree with the frame (and
 * TCP options lwIP can walk).  Core lock held.  Returns false with m
 * freed and counted if not.
 */
static bool
ip4_valid(const struct lwipg_if *lif, struct mbuf *m)
{
	const uint8_t *ip = m->m_data;
	uint32_t hlen, len, avail;

	if (m->m_len < IP4_HDR_MIN)
		return input_drop(m, &lwipg_stats.ls_ip_toosmall);
	if ((ip[0] >> 4) != IP4_VERSION)
		return input_drop(m, &lwipg_stats.ls_ip_badvers);
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > m->m_len)
		return input_drop(m, &lwipg_stats.ls_ip_badhlen);
	len = be16_at(ip + IP4_LEN_OFF);
	if (len < hlen)
		return input_drop(m, &lwipg_stats.ls_ip_badlen);
	if (len > m->m_pkthdr.len)
		return input_drop(m, &lwipg_stats.ls_ip_tooshort);
	avail = (len < m->m_len ? len : m->m_len) - hlen;
	if (ip[IP4_PROTO_OFF] == IPPROTO_TCP_NUM &&
	    (be16_at(ip + IP4_FRAG_OFF) & IP4_FRAG_MASK) == 0 &&
	    !tcp_opts_valid(ip + hlen, len - hlen, avail))
		return input_drop(m, &lwipg_stats.ls_tcp_badopt);
	/*
	 * lwIP 2.1.3's ip4_input reads a UDP packet's destination port (for
	 * DHCP) before anyone checked it is there, when the packet is not
	 * for us, and before reassembly, so for any fragment.  A first
	 * fragment or whole datagram of UDP carries at least the 8-byte
	 * header, and a fragment not addressed to us at least the 4 bytes of
	 * ports, or it is dropped here.
	 */
	if (ip[IP4_PROTO_OFF] == IPPROTO_UDP_NUM &&
	    (((be16_at(ip + IP4_FRAG_OFF) & IP4_OFFSET_MASK) == 0 &&
	    len - hlen < UDP_HDR_MIN) || (len - hlen < UDP_PORTS_LEN &&
	    memcmp(ip + IP4_DST_OFF, &netif_ip4_addr(&lif->lif_netif)->addr,
	    sizeof(uint32_t)) != 0)))
		return input_drop(m, &lwipg_stats.ls_udp_toosmall);
	return true;
}

/*
 * Whether m holds an IPv6 header, the payload it announces and, in that
 * payload, the length byte of every extension header ip6_input reads
 * before checking (see the top), and TCP options lwIP can walk.  Core
 * lock held.  Returns false with m freed and counted if not.
 */
static bool
ip6_valid(struct mbuf *m)
{
	const uint8_t *ip = m->m_data;
	uint32_t off = IP6_HDR_LEN, end, avail;
	bool frag = false;
	uint8_t nxt;

	if (m->m_len < IP6_HDR_LEN)
		return input_drop(m, &lwipg_stats.ls_ip6_toosmall);
	if ((ip[0] >> 4) != IP6_VERSION)
		return input_drop(m, &lwipg_stats.ls_ip6_badvers);
	end = IP6_HDR_LEN + be16_at(ip + IP6_PLEN_OFF);
	if (end > m->m_pkthdr.len)
		return input_drop(m, &lwipg_stats.ls_ip6_tooshort);
	/* The walk reads the first buffer only (the whole of a frame that
	 * is one); an extension header split from it is refused. */
	avail = end < m->m_len ? end : m->m_len;
	for (nxt = ip[IP6_NXT_OFF]; off <= end; ) {
		switch (nxt) {
		case IP6_NXT_HOPOPTS:
		case IP6_NXT_ROUTING:
		case IP6_NXT_DSTOPTS:
			if (end - off < IP6_EXT_MIN || off > avail ||
			    avail - off < IP6_EXT_MIN)
				return input_drop(m,
				    &lwipg_stats.ls_ip6_badext);
			nxt = ip[off];
			off += IP6_EXT_UNIT * (1 + (uint32_t)ip[off + 1]);
			break;
		case IP6_NXT_FRAGMENT:
			/* lwIP checks this one; later fragments end here. */
			if (end - off < IP6_FRAG_HLEN)
				return true;
			if (off > avail || avail - off < IP6_FRAG_HLEN)
				return input_drop(m,
				    &lwipg_stats.ls_ip6_badext);
			if ((be16_at(ip + off + IP6_FRAG_OFF_OFF) &
			    IP6_FRAG_OFF_MASK) != 0)
				return true;
			nxt = ip[off];
			off += IP6_FRAG_HLEN;
			frag = true;
			break;
		case IPPROTO_TCP_NUM:
			if (!frag && !tcp_opts_valid(ip + off, end - off,
			    off < avail ? avail - off : 0))
				return input_drop(m,
				    &lwipg_stats.ls_tcp_badopt);
			return true;
		default:
			return true;	/* upper layer: it checks lengths */
		}
	}
	return true;		/* past the end: ip6_input drops it */
}

/*
 * The lwIP 2.1.3 guard (see the top): stops the persist timer of every
 * connection whose unsent queue an ACK emptied.  Core lock held.
 */
static void
tcp_persist_guard(void)
{
	struct tcp_pcb *pcb;

	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next)
		if (pcb->persist_backoff != 0 && pcb->unsent == NULL) {
			pcb->persist_backoff = 0;
			lwipg_stats.ls_tcp_persist_stopped++;
		}
}

static void
rx_pbuf_free(struct pbuf *p)
{
	m_freem(m_from_upper(p));	/* the pbuf_custom is the scratch */
}

/* Whether p, a custom pbuf, is an rx pbuf of this instance's handlers. */
bool
lwipg_rx_pbuf_mine(const struct pbuf *p)
{
	return ((const struct pbuf_custom *)p)->custom_free_function ==
	    rx_pbuf_free;
}

/*
 * Copies m's chain into a pool pbuf chain and frees m (every buffer goes
 * back).  PBUF_LINK, not PBUF_RAW: a reply may reuse this pbuf (UDP echo
 * does), and ethernet_output must find room for the link header in front
 * of the IP header.  Core lock held.  Returns NULL (counted) if the pool
 * is empty.
 */
static struct pbuf *
mbuf_copy_pbuf(struct mbuf *m, u16_t tot)
{
	struct pbuf *p;
	struct mbuf *n;
	u16_t off = 0;

	p = pbuf_alloc(PBUF_LINK, tot, PBUF_POOL);
	for (n = m; p != NULL && n != NULL && off < tot; n = n->m_next) {
		u16_t len = (u16_t)(n->m_len < (u32_t)(tot - off) ? n->m_len :
		    (u32_t)(tot - off));

		if (pbuf_take_at(p, n->m_data, len, off) != ERR_OK) {
			pbuf_free(p);
			p = NULL;
		}
		off = (u16_t)(off + len);
	}
	m_freem(m);
	if (p == NULL) {
		lwipg_stats.ls_no_pbuf++;
		LINK_STATS_INC(link.memerr);
		LINK_STATS_INC(link.drop);
	} else
		lwipg_stats.ls_copied++;
	return p;
}

/*
 * Wraps m as a pbuf: in place, or copied when buffers are scarce.  A
 * chain (a large segment over several rx buffers) becomes a pbuf chain,
 * one pbuf_custom per buffer in that buffer's scratch, each freeing only
 * its own buffer: the mbufs are unlinked first, since lwIP frees or
 * trims the pbufs of a chain one by one (pbuf_realloc, the TCP queues).
 * Core lock held.  Returns NULL (m freed, counted) if no pbuf could be
 * had.
 */
static struct pbuf *
mbuf_to_pbuf(struct mbuf *m)
{
	struct pbuf_custom *pc;
	struct pbuf *head = NULL, *prev = NULL, *p;
	struct mbuf *n, *next;
	uint32_t tot = 0;
	bool upper = true;

	LINK_STATS_INC(link.recv);
	for (n = m; n != NULL; n = n->m_next) {
		if (n->m_len > UINT16_MAX || (n != m && n->m_len == 0))
			break;
		tot += n->m_len;
		if (tot > UINT16_MAX)
			break;
		if (!(n->m_flags & M_UPPER))
			upper = false;
	}
	if (n != NULL || tot != m->m_pkthdr.len) {
		/* More than a pbuf holds, or a chain that does not add up. */
		m_freem(m);
		lwipg_stats.ls_no_pbuf++;
		LINK_STATS_INC(link.drop);
		return NULL;
	}
	if (!upper || if_rx_scarce(m))
		return mbuf_copy_pbuf(m, (u16_t)tot);
	for (n = m; n != NULL; n = next) {
		next = n->m_next;
		n->m_next = NULL;
		pc = m_upper(n);
		pc->custom_free_function = rx_pbuf_free;
		p = pbuf_alloced_custom(PBUF_RAW, (u16_t)n->m_len, PBUF_REF, pc,
		    n->m_data, (u16_t)n->m_len);
		p->tot_len = (u16_t)tot;
		tot -= n->m_len;
		if (prev != NULL)
			prev->next = p;
		else
			head = p;
		prev = p;
	}
	lwipg_stats.ls_zero_copy++;
	return head;
}

/*
 * The instance's interface m arrived on, or NULL (m freed, counted) if
 * m's rcvif is not one of this instance's: the debug check against a
 * frame handed to the wrong instance.  Core lock held.
 */
static struct lwipg_if *
input_if(struct mbuf *m)
{
	struct lwipg_if *lif = lwipg_if_of(ifnet_byindex(m->m_pkthdr.rcvif));

	if (lif == NULL) {
		KASSERT(false, ("lwip: vnet %u got a frame of another "
		    "instance's interface", lwipg_vnet));
		input_drop(m, &lwipg_stats.ls_foreign);
	}
	return lif;
}

/* The handlers' bodies, core lock held. */
static void
arp_input_locked(struct mbuf *m)
{
	struct lwipg_if *lif;
	struct pbuf *p;

	if ((lif = input_if(m)) != NULL && arp_valid(m)) {
		if (lwipg_arp_conflict(lif, m->m_data, m->m_len))
			m_freem(m);		/* counted, logged once */
		else if ((p = mbuf_to_pbuf(m)) != NULL)
			etharp_input(p, &lif->lif_netif);
	}
}

static void
ip_input_locked(struct mbuf *m)
{
	struct lwipg_if *lif;
	struct pbuf *p;
	bool trusted, tcp;

	if ((lif = input_if(m)) != NULL && ip4_valid(lif, m)) {
		tcp = ((const uint8_t *)m->m_data)[IP4_PROTO_OFF] ==
		    IPPROTO_TCP_NUM;
		if (tcp)
			lwipg_syn_guard(m->m_data, m->m_len, false);
		trusted = lwipg_csum_rx_begin(lif, m, false);
		if ((p = mbuf_to_pbuf(m)) != NULL)
			ip4_input(p, &lif->lif_netif);
		lwipg_csum_rx_end(lif, trusted);
		if (tcp)
			tcp_persist_guard();
	}
}

static void
ip6_input_locked(struct mbuf *m)
{
	struct lwipg_if *lif;
	struct pbuf *p;
	bool trusted, tcp;
	uint8_t nxt;

	if ((lif = input_if(m)) != NULL && ip6_valid(m)) {
		/* TCP, or extension headers that may lead to it. */
		nxt = ((const uint8_t *)m->m_data)[IP6_NXT_OFF];
		tcp = nxt != IPPROTO_UDP_NUM && nxt != IPPROTO_ICMPV6_NUM;
		if (tcp)
			lwipg_syn_guard(m->m_data, m->m_len, true);
		trusted = lwipg_csum_rx_begin(lif, m, true);
		if ((p = mbuf_to_pbuf(m)) != NULL)
			ip6_input(p, &lif->lif_netif);
		lwipg_csum_rx_end(lif, trusted);
		if (tcp)
			tcp_persist_guard();
	}
}

/*
 * n packets under one hold of the core lock: what lwIP sends in reply
 * (ACKs, echoed data, the segments an ACK releases) is coalesced by
 * lwipg_tso.c across the whole batch and leaves when the lock drops.
 */
static void
input_batch(void (*fn)(struct mbuf *), struct mbuf **ms, unsigned n)
{
	unsigned i;

	lwipg_core_lock();
	lwipg_stats.ls_in_batches++;
	lwipg_stats.ls_in_batched += n;
	if (n > lwipg_stats.ls_in_batch_max)
		lwipg_stats.ls_in_batch_max = n;
	for (i = 0; i < n; i++)
		fn(ms[i]);
	lwipg_core_unlock();
}

void
lwipg_arp_input(struct mbuf *m)
{
	lwipg_core_lock();
	arp_input_locked(m);
	lwipg_core_unlock();
}

void
lwipg_ip_input(struct mbuf *m)
{
	lwipg_core_lock();
	ip_input_locked(m);
	lwipg_core_unlock();
}

void
lwipg_ip6_input(struct mbuf *m)
{
	lwipg_core_lock();
	ip6_input_locked(m);
	lwipg_core_unlock();
}

void
lwipg_arp_input_batch(struct mbuf **ms, unsigned n)
{
	input_batch(arp_input_locked, ms, n);
}

void
lwipg_ip_input_batch(struct mbuf **ms, unsigned n)
{
	input_batch(ip_input_locked, ms, n);
}

void
lwipg_ip6_input_batch(struct mbuf **ms, unsigned n)
{
	input_batch(ip6_input_locked, ms, n);
}

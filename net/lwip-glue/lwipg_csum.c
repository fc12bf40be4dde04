/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_csum.c: checksum offload between lwIP and the interface
 * (its IFCAP_TXCSUM and IFCAP_RXCSUM capabilities, net/if/if.h; on
 * virtio-net those are VIRTIO_NET_F_CSUM and VIRTIO_NET_F_GUEST_CSUM).
 *
 * lwIP decides per netif (LWIP_CHECKSUM_CTRL_PER_NETIF) which checksums
 * it generates and checks.  We turn off what the negotiated features do
 * for us:
 *
 * - Transmit, VIRTIO_NET_F_CSUM: lwIP stops computing TCP checksums (IPv4
 *   and IPv6).  For each TCP frame linkoutput asks the device for
 *   NEEDS_CSUM, with csum_start at the TCP header and csum_offset 16, and
 *   puts the pseudo-header sum into the checksum field, which is what the
 *   device adds the segment's sum to (virtio 1.1, 5.1.6.2).  UDP stays in
 *   software: its replies are small, and a computed zero must go out as
 *   0xffff, which a device completing a partial sum does not promise.
 * - Receive, VIRTIO_NET_F_GUEST_CSUM: a frame the device marked
 *   DATA_VALID, or whose NEEDS_CSUM the driver completed, has a good
 *   TCP/UDP checksum.  For that frame only, the input handler clears
 *   lwIP's CHECK_TCP and CHECK_UDP, then restores them.  IPv4 fragments
 *   and IPv6 packets with extension headers keep lwIP's check: the mark
 *   covers the frame, not a reassembled datagram.
 *
 * IP header checksums stay with lwIP (20 bytes, and the device has no
 * offload for them).
 *
 * Locking: everything here runs under the lwIP core lock; the netif's
 * checksum flags are only changed while it is held, so no other lwIP
 * entry sees the temporary receive setting.
 */
#include <stddef.h>

#include "lwip/netif.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/netisr/mbuf.h"

#define ETHER_HDR_LEN		14
#define ETHER_TYPE_OFF		12
#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define IP4_HDR_MIN		20
#define IP4_FRAG_MASK		0x3fff	/* MF and the fragment offset */
#define IP6_HDR_LEN		40
#define IPPROTO_TCP_NUM		6
#define IPPROTO_UDP_NUM		17
#define TCP_HDR_MIN		20
#define TCP_CSUM_OFF		16	/* checksum field in the TCP header */

static inline uint32_t
be16_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Ones' complement sum of n bytes (n even), not folded. */
static uint32_t
sum_words(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i < n; i += 2)
		sum += be16_at(p + i);
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Sets lif's checksum control from its interface's capabilities; the
 * result is also lif_csum_base, what lwIP does itself when no per-frame
 * exception applies.  Core lock held.
 */
void
lwipg_csum_setup(struct lwipg_if *lif)
{
	uint16_t flags = NETIF_CHECKSUM_ENABLE_ALL;

	if (lif->lif_ifp->if_capabilities & IFCAP_TXCSUM)
		flags &= (uint16_t)~NETIF_CHECKSUM_GEN_TCP;
	lif->lif_csum_base = flags;
	NETIF_SET_CHECKSUM_CTRL(&lif->lif_netif, flags);
}

/* lif's device checks what lwIP would, for `what` (NETIF_CHECKSUM_*). */
bool
lwipg_csum_offloaded(const struct lwipg_if *lif, uint16_t what)
{
	if (what & (NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP))
		return (lif->lif_ifp->if_capabilities & IFCAP_RXCSUM) != 0;
	return (lif->lif_csum_base & what) == 0;
}

/*
 * Transmit: if p is a TCP frame whose checksum lwIP left to the device,
 * writes the pseudo-header sum into it, fills *c and returns true.  The
 * headers are in p's first pbuf (lwIP builds TCP segments that way); a
 * frame where they are not is counted, and goes out as it is.
 */
bool
lwipg_csum_tx(const struct lwipg_if *lif, struct pbuf *p,
    struct if_tx_csum *c)
{
	uint8_t *f = p->payload;
	uint32_t sum, l4len;
	size_t l3;

	if (lif->lif_csum_base & NETIF_CHECKSUM_GEN_TCP)
		return false;
	if (p->len < ETHER_HDR_LEN + IP4_HDR_MIN)
		return false;
	switch (be16_at(f + ETHER_TYPE_OFF)) {
	case ETHERTYPE_IP:
		l3 = (size_t)(f[ETHER_HDR_LEN] & 0x0f) * 4;
		if (f[ETHER_HDR_LEN + 9] != IPPROTO_TCP_NUM)
			return false;
		if (be16_at(f + ETHER_HDR_LEN + 6) & IP4_FRAG_MASK)
			goto unparsed;	/* lwIP does not fragment TCP */
		if (l3 < IP4_HDR_MIN || be16_at(f + ETHER_HDR_LEN + 2) < l3 ||
		    p->len < ETHER_HDR_LEN + l3 + TCP_HDR_MIN)
			goto unparsed;
		l4len = be16_at(f + ETHER_HDR_LEN + 2) - (uint32_t)l3;
		sum = sum_words(f + ETHER_HDR_LEN + 12, 8, 0);
		break;
	case ETHERTYPE_IPV6:
		l3 = IP6_HDR_LEN;
		if (p->len < ETHER_HDR_LEN + IP6_HDR_LEN)
			return false;
		if (f[ETHER_HDR_LEN + 6] != IPPROTO_TCP_NUM)
			return false;	/* lwIP's TCP has no extension headers */
		if (p->len < ETHER_HDR_LEN + l3 + TCP_HDR_MIN)
			goto unparsed;
		l4len = be16_at(f + ETHER_HDR_LEN + 4);
		sum = sum_words(f + ETHER_HDR_LEN + 8, 32, 0);
		break;
	default:
		return false;
	}
	sum += IPPROTO_TCP_NUM + (l4len >> 16) + (l4len & 0xffff);
	sum = fold(sum);
	f[ETHER_HDR_LEN + l3 + TCP_CSUM_OFF] = (uint8_t)(sum >> 8);
	f[ETHER_HDR_LEN + l3 + TCP_CSUM_OFF + 1] = (uint8_t)sum;
	*c = (struct if_tx_csum){
		.itc_start = (uint16_t)(ETHER_HDR_LEN + l3),
		.itc_offset = TCP_CSUM_OFF,
		.itc_gso = IF_GSO_NONE,
	};
	lwipg_stats.ls_tx_csum_offload++;
	return true;

unparsed:
	lwipg_stats.ls_tx_csum_unparsed++;
	return false;
}

/*
 * Receive: before lwIP sees m (IPv4 if !v6), stop it checking TCP/UDP
 * checksums the device or driver vouched for.  Returns whether it did;
 * pass that to lwipg_csum_rx_end() after the input call.
 */
bool
lwipg_csum_rx_begin(struct lwipg_if *lif, const struct mbuf *m, bool v6)
{
	const uint8_t *ip = m->m_data;
	unsigned proto;

	if (!(m->m_pkthdr.csum_flags & CSUM_DATA_VALID))
		return false;
	if (!v6) {
		if (m->m_len < IP4_HDR_MIN ||
		    (be16_at(ip + 6) & IP4_FRAG_MASK) != 0)
			return false;
		proto = ip[9];
	} else {
		if (m->m_len < IP6_HDR_LEN)
			return false;
		proto = ip[6];
	}
	if (proto != IPPROTO_TCP_NUM && proto != IPPROTO_UDP_NUM)
		return false;
	NETIF_SET_CHECKSUM_CTRL(&lif->lif_netif, lif->lif_csum_base &
	    (uint16_t)~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP));
	lwipg_stats.ls_rx_csum_trusted++;
	return true;
}

void
lwipg_csum_rx_end(struct lwipg_if *lif, bool began)
{
	if (began)
		NETIF_SET_CHECKSUM_CTRL(&lif->lif_netif, lif->lif_csum_base);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_guard.c: two defences the input handlers apply before lwIP sees
 * a packet, against input that is well formed but hostile.
 *
 * ARP address conflicts.  A frame in which another station claims the
 * guest's own IPv4 address (a gratuitous ARP, or a request or reply with
 * our address as its sender) would make lwIP 2.1.3 cache a neighbour
 * entry for its own address.  It is dropped, counted (`rx-drop
 * arp-conflict`) and logged once with the claimant's MAC; later ones are
 * only counted.
 *
 * SYN floods.  lwIP gives a half-open connection (SYN_RCVD) a PCB from a
 * fixed pool (MEMP_NUM_TCP_PCB) for up to 20 s, and when the pool is
 * empty it frees only TIME_WAIT, LAST_ACK, CLOSING or lower-priority
 * PCBs: a few thousand SYNs from made-up sources would lock every new
 * connection out until their timers ran.  So when a SYN arrives and the
 * pool has fewer than LWIPG_SYN_RESERVE PCBs left, the oldest half-open
 * connection is dropped to make room (without a RST: its peer is likely
 * made up), like a SYN cache evicting its oldest entry, and counted
 * (`guard syn-evicted`).  The walk is over at most MEMP_NUM_TCP_PCB
 * entries and happens only under that pressure.
 *
 * Locking: called from the ARP, IP and IPv6 handlers with the lwIP core
 * lock held; the counters are lwipg_stats', written under it.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/libc.h"
#include "lwip/etharp.h"
#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ethernet.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg.h"

#define LWIPG_SYN_RESERVE	8	/* PCBs kept free for new connections */
#define LWIPG_SYN_HALF_OPEN_MAX	16	/* half-open connections at most */
#define ARP_OFF_SHA		8	/* sender hardware address (RFC 826) */
#define ARP_OFF_SPA		14	/* sender protocol address */
#define ARP_MIN_LEN		28
#define IPV4_OFF_PROTO		9
#define IPV4_OFF_FRAG		6
#define IPV4_FRAG_OFFSET	0x1fff	/* in 8-byte units */
#define IPV6_OFF_NEXT		6
#define IPV6_HLEN		40
#define IPPROTO_TCP_NUM		6
#define TCP_OFF_FLAGS		13
#define TCP_MIN_LEN		20
#define TCP_FLAG_SYN		0x02
#define TCP_FLAG_ACK		0x10

/* True (and counted, logged once) if arp, len bytes, claims lif's address
 * from another MAC: the caller drops it. */
bool
lwipg_arp_conflict(const struct lwipg_if *lif, const uint8_t *arp,
    uint32_t len)
{
	const ip4_addr_t *ours = netif_ip4_addr(&lif->lif_netif);
	const uint8_t *sha = arp + ARP_OFF_SHA;
	ip4_addr_t spa;

	if (len < ARP_MIN_LEN || ip4_addr_isany(ours))
		return false;
	memcpy(&spa.addr, arp + ARP_OFF_SPA, sizeof(spa.addr));
	if (!ip4_addr_cmp(&spa, ours) ||
	    memcmp(sha, lif->lif_netif.hwaddr, ETH_HWADDR_LEN) == 0)
		return false;
	if (lwipg_stats.ls_arp_conflict++ == 0)
		printk("lwip: arp: %s claimed by %02x:%02x:%02x:%02x:%02x:%02x; "
		    "ignored (logged once, counted as rx-drop arp-conflict)\n",
		    ip4addr_ntoa(ours), sha[0], sha[1], sha[2], sha[3], sha[4],
		    sha[5]);
	return true;
}

/* Makes room for a new connection's PCB: see the top.  The walk is
 * bounded by MEMP_NUM_TCP_PCB. */
static void
syn_make_room(void)
{
	struct tcp_pcb *pcb, *oldest = NULL;
	uint32_t age, oldest_age = 0, half_open = 0;

	for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
		if (pcb->state != SYN_RCVD)
			continue;
		half_open++;
		age = tcp_ticks - pcb->tmr;
		if (oldest == NULL || age >= oldest_age) {
			oldest = pcb;
			oldest_age = age;
		}
	}
	if (oldest == NULL || (half_open < LWIPG_SYN_HALF_OPEN_MAX &&
	    lwip_stats.memp[MEMP_TCP_PCB]->used + LWIPG_SYN_RESERVE <
	    lwip_stats.memp[MEMP_TCP_PCB]->avail))
		return;
	lwipg_stats.ls_syn_evicted++;
	tcp_abandon(oldest, 0);
}

/* Called with a validated IPv4 (v6 false) or IPv6 header at ip. */
void
lwipg_syn_guard(const uint8_t *ip, uint32_t len, bool v6)
{
	uint32_t hlen;
	uint8_t proto;

	if (v6) {
		hlen = IPV6_HLEN;
		proto = ip[IPV6_OFF_NEXT];	/* no extension headers here */
	} else {
		/* Only a first fragment (or a whole datagram) has the header. */
		if (((ip[IPV4_OFF_FRAG] << 8 | ip[IPV4_OFF_FRAG + 1]) &
		    IPV4_FRAG_OFFSET) != 0)
			return;
		hlen = (uint32_t)(ip[0] & 0x0f) * 4;
		proto = ip[IPV4_OFF_PROTO];
	}
	if (proto != IPPROTO_TCP_NUM || len < hlen + TCP_MIN_LEN)
		return;
	if ((ip[hlen + TCP_OFF_FLAGS] & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
	    TCP_FLAG_SYN)
		syn_make_room();
}

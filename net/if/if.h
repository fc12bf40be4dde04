/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * if.h: the network interface layer (after FreeBSD's struct ifnet): the
 * one seam between NIC drivers and the stack above them.
 *
 * A driver fills a struct ifnet (name, MAC, MTU, capabilities, queues,
 * link state) and a const struct ifnet_ops, and registers it with
 * if_attach(), which gives it an index (1, 2, ...).  From then on the
 * calls go one way each:
 *
 *   driver -> if:     if_input_batch(ifp, ms, n) for a poll's received
 *                     frames (if_input(ifp, m) for one), and
 *                     if_link_state_change(ifp, up) from its link poller;
 *   stack  -> if:     ifnet_byindex(), ifnet_foreach(), if_up(),
 *                     if_set_link_handler() (one handler, the stack's),
 *                     if_transmit(), if_rx_scarce(), if_print_stats();
 *   if     -> driver: only through ifp->if_ops;
 *   if     -> stack:  netisr (NETISR_ETHER, if_ethersubr.c) and the link
 *                     handler.
 *
 * So the stack never sees a driver's types, and a driver never sees the
 * stack's.  Input stamps m_pkthdr.rcvif (the index) and m_pkthdr.vnet
 * (the interface's virtual network stack, 0 for now) and dispatches the
 * frame into netisr as NETISR_ETHER; the Ethernet handler demultiplexes
 * it (if_ethersubr.c).  A driver delivers frames only once the stack has
 * called if_up(): before that it counts and recycles them itself.
 *
 * Transmit takes a driver-neutral list of segments, an optional checksum
 * request and a flow id that picks the queue: IF_FLOWID_CURCPU means the
 * calling CPU's own queue (cpu mod nqueues, net/netisr/rss.h), anything
 * else a flow hash, sent on the queue of the CPU that owns the flow.
 *
 * Locking: if_attach() runs at boot on CPU 0 before any reader; the
 * table is read without a lock afterwards (an index is published with a
 * release store after its ifnet is complete).  Fields set at attach are
 * read-only afterwards, except if_flags (atomic), if_link_up and
 * if_link_changes (written by the driver's link poller on CPU 0 through
 * if_link_state_change()) and if_iqdrops (atomic).
 */
#ifndef NET_IF_IF_H
#define NET_IF_IF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netisr/mbuf.h"

#define IF_MAX			8	/* interfaces, indexes 1..IF_MAX */
#define IF_NAMESIZE		16
#define IF_ETHER_ADDR_LEN	6
#define IF_TX_SEGS_MAX		16	/* most segments one transmit takes */
#define IF_FLOWID_CURCPU	UINT32_MAX	/* transmit: this CPU's queue */

/* if_capabilities (FreeBSD's IFCAP_ names and meanings). */
#define IFCAP_RXCSUM		0x0001	/* verifies received L4 checksums */
#define IFCAP_TXCSUM		0x0002	/* completes TCP checksums on send */
#define IFCAP_RSS		0x0004	/* steers flows to queues by hash */
#define IFCAP_HASH		0x0008	/* reports the flow hash per frame */
#define IFCAP_TSO4		0x0010	/* cuts large TCP/IPv4 frames (GSO) */
#define IFCAP_TSO6		0x0020	/* cuts large TCP/IPv6 frames (GSO) */
#define IFCAP_LRO		0x0040	/* reserved: not offered yet */

/* if_flags. */
#define IFF_UP			0x0001	/* the stack takes input */

struct ifnet;

/* One piece of a frame to send; the memory stays the caller's until done. */
struct if_seg {
	const void	*ifs_addr;
	uint32_t	ifs_len;
};

/*
 * Ask the device to checksum from itc_start and store at +itc_offset;
 * with itc_gso (IFCAP_TSO4/6), also to cut the frame into TCP segments
 * of itc_mss payload bytes, each with a copy of the first itc_hdr_len
 * bytes (Ethernet, IP and TCP headers) fixed up, as a NIC's TSO does.
 */
#define IF_GSO_NONE		0
#define IF_GSO_TCPV4		1
#define IF_GSO_TCPV6		2
struct if_tx_csum {
	uint16_t	itc_start;
	uint16_t	itc_offset;
	uint8_t		itc_gso;	/* IF_GSO_* */
	uint16_t	itc_hdr_len;	/* with itc_gso */
	uint16_t	itc_mss;	/* with itc_gso */
};

typedef void if_tx_done_fn(void *arg);
typedef void if_link_fn(struct ifnet *ifp, bool up);

/* What a driver supplies; every entry may be called from any CPU. */
struct ifnet_ops {
	/*
	 * Sends one frame of nsegs (1..if_tx_maxsegs) segments; done(arg)
	 * runs once the device no longer needs them.  Returns 0, or a
	 * negative errno with nothing queued (done not called).
	 */
	int	(*ifo_transmit)(struct ifnet *ifp, const struct if_seg *segs,
		    unsigned nsegs, const struct if_tx_csum *csum,
		    uint32_t flowid, if_tx_done_fn *done, void *arg);
	/*
	 * Whether the stack holds so many of m's queue's rx buffers that it
	 * should copy m and give its buffer back at once (the loan
	 * accounting).  Called on the handler's CPU.
	 */
	bool	(*ifo_rx_scarce)(struct ifnet *ifp, const struct mbuf *m);
	/* `netstat -i`: the interface's rows and counters. */
	void	(*ifo_print_stats)(struct ifnet *ifp);
};

struct ifnet {
	uint16_t		if_index;	/* 1..IF_MAX, set by if_attach */
	uint16_t		if_vnet;	/* its vnet (net/stack/ sets it) */
	char			if_name[IF_NAMESIZE];
	uint8_t			if_mac[IF_ETHER_ADDR_LEN];
	uint16_t		if_mtu;
	uint32_t		if_capabilities;	/* IFCAP_* */
	uint16_t		if_nqueues;	/* rx/tx queue pairs */
	uint16_t		if_tx_maxsegs;	/* <= IF_TX_SEGS_MAX */
	uint32_t		if_flags;	/* IFF_*, atomic */
	bool			if_link_up;
	uint64_t		if_link_changes;
	uint64_t		if_iqdrops;	/* netisr refused the frame */
	const struct ifnet_ops	*if_ops;
	void			*if_softc;	/* the driver's */
	void			*if_stack;	/* the stack's, set at its attach */
};

/* if.c: registration and lookup. */
int	if_attach(struct ifnet *ifp);
struct ifnet *ifnet_byindex(uint16_t index);
unsigned ifnet_count(void);
void	ifnet_foreach(void (*fn)(struct ifnet *ifp, void *arg), void *arg);
void	if_up(struct ifnet *ifp);

/* if.c: the driver's calls. */
void	if_input(struct ifnet *ifp, struct mbuf *m);
void	if_input_batch(struct ifnet *ifp, struct mbuf **ms, unsigned n);
void	if_link_state_change(struct ifnet *ifp, bool up);

/* if.c: the stack's calls. */
void	if_set_link_handler(if_link_fn *fn);
int	if_transmit(struct ifnet *ifp, const struct if_seg *segs,
	    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
	    if_tx_done_fn *done, void *arg);
bool	if_rx_scarce(const struct mbuf *m);
void	if_print_stats(struct ifnet *ifp);

/* Whether the stack takes input (the driver's check, per frame). */
static inline bool
if_is_up(const struct ifnet *ifp)
{
	return (__atomic_load_n(&ifp->if_flags, __ATOMIC_ACQUIRE) &
	    IFF_UP) != 0;
}

/* if_ethersubr.c: the Ethernet input handler (NETISR_ETHER). */
struct ether_stats {
	uint64_t	es_runts;	/* shorter than the 14-byte header */
	uint64_t	es_unknown_type;	/* no handler for the type */
	uint64_t	es_vlan;	/* of those, VLAN-tagged */
};
int	ether_init(void);
int	ether_vnet_attach(unsigned vnet);
void	ether_get_stats(struct ether_stats *es);

#endif /* NET_IF_IF_H */

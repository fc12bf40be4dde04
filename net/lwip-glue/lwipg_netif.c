/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_netif.c: the instance's lwIP netifs, one per network interface
 * (net/if/if.h) of its vnet, in lwipg_ifs[]; netif->state is the struct
 * ifnet and ifp->if_stack the struct lwipg_if.
 *
 * Transmit is zero-copy: linkoutput hands the pbuf chain's segments to
 * if_transmit() with the flow's id (lwipg_tx_flowid: a TCP or UDP flow
 * leaves by the queue that receives it), holding a
 * reference until the device completes them; the completion drops it
 * (under the core lock, which it may already hold when the reclaim runs
 * inside linkoutput).  A chain longer than the interface's segment limit
 * is first flattened into one pbuf.  TCP checksums go to the device when
 * it offers that (see lwipg_csum.c).  The MTU and MAC come from the
 * interface.  Link state follows the interface layer's link handler
 * (if_set_link_handler, through net/stack/), which the driver's link
 * poller drives.
 *
 * Locking: called by lwIP with the core lock held.  lwipg_ifs[0 ..
 * lwipg_nifs) are written at boot on CPU 0 before the interface is up,
 * and read-only afterwards (lif_netif's fields are lwIP's, under the
 * core lock).
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/stats.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/netisr/toeplitz.h"
#include "netif/ethernet.h"

#define LWIPG_HWADDR_LEN	6

struct lwipg_if lwipg_ifs[LWIPG_IFS_MAX];
unsigned lwipg_nifs;
struct lwipg_stats lwipg_stats;

/*
 * This instance's interface over ifp, or NULL if ifp is NULL or belongs
 * to another instance (its if_stack points outside lwipg_ifs).
 */
struct lwipg_if *
lwipg_if_of(const struct ifnet *ifp)
{
	struct lwipg_if *lif;

	if (ifp == NULL)
		return NULL;
	lif = ifp->if_stack;
	if (lif < &lwipg_ifs[0] || lif >= &lwipg_ifs[lwipg_nifs])
		return NULL;
	return lif;
}

struct lwipg_if *
lwipg_if_of_netif(const struct netif *nif)
{
	return lwipg_if_of(nif->state);
}

/*
 * The device is done with p (any CPU, maybe inside linkoutput with the
 * core lock held).  A pbuf that is not this instance's is refused and
 * counted, never freed into the wrong pools.
 */
static void
tx_done(void *arg)
{
	struct pbuf *p = arg;
	bool owned = lwipg_core_owned();

	if (!owned)
		lwipg_core_lock();
	if (lwipg_pbuf_mine(p))
		pbuf_free(p);
	else {
		KASSERT(false, ("lwip: vnet %u: a transmit completion "
		    "returned another instance's pbuf %p", lwipg_vnet, p));
		lwipg_stats.ls_foreign++;	/* leaked, not corrupted */
	}
	if (!owned)
		lwipg_core_unlock();
}

#define LWIPG_ETHER_HDR_LEN	14
#define LWIPG_ETHER_TYPE_OFF	12
#define LWIPG_ETHERTYPE_IP	0x0800
#define LWIPG_ETHERTYPE_IPV6	0x86dd
#define LWIPG_IP4_HDR_MIN	20
#define LWIPG_IP4_PROTO_OFF	9
#define LWIPG_IP4_FRAG_OFF	6
#define LWIPG_IP4_FRAG_MASK	0x3fff	/* MF and the fragment offset */
#define LWIPG_IP4_SRC_OFF	12
#define LWIPG_IP4_DST_OFF	16
#define LWIPG_IP6_HDR_LEN	40
#define LWIPG_IP6_NXT_OFF	6
#define LWIPG_IP6_SRC_OFF	8
#define LWIPG_IP6_DST_OFF	24
#define LWIPG_PORTS_LEN		4
#define LWIPG_IPPROTO_TCP	6
#define LWIPG_IPPROTO_UDP	17

/*
 * The transmit flow id of frame f (len bytes: the headers lwIP builds
 * into a chain's first pbuf): for TCP and UDP, the Toeplitz hash the
 * reply direction gets on receive (addresses and ports swapped), so a
 * flow leaves by the queue of the CPU that takes its input, whichever CPU
 * sends (a timer's retransmission on CPU 0 included), as FreeBSD's vtnet
 * picks the queue from the mbuf's flowid.  Anything else goes out on the
 * sending CPU's queue (IF_FLOWID_CURCPU).  One table lookup per byte.
 */
uint32_t
lwipg_tx_flowid(const uint8_t *f, uint32_t len)
{
	const struct toeplitz_table *t = toeplitz_default();
	const uint8_t *ip = f + LWIPG_ETHER_HDR_LEN;
	uint32_t hlen, h;
	uint16_t ports[2];
	uint8_t proto;

	if (len < LWIPG_ETHER_HDR_LEN + LWIPG_IP4_HDR_MIN)
		return IF_FLOWID_CURCPU;
	switch ((uint32_t)f[LWIPG_ETHER_TYPE_OFF] << 8 |
	    f[LWIPG_ETHER_TYPE_OFF + 1]) {
	case LWIPG_ETHERTYPE_IP:
		hlen = (uint32_t)(ip[0] & 0x0f) * 4;
		proto = ip[LWIPG_IP4_PROTO_OFF];
		if ((proto != LWIPG_IPPROTO_TCP && proto != LWIPG_IPPROTO_UDP) ||
		    ((uint32_t)ip[LWIPG_IP4_FRAG_OFF] << 8 |
		    ip[LWIPG_IP4_FRAG_OFF + 1]) & LWIPG_IP4_FRAG_MASK ||
		    hlen < LWIPG_IP4_HDR_MIN ||
		    len < LWIPG_ETHER_HDR_LEN + hlen + LWIPG_PORTS_LEN)
			return IF_FLOWID_CURCPU;
		memcpy(ports, ip + hlen, sizeof(ports));
		h = toeplitz_ipv4_ports(t, ip + LWIPG_IP4_DST_OFF,
		    ip + LWIPG_IP4_SRC_OFF, ports[1], ports[0]);
		break;
	case LWIPG_ETHERTYPE_IPV6:
		proto = ip[LWIPG_IP6_NXT_OFF];
		if ((proto != LWIPG_IPPROTO_TCP && proto != LWIPG_IPPROTO_UDP) ||
		    len < LWIPG_ETHER_HDR_LEN + LWIPG_IP6_HDR_LEN +
		    LWIPG_PORTS_LEN)
			return IF_FLOWID_CURCPU;
		memcpy(ports, ip + LWIPG_IP6_HDR_LEN, sizeof(ports));
		h = toeplitz_ipv6_ports(t, ip + LWIPG_IP6_DST_OFF,
		    ip + LWIPG_IP6_SRC_OFF, ports[1], ports[0]);
		break;
	default:
		return IF_FLOWID_CURCPU;
	}
	return h == IF_FLOWID_CURCPU ? h - 1 : h;
}

/* Sends frame p on lif as it is (the device may checksum it). */
err_t
lwipg_send(struct lwipg_if *lif, struct pbuf *p)
{
	struct if_seg segs[IF_TX_SEGS_MAX];
	struct if_tx_csum csum;
	struct ifnet *ifp = lif->lif_ifp;
	struct pbuf *q, *flat = NULL;
	unsigned n = 0;
	int err;

	if (pbuf_clen(p) > ifp->if_tx_maxsegs) {
		flat = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (flat == NULL) {
			lwipg_stats.ls_tx_busy++;
			LINK_STATS_INC(link.memerr);
			LINK_STATS_INC(link.drop);
			return ERR_MEM;
		}
		p = flat;
	} else {
		pbuf_ref(p);
	}
	for (q = p; q != NULL; q = q->next)
		if (q->len != 0) {
			segs[n].ifs_addr = q->payload;
			segs[n].ifs_len = q->len;
			n++;
		}
	err = if_transmit(ifp, segs, n,
	    lwipg_csum_tx(lif, p, &csum) ? &csum : NULL,
	    lwipg_tx_flowid(p->payload, p->len), tx_done, p);
	if (err != 0) {
		pbuf_free(p);
		lwipg_stats.ls_tx_busy++;
		LINK_STATS_INC(link.drop);
		return ERR_MEM;
	}
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

/* lwIP's linkoutput: a TCP segment may wait for its neighbours (TSO). */
static err_t
lwipg_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct lwipg_if *lif = lwipg_if_of_netif(nif);

	if (lwipg_tso_output(lif, p)) {
		LINK_STATS_INC(link.xmit);
		return ERR_OK;
	}
	return lwipg_send(lif, p);
}

static err_t
lwipg_netif_setup(struct netif *nif)
{
	struct ifnet *ifp = nif->state;

	nif->name[0] = 'v';
	nif->name[1] = 't';
	nif->mtu = ifp->if_mtu;
#if LWIP_IPV6
	nif->mtu6 = ifp->if_mtu;
#endif
	nif->hwaddr_len = LWIPG_HWADDR_LEN;
	memcpy(nif->hwaddr, ifp->if_mac, LWIPG_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = lwipg_linkoutput;
	return ERR_OK;
}

/* The interface layer's link change for ifp (the driver's poller's CPU,
 * through net/stack/): lwIP follows the carrier of its interface. */
void
lwipg_link_changed(struct ifnet *ifp, bool up)
{
	struct lwipg_if *lif;

	lwipg_core_lock();
	if ((lif = lwipg_if_of(ifp)) != NULL) {
		if (up)
			netif_set_link_up(&lif->lif_netif);
		else
			netif_set_link_down(&lif->lif_netif);
	}
	lwipg_core_unlock();
}

static ip4_addr_t
to_ip4(uint32_t host_order)
{
	ip4_addr_t a;

	IP4_ADDR(&a, host_order >> 24, (host_order >> 16) & 0xff,
	    (host_order >> 8) & 0xff, host_order & 0xff);
	return a;
}

#if LWIP_IPV6
/*
 * Adds ip6=ADDR/N.  Core lock held; the link-local address is already in
 * slot 0, so this one takes slot 1.
 *
 * DAD: the address starts TENTATIVE and goes through duplicate address
 * detection like the link-local one, because RFC 4862 section 5.4 asks
 * for DAD on every unicast address, manual ones included, and a clash
 * should show as "duplicate" in ifconfig rather than break a neighbour
 * silently.  lwIP's nd6_tmr (1 s) sends one NS once the netif and link are
 * up (LWIP_IPV6_DUP_DETECT_ATTEMPTS is 1) and makes it PREFERRED a tick
 * later, so it is usable 1-2 s after link-up; until then lwIP neither
 * answers to it nor sends from it.
 *
 * Lifetimes: IP6_ADDR_LIFE_STATIC (netif_add's default, set again here
 * to say so) means nd6_tmr never ages it: valid and preferred forever.
 *
 * On-link: lwIP 2.1.3 has no per-address prefix length.  Its on-link test
 * (nd6_is_prefix_in_netif) takes the /64 of every valid address with a
 * static lifetime as on-link (RFC 5942), besides fe80::/10 and prefixes
 * from router advertisements.  So with N = 64 the hosts of the subnet
 * are reached directly, replies included (a reply first needs an on-link
 * verdict for its destination, then the neighbour cache).  With N < 64,
 * hosts outside the address's own /64 would be off-link to lwIP and need
 * a router learned from an RA; lwipg_nd6_gw (LWIP_HOOK_ND6_GET_GW) makes
 * the whole /N on-link instead.  With N > 64 the rest of the /64 is still
 * treated as on-link (lwIP asks the hook only about off-link addresses).
 * N is kept in the interface's lwipg_ifcfg and shown by ifconfig.
 */
static int
lwipg_netif_add_ip6_static(struct lwipg_if *lif)
{
	struct netif *nif = &lif->lif_netif;
	ip6_addr_t a;
	s8_t idx;

	_Static_assert(sizeof(a.addr) == LWIPG_IP6_ADDR_LEN,
	    "ip6_addr_t holds 16 bytes");
	memset(&a, 0, sizeof(a));
	memcpy(a.addr, lif->lif_cfg.lc_ip6_addr, sizeof(a.addr)); /* net order */
	if (netif_add_ip6_address(nif, &a, &idx) != ERR_OK || idx < 0)
		return -ENOSPC;
	netif_ip6_addr_set_valid_life(nif, idx, IP6_ADDR_LIFE_STATIC);
	netif_ip6_addr_set_pref_life(nif, idx, IP6_ADDR_LIFE_STATIC);
	return 0;
}

/*
 * LWIP_HOOK_ND6_GET_GW: the next hop for a destination lwIP finds
 * off-link.  A destination inside the static address's /N (N < 64) is on
 * the link, so it is its own next hop; anything else goes to a router
 * (NULL: lwIP's default router selection).  Core lock held.
 */
const ip6_addr_t *
lwipg_nd6_gw(struct netif *nif, const ip6_addr_t *dest)
{
	const struct lwipg_if *lif = lwipg_if_of_netif(nif);
	const struct lwipg_ifcfg *c;
	const uint8_t *d = (const uint8_t *)dest->addr;
	unsigned full, rest;

	if (lif == NULL || !lif->lif_cfg.lc_ip6_static)
		return NULL;
	c = &lif->lif_cfg;
	full = c->lc_ip6_prefix / 8;
	rest = c->lc_ip6_prefix % 8;
	if (memcmp(d, c->lc_ip6_addr, full) != 0)
		return NULL;
	if (rest != 0 && ((d[full] ^ c->lc_ip6_addr[full]) &
	    (uint8_t)(0xff << (8 - rest))) != 0)
		return NULL;
	return dest;
}
#endif

/* Whether lif has (or will get from DHCP) a default gateway. */
static bool
lwipg_has_gw(const struct lwipg_if *lif)
{
	return lif->lif_cfg.lc_dhcp ||
	    (lif->lif_cfg.lc_ip4 && lif->lif_cfg.lc_gw != 0);
}

/*
 * Adds a netif over ifp with cfg's addresses.  The instance's default
 * route is its first interface with a gateway, else its first interface:
 * lwIP sends a packet out of the interface whose subnet holds the
 * destination, else out of the default (ip4_route).  Core lock held;
 * boot, CPU 0.
 */
int
lwipg_netif_init(struct ifnet *ifp, const struct lwipg_ifcfg *cfg)
{
	struct lwipg_if *lif, *dflt;
	struct netif *nif;
	ip4_addr_t ip, mask, gw;
	uint32_t m;

	if (ifp == NULL)
		return -ENODEV;
	if (lwipg_nifs == LWIPG_IFS_MAX)
		return -ENOSPC;
	lif = &lwipg_ifs[lwipg_nifs];
	nif = &lif->lif_netif;
	lif->lif_ifp = ifp;
	lif->lif_cfg = *cfg;
	ip4_addr_set_zero(&ip);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (!cfg->lc_dhcp && cfg->lc_ip4) {
		m = cfg->lc_ip4_prefix == 0 ? 0 :
		    0xffffffffu << (32 - cfg->lc_ip4_prefix);
		ip = to_ip4(cfg->lc_ip4_addr);
		mask = to_ip4(m);
		gw = to_ip4(cfg->lc_gw);
	}
	if (netif_add(nif, &ip, &mask, &gw, ifp, lwipg_netif_setup,
	    netif_input) == NULL)
		return -EIO;
	ifp->if_stack = lif;
	lwipg_nifs++;		/* lwipg_if_of(ifp) finds it from now on */
	lwipg_csum_setup(lif);
	dflt = netif_default != NULL ? lwipg_if_of_netif(netif_default) :
	    NULL;
	if (dflt == NULL || (!lwipg_has_gw(dflt) && lwipg_has_gw(lif)))
		netif_set_default(nif);
#if LWIP_IPV6
	if (cfg->lc_ip6_auto) {
		netif_create_ip6_linklocal_address(nif, 1);
		nif->ip6_autoconfig_enabled = 1;
	}
	if (cfg->lc_ip6_static && lwipg_netif_add_ip6_static(lif) != 0)
		printk("%s: cannot add IPv6 address (no free slot)\n",
		    ifp->if_name);
#endif
	netif_set_up(nif);
	if (ifp->if_link_up)
		netif_set_link_up(nif);
	if (cfg->lc_dhcp)
		dhcp_start(nif);
	return 0;
}

static bool
lwipg_in_pool(memp_t t, const void *x)
{
	const struct memp_desc *d = memp_pools[t];
	const u8_t *base = (const u8_t *)LWIP_MEM_ALIGN(d->base);

	return (const u8_t *)x >= base && (const u8_t *)x < base +
	    (size_t)d->num * (MEMP_SIZE + MEMP_ALIGN_SIZE(d->size));
}

/*
 * The cross-instance debug check: whether p, a pbuf about to be freed
 * by this instance, is this instance's own: from its PBUF_POOL or PBUF
 * (reference) pool, from its heap (PBUF_RAM), or an rx pbuf wrapped by
 * its own input handlers.  A pbuf of another copy would corrupt both
 * copies' pools if freed here.
 */
bool
lwipg_pbuf_mine(const struct pbuf *p)
{
	if (p->flags & PBUF_FLAG_IS_CUSTOM)
		return lwipg_rx_pbuf_mine(p);
	return lwipg_in_pool(MEMP_PBUF_POOL, p) ||
	    lwipg_in_pool(MEMP_PBUF, p) ||
	    ((const u8_t *)p >= lwipg_heap &&
	    (const u8_t *)p < lwipg_heap + LWIPG_HEAP_BYTES);
}

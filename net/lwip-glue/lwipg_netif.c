/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_netif.c: the lwIP netif over a network interface (net/if/if.h).
 *
 * Transmit is zero-copy: linkoutput hands the pbuf chain's segments to
 * if_transmit() on this CPU's queue (IF_FLOWID_CURCPU), holding a
 * reference until the device completes them; the completion drops it
 * (under the core lock, which it may already hold when the reclaim runs
 * inside linkoutput).  A chain longer than the interface's segment limit
 * is first flattened into one pbuf.  TCP checksums go to the device when
 * it offers that (see lwipg_csum.c).  The MTU and MAC come from the
 * interface.  Link state follows the interface layer's link handler
 * (if_set_link_handler), which the driver's link poller drives.
 *
 * Locking: called by lwIP with the core lock held.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/libc.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "netif/ethernet.h"

#define LWIPG_HWADDR_LEN	6

struct netif lwipg_netif;
struct ifnet *lwipg_ifp;
struct lwipg_stats lwipg_stats;

static void
tx_done(void *arg)
{
	struct pbuf *p = arg;

	if (lwipg_core_owned()) {
		pbuf_free(p);
		return;
	}
	lwipg_core_lock();
	pbuf_free(p);
	lwipg_core_unlock();
}

static err_t
lwipg_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct if_seg segs[IF_TX_SEGS_MAX];
	struct if_tx_csum csum;
	struct pbuf *q, *flat = NULL;
	unsigned n = 0;
	int err;

	(void)nif;
	if (pbuf_clen(p) > lwipg_ifp->if_tx_maxsegs) {
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
	err = if_transmit(lwipg_ifp, segs, n,
	    lwipg_csum_tx(p, &csum) ? &csum : NULL, IF_FLOWID_CURCPU, tx_done,
	    p);
	if (err != 0) {
		pbuf_free(p);
		lwipg_stats.ls_tx_busy++;
		LINK_STATS_INC(link.drop);
		return ERR_MEM;
	}
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

static err_t
lwipg_netif_setup(struct netif *nif)
{
	nif->name[0] = 'v';
	nif->name[1] = 't';
	nif->mtu = lwipg_ifp->if_mtu;
#if LWIP_IPV6
	nif->mtu6 = lwipg_ifp->if_mtu;
#endif
	nif->hwaddr_len = LWIPG_HWADDR_LEN;
	memcpy(nif->hwaddr, lwipg_ifp->if_mac, LWIPG_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = lwipg_linkoutput;
	lwipg_csum_setup(nif);
	return ERR_OK;
}

/* The interface layer's link handler (the driver's poller's CPU): lwIP
 * follows the carrier of its interface. */
static void
lwipg_link_changed(struct ifnet *ifp, bool up)
{
	if (ifp != lwipg_ifp)
		return;
	lwipg_core_lock();
	if (up)
		netif_set_link_up(&lwipg_netif);
	else
		netif_set_link_down(&lwipg_netif);
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
 * N is kept in kernel_config and shown by ifconfig.
 */
static int
lwipg_netif_add_ip6_static(const struct cmdline_if *c)
{
	ip6_addr_t a;
	s8_t idx;

	_Static_assert(sizeof(a.addr) == CMDLINE_IP6_ADDR_LEN,
	    "ip6_addr_t holds 16 bytes");
	memset(&a, 0, sizeof(a));
	memcpy(a.addr, c->ci_ip6_addr, sizeof(a.addr));	/* network order */
	if (netif_add_ip6_address(&lwipg_netif, &a, &idx) != ERR_OK || idx < 0)
		return -ENOSPC;
	netif_ip6_addr_set_valid_life(&lwipg_netif, idx, IP6_ADDR_LIFE_STATIC);
	netif_ip6_addr_set_pref_life(&lwipg_netif, idx, IP6_ADDR_LIFE_STATIC);
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
	const struct cmdline_if *c =
	    cmdline_if(&kernel_config, LWIPG_CMDLINE_UNIT);
	const uint8_t *d = (const uint8_t *)dest->addr;
	unsigned full, rest;

	(void)nif;
	if (!c->ci_ip6_static)
		return NULL;
	full = c->ci_ip6_prefix / 8;
	rest = c->ci_ip6_prefix % 8;
	if (memcmp(d, c->ci_ip6_addr, full) != 0)
		return NULL;
	if (rest != 0 && ((d[full] ^ c->ci_ip6_addr[full]) &
	    (uint8_t)(0xff << (8 - rest))) != 0)
		return NULL;
	return dest;
}
#endif

/* Adds ifp with the command line's addresses.  Core lock held. */
int
lwipg_netif_init(struct ifnet *ifp)
{
	const struct cmdline_if *c =
	    cmdline_if(&kernel_config, LWIPG_CMDLINE_UNIT);
	ip4_addr_t ip, mask, gw;
	uint32_t m;

	if (ifp == NULL)
		return -ENODEV;
	lwipg_ifp = ifp;
	m = c->ci_ip_prefix == 0 ? 0 : 0xffffffffu << (32 - c->ci_ip_prefix);
	if (c->ci_ip_mode != CMDLINE_IP_STATIC) {	/* dhcp or none */
		ip4_addr_set_zero(&ip);
		ip4_addr_set_zero(&mask);
		ip4_addr_set_zero(&gw);
	} else {
		ip = to_ip4(c->ci_ip_addr);
		mask = to_ip4(m);
		gw = to_ip4(c->ci_gw);
	}
	if (netif_add(&lwipg_netif, &ip, &mask, &gw, NULL, lwipg_netif_setup,
	    netif_input) == NULL)
		return -EIO;
	netif_set_default(&lwipg_netif);
#if LWIP_IPV6
	if (c->ci_ip6_auto) {
		netif_create_ip6_linklocal_address(&lwipg_netif, 1);
		lwipg_netif.ip6_autoconfig_enabled = 1;
	}
	if (c->ci_ip6_static && lwipg_netif_add_ip6_static(c) != 0)
		printk("%s: cannot add IPv6 address (no free slot)\n",
		    ifp->if_name);
#endif
	netif_set_up(&lwipg_netif);
	if_set_link_handler(lwipg_link_changed);
	if (ifp->if_link_up)
		netif_set_link_up(&lwipg_netif);
	return 0;
}

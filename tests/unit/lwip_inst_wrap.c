/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwip_inst_wrap.c: the per-instance wrapper compiled INTO each lwIP copy
 * (tests/unit/lwip_instances.mk links it with lwIP's core, IPv4, IPv6
 * and Ethernet into one relocatable object; scripts/lwip-instances.sh
 * copies that and renames every global per copy).
 *
 * It defines the one symbol a copy exports, `lwip_inst` (lwip_inst_<k>
 * after the rename), a const table of the functions below and of pointers
 * to the copy's lwIP state.  Everything else here is static, so it is the
 * copy's own: one Ethernet netif (NO_SYS, lwIP's usual ethernet_input),
 * whose linkoutput copies every frame into a small capture the test reads
 * back, and thin accessors of lwip_stats and the ARP table.
 *
 * lwIP is configured by the kernel's own lwipopts.h (net/lwip-glue/
 * include), so a copy costs what an instance in the kernel would; its
 * hooks (lwipg_assert_core_locked, lwipg_assert_fail, lwipg_rand,
 * lwipg_nd6_gw, printk, sys_now) stay undefined and are the program's,
 * shared by every copy.
 *
 * Locking: none.  NO_SYS: the caller enters one instance from one thread
 * at a time; nothing here is shared with the other copies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

#include "tests/unit/lwip_inst.h"

#define LI_MTU		1500
#define LI_PREFIX	0xffffff00u	/* /24, host order */

struct li_frame {
	size_t	lf_len;
	uint8_t	lf_data[LWIP_INST_FRAME_MAX];
};

static struct netif li_netif;
static int li_started;			/* lwip_init() ran */
/* LWIP_RAM_HEAP_POINTER (lwipopts.h): each copy's own heap, as the
 * kernel's lwipg_init.c allocates it when an instance starts. */
unsigned char *lwipg_heap;
static unsigned li_ntx;			/* frames sent since the clear */
static struct li_frame li_tx[LWIP_INST_TX_MAX];

static err_t
li_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct li_frame *f;

	(void)nif;
	if (li_ntx < LWIP_INST_TX_MAX) {
		f = &li_tx[li_ntx];
		f->lf_len = pbuf_copy_partial(p, f->lf_data,
		    sizeof(f->lf_data), 0);
	}
	li_ntx++;
	return ERR_OK;
}

static err_t
li_netif_init(struct netif *nif)
{
	nif->name[0] = 'l';
	nif->name[1] = 'i';
	nif->mtu = LI_MTU;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = li_linkoutput;
	return ERR_OK;
}

static int
li_init(const uint8_t ip[4], const uint8_t mac[6])
{
	ip4_addr_t addr, mask, gw;

	if (!li_started) {
		if (lwipg_heap == NULL &&
		    (lwipg_heap = malloc(LWIPG_HEAP_BYTES)) == NULL)
			return -ENOMEM;
		lwip_init();
		li_started = 1;
	} else {
		netif_remove(&li_netif);
	}
	IP4_ADDR(&addr, ip[0], ip[1], ip[2], ip[3]);
	ip4_addr_set_u32(&mask, lwip_htonl(LI_PREFIX));
	ip4_addr_set_zero(&gw);
	memset(&li_netif, 0, sizeof(li_netif));
	memcpy(li_netif.hwaddr, mac, ETH_HWADDR_LEN);
	if (netif_add(&li_netif, &addr, &mask, &gw, NULL, li_netif_init,
	    ethernet_input) == NULL)
		return -ENOMEM;
	netif_set_default(&li_netif);
	netif_set_up(&li_netif);
	netif_set_link_up(&li_netif);	/* sends a gratuitous ARP */
	return 0;
}

static int
li_input(const void *frame, size_t len)
{
	struct pbuf *p;
	err_t err;

	if (len > 0xffff)
		return -EINVAL;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (p == NULL)
		return -ENOMEM;
	if (pbuf_take(p, frame, (u16_t)len) != ERR_OK) {
		pbuf_free(p);
		return -EINVAL;
	}
	err = li_netif.input(p, &li_netif);
	if (err != ERR_OK)
		pbuf_free(p);
	return err;
}

static void
li_timers(void)
{
	sys_check_timeouts();
}

static unsigned
li_tx_count(void)
{
	return li_ntx;
}

/* Frame i of the capture: its length, or 0 if it was not kept. */
static size_t
li_tx_frame(unsigned i, const uint8_t **frame)
{
	if (i >= li_ntx || i >= LWIP_INST_TX_MAX)
		return 0;
	*frame = li_tx[i].lf_data;
	return li_tx[i].lf_len;
}

static void
li_tx_clear(void)
{
	li_ntx = 0;
}

static uint32_t
li_icmp_recv(void)
{
	return lwip_stats.icmp.recv;
}

static uint32_t
li_etharp_recv(void)
{
	return lwip_stats.etharp.recv;
}

static uint32_t
li_pbuf_pool_used(void)
{
	return lwip_stats.memp[MEMP_PBUF_POOL]->used;
}

static int
li_arp_lookup(const uint8_t ip[4], uint8_t mac[6])
{
	ip4_addr_t addr;
	const ip4_addr_t *found_ip;
	struct eth_addr *found_mac;

	IP4_ADDR(&addr, ip[0], ip[1], ip[2], ip[3]);
	if (etharp_find_addr(&li_netif, &addr, &found_mac, &found_ip) < 0)
		return -ENOENT;
	memcpy(mac, found_mac->addr, ETH_HWADDR_LEN);
	return 0;
}

static void *
li_pbuf_alloc(uint16_t len)
{
	return pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
}

static void
li_pbuf_free(void *p)
{
	pbuf_free(p);
}

const struct lwip_inst lwip_inst = {
	.li_init = li_init,
	.li_input = li_input,
	.li_timers = li_timers,
	.li_tx_count = li_tx_count,
	.li_tx_frame = li_tx_frame,
	.li_tx_clear = li_tx_clear,
	.li_icmp_recv = li_icmp_recv,
	.li_etharp_recv = li_etharp_recv,
	.li_pbuf_pool_used = li_pbuf_pool_used,
	.li_arp_lookup = li_arp_lookup,
	.li_pbuf_alloc = li_pbuf_alloc,
	.li_pbuf_free = li_pbuf_free,
	.li_stats = &lwip_stats,
	.li_netif = &li_netif,
	.li_tcp_active_pcbs = (void *const *)&tcp_active_pcbs,
	.li_udp_pcbs = (void *const *)&udp_pcbs,
};

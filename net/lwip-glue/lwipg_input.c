/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_input.c: the protocol handlers lwIP registers with netisr, and the
 * driver's input hook.
 *
 *   driver rx poll -> netisr_dispatch_src(NETISR_ETHER, queue, m)
 *   ether  (SOURCE, direct): checks the frame, strips the link header and
 *          demultiplexes by ethertype:
 *            0x0806 -> NETISR_ARP  (SOURCE)  etharp_input
 *            0x0800 -> NETISR_IP   (FLOW)    ip4_input   m2flow: Toeplitz
 *            0x86dd -> NETISR_IPV6 (FLOW)    ip6_input   m2flow: Toeplitz
 *          runts and unknown ethertypes are dropped and counted.
 *
 * The ARP, IP and IPv6 handlers run with the lwIP core lock.  A frame
 * becomes a pbuf_custom over the driver's rx buffer (no copy); freeing the
 * pbuf returns the buffer to its queue.  When the driver says its ring is
 * running low (lwIP holds too many buffers, e.g. in TCP's out-of-order
 * queue), the frame is copied into a pool pbuf instead and the buffer goes
 * back at once.
 *
 * Locking: ether runs outside the core lock; the others take it.  The
 * counters in lwipg_stats are written under the core lock, except the
 * ether handler's, which use atomics.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "net/lwip-glue/lwipg.h"
#include "net/netisr/netisr.h"
#include "net/netisr/netisr_flow.h"

#define ETHER_HDR_LEN		14
#define ETHER_TYPE_OFF		12
#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_IPV6		0x86dd

_Static_assert(sizeof(struct pbuf_custom) <= VTNET_RXBUF_UPPER,
    "pbuf_custom fits the rx buffer's upper-layer scratch");

static void
rx_pbuf_free(struct pbuf *p)
{
	struct pbuf_custom *pc = (struct pbuf_custom *)p;
	struct vtnet_rxbuf *rb = (struct vtnet_rxbuf *)((uint8_t *)pc -
	    offsetof(struct vtnet_rxbuf, rb_upper));

	m_freem(&rb->rb_m);
}

/*
 * Wraps m as a pbuf: in place, or copied when buffers are scarce.  Core
 * lock held.  Returns NULL (m freed, counted) if no pbuf could be had.
 */
static struct pbuf *
mbuf_to_pbuf(struct mbuf *m)
{
	struct vtnet_rxbuf *rb = (struct vtnet_rxbuf *)m;
	struct pbuf_custom *pc = (struct pbuf_custom *)(void *)rb->rb_upper;
	struct pbuf *p;

	LINK_STATS_INC(link.recv);
	if (m->m_len > UINT16_MAX) {
		m_freem(m);
		lwipg_stats.ls_no_pbuf++;
		LINK_STATS_INC(link.drop);
		return NULL;
	}
	if (vtnet_rxbuf_scarce(m)) {
		/*
		 * PBUF_LINK, not PBUF_RAW: a reply may reuse this pbuf
		 * (UDP echo does), and ethernet_output must find room for
		 * the link header in front of the IP header.
		 */
		p = pbuf_alloc(PBUF_LINK, (u16_t)m->m_len, PBUF_POOL);
		if (p != NULL)
			pbuf_take(p, m->m_data, (u16_t)m->m_len);
		m_freem(m);
		if (p == NULL) {
			lwipg_stats.ls_no_pbuf++;
			LINK_STATS_INC(link.memerr);
			LINK_STATS_INC(link.drop);
		} else
			lwipg_stats.ls_copied++;
		return p;
	}
	pc->custom_free_function = rx_pbuf_free;
	lwipg_stats.ls_zero_copy++;
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)m->m_len, PBUF_REF, pc,
	    m->m_data, (u16_t)m->m_len);
}

static void
arp_handler(struct mbuf *m)
{
	struct pbuf *p;

	lwipg_core_lock();
	if ((p = mbuf_to_pbuf(m)) != NULL)
		etharp_input(p, &lwipg_netif);
	lwipg_core_unlock();
}

static void
ip_handler(struct mbuf *m)
{
	struct pbuf *p;
	bool trusted;

	lwipg_core_lock();
	trusted = lwipg_csum_rx_begin(m, false);
	if ((p = mbuf_to_pbuf(m)) != NULL)
		ip4_input(p, &lwipg_netif);
	lwipg_csum_rx_end(trusted);
	lwipg_core_unlock();
}

static void
ip6_handler(struct mbuf *m)
{
	struct pbuf *p;
	bool trusted;

	lwipg_core_lock();
	trusted = lwipg_csum_rx_begin(m, true);
	if ((p = mbuf_to_pbuf(m)) != NULL)
		ip6_input(p, &lwipg_netif);
	lwipg_csum_rx_end(trusted);
	lwipg_core_unlock();
}

static void
ether_handler(struct mbuf *m)
{
	const uint8_t *f = m->m_data;
	unsigned proto;
	uint16_t type;

	if (m->m_len < ETHER_HDR_LEN) {
		__atomic_fetch_add(&lwipg_stats.ls_runts, 1, __ATOMIC_RELAXED);
		m_freem(m);
		return;
	}
	type = (uint16_t)(f[ETHER_TYPE_OFF] << 8 | f[ETHER_TYPE_OFF + 1]);
	switch (type) {
	case ETHERTYPE_ARP:
		proto = NETISR_ARP;
		break;
	case ETHERTYPE_IP:
		proto = NETISR_IP;
		break;
	case ETHERTYPE_IPV6:
		proto = NETISR_IPV6;
		break;
	default:
		__atomic_fetch_add(&lwipg_stats.ls_unknown_type, 1,
		    __ATOMIC_RELAXED);
		m_freem(m);
		return;
	}
	m->m_data = (uint8_t *)m->m_data + ETHER_HDR_LEN;
	m->m_len -= ETHER_HDR_LEN;
	netisr_dispatch_src(proto, m->m_pkthdr.rxqueue, m);
}

static const struct netisr_handler lwipg_handlers[] = {
	{ .nh_name = "ether", .nh_handler = ether_handler,
	  .nh_proto = NETISR_ETHER, .nh_policy = NETISR_POLICY_SOURCE,
	  .nh_dispatch = NETISR_DISPATCH_DIRECT },
	{ .nh_name = "arp", .nh_handler = arp_handler,
	  .nh_proto = NETISR_ARP, .nh_policy = NETISR_POLICY_SOURCE },
	{ .nh_name = "ip", .nh_handler = ip_handler,
	  .nh_m2flow = netisr_m2flow_ipv4, .nh_proto = NETISR_IP,
	  .nh_policy = NETISR_POLICY_FLOW },
	{ .nh_name = "ip6", .nh_handler = ip6_handler,
	  .nh_m2flow = netisr_m2flow_ipv6, .nh_proto = NETISR_IPV6,
	  .nh_policy = NETISR_POLICY_FLOW },
};

/* The driver's input hook: every frame enters netisr as NETISR_ETHER. */
static void
lwipg_driver_input(struct mbuf *m)
{
	netisr_dispatch_src(NETISR_ETHER, m->m_pkthdr.rxqueue, m);
}

int
lwipg_input_init(void)
{
	size_t i;
	int err;

	for (i = 0; i < sizeof(lwipg_handlers) / sizeof(lwipg_handlers[0]);
	    i++)
		if ((err = netisr_register(&lwipg_handlers[i])) != 0) {
			printk("lwip: netisr_register(%s) failed (%d)\n",
			    lwipg_handlers[i].nh_name, err);
			return err;
		}
	vtnet_set_input(vtnet0, lwipg_driver_input);
	return 0;
}

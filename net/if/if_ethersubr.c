/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * if_ethersubr.c: Ethernet input (after FreeBSD's ether_demux): the
 * NETISR_ETHER handler every frame from if_input() reaches.
 *
 *   if_input -> netisr_dispatch_src(NETISR_ETHER, queue, m)
 *   if_input_batch -> netisr_dispatch_batch(NETISR_ETHER, queue, ms, n)
 *          (a driver's poll): the batch handler demultiplexes them all
 *          and hands each protocol its frames with one
 *          netisr_dispatch_batch, in arrival order
 *   ether  (SOURCE, direct: runs inline on the queue's CPU):
 *          runt (under the 14-byte header in the first buffer of
 *          the frame, net/netisr/mbuf.h): dropped, counted
 *          strips the header and demultiplexes by ethertype:
 *            0x0806 -> NETISR_ARP
 *            0x0800 -> NETISR_IP
 *            0x86dd -> NETISR_IPV6
 *          any other type: dropped, counted as unknown; a VLAN-tagged
 *          frame (0x8100, 0x88a8: no VLANs here) is counted as that
 *          too, and as vlan
 *
 * The counters are shown by the stack's `netstat -s` line "lwip: rx ...
 * runts <n> unknown-ethertype <n>" (net/lwip-glue/lwipg_stats.c reads
 * them through ether_get_stats()), where they were before this layer
 * existed.  The protocols' handlers (ARP, IP, IPv6) belong to the stack
 * above and are registered by it; a frame for one not registered yet is
 * counted by netisr (unregistered-protocol drops).
 *
 * Locking: the handler runs on any CPU with no lock; the counters are
 * updated with relaxed atomics (drops only, never per good frame), and
 * read racily.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "net/if/if.h"
#include "net/netisr/netisr.h"

#define ETHER_HDR_LEN		14	/* destination, source, type */
#define ETHER_TYPE_OFF		12
#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100	/* IEEE 802.1Q tag */
#define ETHERTYPE_QINQ		0x88a8	/* IEEE 802.1ad service tag */
#define ETHER_NPROTOS		3	/* ARP, IP, IPv6 */
#define ETHER_BATCH_MAX		64	/* frames per protocol per hand-over */

static struct ether_stats ether_stats;

static void
ether_drop(struct mbuf *m, uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	m_freem(m);
}

/*
 * Checks m's Ethernet header and strips it: the protocol its payload goes
 * to (NETISR_ARP, NETISR_IP, NETISR_IPV6), or 0 with m freed and counted.
 */
static unsigned
ether_demux(struct mbuf *m)
{
	const uint8_t *f = m->m_data;
	unsigned proto;
	uint16_t type;

	if (m->m_len < ETHER_HDR_LEN) {
		ether_drop(m, &ether_stats.es_runts);
		return 0;
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
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)
			__atomic_fetch_add(&ether_stats.es_vlan, 1,
			    __ATOMIC_RELAXED);	/* and unknown below */
		ether_drop(m, &ether_stats.es_unknown_type);
		return 0;
	}
	m->m_data = (uint8_t *)m->m_data + ETHER_HDR_LEN;
	m->m_len -= ETHER_HDR_LEN;
	m->m_pkthdr.len -= ETHER_HDR_LEN;	/* m_len <= pkthdr.len */
	return proto;
}

/* NETISR_ETHER: checks the frame and hands its payload to its protocol. */
static void
ether_input(struct mbuf *m)
{
	unsigned proto = ether_demux(m);

	if (proto != 0)
		netisr_dispatch_src(proto, m->m_pkthdr.rxqueue, m);
}

/* One protocol's share of a batch, in arrival order. */
struct ether_run {
	unsigned	er_proto;
	unsigned	er_n;
	struct mbuf	*er_ms[ETHER_BATCH_MAX];
};

static void
ether_flush(struct ether_run *runs, uintptr_t source)
{
	unsigned i;

	for (i = 0; i < ETHER_NPROTOS; i++) {
		if (runs[i].er_n != 0)
			netisr_dispatch_batch(runs[i].er_proto, source,
			    runs[i].er_ms, runs[i].er_n);
		runs[i].er_n = 0;
	}
}

/*
 * NETISR_ETHER's batch handler (a driver's poll, through if_input_batch):
 * demultiplexes the n frames and hands each protocol its frames as one
 * batch, ARP first, in arrival order within a protocol, per rx queue.
 */
static void
ether_input_batch(struct mbuf **ms, unsigned n)
{
	struct ether_run runs[ETHER_NPROTOS] = {
		{ .er_proto = NETISR_ARP }, { .er_proto = NETISR_IP },
		{ .er_proto = NETISR_IPV6 },
	};
	uintptr_t source = 0;
	struct ether_run *r;
	unsigned i, proto;

	for (i = 0; i < n; i++) {
		if (ms[i]->m_pkthdr.rxqueue != source) {
			ether_flush(runs, source);
			source = ms[i]->m_pkthdr.rxqueue;
		}
		if ((proto = ether_demux(ms[i])) == 0)
			continue;
		r = &runs[proto == NETISR_ARP ? 0 : proto == NETISR_IP ? 1 : 2];
		r->er_ms[r->er_n++] = ms[i];
		if (r->er_n == ETHER_BATCH_MAX)
			ether_flush(runs, source);
	}
	ether_flush(runs, source);
}

static const struct netisr_handler ether_nh = {
	.nh_name = "ether",
	.nh_handler = ether_input,
	.nh_handler_batch = ether_input_batch,
	.nh_proto = NETISR_ETHER,
	.nh_policy = NETISR_POLICY_SOURCE,
	.nh_dispatch = NETISR_DISPATCH_DIRECT,
};

/* Registers the Ethernet handler with netisr.  Boot, CPU 0. */
int
ether_init(void)
{
	int err;

	if ((err = netisr_register(&ether_nh)) != 0)
		printk("ether: netisr_register(%s) failed (%d)\n",
		    ether_nh.nh_name, err);
	return err;
}

/*
 * Enables the link layer in vnet, which an interface was just given to:
 * netisr_register() enabled it in vnet 0 only, and a frame's first
 * dispatch (NETISR_ETHER) already carries its interface's vnet.  Boot,
 * CPU 0.
 */
int
ether_vnet_attach(unsigned vnet)
{
	int err;

	if (vnet == 0)
		return 0;
	CURVNET_SET(vnet);
	err = netisr_register_vnet(&ether_nh);
	CURVNET_RESTORE();
	if (err != 0)
		printk("ether: vnet %u: netisr_register_vnet failed (%d)\n",
		    vnet, err);
	return err;
}

/* A copy of the counters (each read atomically, not all at one time). */
void
ether_get_stats(struct ether_stats *es)
{
	es->es_runts = __atomic_load_n(&ether_stats.es_runts,
	    __ATOMIC_RELAXED);
	es->es_unknown_type = __atomic_load_n(&ether_stats.es_unknown_type,
	    __ATOMIC_RELAXED);
	es->es_vlan = __atomic_load_n(&ether_stats.es_vlan, __ATOMIC_RELAXED);
}

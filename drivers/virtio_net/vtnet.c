/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet.c: virtio-net attach: features, queue pairs, MSI-X, the control
 * queue, RSS, and link status.
 *
 * Attach, in order (virtio 1.2, 3.1.1 and 5.1.5):
 *  1. transport attach and reset; negotiate the features we use, once,
 *     into vs_vp.vp_features (tested with virtio_has());
 *  2. N = min(CPUs, max_virtqueue_pairs, virtio_net.queues) pairs; queue
 *     pair k belongs to its CPU by netisr_rss_queue_cpu (net/netisr/rss.h);
 *  3. MSI-X: per queue an rx and a tx vector aimed at that CPU, and a
 *     config vector on CPU 0, all from vector_alloc() (fewer pairs if
 *     fewer vectors are left; none left for one pair: not attached);
 *  4. rings, rx buffers (pre-posted, so no queue is ever empty), the
 *     control queue; DRIVER_OK;
 *  5. with RSS: RSS_CONFIG (Microsoft key, IPv4/TCPv4/UDPv4/IPv6/TCPv6/
 *     UDPv6, the indirection table derived from netisr's, max_tx_vq = N);
 *     without RSS but with MQ: VQ_PAIRS_SET N.  (QEMU treats VQ_PAIRS_SET
 *     as "RSS off", so it is never sent when RSS is on.)
 * HASH_REPORT is accepted only together with RSS: without RSS it would need
 * HASH_CONFIG, which we do not implement.  Errors unwind by marking the
 * device FAILED; its memory stays (the device may have seen it).
 *
 * Once running, the device is registered with the interface layer
 * (if_attach, net/if/if.h) as vs_ifnet: name, MAC, MTU, capabilities and
 * vtnet_ifnet_ops.  The stack reaches the driver only through that; the
 * driver reaches the stack only through if_input() and
 * if_link_state_change().
 *
 * Every virtio-net device gets a unit, in PCI scan order, and the softc
 * vtnet_sc[unit] (vtnet.h); a device past VTNET_MAX_UNITS is refused
 * with one line and counted (`vtnet units`).  Interrupts find their queue
 * or device by vector (vtnet_vec_rxq, vtnet_vec_txq, vtnet_vec_sc), so the
 * handlers serve every device; one config poller on CPU 0 serves them
 * all, looking only at the devices whose config interrupt fired.
 *
 * Control commands themselves run in vtnet_ctrl.c; a command that times
 * out stays the device's: its buffer is not reused until the device
 * returns it.
 *
 * Locking: see vtnet.h.  vs_ctrl_lock serialises control commands.  The
 * unit array, its count and the vector tables are written by attach on
 * the BSP before the devices' interrupts are enabled, and only read
 * afterwards.
 */
#include <stddef.h>

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/mem.h"
#include "kernel/printf.h"
#include "net/netisr/rss.h"

#define VIRTIO_ID_NET_MODERN	0x1041	/* 0x1040 + device id 1 (4.1.2.1) */
#define VIRTIO_ID_NET_LEGACY	0x1000	/* transitional device id */

/* Device configuration offsets (5.1.4). */
#define VTNET_CFG_MAC		0
#define VTNET_CFG_STATUS	6
#define VTNET_CFG_MAX_PAIRS	8
#define VTNET_CFG_MTU		10
#define VTNET_CFG_RSS_KEY_MAX	17
#define VTNET_CFG_RSS_TBL_MAX	18
#define VTNET_CFG_HASH_TYPES	20
#define VTNET_S_LINK_UP		1
#define VTNET_MTU_DEFAULT	1500
#define VTNET_MTU_MIN		68	/* RFC 791: every IPv4 link carries 68 */
#define VTNET_ETHER_VLAN_HLEN	18	/* Ethernet header plus one VLAN tag */
/*
 * The largest MTU: what a 2 KiB rx buffer holds (merged buffers are not
 * used for frames of the MTU).  The buffers are 4 KiB since large
 * segments arrive over them (half the descriptors per 64 KiB); the MTU
 * range, part of the command-line contract (68..2010), did not move.
 */
#define VTNET_MTU_FRAME_BUF	2048
#define VTNET_MTU_MAX \
	(VTNET_MTU_FRAME_BUF - VTNET_HDR_LEN_HASH - VTNET_ETHER_VLAN_HLEN)
_Static_assert(VTNET_MTU_FRAME_BUF <= VTNET_RX_BUF_SIZE,
    "an MTU-sized frame must fit one rx buffer");
#define VTNET_MAC_LOCAL		0x02	/* locally administered bit */
#define VTNET_VEC_NAME_MAX	24	/* "vtnet7-config", "vtnet7-rx15" */
#define VTNET_MIN_VECTORS	3	/* rx0, tx0, config */

/* RSS hash types (5.1.6.4.3.1). */
#define VTNET_RSS_IPV4		(1u << 0)
#define VTNET_RSS_TCPV4		(1u << 1)
#define VTNET_RSS_UDPV4		(1u << 2)
#define VTNET_RSS_IPV6		(1u << 3)
#define VTNET_RSS_TCPV6		(1u << 4)
#define VTNET_RSS_UDPV6		(1u << 5)
#define VTNET_RSS_WANTED	(VTNET_RSS_IPV4 | VTNET_RSS_TCPV4 | \
				 VTNET_RSS_UDPV4 | VTNET_RSS_IPV6 | \
				 VTNET_RSS_TCPV6 | VTNET_RSS_UDPV6)

#define VTNET_WANTED	(1ull << VTNET_F_CSUM | 1ull << VTNET_F_GUEST_CSUM | \
			 1ull << VTNET_F_MTU | 1ull << VTNET_F_MAC | \
			 1ull << VTNET_F_MRG_RXBUF | 1ull << VTNET_F_STATUS | \
			 1ull << VTNET_F_CTRL_VQ | 1ull << VTNET_F_MQ | \
			 1ull << VTNET_F_RSS | 1ull << VTNET_F_HASH_REPORT | \
			 1ull << VIRTIO_F_EVENT_IDX | \
			 1ull << VIRTIO_F_INDIRECT_DESC)

/*
 * The segmentation offloads, asked for only with virtio_net.offload=1
 * (the default); each is listed here once its path is in place.
 * GUEST_TSO4/6: large TCP segments in, over merged buffers (vtnet_rx.c).
 */
#define VTNET_OFFLOADS	(1ull << VTNET_F_GUEST_TSO4 | \
			 1ull << VTNET_F_GUEST_TSO6 | \
			 1ull << VTNET_F_HOST_TSO4 | \
			 1ull << VTNET_F_HOST_TSO6)

/* The Microsoft RSS verification key; the tests recompute hashes with it. */
static const uint8_t vtnet_rss_key[VTNET_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The key as 80 hex digits, for `vtnet rss`. */
const char *
vtnet_rss_key_hex(void)
{
	static const char hex[] = "0123456789abcdef";
	static char buf[2 * VTNET_RSS_KEY_LEN + 1];
	int i;

	for (i = 0; i < VTNET_RSS_KEY_LEN; i++) {
		buf[2 * i] = hex[vtnet_rss_key[i] >> 4];
		buf[2 * i + 1] = hex[vtnet_rss_key[i] & 0xf];
	}
	return buf;
}

_Static_assert(VTNET_MAX_UNITS <= IF_MAX,
    "every unit that attaches gets an ifnet (net/if/if.h)");

static struct vtnet_softc vtnet_sc[VTNET_MAX_UNITS];
static unsigned vtnet_nunits;		/* units handed out, failed ones too */
static uint32_t vtnet_refused;		/* devices past VTNET_MAX_UNITS */
static struct vtnet_rxq *vtnet_vec_rxq[TRAP_NVECTORS];
static struct vtnet_txq *vtnet_vec_txq[TRAP_NVECTORS];
static struct vtnet_softc *vtnet_vec_sc[TRAP_NVECTORS];	/* config */
static int vtnet_config_bit = -1;	/* CPU 0's poller, for every unit */

/* Unit u's softc, attached or not (its vs_attached says), or NULL. */
struct vtnet_softc *
vtnet_unit(unsigned u)
{
	return u < vtnet_nunits ? &vtnet_sc[u] : NULL;
}

/* Units handed out: every virtio-net device found, up to the limit. */
unsigned
vtnet_unit_count(void)
{
	return vtnet_nunits;
}

/* Devices refused because VTNET_MAX_UNITS were already there. */
uint32_t
vtnet_units_refused(void)
{
	return vtnet_refused;
}

/*
 * Device config reads (5.1.4), bounded by the device window's length
 * (virtio_pci.h): a field beyond a short window reads as 0, "absent".
 */
static uint8_t
cfg8(struct vtnet_softc *sc, unsigned off)
{
	if (!virtio_pci_device_ok(&sc->vs_vp, off, sizeof(uint8_t)))
		return 0;
	return sc->vs_vp.vp_device[off];
}

static uint16_t
cfg16(struct vtnet_softc *sc, unsigned off)
{
	if (!virtio_pci_device_ok(&sc->vs_vp, off, sizeof(uint16_t)))
		return 0;
	return *(volatile uint16_t *)(sc->vs_vp.vp_device + off);
}

static uint32_t
cfg32(struct vtnet_softc *sc, unsigned off)
{
	if (!virtio_pci_device_ok(&sc->vs_vp, off, sizeof(uint32_t)))
		return 0;
	return *(volatile uint32_t *)(sc->vs_vp.vp_device + off);
}

/*
 * Interrupts only mark the queue's poller ready, on the queue's own CPU
 * (vtnet.h): the poller bit is an index into that CPU's poller table.  An
 * interrupt delivered elsewhere (an MSI-X entry pointing at another CPU,
 * by mistake or by `vtnet msix`) still wakes the owner, and is counted.
 */
static void
vtnet_rx_intr(struct trapframe *tf)
{
	struct vtnet_rxq *rxq = vtnet_vec_rxq[tf->tf_vector];

	rxq->vrx_intrs++;
	if (curcpu() != rxq->vrx_pc)
		__atomic_fetch_add(&rxq->vrx_intr_misrouted, 1,
		    __ATOMIC_RELAXED);
	coreloop_mark_pending(rxq->vrx_pc, 1u << rxq->vrx_bit);
	lapic_eoi();
}

static void
vtnet_tx_intr(struct trapframe *tf)
{
	struct vtnet_txq *txq = vtnet_vec_txq[tf->tf_vector];

	txq->vtx_intrs++;
	if (curcpu() != txq->vtx_pc)
		__atomic_fetch_add(&txq->vtx_intr_misrouted, 1,
		    __ATOMIC_RELAXED);
	coreloop_mark_pending(txq->vtx_pc, 1u << txq->vtx_bit);
	lapic_eoi();
}

/* A device's config change: note which device, wake CPU 0's poller. */
static void
vtnet_config_intr(struct trapframe *tf)
{
	struct vtnet_softc *sc = vtnet_vec_sc[tf->tf_vector];

	__atomic_store_n(&sc->vs_config_pending, true, __ATOMIC_RELEASE);
	coreloop_mark_pending(percpu_get(0), 1u << vtnet_config_bit);
	lapic_eoi();
}

/* One device's link status (5.1.4.2), on CPU 0. */
static void
vtnet_config_check(struct vtnet_softc *sc)
{
	bool up;

	if (!virtio_has(&sc->vs_vp, VTNET_F_STATUS))
		return;
	up = (cfg16(sc, VTNET_CFG_STATUS) & VTNET_S_LINK_UP) != 0;
	if (up != sc->vs_ifnet.if_link_up) {
		printk("%s: link %s\n", vtnet_name(sc), up ? "up" : "down");
		if_link_state_change(&sc->vs_ifnet, up);
	}
}

/* CPU 0's config poller: the devices whose config interrupt fired. */
static bool
vtnet_config_poll(void *arg)
{
	unsigned u;

	(void)arg;
	for (u = 0; u < vtnet_nunits; u++)
		if (vtnet_sc[u].vs_attached &&
		    __atomic_exchange_n(&vtnet_sc[u].vs_config_pending, false,
		    __ATOMIC_ACQ_REL))
			vtnet_config_check(&vtnet_sc[u]);
	return false;
}

static int
vtnet_ctrl_setup(struct vtnet_softc *sc)
{
	uint16_t q = (uint16_t)(2 * sc->vs_max_pairs), size;
	void *desc, *avail, *used;
	int err;

	spinlock_init(&sc->vs_ctrl_lock);
	size = virtio_pci_queue_max(&sc->vs_vp, q);
	if (size > VTNET_QUEUE_SIZE_MAX)
		size = VTNET_QUEUE_SIZE_MAX;
	desc = vtnet_ring_alloc(vq_desc_bytes(size));
	avail = vtnet_ring_alloc(vq_avail_bytes(size));
	used = vtnet_ring_alloc(vq_used_bytes(size));
	sc->vs_ctrl_buf = vtnet_ring_alloc(VTNET_CTRL_BUF_SIZE);
	if (desc == NULL || avail == NULL || used == NULL ||
	    sc->vs_ctrl_buf == NULL)
		return -ENOMEM;
	err = vq_init(&sc->vs_ctrlq, size, desc, avail, used,
	    sc->vs_ctrl_cookies, sc->vs_event_idx, false);
	if (err != 0)
		return err;
	return virtio_pci_queue_setup(&sc->vs_vp, q, size, VIRTIO_NO_VECTOR,
	    vq_phys(desc), vq_phys(avail), vq_phys(used), &sc->vs_ctrl_notify);
}

static int
vtnet_rss_config(struct vtnet_softc *sc)
{
	uint8_t buf[4 + 2 + 2 + 2 * NETISR_RSS_BUCKETS + 2 + 1 +
	    VTNET_RSS_KEY_LEN];
	uint8_t *p = buf;
	int i;

	netisr_rss_queue_table(sc->vs_rss_table, ncpus_online(),
	    sc->vs_nqueues);
	memcpy(p, &sc->vs_hash_types, 4);
	p += 4;
	*(uint16_t *)p = NETISR_RSS_MASK;		/* indirection_table_mask */
	p += 2;
	*(uint16_t *)p = 0;				/* unclassified_queue */
	p += 2;
	for (i = 0; i < NETISR_RSS_BUCKETS; i++, p += 2)
		*(uint16_t *)p = sc->vs_rss_table[i];
	*(uint16_t *)p = sc->vs_nqueues;		/* max_tx_vq */
	p += 2;
	*p++ = VTNET_RSS_KEY_LEN;
	memcpy(p, vtnet_rss_key, VTNET_RSS_KEY_LEN);
	p += VTNET_RSS_KEY_LEN;
	return vtnet_ctrl(sc, VTNET_CTRL_MQ, VTNET_CTRL_MQ_RSS_CONFIG, buf,
	    (size_t)(p - buf));
}

/* Drops offered features whose prerequisites are missing (5.1.3.1). */
static int
vtnet_negotiate(struct vtnet_softc *sc)
{
	uint64_t f = virtio_pci_features(&sc->vs_vp) &
	    (VTNET_WANTED | (kernel_config.cc_vtnet_offload ? VTNET_OFFLOADS :
	    0));

	if ((f & (1ull << VTNET_F_CTRL_VQ)) == 0)
		f &= ~(1ull << VTNET_F_MQ | 1ull << VTNET_F_RSS);
	if ((f & (1ull << VTNET_F_RSS)) == 0)
		f &= ~(1ull << VTNET_F_HASH_REPORT);
	if ((f & (1ull << VTNET_F_CSUM)) == 0)
		f &= ~(1ull << VTNET_F_HOST_TSO4 | 1ull << VTNET_F_HOST_TSO6);
	/* Our 4 KiB rx buffers take a large segment only merged. */
	if ((f & (1ull << VTNET_F_GUEST_CSUM)) == 0 ||
	    (f & (1ull << VTNET_F_MRG_RXBUF)) == 0)
		f &= ~(1ull << VTNET_F_GUEST_TSO4 | 1ull << VTNET_F_GUEST_TSO6);
	return virtio_pci_negotiate(&sc->vs_vp, f);
}

static uint16_t
vtnet_pick_queues(struct vtnet_softc *sc)
{
	uint32_t n = ncpus_online();

	sc->vs_max_pairs = virtio_has(&sc->vs_vp, VTNET_F_MQ) ?
	    cfg16(sc, VTNET_CFG_MAX_PAIRS) : 1;
	if (sc->vs_max_pairs == 0)
		sc->vs_max_pairs = 1;
	if (sc->vs_max_pairs < n)
		n = sc->vs_max_pairs;
	if (kernel_config.cc_vtnet_queues != 0 &&
	    kernel_config.cc_vtnet_queues < n)
		n = kernel_config.cc_vtnet_queues;
	if (n > VTNET_MAX_QUEUES)
		n = VTNET_MAX_QUEUES;
	return (uint16_t)n;
}

/* Vectors for queue pair k (rx entry 2k, tx 2k+1) on CPU k mod ncpus. */
static int
vtnet_setup_pair(struct vtnet_softc *sc, uint16_t k)
{
	struct vtnet_rxq *rxq = &sc->vs_rxq[k];
	struct vtnet_txq *txq = &sc->vs_txq[k];
	uint32_t cpu = netisr_rss_queue_cpu(k, ncpus_online());
	struct percpu *pc = percpu_get(cpu);
	char name[VTNET_VEC_NAME_MAX];
	int err;

	rxq->vrx_sc = sc;
	rxq->vrx_id = k;
	rxq->vrx_cpu = cpu;
	rxq->vrx_pc = pc;
	txq->vtx_sc = sc;
	txq->vtx_id = k;
	txq->vtx_cpu = cpu;
	txq->vtx_pc = pc;
	ksnprintf(name, sizeof(name), "%s-rx%u", vtnet_name(sc), k);
	rxq->vrx_vector = vector_alloc(name, cpu);
	ksnprintf(name, sizeof(name), "%s-tx%u", vtnet_name(sc), k);
	txq->vtx_vector = vector_alloc(name, cpu);
	if (rxq->vrx_vector < 0 || txq->vtx_vector < 0)
		return -ENOSPC;
	rxq->vrx_bit = coreloop_add_poller(pc, vtnet_rx_poll, rxq);
	txq->vtx_bit = coreloop_add_poller(pc, vtnet_tx_poll, txq);
	if (rxq->vrx_bit < 0 || txq->vtx_bit < 0)
		return -ENOSPC;
	vtnet_vec_rxq[rxq->vrx_vector] = rxq;
	vtnet_vec_txq[txq->vtx_vector] = txq;
	trap_register((unsigned)rxq->vrx_vector, vtnet_rx_intr);
	trap_register((unsigned)txq->vtx_vector, vtnet_tx_intr);
	if ((err = pci_msix_set(&sc->vs_msix, 2 * k,
	    (uint8_t)rxq->vrx_vector, pc->pc_apic_id)) != 0 ||
	    (err = pci_msix_set(&sc->vs_msix, 2 * k + 1,
	    (uint8_t)txq->vtx_vector, pc->pc_apic_id)) != 0)
		return err;
	if ((err = vtnet_rx_setup(sc, rxq)) != 0)
		return err;
	return vtnet_tx_setup(sc, txq);
}

static int
vtnet_setup_config_intr(struct vtnet_softc *sc)
{
	struct percpu *pc0 = percpu_get(0);
	uint16_t entry = (uint16_t)(2 * sc->vs_nqueues);
	char name[VTNET_VEC_NAME_MAX];
	int err;

	ksnprintf(name, sizeof(name), "%s-config", vtnet_name(sc));
	sc->vs_config_vector = vector_alloc(name, 0);
	if (sc->vs_config_vector < 0)
		return -ENOSPC;
	if (vtnet_config_bit < 0)	/* the first device's attach */
		vtnet_config_bit = coreloop_add_poller(pc0, vtnet_config_poll,
		    NULL);
	if (vtnet_config_bit < 0)
		return -ENOSPC;
	vtnet_vec_sc[sc->vs_config_vector] = sc;
	trap_register((unsigned)sc->vs_config_vector, vtnet_config_intr);
	if ((err = pci_msix_set(&sc->vs_msix, entry,
	    (uint8_t)sc->vs_config_vector, pc0->pc_apic_id)) != 0)
		return err;
	return virtio_pci_config_vector(&sc->vs_vp, entry);
}

static void
vtnet_read_config(struct vtnet_softc *sc)
{
	int i;

	for (i = 0; i < VTNET_ETHER_ADDR_LEN; i++)
		sc->vs_mac[i] = virtio_has(&sc->vs_vp, VTNET_F_MAC) ?
		    cfg8(sc, VTNET_CFG_MAC + i) : 0;
	if (!virtio_has(&sc->vs_vp, VTNET_F_MAC)) {
		/* Locally administered, fixed: 02:00:00:00:00:01. */
		sc->vs_mac[0] = VTNET_MAC_LOCAL;
		sc->vs_mac[5] = 1;
	}
	sc->vs_mtu = virtio_has(&sc->vs_vp, VTNET_F_MTU) ?
	    cfg16(sc, VTNET_CFG_MTU) : VTNET_MTU_DEFAULT;
	if (sc->vs_mtu > VTNET_MTU_MAX || sc->vs_mtu < VTNET_MTU_MIN) {
		printk("%s: device MTU %u outside %u..%u (what one rx "
		    "buffer holds); using %u\n", vtnet_name(sc), sc->vs_mtu,
		    VTNET_MTU_MIN,
		    VTNET_MTU_MAX, sc->vs_mtu > VTNET_MTU_MAX ? VTNET_MTU_MAX :
		    VTNET_MTU_MIN);
		sc->vs_mtu = sc->vs_mtu > VTNET_MTU_MAX ? VTNET_MTU_MAX :
		    VTNET_MTU_MIN;
	}
	sc->vs_ifnet.if_link_up = !virtio_has(&sc->vs_vp, VTNET_F_STATUS) ||
	    (cfg16(sc, VTNET_CFG_STATUS) & VTNET_S_LINK_UP) != 0;
	sc->vs_rss = virtio_has(&sc->vs_vp, VTNET_F_RSS);
	sc->vs_hash = virtio_has(&sc->vs_vp, VTNET_F_HASH_REPORT);
	sc->vs_mrg = virtio_has(&sc->vs_vp, VTNET_F_MRG_RXBUF);
	sc->vs_csum = virtio_has(&sc->vs_vp, VTNET_F_CSUM);
	sc->vs_guest_csum = virtio_has(&sc->vs_vp, VTNET_F_GUEST_CSUM);
	sc->vs_host_tso4 = virtio_has(&sc->vs_vp, VTNET_F_HOST_TSO4);
	sc->vs_host_tso6 = virtio_has(&sc->vs_vp, VTNET_F_HOST_TSO6);
	sc->vs_guest_tso4 = virtio_has(&sc->vs_vp, VTNET_F_GUEST_TSO4);
	sc->vs_guest_tso6 = virtio_has(&sc->vs_vp, VTNET_F_GUEST_TSO6);
	sc->vs_event_idx = virtio_has(&sc->vs_vp, VIRTIO_F_EVENT_IDX);
	sc->vs_indirect = virtio_has(&sc->vs_vp, VIRTIO_F_INDIRECT_DESC);
	sc->vs_hdr_len = sc->vs_hash ? VTNET_HDR_LEN_HASH : VTNET_HDR_LEN;
	if (sc->vs_rss) {
		sc->vs_hash_types = cfg32(sc, VTNET_CFG_HASH_TYPES) &
		    VTNET_RSS_WANTED;
		if (cfg8(sc, VTNET_CFG_RSS_KEY_MAX) < VTNET_RSS_KEY_LEN ||
		    cfg16(sc, VTNET_CFG_RSS_TBL_MAX) < NETISR_RSS_BUCKETS) {
			printk("%s: device RSS limits too small; RSS off\n",
			    vtnet_name(sc));
			sc->vs_rss = false;
		}
	}
}

static const struct ifnet_ops vtnet_ifnet_ops = {
	.ifo_transmit = vtnet_if_transmit,
	.ifo_rx_scarce = vtnet_rxbuf_scarce,
	.ifo_print_stats = vtnet_if_print_stats,
};

/* Describes the running device to the interface layer and registers it. */
static int
vtnet_ifnet_attach(struct vtnet_softc *sc)
{
	struct ifnet *ifp = &sc->vs_ifnet;

	memcpy(ifp->if_mac, sc->vs_mac, sizeof(ifp->if_mac));
	ifp->if_mtu = sc->vs_mtu;
	ifp->if_capabilities = (sc->vs_csum ? IFCAP_TXCSUM : 0) |
	    (sc->vs_guest_csum ? IFCAP_RXCSUM : 0) |
	    (sc->vs_rss ? IFCAP_RSS : 0) | (sc->vs_hash ? IFCAP_HASH : 0) |
	    (sc->vs_host_tso4 ? IFCAP_TSO4 : 0) |
	    (sc->vs_host_tso6 ? IFCAP_TSO6 : 0);
	ifp->if_nqueues = sc->vs_nqueues;
	ifp->if_tx_maxsegs = VTNET_TX_MAX_SEGS;
	ifp->if_vnet = 0;
	ifp->if_ops = &vtnet_ifnet_ops;
	ifp->if_softc = sc;
	return if_attach(ifp);
}

/*
 * Trims the queue pairs to the device's MSI-X entries and to the vectors
 * left (2N + 1: an rx and a tx vector per pair, one for config changes;
 * several devices share the CPUs' vectors).  Returns 0, or -ENOSPC
 * (printed) when not even one pair fits.
 */
static int
vtnet_fit_vectors(struct vtnet_softc *sc)
{
	int left = vector_avail();
	uint16_t want;

	/* Entries 0 .. 2N-1 for the queues and 2N for config changes. */
	while (2 * sc->vs_nqueues + 1 > sc->vs_msix.pm_nvec) {
		sc->vs_nqueues--;
		printk("%s: only %u MSI-X vectors; using %u queue pairs\n",
		    vtnet_name(sc), sc->vs_msix.pm_nvec, sc->vs_nqueues);
	}
	if (left < VTNET_MIN_VECTORS) {
		printk("%s: only %d interrupt vectors left, %d needed (rx0, "
		    "tx0, config); not attached\n", vtnet_name(sc), left,
		    VTNET_MIN_VECTORS);
		return -ENOSPC;
	}
	if (2 * sc->vs_nqueues + 1 > left) {
		want = sc->vs_nqueues;
		sc->vs_nqueues = (uint16_t)((left - 1) / 2);
		printk("%s: only %d interrupt vectors left; using %u of %u "
		    "queue pairs\n", vtnet_name(sc), left, sc->vs_nqueues,
		    want);
	}
	return 0;
}

/*
 * Brings the device up as sc (named, unit set).  On failure the device is
 * marked FAILED; its memory stays (the device may have seen it).
 */
static int
vtnet_attach_unit(struct vtnet_softc *sc, struct pci_dev *pd)
{
	const char *name = vtnet_name(sc);
	uint16_t k;
	int err;

	if ((err = virtio_pci_attach(pd, &sc->vs_vp)) != 0) {
		printk("%s: no modern virtio interface (%d)\n", name, err);
		return err;
	}
	if ((err = vtnet_negotiate(sc)) != 0) {
		printk("%s: feature negotiation failed (%d)\n", name, err);
		goto fail;
	}
	vtnet_read_config(sc);
	vtnet_log_features(sc);
	sc->vs_nqueues = vtnet_pick_queues(sc);
	if ((err = pci_msix_init(pd, &sc->vs_msix)) != 0 ||
	    sc->vs_msix.pm_nvec < VTNET_MIN_VECTORS) {
		printk("%s: needs MSI-X with at least %d vectors\n", name,
		    VTNET_MIN_VECTORS);
		err = -ENODEV;
		goto fail;
	}
	if ((err = vtnet_fit_vectors(sc)) != 0)
		goto fail;
	if ((err = vtnet_size_for_memory(sc)) != 0)
		goto fail;
	for (k = 0; k < sc->vs_nqueues; k++)
		if ((err = vtnet_setup_pair(sc, k)) != 0) {
			printk("%s: queue pair %u setup failed (%d)\n", name, k,
			    err);
			goto fail;
		}
	if ((err = vtnet_setup_config_intr(sc)) != 0) {
		printk("%s: config interrupt setup failed (%d)\n", name, err);
		goto fail;
	}
	if (virtio_has(&sc->vs_vp, VTNET_F_CTRL_VQ) &&
	    (err = vtnet_ctrl_setup(sc)) != 0) {
		printk("%s: control queue setup failed (%d)\n", name, err);
		goto fail;
	}
	pci_msix_enable(&sc->vs_msix);
	virtio_pci_driver_ok(&sc->vs_vp);
	for (k = 0; k < sc->vs_nqueues; k++)
		vtnet_rx_start(&sc->vs_rxq[k]);
	if (sc->vs_rss && (err = vtnet_rss_config(sc)) != 0) {
		printk("%s: RSS_CONFIG failed (%d); RSS off\n", name, err);
		sc->vs_rss = false;
	}
	if (!sc->vs_rss && virtio_has(&sc->vs_vp, VTNET_F_MQ)) {
		uint16_t pairs = sc->vs_nqueues;

		if ((err = vtnet_ctrl(sc, VTNET_CTRL_MQ,
		    VTNET_CTRL_MQ_VQ_PAIRS_SET, &pairs, sizeof(pairs))) != 0) {
			printk("%s: VQ_PAIRS_SET %u failed (%d)\n", name, pairs,
			    err);
			goto fail;
		}
	}
	printk("%s: mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue pairs "
	    "(device max %u), rss %s, hash report %s, link %s\n", name,
	    sc->vs_mac[0], sc->vs_mac[1], sc->vs_mac[2], sc->vs_mac[3],
	    sc->vs_mac[4], sc->vs_mac[5], sc->vs_nqueues, sc->vs_max_pairs,
	    sc->vs_rss ? "on" : "off", sc->vs_hash ? "on" : "off",
	    sc->vs_ifnet.if_link_up ? "up" : "down");
	if ((err = vtnet_ifnet_attach(sc)) != 0) {
		printk("%s: if_attach failed (%d)\n", name, err);
		goto fail;
	}
	vtnet_rx_watchdog_start(sc);
	vtnet_tx_watchdog_start(sc);
	vtnet_health_start(sc);
	sc->vs_attached = true;
	return 0;
fail:
	virtio_pci_fail(&sc->vs_vp);
	return err;
}

/*
 * The PCI attach: the next unit, or a refusal past VTNET_MAX_UNITS.  A
 * device that fails keeps its unit and softc: its vectors, pollers and
 * rings may already be registered, so nothing is reused.
 */
static int
vtnet_attach(struct pci_dev *pd)
{
	struct vtnet_softc *sc;

	if (vtnet_nunits == VTNET_MAX_UNITS) {
		vtnet_refused++;
		printk("vtnet: virtio-net device at pci %02x:%02x.%u refused: "
		    "at most %u devices (VTNET_MAX_UNITS); %u refused\n",
		    pd->pd_bus, pd->pd_dev, pd->pd_fn, VTNET_MAX_UNITS,
		    vtnet_refused);
		return -ENOSPC;
	}
	sc = &vtnet_sc[vtnet_nunits];
	sc->vs_unit = (uint16_t)vtnet_nunits++;
	ksnprintf(sc->vs_ifnet.if_name, sizeof(sc->vs_ifnet.if_name),
	    "vtnet%u", sc->vs_unit);
	return vtnet_attach_unit(sc, pd);
}

static bool
vtnet_match(const struct pci_dev *pd)
{
	return pd->pd_vendor == VIRTIO_PCI_VENDOR &&
	    (pd->pd_device == VIRTIO_ID_NET_MODERN ||
	    pd->pd_device == VIRTIO_ID_NET_LEGACY);
}

static const struct pci_driver vtnet_pci_driver = {
	.pdr_name = "vtnet",
	.pdr_match = vtnet_match,
	.pdr_attach = vtnet_attach,
};
PCI_DRIVER(vtnet, &vtnet_pci_driver);

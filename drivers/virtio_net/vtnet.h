/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet.h: the virtio-net driver's state (virtio 1.2, 5.1).
 *
 * Queue and vector numbering, in one place:
 *
 *	virtqueue 2k     rx queue k      MSI-X entry 2k      CPU k mod ncpus
 *	virtqueue 2k+1   tx queue k      MSI-X entry 2k+1    CPU k mod ncpus
 *	virtqueue 2M     control queue   no vector (polled)  (M: device max pairs)
 *	                 config change   MSI-X entry 2N      CPU 0
 *
 * so QEMU's `vectors=2N+2` is enough for N pairs.  Each rx and tx queue is
 * cache-line aligned with its own counters; a tx queue also has a lock,
 * needed only when queues are fewer than CPUs and uncontended otherwise.
 *
 * An rx buffer is one device-writable descriptor of VTNET_RX_BUF_SIZE:
 *
 *	+------------------+--------------------------------------+
 *	| virtio_net_hdr   | Ethernet frame (up to 1514 bytes)    |
 *	| 12 or 20 bytes   |                                      |
 *	+------------------+--------------------------------------+
 *
 * With GUEST_TSO4/6 (and MRG_RXBUF) a large TCP segment spans
 * num_buffers of them, the header in the first only (vtnet_rx.c):
 *
 *	+-----+--------------+  +------------------+     +----------+
 *	| hdr | Eth IP TCP.. |  | ... payload ...  | ... | ...      |
 *	+-----+--------------+  +------------------+     +----------+
 *
 * Several devices: every virtio-net device the PCI scan finds gets the
 * next unit, 0 .. VTNET_MAX_UNITS - 1, in scan order, and with it one
 * softc of vtnet.c's static array and the name vtnet<unit>, which every
 * log line of the device carries (vtnet_name()).  A device that fails to
 * attach keeps its unit (so the others' names do not depend on it); one
 * past VTNET_MAX_UNITS is refused and counted.  Each device has its own
 * queues, vectors, RSS table, control queue, watchdogs and health
 * callout.  The stack sees a device only as its vs_ifnet (net/if/if.h),
 * registered with if_attach() once the device runs; vtnet_unit() is for
 * the driver's own files (the shell commands).
 *
 * Locking: vtnet_softc fields are written during attach on the BSP and
 * read-only afterwards, except vs_ifnet's link state (CPU 0's config
 * poller, through if_link_state_change), vs_rx_badgso (atomic: the shell
 * sets it, the rx queues count it down), vs_config_pending (atomic: the
 * config interrupt sets it, the poller clears it), the control queue
 * (vs_ctrl_lock) and the watchdog and health state (CPU 0's callouts
 * alone).  An rx queue is touched only by its CPU.  A tx queue is touched
 * under its vtx_lock; its vtx_idle_co is armed only on vtx_cpu (callouts
 * are per CPU), other CPUs ask the queue's poller to (vtnet_tx.c).
 */
#ifndef DRIVERS_VIRTIO_NET_VTNET_H
#define DRIVERS_VIRTIO_NET_VTNET_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtqueue.h"
#include "kernel/callout.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/workq.h"
#include "net/if/if.h"
#include "net/netisr/mbuf.h"

#define VTNET_MAX_UNITS		8	/* devices: vtnet0 .. vtnet7 */
#define VTNET_MAX_QUEUES	16
#define VTNET_QUEUE_SIZE_MAX	256
#define VTNET_RX_BUF_SIZE	4096	/* a page: 17 per 64 KiB segment */
#define VTNET_RX_BUDGET		64
#define VTNET_RX_WD_TICKS	5	/* idle rx doorbell period: 50 ms */
#define VTNET_TX_WD_TICKS	5	/* tx progress check period: 50 ms */
#define VTNET_TX_WD_REPORT	4	/* checks without progress: print once */
#define VTNET_TX_MAX_SEGS	16	/* <= IF_TX_SEGS_MAX */
#define VTNET_TX_INTR_LOW_DIV	4	/* tx intr armed below 1/4 ring free */
#define VTNET_TX_IDLE_TICKS	1	/* completions reclaimed within: 10 ms */
#define VTNET_ETHER_ADDR_LEN	6
#define VTNET_ETHER_HDR_LEN	14
#define VTNET_VLAN_TAG_LEN	4	/* one 802.1Q tag */
#define VTNET_ETHERMTU		1500u	/* Ethernet's payload (IEEE 802.3) */
#define VTNET_RXE_MAX		16	/* >= VTNET_RXE_COUNT (vtnet_hdr.h) */
#define VTNET_GSOE_MAX		16	/* >= VTNET_GSOE_COUNT (vtnet_hdr.h) */
#define VTNET_RSS_KEY_LEN	40
#define VTNET_FLOWS_PER_QUEUE	256
#define VTNET_RX_SCARCE_DIV	4	/* copy below a quarter of the ring */
#define VTNET_RX_POLL_RING_DIV	2	/* a poll hands up half the ring at most */
/* Health state by queue: rx k at 2k, tx k at 2k+1, control last. */
#define VTNET_HEALTH_NQ		(2 * VTNET_MAX_QUEUES + 1)

/* Hash report types (5.1.6.4.1). */
#define VTNET_HASH_IPV4		1
#define VTNET_HASH_TCPV4	2
#define VTNET_HASH_UDPV4	3
#define VTNET_HASH_IPV6		4
#define VTNET_HASH_TCPV6	5
#define VTNET_HASH_UDPV6	6

/* Feature bits (5.1.3). */
#define VTNET_F_CSUM		0
#define VTNET_F_GUEST_CSUM	1
#define VTNET_F_MTU		3
#define VTNET_F_MAC		5
#define VTNET_F_GUEST_TSO4	7
#define VTNET_F_GUEST_TSO6	8
#define VTNET_F_GUEST_ECN	9
#define VTNET_F_GUEST_UFO	10
#define VTNET_F_HOST_TSO4	11
#define VTNET_F_HOST_TSO6	12
#define VTNET_F_HOST_ECN	13
#define VTNET_F_HOST_UFO	14
#define VTNET_F_MRG_RXBUF	15
#define VTNET_F_STATUS		16
#define VTNET_F_CTRL_VQ		17
#define VTNET_F_MQ		22
#define VTNET_F_HASH_REPORT	57
#define VTNET_F_RSS		60

/*
 * Control commands (5.1.6.5).  One command at a time goes through
 * vs_ctrl_buf: class and command at 0 and 1, the data from 2, the ack
 * the device writes in the last byte (vtnet_ctrl.c).
 */
#define VTNET_CTRL_MQ			4
#define VTNET_CTRL_MQ_VQ_PAIRS_SET	0
#define VTNET_CTRL_MQ_RSS_CONFIG	1
#define VTNET_CTRL_OK			0	/* ack: VIRTIO_NET_OK */
#define VTNET_CTRL_ERR			1	/* ack: VIRTIO_NET_ERR */
#define VTNET_CTRL_BUF_SIZE		512
#define VTNET_CTRL_ACK_OFF		(VTNET_CTRL_BUF_SIZE - 1)
#define VTNET_CTRL_TIMEOUT_US		1000000	/* then the device keeps it */

/* struct virtio_net_hdr (5.1.6). */
#define VTNET_HDR_F_NEEDS_CSUM	1
#define VTNET_HDR_F_DATA_VALID	2
#define VTNET_HDR_LEN		12
#define VTNET_HDR_LEN_HASH	20

struct vtnet_hdr {
	uint8_t		vh_flags;
	uint8_t		vh_gso_type;
	uint16_t	vh_hdr_len;
	uint16_t	vh_gso_size;
	uint16_t	vh_csum_start;
	uint16_t	vh_csum_offset;
	uint16_t	vh_num_buffers;
	uint32_t	vh_hash_value;		/* with HASH_REPORT */
	uint16_t	vh_hash_report;
	uint16_t	vh_padding;
} __attribute__((packed));
_Static_assert(sizeof(struct vtnet_hdr) == VTNET_HDR_LEN_HASH,
    "virtio_net_hdr with hash report (5.1.6)");

#define VTNET_FLOW_TCP		6	/* vf_proto: the IP protocol numbers */
#define VTNET_FLOW_UDP		17

/* One tracked IPv4 TCP/UDP flow (the `vtnet flows` diagnostic). */
struct vtnet_flow {
	uint32_t	vf_src, vf_dst;
	uint16_t	vf_sport, vf_dport;
	uint8_t		vf_proto;
	uint8_t		vf_used;
	uint16_t	vf_hash_type;
	uint32_t	vf_hash;
	uint64_t	vf_frames;
};

struct vtnet_softc;
struct vtnet_rxq;

/*
 * One rx buffer while the stack holds it: the mbuf handed upward, with
 * the upper layer's scratch (struct m_upper, M_UPPER set: the lwIP glue
 * keeps its pbuf_custom there), and where the buffer goes back to.
 */
struct vtnet_rxbuf {
	struct m_upper		rb_mu;		/* first: m_free casts back */
	struct workq_item	rb_wi;		/* the return queue's link */
	struct vtnet_rxq	*rb_rxq;
	uint8_t			*rb_buf;
};

typedef void vtnet_tx_done_fn(void *arg);

struct vtnet_rxq {
	struct virtqueue	vrx_vq;
	struct vtnet_softc	*vrx_sc;
	volatile uint16_t	*vrx_notify;
	uint8_t			*vrx_bufs;
	void			**vrx_cookies;
	struct vtnet_flow	*vrx_flows;
	struct vtnet_rxbuf	*vrx_rxbufs;	/* one per buffer */
	struct workq		vrx_returned;	/* buffers the stack gave back */
	uint32_t		vrx_posted;	/* buffers in the ring */
	uint16_t		vrx_id;
	uint16_t		vrx_size;
	uint32_t		vrx_cpu;
	struct percpu		*vrx_pc;	/* vrx_cpu's block */
	int			vrx_vector;
	int			vrx_bit;	/* the CPU's pending bit */
	uint64_t		vrx_packets, vrx_bytes;
	uint64_t		vrx_drop_refill;	/* a repost that failed */
	uint64_t		vrx_drop_oversize; /* over the MTU (+ one tag) */
	uint64_t		vrx_drop_hdr[VTNET_RXE_MAX]; /* by vtnet_rxe */
	uint64_t		vrx_drop_gso[VTNET_GSOE_MAX]; /* by vtnet_gsoe */
	uint64_t		vrx_gso, vrx_gso_bytes;	/* GSO frames taken */
	uint64_t		vrx_chains, vrx_chain_bufs; /* over > 1 buffer */
	uint32_t		vrx_gso_max;	/* the largest, in bytes */
	uint64_t		vrx_intrs, vrx_polls, vrx_refills;
	uint64_t		vrx_intr_misrouted; /* taken on another CPU */
	uint32_t		vrx_lent_hwm;	/* most buffers lent at once */
	uint64_t		vrx_poll_capped; /* polls cut at half the ring */
	uint64_t		vrx_csum_valid, vrx_hashed;
	uint64_t		vrx_flows_untracked;
	uint64_t		vrx_flow_probes; /* flow table slots looked at */
	uint64_t		vrx_returns;
	uint64_t		vrx_csum_completed;	/* NEEDS_CSUM done here */
	uint64_t		vrx_starved;	/* polls that found it empty */
	uint64_t		vrx_wd_kicks;	/* watchdog doorbells (CPU 0) */
	uint64_t		vrx_wd_seen;	/* packets at the last check */
	bool			vrx_was_starved; /* doorbell all once refilled */
} __attribute__((aligned(CACHE_LINE)));

struct vtnet_tx_slot;

struct vtnet_txq {
	struct virtqueue	vtx_vq;
	struct spinlock		vtx_lock;
	struct vtnet_softc	*vtx_sc;
	volatile uint16_t	*vtx_notify;
	void			**vtx_cookies;
	struct vtnet_tx_slot	*vtx_slots;
	struct vtnet_tx_slot	*vtx_free;
	uint16_t		vtx_id;
	uint16_t		vtx_size;
	uint32_t		vtx_cpu;
	struct percpu		*vtx_pc;	/* vtx_cpu's block */
	int			vtx_vector;
	int			vtx_bit;
	bool			vtx_full_kicked; /* doorbell rung when full */
	bool			vtx_idle_armed;	/* vtx_idle_co pending or asked */
	bool			vtx_idle_ask;	/* poller: arm vtx_idle_co */
	struct callout		vtx_idle_co;	/* vtx_cpu's: idle reclaim */
	bool			vtx_wd_reported; /* stall printed once */
	uint16_t		vtx_wd_used;	/* device used idx, last check */
	uint16_t		vtx_wd_stuck;	/* checks without progress */
	uint64_t		vtx_packets, vtx_bytes, vtx_drops;
	uint64_t		vtx_intrs, vtx_full, vtx_csum;
	uint64_t		vtx_tso;	/* GSO frames handed over */
	uint64_t		vtx_tso_segs;	/* the segments they make */
	uint64_t		vtx_tso_refused; /* GSO asked, not negotiated */
	uint64_t		vtx_intr_misrouted; /* taken on another CPU */
	uint64_t		vtx_full_kicks;	/* doorbells on a full ring */
	uint64_t		vtx_wd_kicks;	/* watchdog doorbells (CPU 0) */
	uint32_t		vtx_lose_kicks;	/* fault injection: to skip */
	uint64_t		vtx_kicks_lost;	/* doorbells skipped on purpose */
	uint64_t		vtx_reclaimed;	/* completions reclaimed */
	uint64_t		vtx_batches;	/* non-empty reclaim batches */
	uint64_t		vtx_intr_arms;	/* postponed interrupt armings */
	uint64_t		vtx_timer_polls; /* vtx_idle_co runs */
} __attribute__((aligned(CACHE_LINE)));

struct vtnet_softc {
	uint16_t		vs_unit;	/* vtnet<unit>, PCI scan order */
	bool			vs_attached;	/* running, in the ifnet table */
	struct virtio_pci	vs_vp;
	struct pci_msix		vs_msix;
	uint8_t			vs_mac[VTNET_ETHER_ADDR_LEN];
	uint16_t		vs_nqueues;
	uint16_t		vs_max_pairs;
	uint16_t		vs_hdr_len;
	uint16_t		vs_mtu;
	uint16_t		vs_ring_max;	/* entries per ring (vtnet_mem.c) */
	bool			vs_rss, vs_hash, vs_mrg, vs_csum;
	bool			vs_guest_csum, vs_event_idx, vs_indirect;
	bool			vs_host_tso4, vs_host_tso6;
	bool			vs_guest_tso4, vs_guest_tso6;	/* rx GSO */
	uint32_t		vs_rx_badgso;	/* atomic: `vtnet badgso` */
	uint32_t		vs_hash_types;
	struct ifnet		vs_ifnet;	/* our face to the stack */
	uint16_t		vs_rss_table[128];
	struct vtnet_rxq	vs_rxq[VTNET_MAX_QUEUES];
	struct vtnet_txq	vs_txq[VTNET_MAX_QUEUES];

	/* Control queue. */
	struct spinlock		vs_ctrl_lock;
	struct virtqueue	vs_ctrlq;
	volatile uint16_t	*vs_ctrl_notify;
	void			*vs_ctrl_cookies[VTNET_QUEUE_SIZE_MAX];
	uint8_t			*vs_ctrl_buf;
	bool			vs_ctrl_pending; /* timed out: buf is the device's */
	uint64_t		vs_ctrl_timeouts;
	uint64_t		vs_ctrl_late;	/* timed out, returned later */
	uint64_t		vs_ctrl_refused; /* refused: pending or broken */

	/* Link state: vs_ifnet.if_link_up, owned by CPU 0's config poller. */
	int			vs_config_vector;
	bool			vs_config_pending;	/* atomic: intr -> poll */

	/* CPU 0's callouts, and what the health check already printed. */
	struct callout		vs_rx_wd;
	struct callout		vs_tx_wd;
	struct callout		vs_health_co;
	uint8_t			vs_health_seen[VTNET_HEALTH_NQ];
};

/* The device's name, vtnet<unit>: the prefix of every line it logs. */
static inline const char *
vtnet_name(const struct vtnet_softc *sc)
{
	return sc->vs_ifnet.if_name;
}

/* vtnet_rx.c */
void	vtnet_rx_doorbell(struct vtnet_rxq *rxq);
void	vtnet_rx_watchdog_start(struct vtnet_softc *sc);
int	vtnet_rx_setup(struct vtnet_softc *sc, struct vtnet_rxq *rxq);
void	vtnet_rx_start(struct vtnet_rxq *rxq);
bool	vtnet_rx_poll(void *arg);
bool	vtnet_rxbuf_scarce(struct ifnet *ifp, const struct mbuf *m);
void	vtnet_rx_bad_gso(struct vtnet_softc *sc, uint32_t n);
uint32_t vtnet_rx_get_lend_max(void);
int	vtnet_rx_set_lend_max(uint32_t n);

/* vtnet_tx.c */
int	vtnet_tx_setup(struct vtnet_softc *sc, struct vtnet_txq *txq);
size_t	vtnet_tx_slot_bytes(void);
bool	vtnet_tx_poll(void *arg);
void	vtnet_tx_watchdog_start(struct vtnet_softc *sc);
int	vtnet_tx_lose_kicks(struct vtnet_softc *sc, uint16_t q, uint32_t n);
int	vtnet_transmit(struct vtnet_softc *sc, const struct if_seg *segs,
	    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
	    vtnet_tx_done_fn *done, void *arg);
int	vtnet_if_transmit(struct ifnet *ifp, const struct if_seg *segs,
	    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
	    if_tx_done_fn *done, void *arg);

/* vtnet_cmds.c */
void	vtnet_if_print_stats(struct ifnet *ifp);

/* vtnet_ctrl.c */
int	vtnet_ctrl(struct vtnet_softc *sc, uint8_t class, uint8_t cmd,
	    const void *data, size_t len);

/* vtnet_mem.c */
size_t	vtnet_pair_bytes(uint16_t size);
int	vtnet_size_for_memory(struct vtnet_softc *sc);
size_t	vtnet_nomem_need_kib(void);

/* vtnet_health.c */
void	vtnet_health_start(struct vtnet_softc *sc);
void	vtnet_health_print(struct vtnet_softc *sc);

/* vtnet.c */
struct vtnet_softc *vtnet_unit(unsigned unit);
unsigned vtnet_unit_count(void);
uint32_t vtnet_units_refused(void);
void	*vtnet_ring_alloc(size_t bytes);
void	*vtnet_buf_alloc(size_t bytes);
void	 vtnet_log_features(struct vtnet_softc *sc);
const char *vtnet_rss_key_hex(void);

#endif /* DRIVERS_VIRTIO_NET_VTNET_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_rx.c: virtio-net receive.
 *
 * Every rx buffer is posted at setup, and each one the device returns is
 * posted again in the same poll, so a queue is never left empty (an empty
 * queue can stall RSS traffic steered to it).  A poll runs on the queue's
 * own CPU from the core loop, with the queue's interrupt suppressed; it
 * handles at most VTNET_RX_BUDGET frames, and stops early once its frames
 * hold half the ring's buffers (VTNET_RX_POLL_RING_DIV: large segments
 * take up to 17 buffers each, and a poll that handed up most of the ring
 * at once would spend the lending budget on frames merely in transit, so
 * the stack would copy them all); it kicks once for all refills, and
 * then re-arms the interrupt and re-checks the used ring, so a frame that
 * raced the re-arm is polled at once instead of being stranded.
 *
 * Frames are delivered in place (no copy) to the interface layer, all of
 * a poll's at once after its refills and doorbell (if_input_batch), once
 * the stack has brought the interface up (if_is_up); before that, delivery is a counting sink.  Either way each
 * IPv4 TCP/UDP flow is recorded: its queue, the device's hash and hash
 * type, and a frame count (`vtnet flows`).  The mbuf carries the stack's
 * scratch (struct m_upper, M_UPPER) and a lend budget
 * (vtnet_rxbuf_scarce, the interface's ifo_rx_scarce), one budget
 * (hw.vtnet.rx_lend_max) for every queue of every device.
 * The device's header is checked by vtnet_rx_hdr_check() (vtnet_hdr.c): a
 * frame too short for a header, spanning several buffers without GSO,
 * with GSO we never negotiated, unknown flags or checksum offsets outside
 * the frame is dropped and counted by reason, and so is a frame bigger
 * than the MTU we offered (`netstat -i` shows every reason).
 *
 * Large segments (GUEST_TSO4/6, only with MRG_RXBUF): a GSO frame spans
 * num_buffers buffers (at most VTNET_RX_CHAIN_MAX), taken off the used
 * ring together and linked into one mbuf chain (m_next), zero copy; it is
 * checked against its own headers by vtnet_rx_gso_check() and dropped by
 * reason (`rx gso drops`), every buffer of a dropped frame reposted at
 * once.  Its partial checksum (NEEDS_CSUM) is not summed again.
 *
 * Locking: an rx queue, its buffers, counters and flow table are touched
 * only by the queue's CPU; the shell reads the counters racily.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"
#include "kernel/callout.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "kernel/prof.h"

#define ETHERTYPE_IPV4		0x0800
#define ETHER_TYPE_OFF		12
#define IPV4_MIN_HDR		20
#define IPV4_LEN_OFF		2	/* total length (RFC 791) */
#define IPV6_PLEN_OFF		4	/* payload length (RFC 8200) */
#define IPV4_VERSION		4
#define IPV4_IHL_MASK		0x0f
#define IPV4_FRAG_MASK		0x3fff	/* MF flag and fragment offset */
#define L4_PORTS_LEN		4
#define FLOW_MIX		0x9e3779b9u	/* golden-ratio multiplier */
#define VTNET_FLOW_PROBES	8	/* slots tried per frame, at most */
#define VTNET_FLOWS_SHIFT	8	/* log2(VTNET_FLOWS_PER_QUEUE) */

_Static_assert(VTNET_FLOWS_PER_QUEUE == 1 << VTNET_FLOWS_SHIFT,
    "flow_note() takes the slot from the hash's top bits");
_Static_assert(VTNET_RXE_COUNT <= VTNET_RXE_MAX,
    "vrx_drop_hdr has a counter for every vtnet_rxe reason");

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
vtnet_rx_setup(struct vtnet_softc *sc, struct vtnet_rxq *rxq)
{
	uint16_t q = (uint16_t)(2 * rxq->vrx_id), size, i;
	void *desc, *avail, *used;
	struct vq_seg seg;
	int err;

	size = virtio_pci_queue_max(&sc->vs_vp, q);
	if (size > sc->vs_ring_max)
		size = sc->vs_ring_max;
	rxq->vrx_size = size;
	desc = vtnet_ring_alloc(vq_desc_bytes(size));
	avail = vtnet_ring_alloc(vq_avail_bytes(size));
	used = vtnet_ring_alloc(vq_used_bytes(size));
	rxq->vrx_bufs = vtnet_buf_alloc((size_t)size * VTNET_RX_BUF_SIZE);
	rxq->vrx_cookies = kmem_zalloc(size * sizeof(void *));
	rxq->vrx_flows = kmem_zalloc(VTNET_FLOWS_PER_QUEUE *
	    sizeof(struct vtnet_flow));
	rxq->vrx_rxbufs = vtnet_ring_alloc(size * sizeof(struct vtnet_rxbuf));
	if (desc == NULL || avail == NULL || used == NULL ||
	    rxq->vrx_bufs == NULL || rxq->vrx_cookies == NULL ||
	    rxq->vrx_flows == NULL || rxq->vrx_rxbufs == NULL)
		return -ENOMEM;
	workq_init(&rxq->vrx_returned);
	err = vq_init(&rxq->vrx_vq, size, desc, avail, used, rxq->vrx_cookies,
	    sc->vs_event_idx, false);
	if (err != 0)
		return err;
	err = virtio_pci_queue_setup(&sc->vs_vp, q, size, (uint16_t)q,
	    vq_phys(desc), vq_phys(avail), vq_phys(used), &rxq->vrx_notify);
	if (err != 0)
		return err;
	for (i = 0; i < size; i++) {
		struct vtnet_rxbuf *rb = &rxq->vrx_rxbufs[i];

		rb->rb_rxq = rxq;
		rb->rb_buf = rxq->vrx_bufs + (size_t)i * VTNET_RX_BUF_SIZE;
		seg.vs_addr = rb->rb_buf;
		seg.vs_len = VTNET_RX_BUF_SIZE;
		if ((err = vq_add(&rxq->vrx_vq, &seg, 0, 1, rb, NULL)) != 0)
			return err;
		rxq->vrx_posted++;
	}
	return 0;
}

/*
 * Rings rxq's doorbell without touching the ring (any CPU): the device
 * rechecks the queue and, in QEMU, flushes the packets it parked on this
 * queue's backend.
 */
void
vtnet_rx_doorbell(struct vtnet_rxq *rxq)
{
	*rxq->vrx_notify = (uint16_t)(2 * rxq->vrx_id);
}

/*
 * A packet that arrives on backend queue i but is steered by the
 * device's RSS to queue j, while j has no buffer, is parked on i; QEMU
 * flushes it only when queue i is notified, and stops reading backend i
 * meanwhile.  So when a queue ran out of buffers, ring every queue's
 * doorbell once it has buffers again, and (vtnet_health.c's rx
 * watchdog) ring idle queues'
 * doorbells now and then in case a starved moment went unseen.
 */
static void
rx_doorbell_all(struct vtnet_softc *sc)
{
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++)
		vtnet_rx_doorbell(&sc->vs_rxq[q]);
}

/* Publishes the pre-posted buffers; after DRIVER_OK. */
void
vtnet_rx_start(struct vtnet_rxq *rxq)
{
	vq_kick_prepare(&rxq->vrx_vq);
	*rxq->vrx_notify = (uint16_t)(2 * rxq->vrx_id);
}

static void
rx_repost(struct vtnet_rxq *rxq, struct vtnet_rxbuf *rb)
{
	struct vq_seg seg = { rb->rb_buf, VTNET_RX_BUF_SIZE };

	if (vq_add(&rxq->vrx_vq, &seg, 0, 1, rb, NULL) != 0) {
		rxq->vrx_drop_refill++;		/* cannot happen: one freed */
		return;
	}
	rxq->vrx_refills++;
	rxq->vrx_posted++;
}

/*
 * m_free of a buffer handed upward: any CPU, any context.  The buffer
 * goes on its queue's lock-free return list, and the queue's CPU is
 * asked to poll, which reposts it.
 */
static void
rxbuf_return(struct mbuf *m)
{
	struct vtnet_rxbuf *rb = (struct vtnet_rxbuf *)m;
	struct vtnet_rxq *rxq = rb->rb_rxq;

	workq_push(&rxq->vrx_returned, &rb->rb_wi);
	coreloop_mark_pending(percpu_get(rxq->vrx_cpu), 1u << rxq->vrx_bit);
}

/* Reposts every buffer the stack gave back.  On the queue's CPU. */
static int
rx_take_returns(struct vtnet_rxq *rxq)
{
	struct workq_item *wi, *next;
	int n = 0;

	for (wi = workq_take_all(&rxq->vrx_returned); wi != NULL; wi = next) {
		next = wi->wi_next;
		rx_repost(rxq, (struct vtnet_rxbuf *)((uint8_t *)wi -
		    offsetof(struct vtnet_rxbuf, rb_wi)));
		rxq->vrx_returns++;
		n++;
	}
	return n;
}

/*
 * The rx lending budget.  Buffers handed upward stay lent until the stack
 * frees them (zero copy); a queue may lend at most vtnet_rx_lend_max of
 * its buffers (hw.vtnet.rx_lend_max, default three quarters of the ring).
 * Past that the upper layer copies the frame and gives the buffer back
 * at once, so however many buffers a slow consumer pins (a TCP echo whose
 * peer does not read, lwIP's out-of-order queue), the driver keeps a
 * quarter of every ring posted and still receives.  0 copies every frame.
 */
static uint32_t vtnet_rx_lend_max = VTNET_QUEUE_SIZE_MAX -
    VTNET_QUEUE_SIZE_MAX / VTNET_RX_SCARCE_DIV;

uint32_t
vtnet_rx_get_lend_max(void)
{
	return __atomic_load_n(&vtnet_rx_lend_max, __ATOMIC_RELAXED);
}

int
vtnet_rx_set_lend_max(uint32_t n)
{
	if (n > VTNET_QUEUE_SIZE_MAX)
		return -EINVAL;
	__atomic_store_n(&vtnet_rx_lend_max, n, __ATOMIC_RELAXED);
	return 0;
}

/* True when m's queue has lent more buffers than its budget: the caller
 * should copy and give this one back at once (the ring must never
 * starve).  Also keeps the queue's high-water mark of lent buffers.  m
 * may head a chain: every buffer of it is already counted as lent (they
 * left the ring), so a chain that fits the budget keeps the ring's
 * reserve, and one that does not is copied whole and all its buffers go
 * back. */
bool
vtnet_rxbuf_scarce(struct ifnet *ifp, const struct mbuf *m)
{
	struct vtnet_rxq *rxq = ((const struct vtnet_rxbuf *)m)->rb_rxq;
	uint32_t lent = rxq->vrx_size -
	    __atomic_load_n(&rxq->vrx_posted, __ATOMIC_RELAXED);
	uint32_t budget = vtnet_rx_get_lend_max();
	uint32_t keep = rxq->vrx_size / VTNET_RX_SCARCE_DIV;
	uint32_t cap;

	(void)ifp;
	/*
	 * With GSO, a large segment needs up to VTNET_RX_CHAIN_MAX posted
	 * buffers at once: the device waits for them (QEMU does), so
	 * keeping fewer could stall the queue behind the very segment TCP's
	 * out-of-order queue is holding the others for.
	 */
	if ((rxq->vrx_sc->vs_guest_tso4 || rxq->vrx_sc->vs_guest_tso6) &&
	    keep < VTNET_RX_CHAIN_MAX)
		keep = VTNET_RX_CHAIN_MAX;
	cap = rxq->vrx_size > keep ? rxq->vrx_size - keep : 0;
	if (budget > cap)
		budget = cap;
	if (lent > rxq->vrx_lent_hwm)
		rxq->vrx_lent_hwm = lent;
	return lent > budget;
}

/* virtio hash report types (5.1.6.4.1) to mbuf hash types. */
static uint8_t
rx_hashtype(uint16_t report)
{
	static const uint8_t map[] = {
		[VTNET_HASH_IPV4] = M_HASHTYPE_RSS_IPV4,
		[VTNET_HASH_TCPV4] = M_HASHTYPE_RSS_TCP_IPV4,
		[VTNET_HASH_UDPV4] = M_HASHTYPE_RSS_UDP_IPV4,
		[VTNET_HASH_IPV6] = M_HASHTYPE_RSS_IPV6,
		[VTNET_HASH_TCPV6] = M_HASHTYPE_RSS_TCP_IPV6,
		[VTNET_HASH_UDPV6] = M_HASHTYPE_RSS_UDP_IPV6,
	};

	return report < sizeof(map) ? map[report] : M_HASHTYPE_OPAQUE;
}

static void
flow_note(struct vtnet_rxq *rxq, const uint8_t *f, uint32_t len,
    uint32_t hash, uint16_t hash_type)
{
	const uint8_t *ip = f + VTNET_ETHER_HDR_LEN, *l4;
	uint32_t ihl, src, dst, slot, i;
	uint16_t sport, dport;
	struct vtnet_flow *fl;
	uint8_t proto;

	if (len < VTNET_ETHER_HDR_LEN + IPV4_MIN_HDR ||
	    be16(f + ETHER_TYPE_OFF) != ETHERTYPE_IPV4 ||
	    (ip[0] >> 4) != IPV4_VERSION)
		return;
	ihl = (uint32_t)(ip[0] & IPV4_IHL_MASK) * 4;
	proto = ip[9];
	if (ihl < IPV4_MIN_HDR || (be16(ip + 6) & IPV4_FRAG_MASK) != 0 ||
	    (proto != VTNET_FLOW_TCP && proto != VTNET_FLOW_UDP) ||
	    len < VTNET_ETHER_HDR_LEN + ihl + L4_PORTS_LEN)
		return;
	l4 = ip + ihl;
	src = be32(ip + 12);
	dst = be32(ip + 16);
	sport = be16(l4);
	dport = be16(l4 + 2);
	/* Fibonacci hashing: the product's top bits mix every key bit. */
	slot = ((src ^ dst ^ ((uint32_t)sport << 16 | dport)) * FLOW_MIX) >>
	    (32 - VTNET_FLOWS_SHIFT);
	/* O(1) per frame: a flow lives within VTNET_FLOW_PROBES of its slot. */
	for (i = 0; i < VTNET_FLOW_PROBES; i++) {
		rxq->vrx_flow_probes++;
		fl = &rxq->vrx_flows[(slot + i) % VTNET_FLOWS_PER_QUEUE];
		if (!fl->vf_used) {
			fl->vf_src = src;
			fl->vf_dst = dst;
			fl->vf_sport = sport;
			fl->vf_dport = dport;
			fl->vf_proto = proto;
			fl->vf_hash = hash;
			fl->vf_hash_type = hash_type;
			fl->vf_used = 1;
		}
		if (fl->vf_src == src && fl->vf_dst == dst &&
		    fl->vf_sport == sport && fl->vf_dport == dport &&
		    fl->vf_proto == proto) {
			fl->vf_frames++;
			return;
		}
	}
	rxq->vrx_flows_untracked++;
}

/*
 * With GUEST_CSUM the device may hand over a frame whose checksum is only
 * partial (NEEDS_CSUM, 5.1.6.4.1: typically a packet the host itself sent
 * with checksum offload): the field at csum_start + csum_offset holds the
 * pseudo-header sum, and the ones' complement sum from csum_start to the
 * end still has to be folded in.  Done here in software, so the stack
 * above always sees complete checksums.  Returns false if the offsets lie
 * outside the frame.
 */
static bool
rx_complete_csum(uint8_t *f, uint32_t flen, const struct vtnet_hdr *h)
{
	uint32_t start = h->vh_csum_start, at = start + h->vh_csum_offset, i;
	uint64_t sum = 0;
	uint16_t c;

	if (start >= flen || at + sizeof(uint16_t) > flen)
		return false;
	for (i = start; i + 1 < flen; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	if (i < flen)
		sum += (uint32_t)f[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	f[at] = (uint8_t)(c >> 8);
	f[at + 1] = (uint8_t)c;
	return true;
}

/*
 * Fault injection (`vtnet badgso <n>`): the device's next n GSO frames,
 * on whichever queues, are spoilt before they are checked, in turn their
 * IP length (+1), hdr_len (past the frame) and gso_size (0), so that
 * vtnet_rx_gso_check() drops and counts n / 3 under each of `length`,
 * `hdr-len` and `gso-size`, and every buffer of theirs goes back.
 */
void
vtnet_rx_bad_gso(struct vtnet_softc *sc, uint32_t n)
{
	__atomic_store_n(&sc->vs_rx_badgso, n, __ATOMIC_RELAXED);
}

static void
rx_gso_spoil(struct vtnet_softc *sc, struct vtnet_hdr *h, uint8_t *f)
{
	uint32_t n = __atomic_load_n(&sc->vs_rx_badgso, __ATOMIC_RELAXED);
	uint8_t *len;

	while (n > 0 && !__atomic_compare_exchange_n(&sc->vs_rx_badgso, &n,
	    n - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (n == 0)
		return;
	switch ((n - 1) % 3) {
	case 0:
		len = f + VTNET_ETHER_HDR_LEN + (h->vh_gso_type ==
		    VTNET_HDR_GSO_TCPV4 ? IPV4_LEN_OFF : IPV6_PLEN_OFF);
		if (++len[1] == 0)
			len[0]++;
		break;
	case 1:
		h->vh_hdr_len = UINT16_MAX;
		break;
	default:
		h->vh_gso_size = 0;
		break;
	}
}

/* Fills rb's mbuf for len bytes at data, as one buffer of a frame. */
static struct mbuf *
rx_mbuf_init(struct vtnet_rxbuf *rb, uint8_t *data, uint32_t len)
{
	struct mbuf *m = &rb->rb_mu.mu_m;

	*m = (struct mbuf){ 0 };
	m->m_flags = M_UPPER;
	m->m_data = data;
	m->m_len = len;
	m->m_free = rxbuf_return;
	return m;
}

/* Reposts every buffer of the chain after m (the caller reposts m's). */
static void
rx_chain_repost(struct vtnet_rxq *rxq, struct mbuf *m)
{
	struct mbuf *next;

	for (m = m->m_next; m != NULL; m = next) {
		next = m->m_next;
		rx_repost(rxq, (struct vtnet_rxbuf *)m);
	}
}

/*
 * Takes the nbuf - 1 buffers after the first of a merged frame off the
 * used ring and links them behind m, the first's mbuf (a continuation
 * buffer has no header: its bytes are the frame's).  Returns the bytes
 * they hold, or 0 if the ring had fewer or one was empty (what it took
 * is still linked, for the caller to give back).
 */
static uint32_t
rx_chain_take(struct vtnet_rxq *rxq, struct mbuf *m, uint16_t nbuf,
    bool *starved)
{
	struct vtnet_rxbuf *more;
	uint32_t wlen, bytes = 0;
	bool whole = true;
	uint16_t i;

	for (i = 1; i < nbuf; i++) {
		more = vq_get_used(&rxq->vrx_vq, &wlen);
		if (more == NULL)
			return 0;
		if (--rxq->vrx_posted == 0)
			*starved = true;
		m->m_next = rx_mbuf_init(more, more->rb_buf, wlen);
		m = m->m_next;
		if (wlen == 0)
			whole = false;
		bytes += wlen;
	}
	return whole ? bytes : 0;
}

/*
 * Handles one returned buffer, and with MRG_RXBUF the num_buffers - 1
 * after it.  Returns the mbuf (chain) to hand upward, or NULL when the
 * frame was dropped or no upper layer is attached: the buffers after the
 * first are then reposted here, and the caller reposts the first.
 */
static struct mbuf *
rx_frame(struct vtnet_rxq *rxq, struct vtnet_rxbuf *rb, uint32_t len,
    bool *starved)
{
	struct vtnet_softc *sc = rxq->vrx_sc;
	const struct vtnet_hdr *h = (const struct vtnet_hdr *)rb->rb_buf;
	uint32_t hash = 0, flen, first, more = 0;
	uint16_t type = 0, nbuf = 1;
	uint8_t *f = rb->rb_buf + sc->vs_hdr_len;
	struct mbuf *m;
	int reason, gsoe = VTNET_GSOE_OK;
	bool gso;

	/* The device's header is input: vtnet_hdr.c says what is wrong. */
	reason = vtnet_rx_hdr_check(h, len, sc->vs_hdr_len,
	    (sc->vs_guest_csum ? VTNET_RXH_GUEST_CSUM : 0) |
	    (sc->vs_mrg ? VTNET_RXH_MRG_RXBUF : 0) |
	    (sc->vs_guest_tso4 ? VTNET_RXH_GUEST_TSO4 : 0) |
	    (sc->vs_guest_tso6 ? VTNET_RXH_GUEST_TSO6 : 0));
	first = len >= sc->vs_hdr_len ? len - sc->vs_hdr_len : 0;
	m = rx_mbuf_init(rb, f, first);
	/* The frame's other buffers come with it, kept or dropped. */
	if (sc->vs_mrg && reason != VTNET_RXE_SHORT &&
	    reason != VTNET_RXE_NUM_BUFFERS) {
		nbuf = h->vh_num_buffers;	/* checked, but read again */
		if (nbuf > VTNET_RX_CHAIN_MAX)
			nbuf = 1;
		if (nbuf > 1 && (more = rx_chain_take(rxq, m, nbuf,
		    starved)) == 0 && reason == VTNET_RXE_OK)
			gsoe = VTNET_GSOE_CHAIN;
	}
	if (reason != VTNET_RXE_OK) {
		rxq->vrx_drop_hdr[reason]++;
		goto drop;
	}
	gso = h->vh_gso_type != VTNET_HDR_GSO_NONE;
	flen = first + more;
	if (!gso && nbuf > 1) {
		/* Only a device that rewrote its header gets here. */
		rxq->vrx_drop_hdr[VTNET_RXE_MERGED]++;
		goto drop;
	}
	if (gso && gsoe == VTNET_GSOE_OK) {
		if (__atomic_load_n(&sc->vs_rx_badgso, __ATOMIC_RELAXED) != 0)
			rx_gso_spoil(sc, (struct vtnet_hdr *)rb->rb_buf, f);
		gsoe = vtnet_rx_gso_check(h, f, first, flen);
	}
	if (gsoe != VTNET_GSOE_OK) {
		rxq->vrx_drop_gso[gsoe]++;
		goto drop;
	}
	/*
	 * Not GSO: one buffer (vtnet_rx_hdr_check), bigger than one tagged
	 * frame of our MTU, or of Ethernet's 1500 if the device's MTU is
	 * smaller (a host that pads its MTU down still sends standard
	 * frames: Linux's GOOD_PACKET_LEN rule).
	 */
	if (!gso && flen > (sc->vs_mtu > VTNET_ETHERMTU ? sc->vs_mtu :
	    VTNET_ETHERMTU) + VTNET_ETHER_HDR_LEN + VTNET_VLAN_TAG_LEN) {
		rxq->vrx_drop_oversize++;
		goto drop;
	}
	/*
	 * A GSO frame's NEEDS_CSUM is left partial: the segment is for us
	 * (nothing is forwarded), and summing 64 KiB again would cost what
	 * the offload saves; it is marked CSUM_DATA_VALID like the others.
	 */
	if (!gso && sc->vs_guest_csum &&
	    (h->vh_flags & VTNET_HDR_F_NEEDS_CSUM)) {
		if (!rx_complete_csum(f, flen, h)) {
			/* vtnet_rx_hdr_check() already refuses this. */
			rxq->vrx_drop_hdr[VTNET_RXE_BAD_CSUM_OFFSET]++;
			goto drop;
		}
		rxq->vrx_csum_completed++;
	}
	rxq->vrx_packets++;
	rxq->vrx_bytes += flen;
	if (gso) {
		rxq->vrx_gso++;
		rxq->vrx_gso_bytes += flen;
		if (flen > rxq->vrx_gso_max)
			rxq->vrx_gso_max = flen;
	}
	if (nbuf > 1) {
		rxq->vrx_chains++;
		rxq->vrx_chain_bufs += nbuf;
	}
	if (sc->vs_guest_csum && (h->vh_flags & VTNET_HDR_F_DATA_VALID))
		rxq->vrx_csum_valid++;
	if (sc->vs_hash && h->vh_hash_report != 0) {
		rxq->vrx_hashed++;
		hash = h->vh_hash_value;
		type = h->vh_hash_report;
	}
	flow_note(rxq, f, first, hash, type);
	if (!if_is_up(&sc->vs_ifnet))
		goto drop;
	m->m_pkthdr.len = flen;
	m->m_pkthdr.rxqueue = rxq->vrx_id;
	if (type != 0) {
		m->m_pkthdr.flowid = hash;
		M_HASHTYPE_SET(m, rx_hashtype(type));
	}
	/*
	 * The device vouches for the L4 checksum (DATA_VALID), or the
	 * sender left it to us (NEEDS_CSUM, completed above, or a GSO
	 * frame's): either way the upper layer need not verify it again.
	 */
	if (sc->vs_guest_csum && (h->vh_flags &
	    (VTNET_HDR_F_DATA_VALID | VTNET_HDR_F_NEEDS_CSUM)))
		m->m_pkthdr.csum_flags = CSUM_DATA_VALID;
	return m;

drop:
	rx_chain_repost(rxq, m);
	return NULL;
}

/* The bytes of the frames handed up, for `prof` (only while it is on). */
static uint64_t
rx_bytes(struct mbuf *const *up, int nup)
{
	uint64_t bytes = 0;
	int i;

	if (!prof_self()->pr_on)
		return 0;
	for (i = 0; i < nup; i++)
		bytes += up[i]->m_pkthdr.len;
	return bytes;
}

/* The queue's poller, on its CPU (see the file comment). */
bool
vtnet_rx_poll(void *arg)
{
	struct vtnet_rxq *rxq = arg;
	struct virtqueue *vq = &rxq->vrx_vq;
	struct mbuf *up[VTNET_RX_BUDGET];
	struct vtnet_rxbuf *rb;
	struct ifnet *ifp = &rxq->vrx_sc->vs_ifnet;
	int n, nup = 0;
	uint32_t len, posted0, cap;
	bool posted, more, capped = false, starved = false;

	prof_enter(PROF_RX_DRIVER);
	rxq->vrx_polls++;
	vq_intr_disable(vq);
	posted = rx_take_returns(rxq) > 0;
	posted0 = rxq->vrx_posted;
	cap = rxq->vrx_size / VTNET_RX_POLL_RING_DIV;
	for (n = 0; n < VTNET_RX_BUDGET && !capped; n++) {
		rb = vq_get_used(vq, &len);
		if (rb == NULL)
			break;
		if (--rxq->vrx_posted == 0)
			starved = true;
		if ((up[nup] = rx_frame(rxq, rb, len, &starved)) != NULL) {
			nup++;
		} else {
			rx_repost(rxq, rb);
			posted = true;
		}
		/* Buffers this poll took and did not give back. */
		capped = posted0 - rxq->vrx_posted >= cap;
	}
	if (capped)
		rxq->vrx_poll_capped++;
	/*
	 * After a refill, always notify: QEMU stops reading its backend when
	 * a queue runs dry and waits for a notification, but does not always
	 * refresh avail_event first, so event suppression could leave the
	 * queue stalled with every buffer posted.  One doorbell per poll.
	 */
	if (posted) {
		vq_kick_prepare(vq);
		vtnet_rx_doorbell(rxq);
	}
	if (starved) {
		rxq->vrx_starved++;
		rxq->vrx_was_starved = true;
	}
	if (rxq->vrx_was_starved && rxq->vrx_posted > 0) {
		rxq->vrx_was_starved = false;
		rx_doorbell_all(rxq->vrx_sc);
	}
	prof_rx((uint64_t)n, rx_bytes(up, nup));
	prof_enter(PROF_STACK);
	if (nup != 0)
		if_input_batch(ifp, up, (unsigned)nup);
	prof_leave();
	more = n == VTNET_RX_BUDGET || capped || vq_intr_enable(vq);
	prof_leave();
	return more;
}

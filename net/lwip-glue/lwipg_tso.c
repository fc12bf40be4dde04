/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_tso.c: transmit segmentation offload for lwIP's TCP, with lwIP
 * unchanged (IFCAP_TSO4/6, virtio-net's HOST_TSO4/6).
 *
 * lwIP builds TCP segments of at most one MSS and hands them to
 * linkoutput one by one.  Here the consecutive segments of one flow that
 * one lwIP entry produces (a tcp_output burst under one hold of the core
 * lock) are gathered into one GSO frame: one copy of the first segment's
 * headers, fixed up for the whole (IPv4 total length and header checksum,
 * IPv6 payload length, PSH if any segment had it, the TCP pseudo-header
 * sum for the device's checksum), then every segment's payload by
 * reference.  The device cuts it back into the same segments: each
 * carries gso_size (the first segment's payload) bytes but the last.
 *
 * A segment joins the frame being gathered on its interface if it follows
 * it exactly: same headers but for the sequence number (the next one),
 * the IPv4 id and checksums, and PSH; plain ACK data (no SYN, FIN, RST or
 * URG, no IPv4 options); a payload no bigger than the first's, and the
 * frame not closed by a shorter one; within 64 KiB and the interface's
 * segment limit.  Anything else (another flow, a pure ACK, a FIN, ARP,
 * UDP) first sends what was gathered, so the interface's order is
 * lwIP's order.  The gathered frame also goes out when the core lock is
 * released (lwipg_tso_flush_all from lwipg_core_unlock): lwIP's view is
 * unchanged, segments leave in the same lwIP call that made them.
 *
 * What lwIP sees does not change: its segments, sequence numbers,
 * congestion window and retransmissions are its own; a retransmitted
 * segment is just a segment (it may travel with its neighbours).  The
 * cost is a header copy and a comparison per segment, and one transmit
 * per frame instead of per segment; a frame of one segment goes out as
 * it came, without GSO.
 *
 * A GSO frame keeps a reference to each segment's pbuf chain until the
 * device is done (tso_done).  Its header copy and that list live in one
 * of LWIPG_TSO_BATCHES static batches per instance; with none free,
 * segments go out one by one (counted `no-batch`).
 *
 * Locking: everything under the lwIP core lock; tso_done takes it when
 * the driver completes outside it, as lwipg_netif.c's tx_done does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kassert.h"
#include "kernel/libc.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"

#define TSO_ETHER_HDR_LEN	14
#define TSO_ETHER_TYPE_OFF	12
#define TSO_ETHERTYPE_IP	0x0800
#define TSO_ETHERTYPE_IPV6	0x86dd
#define TSO_IP4_HDR_LEN		20	/* no options: those go out alone */
#define TSO_IP4_LEN_OFF		2
#define TSO_IP4_ID_OFF		4
#define TSO_IP4_FRAG_OFF	6
#define TSO_IP4_FRAG_MASK	0x3fff	/* MF and the fragment offset */
#define TSO_IP4_PROTO_OFF	9
#define TSO_IP4_SUM_OFF		10
#define TSO_IP4_SRC_OFF		12
#define TSO_IP6_HDR_LEN		40
#define TSO_IP6_PLEN_OFF	4
#define TSO_IP6_NXT_OFF		6
#define TSO_IP6_SRC_OFF		8
#define TSO_IPPROTO_TCP		6
#define TSO_TCP_HDR_MIN		20
#define TSO_TCP_SEQ_OFF		4
#define TSO_TCP_OFF_OFF		12	/* data offset, high nibble */
#define TSO_TCP_FLAGS_OFF	13
#define TSO_TCP_SUM_OFF		16
#define TSO_TH_FIN		0x01
#define TSO_TH_SYN		0x02
#define TSO_TH_RST		0x04
#define TSO_TH_PSH		0x08
#define TSO_TH_ACK		0x10
#define TSO_TH_URG		0x20
#define TSO_HDR_MAX		(TSO_ETHER_HDR_LEN + TSO_IP6_HDR_LEN + 60)
#define TSO_LEN16_MAX		0xffff	/* IPv4 total, IPv6 payload length */
#define LWIPG_TSO_BATCHES	64	/* GSO frames in flight, per instance */
/* lwIP segments per GSO frame: 64 KiB of 1,460-byte payloads is 45. */
#define TSO_SEGS_MAX		48

struct tso_batch {
	struct tso_batch	*tb_next;	/* free list */
	uint8_t			 tb_hdr[TSO_HDR_MAX];
	struct pbuf		*tb_pbufs[TSO_SEGS_MAX];
	unsigned		 tb_npbufs;
};

/* A frame being gathered: one per interface of the instance. */
struct tso_pend {
	struct tso_batch	*tp_b;		/* NULL: nothing gathered */
	struct if_seg		 tp_segs[IF_TX_SEGS_MAX];
	unsigned		 tp_nsegs;	/* [0] is the header copy */
	uint16_t		 tp_hdr_len;	/* Ethernet + IP + TCP */
	uint16_t		 tp_l3;		/* IP header length */
	uint16_t		 tp_mss;	/* the first segment's payload */
	bool			 tp_v6;
	bool			 tp_closed;	/* a shorter segment ended it */
	uint8_t			 tp_psh;	/* PSH seen */
	uint32_t		 tp_payload;
	uint32_t		 tp_next_seq;
	uint32_t		 tp_flowid;
};

static struct tso_batch tso_batches[LWIPG_TSO_BATCHES];
static struct tso_batch *tso_free;
static bool tso_ready;
static struct tso_pend tso_pend[LWIPG_IFS_MAX];

static inline uint32_t
be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	return sum;
}

static uint32_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static struct tso_batch *
tso_batch_get(void)
{
	struct tso_batch *b;
	unsigned i;

	if (!tso_ready) {
		for (i = 0; i < LWIPG_TSO_BATCHES; i++) {
			tso_batches[i].tb_next = tso_free;
			tso_free = &tso_batches[i];
		}
		tso_ready = true;
	}
	if ((b = tso_free) != NULL) {
		tso_free = b->tb_next;
		b->tb_npbufs = 0;
	}
	return b;
}

static void
tso_batch_put(struct tso_batch *b)
{
	unsigned i;

	for (i = 0; i < b->tb_npbufs; i++) {
		if (lwipg_pbuf_mine(b->tb_pbufs[i]))
			pbuf_free(b->tb_pbufs[i]);
		else {
			KASSERT(false, ("lwip: vnet %u: a GSO completion held "
			    "another instance's pbuf %p", lwipg_vnet,
			    b->tb_pbufs[i]));
			lwipg_stats.ls_foreign++;
		}
	}
	b->tb_npbufs = 0;
	b->tb_next = tso_free;
	tso_free = b;
}

/* The device is done with a GSO frame (any CPU). */
static void
tso_done(void *arg)
{
	bool owned = lwipg_core_owned();

	if (!owned)
		lwipg_core_lock();
	tso_batch_put(arg);
	if (!owned)
		lwipg_core_unlock();
}

/*
 * Parses p as a TCP segment that may travel in a GSO frame.  Returns the
 * header length (Ethernet, IP, TCP: all in p's first pbuf), or 0.
 */
static uint16_t
tso_parse(const struct lwipg_if *lif, const struct pbuf *p, bool *v6,
    uint16_t *l3)
{
	const uint8_t *f = p->payload, *ip = f + TSO_ETHER_HDR_LEN, *th;
	uint32_t caps = lif->lif_ifp->if_capabilities, hlen;

	if (p->len < TSO_ETHER_HDR_LEN + TSO_IP4_HDR_LEN + TSO_TCP_HDR_MIN)
		return 0;
	switch (be16(f + TSO_ETHER_TYPE_OFF)) {
	case TSO_ETHERTYPE_IP:
		if (!(caps & IFCAP_TSO4) || ip[0] != 0x45 ||
		    ip[TSO_IP4_PROTO_OFF] != TSO_IPPROTO_TCP ||
		    (be16(ip + TSO_IP4_FRAG_OFF) & TSO_IP4_FRAG_MASK) != 0 ||
		    be16(ip + TSO_IP4_LEN_OFF) + TSO_ETHER_HDR_LEN !=
		    p->tot_len)
			return 0;
		*v6 = false;
		*l3 = TSO_IP4_HDR_LEN;
		break;
	case TSO_ETHERTYPE_IPV6:
		if (!(caps & IFCAP_TSO6) ||
		    p->len < TSO_ETHER_HDR_LEN + TSO_IP6_HDR_LEN +
		    TSO_TCP_HDR_MIN || (ip[0] >> 4) != 6 ||
		    ip[TSO_IP6_NXT_OFF] != TSO_IPPROTO_TCP ||
		    be16(ip + TSO_IP6_PLEN_OFF) + TSO_IP6_HDR_LEN +
		    TSO_ETHER_HDR_LEN != p->tot_len)
			return 0;
		*v6 = true;
		*l3 = TSO_IP6_HDR_LEN;
		break;
	default:
		return 0;
	}
	th = ip + *l3;
	hlen = TSO_ETHER_HDR_LEN + *l3 + (uint32_t)(th[TSO_TCP_OFF_OFF] >> 4) *
	    4;
	if (hlen < TSO_ETHER_HDR_LEN + (uint32_t)*l3 + TSO_TCP_HDR_MIN ||
	    hlen > (uint32_t)p->len || hlen >= (uint32_t)p->tot_len ||
	    (th[TSO_TCP_FLAGS_OFF] & (TSO_TH_SYN | TSO_TH_FIN | TSO_TH_RST |
	    TSO_TH_URG | TSO_TH_ACK)) != TSO_TH_ACK)
		return 0;
	return (uint16_t)hlen;
}

/*
 * Whether p's headers are the frame's but for the sequence number, the
 * IPv4 id and checksums, lengths and PSH.
 */
static bool
tso_same(const struct tso_pend *tp, const uint8_t *f)
{
	const uint8_t *h = tp->tp_b->tb_hdr;
	uint32_t th = TSO_ETHER_HDR_LEN + tp->tp_l3, i;

	for (i = 0; i < tp->tp_hdr_len; i++) {
		if (!tp->tp_v6 && (i == TSO_ETHER_HDR_LEN + TSO_IP4_LEN_OFF ||
		    i == TSO_ETHER_HDR_LEN + TSO_IP4_ID_OFF ||
		    i == TSO_ETHER_HDR_LEN + TSO_IP4_SUM_OFF)) {
			i++;	/* a 16-bit field */
			continue;
		}
		if (tp->tp_v6 && i == TSO_ETHER_HDR_LEN + TSO_IP6_PLEN_OFF) {
			i++;
			continue;
		}
		if (i == th + TSO_TCP_SEQ_OFF) {
			i += 3;
			continue;
		}
		if (i == th + TSO_TCP_SUM_OFF) {
			i++;
			continue;
		}
		if (i == th + TSO_TCP_FLAGS_OFF) {
			if ((h[i] ^ f[i]) & ~TSO_TH_PSH)
				return false;
			continue;
		}
		if (h[i] != f[i])
			return false;
	}
	return true;
}

/*
 * Adds p's payload pieces (after its hlen header bytes) to the frame.  A
 * piece that continues the previous one in memory (consecutive segments
 * of one tcp_write of a caller's buffer, as iperf's pattern) extends its
 * descriptor instead of taking one, so such a frame reaches 64 KiB
 * within the interface's descriptors.  Returns false with the frame as
 * it was if p does not fit.
 */
static bool
tso_add(struct tso_pend *tp, struct pbuf *p, uint16_t hlen,
    unsigned maxsegs)
{
	struct tso_batch *b = tp->tp_b;
	const struct pbuf *q;
	unsigned n = tp->tp_nsegs, n0 = n;
	uint32_t off = hlen, len0 = n0 > 1 ? tp->tp_segs[n0 - 1].ifs_len : 0;
	const uint8_t *a;
	struct if_seg *last;

	if (b->tb_npbufs == TSO_SEGS_MAX)
		return false;
	for (q = p; q != NULL; q = q->next) {
		if (q->len > off) {
			a = (const uint8_t *)q->payload + off;
			last = &tp->tp_segs[n - 1];
			if (n > 1 && (const uint8_t *)last->ifs_addr +
			    last->ifs_len == a) {
				last->ifs_len += q->len - off;
			} else if (n == maxsegs) {
				if (n0 > 1)	/* undo an extension */
					tp->tp_segs[n0 - 1].ifs_len = len0;
				return false;
			} else {
				tp->tp_segs[n].ifs_addr = a;
				tp->tp_segs[n].ifs_len = q->len - off;
				n++;
			}
		}
		off = off > q->len ? off - q->len : 0;
	}
	tp->tp_nsegs = n;
	pbuf_ref(p);
	b->tb_pbufs[b->tb_npbufs++] = p;
	return true;
}

/* Fixes up the header copy for the whole frame; fills *c. */
static void
tso_finish_hdr(const struct tso_pend *tp, struct tso_batch *b,
    struct if_tx_csum *c)
{
	uint8_t *h = b->tb_hdr, *ip = h + TSO_ETHER_HDR_LEN;
	uint8_t *th = ip + tp->tp_l3;
	uint32_t l4 = tp->tp_hdr_len - TSO_ETHER_HDR_LEN - tp->tp_l3 +
	    tp->tp_payload, sum;

	th[TSO_TCP_FLAGS_OFF] |= tp->tp_psh;
	if (!tp->tp_v6) {
		put16(ip + TSO_IP4_LEN_OFF, TSO_IP4_HDR_LEN + l4);
		put16(ip + TSO_IP4_SUM_OFF, 0);
		put16(ip + TSO_IP4_SUM_OFF,
		    ~fold(sum16(ip, TSO_IP4_HDR_LEN, 0)) & 0xffff);
		sum = sum16(ip + TSO_IP4_SRC_OFF, 8, 0);
	} else {
		put16(ip + TSO_IP6_PLEN_OFF, l4);
		sum = sum16(ip + TSO_IP6_SRC_OFF, 32, 0);
	}
	/* The pseudo-header sum: the device adds the segment's to it. */
	sum += TSO_IPPROTO_TCP + (l4 >> 16) + (l4 & 0xffff);
	put16(th + TSO_TCP_SUM_OFF, fold(sum));
	c->itc_start = (uint16_t)(TSO_ETHER_HDR_LEN + tp->tp_l3);
	c->itc_offset = TSO_TCP_SUM_OFF;
	c->itc_gso = tp->tp_v6 ? IF_GSO_TCPV6 : IF_GSO_TCPV4;
	c->itc_hdr_len = tp->tp_hdr_len;
	c->itc_mss = tp->tp_mss;
}

/* Sends what lif has gathered, if anything. */
void
lwipg_tso_flush(struct lwipg_if *lif)
{
	struct tso_pend *tp = &tso_pend[lif - lwipg_ifs];
	struct tso_batch *b = tp->tp_b;
	struct if_tx_csum c;
	struct pbuf *p;

	if (b == NULL)
		return;
	tp->tp_b = NULL;
	if (b->tb_npbufs == 1) {
		/* One segment: as it came (its own checksum request). */
		p = b->tb_pbufs[0];
		b->tb_npbufs = 0;
		tso_batch_put(b);
		(void)lwipg_send(lif, p);
		pbuf_free(p);
		lwipg_stats.ls_tso_single++;
		return;
	}
	tso_finish_hdr(tp, b, &c);
	tp->tp_segs[0].ifs_addr = b->tb_hdr;
	tp->tp_segs[0].ifs_len = tp->tp_hdr_len;
	if (if_transmit(lif->lif_ifp, tp->tp_segs, tp->tp_nsegs, &c,
	    tp->tp_flowid, tso_done, b) != 0) {
		lwipg_stats.ls_tx_busy++;	/* TCP sends them again */
		tso_batch_put(b);
		return;
	}
	lwipg_stats.ls_tso_frames++;
	lwipg_stats.ls_tso_segments += b->tb_npbufs;
}

/* The core lock is about to be released: nothing stays gathered. */
void
lwipg_tso_flush_all(void)
{
	unsigned i;

	for (i = 0; i < lwipg_nifs; i++)
		if (tso_pend[i].tp_b != NULL)
			lwipg_tso_flush(&lwipg_ifs[i]);
}

/*
 * linkoutput's first step: takes p into a GSO frame and returns true, or
 * returns false (after sending what was gathered before it) for the
 * caller to send p itself.
 */
bool
lwipg_tso_output(struct lwipg_if *lif, struct pbuf *p)
{
	struct tso_pend *tp = &tso_pend[lif - lwipg_ifs];
	unsigned maxsegs = lif->lif_ifp->if_tx_maxsegs;
	const uint8_t *f = p->payload, *th;
	uint32_t payload, seq, limit;
	uint16_t hlen, l3;
	bool v6;

	if ((lif->lif_ifp->if_capabilities & (IFCAP_TSO4 | IFCAP_TSO6)) == 0)
		return false;
	hlen = tso_parse(lif, p, &v6, &l3);
	if (hlen == 0) {
		lwipg_tso_flush(lif);
		return false;
	}
	th = f + TSO_ETHER_HDR_LEN + l3;
	payload = p->tot_len - hlen;
	seq = be32(th + TSO_TCP_SEQ_OFF);
	limit = TSO_LEN16_MAX - (hlen - TSO_ETHER_HDR_LEN) +
	    (v6 ? TSO_IP6_HDR_LEN : 0);
	if (tp->tp_b != NULL && !tp->tp_closed && tp->tp_v6 == v6 &&
	    tp->tp_hdr_len == hlen && seq == tp->tp_next_seq &&
	    payload <= tp->tp_mss && tp->tp_payload + payload <= limit &&
	    tso_same(tp, f) && tso_add(tp, p, hlen, maxsegs)) {
		tp->tp_payload += payload;
		tp->tp_next_seq += payload;
		tp->tp_psh |= th[TSO_TCP_FLAGS_OFF] & TSO_TH_PSH;
		if (payload < tp->tp_mss)
			tp->tp_closed = true;	/* only the last may be short */
		return true;
	}
	lwipg_tso_flush(lif);
	if ((tp->tp_b = tso_batch_get()) == NULL) {
		lwipg_stats.ls_tso_no_batch++;
		return false;
	}
	tp->tp_nsegs = 1;		/* [0]: the header copy, at flush */
	tp->tp_hdr_len = hlen;
	tp->tp_l3 = l3;
	tp->tp_v6 = v6;
	tp->tp_mss = (uint16_t)(payload > UINT16_MAX ? UINT16_MAX : payload);
	tp->tp_payload = payload;
	tp->tp_next_seq = seq + payload;
	tp->tp_closed = false;
	tp->tp_psh = th[TSO_TCP_FLAGS_OFF] & TSO_TH_PSH;
	tp->tp_flowid = lwipg_tx_flowid(f, p->len);
	memcpy(tp->tp_b->tb_hdr, f, hlen);
	if (!tso_add(tp, p, hlen, maxsegs)) {
		tso_batch_put(tp->tp_b);	/* holds nothing yet */
		tp->tp_b = NULL;
		return false;
	}
	return true;
}

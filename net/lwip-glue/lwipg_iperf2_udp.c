/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf2_udp.c: the iperf2 server's UDP side (`iperf -u`, port
 * 5001).  A test stream is one flow, keyed by the client's address and
 * port (-P N opens N sockets: N flows).  Each datagram opens with iperf
 * 2's datagram header (I2_UDP_*: sequence number, send time, and with
 * HEADER_SEQNO64B, which iperf 2.1 always sets, the sequence's high
 * word); the first also carries the test header, whose flags we read from
 * every datagram of a new flow (the client leaves them in its buffer).
 * Sequence and jitter accounting is lwipg_udpstat.c's.
 *
 * The client ends a stream with a datagram numbered minus the next
 * number, and repeats such datagrams (renumbered) every 10 ms until it
 * gets our server report (its "Server Report": bytes, duration, jitter,
 * lost/total, out of order; I2_SR_* in lwipg_iperf2.h), for 2 s at most.
 * The first final datagram is accounted for as the last of the stream;
 * each one, the first and the repeats, is answered with the report, so a
 * lost report is made good.  A finished flow lingers I2_UDP_LINGER_MS
 * for those repeats; a flow silent for I2_UDP_IDLE_MS (a client that
 * vanished) is aborted.  Both are reclaimed when a new flow needs a slot
 * and by the `iperf` shell command, so nothing else runs on a timer.
 *
 * Per datagram: a lookup in a table of I2_UDP_NFLOWS flows (the last one
 * hit first), a 20-byte copy of the header and the accounting; nothing is
 * allocated or printed.  The end of a stream allocates the report's pbuf
 * and prints one console line.
 *
 * Locking: all state belongs to the lwIP core lock (lwIP calls the
 * receive callback with it held; the shell command takes it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/libc.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/udp.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_iperf2.h"
#include "net/lwip-glue/lwipg_udpstat.h"

#define I2_UDP_NFLOWS		16
#define I2_UDP_IDLE_MS		3000	/* silent active flow: aborted */
#define I2_UDP_LINGER_MS	2500	/* the client retries for 2 s */
#define I2_US_PER_S		1000000u

enum i2u_state { I2U_FREE, I2U_ACTIVE, I2U_DONE };

struct i2u_flow {
	enum i2u_state	 uf_state;
	ip_addr_t	 uf_addr;
	u16_t		 uf_port;
	bool		 uf_seq64;	/* HEADER_SEQNO64B */
	uint32_t	 uf_last_ms;	/* sys_now() of the last datagram */
	struct lwipg_udpstat uf_st;
};

static struct i2u_flow i2u_flows[I2_UDP_NFLOWS];
static struct i2u_flow *i2u_hint;	/* the flow hit last */
static struct udp_pcb *i2u_pcb;

/* Reclaims finished and vanished flows; returns the active ones. */
unsigned
lwipg_i2_udp_expire(void)
{
	struct i2u_flow *f;
	uint32_t now = sys_now(), idle;
	unsigned active = 0;

	for (f = i2u_flows; f < i2u_flows + I2_UDP_NFLOWS; f++) {
		idle = now - f->uf_last_ms;
		if (f->uf_state == I2U_DONE && idle > I2_UDP_LINGER_MS)
			f->uf_state = I2U_FREE;
		else if (f->uf_state == I2U_ACTIVE && idle > I2_UDP_IDLE_MS) {
			lwipg_i2_stats.is_aborted++;
			printk("iperf: udp test from %s port %u aborted: silent "
			    "for %u ms after %lu datagrams\n",
			    ipaddr_ntoa(&f->uf_addr), f->uf_port, idle,
			    f->uf_st.us_datagrams);
			f->uf_state = I2U_FREE;
		} else if (f->uf_state == I2U_ACTIVE)
			active++;
	}
	return active;
}

static struct i2u_flow *
i2u_lookup(const ip_addr_t *addr, u16_t port)
{
	struct i2u_flow *f = i2u_hint;

	if (f != NULL && f->uf_state != I2U_FREE && f->uf_port == port &&
	    ip_addr_cmp(&f->uf_addr, addr))
		return f;
	for (f = i2u_flows; f < i2u_flows + I2_UDP_NFLOWS; f++)
		if (f->uf_state != I2U_FREE && f->uf_port == port &&
		    ip_addr_cmp(&f->uf_addr, addr))
			return i2u_hint = f;
	return NULL;
}

/* A new test from addr:port (its first datagram has arrived). */
static struct i2u_flow *
i2u_start(struct i2u_flow *f, const ip_addr_t *addr, u16_t port,
    uint32_t flags)
{
	if (f == NULL) {
		lwipg_i2_udp_expire();
		for (f = i2u_flows; f < i2u_flows + I2_UDP_NFLOWS; f++)
			if (f->uf_state == I2U_FREE)
				break;
		if (f == i2u_flows + I2_UDP_NFLOWS)
			return NULL;
	}
	f->uf_state = I2U_ACTIVE;
	ip_addr_copy(f->uf_addr, *addr);
	f->uf_port = port;
	f->uf_seq64 = (flags & I2_HEADER_SEQNO64B) != 0;
	lwipg_udpstat_init(&f->uf_st);
	lwipg_i2_stats.is_tests++;
	lwipg_i2_stats.is_udp_tests++;
	return i2u_hint = f;
}

static void
i2u_put(uint32_t *w, unsigned i, uint64_t v)
{
	w[i] = lwip_htonl((uint32_t)v);
}

/* Sends f's server report to its client. */
static void
i2u_ack(const struct i2u_flow *f)
{
	uint32_t a[I2_ACK_LEN / 4], *sr = a + I2_UDP_WORDS;
	const struct lwipg_udpstat *st = &f->uf_st;
	uint64_t dur = st->us_last_us - st->us_first_us;
	uint64_t jit = lwipg_udpstat_jitter_us(st);
	uint64_t lost = lwipg_udpstat_lost(st);
	struct pbuf *q;

	memset(a, 0, sizeof(a));
	i2u_put(sr, I2_SR_FLAGS, I2_HEADER_VERSION1 | I2_HEADER_SEQNO64B);
	i2u_put(sr, I2_SR_BYTES_HI, st->us_bytes >> 32);
	i2u_put(sr, I2_SR_BYTES_LO, st->us_bytes);
	i2u_put(sr, I2_SR_STOP_SEC, dur / I2_US_PER_S);
	i2u_put(sr, I2_SR_STOP_USEC, dur % I2_US_PER_S);
	i2u_put(sr, I2_SR_LOST_LO, lost);
	i2u_put(sr, I2_SR_LOST_HI, lost >> 32);
	i2u_put(sr, I2_SR_OOO_LO, st->us_ooo);
	i2u_put(sr, I2_SR_OOO_HI, st->us_ooo >> 32);
	i2u_put(sr, I2_SR_DGRAMS_LO, st->us_max_seq);
	i2u_put(sr, I2_SR_DGRAMS_HI, st->us_max_seq >> 32);
	i2u_put(sr, I2_SR_JITTER_SEC, jit / I2_US_PER_S);
	i2u_put(sr, I2_SR_JITTER_USEC, jit % I2_US_PER_S);
	q = pbuf_alloc(PBUF_TRANSPORT, I2_ACK_LEN, PBUF_RAM);
	if (q == NULL)
		return;			/* the client asks again */
	pbuf_take(q, a, I2_ACK_LEN);
	if (udp_sendto(i2u_pcb, q, &f->uf_addr, f->uf_port) == ERR_OK)
		lwipg_i2_stats.is_udp_acks++;
	pbuf_free(q);
}

/* The stream's final datagram: its counts become the server's. */
static void
i2u_end(struct i2u_flow *f)
{
	const struct lwipg_udpstat *st = &f->uf_st;

	f->uf_state = I2U_DONE;
	lwipg_i2_stats.is_completed++;
	lwipg_i2_stats.is_udp_lost += lwipg_udpstat_lost(st);
	lwipg_i2_stats.is_udp_ooo += st->us_ooo;
	printk("iperf: udp report from %s port %u: %lu datagrams of %lu, "
	    "lost %lu, out-of-order %lu, jitter %lu us, %lu bytes in %lu "
	    "ms\n", ipaddr_ntoa(&f->uf_addr), f->uf_port, st->us_datagrams,
	    st->us_max_seq, lwipg_udpstat_lost(st), st->us_ooo,
	    lwipg_udpstat_jitter_us(st), st->us_bytes,
	    (st->us_last_us - st->us_first_us) / 1000);
}

static void
i2u_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr, u16_t port)
{
	uint32_t w[I2_UDP_WORDS + 1];	/* and the test header's flags */
	struct i2u_flow *f;
	uint32_t flags;
	uint64_t sent_us;
	int64_t seq;
	u16_t n;

	(void)arg;
	(void)pcb;
	n = pbuf_copy_partial(p, w, sizeof(w), 0);
	if (n < I2_UDP_LEN)
		goto out;
	flags = n == sizeof(w) ? lwip_ntohl(w[I2_UDP_WORDS]) : 0;
	f = i2u_lookup(addr, port);
	if (f != NULL ? f->uf_seq64 : (flags & I2_HEADER_SEQNO64B) != 0)
		seq = (int64_t)((uint64_t)lwip_ntohl(w[I2_UDP_ID2]) << 32 |
		    lwip_ntohl(w[I2_UDP_ID]));
	else
		seq = (int32_t)lwip_ntohl(w[I2_UDP_ID]);
	if (f != NULL && f->uf_state == I2U_DONE) {
		f->uf_last_ms = sys_now();
		if (seq < 0)
			i2u_ack(f);	/* our report was lost: again */
		if (seq != 0)
			goto out;	/* a repeat, or a late datagram */
		i2u_start(f, addr, port, flags);	/* a new test */
	} else if (f == NULL && (seq < 0 ||
	    (f = i2u_start(NULL, addr, port, flags)) == NULL))
		goto out;		/* a stray end, or no slot */
	f->uf_last_ms = sys_now();
	sent_us = (uint64_t)lwip_ntohl(w[I2_UDP_SEC]) * I2_US_PER_S +
	    lwip_ntohl(w[I2_UDP_USEC]);
	lwipg_udpstat_rx(&f->uf_st, (uint64_t)(seq < 0 ? -seq : seq), sent_us,
	    uptime_us(), p->tot_len);
	lwipg_i2_stats.is_udp_datagrams++;
	lwipg_i2_stats.is_rx_bytes += p->tot_len;
	if (seq < 0) {
		i2u_end(f);
		i2u_ack(f);
	}
out:
	pbuf_free(p);
}

/* Core lock held (lwipg_iperf2_init).  IPv4 only, as the TCP side. */
int
lwipg_i2_udp_init(void)
{
	i2u_pcb = udp_new_ip_type(IPADDR_TYPE_V4);
	if (i2u_pcb == NULL)
		return -1;
	if (udp_bind(i2u_pcb, IP4_ADDR_ANY, IPERF2_PORT) != ERR_OK) {
		udp_remove(i2u_pcb);
		i2u_pcb = NULL;
		return -1;
	}
	udp_recv(i2u_pcb, i2u_recv, NULL);
	return 0;
}

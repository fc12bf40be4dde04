/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3_udp.c: the iperf3 server's UDP streams (`iperf3 -u`, port
 * 5201): their "connection", the accounting of what we receive, the
 * paced sender of what we send (-R, --bidir), and their part of the
 * results.  lwipg_iperf3.c owns the test and describes the protocol.
 *
 * A stream starts, in the CREATE_STREAMS phase, with a 4-byte datagram
 * from the client (UDP_CONNECT_MSG) to port 5201; we answer from the port
 * with UDP_CONNECT_REPLY, and the client's address and port are the
 * stream's key from then on.  Only the control connection's peer address
 * may open streams.  Streams are numbered and given their direction in
 * the order they connect, as TCP streams are.
 *
 * A datagram opens with the sender's time (seconds, microseconds) and its
 * number (32 bits, or 64 with --udp-counters-64bit), big-endian; the
 * client numbers from 1.  What we receive in the run is accounted for by
 * lwipg_udpstat.c: iperf3's loss (us_errors), out-of-order count, highest
 * number and jitter.  A datagram of a stream after its run is counted
 * late (until the next test begins); one of no stream, or too short for
 * its header, stray.
 *
 * Our sending streams are paced by the guest's timer: an lwIP timeout of
 * IPERF3_PACE_MS, which runs every timer pass (each CALLOUT_HZ tick),
 * adds the rate times the time since the last pass to each stream's
 * token bucket, which holds at most IPERF3_PACE_BURST_US' worth, and
 * sends whole datagrams while the bucket has them: so the rate holds on
 * average over any two ticks, and a late pass does not turn into a burst.
 * Without a rate (-b 0) a stream may send its share of IPERF3_TX_BUDGET
 * per pass.  A datagram lwIP refuses (no pbuf, a full ring) is counted
 * (tx-fail) and ends the stream's pass; its number is not used.
 *
 * Per datagram: a lookup in 2 x IPERF3_MAX_STREAMS slots, a 16-byte copy
 * and the accounting; sending takes two pbufs from lwIP's pools (the
 * header, and references to the static pattern, no copy).  Nothing is
 * printed per datagram.
 *
 * Locking: all state belongs to the lwIP core lock (receive callback and
 * timeouts hold it; lwipg_iperf3_init runs under it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "net/lwip-glue/lwipg_iperf3.h"
#include "net/lwip-glue/lwipg_udpstat.h"

#define I3U_US_PER_S	1000000u
#define I3U_BITS	8u

struct i3_udp lwipg_i3_udp[IPERF3_MAX_CONNS];
static struct i3_test *const i3 = &lwipg_i3;
static struct udp_pcb *i3u_pcb;

static void	i3u_pace(void *arg);

static struct i3_udp *
i3u_lookup(const ip_addr_t *addr, u16_t port)
{
	struct i3_udp *u;

	I3U_FOREACH(u)
		if (u->iu_used && u->iu_port == port &&
		    ip_addr_cmp(&u->iu_addr, addr))
			return u;
	return NULL;
}

/* Answers a stream's connect datagram. */
static void
i3u_reply(const struct i3_udp *u)
{
	static const uint8_t reply[] = IPERF3_UDP_REPLY;
	struct pbuf *q;

	q = pbuf_alloc(PBUF_TRANSPORT, sizeof(reply), PBUF_RAM);
	if (q == NULL)
		return;		/* the client waits 30 s, then gives up */
	pbuf_take(q, reply, sizeof(reply));
	(void)udp_sendto(i3u_pcb, q, &u->iu_addr, u->iu_port);
	pbuf_free(q);
}

/*
 * A datagram while streams are being created: a new stream from the
 * control connection's peer, or its connect message again.
 */
static void
i3u_connect(struct i3_udp *u, struct pbuf *p, const ip_addr_t *addr,
    u16_t port)
{
	struct tcp_pcb *ctrl = i3->it_ctrl != NULL ? i3->it_ctrl->ic_pcb : NULL;

	if (u != NULL) {
		i3u_reply(u);	/* ours was lost: again */
		return;
	}
	if (p->tot_len != IPERF3_UDP_CONNECT_LEN || ctrl == NULL ||
	    !ip_addr_cmp(&ctrl->remote_ip, addr) ||
	    i3->it_nstreams >= i3->it_streams) {
		lwipg_i3_stats.is_udp_stray++;
		return;
	}
	I3U_FOREACH(u)
		if (!u->iu_used)
			break;
	if (u == lwipg_i3_udp + IPERF3_MAX_CONNS) {
		lwipg_i3_stats.is_udp_stray++;	/* cannot happen: 2 x -P */
		return;
	}
	memset(u, 0, sizeof(*u));
	u->iu_used = true;
	ip_addr_copy(u->iu_addr, *addr);
	u->iu_port = port;
	u->iu_id = I3_STREAM_ID(i3->it_nstreams);
	u->iu_sender = I3_STREAM_SENDS(i3->it_nstreams);
	lwipg_udpstat_init(&u->iu_st);
	if (u->iu_sender)
		i3->it_nsenders++;
	i3u_reply(u);
	if (++i3->it_nstreams == i3->it_streams &&
	    lwipg_i3_test_start() != I3_OK)
		lwipg_i3_abort();	/* the control connection failed */
}

/* A datagram of stream u in its run: iperf3's header, then accounting. */
static void
i3u_account(struct i3_udp *u, struct pbuf *p)
{
	uint32_t w[IPERF3_UDP_HDR64 / 4];
	unsigned hlen = i3->it_udp64 ? IPERF3_UDP_HDR64 : IPERF3_UDP_HDR32;
	uint64_t seq, sent_us;

	if (pbuf_copy_partial(p, w, (u16_t)hlen, 0) != hlen) {
		lwipg_i3_stats.is_udp_stray++;
		return;
	}
	sent_us = (uint64_t)lwip_ntohl(w[0]) * I3U_US_PER_S +
	    lwip_ntohl(w[1]);
	seq = lwip_ntohl(w[2]);
	if (i3->it_udp64)
		seq = seq << 32 | lwip_ntohl(w[3]);
	lwipg_udpstat_rx(&u->iu_st, seq, sent_us, uptime_us(), p->tot_len);
	lwipg_i3_stats.is_udp_rx++;
	lwipg_i3_stats.is_rx_bytes += p->tot_len;
	i3->it_data_ms = sys_now();
}

static void
i3u_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr, u16_t port)
{
	struct i3_udp *u = i3u_lookup(addr, port);

	(void)arg;
	(void)pcb;
	if (i3->it_udp && i3->it_phase == I3_STREAMS)
		i3u_connect(u, p, addr, port);
	else if (u == NULL)
		lwipg_i3_stats.is_udp_stray++;
	else if (i3->it_phase != I3_RUNNING)
		lwipg_i3_stats.is_udp_late++;
	else if (!u->iu_sender)
		i3u_account(u, p);
	/* else: the client's datagram on a stream we send: nothing to do */
	pbuf_free(p);
}

/*
 * Sends one datagram of u: our header, then the pattern by reference.
 * Returns false if lwIP refused it.
 */
static bool
i3u_send(struct i3_udp *u)
{
	uint32_t len = i3->it_blksize, hlen, k, w[IPERF3_UDP_HDR64 / 4];
	uint64_t now = uptime_us(), seq = u->iu_sent + 1;
	struct pbuf *p, *q;
	err_t err;

	hlen = i3->it_udp64 ? IPERF3_UDP_HDR64 : IPERF3_UDP_HDR32;
	w[0] = lwip_htonl((uint32_t)(now / I3U_US_PER_S));
	w[1] = lwip_htonl((uint32_t)(now % I3U_US_PER_S));
	w[2] = lwip_htonl(i3->it_udp64 ? (uint32_t)(seq >> 32) :
	    (uint32_t)seq);
	w[3] = lwip_htonl((uint32_t)seq);
	if ((p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)hlen, PBUF_RAM)) == NULL)
		return false;
	memcpy(p->payload, w, hlen);
	for (len -= hlen; len > 0; len -= k) {
		k = len < IPERF3_PATTERN_LEN ? len : IPERF3_PATTERN_LEN;
		if ((q = pbuf_alloc(PBUF_RAW, (u16_t)k, PBUF_REF)) == NULL) {
			pbuf_free(p);
			return false;
		}
		q->payload = lwipg_i3_pattern;
		pbuf_cat(p, q);
	}
	err = udp_sendto(i3u_pcb, p, &u->iu_addr, u->iu_port);
	pbuf_free(p);
	if (err != ERR_OK)
		return false;
	u->iu_sent = seq;
	u->iu_bytes += i3->it_blksize;
	i3->it_sent += i3->it_blksize;
	lwipg_i3_stats.is_tx_bytes += i3->it_blksize;
	lwipg_i3_stats.is_udp_tx++;
	i3->it_data_ms = sys_now();
	return true;
}

/* One pass of the pacer over our sending streams. */
static void
i3u_pace(void *arg)
{
	uint64_t now = uptime_us(), dt, cap, bits;
	struct i3_udp *u;

	(void)arg;
	i3->it_pacing = false;
	if (i3->it_phase != I3_RUNNING || !i3->it_udp)
		return;
	dt = now - i3->it_pace_us;
	if (dt > IPERF3_PACE_MAX_US)
		dt = IPERF3_PACE_MAX_US;
	i3->it_pace_us = now;
	bits = (uint64_t)i3->it_blksize * I3U_BITS;
	if (i3->it_rate == 0)
		cap = (uint64_t)IPERF3_TX_BUDGET * I3U_BITS / i3->it_nsenders;
	else
		cap = i3->it_rate / (I3U_US_PER_S / IPERF3_PACE_BURST_US);
	if (cap < bits)
		cap = bits;
	I3U_FOREACH(u) {
		if (!u->iu_used || !u->iu_sender)
			continue;
		if (i3->it_rate == 0)
			u->iu_credit = cap;
		else if ((u->iu_credit += i3->it_rate * dt / I3U_US_PER_S) >
		    cap)
			u->iu_credit = cap;
		while (u->iu_credit >= bits &&
		    (i3->it_limit == 0 || i3->it_sent < i3->it_limit)) {
			if (!i3u_send(u)) {
				lwipg_i3_stats.is_udp_tx_fail++;
				break;
			}
			u->iu_credit -= bits;
		}
	}
	sys_timeout(IPERF3_PACE_MS, i3u_pace, NULL);
	i3->it_pacing = true;
}

/* TEST_RUNNING is out: our streams may send one datagram at once. */
void
lwipg_i3_udp_start(void)
{
	struct i3_udp *u;

	I3U_FOREACH(u)
		u->iu_credit = (uint64_t)i3->it_blksize * I3U_BITS;
	i3->it_pace_us = uptime_us();
	if (i3->it_pacing)
		sys_untimeout(i3u_pace, NULL);
	i3->it_pacing = false;
	i3u_pace(NULL);
}

/* TEST_END: the pacer stops; what arrives from now on is late. */
void
lwipg_i3_udp_end(void)
{
	struct i3_udp *u;

	if (i3->it_pacing)
		sys_untimeout(i3u_pace, NULL);
	i3->it_pacing = false;
	I3U_FOREACH(u)
		if (u->iu_used && !u->iu_sender) {
			lwipg_i3_stats.is_udp_lost += u->iu_st.us_errors;
			lwipg_i3_stats.is_udp_ooo += u->iu_st.us_ooo;
		}
}

/*
 * The test is over (or aborted): the pacer stops.  Its streams are kept,
 * so that their datagrams still on the way count as late, until the next
 * test's parameters arrive (lwipg_i3_udp_reset).
 */
void
lwipg_i3_udp_stop(void)
{
	if (i3->it_pacing)
		sys_untimeout(i3u_pace, NULL);
	i3->it_pacing = false;
}

/* A new test: the last one's streams are forgotten. */
void
lwipg_i3_udp_reset(void)
{
	struct i3_udp *u;

	lwipg_i3_udp_stop();
	I3U_FOREACH(u)
		u->iu_used = false;
}

/*
 * Appends the UDP streams to the results at buf[n]; returns the new
 * length (size or more: it did not fit).  Also reports one line per
 * stream (lwipg_i3_say).
 */
size_t
lwipg_i3_udp_results(char *buf, size_t size, size_t n, const char **sep,
    uint64_t run_us)
{
	const struct lwipg_udpstat *st;
	struct i3_udp *u;
	uint64_t jit_ns, bytes, packets, errors;

	I3U_FOREACH(u) {
		if (!u->iu_used || n >= size)
			continue;
		st = &u->iu_st;
		bytes = u->iu_sender ? u->iu_bytes : st->us_bytes;
		packets = u->iu_sender ? u->iu_sent : st->us_max_seq;
		errors = u->iu_sender ? 0 : st->us_errors;
		/* jitter16 is 16 times microseconds: 62.5 ns a unit */
		jit_ns = u->iu_sender ? 0 : st->us_jitter16 * 1000 / 16;
		n += (size_t)ksnprintf(buf + n, size - n,
		    "%s{\"id\":%u,\"bytes\":%lu,\"retransmits\":-1,"
		    "\"jitter\":%lu.%09lu,\"errors\":%lu,\"packets\":%lu,"
		    "\"start_time\":0,\"end_time\":%lu.%06lu}",
		    *sep, u->iu_id, bytes, jit_ns / 1000000000,
		    jit_ns % 1000000000, errors, packets,
		    run_us / I3U_US_PER_S, run_us % I3U_US_PER_S);
		*sep = ",";
		if (u->iu_sender)
			lwipg_i3_say("iperf3: test %lu stream %u: sent %lu "
			    "datagrams, %lu bytes\n", lwipg_i3_stats.is_tests, u->iu_id,
			    u->iu_sent, bytes);
		else
			lwipg_i3_say("iperf3: test %lu stream %u: received %lu "
			    "datagrams of %lu, lost %lu, out-of-order %lu, "
			    "jitter %lu us, %lu bytes\n",
			    lwipg_i3_stats.is_tests, u->iu_id,
			    st->us_datagrams, packets, errors, st->us_ooo,
			    lwipg_udpstat_jitter_us(st), bytes);
	}
	return n;
}

/* Core lock held (lwipg_iperf3_init).  IPv4 and IPv6, as the TCP side. */
int
lwipg_i3_udp_init(void)
{
	i3u_pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (i3u_pcb == NULL)
		return -1;
	if (udp_bind(i3u_pcb, IP_ANY_TYPE, IPERF3_PORT) != ERR_OK) {
		udp_remove(i3u_pcb);
		i3u_pcb = NULL;
		return -1;
	}
	udp_recv(i3u_pcb, i3u_recv, NULL);
	return 0;
}

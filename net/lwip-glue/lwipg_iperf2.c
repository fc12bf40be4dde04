/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf2.c: an iperf2 server on port 5001 (TCP here, UDP in
 * lwipg_iperf2_udp.c), over lwIP's raw API, for iperf 2's client (the
 * reference is Debian's iperf 2.1.8).  It replaces lwIP's lwiperf, which
 * has no UDP and ends an `iperf -r -n` stream at once (its byte-count test
 * is inverted), and which we may not patch.
 *
 * TCP: each connection is one stream of a test (-P N opens N, each with
 * its own header); it opens with the client's test header (flags,
 * threads, port, buffer length, window, amount; I2_HDR_* in
 * lwipg_iperf2.h).  We count what arrives and free it; when the client
 * shuts its side down we close ours (the client waits for that before it
 * reports).  A header with HEADER_VERSION1 and not VERSION2 asks for a
 * stream back: we connect to the client's address at the header's port
 * and send for the header's amount (-t: 10 ms units, negative; -n:
 * bytes), at once for -d (RUN_NOW), after the client's stream ended for
 * -r.  One stream back per stream received.  The client's listener
 * counts what it reads and expects no header.  Each stream ends with the
 * console line lwiperf printed (tests parse it):
 *
 *	iperf: report <type> from <addr>: <bytes> bytes in <ms> ms, <n> kbit/s
 *
 * type 0 for a stream received, 1 for a stream sent back, 2 and 5 for
 * aborts (enum i2_report).  A stream silent for I2_IDLE_MS is aborted, so
 * a client that vanished leaves nothing behind.
 *
 * Nothing is allocated per test or per packet: streams live in a fixed
 * table of slots, received data is counted and freed, and streams back
 * write from one static pattern buffer without copying (lwIP references
 * it until the peer acknowledges), at most I2_TX_QUEUE bytes queued each.
 *
 * Locking: all state belongs to the lwIP core lock: everything runs in
 * lwIP callbacks or in lwipg_apps_init(), which hold it, and the `iperf`
 * shell command takes it to copy the counters.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/libc.h"
#include "lwip/def.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_iperf2.h"

#define I2_NSLOTS	24		/* streams, both ways */
#define I2_IDLE_MS	10000		/* a silent stream is aborted */
#define I2_POLL		2		/* lwIP poll units (0.5 s): 1 s */
#define I2_TX_CHUNK	(16 * TCP_MSS)	/* one tcp_write, < 64 KiB */
#define I2_TX_QUEUE	(128 * 1024)	/* queued bytes per stream back */
#define I2_MS_PER_UNIT	10		/* the header's -t unit */

_Static_assert(I2_TX_CHUNK <= 0xffff, "tcp_write takes a u16_t length");

enum i2_kind { I2_FREE, I2_RX, I2_TX };

struct i2_conn {
	struct tcp_pcb	*ic_pcb;
	enum i2_kind	 ic_kind;
	ip_addr_t	 ic_peer;
	unsigned	 ic_got;	/* rx: header bytes received */
	uint8_t		 ic_hdr[I2_HDR_LEN];
	uint16_t	 ic_port;	/* rx: the client's listener */
	int32_t		 ic_amount;	/* the header's amount */
	bool		 ic_back;	/* rx: connect back when done (-r) */
	bool		 ic_bytes_mode;	/* tx: -n (else -t) */
	uint64_t	 ic_limit;	/* tx: bytes (-n) */
	uint32_t	 ic_end_ms;	/* tx: sys_now() to stop at (-t) */
	uint32_t	 ic_start_ms;	/* accept or connect */
	uint32_t	 ic_last_ms;	/* last progress */
	uint64_t	 ic_bytes;	/* received, or queued */
};

struct i2_stats lwipg_i2_stats;
static struct i2_conn i2_conns[I2_NSLOTS];
static uint8_t i2_pattern[I2_TX_CHUNK];	/* filled once, then const */

static err_t	i2_recv(void *, struct tcp_pcb *, struct pbuf *, err_t);
static err_t	i2_sent(void *, struct tcp_pcb *, u16_t);
static err_t	i2_poll(void *, struct tcp_pcb *);
static void	i2_err(void *, err_t);

static struct i2_conn *
i2_alloc(enum i2_kind kind)
{
	struct i2_conn *c;

	for (c = i2_conns; c < i2_conns + I2_NSLOTS; c++)
		if (c->ic_kind == I2_FREE) {
			memset(c, 0, sizeof(*c));
			c->ic_kind = kind;
			c->ic_start_ms = c->ic_last_ms = sys_now();
			return c;
		}
	return NULL;
}

static void
i2_hook(struct i2_conn *c, struct tcp_pcb *pcb)
{
	c->ic_pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, i2_recv);
	tcp_sent(pcb, i2_sent);
	tcp_err(pcb, i2_err);
	tcp_poll(pcb, i2_poll, I2_POLL);
}

/* The console line of one finished stream (lwiperf's format). */
static void
i2_report(const struct i2_conn *c, enum i2_report type)
{
	uint32_t ms = sys_now() - c->ic_start_ms;

	printk("iperf: report %d from %s: %lu bytes in %u ms, %lu kbit/s\n",
	    (int)type, ipaddr_ntoa(&c->ic_peer), c->ic_bytes, ms,
	    ms != 0 ? c->ic_bytes * 8 / ms : 0);
}

/*
 * Ends stream c: reports it, counts it, detaches and closes its pcb (FIN,
 * or RST when `hard` or when the close fails) and frees the slot.
 * Returns true if the pcb was aborted (its running callback must then
 * return ERR_ABRT).
 */
static bool
i2_finish(struct i2_conn *c, enum i2_report type, bool hard)
{
	struct tcp_pcb *pcb = c->ic_pcb;

	i2_report(c, type);
	if (type == I2_DONE_SERVER || type == I2_DONE_CLIENT)
		lwipg_i2_stats.is_completed++;
	else
		lwipg_i2_stats.is_aborted++;
	c->ic_kind = I2_FREE;
	c->ic_pcb = NULL;
	if (pcb == NULL)
		return false;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	if (!hard && tcp_close(pcb) == ERR_OK)
		return false;
	tcp_abort(pcb);
	return true;
}

/* ---- streams back (-r, -d) ------------------------------------------ */

static bool
i2_tx_done(const struct i2_conn *c)
{
	if (c->ic_bytes_mode)
		return c->ic_bytes >= c->ic_limit;
	return (int32_t)(sys_now() - c->ic_end_ms) >= 0;
}

/*
 * Queues pattern data within the stream's share; at the end of the test
 * closes the stream (the FIN follows the queued data).  Returns true if
 * the pcb was aborted.
 */
static bool
i2_tx_fill(struct i2_conn *c)
{
	struct tcp_pcb *pcb = c->ic_pcb;
	uint32_t room, queued, len;
	bool wrote = false;

	for (;;) {
		if (i2_tx_done(c))
			return i2_finish(c, I2_DONE_CLIENT, false);
		room = pcb->snd_buf;	/* tcp_sndbuf() clamps to 64 KiB */
		queued = TCP_SND_BUF - room;
		if (queued >= I2_TX_QUEUE)
			break;
		len = I2_TX_QUEUE - queued;
		if (len > room)
			len = room;
		if (len > I2_TX_CHUNK)
			len = I2_TX_CHUNK;
		if (c->ic_bytes_mode && len > c->ic_limit - c->ic_bytes)
			len = (uint32_t)(c->ic_limit - c->ic_bytes);
		if (len == 0 || tcp_write(pcb, i2_pattern, (u16_t)len,
		    TCP_WRITE_FLAG_MORE) != ERR_OK)
			break;
		c->ic_bytes += len;
		lwipg_i2_stats.is_tx_bytes += len;
		c->ic_last_ms = sys_now();
		wrote = true;
	}
	if (wrote)
		tcp_output(pcb);
	return false;
}

static err_t
i2_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct i2_conn *c = arg;

	(void)pcb;
	if (c == NULL || err != ERR_OK)
		return ERR_OK;
	c->ic_start_ms = c->ic_last_ms = sys_now();
	if (!c->ic_bytes_mode)
		c->ic_end_ms += c->ic_start_ms;	/* it held the duration */
	return i2_tx_fill(c) ? ERR_ABRT : ERR_OK;
}

/* Connects a stream back to the client of rx (-r/-d). */
static void
i2_connect_back(const struct i2_conn *rx)
{
	struct i2_conn *c;
	struct tcp_pcb *pcb;

	lwipg_i2_stats.is_tests++;
	if ((c = i2_alloc(I2_TX)) == NULL) {
		lwipg_i2_stats.is_aborted++;
		printk("iperf: no slot for the stream back to %s\n",
		    ipaddr_ntoa(&rx->ic_peer));
		return;
	}
	ip_addr_copy(c->ic_peer, rx->ic_peer);
	c->ic_amount = rx->ic_amount;
	if (rx->ic_amount >= 0) {
		c->ic_bytes_mode = true;
		c->ic_limit = (uint64_t)rx->ic_amount;
	} else
		c->ic_end_ms = (uint32_t)(-(int64_t)rx->ic_amount) *
		    I2_MS_PER_UNIT;	/* from the connect: i2_connected */
	if ((pcb = tcp_new_ip_type(IP_GET_TYPE(&rx->ic_peer))) == NULL) {
		i2_finish(c, I2_ABORTED_LOCAL, false);
		return;
	}
	i2_hook(c, pcb);
	if (tcp_connect(pcb, &c->ic_peer, rx->ic_port, i2_connected) !=
	    ERR_OK)
		i2_finish(c, I2_ABORTED_LOCAL, true);
}

/* ---- lwIP callbacks -------------------------------------------------- */

/* Takes the header's fields once its I2_HDR_LEN bytes are in. */
static void
i2_header(struct i2_conn *c)
{
	uint32_t w[I2_HDR_WORDS];
	uint32_t flags;
	unsigned i;

	memcpy(w, c->ic_hdr, sizeof(w));
	for (i = 0; i < I2_HDR_WORDS; i++)
		w[i] = lwip_ntohl(w[i]);
	flags = w[I2_HDR_FLAGS];
	c->ic_port = (uint16_t)w[I2_HDR_PORT];
	c->ic_amount = (int32_t)w[I2_HDR_AMOUNT];
	if (!(flags & I2_HEADER_VERSION1) || (flags & I2_HEADER_VERSION2) ||
	    c->ic_port == 0)
		return;
	if (flags & I2_RUN_NOW)
		i2_connect_back(c);		/* -d */
	else
		c->ic_back = true;		/* -r: when this one ends */
}

static err_t
i2_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct i2_conn *c = arg;
	struct i2_conn rx;
	u16_t n;

	if (c == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		if (c->ic_kind == I2_TX)	/* the client closed first */
			return i2_finish(c, I2_ABORTED_REMOTE, false) ?
			    ERR_ABRT : ERR_OK;
		rx = *c;
		if (i2_finish(c, I2_DONE_SERVER, false))
			return ERR_ABRT;
		if (rx.ic_back)
			i2_connect_back(&rx);
		return ERR_OK;
	}
	if (c->ic_kind == I2_RX) {
		if (c->ic_got < I2_HDR_LEN) {
			n = pbuf_copy_partial(p, c->ic_hdr + c->ic_got,
			    (u16_t)(I2_HDR_LEN - c->ic_got), 0);
			c->ic_got += n;
			if (c->ic_got == I2_HDR_LEN)
				i2_header(c);
		}
		c->ic_bytes += p->tot_len;
		lwipg_i2_stats.is_rx_bytes += p->tot_len;
		c->ic_last_ms = sys_now();
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t
i2_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct i2_conn *c = arg;

	(void)pcb;
	(void)len;
	if (c == NULL || c->ic_kind != I2_TX)
		return ERR_OK;
	c->ic_last_ms = sys_now();
	return i2_tx_fill(c) ? ERR_ABRT : ERR_OK;
}

static err_t
i2_poll(void *arg, struct tcp_pcb *pcb)
{
	struct i2_conn *c = arg;

	(void)pcb;
	if (c == NULL)
		return ERR_OK;
	if (sys_now() - c->ic_last_ms > I2_IDLE_MS)
		return i2_finish(c, I2_ABORTED_LOCAL, true) ? ERR_ABRT : ERR_OK;
	if (c->ic_kind == I2_TX && c->ic_pcb->state == ESTABLISHED)
		return i2_tx_fill(c) ? ERR_ABRT : ERR_OK;
	return ERR_OK;
}

/* The pcb is gone (reset, or out of memory): only the slot is left. */
static void
i2_err(void *arg, err_t err)
{
	struct i2_conn *c = arg;

	if (c == NULL)
		return;
	c->ic_pcb = NULL;
	i2_finish(c, err == ERR_ABRT ? I2_ABORTED_LOCAL : I2_ABORTED_REMOTE,
	    true);
}

static err_t
i2_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct i2_conn *c;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	if ((c = i2_alloc(I2_RX)) == NULL)
		return ERR_MEM;		/* lwIP resets it */
	ip_addr_copy(c->ic_peer, pcb->remote_ip);
	i2_hook(c, pcb);
	lwipg_i2_stats.is_tests++;
	return ERR_OK;
}

/* Core lock held (lwipg_apps_init).  IPv4 only, as lwiperf was. */
void
lwipg_iperf2_init(void)
{
	struct tcp_pcb *pcb, *lpcb = NULL;
	size_t i;

	for (i = 0; i < sizeof(i2_pattern); i++)
		i2_pattern[i] = (uint8_t)('0' + i % 10);
	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (pcb == NULL || tcp_bind(pcb, IP4_ADDR_ANY, IPERF2_PORT) !=
	    ERR_OK || (lpcb = tcp_listen(pcb)) == NULL) {
		if (pcb != NULL)
			tcp_close(pcb);
		printk("iperf: cannot listen on tcp port %u\n", IPERF2_PORT);
	} else
		tcp_accept(lpcb, i2_accept);
	if (lwipg_i2_udp_init() != 0)
		printk("iperf: cannot bind udp port %u\n", IPERF2_PORT);
}

/*
 * `iperf` prints the server's counters (streams of either protocol and
 * direction; UDP datagrams received, and lost and out of order in the
 * UDP tests that ended):
 *
 *	iperf: port 5001 tests <n> completed <n> aborted <n> active <n>
 *	iperf: rx-bytes <n> tx-bytes <n>
 *	iperf: udp tests <n> datagrams <n> lost <n> out-of-order <n> acks <n>
 */
int
lwipg_cmd_iperf(int argc, char **argv)
{
	struct i2_stats st;
	const struct i2_conn *c;
	unsigned active = 0;

	(void)argc;
	(void)argv;
	lwipg_core_lock();
	active = lwipg_i2_udp_expire();
	for (c = i2_conns; c < i2_conns + I2_NSLOTS; c++)
		if (c->ic_kind != I2_FREE)
			active++;
	st = lwipg_i2_stats;
	lwipg_core_unlock();
	printk("iperf: port %u tests %lu completed %lu aborted %lu active %u\n",
	    IPERF2_PORT, st.is_tests, st.is_completed, st.is_aborted, active);
	printk("iperf: rx-bytes %lu tx-bytes %lu\n", st.is_rx_bytes,
	    st.is_tx_bytes);
	printk("iperf: udp tests %lu datagrams %lu lost %lu out-of-order %lu "
	    "acks %lu\n", st.is_udp_tests, st.is_udp_datagrams, st.is_udp_lost,
	    st.is_udp_ooo, st.is_udp_acks);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3.c: an iperf3 server on port 5201, over lwIP's raw API: TCP
 * and UDP (lwipg_iperf3_udp.c), the client sending (default), the server
 * sending (-R) or both (--bidir: the first -P streams carry the client's
 * data, the next -P ours), 1 to IPERF3_MAX_STREAMS streams each way, one
 * test at a time.
 *
 * The control protocol, as iperf3's client (3.x) speaks it: the client
 * opens the control connection and sends a 37-byte cookie (36 characters
 * and a NUL); every step after that is a signed state byte from the
 * server, or from the client, on that connection:
 *
 *	server: PARAM_EXCHANGE	client: params, a 4-byte big-endian length
 *				and that much JSON
 *	server: CREATE_STREAMS	client: one connection per stream, each
 *				opening with the same cookie (UDP: one
 *				4-byte datagram per stream, which we
 *				answer, lwipg_iperf3_udp.c)
 *	server: TEST_START, TEST_RUNNING	(data flows)
 *	client: TEST_END	(its timer ran out, or -n/-k were reached)
 *	server: EXCHANGE_RESULTS	client: its results (length + JSON);
 *				server: ours (length + JSON)
 *	server: DISPLAY_RESULTS	client: IPERF_DONE
 *
 * A connection that arrives while a test is under way, other than one of
 * its streams, gets ACCESS_DENIED (the client prints "the server is busy
 * running a test"); parameters we cannot read or do not support (SCTP,
 * too many streams, a UDP datagram size out of range) get SERVER_ERROR
 * and an iperf3 error number the client prints, each counted.  A test whose control connection closes or
 * resets before the results are out, or whose stream resets while it
 * runs, or that makes no progress for IPERF3_IDLE_MS (IPERF3_RUN_SLACK_S
 * past its duration while running; with -n or -k, IPERF3_IDLE_MS with no
 * data moving), is aborted: every connection of the
 * test is reset and its slots are freed.  After a test that ended well,
 * and after a denial, connections linger until the client closes them
 * (IPERF3_PENDING_MS at most): we close passively, leaving no PCB in
 * TIME_WAIT.  The exception is -R: at TEST_END its streams send our FIN
 * after their queued data, because the client reads whole blocks until
 * the end of the stream; those PCBs pass through TIME_WAIT (the same for
 * our streams of --bidir).
 *
 * Stream ids follow iperf3's own numbering (1, 3, 4, 5, ...; the client
 * looks its streams up by id in our results), in the order the streams
 * connected.  Nothing is allocated per test or per packet: connections
 * live in a fixed table of slots, received data is counted and freed,
 * and the reverse direction writes from one static pattern buffer without
 * copying (lwIP references it until the peer acknowledges).  Each stream
 * may have at most its share of IPERF3_TX_BUDGET queued, so 8 streams do
 * not drain lwIP's segment and pbuf pools.
 *
 * This file: the connection slots, the lwIP callbacks, the senders of
 * the reverse direction, and the `iperf3` shell command;
 * lwipg_iperf3_ctl.c: the control protocol.
 *
 * Locking: all state here belongs to the lwIP core lock: everything runs
 * in lwIP callbacks or in lwipg_apps_init(), which hold it, and the
 * `iperf3` shell command takes it to copy the counters.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/libc.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_iperf3.h"

static const char *const i3_phase_names[] = {
	"idle", "cookie", "params", "params", "streams", "running",
	"results", "results", "display",
};

struct i3_test lwipg_i3;
struct i3_conn lwipg_i3_conns[IPERF3_NSLOTS];
struct i3_stats lwipg_i3_stats;
static struct i3_test *const i3 = &lwipg_i3;
uint8_t lwipg_i3_pattern[IPERF3_PATTERN_LEN];	/* filled once, then const */

static err_t	i3_recv(void *, struct tcp_pcb *, struct pbuf *, err_t);
static err_t	i3_sent(void *, struct tcp_pcb *, u16_t);
static err_t	i3_poll(void *, struct tcp_pcb *);
static void	i3_err(void *, err_t);

/* ---- connections ----------------------------------------------------- */

static struct i3_conn *
i3_conn_alloc(struct tcp_pcb *pcb, enum i3_kind kind)
{
	struct i3_conn *c;

	I3_FOREACH(c)
		if (c->ic_kind == I3_FREE)
			break;
	if (c == lwipg_i3_conns + IPERF3_NSLOTS)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->ic_pcb = pcb;
	c->ic_kind = kind;
	c->ic_since = sys_now();
	tcp_arg(pcb, c);
	tcp_recv(pcb, i3_recv);
	tcp_err(pcb, i3_err);
	tcp_poll(pcb, i3_poll, kind == I3_CTRL ? IPERF3_POLL_CTRL :
	    IPERF3_POLL_DATA);
	return c;
}

/*
 * Detaches c's pcb and closes it: with a FIN, or with a RST when `hard`
 * or when the close fails.  Returns true if the pcb was aborted (a
 * callback running for it must then return ERR_ABRT).
 */
static bool
i3_conn_close(struct i3_conn *c, bool hard)
{
	struct tcp_pcb *pcb = c->ic_pcb;

	if (pcb == NULL)
		return false;
	c->ic_pcb = NULL;
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

/* Writes control bytes (copied) and pushes them out. */
int
lwipg_i3_ctrl_write(const void *data, size_t len)
{
	struct tcp_pcb *pcb = i3->it_ctrl != NULL ? i3->it_ctrl->ic_pcb : NULL;

	if (pcb == NULL || len > tcp_sndbuf(pcb) ||
	    tcp_write(pcb, data, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK)
		return I3_ABORT;
	tcp_output(pcb);
	return I3_OK;
}

int
lwipg_i3_ctrl_state(int8_t state)
{
	return lwipg_i3_ctrl_write(&state, 1);
}

/*
 * Ends the test and counts the outcome.  `hard`: resets every connection
 * of it and frees their slots; otherwise they linger until the peer
 * closes (we close passively, so no PCB waits in TIME_WAIT).  Returns true
 * if `cur` (the pcb whose callback is running, or NULL) was aborted.
 */
static bool
i3_test_finish(struct tcp_pcb *cur, bool hard, uint64_t *counter)
{
	struct i3_conn *c;
	bool cur_aborted = false, is_cur;

	I3_FOREACH(c) {
		if (c->ic_kind != I3_CTRL && c->ic_kind != I3_STREAM)
			continue;
		if (!hard && c->ic_pcb != NULL) {
			c->ic_kind = I3_LINGER;
			c->ic_since = sys_now();
			tcp_sent(c->ic_pcb, NULL);
			continue;
		}
		is_cur = cur != NULL && c->ic_pcb == cur;
		if (i3_conn_close(c, hard) && is_cur)
			cur_aborted = true;
		c->ic_kind = I3_FREE;
	}
	lwipg_i3_udp_stop();
	(*counter)++;
	if (counter == &lwipg_i3_stats.is_aborted)
		printk("iperf3: test %lu aborted in phase %s\n",
		    lwipg_i3_stats.is_tests, i3_phase_names[i3->it_phase]);
	i3->it_ctrl = NULL;
	i3->it_phase = I3_IDLE;
	return cur_aborted;
}

/* Queues pattern data on a reverse stream, within its share. */
static void
i3_fill(struct i3_conn *c)
{
	struct tcp_pcb *pcb = c->ic_pcb;
	uint32_t room, queued, len;
	bool wrote = false;

	while (pcb != NULL && i3->it_phase == I3_RUNNING && c->ic_sender &&
	    (i3->it_limit == 0 || i3->it_sent < i3->it_limit)) {
		room = pcb->snd_buf;	/* tcp_sndbuf() clamps to 64 KiB */
		queued = TCP_SND_BUF - room;
		if (queued >= i3->it_txcap)
			break;
		len = i3->it_txcap - queued;
		if (len > room)
			len = room;
		if (len > IPERF3_TX_CHUNK)
			len = IPERF3_TX_CHUNK;
		len -= len % TCP_MSS;
		if (len == 0 || tcp_write(pcb, lwipg_i3_pattern, (u16_t)len, 0) !=
		    ERR_OK)
			break;
		c->ic_bytes += len;
		i3->it_sent += len;
		lwipg_i3_stats.is_tx_bytes += len;
		wrote = true;
		i3->it_data_ms = sys_now();
	}
	if (wrote)
		tcp_output(pcb);
}

/* Starts the sender of our stream c (TEST_RUNNING is out). */
void
lwipg_i3_send_start(struct i3_conn *c)
{
	if (c->ic_pcb == NULL)
		return;
	tcp_sent(c->ic_pcb, i3_sent);
	i3_fill(c);
}

/*
 * TEST_END: our sending streams send a FIN after their queued data, since
 * the client reads whole blocks until the end of the stream; the
 * receiving side stays open until the client closes.  The client's
 * sending streams stay open as they are (it closes them): we close
 * passively.
 */
void
lwipg_i3_streams_end(void)
{
	struct i3_conn *c;

	I3_FOREACH(c) {
		if (c->ic_kind != I3_STREAM || c->ic_pcb == NULL ||
		    !c->ic_sender)
			continue;
		tcp_sent(c->ic_pcb, NULL);
		if (tcp_shutdown(c->ic_pcb, 0, 1) != ERR_OK)
			(void)i3_conn_close(c, true);
	}
}

/* ---- other connections: streams, and clients we turn away -------------- */

/* Tells a connection the server is busy, then waits for it to close. */
static void
i3_deny(struct i3_conn *c)
{
	int8_t state = I3_ACCESS_DENIED;

	c->ic_kind = I3_LINGER;
	c->ic_since = sys_now();
	lwipg_i3_stats.is_denied++;
	if (tcp_write(c->ic_pcb, &state, 1, TCP_WRITE_FLAG_COPY) == ERR_OK)
		tcp_output(c->ic_pcb);
}

/* Cookie bytes on a pending connection; *used says how many. */
static int
i3_cookie_input(struct i3_conn *c, const uint8_t *d, size_t n, size_t *used)
{
	size_t k = IPERF3_COOKIE_LEN - c->ic_got;

	if (k > n)
		k = n;
	memcpy(c->ic_cookie + c->ic_got, d, k);
	c->ic_got += (unsigned)k;
	*used = k;
	if (c->ic_got < IPERF3_COOKIE_LEN)
		return I3_OK;
	if (i3->it_phase != I3_STREAMS || i3->it_udp ||
	    i3->it_nstreams >= i3->it_streams ||
	    memcmp(c->ic_cookie, i3->it_cookie, IPERF3_COOKIE_LEN) != 0) {
		i3_deny(c);
		return I3_OK;
	}
	c->ic_kind = I3_STREAM;
	c->ic_id = I3_STREAM_ID(i3->it_nstreams);
	c->ic_sender = I3_STREAM_SENDS(i3->it_nstreams);
	if (c->ic_sender)
		i3->it_nsenders++;
	if (++i3->it_nstreams == i3->it_streams)
		return lwipg_i3_test_start();
	return I3_OK;
}

/* Data on a connection that is not the control one. */
static int
i3_data_input(struct i3_conn *c, struct pbuf *p)
{
	struct pbuf *q;
	size_t off, used;
	int r = I3_OK;

	for (q = p; q != NULL && r == I3_OK; q = q->next) {
		for (off = 0; off < q->len && r == I3_OK; off += used) {
			used = q->len - off;
			if (c->ic_kind == I3_PENDING)
				r = i3_cookie_input(c, (uint8_t *)q->payload +
				    off, used, &used);
			else if (c->ic_kind == I3_STREAM && !c->ic_sender &&
			    i3->it_phase == I3_RUNNING) {
				c->ic_bytes += used;
				lwipg_i3_stats.is_rx_bytes += used;
				i3->it_data_ms = sys_now();
			}	/* else dropped: late, lingering, ours */
		}
	}
	return r;
}

/* ---- lwIP callbacks (core lock held) ----------------------------------- */

/* Acts on a control step's result; returns what the callback returns. */
static err_t
i3_outcome(struct tcp_pcb *pcb, int r)
{
	if (r == I3_ABORT)
		return i3_test_finish(pcb, true, &lwipg_i3_stats.is_aborted) ?
		    ERR_ABRT : ERR_OK;
	if (r == I3_DONE)
		return i3_test_finish(pcb, false, i3->it_phase == I3_DISPLAY ?
		    &lwipg_i3_stats.is_completed : &lwipg_i3_stats.is_errors) ?
		    ERR_ABRT : ERR_OK;
	return ERR_OK;
}

/* Aborts the test from outside its TCP callbacks (the UDP side). */
void
lwipg_i3_abort(void)
{
	(void)i3_outcome(NULL, I3_ABORT);
}

/* The peer closed its side (FIN). */
static err_t
i3_peer_closed(struct i3_conn *c, struct tcp_pcb *pcb)
{
	bool aborted;

	switch (c->ic_kind) {
	case I3_CTRL:
		/* Before the results are out, the client is gone. */
		if (i3->it_phase != I3_DISPLAY)
			return i3_outcome(pcb, I3_ABORT);
		(void)i3_outcome(pcb, I3_DONE);	/* c lingers: close it */
		break;
	case I3_STREAM:
		/* One stream ended early: close ours, keep its count. */
		return i3_conn_close(c, false) ? ERR_ABRT : ERR_OK;
	default:
		break;
	}
	aborted = i3_conn_close(c, false);
	c->ic_kind = I3_FREE;
	return aborted ? ERR_ABRT : ERR_OK;
}

static err_t
i3_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct i3_conn *c = arg;
	struct pbuf *q;
	int r = I3_OK;

	if (p == NULL || err != ERR_OK || c == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return c == NULL ? ERR_OK : i3_peer_closed(c, pcb);
	}
	if (c->ic_kind == I3_CTRL) {
		i3->it_progress = sys_now();
		for (q = p; q != NULL && r == I3_OK; q = q->next)
			r = lwipg_i3_ctrl_input(q->payload, q->len);
	} else
		r = i3_data_input(c, p);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return i3_outcome(pcb, r);
}

static err_t
i3_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	if (arg != NULL)
		i3_fill(arg);
	return ERR_OK;
}

/* Every 0.5 s (data) or 1 s (control): timeouts, and stalled senders. */
static err_t
i3_poll(void *arg, struct tcp_pcb *pcb)
{
	struct i3_conn *c = arg;
	uint64_t run_us;

	if (c == NULL)
		return ERR_OK;
	switch (c->ic_kind) {
	case I3_CTRL:
		run_us = (uint64_t)(i3->it_time + IPERF3_RUN_SLACK_S) * 1000000;
		if (i3->it_phase != I3_RUNNING ?
		    sys_now() - i3->it_progress > IPERF3_IDLE_MS :
		    i3->it_time != 0 ? uptime_us() - i3->it_start_us > run_us :
		    sys_now() - i3->it_data_ms > IPERF3_IDLE_MS)
			return i3_outcome(pcb, I3_ABORT);
		return ERR_OK;
	case I3_STREAM:
		i3_fill(c);
		return ERR_OK;
	default:
		if (sys_now() - c->ic_since <= IPERF3_PENDING_MS)
			return ERR_OK;
		(void)i3_conn_close(c, true);
		c->ic_kind = I3_FREE;
		return ERR_ABRT;
	}
}

/* The pcb is gone (reset, or too many retransmissions). */
static void
i3_err(void *arg, err_t err)
{
	struct i3_conn *c = arg;

	(void)err;
	if (c == NULL)
		return;
	c->ic_pcb = NULL;
	switch (c->ic_kind) {
	case I3_CTRL:
		(void)i3_outcome(NULL, i3->it_phase == I3_DISPLAY ? I3_DONE :
		    I3_ABORT);
		break;
	case I3_STREAM:
		if (i3->it_phase == I3_STREAMS || i3->it_phase == I3_RUNNING)
			(void)i3_outcome(NULL, I3_ABORT);
		break;
	default:
		c->ic_kind = I3_FREE;
		break;
	}
}

static err_t
i3_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct i3_conn *c;
	enum i3_kind kind;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	kind = i3->it_phase == I3_IDLE ? I3_CTRL : I3_PENDING;
	if ((c = i3_conn_alloc(pcb, kind)) == NULL)
		return ERR_MEM;		/* lwIP resets it */
	if (kind == I3_PENDING) {
		if (i3->it_phase != I3_STREAMS)
			i3_deny(c);	/* busy with a test */
		return ERR_OK;
	}
	tcp_nagle_disable(pcb);
	i3->it_ctrl = c;
	i3->it_phase = I3_COOKIE;
	i3->it_have = 0;
	i3->it_progress = sys_now();
	lwipg_i3_stats.is_tests++;
	return ERR_OK;
}

/* Core lock held (lwipg_apps_init). */
void
lwipg_iperf3_init(void)
{
	struct tcp_pcb *pcb, *lpcb = NULL;
	size_t i;

	for (i = 0; i < sizeof(lwipg_i3_pattern); i++)
		lwipg_i3_pattern[i] = (uint8_t)('0' + i % 10);
	if (lwipg_i3_udp_init() != 0)
		printk("iperf3: cannot listen on udp port %u\n", IPERF3_PORT);
	pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (pcb == NULL || tcp_bind(pcb, IP_ANY_TYPE, IPERF3_PORT) != ERR_OK ||
	    (lpcb = tcp_listen(pcb)) == NULL) {
		if (pcb != NULL)
			tcp_close(pcb);
		printk("iperf3: cannot listen on tcp port %u\n", IPERF3_PORT);
		return;
	}
	tcp_accept(lpcb, i3_accept);
}

/*
 * `iperf3` prints the server's state and counters:
 *
 *	iperf3: port 5201 state <phase> max-streams 8
 *	iperf3: tests <n> completed <n> aborted <n> denied <n> errors <n>
 *	iperf3: rx-bytes <n> tx-bytes <n>
 *	iperf3: udp rx-datagrams <n> late <n> stray <n> lost <n>
 *	    out-of-order <n> tx-datagrams <n> tx-fail <n>	(one line)
 *	iperf3: refused malformed <n> protocol <n> streams <n> length <n>
 *
 * rx-datagrams are those counted in runs; late came for a stream after
 * its run; stray for no stream (or too short to read); lost and
 * out-of-order are iperf3's counts over finished runs.  The refusals add
 * up to `errors`.
 */
int
lwipg_cmd_iperf3(int argc, char **argv)
{
	struct i3_stats st;
	enum i3_phase phase;

	(void)argc;
	(void)argv;
	lwipg_core_lock();
	st = lwipg_i3_stats;
	phase = i3->it_phase;
	lwipg_core_unlock();
	printk("iperf3: port %u state %s max-streams %u\n", IPERF3_PORT,
	    i3_phase_names[phase], IPERF3_MAX_STREAMS);
	printk("iperf3: tests %lu completed %lu aborted %lu denied %lu "
	    "errors %lu\n", st.is_tests, st.is_completed, st.is_aborted,
	    st.is_denied, st.is_errors);
	printk("iperf3: rx-bytes %lu tx-bytes %lu\n", st.is_rx_bytes,
	    st.is_tx_bytes);
	printk("iperf3: udp rx-datagrams %lu late %lu stray %lu lost %lu "
	    "out-of-order %lu tx-datagrams %lu tx-fail %lu\n", st.is_udp_rx,
	    st.is_udp_late, st.is_udp_stray, st.is_udp_lost, st.is_udp_ooo,
	    st.is_udp_tx, st.is_udp_tx_fail);
	printk("iperf3: refused malformed %lu protocol %lu streams %lu "
	    "length %lu\n", st.is_err_malformed, st.is_err_protocol,
	    st.is_err_streams, st.is_err_length);
	return 0;
}


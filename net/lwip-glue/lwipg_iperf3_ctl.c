/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3_ctl.c: the iperf3 server's control protocol: the state
 * machine fed by the control connection's bytes (cookie, parameters,
 * state bytes, the client's results), the checks on the parameters
 * (read by lwipg_iperf3_json.c), the writer of our results JSON, and the
 * start and end of the test.  lwipg_iperf3.c owns the connections and
 * describes the design.  The client's results are read past, unparsed.
 *
 * Locking: the lwIP core lock, held by every caller (lwIP callbacks).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/libc.h"
#include "kernel/percpu.h"
#include "kernel/printf.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg_iperf3.h"
#include "net/lwip-glue/lwipg_iperf3_json.h"

static struct i3_test *const i3 = &lwipg_i3;
static char i3_results[IPERF3_RESULTS_MAX];
static char i3_text[IPERF3_TEXT_MAX];	/* the test's report lines */
static size_t i3_text_len;
static jsmntok_t i3_tokens[IPERF3_JSON_TOKENS];	/* the parameters' */

/* ---- the test ---------------------------------------------------------- */

static void
i3_put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* All streams are in: start the clock (and our senders). */
int
lwipg_i3_test_start(void)
{
	struct i3_conn *c;
	uint32_t cap;

	if (lwipg_i3_ctrl_state(I3_TEST_START) != I3_OK ||
	    lwipg_i3_ctrl_state(I3_TEST_RUNNING) != I3_OK)
		return I3_ABORT;
	i3->it_phase = I3_RUNNING;
	i3->it_start_us = uptime_us();
	i3->it_data_ms = sys_now();
	percpu_busy_cycles(&i3->it_busy, &i3->it_cycles);
	i3->it_rexmit = lwip_stats.mib2.tcpretranssegs;
	if (i3->it_nsenders == 0)
		return I3_OK;
	if (i3->it_udp) {
		lwipg_i3_udp_start();
		return I3_OK;
	}
	cap = IPERF3_TX_BUDGET / i3->it_nsenders;
	if (cap > TCP_SND_BUF)
		cap = TCP_SND_BUF;
	i3->it_txcap = cap < 4 * TCP_MSS ? 4 * TCP_MSS : cap;
	I3_FOREACH(c) {
		if (c->ic_kind != I3_STREAM || c->ic_pcb == NULL ||
		    !c->ic_sender)
			continue;
		lwipg_i3_send_start(c);
	}
	return I3_OK;
}

/* TEST_END: stop the clock; the streams stop counting and sending. */
static int
i3_test_end(void)
{
	uint64_t busy, cycles;

	i3->it_end_us = uptime_us();
	percpu_busy_cycles(&busy, &cycles);
	i3->it_busy = busy - i3->it_busy;
	i3->it_cycles = cycles - i3->it_cycles;
	i3->it_rexmit = lwip_stats.mib2.tcpretranssegs - i3->it_rexmit;
	i3->it_phase = I3_RESULTS_LEN;
	if (i3->it_udp)
		lwipg_i3_udp_end();
	else
		lwipg_i3_streams_end();
	return lwipg_i3_ctrl_state(I3_EXCHANGE_RESULTS);
}

/*
 * The CPU busy share of the test, all CPUs, in thousandths of a percent
 * (iperf3's cpu_util_* are percentages).  Everything runs in the kernel:
 * user 0, system the total.
 */
static uint64_t
i3_cpu_millipct(void)
{
	uint64_t busy = i3->it_busy, cycles = i3->it_cycles;

	while (busy > UINT64_MAX / 100000) {
		busy >>= 1;
		cycles >>= 1;
	}
	return cycles == 0 ? 0 : busy * 100000 / cycles;
}

/*
 * One line of the test's report: to the console, and kept (if it fits)
 * for a client that asked for the server's output (--get-server-output).
 */
void
lwipg_i3_say(const char *fmt, ...)
{
	char line[PRINTK_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	printk("%s", line);
	if ((size_t)n < sizeof(line) && (size_t)n < sizeof(i3_text) -
	    i3_text_len) {
		memcpy(i3_text + i3_text_len, line, (size_t)n);
		i3_text_len += (size_t)n;
	}
}

/* Appends the report lines as "server_output_text", a JSON string. */
static size_t
i3_server_output(size_t n)
{
	size_t i, size = sizeof(i3_results);

	if (n + sizeof(",\"server_output_text\":\"\"") + 2 * i3_text_len >
	    size)
		return size;	/* cannot happen: 2 x 2.5K of text fit */
	n += (size_t)ksnprintf(i3_results + n, size - n,
	    ",\"server_output_text\":\"");
	for (i = 0; i < i3_text_len; i++) {
		/* Our lines are printable ASCII and newlines. */
		if (i3_text[i] == '\n') {
			i3_results[n++] = '\\';
			i3_results[n++] = 'n';
		} else if (i3_text[i] >= ' ' && i3_text[i] != '"' &&
		    i3_text[i] != '\\')
			i3_results[n++] = i3_text[i];
	}
	i3_results[n++] = '"';
	return n;
}

/*
 * Our results: length, JSON, then DISPLAY_RESULTS, the fields iperf3's
 * send_results writes.  `bytes` is what each stream moved (received, or
 * sent by us); a UDP stream we received adds iperf3's errors (loss),
 * packets (the highest number) and jitter (seconds); one we sent, the
 * datagrams sent.  sender_has_retransmits is iperf3's: -1 when we only
 * receive, 1 for TCP when we send, 0 for UDP when we send.
 *
 * Retransmissions: lwIP counts them per instance, not per pcb, and only
 * those of its fast-retransmit path (MIB2 tcpretranssegs; tcp_rexmit_rto
 * does not count), so the test's count (one test at a time; the
 * instance's other TCP traffic included) goes on our first sending TCP
 * stream and our other sending streams get 0, which makes the client's
 * sum right; streams we receive, and UDP streams, get -1 (iperf3's
 * "unknown").
 */
static int
i3_send_results(void)
{
	uint64_t us = i3->it_end_us - i3->it_start_us, total = 0;
	uint64_t cpu = i3_cpu_millipct();
	struct i3_conn *c;
	const char *sep = "";
	long rexmit, has_rexmit;
	uint8_t len[4];
	size_t n;
	int r;

	has_rexmit = i3->it_nsenders == 0 ? -1 : i3->it_udp ? 0 : 1;
	i3_text_len = 0;
	n = (size_t)ksnprintf(i3_results, sizeof(i3_results),
	    "{\"cpu_util_total\":%lu.%03lu,\"cpu_util_user\":0,"
	    "\"cpu_util_system\":%lu.%03lu,\"sender_has_retransmits\":%ld,"
	    "\"streams\":[", cpu / 1000, cpu % 1000, cpu / 1000, cpu % 1000,
	    has_rexmit);
	rexmit = (long)i3->it_rexmit;
	I3_FOREACH(c) {
		if (c->ic_kind != I3_STREAM || n >= sizeof(i3_results))
			continue;
		total += c->ic_bytes;
		n += (size_t)ksnprintf(i3_results + n, sizeof(i3_results) - n,
		    "%s{\"id\":%u,\"bytes\":%lu,\"retransmits\":%ld,"
		    "\"jitter\":0,\"errors\":0,\"packets\":0,"
		    "\"start_time\":0,\"end_time\":%lu.%06lu}",
		    sep, c->ic_id, c->ic_bytes, c->ic_sender ? rexmit : -1L,
		    us / 1000000, us % 1000000);
		sep = ",";
		if (c->ic_sender)
			rexmit = 0;	/* counted once, on the first */
	}
	if (i3->it_udp && n < sizeof(i3_results))
		n = lwipg_i3_udp_results(i3_results, sizeof(i3_results), n,
		    &sep, us);
	if (!i3->it_udp)
		lwipg_i3_say("iperf3: test %lu: %s, %u streams, %lu bytes in "
		    "%lu ms, cpu %lu.%03lu%%, retransmits %u\n",
		    lwipg_i3_stats.is_tests, i3->it_bidir ? "bidir" :
		    i3->it_reverse ? "reverse" : "forward", i3->it_nstreams,
		    total, us / 1000, cpu / 1000, cpu % 1000, i3->it_rexmit);
	else
		lwipg_i3_say("iperf3: test %lu: udp %s, %u streams, cpu "
		    "%lu.%03lu%%, %lu ms\n", lwipg_i3_stats.is_tests,
		    i3->it_bidir ? "bidir" : i3->it_reverse ? "reverse" :
		    "forward", i3->it_nstreams, cpu / 1000, cpu % 1000,
		    us / 1000);
	if (n < sizeof(i3_results))
		n += (size_t)ksnprintf(i3_results + n, sizeof(i3_results) - n,
		    "]");
	if (i3->it_server_output && n < sizeof(i3_results))
		n = i3_server_output(n);
	if (n < sizeof(i3_results))
		n += (size_t)ksnprintf(i3_results + n, sizeof(i3_results) - n,
		    "}");
	if (n >= sizeof(i3_results))
		return I3_ABORT;	/* cannot happen with 16 streams */
	i3_put_be32(len, (uint32_t)n);
	if ((r = lwipg_i3_ctrl_write(len, sizeof(len))) != I3_OK ||
	    (r = lwipg_i3_ctrl_write(i3_results, n)) != I3_OK)
		return r;
	i3->it_phase = I3_DISPLAY;
	return lwipg_i3_ctrl_state(I3_DISPLAY_RESULTS);
}

/*
 * SERVER_ERROR, then i_errno and errno as big-endian 32-bit numbers; the
 * refusal is counted under its reason (*reason) and in is_errors when the
 * test ends.
 */
static int
i3_send_error(uint32_t ierrno, uint64_t *reason, const char *what)
{
	uint8_t b[9];

	(*reason)++;
	b[0] = (uint8_t)I3_SERVER_ERROR;
	i3_put_be32(b + 1, ierrno);
	i3_put_be32(b + 5, 0);
	if (lwipg_i3_ctrl_write(b, sizeof(b)) != I3_OK)
		return I3_ABORT;
	printk("iperf3: test %lu refused: %s (error %u)\n",
	    lwipg_i3_stats.is_tests, what, ierrno);
	return I3_DONE;
}

/*
 * The parameters are in: check them, then CREATE_STREAMS.  A message jsmn
 * cannot read (malformed, or too many tokens) gets IERECVPARAMS, what
 * iperf3's own server reports when it cannot take the parameters; SCTP
 * gets IEPROTOCOL, as from a server built without it.
 */
static int
i3_params(void)
{
	struct i3_stats *st = &lwipg_i3_stats;
	struct i3_params p;

	if (lwipg_i3_params_parse(i3->it_json, i3->it_need, i3_tokens,
	    IPERF3_JSON_TOKENS, &p) != 0)
		return i3_send_error(I3_IERECVPARAMS, &st->is_err_malformed,
		    "malformed parameters");
	if (p.ip_sctp)
		return i3_send_error(I3_IEPROTOCOL, &st->is_err_protocol,
		    "sctp");
	if (p.ip_parallel < 1 || p.ip_parallel > IPERF3_MAX_STREAMS)
		return i3_send_error(I3_IENUMSTREAMS, &st->is_err_streams,
		    "too many streams");
	if (p.ip_udp && p.ip_len == 0)
		p.ip_len = IPERF3_UDP_DEFAULT_LEN;
	if (p.ip_udp && (p.ip_len < IPERF3_UDP_MIN_LEN ||
	    p.ip_len > IPERF3_UDP_MAX_LEN))
		return i3_send_error(I3_IEUDPBLOCKSIZE, &st->is_err_length,
		    "udp datagram size");
	i3->it_udp = p.ip_udp;
	i3->it_udp64 = p.ip_udp64;
	i3->it_server_output = p.ip_server_output;
	i3->it_blksize = p.ip_len;
	i3->it_rate = p.ip_bandwidth < IPERF3_RATE_MAX ? p.ip_bandwidth :
	    IPERF3_RATE_MAX;
	i3->it_parallel = p.ip_parallel;
	i3->it_reverse = p.ip_reverse && !p.ip_bidir;
	i3->it_bidir = p.ip_bidir;
	i3->it_streams = p.ip_parallel * (p.ip_bidir ? 2 : 1);
	i3->it_time = p.ip_time + p.ip_omit;
	i3->it_limit = p.ip_num;
	if (i3->it_limit == 0)
		i3->it_limit = p.ip_blockcount * p.ip_len;
	i3->it_nstreams = 0;
	i3->it_nsenders = 0;
	i3->it_sent = 0;
	lwipg_i3_udp_reset();	/* the last test's streams */
	i3->it_phase = I3_STREAMS;
	return lwipg_i3_ctrl_state(I3_CREATE_STREAMS);
}

/* ---- the control connection ------------------------------------------ */

/* The current item (cookie, length or JSON) is complete. */
static int
i3_ctrl_item(void)
{
	uint32_t len = (uint32_t)i3->it_len[0] << 24 |
	    (uint32_t)i3->it_len[1] << 16 | (uint32_t)i3->it_len[2] << 8 |
	    i3->it_len[3];

	i3->it_have = 0;
	switch (i3->it_phase) {
	case I3_COOKIE:
		i3->it_phase = I3_PARAMS_LEN;
		return lwipg_i3_ctrl_state(I3_PARAM_EXCHANGE);
	case I3_PARAMS_LEN:
		if (len == 0 || len > IPERF3_PARAMS_MAX)
			return I3_ABORT;
		i3->it_need = len;
		i3->it_phase = I3_PARAMS;
		return I3_OK;
	case I3_PARAMS:
		i3->it_json[i3->it_need] = '\0';
		return i3_params();
	case I3_RESULTS_LEN:
		/* The client's results: read past them, unparsed. */
		i3->it_need = len;
		i3->it_phase = I3_RESULTS;
		return len == 0 ? i3_send_results() : I3_OK;
	case I3_RESULTS:
		return i3_send_results();
	default:
		return I3_OK;
	}
}

/* A state byte from the client. */
static int
i3_ctrl_byte(int8_t state)
{
	if (state == I3_CLIENT_TERMINATE)
		return I3_ABORT;
	if (state == I3_TEST_END && i3->it_phase == I3_RUNNING)
		return i3_test_end();
	if (state == I3_IPERF_DONE && i3->it_phase == I3_DISPLAY)
		return I3_DONE;
	return I3_OK;		/* anything else is ignored */
}

/* Feeds control bytes to the state machine: I3_OK, I3_DONE or I3_ABORT. */
int
lwipg_i3_ctrl_input(const uint8_t *d, size_t n)
{
	uint32_t k, want;
	int r = I3_OK;

	while (n > 0 && r == I3_OK) {
		switch (i3->it_phase) {
		case I3_COOKIE:
		case I3_PARAMS_LEN:
		case I3_RESULTS_LEN:
		case I3_PARAMS:
		case I3_RESULTS:
			want = i3->it_phase == I3_COOKIE ? IPERF3_COOKIE_LEN :
			    (i3->it_phase == I3_PARAMS_LEN ||
			    i3->it_phase == I3_RESULTS_LEN) ? 4 : i3->it_need;
			k = want - i3->it_have;
			if (k > n)
				k = (uint32_t)n;
			if (i3->it_phase == I3_COOKIE)
				memcpy(i3->it_cookie + i3->it_have, d, k);
			else if (i3->it_phase == I3_PARAMS)
				memcpy(i3->it_json + i3->it_have, d, k);
			else if (i3->it_phase != I3_RESULTS)
				memcpy(i3->it_len + i3->it_have, d, k);
			i3->it_have += k;
			if (i3->it_have == want)
				r = i3_ctrl_item();
			break;
		default:
			k = 1;
			r = i3_ctrl_byte((int8_t)*d);
			break;
		}
		d += k;
		n -= k;
	}
	return r;
}

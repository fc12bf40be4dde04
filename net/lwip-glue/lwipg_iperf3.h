/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf3.h: the iperf3 server's private interface, shared by
 * lwipg_iperf3.c (connections, lwIP callbacks, the shell command) and
 * lwipg_iperf3_ctl.c (the control protocol, parameters and results).
 * The design is described at the top of lwipg_iperf3.c.
 *
 * Locking: every object declared here belongs to the lwIP core lock
 * (lwipg_core_lock); all functions are called with it held.
 */
#ifndef NET_LWIP_GLUE_LWIPG_IPERF3_H
#define NET_LWIP_GLUE_LWIPG_IPERF3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/tcp.h"

#define IPERF3_PORT		5201
#define IPERF3_COOKIE_LEN	37	/* 36 characters and a NUL */
#define IPERF3_MAX_STREAMS	8
#define IPERF3_SPARE_SLOTS	15	/* pending, denied, lingering */
#define IPERF3_NSLOTS		(1 + IPERF3_MAX_STREAMS + IPERF3_SPARE_SLOTS)
#define IPERF3_PARAMS_MAX	2048	/* longest parameter JSON we accept */
#define IPERF3_RESULTS_MAX	2048	/* our results JSON, 8 streams: ~1.2K */
#define IPERF3_IDLE_MS		10000	/* control silence outside the run */
#define IPERF3_RUN_SLACK_S	10	/* a run may last this much longer */
#define IPERF3_PENDING_MS	5000	/* no cookie, or no close, by then */
#define IPERF3_POLL_CTRL	2	/* lwIP poll units (0.5 s): 1 s */
#define IPERF3_POLL_DATA	1	/* 0.5 s: refills a stalled sender */
#define IPERF3_TX_CHUNK		(16 * TCP_MSS)	/* one tcp_write, < 64 KiB */
#define IPERF3_TX_BUDGET	(256 * 1024)	/* queued bytes, all streams */

/* State bytes (iperf3 src/iperf_api.h). */
#define I3_TEST_START		1
#define I3_TEST_RUNNING		2
#define I3_TEST_END		4
#define I3_PARAM_EXCHANGE	9
#define I3_CREATE_STREAMS	10
#define I3_CLIENT_TERMINATE	12
#define I3_EXCHANGE_RESULTS	13
#define I3_DISPLAY_RESULTS	14
#define I3_IPERF_DONE		16
#define I3_ACCESS_DENIED	(-1)
#define I3_SERVER_ERROR		(-2)

/* i_errno values the client prints after SERVER_ERROR (iperf_api.h). */
#define I3_IENUMSTREAMS		6	/* too many parallel streams */
#define I3_IEUNIMP		13	/* sent for UDP, SCTP, --bidir: refused */
#define I3_IERECVPARAMS		114	/* parameters we cannot read */

_Static_assert(IPERF3_TX_CHUNK <= 0xffff, "tcp_write takes a u16_t length");

enum i3_kind {
	I3_FREE,
	I3_CTRL,	/* the test's control connection */
	I3_PENDING,	/* reading a cookie: a stream of this test, or not */
	I3_STREAM,	/* a data stream (the slot outlives its pcb) */
	I3_LINGER,	/* done (or denied): waits for the peer to close */
};

enum i3_phase {
	I3_IDLE, I3_COOKIE, I3_PARAMS_LEN, I3_PARAMS, I3_STREAMS, I3_RUNNING,
	I3_RESULTS_LEN, I3_RESULTS, I3_DISPLAY,
};

struct i3_conn {
	struct tcp_pcb	*ic_pcb;	/* NULL once closed or gone */
	enum i3_kind	 ic_kind;
	unsigned	 ic_id;		/* stream: iperf3 stream id */
	unsigned	 ic_got;	/* cookie bytes received */
	uint8_t		 ic_cookie[IPERF3_COOKIE_LEN];
	uint32_t	 ic_since;	/* sys_now() at accept or linger */
	uint64_t	 ic_bytes;	/* stream: data received or queued */
};

struct i3_test {
	enum i3_phase	 it_phase;
	struct i3_conn	*it_ctrl;
	uint8_t		 it_cookie[IPERF3_COOKIE_LEN];
	bool		 it_reverse;
	unsigned	 it_parallel;
	unsigned	 it_nstreams;	/* streams connected so far */
	uint32_t	 it_time;	/* seconds; 0: the client ends it */
	uint64_t	 it_limit;	/* reverse: bytes to send, 0: no end */
	uint64_t	 it_sent;	/* reverse: bytes queued, all streams */
	uint32_t	 it_txcap;	/* reverse: queued bytes per stream */
	uint32_t	 it_need;	/* bytes of the current item */
	uint32_t	 it_have;	/* ... received so far */
	uint8_t		 it_len[4];	/* a big-endian length */
	uint32_t	 it_progress;	/* sys_now() of the last control step */
	uint64_t	 it_start_us;	/* TEST_RUNNING sent */
	uint64_t	 it_end_us;	/* TEST_END received */
	uint64_t	 it_busy;	/* CPU busy cycles, start then delta */
	uint64_t	 it_cycles;	/* CPU cycles, start then delta */
	uint32_t	 it_rexmit;	/* lwIP's tcp.rexmit, start then delta */
	char		 it_json[IPERF3_PARAMS_MAX + 1];
};

struct i3_stats {
	uint64_t	is_tests;	/* control connections accepted */
	uint64_t	is_completed;	/* results delivered */
	uint64_t	is_aborted;	/* client gone, reset or timed out */
	uint64_t	is_denied;	/* ACCESS_DENIED sent: busy */
	uint64_t	is_errors;	/* SERVER_ERROR sent: unsupported */
	uint64_t	is_rx_bytes;	/* stream data received */
	uint64_t	is_tx_bytes;	/* stream data queued for sending */
};

/* Results of a control step. */
#define I3_OK		0
#define I3_DONE		1	/* results out (or error sent): close */
#define I3_ABORT	2	/* reset the whole test */

/* The one test (at most one at a time), its connections, the counters. */
extern struct i3_test lwipg_i3;
extern struct i3_conn lwipg_i3_conns[IPERF3_NSLOTS];
extern struct i3_stats lwipg_i3_stats;

#define I3_FOREACH(c)							\
	for ((c) = lwipg_i3_conns; (c) < lwipg_i3_conns + IPERF3_NSLOTS; (c)++)

/* lwipg_iperf3.c */
int	lwipg_i3_ctrl_write(const void *data, size_t len);
int	lwipg_i3_ctrl_state(int8_t state);
void	lwipg_i3_send_start(struct i3_conn *c);
void	lwipg_i3_streams_end(void);

/* lwipg_iperf3_ctl.c */
int	lwipg_i3_ctrl_input(const uint8_t *d, size_t n);
int	lwipg_i3_test_start(void);

#endif /* NET_LWIP_GLUE_LWIPG_IPERF3_H */

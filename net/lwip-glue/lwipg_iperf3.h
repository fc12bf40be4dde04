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

#include "lwip/ip_addr.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg_udpstat.h"

#define IPERF3_PORT		5201
#define IPERF3_COOKIE_LEN	37	/* 36 characters and a NUL */
#define IPERF3_MAX_STREAMS	8	/* -P: streams each way */
#define IPERF3_MAX_CONNS	(2 * IPERF3_MAX_STREAMS)	/* --bidir */
#define IPERF3_SPARE_SLOTS	15	/* pending, denied, lingering */
#define IPERF3_NSLOTS		(1 + IPERF3_MAX_CONNS + IPERF3_SPARE_SLOTS)
#define IPERF3_PARAMS_MAX	2048	/* longest parameter JSON we accept */
#define IPERF3_RESULTS_MAX	8192	/* results JSON: 16 UDP streams ~2.5K,
					   and the text below, escaped */
#define IPERF3_TEXT_MAX		2560	/* a test's report lines: 17 */
#define IPERF3_IDLE_MS		10000	/* control silence outside the run */
#define IPERF3_RUN_SLACK_S	10	/* a run may last this much longer */
#define IPERF3_PENDING_MS	5000	/* no cookie, or no close, by then */
#define IPERF3_POLL_CTRL	2	/* lwIP poll units (0.5 s): 1 s */
#define IPERF3_POLL_DATA	1	/* 0.5 s: refills a stalled sender */
#define IPERF3_TX_CHUNK		(16 * TCP_MSS)	/* one tcp_write, < 64 KiB */
#define IPERF3_TX_BUDGET	(256 * 1024)	/* queued bytes, all streams */
#define IPERF3_PATTERN_LEN	IPERF3_TX_CHUNK	/* the static send pattern */

/* UDP (iperf_udp.c, iperf.h). */
#define IPERF3_UDP_MIN_LEN	16	/* MIN_UDP_BLOCKSIZE */
#define IPERF3_UDP_MAX_LEN	(65535 - 8 - 20)	/* MAX_UDP_BLOCKSIZE */
#define IPERF3_UDP_DEFAULT_LEN	1460	/* DEFAULT_UDP_BLKSIZE */
#define IPERF3_UDP_HDR32	12	/* sec, usec, 32-bit number */
#define IPERF3_UDP_HDR64	16	/* sec, usec, 64-bit number */
#define IPERF3_UDP_CONNECT_LEN	4	/* a stream's first datagram */
/*
 * The reply to it, UDP_CONNECT_REPLY, which the client reads as a native
 * unsigned int: these are its bytes as an x86 client reads them.
 */
#define IPERF3_UDP_REPLY	{ 0x36, 0x37, 0x38, 0x39 }
#define IPERF3_RATE_MAX		1000000000000ull	/* -b: 1 Tbit/s at most */
#define IPERF3_PACE_MS		1	/* pacer: every lwIP timer pass (tick) */
#define IPERF3_PACE_MAX_US	1000000	/* longer gaps count as this */
#define IPERF3_PACE_BURST_US	20000	/* the bucket holds 2 ticks' worth */

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
#define I3_IEUNIMP		13	/* an option we do not implement */
#define I3_IEUDPBLOCKSIZE	20	/* -u -l outside 16..65507 */
#define I3_IERECVPARAMS		114	/* parameters we cannot read */
#define I3_IEPROTOCOL		131	/* SCTP: no such protocol here */

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
	bool		 ic_sender;	/* stream: we send on it */
	unsigned	 ic_got;	/* cookie bytes received */
	uint8_t		 ic_cookie[IPERF3_COOKIE_LEN];
	uint32_t	 ic_since;	/* sys_now() at accept or linger */
	uint64_t	 ic_bytes;	/* stream: data received or queued */
};

/*
 * A UDP stream: the client's address and port are its key (it has no
 * connection); the sender's pacing is a token bucket in bits.
 */
struct i3_udp {
	bool		 iu_used;
	bool		 iu_sender;	/* we send on it */
	unsigned	 iu_id;		/* iperf3 stream id */
	ip_addr_t	 iu_addr;
	u16_t		 iu_port;
	uint64_t	 iu_sent;	/* sender: datagrams sent (last number) */
	uint64_t	 iu_bytes;	/* sender: bytes sent */
	uint64_t	 iu_credit;	/* sender: bits it may send now */
	struct lwipg_udpstat iu_st;	/* receiver: what arrived in the run */
};

struct i3_test {
	enum i3_phase	 it_phase;
	struct i3_conn	*it_ctrl;
	uint8_t		 it_cookie[IPERF3_COOKIE_LEN];
	bool		 it_reverse;	/* -R: we send on every stream */
	bool		 it_bidir;	/* --bidir: the second half is ours */
	bool		 it_udp;
	bool		 it_udp64;	/* 64-bit datagram numbers */
	unsigned	 it_parallel;	/* -P: streams each way */
	unsigned	 it_streams;	/* streams of the test, all ways */
	unsigned	 it_nstreams;	/* streams connected so far */
	unsigned	 it_nsenders;	/* of those, ours to send on */
	uint32_t	 it_blksize;	/* UDP datagram size */
	uint64_t	 it_rate;	/* UDP bit/s per stream, 0: no limit */
	uint64_t	 it_pace_us;	/* pacer: uptime of its last pass */
	bool		 it_pacing;	/* pacer: its lwIP timeout is set */
	uint32_t	 it_data_ms;	/* sys_now() of the last data moved */
	bool		 it_server_output; /* --get-server-output */
	uint32_t	 it_time;	/* seconds; 0: the client ends it */
	uint64_t	 it_limit;	/* bytes to send, 0: no end */
	uint64_t	 it_sent;	/* bytes queued or sent, our streams */
	uint32_t	 it_txcap;	/* TCP: queued bytes per sending stream */
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
	uint64_t	is_errors;	/* SERVER_ERROR sent: the four below */
	uint64_t	is_err_malformed; /* parameters we cannot read */
	uint64_t	is_err_protocol; /* SCTP */
	uint64_t	is_err_streams;	/* -P above IPERF3_MAX_STREAMS */
	uint64_t	is_err_length;	/* UDP -l out of range */
	uint64_t	is_rx_bytes;	/* stream data received */
	uint64_t	is_tx_bytes;	/* stream data queued for sending */
	uint64_t	is_udp_rx;	/* datagrams counted in a run */
	uint64_t	is_udp_late;	/* a stream's, after its run */
	uint64_t	is_udp_stray;	/* no stream's, or too short */
	uint64_t	is_udp_lost;	/* iperf3's loss, finished runs */
	uint64_t	is_udp_ooo;	/* out of order, finished runs */
	uint64_t	is_udp_tx;	/* datagrams sent */
	uint64_t	is_udp_tx_fail;	/* udp_sendto refused (retried later) */
};

/* Results of a control step. */
#define I3_OK		0
#define I3_DONE		1	/* results out (or error sent): close */
#define I3_ABORT	2	/* reset the whole test */

/* The one test (at most one at a time), its connections, the counters. */
extern struct i3_test lwipg_i3;
extern struct i3_conn lwipg_i3_conns[IPERF3_NSLOTS];
extern struct i3_udp lwipg_i3_udp[IPERF3_MAX_CONNS];
extern struct i3_stats lwipg_i3_stats;
extern uint8_t lwipg_i3_pattern[IPERF3_PATTERN_LEN];	/* const after init */

#define I3_FOREACH(c)							\
	for ((c) = lwipg_i3_conns; (c) < lwipg_i3_conns + IPERF3_NSLOTS; (c)++)
#define I3U_FOREACH(u)							\
	for ((u) = lwipg_i3_udp; (u) < lwipg_i3_udp + IPERF3_MAX_CONNS; (u)++)

/* The stream's direction, by the order it connected in (n from 0). */
#define I3_STREAM_SENDS(n)						\
	(lwipg_i3.it_reverse ||						\
	    (lwipg_i3.it_bidir && (n) >= lwipg_i3.it_parallel))
/* iperf3 numbers streams 1, 3, 4, 5, ... (iperf_add_stream). */
#define I3_STREAM_ID(n)		((n) == 0 ? 1u : (unsigned)(n) + 2)

/* lwipg_iperf3.c */
int	lwipg_i3_ctrl_write(const void *data, size_t len);
int	lwipg_i3_ctrl_state(int8_t state);
void	lwipg_i3_send_start(struct i3_conn *c);
void	lwipg_i3_streams_end(void);
void	lwipg_i3_abort(void);

/* lwipg_iperf3_ctl.c */
int	lwipg_i3_ctrl_input(const uint8_t *d, size_t n);
int	lwipg_i3_test_start(void);
void	lwipg_i3_say(const char *fmt, ...) __attribute__((format(printf, 1,
	    2)));

/* lwipg_iperf3_udp.c */
int	lwipg_i3_udp_init(void);
void	lwipg_i3_udp_start(void);
void	lwipg_i3_udp_end(void);
void	lwipg_i3_udp_stop(void);
void	lwipg_i3_udp_reset(void);
size_t	lwipg_i3_udp_results(char *buf, size_t size, size_t n,
	    const char **sep, uint64_t run_us);

#endif /* NET_LWIP_GLUE_LWIPG_IPERF3_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_iperf2.h: the iperf2 server's private interface, shared by
 * lwipg_iperf2.c (TCP, the connections back for -r/-d, the shell
 * command) and lwipg_iperf2_udp.c (UDP).  The design is described at the
 * top of lwipg_iperf2.c.
 *
 * The wire formats are iperf 2's (include/payloads.h of iperf 2.1.8):
 * every field a 32-bit big-endian word, so they are described here as
 * word offsets rather than as packed structs.
 *
 * Locking: every object declared here belongs to the lwIP core lock
 * (lwipg_core_lock); all functions are called with it held.
 */
#ifndef NET_LWIP_GLUE_LWIPG_IPERF2_H
#define NET_LWIP_GLUE_LWIPG_IPERF2_H

#include <stdbool.h>
#include <stdint.h>

#define IPERF2_PORT		5001

/*
 * The client's test header (struct client_hdr_v1): the first bytes of a
 * TCP stream; in UDP, after the datagram header.  Later versions append
 * extensions (their length is in the flags), which we do not need.
 */
#define I2_HDR_FLAGS		0
#define I2_HDR_THREADS		1
#define I2_HDR_PORT		2	/* where the client listens: -r/-d */
#define I2_HDR_BUFLEN		3
#define I2_HDR_WINBAND		4
#define I2_HDR_AMOUNT		5	/* < 0: -t in 10 ms units; else -n */
#define I2_HDR_WORDS		6
#define I2_HDR_LEN		(I2_HDR_WORDS * 4)

/* Header flags. */
#define I2_HEADER_VERSION1	0x80000000u	/* -r or -d: connect back */
#define I2_HEADER_SEQNO64B	0x08000000u	/* UDP: 64-bit sequence */
#define I2_HEADER_VERSION2	0x04000000u	/* newer tests: not ours */
#define I2_RUN_NOW		0x00000001u	/* -d: at once; else -r */

/* The UDP datagram header (struct UDP_datagram). */
#define I2_UDP_ID		0	/* sequence, low word; < 0: the end */
#define I2_UDP_SEC		1	/* sent at (sender's clock) */
#define I2_UDP_USEC		2
#define I2_UDP_ID2		3	/* sequence, high word (SEQNO64B) */
#define I2_UDP_WORDS		4
#define I2_UDP_LEN		(I2_UDP_WORDS * 4)

/*
 * The server's report (struct server_hdr), after a zeroed datagram header,
 * answering each of the client's final datagrams: base, extension
 * (transit times; we leave it zero and do not set SERVER_HEADER_EXTEND)
 * and extension 2 (the upper words of the 64-bit counts).
 */
#define I2_SR_FLAGS		0	/* HEADER_VERSION1 | HEADER_SEQNO64B */
#define I2_SR_BYTES_HI		1
#define I2_SR_BYTES_LO		2
#define I2_SR_STOP_SEC		3	/* duration on our clock */
#define I2_SR_STOP_USEC		4
#define I2_SR_LOST_LO		5
#define I2_SR_OOO_LO		6
#define I2_SR_DGRAMS_LO		7	/* the highest sequence number */
#define I2_SR_JITTER_SEC	8
#define I2_SR_JITTER_USEC	9
#define I2_SR_LOST_HI		25	/* after 15 words of extension */
#define I2_SR_OOO_HI		26
#define I2_SR_DGRAMS_HI		27
#define I2_SR_WORDS		28
#define I2_ACK_LEN		(I2_UDP_LEN + I2_SR_WORDS * 4)

_Static_assert(I2_ACK_LEN == 128, "iperf 2.1's UDP_datagram + server_hdr");

/* lwiperf's report types, kept for the console line tests parse. */
enum i2_report {
	I2_DONE_SERVER,		/* a stream we received ended */
	I2_DONE_CLIENT,		/* a stream we sent back (-r/-d) ended */
	I2_ABORTED_LOCAL,	/* we gave up: idle, or out of memory */
	I2_ABORTED_LOCAL_DATAERROR,
	I2_ABORTED_LOCAL_TXERROR,
	I2_ABORTED_REMOTE,	/* reset by the peer */
};

struct i2_stats {
	uint64_t	is_tests;	/* streams: TCP either way, UDP */
	uint64_t	is_completed;
	uint64_t	is_aborted;
	uint64_t	is_rx_bytes;	/* TCP and UDP payload received */
	uint64_t	is_tx_bytes;	/* TCP data queued on -r/-d streams */
	uint64_t	is_udp_tests;
	uint64_t	is_udp_datagrams;
	uint64_t	is_udp_lost;	/* of finished UDP tests */
	uint64_t	is_udp_ooo;	/* of finished UDP tests */
	uint64_t	is_udp_acks;	/* server reports sent */
};

extern struct i2_stats lwipg_i2_stats;

/* lwipg_iperf2_udp.c */
int	lwipg_i2_udp_init(void);
unsigned lwipg_i2_udp_expire(void);	/* returns the active tests */

#endif /* NET_LWIP_GLUE_LWIPG_IPERF2_H */

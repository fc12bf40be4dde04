/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_udpstat.h: the receive-side accounting of a UDP test stream,
 * shared by the iperf servers: sequence numbers (lost, out of order) and
 * the interarrival jitter of RFC 3550, section 6.4.1 (J += (|D| - J) / 16,
 * D the change in transit time between two consecutive datagrams).
 *
 * The rules are iperf 2's (Reporter.c, reporter_handle_packet_server_udp):
 * a datagram whose number is not the highest seen plus one is out of order
 * when it is lower, and otherwise opens a gap of lost datagrams; the
 * highest number never decreases; at the end the loss is the gaps minus
 * the out-of-order arrivals (they had been counted as gaps first).
 * iperf3 (iperf_udp.c, iperf_udp_recv) keeps a running count instead,
 * us_errors: the gaps, less one per out-of-order arrival while it is above
 * zero; it differs from iperf 2's only after duplicates.  The
 * sender's timestamps and our clock are unrelated: only differences of
 * transit times are used.
 *
 * Locking: none; each stream belongs to its caller's lock (for the glue,
 * the lwIP core lock).  Every function is O(1) and allocates nothing.
 */
#ifndef NET_LWIP_GLUE_LWIPG_UDPSTAT_H
#define NET_LWIP_GLUE_LWIPG_UDPSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct lwipg_udpstat {
	uint64_t	us_datagrams;	/* received */
	uint64_t	us_bytes;	/* received (UDP payload) */
	uint64_t	us_max_seq;	/* highest sequence number seen */
	uint64_t	us_gaps;	/* datagrams skipped by the sequence */
	uint64_t	us_ooo;		/* arrived below the highest */
	uint64_t	us_errors;	/* iperf3's running loss (cnt_error) */
	uint64_t	us_jitter16;	/* jitter in us, times 16 */
	int64_t		us_transit;	/* last transit time (us, offset) */
	uint64_t	us_first_us;	/* arrival of the first datagram */
	uint64_t	us_last_us;	/* ... and of the last */
};

void	 lwipg_udpstat_init(struct lwipg_udpstat *st);
void	 lwipg_udpstat_rx(struct lwipg_udpstat *st, uint64_t seq,
	    uint64_t sent_us, uint64_t now_us, uint32_t len);
uint64_t lwipg_udpstat_lost(const struct lwipg_udpstat *st);
uint64_t lwipg_udpstat_jitter_us(const struct lwipg_udpstat *st);

#endif /* NET_LWIP_GLUE_LWIPG_UDPSTAT_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_udpstat.c: sequence and jitter accounting of a received UDP test
 * stream (the rules are in lwipg_udpstat.h).  Sequence number 0 is the
 * stream's first datagram and carries the test header: it starts the
 * clock but opens no gap (iperf 2 numbers from 0 and counts from 1).
 *
 * Locking: none (the caller's).
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/libc.h"
#include "net/lwip-glue/lwipg_udpstat.h"

void
lwipg_udpstat_init(struct lwipg_udpstat *st)
{
	memset(st, 0, sizeof(*st));
}

/* One datagram: number seq, sent at sent_us (the sender's clock). */
void
lwipg_udpstat_rx(struct lwipg_udpstat *st, uint64_t seq, uint64_t sent_us,
    uint64_t now_us, uint32_t len)
{
	int64_t transit = (int64_t)(now_us - sent_us), d;

	if (st->us_datagrams == 0)
		st->us_first_us = now_us;
	else {
		d = transit - st->us_transit;
		if (d < 0)
			d = -d;
		/* 16 J' = 16 J + |D| - J */
		st->us_jitter16 += (uint64_t)d - ((st->us_jitter16 + 8) >> 4);
	}
	st->us_transit = transit;
	st->us_last_us = now_us;
	st->us_datagrams++;
	st->us_bytes += len;
	if (seq == 0)
		return;
	if (seq != st->us_max_seq + 1) {
		if (seq < st->us_max_seq + 1) {
			st->us_ooo++;
			if (st->us_errors > 0)
				st->us_errors--;
		} else {
			st->us_gaps += seq - st->us_max_seq - 1;
			st->us_errors += seq - st->us_max_seq - 1;
		}
	}
	if (seq > st->us_max_seq)
		st->us_max_seq = seq;
}

/* Datagrams lost for good: the gaps not filled by late arrivals. */
uint64_t
lwipg_udpstat_lost(const struct lwipg_udpstat *st)
{
	return st->us_gaps > st->us_ooo ? st->us_gaps - st->us_ooo : 0;
}

uint64_t
lwipg_udpstat_jitter_us(const struct lwipg_udpstat *st)
{
	return st->us_jitter16 >> 4;
}

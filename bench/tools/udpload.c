/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udpload.c: a host-side small-datagram UDP load client for `make bench`
 * (issue 11).  It sends numbered datagrams to a UDP echo server at a fixed
 * rate (or as fast as it can) and reports how many came back, exactly which
 * were lost, and the round-trip times.
 *
 * Usage: udpload -a ADDR [-p PORT] [-l LEN] [-t SECONDS] [-r RATE]
 *   -a  server address (IPv4 or IPv6 literal, or a name)   required
 *   -p  UDP port                                           default 7
 *   -l  datagram payload bytes, UL_HDR_LEN (16) to 65507   default 64
 *   -t  send time in seconds (fractions allowed)           default 5
 *   -r  datagrams per second; 0 sends as fast as possible  default 20000
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o udpload udpload.c
 *
 * Design: one connected UDP socket, shared by two threads.  The sender
 * writes a 64-bit sequence number and its CLOCK_MONOTONIC send time (ns)
 * into the first 16 bytes of each datagram (the rest is a fixed pattern).
 * With a rate it has round(RATE * SECONDS) slots, paced by absolute
 * deadlines: slot k is due at start + k / RATE; it sleeps with
 * clock_nanosleep(TIMER_ABSTIME) until the next slot is due and then uses
 * every slot that is due, at most UL_BURST at a time, so a late wake-up is
 * caught up in small bursts and the average rate stays exact.  With rate 0
 * it sends back to back (blocking send) until the deadline.  A send that
 * fails (ENOBUFS, EAGAIN, ECONNREFUSED after an ICMP error, ...) uses up
 * its slot, is counted in send_errors and is not sent: its sequence number
 * goes to the next datagram.  The receiver (SO_RCVBUF raised to UL_RCVBUF, with
 * SO_RCVBUFFORCE where allowed) marks each answered sequence number in a
 * bitmap: a bit already set is a duplicate, a number never sent (or a
 * datagram of the wrong length) is out of window.  It runs until the
 * send deadline plus UL_DRAIN_NS.  lost = sent - distinct answered, exact.
 *
 * Output: one JSON line on stdout, e.g.
 *   {"len":64,"rate":20000,"seconds":5.000,"sent":100000,
 *    "received":99990,"lost":10,"dups":0,"out_of_window":0,
 *    "send_errors":0,"recv_errors":0,"sent_per_sec":20000.0,
 *    "replies_per_sec":19998.0,"loss_pct":0.010,"rcvbuf":8388608,
 *    "rtt_us":{"p50":95,"p99":400,"max":2100}}
 * received counts distinct answered datagrams; sent_per_sec and
 * replies_per_sec divide sent and received by the send time: SECONDS, or
 * longer if the sender finished late.  A reply still in flight
 * UL_DRAIN_NS after the deadline counts as lost.
 * rcvbuf is what the kernel reports (Linux doubles the request).  RTT
 * percentiles come from a log-linear histogram (error under 1/64) of the
 * distinct replies.  Exit status: 0, or 1 if nothing was sent or nothing
 * came back, 2 on a usage error.
 *
 * Locking: ul_window (one past the highest sequence number handed to
 * send()) is written by the sender only, before each send, with release
 * stores, and read by the receiver with acquire loads for its window
 * check; ul_sent (datagrams sent) is written by the sender only.  The
 * bitmap and the receive counters belong to the receiver, the send
 * counters to the sender; main reads both after pthread_join().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define UL_HDR_LEN     16    /* sequence number + send time */
#define UL_MAX_LEN     65507 /* largest IPv4 UDP payload */
#define UL_BURST       32    /* most slots sent per wake-up */
#define UL_RCVBUF      (4 << 20)
#define UL_SNDBUF      (1 << 20)
#define UL_DRAIN_NS    500000000ull
#define UL_RCV_POLL_US 50000	   /* receiver checks the clock */
#define UL_MAX_SEQ_PPS 20000000ull /* bitmap bound with -r 0 */

/*
 * Log-linear histogram of microsecond values: exact below HIST_LINEAR
 * (128), then HIST_SUB sub-buckets per power of two up to 2^63.
 */
#define HIST_SUB_BITS 6
#define HIST_SUB      (1 << HIST_SUB_BITS)
#define HIST_LINEAR   (2 * HIST_SUB)
#define HIST_BUCKETS  (HIST_LINEAR + (63 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t h_count[HIST_BUCKETS];
	uint64_t h_n;
	uint64_t h_max;
};

static int ul_fd;
static size_t ul_len = 64;
static uint64_t ul_rate = 20000;
static uint64_t ul_start_ns, ul_send_end_ns, ul_recv_end_ns;
static uint64_t ul_send_done_ns;   /* when the sender stopped */
static uint64_t ul_max_seq;	   /* bitmap size in bits */
static uint64_t ul_slots;	   /* paced: rate * seconds sends */
static _Atomic uint64_t ul_sent;   /* datagrams sent = next seq */
static _Atomic uint64_t ul_window; /* seqs below it may be answered */
static uint64_t ul_send_errors;
static uint64_t *ul_bitmap;
static uint64_t ul_received, ul_dups, ul_oow, ul_recv_errors;
static struct hist ul_rtt;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned
hist_index(uint64_t v)
{
	unsigned e;

	if (v < HIST_LINEAR)
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v); /* e > HIST_SUB_BITS */
	return HIST_LINEAR + (e - HIST_SUB_BITS - 1) * HIST_SUB +
	       (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The middle of bucket i, the value reported for it. */
static uint64_t
hist_value(unsigned i)
{
	unsigned e, sub;
	uint64_t lo;

	if (i < HIST_LINEAR)
		return i;
	e = (i - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
	sub = (i - HIST_LINEAR) % HIST_SUB;
	lo = ((uint64_t)(HIST_SUB + sub)) << (e - HIST_SUB_BITS);
	return lo + ((1ull << (e - HIST_SUB_BITS)) >> 1);
}

static void
hist_add(struct hist *h, uint64_t v)
{
	h->h_count[hist_index(v)]++;
	h->h_n++;
	if (v > h->h_max)
		h->h_max = v;
}

/* The value at quantile q (0..1), never above the exact maximum. */
static uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, v;
	unsigned i;

	if (h->h_n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->h_n);
	if (rank >= h->h_n)
		rank = h->h_n - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->h_count[i];
		if (seen > rank) {
			v = hist_value(i);
			return v > h->h_max ? h->h_max : v;
		}
	}
	return h->h_max;
}

static void
put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int
ul_send_one(unsigned char *buf, uint64_t seq)
{
	/* Open the window first: on loopback the reply can beat ul_sent. */
	atomic_store_explicit(&ul_window, seq + 1, memory_order_release);
	put64(buf, seq);
	put64(buf + 8, now_ns());
	if (send(ul_fd, buf, ul_len, 0) == (ssize_t)ul_len)
		return 0;
	ul_send_errors++;
	return -1;
}

/* Rate 0: send back to back until the deadline. */
static void
ul_send_max(unsigned char *buf)
{
	uint64_t seq = 0;

	while (now_ns() < ul_send_end_ns && seq < ul_max_seq) {
		if (ul_send_one(buf, seq) == 0)
			atomic_store_explicit(
			    &ul_sent, ++seq, memory_order_release);
	}
}

/* When slot k is due (ns, CLOCK_MONOTONIC); 128-bit so it cannot wrap. */
static uint64_t
ul_slot_ns(uint64_t k)
{
	return ul_start_ns +
	       (uint64_t)((unsigned __int128)k * 1000000000u / ul_rate);
}

/* How many slots are due at time t (slot 0 is due at the start). */
static uint64_t
ul_slots_due(uint64_t t)
{
	unsigned __int128 n;

	n = (unsigned __int128)(t - ul_start_ns) * ul_rate / 1000000000u + 1;
	return n > ul_slots ? ul_slots : (uint64_t)n;
}

/*
 * Paced: slot k (0 <= k < ul_slots) is due at start + k / rate.  Sleep
 * until the next slot is due, then use every due slot, UL_BURST at most
 * before looking at the clock again.  All ul_slots slots are used even if
 * the last wake-up comes a little after the deadline.
 */
static void
ul_send_paced(unsigned char *buf)
{
	struct timespec ts;
	uint64_t seq = 0, slot = 0, due, next;
	unsigned burst;

	while (slot < ul_slots) {
		due = ul_slots_due(now_ns());
		if (slot >= due) {
			next = ul_slot_ns(slot);
			ts.tv_sec = (time_t)(next / 1000000000u);
			ts.tv_nsec = (long)(next % 1000000000u);
			clock_nanosleep(
			    CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		for (burst = 0; slot < due && burst < UL_BURST;
		     burst++, slot++) {
			if (ul_send_one(buf, seq) == 0)
				atomic_store_explicit(
				    &ul_sent, ++seq, memory_order_release);
		}
	}
}

static void *
ul_sender(void *arg)
{
	if (ul_rate == 0)
		ul_send_max(arg);
	else
		ul_send_paced(arg);
	ul_send_done_ns = now_ns();
	return NULL;
}

static void
ul_reply(const unsigned char *buf, ssize_t n, uint64_t now)
{
	uint64_t seq, ts, bit;

	if (n != (ssize_t)ul_len) {
		ul_oow++;
		return;
	}
	seq = get64(buf);
	ts = get64(buf + 8);
	if (seq >= atomic_load_explicit(&ul_window, memory_order_acquire) ||
	    ts < ul_start_ns || ts > now) {
		ul_oow++;
		return;
	}
	bit = 1ull << (seq % 64);
	if (ul_bitmap[seq / 64] & bit) {
		ul_dups++;
		return;
	}
	ul_bitmap[seq / 64] |= bit;
	ul_received++;
	hist_add(&ul_rtt, (now - ts) / 1000);
}

static void *
ul_receiver(void *arg)
{
	unsigned char *buf = arg;
	uint64_t now;
	ssize_t n;

	for (;;) {
		n = recv(ul_fd, buf, UL_MAX_LEN + 1, 0);
		now = now_ns();
		if (n >= 0)
			ul_reply(buf, n, now);
		else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			 errno != EINTR)
			ul_recv_errors++; /* e.g. ECONNREFUSED */
		if (now >= ul_recv_end_ns)
			break;
	}
	return NULL;
}

static void
usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "udpload: %s\n", msg);
	fprintf(stderr, "usage: udpload -a ADDR [-p PORT] [-l LEN] "
			"[-t SECONDS] [-r RATE_PPS|0]\n");
	exit(2);
}

static long long
parse_ll(const char *s, long long lo, long long hi, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "udpload: bad %s '%s' (%lld..%lld)\n", what, s,
		    lo, hi);
		usage(NULL);
	}
	return v;
}

static void
ul_open(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	struct timeval tv = {.tv_usec = UL_RCV_POLL_US};
	int e, v;

	e = getaddrinfo(host, port, &hints, &res);
	if (e != 0) {
		fprintf(stderr, "udpload: %s: %s\n", host, gai_strerror(e));
		exit(2);
	}
	ul_fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ul_fd < 0 || connect(ul_fd, res->ai_addr, res->ai_addrlen) != 0) {
		perror("udpload: socket/connect");
		exit(1);
	}
	freeaddrinfo(res);
	v = UL_RCVBUF;
	if (setsockopt(ul_fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(ul_fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = UL_SNDBUF;
	if (setsockopt(ul_fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(ul_fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	setsockopt(ul_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
main(int argc, char **argv)
{
	pthread_t tx, rx;
	unsigned char *txbuf, *rxbuf;
	const char *addr = NULL, *port = "7";
	double seconds = 5.0, sendtime;
	uint64_t sent, lost;
	socklen_t sl;
	char *end;
	size_t i;
	int c, rcvbuf = 0;

	while ((c = getopt(argc, argv, "a:p:l:t:r:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			parse_ll(optarg, 1, 65535, "port");
			port = optarg;
			break;
		case 'l':
			ul_len = (size_t)parse_ll(
			    optarg, UL_HDR_LEN, UL_MAX_LEN, "length");
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(seconds > 0 && seconds <= 3600))
				usage("bad -t SECONDS (0 < s <= 3600)");
			break;
		case 'r':
			ul_rate =
			    (uint64_t)parse_ll(optarg, 0, 10000000, "rate");
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected argument");
	if (addr == NULL)
		usage("-a ADDR is required");
	ul_open(addr, port);

	/* One bit per sequence number that can be sent in time. */
	ul_slots = (uint64_t)(seconds * (double)ul_rate + 0.5);
	if (ul_rate != 0 && ul_slots == 0)
		usage("-r RATE times -t SECONDS is less than one datagram");
	ul_max_seq =
	    ul_rate ? ul_slots : (uint64_t)(seconds * (double)UL_MAX_SEQ_PPS);
	ul_bitmap = calloc(ul_max_seq / 64 + 1, sizeof(uint64_t));
	txbuf = malloc(ul_len);
	rxbuf = malloc(UL_MAX_LEN + 1);
	if (ul_bitmap == NULL || txbuf == NULL || rxbuf == NULL) {
		fprintf(stderr, "udpload: out of memory\n");
		return 1;
	}
	for (i = 0; i < ul_len; i++)
		txbuf[i] = (unsigned char)(i * 131 + 1);
	sl = sizeof(rcvbuf);
	getsockopt(ul_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl);

	ul_start_ns = now_ns();
	ul_send_end_ns = ul_start_ns + (uint64_t)(seconds * 1e9);
	ul_recv_end_ns = ul_send_end_ns + UL_DRAIN_NS;
	if (pthread_create(&rx, NULL, ul_receiver, rxbuf) != 0 ||
	    pthread_create(&tx, NULL, ul_sender, txbuf) != 0) {
		fprintf(stderr, "udpload: pthread_create failed\n");
		return 1;
	}
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);

	sent = atomic_load(&ul_sent);
	lost = sent - ul_received;
	sendtime = (double)(ul_send_done_ns - ul_start_ns) / 1e9;
	if (sendtime < seconds)
		sendtime = seconds;
	printf("{\"len\":%zu,\"rate\":%llu,\"seconds\":%.3f,"
	       "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"dups\":%llu,"
	       "\"out_of_window\":%llu,\"send_errors\":%llu,"
	       "\"recv_errors\":%llu,\"sent_per_sec\":%.1f,"
	       "\"replies_per_sec\":%.1f,\"loss_pct\":%.3f,\"rcvbuf\":%d,"
	       "\"rtt_us\":{\"p50\":%llu,\"p99\":%llu,\"max\":%llu}}\n",
	    ul_len, (unsigned long long)ul_rate, seconds,
	    (unsigned long long)sent, (unsigned long long)ul_received,
	    (unsigned long long)lost, (unsigned long long)ul_dups,
	    (unsigned long long)ul_oow, (unsigned long long)ul_send_errors,
	    (unsigned long long)ul_recv_errors, (double)sent / sendtime,
	    (double)ul_received / sendtime,
	    sent ? 100.0 * (double)lost / (double)sent : 0.0, rcvbuf,
	    (unsigned long long)hist_quantile(&ul_rtt, 0.50),
	    (unsigned long long)hist_quantile(&ul_rtt, 0.99),
	    (unsigned long long)ul_rtt.h_max);
	close(ul_fd);
	free(ul_bitmap);
	free(txbuf);
	free(rxbuf);
	return (sent == 0 || ul_received == 0) ? 1 : 0;
}

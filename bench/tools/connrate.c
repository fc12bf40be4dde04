/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * connrate.c: a host-side TCP connection-rate client for `make bench`
 * (issue 11).  It opens many short connections to an echo server and
 * reports how many completed per second, why the others failed, and how
 * long each took.
 *
 * Usage: connrate -a ADDR [-p PORT] [-w WORKERS] [-t SECONDS] [-s SIZE]
 *   -a  server address (IPv4 or IPv6 literal, or a name)   required
 *   -p  TCP port                                           default 7
 *   -w  worker threads, one connection in flight each      default 1
 *   -t  run time in seconds (fractions allowed)            default 5
 *   -s  bytes sent and expected back per connection        default 64
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o connrate connrate.c
 *
 * Each worker loops until the deadline: socket(), connect() (blocking),
 * send SIZE bytes, read exactly SIZE bytes back, compare, close().  Every
 * socket has SO_SNDTIMEO and SO_RCVTIMEO of CR_OP_TIMEOUT_S seconds, which
 * also bounds a blocking connect() on Linux.  The client never binds: the
 * kernel picks the source port, and since the client closes first the
 * TIME_WAIT state is on this side.  Run it in a network namespace with a
 * wide net.ipv4.ip_local_port_range and a small net.ipv4.tcp_max_tw_buckets
 * (e.g. 2048): net.ipv4.tcp_tw_reuse alone does not help against a peer
 * without TCP timestamps (lwIP's default), and once about half the port
 * range (Linux gives connect() the even ports first) is in TIME_WAIT,
 * every connect() searches for a port and the rate falls from thousands
 * to about 200 a second with no failure counted.  A connection still in
 * flight at the deadline is finished (at most a few operation timeouts
 * later); no new one starts.
 *
 * Output: one JSON line on stdout, e.g.
 *   {"workers":8,"size":64,"seconds":5.000,"elapsed":5.002,"conns":12345,
 *    "per_sec":2468.0,"failures":0,"fail":{"socket":0,"connect":0,
 *    "send":0,"recv_timeout":0,"recv_short":0,"mismatch":0},
 *    "slow_conns":0,"slow_connects":0,
 *    "lat_us":{"p50":310,"p99":900,"max":2100},
 *    "connect_us":{"p50":120,"p99":400,"max":1500}}
 * conns counts successful connections and per_sec is conns / elapsed
 * (from the start until the last worker finished).  Failure reasons:
 * socket (socket() itself), connect (refused, reset or timed out), send,
 * recv_timeout (no byte for CR_OP_TIMEOUT_S), recv_short (EOF, reset or
 * another error before SIZE bytes), mismatch (bytes differ).  lat_us is
 * connect start to last byte read, of successful connections; connect_us
 * is connect() alone.  slow_conns counts successes over CR_SLOW_US
 * (900 ms): a retransmitted SYN costs about one second, so each one shows
 * up there (and in slow_connects when connect() itself took that long).
 * Percentiles come from a log-linear histogram (error under 1/64).
 * Exit status: 0, or 1 if no connection succeeded, 2 on a usage error.
 *
 * Locking: each worker owns its struct cr_worker (counters, histograms)
 * and the main thread reads them only after pthread_join().  The
 * deadline is written before the start barrier and only read afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CR_OP_TIMEOUT_S 2
#define CR_SLOW_US	900000
#define CR_MAX_WORKERS	1024
#define CR_MAX_SIZE	(1 << 20)

/*
 * Log-linear histogram of microsecond values: exact below HIST_LINEAR (128),
 * then HIST_SUB sub-buckets per power of two up to 2^63.
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

enum cr_fail {
	CR_F_SOCKET,
	CR_F_CONNECT,
	CR_F_SEND,
	CR_F_RECV_TIMEOUT,
	CR_F_RECV_SHORT,
	CR_F_MISMATCH,
	CR_F_NR
};

static const char *const cr_fail_names[CR_F_NR] = {
    [CR_F_SOCKET] = "socket",
    [CR_F_CONNECT] = "connect",
    [CR_F_SEND] = "send",
    [CR_F_RECV_TIMEOUT] = "recv_timeout",
    [CR_F_RECV_SHORT] = "recv_short",
    [CR_F_MISMATCH] = "mismatch",
};

struct cr_worker {
	pthread_t cw_thread;
	unsigned cw_id;
	uint64_t cw_conns;
	uint64_t cw_slow;
	uint64_t cw_slow_connect;
	uint64_t cw_fail[CR_F_NR];
	struct hist cw_lat;
	struct hist cw_connect;
} __attribute__((aligned(64)));

static struct sockaddr_storage cr_addr;
static socklen_t cr_addrlen;
static size_t cr_size = 64;
static uint64_t cr_deadline_ns;
static pthread_barrier_t cr_start;

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

static void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->h_count[i] += src->h_count[i];
	dst->h_n += src->h_n;
	if (src->h_max > dst->h_max)
		dst->h_max = src->h_max;
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

/*
 * One connection: returns -1 on success (latencies in *lat_us and
 * *conn_us) or the failure reason.
 */
static int
cr_one(const unsigned char *out, unsigned char *in, uint64_t *lat_us,
    uint64_t *conn_us)
{
	struct timeval tv = {.tv_sec = CR_OP_TIMEOUT_S};
	uint64_t t0, t1;
	size_t done;
	ssize_t n;
	int fd, one = 1, rc = -1;

	fd = socket(cr_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CR_F_SOCKET;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		rc = CR_F_SOCKET;
		goto out;
	}
	t0 = now_ns();
	if (connect(fd, (struct sockaddr *)&cr_addr, cr_addrlen) != 0) {
		rc = CR_F_CONNECT;
		goto out;
	}
	t1 = now_ns();
	*conn_us = (t1 - t0) / 1000;
	for (done = 0; done < cr_size; done += (size_t)n) {
		n = send(fd, out + done, cr_size - done, MSG_NOSIGNAL);
		if (n <= 0) {
			rc = CR_F_SEND;
			goto out;
		}
	}
	for (done = 0; done < cr_size; done += (size_t)n) {
		n = recv(fd, in + done, cr_size - done, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = CR_F_RECV_TIMEOUT;
			goto out;
		}
		if (n <= 0) {
			rc = CR_F_RECV_SHORT;
			goto out;
		}
	}
	*lat_us = (now_ns() - t0) / 1000;
	if (memcmp(out, in, cr_size) != 0)
		rc = CR_F_MISMATCH;
out:
	close(fd);
	return rc;
}

static void *
cr_worker_main(void *arg)
{
	struct cr_worker *w = arg;
	unsigned char *out, *in;
	uint64_t seq = 0, stamp, lat, conn;
	size_t i;
	int rc;

	out = malloc(cr_size);
	in = malloc(cr_size);
	if (out == NULL || in == NULL) {
		fprintf(stderr, "connrate: out of memory\n");
		exit(1);
	}
	for (i = 0; i < cr_size; i++)
		out[i] = (unsigned char)(i * 131 + w->cw_id * 7 + 1);
	pthread_barrier_wait(&cr_start);
	while (now_ns() < cr_deadline_ns) {
		/* Stamp worker and connection number: every payload differs. */
		stamp = ++seq ^ ((uint64_t)w->cw_id << 48);
		memcpy(out, &stamp, cr_size < 8 ? cr_size : 8);
		lat = conn = 0;
		rc = cr_one(out, in, &lat, &conn);
		if (rc >= 0) {
			w->cw_fail[rc]++;
			continue;
		}
		w->cw_conns++;
		hist_add(&w->cw_lat, lat);
		hist_add(&w->cw_connect, conn);
		if (lat > CR_SLOW_US)
			w->cw_slow++;
		if (conn > CR_SLOW_US)
			w->cw_slow_connect++;
	}
	free(out);
	free(in);
	return NULL;
}

static void
usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "connrate: %s\n", msg);
	fprintf(stderr, "usage: connrate -a ADDR [-p PORT] [-w WORKERS] "
			"[-t SECONDS] [-s SIZE]\n");
	exit(2);
}

static long
parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "connrate: bad %s '%s' (%ld..%ld)\n", what, s,
		    lo, hi);
		usage(NULL);
	}
	return v;
}

static void
resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int e;

	e = getaddrinfo(host, port, &hints, &res);
	if (e != 0) {
		fprintf(stderr, "connrate: %s: %s\n", host, gai_strerror(e));
		exit(2);
	}
	memcpy(&cr_addr, res->ai_addr, res->ai_addrlen);
	cr_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void
print_hist(const char *name, const struct hist *h)
{
	printf("\"%s\":{\"p50\":%llu,\"p99\":%llu,\"max\":%llu}", name,
	    (unsigned long long)hist_quantile(h, 0.50),
	    (unsigned long long)hist_quantile(h, 0.99),
	    (unsigned long long)h->h_max);
}

int
main(int argc, char **argv)
{
	static struct hist lat, conn;
	struct cr_worker *w;
	const char *addr = NULL, *port = "7";
	uint64_t conns = 0, failures = 0, slow = 0, slow_conn = 0;
	uint64_t fail[CR_F_NR] = {0}, t0;
	double seconds = 5.0, elapsed;
	char *end;
	long workers = 1;
	int c, i, j, e;

	while ((c = getopt(argc, argv, "a:p:w:t:s:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			parse_long(optarg, 1, 65535, "port");
			port = optarg;
			break;
		case 'w':
			workers = parse_long(
			    optarg, 1, CR_MAX_WORKERS, "worker count");
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(seconds > 0 && seconds <= 86400))
				usage("bad -t SECONDS (0 < s <= 86400)");
			break;
		case 's':
			cr_size =
			    (size_t)parse_long(optarg, 1, CR_MAX_SIZE, "size");
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected argument");
	if (addr == NULL)
		usage("-a ADDR is required");
	resolve(addr, port);

	w = aligned_alloc(64, sizeof(*w) * (size_t)workers);
	if (w == NULL) {
		fprintf(stderr, "connrate: out of memory\n");
		return 1;
	}
	memset(w, 0, sizeof(*w) * (size_t)workers);
	pthread_barrier_init(&cr_start, NULL, (unsigned)workers + 1);
	for (i = 0; i < workers; i++) {
		w[i].cw_id = (unsigned)i;
		e = pthread_create(
		    &w[i].cw_thread, NULL, cr_worker_main, &w[i]);
		if (e != 0) {
			fprintf(stderr, "connrate: pthread_create: %s\n",
			    strerror(e));
			return 1;
		}
	}
	t0 = now_ns();
	cr_deadline_ns = t0 + (uint64_t)(seconds * 1e9);
	pthread_barrier_wait(&cr_start);
	for (i = 0; i < workers; i++) {
		pthread_join(w[i].cw_thread, NULL);
		conns += w[i].cw_conns;
		slow += w[i].cw_slow;
		slow_conn += w[i].cw_slow_connect;
		for (j = 0; j < CR_F_NR; j++) {
			fail[j] += w[i].cw_fail[j];
			failures += w[i].cw_fail[j];
		}
		hist_merge(&lat, &w[i].cw_lat);
		hist_merge(&conn, &w[i].cw_connect);
	}
	elapsed = (double)(now_ns() - t0) / 1e9;

	printf("{\"workers\":%ld,\"size\":%zu,\"seconds\":%.3f,"
	       "\"elapsed\":%.3f,\"conns\":%llu,\"per_sec\":%.1f,"
	       "\"failures\":%llu,\"fail\":{",
	    workers, cr_size, seconds, elapsed, (unsigned long long)conns,
	    (double)conns / elapsed, (unsigned long long)failures);
	for (j = 0; j < CR_F_NR; j++)
		printf("%s\"%s\":%llu", j ? "," : "", cr_fail_names[j],
		    (unsigned long long)fail[j]);
	printf("},\"slow_conns\":%llu,\"slow_connects\":%llu,",
	    (unsigned long long)slow, (unsigned long long)slow_conn);
	print_hist("lat_us", &lat);
	putchar(',');
	print_hist("connect_us", &conn);
	printf("}\n");
	free(w);
	return conns == 0 ? 1 : 0;
}

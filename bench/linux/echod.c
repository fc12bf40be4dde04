/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echod.c: the TCP and UDP echo server (port 7, RFC 862) of the Linux
 * reference guest that `make bench` compares unisr with.
 *
 * Design: one thread per online CPU, pinned to it, each with its own
 * SO_REUSEPORT TCP listener and UDP socket on 0.0.0.0:7 and its own
 * level-triggered epoll loop over nonblocking sockets, so the threads
 * share nothing.  All sockets are made by main() in CPU order before any
 * thread starts, and a classic BPF program on each reuseport group picks
 * the socket of the CPU the packet arrived on (the virtio-net queue's
 * interrupt CPU), as unisr handles a flow on its RSS CPU; if the kernel
 * refuses the program, the group's own hash spreads the flows instead.
 *
 * TCP: what a connection sends is read into its buffer and written back.
 * When the echo would block, the connection stops reading (epoll waits
 * for EPOLLOUT only) until the rest is written, so a client that does
 * not read cannot make the server buffer without bound.  EOF (once the
 * echo is flushed) or an error closes the connection.  UDP: every
 * datagram goes straight back to its sender; one the socket cannot send
 * now is dropped, as UDP may.
 *
 * Usage: echod            (runs until killed; errors go to stderr)
 *
 * Locking: none.  Each thread owns its sockets, epoll set and
 * connections; nothing is shared after the threads start.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHOD_PORT	 7
#define ECHOD_MAX_CPUS	 256
#define ECHOD_BACKLOG	 1024
#define ECHOD_EVENTS	 64
#define ECHOD_TCP_BUF	 (64 * 1024)	/* per connection */
#define ECHOD_UDP_BUF	 (64 * 1024)	/* a whole datagram, per thread */
#define ECHOD_READS_MAX	 16		/* reads a wakeup, for fairness */
#define ECHOD_DGRAMS_MAX 64		/* datagrams a wakeup */

enum echod_kind { ECHOD_LISTENER, ECHOD_UDP, ECHOD_CONN };

/* What an epoll event points at; every object below starts with one. */
struct echod_obj {
	enum echod_kind eo_kind;
	int eo_fd;
};

struct echod_conn {
	struct echod_obj ec_obj;
	size_t ec_off;		/* first byte not yet echoed */
	size_t ec_len;		/* bytes in ec_buf */
	unsigned char ec_buf[ECHOD_TCP_BUF];
};

struct echod_thread {
	int et_cpu;
	int et_epfd;
	struct echod_obj et_listener;
	struct echod_obj et_udp;
	unsigned char et_dgram[ECHOD_UDP_BUF];
};

static void
echod_die(const char *what)
{
	fprintf(stderr, "echod: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
echod_ctl(int epfd, int op, struct echod_obj *obj, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = obj };

	return epoll_ctl(epfd, op, obj->eo_fd, &ev);
}

/* A nonblocking SO_REUSEPORT socket of `type` bound to 0.0.0.0:7. */
static int
echod_socket(int type)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(ECHOD_PORT),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int fd, one = 1;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		echod_die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		echod_die("setsockopt SO_REUSEPORT");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		echod_die("bind port 7");
	if (type == SOCK_STREAM && listen(fd, ECHOD_BACKLOG) < 0)
		echod_die("listen");
	return fd;
}

/*
 * Steer each packet to the group's socket with the index of the CPU it
 * arrived on (socket i belongs to the thread on CPU i).  An index past
 * the group falls back to the hash, so this is only ever an optimisation.
 */
static void
echod_steer_by_cpu(int fd)
{
	struct sock_filter code[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_CPU },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	struct sock_fprog prog = { .len = 2, .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		sizeof(prog)) < 0)
		fprintf(stderr, "echod: no CPU steering (%s), hashing flows\n",
		    strerror(errno));
}

static void
echod_close(struct echod_thread *t, struct echod_conn *c)
{
	epoll_ctl(t->et_epfd, EPOLL_CTL_DEL, c->ec_obj.eo_fd, NULL);
	close(c->ec_obj.eo_fd);
	free(c);
}

static void
echod_accept(struct echod_thread *t)
{
	struct echod_conn *c;
	int fd, one = 1;

	for (;;) {
		fd = accept4(t->et_listener.eo_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;	/* EAGAIN, or an aborted connection */
		/* Request/response echo: never hold a short write back. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->ec_obj.eo_kind = ECHOD_CONN;
		c->ec_obj.eo_fd = fd;
		c->ec_off = c->ec_len = 0;
		if (echod_ctl(t->et_epfd, EPOLL_CTL_ADD, &c->ec_obj,
			EPOLLIN | EPOLLRDHUP) < 0) {
			close(fd);
			free(c);
		}
	}
}

/*
 * Write out what is pending.  Returns 1 when all of it went, 0 when the
 * socket is full (the rest stays pending), -1 on an error.
 */
static int
echod_flush(struct echod_conn *c)
{
	ssize_t n;

	while (c->ec_off < c->ec_len) {
		n = send(c->ec_obj.eo_fd, c->ec_buf + c->ec_off,
		    c->ec_len - c->ec_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR ? 0 : -1;
		c->ec_off += (size_t)n;
	}
	c->ec_off = c->ec_len = 0;
	return 1;
}

/*
 * One event on a connection.  While an echo is pending it waits for
 * EPOLLOUT only; otherwise it reads and echoes until the socket is empty,
 * the echo blocks or ECHOD_READS_MAX reads are done (level-triggered
 * epoll calls again for the rest).
 */
static void
echod_conn_event(struct echod_thread *t, struct echod_conn *c,
    unsigned int events)
{
	ssize_t n;
	int i, r;

	if (events & EPOLLERR)
		goto drop;
	if (c->ec_len > 0) {
		r = echod_flush(c);
		if (r < 0)
			goto drop;
		if (r == 0)
			return;
		/* Drained: read again. */
		if (echod_ctl(t->et_epfd, EPOLL_CTL_MOD, &c->ec_obj,
			EPOLLIN | EPOLLRDHUP) < 0)
			goto drop;
	}
	for (i = 0; i < ECHOD_READS_MAX; i++) {
		n = recv(c->ec_obj.eo_fd, c->ec_buf, sizeof(c->ec_buf),
		    MSG_DONTWAIT);
		if (n == 0)
			goto drop;	/* EOF, and nothing left to echo */
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			goto drop;
		}
		c->ec_off = 0;
		c->ec_len = (size_t)n;
		r = echod_flush(c);
		if (r < 0)
			goto drop;
		if (r == 0) {
			/* Blocked: stop reading until the echo drains. */
			if (echod_ctl(t->et_epfd, EPOLL_CTL_MOD, &c->ec_obj,
				EPOLLOUT) < 0)
				goto drop;
			return;
		}
	}
	return;
drop:
	echod_close(t, c);
}

static void
echod_udp_event(struct echod_thread *t)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;
	int i;

	for (i = 0; i < ECHOD_DGRAMS_MAX; i++) {
		fromlen = sizeof(from);
		n = recvfrom(t->et_udp.eo_fd, t->et_dgram, sizeof(t->et_dgram),
		    MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		/* A datagram that cannot go now is dropped. */
		sendto(t->et_udp.eo_fd, t->et_dgram, (size_t)n, MSG_DONTWAIT,
		    (struct sockaddr *)&from, fromlen);
	}
}

static void *
echod_thread_main(void *arg)
{
	struct echod_thread *t = arg;
	struct epoll_event ev[ECHOD_EVENTS];
	struct echod_obj *obj;
	cpu_set_t set;
	int i, n;

	CPU_ZERO(&set);
	CPU_SET(t->et_cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (;;) {
		n = epoll_wait(t->et_epfd, ev, ECHOD_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			echod_die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			obj = ev[i].data.ptr;
			switch (obj->eo_kind) {
			case ECHOD_LISTENER:
				echod_accept(t);
				break;
			case ECHOD_UDP:
				echod_udp_event(t);
				break;
			case ECHOD_CONN:
				echod_conn_event(t, (struct echod_conn *)obj,
				    ev[i].events);
				break;
			}
		}
	}
	return NULL;
}

int
main(void)
{
	static struct echod_thread *threads[ECHOD_MAX_CPUS];
	pthread_t tid;
	long ncpu;
	int i;

	signal(SIGPIPE, SIG_IGN);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > ECHOD_MAX_CPUS)
		ncpu = ECHOD_MAX_CPUS;

	/* Sockets in CPU order: reuseport index i is CPU i's socket. */
	for (i = 0; i < ncpu; i++) {
		struct echod_thread *t = calloc(1, sizeof(*t));

		if (t == NULL)
			echod_die("calloc");
		t->et_cpu = i;
		t->et_listener.eo_kind = ECHOD_LISTENER;
		t->et_listener.eo_fd = echod_socket(SOCK_STREAM);
		t->et_udp.eo_kind = ECHOD_UDP;
		t->et_udp.eo_fd = echod_socket(SOCK_DGRAM);
		t->et_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (t->et_epfd < 0)
			echod_die("epoll_create1");
		if (echod_ctl(t->et_epfd, EPOLL_CTL_ADD, &t->et_listener,
			EPOLLIN) < 0 ||
		    echod_ctl(t->et_epfd, EPOLL_CTL_ADD, &t->et_udp,
			EPOLLIN) < 0)
			echod_die("epoll_ctl");
		threads[i] = t;
	}
	if (ncpu > 1) {
		echod_steer_by_cpu(threads[0]->et_listener.eo_fd);
		echod_steer_by_cpu(threads[0]->et_udp.eo_fd);
	}
	for (i = 1; i < ncpu; i++) {
		errno = pthread_create(&tid, NULL, echod_thread_main,
		    threads[i]);
		if (errno != 0)
			echod_die("pthread_create");
	}
	echod_thread_main(threads[0]);
	return 0;
}

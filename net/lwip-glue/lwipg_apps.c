/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_apps.c: the services: UDP and TCP echo (port 7), TCP discard
 * (port 9), the iperf2 server (lwipg_iperf2.c, TCP and UDP port 5001)
 * and the iperf3 server (lwipg_iperf3.c, TCP port 5201).
 *
 * Locking: lwIP calls these callbacks with the core lock held.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "lwip/mem.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_iperf2.h"
#include "net/lwip-glue/lwipg_iperf3.h"

#define ECHO_PORT	7
#define DISCARD_PORT	9
#define ECHO_POLL_TICKS	1	/* retry a blocked echo every 500 ms */
/*
 * What one echo connection may hold: received data not yet written back
 * (at most its receive window, ECHO_RCV_WND: the 65,535 bytes the SYN-ACK
 * offered, which carries no window scale) and data written back but not
 * yet acknowledged (ECHO_SND_MAX of its send buffer).  Without the bounds
 * a few peers that send and never read pinned every rx buffer and every
 * TCP segment: the NIC starved.
 */
#define ECHO_RCV_WND	0xffff
#define ECHO_SND_MAX	(64 * 1024)

static void
udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

/*
 * TCP echo state per connection: received data not yet written back.
 * Data is written back as send-buffer space allows, in order, and only
 * what has been queued for sending is acknowledged to the peer (so the
 * peer's window, not our memory, absorbs a slow reader): while the echo is
 * blocked the advertised window shrinks by every byte that arrives.  Each
 * connection holds at most ECHO_RCV_WND received and ECHO_SND_MAX
 * unacknowledged (see above).  When tcp_write fails for want of memory
 * with nothing of ours in flight, no sent callback will come: the poll
 * callback retries.
 */
struct echo_conn {
	struct pbuf	*ec_pending;	/* chain still to write back */
	u16_t		ec_off;		/* bytes of the first pbuf written */
	bool		ec_closing;	/* peer closed: close when drained */
	uint32_t	ec_withheld;	/* window held back at accept */
};

static void
echo_free(struct tcp_pcb *pcb, struct echo_conn *ec)
{
	if (pcb != NULL) {
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
		tcp_poll(pcb, NULL, 0);
	}
	if (ec != NULL) {
		if (ec->ec_pending != NULL)
			pbuf_free(ec->ec_pending);
		mem_free(ec);
	}
}

/* Opens the receive window by n bytes (tcp_recved takes 16 bits). */
static void
echo_recved(struct tcp_pcb *pcb, uint32_t n)
{
	u16_t step;

	while (n != 0) {
		step = n > UINT16_MAX ? UINT16_MAX : (u16_t)n;
		tcp_recved(pcb, step);
		n -= step;
	}
}

/* Bytes this connection may still queue for sending (ECHO_SND_MAX). */
static uint32_t
echo_snd_room(const struct tcp_pcb *pcb)
{
	/* snd_buf itself: tcp_sndbuf() clamps to 16 bits with LWIP_WND_SCALE. */
	uint32_t queued = TCP_SND_BUF - (uint32_t)pcb->snd_buf;

	return queued >= ECHO_SND_MAX ? 0 : ECHO_SND_MAX - queued;
}

/* Writes back as much pending data as fits; closes once drained. */
static void
echo_push(struct tcp_pcb *pcb, struct echo_conn *ec)
{
	struct pbuf *q;
	uint32_t done = 0;
	u16_t len;
	err_t err;

	while ((q = ec->ec_pending) != NULL) {
		len = (u16_t)(q->len - ec->ec_off);
		if (len > tcp_sndbuf(pcb))
			len = tcp_sndbuf(pcb);
		if (len > echo_snd_room(pcb))
			len = (u16_t)echo_snd_room(pcb);
		if (len == 0) {
			lwipg_stats.ls_echo_held++;
			break;
		}
		err = tcp_write(pcb, (u8_t *)q->payload + ec->ec_off, len,
		    TCP_WRITE_FLAG_COPY);
		if (err != ERR_OK) {
			lwipg_stats.ls_echo_blocked++;
			break;
		}
		done += len;
		ec->ec_off += len;
		if (ec->ec_off == q->len) {
			ec->ec_pending = q->next;
			if (q->next != NULL)
				pbuf_ref(q->next);
			pbuf_free(q);
			ec->ec_off = 0;
		}
	}
	if (done != 0) {
		tcp_output(pcb);
		echo_recved(pcb, done);
	}
	if (ec->ec_pending == NULL && ec->ec_closing) {
		/*
		 * Give the withheld window back first: tcp_close() resets a
		 * connection whose window is short of TCP_WND, taking it
		 * for unread data.
		 */
		echo_recved(pcb, ec->ec_withheld);
		echo_free(pcb, ec);
		tcp_close(pcb);
	}
}

static err_t
tcp_echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)len;
	if (arg != NULL)
		echo_push(pcb, arg);
	return ERR_OK;
}

static err_t
tcp_echo_poll(void *arg, struct tcp_pcb *pcb)
{
	struct echo_conn *ec = arg;

	if (ec != NULL && ec->ec_pending != NULL)
		echo_push(pcb, ec);
	return ERR_OK;
}

static void
tcp_echo_err(void *arg, err_t err)
{
	(void)err;
	echo_free(NULL, arg);		/* the pcb is already gone */
}

static err_t
tcp_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *ec = arg;

	if (ec == NULL) {
		if (p != NULL)
			pbuf_free(p);
		return ERR_OK;
	}
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		ec->ec_closing = true;
		echo_push(pcb, ec);
		return ERR_OK;
	}
	if (ec->ec_pending == NULL)
		ec->ec_pending = p;
	else
		pbuf_cat(ec->ec_pending, p);
	echo_push(pcb, ec);
	return ERR_OK;
}

static err_t
tcp_discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		tcp_close(pcb);
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t
echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct echo_conn *ec;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	ec = mem_malloc(sizeof(*ec));
	if (ec == NULL)
		return ERR_MEM;
	ec->ec_pending = NULL;
	ec->ec_off = 0;
	ec->ec_closing = false;
	/*
	 * Bound the receive window to what the SYN-ACK put on the wire
	 * (ECHO_RCV_WND: a SYN's window is never scaled), so the peer has
	 * never been offered more.  lwIP itself remembers TCP_WND as
	 * announced (rcv_ann_wnd, rcv_ann_right_edge) and would keep
	 * advertising it, so those come down too; nothing in flight is
	 * refused.  From here the window grows only by what echo_push()
	 * writes back (tcp_recved): held data plus window stay at most
	 * ECHO_RCV_WND.  Called before any data of the connection arrived.
	 */
	ec->ec_withheld = 0;
	if (pcb->rcv_wnd > ECHO_RCV_WND) {
		ec->ec_withheld = pcb->rcv_wnd - ECHO_RCV_WND;
		pcb->rcv_wnd = ECHO_RCV_WND;
		pcb->rcv_ann_wnd = ECHO_RCV_WND;
		pcb->rcv_ann_right_edge = pcb->rcv_nxt + ECHO_RCV_WND;
	}
	tcp_arg(pcb, ec);
	tcp_recv(pcb, tcp_echo_recv);
	tcp_sent(pcb, tcp_echo_sent);
	tcp_err(pcb, tcp_echo_err);
	tcp_poll(pcb, tcp_echo_poll, ECHO_POLL_TICKS);
	return ERR_OK;
}

static err_t
discard_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_recv(pcb, tcp_discard_recv);
	return ERR_OK;
}

static void
listen_on(u16_t port, tcp_accept_fn fn)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);

	if (pcb == NULL || tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK ||
	    (pcb = tcp_listen(pcb)) == NULL) {
		printk("lwip: cannot listen on tcp port %u\n", port);
		return;
	}
	tcp_accept(pcb, fn);
}

/* Core lock held (lwipg_init). */
void
lwipg_apps_init(void)
{
	struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_ANY);

	if (u == NULL || udp_bind(u, IP_ANY_TYPE, ECHO_PORT) != ERR_OK)
		printk("lwip: cannot bind udp port %d\n", ECHO_PORT);
	else
		udp_recv(u, udp_echo_recv, NULL);
	listen_on(ECHO_PORT, echo_accept);
	listen_on(DISCARD_PORT, discard_accept);
	lwipg_ping_init();
	lwipg_iperf2_init();
	lwipg_iperf3_init();
	printk("echo: listening on udp/tcp %d, discard on tcp %d, iperf2 on "
	    "udp/tcp %d, iperf3 on udp/tcp %d\n", ECHO_PORT, DISCARD_PORT,
	    IPERF2_PORT, IPERF3_PORT);
}

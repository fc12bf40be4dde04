/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_apps.c: the services: UDP and TCP echo (port 7), TCP discard
 * (port 9) and the iperf2 server (lwiperf, TCP port 5001).
 *
 * Locking: lwIP calls these callbacks with the core lock held.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "lwip/apps/lwiperf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "net/lwip-glue/lwipg.h"

#define ECHO_PORT	7
#define DISCARD_PORT	9

static void
udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr, u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

/* TCP echo: write back what arrives; ack it once it is queued. */
static err_t
tcp_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct pbuf *q;
	u16_t len;

	(void)arg;
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		tcp_close(pcb);
		return ERR_OK;
	}
	if (tcp_sndbuf(pcb) < p->tot_len)
		return ERR_MEM;		/* lwIP offers it again later */
	for (q = p; q != NULL; q = q->next)
		if (q->len != 0 && tcp_write(pcb, q->payload, q->len,
		    TCP_WRITE_FLAG_COPY) != ERR_OK)
			return ERR_MEM;
	len = p->tot_len;
	tcp_output(pcb);
	tcp_recved(pcb, len);
	pbuf_free(p);
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
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_recv(pcb, tcp_echo_recv);
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

static void
iperf_report(void *arg, enum lwiperf_report_type type,
    const ip_addr_t *local_addr, u16_t local_port,
    const ip_addr_t *remote_addr, u16_t remote_port, u32_t bytes_transferred,
    u32_t ms_duration, u32_t bandwidth_kbitpsec)
{
	(void)arg;
	(void)local_addr;
	(void)local_port;
	(void)remote_port;
	printk("iperf: report %d from %s: %u bytes in %u ms, %u kbit/s\n",
	    (int)type, ipaddr_ntoa(remote_addr), bytes_transferred,
	    ms_duration, bandwidth_kbitpsec);
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
	if (lwiperf_start_tcp_server_default(iperf_report, NULL) == NULL)
		printk("lwip: cannot start the iperf server\n");
	printk("echo: listening on udp/tcp %d, discard on tcp %d, iperf2 on "
	    "tcp %d\n", ECHO_PORT, DISCARD_PORT, LWIPERF_TCP_PORT_DEFAULT);
}

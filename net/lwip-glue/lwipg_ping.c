/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_ping.c: `ping <addr> [count]` from the guest (IPv4 ICMP echo).
 *
 * A raw ICMP pcb sends each request and catches the matching replies (our
 * identifier); other ICMP goes on to lwIP.  The command waits up to
 * PING_WAIT_US for each reply while this CPU keeps running its own work
 * (the reply may be received on this CPU), and prints iputils-style lines
 * and a summary.
 *
 * Locking: lwIP calls happen under the core lock; the reply state is
 * written by whichever CPU receives the reply, under the core lock, and
 * read by the command with atomic loads.
 */
#include <stddef.h>

#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/libc.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"
#include "net/lwip-glue/lwipg.h"

#define PING_ID			0x7553	/* "uS" */
#define PING_DATA_LEN		56
#define PING_DEFAULT_COUNT	4
#define PING_MAX_COUNT		1000
#define PING_WAIT_US		1000000
#define PING_GAP_US		200000
#define IP4_HLEN_MIN		20

static struct raw_pcb *ping_pcb;
static uint16_t ping_seq;
static uint32_t ping_reply_seq;		/* last matching reply's seq + 1 */
static uint64_t ping_reply_tsc;

static u8_t
ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr)
{
	struct icmp_echo_hdr h;
	u16_t hlen;

	(void)arg;
	(void)pcb;
	(void)addr;
	if (p->tot_len < IP4_HLEN_MIN + sizeof(h))
		return 0;
	hlen = (u16_t)((((const u8_t *)p->payload)[0] & 0x0f) * 4);
	if (pbuf_copy_partial(p, &h, sizeof(h), hlen) != sizeof(h) ||
	    h.type != ICMP_ER || h.id != PP_HTONS(PING_ID))
		return 0;
	__atomic_store_n(&ping_reply_tsc, rdtsc(), __ATOMIC_RELAXED);
	__atomic_store_n(&ping_reply_seq, (uint32_t)lwip_ntohs(h.seqno) + 1,
	    __ATOMIC_RELEASE);
	pbuf_free(p);
	return 1;
}

/* Core lock held (lwipg_apps_init). */
void
lwipg_ping_init(void)
{
	ping_pcb = raw_new(IP_PROTO_ICMP);
	if (ping_pcb == NULL) {
		printk("lwip: no raw pcb for ping\n");
		return;
	}
	raw_recv(ping_pcb, ping_recv, NULL);
	raw_bind(ping_pcb, IP_ADDR_ANY);
}

static int
ping_send(const ip_addr_t *to, uint16_t seq)
{
	struct icmp_echo_hdr *h;
	struct pbuf *p;
	size_t i;
	err_t err;

	lwipg_core_lock();
	p = pbuf_alloc(PBUF_IP, sizeof(*h) + PING_DATA_LEN, PBUF_RAM);
	if (p == NULL) {
		lwipg_core_unlock();
		return -1;
	}
	h = p->payload;
	ICMPH_TYPE_SET(h, ICMP_ECHO);
	ICMPH_CODE_SET(h, 0);
	h->id = PP_HTONS(PING_ID);
	h->seqno = lwip_htons(seq);
	h->chksum = 0;
	for (i = 0; i < PING_DATA_LEN; i++)
		((u8_t *)(h + 1))[i] = (u8_t)i;
	h->chksum = inet_chksum(h, (u16_t)p->len);
	err = raw_sendto(ping_pcb, p, to);
	pbuf_free(p);
	lwipg_core_unlock();
	return err == ERR_OK ? 0 : -1;
}

/* Waits for the reply to seq, running this CPU's work meanwhile. */
static bool
ping_wait(uint16_t seq, uint64_t *rtt_cycles, uint64_t t0)
{
	uint64_t start = uptime_us();

	while (uptime_us() - start < PING_WAIT_US) {
		if (__atomic_load_n(&ping_reply_seq, __ATOMIC_ACQUIRE) ==
		    (uint32_t)seq + 1) {
			*rtt_cycles = __atomic_load_n(&ping_reply_tsc,
			    __ATOMIC_RELAXED) - t0;
			return true;
		}
		if (!coreloop_poll_once())
			cpu_relax();
	}
	return false;
}

static void
idle_us(uint64_t us)
{
	uint64_t start = uptime_us();

	while (uptime_us() - start < us)
		if (!coreloop_poll_once())
			cpu_relax();
}

int
lwipg_cmd_ping(int argc, char **argv)
{
	uint32_t count = PING_DEFAULT_COUNT;
	unsigned sent = 0, got = 0, i;
	uint64_t rtt, t0;
	ip_addr_t to;

	if (argc == 3 && (kstrtou32(argv[2], PING_MAX_COUNT, &count) != 0 ||
	    count == 0))
		argc = 0;
	if ((argc != 2 && argc != 3) || !ipaddr_aton(argv[1], &to) ||
	    !IP_IS_V4(&to) || ping_pcb == NULL) {
		printk("usage: ping <a.b.c.d> [count, 1 to %d]\n",
		    PING_MAX_COUNT);
		return -1;
	}
	for (i = 0; i < count; i++) {
		uint16_t seq = ++ping_seq;

		t0 = rdtsc();
		if (ping_send(&to, seq) != 0) {
			printk("ping: send failed\n");
			continue;
		}
		sent++;
		if (ping_wait(seq, &rtt, t0)) {
			got++;
			printk("%d bytes from %s: icmp_seq=%u time=%lu us\n",
			    (int)(sizeof(struct icmp_echo_hdr) + PING_DATA_LEN),
			    argv[1], seq, tsc_to_us(rtt));
		}
		if (i + 1 < count)
			idle_us(PING_GAP_US);
	}
	printk("%u packets transmitted, %u received\n", sent, got);
	return got == sent ? 0 : -1;
}

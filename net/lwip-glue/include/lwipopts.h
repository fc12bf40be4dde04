/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipopts.h: lwIP 2.1.3 configuration for unisr.
 *
 * NO_SYS: lwIP has no threads of its own here; every entry into it (netisr
 * handlers, timers, applications, shell commands) holds the core lock
 * (lwipg_core_lock), which LWIP_ASSERT_CORE_LOCKED checks.  Memory comes
 * from lwIP's own pools, sized for throughput rather than lwIP's tiny
 * defaults: a 1460-byte MSS, window scaling, a large send buffer, and
 * 16-bit pbuf reference counts.  Checksums are controlled per netif so
 * the device's offloads can take over.
 */
#ifndef LWIPG_LWIPOPTS_H
#define LWIPG_LWIPOPTS_H

#define NO_SYS				1	/* no threads: core loops call in */
#define SYS_LIGHTWEIGHT_PROT		0	/* all entries hold the core lock */
#define LWIP_NETCONN			0	/* raw API only (needs no threads) */
#define LWIP_SOCKET			0	/* likewise */
#define LWIP_TIMERS			1	/* sys_check_timeouts from a callout */
#define LWIP_ASSERT_CORE_LOCKED()	lwipg_assert_core_locked()
void lwipg_assert_core_locked(void);

#define MEM_ALIGNMENT			8	/* x86_64 pointers and u64 */
#define MEM_SIZE			(4 * 1024 * 1024) /* copied tx data, 16 x 256K */
/*
 * The heap is allocated when an instance starts (lwipg_init.c), not in
 * .bss: an instance no vnet uses (LWIP_VNETS copies are linked in) then
 * costs no heap.  LWIPG_HEAP_SLACK covers mem.c's two struct mem headers
 * and the alignment mem_init applies (SIZEOF_STRUCT_MEM is private to
 * mem.c; it is 16 bytes here).
 */
#define LWIP_RAM_HEAP_POINTER		lwipg_heap
extern unsigned char *lwipg_heap;
#define LWIPG_HEAP_SLACK		64
#define LWIPG_HEAP_BYTES		(MEM_SIZE + LWIPG_HEAP_SLACK)
#define MEMP_NUM_PBUF			1024	/* zero-copy tx references */
#define MEMP_NUM_TCP_PCB		64	/* 16 echo + 8 iperf3 + TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN		16	/* echo, discard, iperf2, iperf3 */
#define MEMP_NUM_TCP_SEG		1024	/* = TCP_SND_QUEUELEN */
#define MEMP_NUM_UDP_PCB		16	/* echo, DHCP, spare */
#define MEMP_NUM_SYS_TIMEOUT		16	/* lwIP's cyclic timers + ours */
#define MEMP_NUM_REASSDATA		16	/* datagrams reassembled at once */
#define IP_REASS_MAX_PBUFS		64	/* a 65,000-byte datagram: 45 frames */
#define MEMP_NUM_FRAG_PBUF		128	/* ... and its 45 fragments out */
#define PBUF_POOL_SIZE			1024	/* copies when rx rings run low */
#define PBUF_POOL_BUFSIZE		1536	/* one full frame per pbuf */
#define LWIP_PBUF_REF_T			uint16_t /* u8 wraps: many tx references */
#define LWIP_SUPPORT_CUSTOM_PBUF	1	/* rx pbufs over driver buffers */

#define LWIP_ARP			1
#define ARP_TABLE_SIZE			64	/* a /24 of peers without thrashing */
#define ARP_QUEUEING			1	/* keep packets while ARP resolves */
/*
 * lwIP's default keeps 3 packets per unresolved address and frees the
 * oldest without a counter: a peer that never ARPed for us (its entry
 * for our MAC was already known) and opened 8 connections at once lost 5
 * SYN-ACKs, a second each (robustness defect 12, test_syn).  0 lifts the
 * per-address limit; what bounds the queue is the pool below, whose
 * exhaustion lwIP counts (netstat -s: memp arp_queue err).  A pending
 * entry lives ARP_MAXPENDING (5 s) at most, so the pool drains.
 */
#define ARP_QUEUE_LEN			0
#define MEMP_NUM_ARP_QUEUE		64	/* > the SYN guard's 16 half-open */
#define ETHARP_SUPPORT_STATIC_ENTRIES	1	/* for tests and tools */
#define LWIP_ETHERNET			1
#define LWIP_IPV4			1
#define LWIP_IPV6			1	/* link-local, static ip6= */
#define LWIP_IPV6_AUTOCONFIG		1	/* SLAAC with ip6=auto */
#define LWIP_IPV6_MLD			1
#define LWIP_ICMP			1
#define LWIP_ICMP6			1
#define LWIP_RAW			1	/* the guest's ping command */
#define LWIP_UDP			1
#define LWIP_TCP			1
#define LWIP_DHCP			1	/* ip=dhcp */
#define LWIP_AUTOIP			0
#define LWIP_IGMP			0	/* no IPv4 multicast users */
#define LWIP_DNS			0
#define IP_REASSEMBLY			1
#define IP_FRAG				1
#define LWIP_IPV6_FRAG			1	/* big ping6 replies */
#define LWIP_IPV6_REASS			1
#define IPV6_FRAG_COPYHEADER		1	/* 64-bit pointers: see ip6_frag.c */
/* ip6=<addr>/N with N < 64: the whole /N is on-link (lwipg_netif.c) */
#define LWIP_HOOK_ND6_GET_GW(nif, dest)	lwipg_nd6_gw(nif, dest)
struct netif;
struct ip6_addr;
const struct ip6_addr *lwipg_nd6_gw(struct netif *nif,
    const struct ip6_addr *dest);

#define TCP_MSS				1460	/* a full 1500-byte frame */
#define LWIP_WND_SCALE			1	/* windows above 64 KiB */
#define TCP_RCV_SCALE			4	/* 256 KiB >> 4 fits 16 bits */
#define TCP_WND				(256 * 1024)	/* fill the path: throughput */
#define TCP_SND_BUF			(256 * 1024)	/* likewise for sending */
#define TCP_SND_QUEUELEN		1024	/* segments for TCP_SND_BUF */
#define TCP_SNDLOWAT			32768	/* wake writers with room to spare */
#define TCP_QUEUE_OOSEQ			1
#define TCP_OOSEQ_MAX_PBUFS		64	/* bounds rx buffers lwIP holds */
#define LWIP_TCP_SACK_OUT		1	/* tell the peer what arrived out of order */
#define TCP_LISTEN_BACKLOG		0	/* a backlog of 1 lost -P 4 SYNs */

#define LWIP_CHECKSUM_CTRL_PER_NETIF	1	/* device offloads (lwipg_csum.c) */
#define LWIP_NETIF_STATUS_CALLBACK	1	/* address changes (DHCP) */
#define LWIP_NETIF_LINK_CALLBACK	1	/* link changes from the driver */
#define LWIP_SINGLE_NETIF		0	/* every interface of the vnet */

/*
 * Statistics, shown by `netstat -s` (lwipg_stats.c), which prints them
 * itself with printk.  lwIP bumps them inside the stack, so they change
 * only under the core lock and a copy taken under it is consistent.  The
 * per-protocol blocks are lwIP's defaults once LWIP_STATS is on; they are
 * spelled out because netstat -s prints exactly these.
 */
#define LWIP_STATS			1	/* netstat -s: lwIP's counters */
#define LWIP_STATS_LARGE		1	/* u32: u16 counters wrap in seconds */
#define LWIP_STATS_DISPLAY		0	/* lwIP's printer is not used */
#define LINK_STATS			1
#define ETHARP_STATS			1
#define IPFRAG_STATS			1
#define IP_STATS			1
#define ICMP_STATS			1
#define UDP_STATS			1
#define TCP_STATS			1
#define IP6_STATS			1
#define IP6_FRAG_STATS			1
#define ICMP6_STATS			1
#define ND6_STATS			1
#define MLD6_STATS			1
#define MEM_STATS			1	/* heap: used, max, failures */
#define MEMP_STATS			1	/* pools: used, max, failures */
#define MIB2_STATS			1	/* iperf3: tcpretranssegs */
/*
 * lwIP tests LWIP_DEBUG with #ifdef, so any value turns it on: LWIP_ERROR
 * messages, TCP_OVERSIZE's extra checks and names in memp/stats.  Every
 * *_DEBUG switch stays LWIP_DBG_OFF, so LWIP_DEBUGF prints nothing.
 */
#define LWIP_DEBUG			1	/* #ifdef'd by lwIP: see above */
#define LWIP_PERF			0
#define LWIP_NETIF_API			0
#define LWIP_HAVE_LOOPIF		0
#define LWIP_RAND()			lwipg_rand()	/* ports, ISNs, DHCP xid */
unsigned int lwipg_rand(void);

#endif /* LWIPG_LWIPOPTS_H */

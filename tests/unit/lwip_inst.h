/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwip_inst.h: the descriptor of one lwIP instance, the only symbol a copy
 * made by scripts/lwip-instances.sh exports under a name of its own
 * (lwip_inst_0, lwip_inst_1, ...).  Groundwork for issue 12 (one lwIP per
 * vnet, later per vnet and CPU).
 *
 * lwIP keeps its state in globals.  lwip_inst_wrap.c and lwIP's sources
 * are linked into one relocatable object whose only intended interface is
 * `lwip_inst`; the script copies that object N times and renames every
 * global it defines per copy, so each copy has its own code, data and bss
 * and reaches the others only through the symbols it leaves undefined
 * (the platform: libc, clock, hooks).  The caller sees a copy only
 * through this table, so the table uses no lwIP types: addresses are
 * bytes in network order, pbufs and lwIP state are opaque pointers.
 *
 * Locking: none here.  Every entry is an entry into lwIP and must be made
 * the way lwIP's NO_SYS mode requires (one thread per instance at a time);
 * the instances share no state with each other.
 */
#ifndef TESTS_UNIT_LWIP_INST_H
#define TESTS_UNIT_LWIP_INST_H

#include <stddef.h>
#include <stdint.h>

#define LWIP_INST_TX_MAX	16	/* frames one instance's capture holds */
#define LWIP_INST_FRAME_MAX	1536	/* bytes kept of each frame */

struct lwip_inst {
	/* lwip_init() (first call only), then its one Ethernet netif, up,
	 * link up, with ip/24 and mac; a later call re-adds the netif. */
	int	(*li_init)(const uint8_t ip[4], const uint8_t mac[6]);
	/* One Ethernet frame into the netif (copied into a PBUF_POOL pbuf);
	 * lwIP's ethernet_input result. */
	int	(*li_input)(const void *frame, size_t len);
	void	(*li_timers)(void);		/* sys_check_timeouts() */

	/* What the netif sent (its linkoutput copies each frame here). */
	unsigned (*li_tx_count)(void);		/* frames since the clear */
	size_t	(*li_tx_frame)(unsigned i, const uint8_t **frame);
	void	(*li_tx_clear)(void);

	/* Counters from the instance's lwip_stats. */
	uint32_t (*li_icmp_recv)(void);
	uint32_t (*li_etharp_recv)(void);
	uint32_t (*li_pbuf_pool_used)(void);	/* memp PBUF_POOL used */

	/* 0 and the MAC if ip has a stable ARP entry, else -ENOENT. */
	int	(*li_arp_lookup)(const uint8_t ip[4], uint8_t mac[6]);

	/* A PBUF_POOL pbuf (struct pbuf *) of the instance, and its free. */
	void	*(*li_pbuf_alloc)(uint16_t len);
	void	(*li_pbuf_free)(void *p);

	/* The instance's state, opaque: where it lives is the point. */
	const void	*li_stats;		/* &lwip_stats */
	const void	*li_netif;		/* its struct netif */
	void *const	*li_tcp_active_pcbs;	/* &tcp_active_pcbs */
	void *const	*li_udp_pcbs;		/* &udp_pcbs */
};

#endif /* TESTS_UNIT_LWIP_INST_H */

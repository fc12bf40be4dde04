/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg.h: the lwIP glue's internal interface.
 *
 * Locking: lwIP (2.1.3, NO_SYS) keeps global state, so exactly one CPU at
 * a time may be inside it: every entry holds lwipg_core (a spinlock),
 * taken with lwipg_core_lock()/unlock().  The driver, netisr, hashing and
 * rx buffer recycling run outside it, in parallel.
 */
#ifndef NET_LWIP_GLUE_LWIPG_H
#define NET_LWIP_GLUE_LWIPG_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

struct ifnet;

extern struct netif lwipg_netif;
extern struct ifnet *lwipg_ifp;	/* the interface under lwipg_netif */
/* The command-line keys lwipg_netif takes: interface 0's (ip=, vtnet0.*). */
#define LWIPG_CMDLINE_UNIT	0

void	lwipg_core_lock(void);
void	lwipg_core_unlock(void);
bool	lwipg_core_owned(void);

int	lwipg_input_init(void);
void	lwipg_apps_init(void);
void	lwipg_ping_init(void);
void	lwipg_iperf3_init(void);
void	lwipg_timers_start(void);
int	lwipg_netif_init(struct ifnet *ifp);

/* lwipg_csum.c */
struct mbuf;
struct if_tx_csum;
void	lwipg_csum_setup(struct netif *nif);
bool	lwipg_csum_offloaded(uint16_t what);
bool	lwipg_csum_tx(struct pbuf *p, struct if_tx_csum *c);
bool	lwipg_csum_rx_begin(const struct mbuf *m, bool v6);
void	lwipg_csum_rx_end(bool began);

/* lwipg_guard.c: well-formed but hostile input, core lock held. */
bool	lwipg_arp_conflict(const uint8_t *arp, uint32_t len);
void	lwipg_syn_guard(const uint8_t *ip, uint32_t len, bool v6);

/* Counters of the glue (`netstat -s`, lwipg_stats.c). */
struct lwipg_stats {
	/* Packets too short or malformed for lwIP (lwipg_input.c). */
	uint64_t	ls_arp_toosmall;	/* under the 28-byte header */
	uint64_t	ls_arp_badformat;	/* not Ethernet/IPv4 */
	uint64_t	ls_ip_toosmall;		/* under 20 bytes */
	uint64_t	ls_ip_badvers;		/* version not 4 */
	uint64_t	ls_ip_badhlen;		/* IHL < 5 or past the frame */
	uint64_t	ls_ip_badlen;		/* total length < header */
	uint64_t	ls_ip_tooshort;		/* total length > frame */
	uint64_t	ls_ip6_toosmall;	/* under the 40-byte header */
	uint64_t	ls_ip6_badvers;		/* version not 6 */
	uint64_t	ls_ip6_tooshort;	/* payload length > frame */
	uint64_t	ls_ip6_badext;		/* ext header cut short */
	uint64_t	ls_tcp_badopt;		/* option without its length */
	uint64_t	ls_tcp_persist_stopped;	/* lwIP 2.1.3 guard */
	uint64_t	ls_arp_conflict;	/* our address claimed (guard.c) */
	uint64_t	ls_udp_toosmall;	/* UDP without its 8-byte header */
	uint64_t	ls_syn_evicted;		/* half-open PCBs dropped (guard.c) */
	uint64_t	ls_copied;
	uint64_t	ls_zero_copy;
	uint64_t	ls_no_pbuf;
	uint64_t	ls_tx_busy;
	uint64_t	ls_tx_csum_offload;	/* TCP checksums left to the device */
	uint64_t	ls_tx_csum_unparsed;	/* ... that could not be */
	uint64_t	ls_rx_csum_trusted;	/* lwIP's check skipped */
	uint64_t	ls_echo_blocked;	/* echo tcp_write refused */
	uint64_t	ls_echo_held;		/* echo stopped at ECHO_SND_MAX */
};
extern struct lwipg_stats lwipg_stats;

#endif /* NET_LWIP_GLUE_LWIPG_H */

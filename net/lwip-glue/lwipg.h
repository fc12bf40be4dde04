/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg.h: the lwIP glue's internal interface.
 *
 * Every file of net/lwip-glue/ is linked into each lwIP instance's copy
 * (lwipg_inst.h), so every global here exists once per instance: an
 * instance's netifs, counters and core lock are its own.
 *
 * Locking: lwIP (2.1.3, NO_SYS) keeps global state, so exactly one CPU at
 * a time may be inside an instance: every entry holds its lwipg_core (a
 * spinlock), taken with lwipg_core_lock()/unlock().  The driver, netisr,
 * hashing and rx buffer recycling run outside it, in parallel, and so do
 * the other instances.
 */
#ifndef NET_LWIP_GLUE_LWIPG_H
#define NET_LWIP_GLUE_LWIPG_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include "net/lwip-glue/lwipg_inst.h"

struct ifnet;

#define LWIPG_IFS_MAX		8	/* interfaces per instance (IF_MAX) */

/* One interface of this instance: its netif and addresses. */
struct lwipg_if {
	struct netif		lif_netif;	/* state: the struct ifnet */
	struct ifnet		*lif_ifp;
	struct lwipg_ifcfg	lif_cfg;
	uint16_t		lif_csum_base;	/* NETIF_CHECKSUM_* outside rx */
};

extern struct lwipg_if lwipg_ifs[LWIPG_IFS_MAX];
extern unsigned lwipg_nifs;
extern unsigned lwipg_vnet;		/* the vnet this instance serves */

struct lwipg_if *lwipg_if_of(const struct ifnet *ifp);
struct lwipg_if *lwipg_if_of_netif(const struct netif *nif);
void	lwipg_ip_string(const struct ifnet *ifp, char *buf, size_t len);
uint32_t lwipg_tx_flowid(const uint8_t *frame, uint32_t len);
bool	lwipg_dhcp_bound(void);
uint64_t lwipg_foreign(void);
bool	lwipg_pbuf_mine(const struct pbuf *p);
bool	lwipg_rx_pbuf_mine(const struct pbuf *p);
err_t	lwipg_send(struct lwipg_if *lif, struct pbuf *p);

/* lwipg_tso.c: consecutive TCP segments as one GSO frame. */
bool	lwipg_tso_output(struct lwipg_if *lif, struct pbuf *p);
void	lwipg_tso_flush(struct lwipg_if *lif);
void	lwipg_tso_flush_all(void);

void	lwipg_core_lock(void);
void	lwipg_core_unlock(void);
bool	lwipg_core_owned(void);

void	lwipg_apps_init(void);
void	lwipg_ping_init(void);
void	lwipg_iperf2_init(void);
void	lwipg_iperf3_init(void);
void	lwipg_timers_start(void);
int	lwipg_netif_init(struct ifnet *ifp, const struct lwipg_ifcfg *cfg);

/* lwipg_input.c: the netisr handlers (lwipg_inst.h). */
struct mbuf;
void	lwipg_arp_input(struct mbuf *m);
void	lwipg_ip_input(struct mbuf *m);
void	lwipg_ip6_input(struct mbuf *m);
void	lwipg_arp_input_batch(struct mbuf **ms, unsigned n);
void	lwipg_ip_input_batch(struct mbuf **ms, unsigned n);
void	lwipg_ip6_input_batch(struct mbuf **ms, unsigned n);
void	lwipg_link_changed(struct ifnet *ifp, bool up);

/* The shell commands' bodies (net/stack/ registers the commands). */
int	lwipg_cmd_ifconfig(const struct ifnet *ifp);
int	lwipg_cmd_arp(int argc, char **argv);
int	lwipg_cmd_ping(int argc, char **argv);
int	lwipg_cmd_iperf(int argc, char **argv);
int	lwipg_cmd_iperf3(int argc, char **argv);
void	lwipg_print_stats(void);

/* lwipg_csum.c */
struct if_tx_csum;
void	lwipg_csum_setup(struct lwipg_if *lif);
bool	lwipg_csum_offloaded(const struct lwipg_if *lif, uint16_t what);
bool	lwipg_csum_tx(const struct lwipg_if *lif, struct pbuf *p,
	    struct if_tx_csum *c);
bool	lwipg_csum_rx_begin(struct lwipg_if *lif, const struct mbuf *m,
	    bool v6);
void	lwipg_csum_rx_end(struct lwipg_if *lif, bool began);

/* lwipg_guard.c: well-formed but hostile input, core lock held. */
bool	lwipg_arp_conflict(const struct lwipg_if *lif, const uint8_t *arp,
	    uint32_t len);
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
	uint64_t	ls_foreign;		/* another instance's pbuf or
						   interface: refused */
	uint64_t	ls_tso_frames;		/* GSO frames sent (lwipg_tso.c) */
	uint64_t	ls_tso_segments;	/* the segments they carried */
	uint64_t	ls_tso_single;		/* gathered alone: sent as is */
	uint64_t	ls_tso_no_batch;	/* no batch free: sent alone */
	uint64_t	ls_in_batches;		/* batch-handler calls */
	uint64_t	ls_in_batched;		/* the packets they carried */
	uint64_t	ls_in_batch_max;	/* the largest */
};
extern struct lwipg_stats lwipg_stats;

#endif /* NET_LWIP_GLUE_LWIPG_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_inst.h: one lwIP instance, as the rest of the kernel sees it.
 *
 * lwIP keeps its state in globals, so the build links lwIP and every file
 * of net/lwip-glue/ into one relocatable object and makes LWIP_VNETS
 * copies of it with each defined global renamed per copy
 * (scripts/lwip-instances.sh; docs/DESIGN.md, "One lwIP per vnet").  Each
 * copy has its own code, data, pools, core lock, timers, apps and
 * counters, and exports exactly one thing: a struct lwipg_inst, placed in
 * the linker section lwip_insts, where net/stack/stack.c finds copy k at
 * index k.  Nothing here names an lwIP type, so shared code (net/stack/)
 * calls an instance without seeing lwIP.
 *
 * Every function runs in the instance's own context: it takes its own
 * core lock where it touches lwIP.  The input functions are netisr
 * handlers (any CPU); the others run on CPU 0 (boot, the shell).
 */
#ifndef NET_LWIP_GLUE_LWIPG_INST_H
#define NET_LWIP_GLUE_LWIPG_INST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ifnet;
struct mbuf;

#define LWIPG_IP6_ADDR_LEN	16

/* One interface's addresses (IPv4 in host byte order). */
struct lwipg_ifcfg {
	bool		lc_dhcp;	/* DHCP for IPv4 (lc_ip4 ignored) */
	bool		lc_ip4;		/* a static IPv4 address */
	uint32_t	lc_ip4_addr;
	uint8_t		lc_ip4_prefix;
	uint32_t	lc_gw;		/* 0: none */
	bool		lc_ip6_auto;	/* link-local (and SLAAC) */
	bool		lc_ip6_static;	/* lc_ip6_addr/lc_ip6_prefix too */
	uint8_t		lc_ip6_addr[LWIPG_IP6_ADDR_LEN];	/* net order */
	uint8_t		lc_ip6_prefix;
};

struct lwipg_inst {
	/* Allocates the instance's memory (its heap) now, if not yet. */
	int	(*li_reserve)(void);
	size_t	li_heap_bytes;		/* what li_reserve allocates */
	/* lwip_init, timers and the services, for vnet `vnet`.  Once. */
	int	(*li_start)(unsigned vnet);
	/* A netif over ifp (ifp->if_stack points at it afterwards). */
	int	(*li_attach)(struct ifnet *ifp, const struct lwipg_ifcfg *cfg);
	/* Whether every interface that asked for DHCP has a lease. */
	bool	(*li_dhcp_bound)(void);
	/* netisr handlers: the frame's rcvif belongs to this instance. */
	void	(*li_arp_input)(struct mbuf *m);
	void	(*li_ip_input)(struct mbuf *m);
	void	(*li_ip6_input)(struct mbuf *m);
	/* The same for n packets at once, under one core lock hold. */
	void	(*li_arp_input_batch)(struct mbuf **ms, unsigned n);
	void	(*li_ip_input_batch)(struct mbuf **ms, unsigned n);
	void	(*li_ip6_input_batch)(struct mbuf **ms, unsigned n);
	/* ifp's carrier changed (the driver's link poller). */
	void	(*li_link_changed)(struct ifnet *ifp, bool up);
	/* "A.B.C.D/N" or "none": ifp's IPv4 address. */
	void	(*li_ip_string)(const struct ifnet *ifp, char *buf,
		    size_t len);
	/* Shell commands, run in this instance (argv as the shell's). */
	void	(*li_print_stats)(void);		/* netstat -s */
	int	(*li_ifconfig)(const struct ifnet *ifp);
	int	(*li_arp)(int argc, char **argv);
	int	(*li_ping)(int argc, char **argv);
	int	(*li_iperf)(int argc, char **argv);
	int	(*li_iperf3)(int argc, char **argv);
	/* Foreign pbufs caught by the cross-instance check. */
	uint64_t (*li_foreign)(void);
};

#endif /* NET_LWIP_GLUE_LWIPG_INST_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_init.c: bring lwIP up over one interface (net/net_init.c picks
 * it): lwip_init, the netif, the netisr handlers, the timers and the
 * services; and the `ifconfig` and `arp` shell commands, which name the
 * interface by its if_name.
 *
 * Locking: lwipg_init runs on CPU 0 at boot; the commands take the core
 * lock while they read lwIP's state.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "kernel/shell.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_api.h"
#include "net/netisr/netisr.h"

#define LWIPG_DHCP_WAIT_US	20000000	/* 20 s */

static bool
lwipg_dhcp_bound(void *arg)
{
	bool bound;

	(void)arg;
	lwipg_core_lock();
	bound = dhcp_supplied_address(&lwipg_netif) != 0;
	lwipg_core_unlock();
	return bound;
}

/*
 * With ip=dhcp, READY must show the bound address: run this CPU's loop
 * (interrupts on: timers, the NIC, netisr) until the lease is bound.
 * Gives up after LWIPG_DHCP_WAIT_US with a message; READY then says
 * ip=none, and the client keeps trying in the background.
 */
static void
lwipg_dhcp_wait(void)
{
	if (!coreloop_run_until(lwipg_dhcp_bound, NULL, LWIPG_DHCP_WAIT_US))
		printk("lwip: no DHCP lease after %d s\n",
		    LWIPG_DHCP_WAIT_US / 1000000);
}

/* Brings lwIP up over ifp.  Boot, CPU 0; no lock held. */
int
lwipg_init(struct ifnet *ifp)
{
	const struct cmdline_if *c =
	    cmdline_if(&kernel_config, LWIPG_CMDLINE_UNIT);
	bool dhcp = c->ci_ip_mode == CMDLINE_IP_DHCP;
	int err;

	if (ifp == NULL)
		return -ENODEV;
	lwipg_core_lock();
	lwip_init();
	err = lwipg_netif_init(ifp);
	if (err == 0 && dhcp)
		dhcp_start(&lwipg_netif);
	if (err == 0)
		lwipg_apps_init();
	lwipg_core_unlock();
	if (err != 0) {
		printk("lwip: netif setup failed (%d)\n", err);
		return err;
	}
	if ((err = lwipg_input_init()) != 0)
		return err;
	if_up(ifp);			/* the driver delivers from now on */
	lwipg_timers_start();
	if (dhcp)
		lwipg_dhcp_wait();
	return 0;
}

/* "A.B.C.D/N" or "none", for the READY line. */
void
lwipg_ip_string(char *buf, size_t len)
{
	uint32_t mask, prefix = 0;

	if (lwipg_ifp == NULL || !netif_is_up(&lwipg_netif) ||
	    ip4_addr_isany_val(*netif_ip4_addr(&lwipg_netif))) {
		ksnprintf(buf, len, "none");
		return;
	}
	for (mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(
	    &lwipg_netif))); mask & 0x80000000u; mask <<= 1)
		prefix++;
	ksnprintf(buf, len, "%s/%u", ip4addr_ntoa(netif_ip4_addr(&lwipg_netif)),
	    prefix);
}

/*
 * `ifconfig` prints, all read under the core lock:
 *
 *   <ifname>: inet <a.b.c.d/n|none> gw <a.b.c.d> mtu <n> mac <mac> <up|down>
 *   <ifname>: inet6 <addr>/<prefix> <state>		one per IPv6 address
 *   <ifname>: flags <names|-> checksum gen <names|none> check <names|none>
 *
 * The first line is a contract of its own (tests and scripts parse it).
 * inet6 lines come in lwIP's slot order (slot 0 is the link-local
 * address), the address in RFC 5952 form (cmdline_ip6_format); the prefix
 * is the command line's for the ip6=ADDR/N address and 64 for the others
 * (link-local, and SLAAC, which lwIP does only for /64 prefixes); the
 * state is lwIP's: tentative (DAD running), preferred, deprecated,
 * duplicate (DAD failed).  flags names the netif->flags bits that are
 * set, in bit order; checksum lists what lwIP itself still generates on
 * output and checks on input (netif->chksum_flags; the rest is left to
 * the device), each list in bit order.
 */
struct lwipg_bit_name {
	unsigned	 bn_bit;
	const char	*bn_name;
};

static const struct lwipg_bit_name lwipg_netif_flag_names[] = {
	{ NETIF_FLAG_UP, "UP" },
	{ NETIF_FLAG_BROADCAST, "BROADCAST" },
	{ NETIF_FLAG_LINK_UP, "LINK_UP" },
	{ NETIF_FLAG_ETHARP, "ETHARP" },
	{ NETIF_FLAG_ETHERNET, "ETHERNET" },
	{ NETIF_FLAG_IGMP, "IGMP" },
	{ NETIF_FLAG_MLD6, "MLD6" },
};

static const struct lwipg_bit_name lwipg_csum_gen_names[] = {
	{ NETIF_CHECKSUM_GEN_IP, "ip" },
	{ NETIF_CHECKSUM_GEN_UDP, "udp" },
	{ NETIF_CHECKSUM_GEN_TCP, "tcp" },
	{ NETIF_CHECKSUM_GEN_ICMP, "icmp" },
	{ NETIF_CHECKSUM_GEN_ICMP6, "icmp6" },
};

static const struct lwipg_bit_name lwipg_csum_check_names[] = {
	{ NETIF_CHECKSUM_CHECK_IP, "ip" },
	{ NETIF_CHECKSUM_CHECK_UDP, "udp" },
	{ NETIF_CHECKSUM_CHECK_TCP, "tcp" },
	{ NETIF_CHECKSUM_CHECK_ICMP, "icmp" },
	{ NETIF_CHECKSUM_CHECK_ICMP6, "icmp6" },
};

#define LWIPG_NBITS(t)	(sizeof(t) / sizeof((t)[0]))
#define LWIPG_NAMES_MAX	64	/* longest list: "UP,BROADCAST,...,MLD6" */
#define LWIPG_LL_PREFIX	64	/* fe80::/64 (RFC 4291 section 2.5.6) */

/* The names of the bits set in v, comma-separated, or none if none. */
static void
lwipg_bit_names(char *buf, size_t size, unsigned v,
    const struct lwipg_bit_name *t, size_t n, const char *none)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		if ((v & t[i].bn_bit) != 0 && len < size)
			len += (size_t)ksnprintf(buf + len, size - len, "%s%s",
			    len == 0 ? "" : ",", t[i].bn_name);
	if (len == 0)
		ksnprintf(buf, size, "%s", none);
}

static const char *
lwipg_ip6_state_name(u8_t state)
{
	if (ip6_addr_istentative(state))
		return "tentative";
	if (ip6_addr_ispreferred(state))
		return "preferred";
	if (ip6_addr_isdeprecated(state))
		return "deprecated";
	if (ip6_addr_isduplicated(state))
		return "duplicate";
	return "invalid";
}

/* One "<ifname>: inet6 ..." line per IPv6 address.  Core lock held. */
static void
lwipg_print_inet6(void)
{
	const struct cmdline_if *c =
	    cmdline_if(&kernel_config, LWIPG_CMDLINE_UNIT);
	uint8_t a[CMDLINE_IP6_ADDR_LEN];
	char text[CMDLINE_IP6_ADDRSTRLEN];
	unsigned prefix;
	u8_t state;
	int i;

	for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		state = netif_ip6_addr_state(&lwipg_netif, i);
		if (ip6_addr_isinvalid(state))
			continue;
		memcpy(a, netif_ip6_addr(&lwipg_netif, i)->addr, sizeof(a));
		cmdline_ip6_format(a, text, sizeof(text));
		prefix = LWIPG_LL_PREFIX;
		if (c->ci_ip6_static &&
		    memcmp(a, c->ci_ip6_addr, sizeof(a)) == 0)
			prefix = c->ci_ip6_prefix;
		printk("%s: inet6 %s/%u %s\n", lwipg_ifp->if_name, text, prefix,
		    lwipg_ip6_state_name(state));
	}
}

static int
cmd_ifconfig(int argc, char **argv)
{
	char ip[24], gw[16], flags[LWIPG_NAMES_MAX], gen[LWIPG_NAMES_MAX];
	char check[LWIPG_NAMES_MAX];
	const uint8_t *m;

	(void)argc;
	(void)argv;
	if (lwipg_ifp == NULL) {
		printk("ifconfig: no interface\n");
		return -1;
	}
	lwipg_core_lock();
	lwipg_ip_string(ip, sizeof(ip));
	ksnprintf(gw, sizeof(gw), "%s", ip4addr_ntoa(netif_ip4_gw(&lwipg_netif)));
	m = lwipg_netif.hwaddr;
	printk("%s: inet %s gw %s mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x "
	    "%s\n", lwipg_ifp->if_name, ip, gw, lwipg_netif.mtu, m[0], m[1], m[2], m[3], m[4], m[5],
	    netif_is_link_up(&lwipg_netif) ? "up" : "down");
	lwipg_print_inet6();
	lwipg_bit_names(flags, sizeof(flags), lwipg_netif.flags,
	    lwipg_netif_flag_names, LWIPG_NBITS(lwipg_netif_flag_names), "-");
	lwipg_bit_names(gen, sizeof(gen), lwipg_netif.chksum_flags,
	    lwipg_csum_gen_names, LWIPG_NBITS(lwipg_csum_gen_names), "none");
	lwipg_bit_names(check, sizeof(check), lwipg_netif.chksum_flags,
	    lwipg_csum_check_names, LWIPG_NBITS(lwipg_csum_check_names),
	    "none");
	printk("%s: flags %s checksum gen %s check %s\n", lwipg_ifp->if_name,
	    flags, gen, check);
	lwipg_core_unlock();
	return 0;
}
SHELL_CMD(ifconfig, "the network interface and its addresses", cmd_ifconfig);

static int
cmd_arp(int argc, char **argv)
{
	ip4_addr_t *ip;
	struct netif *nif;
	struct eth_addr *eth;
	size_t i;

	(void)argc;
	(void)argv;
	lwipg_core_lock();
	for (i = 0; i < ARP_TABLE_SIZE; i++) {
		if (etharp_get_entry(i, &ip, &nif, &eth) != 1)
			continue;
		printk("%s at %02x:%02x:%02x:%02x:%02x:%02x on %s\n",
		    ip4addr_ntoa(ip), eth->addr[0], eth->addr[1], eth->addr[2],
		    eth->addr[3], eth->addr[4], eth->addr[5],
		    lwipg_ifp != NULL ? lwipg_ifp->if_name : "-");
	}
	lwipg_core_unlock();
	return 0;
}
SHELL_CMD(arp, "the ARP table", cmd_arp);

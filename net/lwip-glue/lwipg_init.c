/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lwipg_init.c: one lwIP instance's entry points (its descriptor,
 * lwip_inst, at the bottom; lwipg_inst.h): start (lwip_init, the timers
 * and the services), attach an interface, DHCP state, the address for
 * READY, and the bodies of the `ifconfig` and `arp` commands, which name
 * each interface by its if_name.
 *
 * Locking: start and attach run on CPU 0 at boot; the commands take the
 * core lock while they read lwIP's state.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/kmem.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg.h"

unsigned lwipg_vnet;
unsigned char *lwipg_heap;	/* LWIP_RAM_HEAP_POINTER (lwipopts.h) */

/*
 * Allocates the instance's heap if it has none yet.  Boot, CPU 0:
 * net_reserve() calls it for vnet 0's instance before the drivers size
 * their rings (as when the heap was in .bss); the other instances' heaps
 * come from what is left when they start.
 */
static int
lwipg_reserve(void)
{
	if (lwipg_heap == NULL)
		lwipg_heap = kmem_alloc(LWIPG_HEAP_BYTES);
	return lwipg_heap != NULL ? 0 : -ENOMEM;
}

/*
 * Starts the instance for vnet: its heap, lwIP, its services and its
 * timers.  Interfaces come afterwards (lwipg_attach).  Boot, CPU 0; no
 * lock held.
 */
static int
lwipg_start(unsigned vnet)
{
	int err;

	lwipg_vnet = vnet;
	if ((err = lwipg_reserve()) != 0) {
		printk("lwip: vnet %u: no memory for its %u KiB heap\n", vnet,
		    LWIPG_HEAP_BYTES / 1024);
		return err;
	}
	lwipg_core_lock();
	lwip_init();
	lwipg_apps_init();
	lwipg_core_unlock();
	lwipg_timers_start();
	return 0;
}

/* A netif over ifp.  Boot, CPU 0; no lock held. */
static int
lwipg_attach(struct ifnet *ifp, const struct lwipg_ifcfg *cfg)
{
	int err;

	lwipg_core_lock();
	err = lwipg_netif_init(ifp, cfg);
	lwipg_core_unlock();
	if (err != 0)
		printk("lwip: %s: netif setup failed (%d)\n", ifp->if_name, err);
	return err;
}

/* Whether every interface that asked for DHCP has a lease. */
bool
lwipg_dhcp_bound(void)
{
	unsigned i;
	bool bound = true;

	lwipg_core_lock();
	for (i = 0; i < lwipg_nifs; i++)
		if (lwipg_ifs[i].lif_cfg.lc_dhcp &&
		    dhcp_supplied_address(&lwipg_ifs[i].lif_netif) == 0)
			bound = false;
	lwipg_core_unlock();
	return bound;
}

/* "A.B.C.D/N" or "none" for ifp (the READY line, ifconfig).  Core lock
 * held, or boot before the interface is up. */
void
lwipg_ip_string(const struct ifnet *ifp, char *buf, size_t len)
{
	const struct lwipg_if *lif = lwipg_if_of(ifp);
	const struct netif *nif;
	uint32_t mask, prefix = 0;

	if (lif == NULL || !netif_is_up(&lif->lif_netif) ||
	    ip4_addr_isany_val(*netif_ip4_addr(&lif->lif_netif))) {
		ksnprintf(buf, len, "none");
		return;
	}
	nif = &lif->lif_netif;
	for (mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif)));
	    mask & 0x80000000u; mask <<= 1)
		prefix++;
	ksnprintf(buf, len, "%s/%u", ip4addr_ntoa(netif_ip4_addr(nif)),
	    prefix);
}

/* READY's and ifconfig's address, under the core lock. */
static void
lwipg_ip_string_locked(const struct ifnet *ifp, char *buf, size_t len)
{
	lwipg_core_lock();
	lwipg_ip_string(ifp, buf, len);
	lwipg_core_unlock();
}

/*
 * `ifconfig` prints, all read under the core lock:
 *
 *   <ifname>: inet <a.b.c.d/n|none> gw <a.b.c.d> mtu <n> mac <mac> <up|down>
 *       [vnet <k>]
 *   <ifname>: inet6 <addr>/<prefix> <state>		one per IPv6 address
 *   <ifname>: flags <names|-> checksum gen <names|none> check <names|none>
 *
 * The first line is a contract of its own (tests and scripts parse it);
 * an interface given to a vnet other than 0 adds " vnet <k>" to it.
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
lwipg_print_inet6(const struct lwipg_if *lif)
{
	const struct lwipg_ifcfg *c = &lif->lif_cfg;
	const struct netif *nif = &lif->lif_netif;
	uint8_t a[LWIPG_IP6_ADDR_LEN];
	char text[CMDLINE_IP6_ADDRSTRLEN];
	unsigned prefix;
	u8_t state;
	int i;

	for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		state = netif_ip6_addr_state(nif, i);
		if (ip6_addr_isinvalid(state))
			continue;
		memcpy(a, netif_ip6_addr(nif, i)->addr, sizeof(a));
		cmdline_ip6_format(a, text, sizeof(text));
		prefix = LWIPG_LL_PREFIX;
		if (c->lc_ip6_static &&
		    memcmp(a, c->lc_ip6_addr, sizeof(a)) == 0)
			prefix = c->lc_ip6_prefix;
		printk("%s: inet6 %s/%u %s\n", lif->lif_ifp->if_name, text,
		    prefix, lwipg_ip6_state_name(state));
	}
}

/* ifconfig's lines for ifp, one of this instance's interfaces. */
int
lwipg_cmd_ifconfig(const struct ifnet *ifp)
{
	char ip[24], gw[16], flags[LWIPG_NAMES_MAX], gen[LWIPG_NAMES_MAX];
	char check[LWIPG_NAMES_MAX];
	const struct lwipg_if *lif;
	const struct netif *nif;
	const uint8_t *m;

	lwipg_core_lock();
	if ((lif = lwipg_if_of(ifp)) == NULL) {
		lwipg_core_unlock();
		return -1;
	}
	nif = &lif->lif_netif;
	lwipg_ip_string(ifp, ip, sizeof(ip));
	ksnprintf(gw, sizeof(gw), "%s", ip4addr_ntoa(netif_ip4_gw(nif)));
	m = nif->hwaddr;
	printk("%s: inet %s gw %s mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x "
	    "%s", ifp->if_name, ip, gw, nif->mtu, m[0], m[1], m[2], m[3], m[4],
	    m[5], netif_is_link_up(nif) ? "up" : "down");
	if (lwipg_vnet != 0)
		printk(" vnet %u", lwipg_vnet);	/* vnet 0's stay as they were */
	printk("\n");
	lwipg_print_inet6(lif);
	lwipg_bit_names(flags, sizeof(flags), nif->flags,
	    lwipg_netif_flag_names, LWIPG_NBITS(lwipg_netif_flag_names), "-");
	lwipg_bit_names(gen, sizeof(gen), nif->chksum_flags,
	    lwipg_csum_gen_names, LWIPG_NBITS(lwipg_csum_gen_names), "none");
	lwipg_bit_names(check, sizeof(check), nif->chksum_flags,
	    lwipg_csum_check_names, LWIPG_NBITS(lwipg_csum_check_names),
	    "none");
	printk("%s: flags %s checksum gen %s check %s\n", ifp->if_name,
	    flags, gen, check);
	lwipg_core_unlock();
	return 0;
}

/* `arp`: this instance's ARP table, one line per entry. */
int
lwipg_cmd_arp(int argc, char **argv)
{
	const struct ifnet *ifp;
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
		ifp = nif->state;
		printk("%s at %02x:%02x:%02x:%02x:%02x:%02x on %s\n",
		    ip4addr_ntoa(ip), eth->addr[0], eth->addr[1], eth->addr[2],
		    eth->addr[3], eth->addr[4], eth->addr[5],
		    ifp != NULL ? ifp->if_name : "-");
	}
	lwipg_core_unlock();
	return 0;
}

static uint64_t
lwipg_foreign_count(void)
{
	return lwipg_stats.ls_foreign;
}

/*
 * The instance's descriptor: the only global a copy exports under a name
 * of its own (lwip_inst_<k>; scripts/lwip-instances.sh), in the section
 * where net/stack/stack.c finds copy k at index k.
 */
const struct lwipg_inst lwip_inst
    __attribute__((used, section("lwip_insts"), aligned(8))) = {
	.li_reserve = lwipg_reserve,
	.li_heap_bytes = LWIPG_HEAP_BYTES,
	.li_start = lwipg_start,
	.li_attach = lwipg_attach,
	.li_dhcp_bound = lwipg_dhcp_bound,
	.li_arp_input = lwipg_arp_input,
	.li_ip_input = lwipg_ip_input,
	.li_ip6_input = lwipg_ip6_input,
	.li_arp_input_batch = lwipg_arp_input_batch,
	.li_ip_input_batch = lwipg_ip_input_batch,
	.li_ip6_input_batch = lwipg_ip6_input_batch,
	.li_link_changed = lwipg_link_changed,
	.li_ip_string = lwipg_ip_string_locked,
	.li_print_stats = lwipg_print_stats,
	.li_ifconfig = lwipg_cmd_ifconfig,
	.li_arp = lwipg_cmd_arp,
	.li_ping = lwipg_cmd_ping,
	.li_iperf = lwipg_cmd_iperf,
	.li_iperf3 = lwipg_cmd_iperf3,
	.li_foreign = lwipg_foreign_count,
};

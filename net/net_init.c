/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_init.c: brings the network stack up over the interfaces the drivers
 * attached, and describes them for the console before READY.
 *
 * The layers, each calling only downwards (docs/DESIGN.md, "Layers"):
 *
 *   kernel/main.c     net_init(), net_ready_string()
 *   net/              this file and netstat.c: wiring and the shell
 *   net/stack/        the lwIP instances, one per vnet, and their commands
 *   net/lwip-glue/    lwIP over struct ifnet (one copy per instance)
 *   net/vnet/         the vnets as the shell sees them
 *   net/if/           struct ifnet, if_input, Ethernet demultiplexing
 *   net/netisr/       the dispatcher every frame goes through
 *   drivers/          NICs, registered with if_attach()
 *
 * net_reserve() runs before the drivers attach: vnet 0's stack takes
 * its memory (the lwIP heap) first, as the drivers size their rings from
 * what is left.  net_init() runs after they attached:
 *  1. the Ethernet handler (NETISR_ETHER) is registered by net/if, and the
 *     stack's protocols (ARP, IP, IPv6) by net/stack (enabled in vnet 0);
 *  2. each interface, in index order, gets its addresses and its vnet
 *     from the command line (vtnetN.ip=, .gw=, .ip6=, .vnet=; ip=, gw=
 *     and ip6= are vtnet0's) and is given to that vnet's stack, which
 *     starts the first time; the interface is up (delivers) from then on;
 *  3. if an interface asked for DHCP, the boot waits for the leases;
 *  4. every interface but the first prints its line (net_print_ifs); the
 *     first one's fields are in READY (net_ready_string).
 *
 * Locking: boot only, on CPU 0, before READY.  The lines read fields
 * fixed after attach, and each address under its instance's core lock.
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/libc.h"
#include "arch/x86_64/paging.h"
#include "kernel/mem.h"
#include "kernel/printf.h"
#include "net/if/if.h"
#include "net/net_init.h"
#include "net/stack/stack.h"

#define NET_READY_IP_MAX	24	/* "255.255.255.255/32" */
#define NET_IFNAME_PREFIX	"vtnet"	/* the command line's vtnetN keys */

static size_t net_nomem_kib;	/* net_reserve's shortfall */

/* The interface of READY's fields: the first one attached, or NULL. */
static struct ifnet *
net_primary(void)
{
	return ifnet_byindex(1);
}

/* N of an interface named vtnetN, or -1. */
static int
net_unit(const struct ifnet *ifp)
{
	size_t plen = strlen(NET_IFNAME_PREFIX);
	uint32_t unit;

	if (strncmp(ifp->if_name, NET_IFNAME_PREFIX, plen) != 0 ||
	    kstrtou32(ifp->if_name + plen, CMDLINE_IFS_MAX - 1, &unit) != 0)
		return -1;
	return (int)unit;
}

/* ifp's addresses and vnet from the command line (vtnetN.* keys). */
static void
net_ifcfg(const struct ifnet *ifp, struct lwipg_ifcfg *lc, unsigned *vnet)
{
	const struct cmdline_if *ci;
	int unit = net_unit(ifp);

	memset(lc, 0, sizeof(*lc));
	*vnet = 0;
	lc->lc_ip6_auto = true;
	if (unit < 0)
		return;
	ci = cmdline_if(&kernel_config, (unsigned)unit);
	*vnet = ci->ci_vnet;
	lc->lc_dhcp = ci->ci_ip_mode == CMDLINE_IP_DHCP;
	lc->lc_ip4 = ci->ci_ip_mode == CMDLINE_IP_STATIC;
	lc->lc_ip4_addr = ci->ci_ip_addr;
	lc->lc_ip4_prefix = ci->ci_ip_prefix;
	lc->lc_gw = ci->ci_gw;
	lc->lc_ip6_auto = ci->ci_ip6_auto;
	lc->lc_ip6_static = ci->ci_ip6_static;
	_Static_assert(sizeof(lc->lc_ip6_addr) == sizeof(ci->ci_ip6_addr),
	    "IPv6 addresses are 16 bytes on both sides");
	memcpy(lc->lc_ip6_addr, ci->ci_ip6_addr, sizeof(lc->lc_ip6_addr));
	lc->lc_ip6_prefix = ci->ci_ip6_prefix;
}

static void
net_attach_one(struct ifnet *ifp, void *arg)
{
	struct lwipg_ifcfg lc;
	unsigned vnet;
	int *attached = arg;

	net_ifcfg(ifp, &lc, &vnet);
	if (stack_attach(ifp, vnet, &lc) == 0)
		(*attached)++;
}

/* "ip=<addr|none> mac=<mac>" of ifp. */
static void
net_if_fields(const struct ifnet *ifp, char *buf, size_t len)
{
	char ip[NET_READY_IP_MAX];
	const uint8_t *m = ifp->if_mac;

	stack_ip_string(ifp, ip, sizeof(ip));
	ksnprintf(buf, len, "ip=%s mac=%02x:%02x:%02x:%02x:%02x:%02x", ip,
	    m[0], m[1], m[2], m[3], m[4], m[5]);
}

/*
 * One line for each interface but the first, before READY:
 *   iface <name> vnet=<k> queues=<q> ip=<addr/prefix|none> mac=<mac>
 */
static void
net_print_if(struct ifnet *ifp, void *arg)
{
	char f[NET_READY_MAX];

	(void)arg;
	if (ifp == net_primary())
		return;
	net_if_fields(ifp, f, sizeof(f));
	printk("iface %s vnet=%u queues=%u %s\n", ifp->if_name, ifp->if_vnet,
	    ifp->if_nqueues, f);
}

/*
 * Takes the memory the default stack (vnet 0) needs before the drivers
 * attach and size their rings from what is free.  Boot, CPU 0.
 */
void
net_reserve(void)
{
	size_t need, free_kib = mem_free_pages() * (size_t)(PAGE_SIZE / 1024);

	if (stack_reserve(&need) == 0 || need == 0)
		return;
	need /= 1024;
	printk("lwip: not enough memory: vnet 0's heap needs %lu KiB and "
	    "%lu KiB are free\n", need, free_kib);
	net_nomem_kib = need > free_kib ? need - free_kib : 1;
}

/* KiB of memory the default stack lacked (0: none lacking). */
size_t
net_nomem_need_kib(void)
{
	return net_nomem_kib;
}

/*
 * Brings the stack up.  Returns 0, or a negative errno once it has said
 * what failed (the kernel goes on without the network).
 */
int
net_init(void)
{
	int err, attached = 0;

	if ((err = ether_init()) != 0)
		return err;
	netstat_set_stack_printer(stack_print_stats);
	if (ifnet_count() == 0)
		return -ENODEV;
	if ((err = stack_init()) != 0) {
		printk("lwip: not started\n");
		return err;
	}
	ifnet_foreach(net_attach_one, &attached);
	if (attached != 0)
		stack_dhcp_wait();
	ifnet_foreach(net_print_if, NULL);
	return attached != 0 ? 0 : -ENODEV;
}

/*
 * The network fields of the READY line, for the first interface:
 *   "queues=<q> ip=<addr/prefix|none> mac=<mac>", or, without an
 *   interface, "queues=0 ip=none mac=none".
 */
void
net_ready_string(char *buf, size_t len)
{
	char f[NET_READY_MAX];
	const struct ifnet *ifp = net_primary();

	if (ifp == NULL) {
		ksnprintf(buf, len, "queues=0 ip=none mac=none");
		return;
	}
	net_if_fields(ifp, f, sizeof(f));
	ksnprintf(buf, len, "queues=%u %s", ifp->if_nqueues, f);
}

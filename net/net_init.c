/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_init.c: brings the network stack up over the interfaces the drivers
 * attached, and describes it for the READY line.
 *
 * The layers, each calling only downwards (docs/DESIGN.md, "Layers"):
 *
 *   kernel/main.c     net_init(), net_ready_string()
 *   net/              this file and netstat.c: wiring and the shell
 *   net/lwip-glue/    lwIP over one struct ifnet
 *   net/if/           struct ifnet, if_input, Ethernet demultiplexing
 *   net/netisr/       the dispatcher every frame goes through
 *   drivers/          NICs, registered with if_attach()
 *
 * net_init() runs after the drivers attached (pci_attach_drivers):
 *  1. the Ethernet handler (NETISR_ETHER) is registered by net/if;
 *  2. the stack's `netstat -s` printer is registered with netstat.c, and
 *     every interface is listed under its vnet (the `vnet` command);
 *  3. lwIP comes up over the first interface, which registers the ARP,
 *     IP and IPv6 handlers and then lets the interface deliver (if_up),
 *     before it waits for a DHCP lease if asked to.
 * Without an interface only 1 and 2 happen.  One lwIP instance serves
 * one interface for now; more interfaces, and an instance per vnet, are
 * the next phase (issue 12).
 *
 * Locking: boot only, on CPU 0, before READY.  net_ready_string() reads
 * fields that are fixed after attach, and lwIP's address under its core
 * lock (lwipg_ip_string).
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/printf.h"
#include "net/if/if.h"
#include "net/lwip-glue/lwipg_api.h"
#include "net/net_init.h"
#include "net/vnet/vnet.h"

#define NET_READY_IP_MAX	24	/* "255.255.255.255/32" */

/* The interface lwIP runs over: the first one attached, or NULL. */
static struct ifnet *
net_primary(void)
{
	return ifnet_byindex(1);
}

/* Lists an interface under its vnet for the `vnet` command. */
static void
net_vnet_list(struct ifnet *ifp, void *arg)
{
	(void)arg;
	if (vnet_attach_if(ifp->if_vnet, ifp->if_name) != 0)
		printk("%s: cannot list under vnet %u\n", ifp->if_name,
		    ifp->if_vnet);
}

/*
 * Brings the stack up.  Returns 0, or a negative errno once it has said
 * what failed (the kernel goes on without the network).
 */
int
net_init(void)
{
	struct ifnet *ifp;
	int err;

	if ((err = ether_init()) != 0)
		return err;
	netstat_set_stack_printer(lwipg_print_stats);
	ifnet_foreach(net_vnet_list, NULL);
	if ((ifp = net_primary()) == NULL)
		return -ENODEV;
	if ((err = lwipg_init(ifp)) != 0) {
		printk("lwip: not started\n");
		return err;
	}
	return 0;
}

/*
 * The network fields of the READY line:
 *   "queues=<q> ip=<addr/prefix|none> mac=<mac>", or, without an
 *   interface, "queues=0 ip=none mac=none".
 */
void
net_ready_string(char *buf, size_t len)
{
	char ip[NET_READY_IP_MAX];
	const struct ifnet *ifp = net_primary();
	const uint8_t *m;

	if (ifp == NULL) {
		ksnprintf(buf, len, "queues=0 ip=none mac=none");
		return;
	}
	m = ifp->if_mac;
	lwipg_ip_string(ip, sizeof(ip));
	ksnprintf(buf, len, "queues=%u ip=%s "
	    "mac=%02x:%02x:%02x:%02x:%02x:%02x", ifp->if_nqueues, ip, m[0],
	    m[1], m[2], m[3], m[4], m[5]);
}
